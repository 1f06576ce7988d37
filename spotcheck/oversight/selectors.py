"""The oversight figures (督促检查), counted in the database by aggregation.

Counts come back keyed by department id, with ``DISTRICT`` for the district's own
totals: a joint plan's task belongs to each of its departments, so the district's
totals are counted apart (or added up once per task), never summed over
departments. A ``department_id`` of None asks for every department and the
district. Every function makes a fixed number of queries, however large the
directory or the year's work; ``dashboard.build`` calls each once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat, ExtractYear
from django.utils import timezone

from spotcheck.audit.models import AuditEntry
from spotcheck.catalog.models import HistoryRecord, ItemList, ListStatus
from spotcheck.directory.models import Department, Entity, EntityStatus
from spotcheck.inspections.models import Task, TaskStatus
from spotcheck.oversight.figures import STRATA, TOTAL, CensusGroup, Scope
from spotcheck.plans.frame import penalty_window
from spotcheck.plans.models import Plan, PlanDepartment, PlanStatus
from spotcheck.records.models import Penalty
from spotcheck.results.models import WITHOUT_PROBLEM, FollowUp, FollowUpRecord, Result
from spotcheck.results.selectors import DONE as RESULTS_DONE
from spotcheck.results.selectors import current_results

DISTRICT = 0
TREND_YEARS = 5
# The census of the directory and the history's counts are kept this long at most; a new entity,
# record or import renews them at once.
CENSUS_SECONDS = 600
DONE = (TaskStatus.PUBLISHED, TaskStatus.ARCHIVED)

Counts = dict[int, dict[str, int]]


def _nested() -> defaultdict[int, dict[str, int]]:
    return defaultdict(lambda: defaultdict(int))


def _plain(counts: defaultdict[int, Any]) -> Counts:
    return {k: dict(v) for k, v in counts.items()}


# --- The directory: active entities per scope and stratum --------------------------------------


def stratum_of_entity(threshold: int, day: date | None = None) -> Case:
    """The stratum of R4 as an SQL expression: heightened, then foreign, then general.

    A penalty decided in ``penalty_window(day)`` (today by default) counts as ``plans.frame.stratum`` counts it.
    """
    first, last = penalty_window(day or timezone.localdate())
    penalised = Exists(Penalty.objects.filter(entity=OuterRef("pk"), decision_date__gte=first,
                                              decision_date__lte=last))
    return Case(
        When(Q(abnormal=True) | Q(serious_violation=True) | Q(complaints_12m__gte=threshold) | Q(penalised),
             then=Value("heightened")),
        When(foreign=True, then=Value("foreign")),
        default=Value("general"), output_field=CharField(),
    )


def census() -> list[CensusGroup]:
    """Return the active entities counted by region, industry, entity type and stratum.

    One GROUP BY over the directory gives a few thousand groups at most, from which
    any scope's count follows (``figures.active_in_scope``). A million entities take
    a while to count, and the directory changes only by imports, so the census is
    kept in the cache under the newest entity's id, the latest entity or penalty import's
    audit entry and the day: any changing counts again at once (two index look-ups), and a
    change made some other way shows within ``CENSUS_SECONDS``.
    """
    threshold = settings.SPOTCHECK["complaint_threshold"]
    newest = Entity.objects.aggregate(n=Max("pk"))["n"]
    imported = AuditEntry.objects.filter(action__in=("import_entities", "import_penalties")).aggregate(
        n=Max("seq"))["n"]
    # The penalty window moves with the day.
    key = f"oversight:census:{newest}:{imported}:{threshold}:{timezone.localdate().isoformat()}"
    groups = cache.get(key)
    if groups is None:
        groups = [tuple(row) for row in (
            Entity.objects.filter(status=EntityStatus.ACTIVE).order_by()
            .annotate(stratum=stratum_of_entity(threshold))
            .values("region__code", "industry", "entity_type", "stratum").annotate(n=Count("pk"))
            .values_list("region__code", "industry", "entity_type", "stratum", "n"))]
        cache.set(key, groups, CENSUS_SECONDS)
    return groups


@dataclass(frozen=True)
class PlanRow:
    """What the figures need of a plan: its year, state, scope and departments (lead first)."""

    year: int
    status: str
    scope: Scope
    departments: tuple[int, ...]


def plan_rows(first: int, last: int) -> dict[int, PlanRow]:
    """Return the plans of years ``first`` to ``last`` by id (a district has tens or hundreds a year)."""
    found: dict[int, PlanRow] = {}
    rows = (PlanDepartment.objects.filter(plan__year__gte=first, plan__year__lte=last).order_by("plan_id", "position")
            .values_list("plan_id", "department_id", "plan__year", "plan__status", "plan__scope"))
    for plan_id, department, year, status, scope in rows:
        known = found.get(plan_id)
        departments = (*known.departments, department) if known else (department,)
        found[plan_id] = PlanRow(year, status, known.scope if known else Scope.of(scope), departments)
    return found


def scopes(plans: dict[int, PlanRow], year: int) -> dict[int, list[Scope]]:
    """Return the scopes of each department's plans of the year (drafts aside), by department id."""
    found: dict[int, list[Scope]] = defaultdict(list)
    for plan in plans.values():
        if plan.year == year and plan.status != PlanStatus.DRAFT:
            for department in plan.departments:
                found[department].append(plan.scope)
    return dict(found)


# --- Tasks: states year by year, entities checked per stratum ----------------------------------


YearCounts = dict[int, dict[str, dict[str, int]]]  # department → year → key → count
PlanCounts = dict[int, dict[str, int]]  # plan id → task status → count


def plan_task_counts(first: int, last: int) -> PlanCounts:
    """Return the tasks of the plans of years ``first`` to ``last`` by state, per plan (one index scan)."""
    result: defaultdict[int, dict[str, int]] = defaultdict(dict)
    rows = (Task.objects.filter(plan__year__gte=first, plan__year__lte=last).order_by()
            .values("plan_id", "status").annotate(n=Count("pk")).values_list("plan_id", "status", "n"))
    for plan_id, status, n in rows:
        result[plan_id][status] = n
    return dict(result)


def task_states(plans: dict[int, PlanRow], counts: PlanCounts) -> YearCounts:
    """Add up the plans' task counts per department and year (and the district's).

    A joint plan's task belongs to each of its departments, and once to the district.
    """
    result: defaultdict[int, Any] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for plan_id, states in counts.items():
        plan = plans[plan_id]
        for key in (*plan.departments, DISTRICT):
            for status, n in states.items():
                result[key][str(plan.year)][status] += n
    return {k: {y: dict(v2) for y, v2 in v.items()} for k, v in result.items()}


def _entities() -> dict[str, Any]:
    checked = ~Q(status=TaskStatus.CANCELLED)
    return {
        TOTAL: Count("entity_id", distinct=True, filter=checked),
        **{s: Count("entity_id", distinct=True, filter=checked & Q(stratum=s)) for s in STRATA},
    }


def checked_entities(year: int, department_id: int | None) -> Counts:
    """Return per department (and the district) the entities with a task of the year that was not
    cancelled (drawn for a random check), in total and by the stratum they were drawn in."""
    tasks = Task.objects.filter(plan__year=year).order_by()
    per_department = tasks.values(department=F("plan__participants__department_id"))
    if department_id is not None:
        per_department = per_department.filter(plan__participants__department_id=department_id)
    result: Counts = {}
    for row in per_department.annotate(**_entities()):
        counts: dict[str, Any] = dict(row)
        result[counts.pop("department")] = counts
    if department_id is None:
        result[DISTRICT] = tasks.aggregate(**_entities())
    return result


# --- Other inspections: the imported history ---------------------------------------------------


def history_visits(first: int, last: int) -> Counts:
    """Return the imported inspections (已有检查记录) of years ``first`` to ``last``, per department and year.

    Counted as visits — one per entity, inspecting body and day, however many items
    it covered — as a task covers every item of its plan in one visit. Records of
    outside agencies have no department: they count for the district only. The
    history only grows by imports, so the counts are kept in the cache under the
    newest record's id.
    """
    newest = HistoryRecord.objects.aggregate(n=Max("pk"))["n"]
    key = f"oversight:visits:{newest}:{first}:{last}"
    found = cache.get(key)
    if found is None:
        visit = Concat(Cast("entity_id", CharField()), Value("|"), "inspected_by", Value("|"),
                       Cast("inspected_on", CharField()), output_field=CharField())
        counts = _nested()
        rows = (HistoryRecord.objects.filter(inspected_on__gte=date(first, 1, 1), inspected_on__lte=date(last, 12, 31))
                .order_by().annotate(y=ExtractYear("inspected_on")).values("y", "department_id")
                .annotate(n=Count(visit, distinct=True)))
        for row in rows:
            for k in ((row["department_id"], DISTRICT) if row["department_id"] is not None else (DISTRICT,)):
                counts[k][str(row["y"])] += row["n"]
        found = _plain(counts)
        cache.set(key, found, CENSUS_SECONDS)
    return found


# --- Plans, overdue publications, results, follow-ups -----------------------------------------


def plan_states(year: int, department_id: int | None) -> Counts:
    """Return the year's plans by state, per department taking part (and the district)."""
    plans = Plan.objects.filter(year=year).order_by()
    result = _nested()
    per_department = plans.values("status", department=F("participants__department_id"))
    if department_id is not None:
        per_department = per_department.filter(participants__department_id=department_id)
    for row in per_department.annotate(n=Count("pk")):
        result[row["department"]][row["status"]] = row["n"]
    if department_id is None:
        for total in plans.values("status").annotate(n=Count("pk")):
            result[DISTRICT][total["status"]] = total["n"]
    return _plain(result)


def overdue(plans: dict[int, PlanRow], year: int, today: date | None = None) -> dict[int, int]:
    """Return the year's tasks whose results are overdue for publication (R7), per department.

    The rule of ``results.selectors.overdue_tasks`` (a task not yet published whose last
    inspection day is more than ``publish_within_days`` ago), written as two index look-ups
    per task instead of a grouping over every result, and counted per plan in the
    database, then added up like ``task_states``.
    """
    today = today or timezone.localdate()
    limit = today - timedelta(days=settings.SPOTCHECK["publish_within_days"])
    results = Result.objects.filter(task_id=OuterRef("pk"))
    late = (Task.objects.filter(plan_id__in=[pk for pk, plan in plans.items() if plan.year == year])
            .exclude(status__in=RESULTS_DONE)
            .filter(Exists(results.filter(inspected_on__lt=limit)))
            .exclude(Exists(results.filter(inspected_on__gte=limit))))
    result: defaultdict[int, int] = defaultdict(int)
    for plan_id, n in late.order_by().values("plan_id").annotate(n=Count("pk")).values_list("plan_id", "n"):
        for key in (*plans[plan_id].departments, DISTRICT):
            result[key] += n
    return dict(result)


def _year_results(year: int, department_id: int | None) -> QuerySet[Result]:
    results = current_results(Result.objects.filter(year=year)).order_by()
    if department_id is not None:
        results = results.filter(department_id=department_id)
    return results


def categories(year: int, department_id: int | None) -> Counts:
    """Return the year's current published results by category, per department (and the district).

    A result belongs to the department whose item it is; corrections replace what they correct.
    """
    result = _nested()
    for row in _year_results(year, department_id).values("department_id", "category").annotate(n=Count("pk")):
        for key in _keys(row["department_id"], department_id):
            result[key][row["category"]] += row["n"]
    return _plain(result)


def _keys(row_department: int, department_id: int | None) -> tuple[int, ...]:
    """The keys a department's row adds to: its own, and the district's on the district's page."""
    return (row_department, DISTRICT) if department_id is None else (row_department,)


def _open() -> Q:
    """A current problem result whose follow-up is still to be recorded as done (R6)."""
    recorded = Exists(FollowUpRecord.objects.filter(task_id=OuterRef("task_id")))
    return Q(task__status=TaskStatus.PUBLISHED) & ~Q(follow_up__in=["", FollowUp.NONE]) & ~Q(recorded)


def follow_ups(year: int, department_id: int | None) -> dict[str, Any]:
    """Return the year's problem results by follow-up, and the tasks whose follow-up is still open.

    ``{"kinds": {dept: {follow_up: results}}, "open_results": {dept: {follow_up: n}},
    "open_tasks": {dept: n}}``; the district's open tasks are counted apart (a joint
    task may have problems in two departments).
    """
    problems = _year_results(year, department_id).exclude(category__in=[*WITHOUT_PROBLEM, ""])
    kinds, open_results = _nested(), _nested()
    open_tasks: dict[int, int] = {}
    rows = problems.values("department_id", "follow_up").annotate(n=Count("pk"), open=Count("pk", filter=_open()))
    for row in rows:
        for key in _keys(row["department_id"], department_id):
            kinds[key][row["follow_up"]] += row["n"]
            open_results[key][row["follow_up"]] += row["open"]
    for still in problems.filter(_open()).values("department_id").annotate(n=Count("task_id", distinct=True)):
        open_tasks[still["department_id"]] = still["n"]
    if department_id is None:
        open_tasks[DISTRICT] = problems.filter(_open()).aggregate(n=Count("task_id", distinct=True))["n"]
    else:
        open_tasks.setdefault(department_id, 0)
    return {"kinds": _plain(kinds), "open_results": _plain(open_results), "open_tasks": open_tasks}


def open_follow_up_tasks(year: int, department_id: int | None, limit: int) -> tuple[list[Task], int]:
    """Return the first ``limit`` tasks whose follow-up is open (oldest publication first), and how many."""
    problems = _year_results(year, department_id).exclude(category__in=[*WITHOUT_PROBLEM, ""]).filter(_open())
    tasks = Task.objects.filter(pk__in=problems.values("task_id")).order_by("published_at", "pk")
    shown = list(tasks.select_related("entity", "plan")[:limit])
    return shown, tasks.count() if len(shown) == limit else len(shown)


# --- Plans of the year, joint plans, item lists ------------------------------------------------


def plans(year: int, department_id: int | None, counts: PlanCounts) -> list[Plan]:
    """Return the year's plans with their figures, from ``counts`` (``plan_task_counts``) and the results.

    Each plan gets ``departments_n``, ``tasks_n`` (not cancelled), ``published_n``
    (published or archived), ``problems_n`` and ``open_n`` (tasks with a problem result,
    and of those, with a follow-up still open); its departments are prefetched in order.
    """
    found = Plan.objects.filter(year=year)
    problems = current_results(Result.objects.filter(year=year)).exclude(category__in=[*WITHOUT_PROBLEM, ""])
    if department_id is not None:
        found = found.filter(pk__in=PlanDepartment.objects.filter(department_id=department_id).values("plan_id"))
        problems = problems.filter(task__plan__participants__department_id=department_id)
    per_plan = {plan: (n, still) for plan, n, still in problems.order_by().values(plan=F("task__plan_id")).annotate(
        n=Count("task_id", distinct=True), still=Count("task_id", distinct=True, filter=_open()))
        .values_list("plan", "n", "still")}
    listed = list(found.select_related("lead_department").prefetch_related(
        Prefetch("participants", queryset=PlanDepartment.objects.select_related("department").order_by("position")))
        .order_by("lead_department__code", "sequence"))
    for plan in listed:
        states = counts.get(plan.pk, {})
        found_problems, still_open = per_plan.get(plan.pk, (0, 0))
        plan.departments_n = len(plan.participants.all())  # type: ignore[attr-defined]
        plan.tasks_n = sum(n for s, n in states.items() if s != TaskStatus.CANCELLED)  # type: ignore[attr-defined]
        plan.published_n = sum(states.get(s, 0) for s in DONE)  # type: ignore[attr-defined]
        plan.problems_n = found_problems  # type: ignore[attr-defined]
        plan.open_n = still_open  # type: ignore[attr-defined]
    return listed


def item_lists(department_id: int | None) -> list[Department]:
    """Return the departments with their item list: the current version, when published, its
    items, whether a draft is waiting, and the last change (``version``, ``published_at``,
    ``items_n``, ``drafts``, ``changed_at``)."""
    departments = Department.objects.all()
    if department_id is not None:
        departments = departments.filter(pk=department_id)
    current = (ItemList.objects.filter(department=OuterRef("pk"), status=ListStatus.PUBLISHED)
               .order_by("-version"))
    found: list[Department] = list(departments.annotate(
        version=Max("item_lists__version", filter=Q(item_lists__status=ListStatus.PUBLISHED)),
        published_at=Max("item_lists__published_at"),
        created_at=Max("item_lists__created_at"),
        drafts=Count("item_lists", filter=Q(item_lists__status=ListStatus.DRAFT)),
        items_n=Subquery(current.annotate(n=Count("items")).values("n")[:1]),
    ).order_by("code"))
    for d in found:
        times = [t for t in (d.published_at, d.created_at) if t is not None]  # type: ignore[attr-defined]
        d.changed_at = max(times) if times else None  # type: ignore[attr-defined]
    return found


def years() -> list[int]:
    """Return the years that have plans, and this year, newest first."""
    found = set(Plan.objects.order_by().values_list("year", flat=True).distinct())
    found.add(timezone.localdate().year)
    return sorted(found, reverse=True)
