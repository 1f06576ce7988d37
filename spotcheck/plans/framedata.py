"""Read the database into the plain shapes of ``frame.py``, and summarise a frame for people."""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from spotcheck.catalog.lists import published_items
from spotcheck.catalog.models import HistoryRecord
from spotcheck.directory.models import Conflict, Department, Entity, Inspector, Region
from spotcheck.draw import sample_size, v2
from spotcheck.plans import spec
from spotcheck.plans.frame import (
    EntityFacts,
    Frame,
    Inspection,
    InspectorFacts,
    PlanFacts,
    build_frame,
    penalty_window,
)
from spotcheck.plans.models import Plan
from spotcheck.records.selectors import penalised_entities

# Other sources of inspections (the tasks of drawn plans) register a reader here.
INSPECTION_SOURCES: list[Any] = []


def spec_context() -> spec.Context:
    rules = settings.SPOTCHECK
    regions: dict[str, str] = {}
    for code, name in Region.objects.values_list("code", "name"):
        regions[code] = code
        regions.setdefault(name, code)
    names = dict(Department.objects.values_list("code", "name"))
    return spec.Context(
        departments=set(names),
        published_items={code: dept for code, (dept, _) in published_items().items()},
        regions=regions,
        min_ratio=Decimal(rules["min_ratio"]),
        min_team_size=rules["team_size"],
        default_ratios={"general": rules["default_ratio_general"], "foreign": rules["default_ratio_foreign"],
                        "heightened": rules["default_ratio_heightened"]},
        default_complaint_threshold=rules["complaint_threshold"],
        department_names=names,
    )


def plan_facts(plan: Plan) -> PlanFacts:
    owners = {code: dept for code, (dept, _) in published_items(plan.items).items()}
    scope = plan.scope or {}
    region_ids = Region.objects.filter(code__in=scope.get("regions") or ()).values_list("pk", flat=True)
    return PlanFacts(
        year=plan.year, departments=plan.department_codes, items=list(plan.items),
        item_departments=owners, regions=frozenset(region_ids),
        industries=frozenset(scope.get("industries") or ()),
        entity_types=frozenset(scope.get("entity_types") or ()),
        complaint_threshold=plan.complaint_threshold, honour_exemptions=plan.honour_exemptions,
        plan_id=plan.pk,
    )


def entity_facts(facts: PlanFacts, day: date | None = None):
    """Yield the entities that may be in scope, straight from one query (no model objects).

    An entity with a penalty decided in ``penalty_window(day)`` (today by default) is marked
    ``recent_penalty`` (rules.md R4).
    """
    penalised = penalised_entities(*penalty_window(day or timezone.localdate()))
    query = Entity.objects.all()
    if facts.regions:
        query = query.filter(region_id__in=facts.regions)
    if facts.industries:
        query = query.filter(industry__in=facts.industries)
    if facts.entity_types:
        query = query.filter(entity_type__in=facts.entity_types)
    rows = query.order_by().values_list(
        "uscc", "status", "region_id", "industry", "entity_type", "foreign", "abnormal",
        "serious_violation", "complaints_12m")
    make = EntityFacts._make
    if connection.vendor != "postgresql":
        for row in rows.iterator(chunk_size=20000):
            yield make((*row, row[0] in penalised))
        return
    # On PostgreSQL the driver's rows are already the values (text, integers, booleans): read them through a
    # plain cursor, not the ORM's iterator over a named cursor, which took 1.5 s for a million rows, not 0.9 s.
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(20000):
            for row in chunk:
                yield make((*row, row[0] in penalised))


def inspection_facts(year: int):
    """Yield every inspection of years Y-3 to Y: history records, and tasks of other plans."""
    for uscc, by, item, day, result in HistoryRecord.objects.filter(
        inspected_on__year__gte=year - 3, inspected_on__year__lte=year
    ).order_by().values_list("entity__uscc", "inspected_by", "item_code", "inspected_on", "result").iterator(
        chunk_size=20000
    ):
        yield Inspection(uscc, day.year, by, item, result)
    for source in INSPECTION_SOURCES:
        yield from source(year)


def inspector_facts(departments: Sequence[str]):
    conflicts: dict[int, list[str]] = {}
    for inspector_id, code in Conflict.objects.filter(
        inspector__department__code__in=departments, status="confirmed"
    ).values_list("inspector_id", "uscc"):
        conflicts.setdefault(inspector_id, []).append(code)
    for pk, cert, dept, status, expires, items in Inspector.objects.filter(
        department__code__in=departments
    ).values_list("pk", "cert_no", "department__code", "status", "cert_expires_on", "items"):
        yield InspectorFacts(cert, dept, status, expires, items or (), conflicts.get(pk, ()))


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (reference counting still frees everything).

    A frame makes a million small tuples, and keeps most of them: each full
    collection would walk them all again, several times over the build, and none
    of them can be part of a cycle.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def frame_for(plan: Plan, day: date | None = None) -> Frame:
    """Build the frame of a plan from the database as it is now."""
    day = day or timezone.localdate()
    facts = plan_facts(plan)
    with cyclic_gc_paused():
        return build_frame(
            facts, entity_facts(facts, day), inspection_facts(plan.year), inspector_facts(facts.departments),
            max_draws_per_year=settings.SPOTCHECK["max_draws_per_year"],
            day=day,
        )


def floor_problem(name: str, population: int, rule: Mapping[str, Any]) -> str | None:
    """Say why a stratum's count is below ceil(min_ratio × population) (rules.md R4), or None."""
    min_ratio = Decimal(settings.SPOTCHECK["min_ratio"])
    floor = math.ceil(min_ratio * population)
    if "count" not in rule or rule["count"] >= floor:
        return None
    return (_("%(stratum)s的抽取数量%(count)s低于最低比例要求的%(floor)s（%(population)s×%(ratio)s，不得低于市场主体的3%%）")
            % {"stratum": spec.STRATUM_NAMES.get(name, name), "count": rule["count"], "floor": floor,
               "population": population, "ratio": min_ratio})


@dataclass
class Preview:
    """What a plan's page shows before commitment, and what would refuse the draw."""

    strata: list[dict[str, Any]] = field(default_factory=list)
    exclusions: dict[str, int] = field(default_factory=dict)
    frame_count: int = 0
    selected: int = 0
    pool: dict[str, int] = field(default_factory=dict)
    pool_size: int = 0
    capacity: dict[str, int] = field(default_factory=dict)  # per department (rules.md R5)
    problems: list[str] = field(default_factory=list)
    # Counts above their stratum: not refused, but everyone in it would be drawn (name, count, population).
    warnings: list[dict[str, Any]] = field(default_factory=list)


def preview(plan: Plan, frame: Frame | None = None) -> Preview:
    frame = frame or frame_for(plan)
    result = Preview(exclusions=frame.exclusion_counts(), frame_count=len(frame.rows))
    for name, population in frame.stratum_counts().items():
        rule = plan.strata.get(name) or {}
        n = sample_size(population, rule) if population and rule else 0
        entry = {"name": name, "population": population, "sample_size": n, **rule}
        if population and (problem := floor_problem(name, population, rule)):
            result.problems.append(problem)
        if population and rule.get("count", 0) > population:
            entry["everyone"] = True
            result.warnings.append({"name": name, "count": rule["count"], "population": population})
        result.strata.append(entry)
        result.selected += n
    for _inspector, department in frame.inspectors:
        result.pool[department] = result.pool.get(department, 0) + 1
    result.pool_size = len(frame.inspectors)
    departments = plan.department_codes
    required = departments if len(departments) > 1 else []
    result.capacity = v2.capacities(plan.capacity, result.selected, plan.team_size, frame.inspectors, required)
    if not frame.rows:
        result.problems.append(_("抽查对象范围为空，不能抽取"))
    if result.pool_size < plan.team_size:
        result.problems.append(_("可派执法人员只有%(pool)s名，少于检查组人数%(team)s")
                               % {"pool": result.pool_size, "team": plan.team_size})
    names = dict(Department.objects.filter(code__in=departments).values_list("code", "name"))
    for code in departments:
        if result.pool.get(code, 0) == 0:
            result.problems.append(_("%(department)s没有可派的执法人员") % {"department": names.get(code, code)})
    result.problems += staffing_problems(result.selected, plan.team_size, result.pool, result.capacity, required,
                                         names)
    return result


def staffing_problems(selected: int, team_size: int, pool: Mapping[str, int], capacity: Mapping[str, int],
                      required: Sequence[str], names: Mapping[str, str] | None = None) -> list[str]:
    """Say where the capacities cannot staff every team (draw-v2 §6), before the commitment.

    Each required department fills one slot of every team; all departments
    together fill every slot. Conflicts can still make a single team impossible.
    """
    problems = []
    names = names or {}
    places = {code: pool[code] * capacity.get(code, 0) for code in pool}
    if pool and selected * team_size > sum(places.values()):
        problems.append(_("执法人员每人最多承担的次数合计%(places)s，不足以组成全部%(teams)s个%(size)s人检查组")
                        % {"places": sum(places.values()), "teams": selected, "size": team_size})
    for code in required:
        if 0 < places.get(code, 0) < selected:
            problems.append(
                _("%(department)s只有%(pool)s名可派人员，每人最多%(capacity)s次，不足以参加全部%(teams)s个检查组")
                % {"department": names.get(code, code), "pool": pool[code], "capacity": capacity[code],
                   "teams": selected})
    return problems
