"""What the public sees of the results (一公开, rules.md R7): the search, its exports, credit records.

Queries only (the pages are in ``public_views.py``); nothing here changes data,
and nothing returns a result that is not published.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import BigIntegerField, BooleanField, CharField, Count, F, QuerySet, Window
from django.db.models.expressions import RawSQL
from django.utils import timezone, translation

from spotcheck.catalog.models import HistoryRecord, InspectionItem, ListStatus
from spotcheck.directory.exports import safe_cell
from spotcheck.directory.models import Department, Entity
from spotcheck.plans.frame import HEIGHTENED, EntityFacts, penalty_window, stratum
from spotcheck.records.models import Licence, Penalty
from spotcheck.records.selectors import entity_licences, entity_penalties
from spotcheck.results import name_search
from spotcheck.results.credit import Exemption, Inspected, exemption
from spotcheck.results.models import Category, FollowUp, FollowUpRecord, Result
from spotcheck.results.selectors import public_results

# A unified social credit code: 18 characters of digits and capitals (GB 32100-2015).
CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
# A name fragment matching more entities than this is searched by a join instead of a list of ids.
ID_LIST_LIMIT = 1000
# Within one department's results of one year (PostgreSQL), a fragment of more names than this is tested on
# each result's row rather than looked up by its list of entities.
FEW_NAMES = 200
# Newest first, as ``public_results`` orders, for a filtered search on PostgreSQL. Every published result
# has a date, so NULLS LAST changes no order; but it does not match the index of publication dates, and
# so keeps the planner from walking that index (newest first) through every later year's results in
# search of a filtered year's: it reads the filtered rows by their own index and sorts them instead.
FILTERED_ORDER = (F("published_at").desc(nulls_last=True), F("pk").desc())


@dataclass
class Found:
    """The results of a public search, and how to count them."""

    results: QuerySet[Result]
    total: Callable[[], int]
    # Whether a page is best read with the total in the same query (``page_ids``): when finding the
    # rows costs more than reading them, as for a fragment or filters on PostgreSQL.
    windowed: bool = False


def page_ids(found: Found, offset: int, limit: int) -> tuple[list[int], int | None]:
    """Return the ids of the results from ``offset`` (at most ``limit``) and their total (None past the end).

    One query finds the rows once and returns both the page and their number
    (``COUNT(*) OVER ()``): for a search with ``found.windowed``.
    """
    rows = list(found.results.annotate(found_total=Window(Count("pk"))).values_list("pk", "found_total")
                [offset:offset + limit])
    return [pk for pk, _ in rows], (rows[0][1] if rows else None)


def find(*, query: str = "", department: str = "", department_id: int | None = None, year: Any = None,
         category: str = "") -> Found:
    """Return the published results of a public search, newest first, and how to count them.

    ``department`` is a code, or ``department_id`` the department's id.
    ``query`` is a whole unified social credit code or a fragment of the entity's
    name. A fragment is looked up first in the name index of ``name_search`` (one
    query), so that the results are then found through their entity index rather
    than by reading every name of the directory. A fragment of more than
    ``ID_LIST_LIMIT`` names ("有限") tests each published result's entity name
    instead, and, without other filters, is counted from the index's counts. Within
    one department's results of a year (on PostgreSQL), a fragment of more than
    ``FEW_NAMES`` names is tested on each result's own copy of the name.
    """
    results = public_results(department=department, year=year, category=category)
    if department_id is not None:
        # By id, not by code through a join: PostgreSQL then plans with the (department, year, result) index.
        results = results.filter(department_id=department_id)
    filtered = bool(department or department_id is not None or year or category)
    postgresql = connection.vendor == "postgresql"
    if filtered and postgresql:
        results = results.order_by(*FILTERED_ORDER)
    query = (query or "").strip()
    if not query:
        return Found(results, results.count, windowed=filtered and postgresql)
    if CODE.match(query.upper()):
        results = results.filter(entity__uscc=query.upper())
        return Found(results, results.count)
    # One department's results of one year are a few thousand: unless the fragment is in only a few names,
    # each has its name tested on its own row (``name_search.holds``), and more names need not be looked up.
    narrow = postgresql and department_id is not None and bool(year)
    ids = name_search.entity_ids(query, (FEW_NAMES if narrow else ID_LIST_LIMIT) + 1)
    indexed = ids is not None
    if ids is not None and narrow and len(ids) > FEW_NAMES:
        results = results.filter(RawSQL(*name_search.holds(query), output_field=BooleanField()))  # noqa: S611
        return Found(results, results.count, windowed=True)
    if ids is None:  # no name index: read the directory
        ids = list(Entity.objects.filter(name__contains=query).order_by().values_list("pk", flat=True)
                   [:ID_LIST_LIMIT + 1])
    if len(ids) <= ID_LIST_LIMIT:
        if postgresql:
            # One array parameter rather than a placeholder per id: hundreds of ids cost the ORM and
            # the driver more than the query itself.
            results = results.filter(entity_id__in=RawSQL("SELECT unnest(%s::bigint[])", [ids]))  # noqa: S611
        else:
            results = results.filter(entity_id__in=ids)
        return Found(results, results.count, windowed=postgresql)
    if filtered and indexed and postgresql:
        # The filters narrow the results first; the index gives the names as a set to hash them against.
        # (SQLite would instead walk the set, thousands of entities: there the join below is faster.)
        results = results.filter(entity_id__in=RawSQL(*name_search.query(query, connection.vendor)))  # noqa: S611
        return Found(results, results.count, windowed=True)
    results = results.filter(entity__name__contains=query)
    if filtered:
        return Found(results, results.count)

    def total() -> int:
        counted = name_search.published_count(query)
        return results.count() if counted is None else counted

    return Found(results, total)


def search(**terms: Any) -> QuerySet[Result]:
    """Return the published results of a public search, newest first (see ``find``)."""
    return find(**terms).results


def corrections_of(results: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Return {result id: id of the correction that replaces it} for (result id, entity id) pairs (one query).

    The corrections are looked for among the entities' own results, not by
    ``corrects_id``: that column is nearly always empty, and SQLite's statistics
    then make the planner scan the whole table for a lookup by it.
    """
    pairs = list(results)
    ids = {pk for pk, _ in pairs}
    found = (Result.objects.filter(entity_id__in={entity for _, entity in pairs}, corrects__isnull=False)
             .order_by().values_list("corrects_id", "pk"))
    return {old: new for old, new in found if old in ids}


# What a row of the search shows, read as plain values: no model objects, no JSON columns decoded.
ROW_FIELDS = ("pk", "task_id", "entity_id", "entity__uscc", "entity__name", "task__plan_id", "task__plan__number",
              "department__code", "department__name", "item_code", "year", "inspected_on", "category",
              "follow_up", "published_at", "corrects_id", "correction_reason")


# A row's item name (in the latest published list that has the code) and the correction replacing it, looked
# up beside the row in the page's one query: each a subquery by an index (a correction among the entity's own
# results, as ``corrections_of``), written as SQL because the ORM's subqueries cost more to build than to run.
ITEM_NAME = RawSQL(
    "SELECT i.name FROM catalog_inspectionitem i INNER JOIN catalog_itemlist l ON l.id = i.item_list_id"
    ' WHERE i.code = "results_result"."item_code" AND l.status = %s ORDER BY l.version DESC LIMIT 1',
    [ListStatus.PUBLISHED.value], output_field=CharField())
CORRECTION = RawSQL(
    'SELECT c.id FROM results_result c WHERE c.entity_id = "results_result"."entity_id"'
    ' AND c.corrects_id = "results_result"."id" LIMIT 1', [], output_field=BigIntegerField())


def page_rows(ids: list[int]) -> list[dict[str, Any]]:
    """Return the rows of one page of the search, in the order of ``ids``, with their labels (one query).

    The page's ids are found first, sorted on the results table alone; only those
    rows are then joined to their entity, task, plan and department.
    """
    found = {v["pk"]: v for v in Result.objects.filter(pk__in=ids).order_by()
             .annotate(item_name=ITEM_NAME, correction=CORRECTION).values(*ROW_FIELDS, "item_name", "correction")}
    values = [found[pk] for pk in ids if pk in found]
    categories = {code: str(label) for code, label in Category.choices}
    follow_ups = {code: str(label) for code, label in FollowUp.choices}
    return [{**v, "item_name": v["item_name"] or "",
             "category_label": categories.get(v["category"], v["category"]),
             "follow_up_label": follow_ups.get(v["follow_up"], v["follow_up"]),
             "inspected_day": v["inspected_on"].isoformat() if v["inspected_on"] else "",
             "published_day": local_day(v["published_at"])} for v in values]


def item_names(codes: Any) -> dict[str, str]:
    """Return the name of each item code in its latest published list (one query)."""
    names: dict[str, str] = {}
    for code, name in (InspectionItem.objects.filter(code__in=set(codes), item_list__status=ListStatus.PUBLISHED)
                       .order_by("code", "item_list__version").values_list("code", "name")):
        names[code] = name  # the latest version comes last
    return names


def department_choices() -> list[tuple[str, str, int]]:
    """Return (code, name, id) of every department, by code."""
    return list(Department.objects.order_by("code").values_list("code", "name", "pk"))


def local_day(moment: datetime | None) -> str:
    return timezone.localtime(moment).date().isoformat() if moment else ""


# --- Exports -------------------------------------------------------------------------------

EXPORT_HEADER = ["记录编号", "统一社会信用代码", "市场主体名称", "计划编号", "检查部门", "事项代码", "抽查事项",
                 "检查日期", "检查结果", "后续处置", "公示日期", "更正的记录编号", "更正原因", "已被更正"]


# The same columns with English keys, and codes for values (an export asked for with ?lang=en).
EXPORT_KEYS = ["id", "uscc", "name", "plan", "department", "item_code", "item_name", "inspected_on", "category",
               "follow_up", "published_on", "corrects", "correction_reason", "corrected"]


def export_rows(results: QuerySet[Result], in_english: bool = False) -> Iterator[list[Any]]:
    """Yield the export's rows of the searched results (formula-safe cells), a chunk at a time.

    Chinese labels by default, whatever language is active when the rows are read (a
    streamed response reads them after the view has returned); codes ``in_english``.
    """
    if in_english:
        categories: dict[str, str] = {}
        follow_ups: dict[str, str] = {}
        yes, no = "yes", "no"
    else:
        with translation.override("zh-hans"):
            categories = {code: str(label) for code, label in Category.choices}
            follow_ups = {code: str(label) for code, label in FollowUp.choices}
        yes, no = "是", "否"
    rows = results.values_list(
        "pk", "entity__uscc", "entity__name", "task__plan__number", "department__name", "item_code",
        "inspected_on", "category", "follow_up", "published_at", "corrects_id", "correction_reason", "entity_id")
    names: dict[str, str] = {}
    chunk: list[tuple] = []

    def flush() -> Iterator[list[Any]]:
        names.update(item_names({row[5] for row in chunk} - set(names)))
        corrected = corrections_of((row[0], row[-1]) for row in chunk)
        for pk, uscc, name, number, dept, item, day, category, follow_up, published, corrects, reason, _ in chunk:
            yield [safe_cell(v) for v in (
                pk, uscc, name, number, dept, item, names.get(item, ""), day.isoformat() if day else "",
                categories.get(category, category), follow_ups.get(follow_up, follow_up),
                local_day(published), corrects or "", reason, yes if pk in corrected else no)]
        chunk.clear()

    for row in rows.iterator(chunk_size=2000):
        chunk.append(row)
        if len(chunk) >= 2000:
            yield from flush()
    yield from flush()


# --- The credit record (信用记录) ------------------------------------------------------------


@dataclass
class CreditRecord:
    """An entity's public credit record: its published results and its exemption (R3)."""

    entity: Entity
    results: list[Result] = field(default_factory=list)  # published, newest first, corrections included
    follow_ups: dict[int, list[FollowUpRecord]] = field(default_factory=dict)  # task id -> records
    exemption: Exemption = field(default_factory=lambda: Exemption(None))
    heightened: bool = False
    department_names: dict[str, str] = field(default_factory=dict)
    corrected: dict[int, int] = field(default_factory=dict)  # result id -> the correction replacing it
    licences: list[Licence] = field(default_factory=list)  # newest first
    penalties: list[Penalty] = field(default_factory=list)  # newest first

    def as_json(self) -> dict[str, Any]:
        """The ``credit`` command's JSON (spec/interfaces.md)."""
        return {
            "entity": self.entity.uscc,
            "name": self.entity.name,
            "results": [{
                "id": r.pk, "plan": r.task.plan.number, "department": r.department.code, "item": r.item_code,
                "inspected_on": r.inspected_on.isoformat() if r.inspected_on else None,
                "result": r.category, "follow_up": r.follow_up, "published_at": local_day(r.published_at),
                "corrects": r.corrects_id, "correction_reason": r.correction_reason or None,
                "follow_up_done": [{"done_on": f.done_on.isoformat(), "action": f.action}
                                   for f in self.follow_ups.get(r.task_id, [])],
            } for r in self.results],
            "exempt_until": self.exemption.until,
            "exempt_for_departments": list(self.exemption.departments) if self.exemption.until else [],
            "licences": [{
                "licence_type": lic.licence_type, "number": lic.number, "issuer": lic.issuer_name,
                "valid_from": lic.valid_from.isoformat(),
                "valid_to": lic.valid_to.isoformat() if lic.valid_to else None, "status": lic.status,
            } for lic in self.licences],
            "penalties": [{
                "decision_no": p.decision_no, "decision_date": p.decision_date.isoformat(),
                "department": p.department_name, "summary": p.summary,
                "amount": str(p.amount) if p.amount is not None else None,
            } for p in self.penalties],
        }


def entity_facts(entity: Entity, recent_penalty: bool = False) -> EntityFacts:
    return EntityFacts(entity.uscc, entity.status, entity.region_id, entity.industry, entity.entity_type,
                       entity.foreign, entity.abnormal, entity.serious_violation, entity.complaints_12m,
                       recent_penalty)


def credit_record(entity: Entity, today: date | None = None) -> CreditRecord:
    """Read an entity's credit record: every published result, the follow-ups done, the exemption."""
    today = today or timezone.localdate()
    results = list(Result.objects.filter(entity=entity, published_at__isnull=False)
                   .select_related("department", "task__plan")
                   .order_by("-year", "-published_at", "-pk"))
    corrected = corrections_of((r.pk, r.entity_id) for r in results)
    follow_ups: dict[int, list[FollowUpRecord]] = {}
    for record in FollowUpRecord.objects.filter(task_id__in={r.task_id for r in results}).order_by("pk"):
        follow_ups.setdefault(record.task_id, []).append(record)
    names = dict(Department.objects.values_list("code", "name"))
    # R3 counts the current results (a correction replaces the result it corrects) and imported history.
    inspections = [Inspected(r.year, r.department.code, r.category) for r in results if r.pk not in corrected]
    inspections += [Inspected(day.year, by, result) for by, day, result in
                    HistoryRecord.objects.filter(entity=entity).values_list("inspected_by", "inspected_on",
                                                                             "result")]
    licences, penalties = entity_licences(entity), entity_penalties(entity)
    first, last = penalty_window(today)
    recent_penalty = any(first <= p.decision_date <= last for p in penalties)
    heightened = stratum(entity_facts(entity, recent_penalty),
                         settings.SPOTCHECK["complaint_threshold"]) == HEIGHTENED
    return CreditRecord(entity, results, follow_ups,
                        exemption(inspections, heightened=heightened, this_year=today.year, departments=names),
                        heightened, names, corrected, licences, penalties)


def plan_results(plan_id: int) -> dict[str, list[Result]]:
    """Return the current published results of a plan's tasks, by entity code (the plan's public page)."""
    results = list(Result.objects.filter(task__plan_id=plan_id, published_at__isnull=False)
                   .select_related("entity").order_by("item_code", "pk"))
    corrected = corrections_of((r.pk, r.entity_id) for r in results)
    by_entity: dict[str, list[Result]] = {}
    for result in results:
        if result.pk not in corrected:
            by_entity.setdefault(result.entity.uscc, []).append(result)
    return by_entity
