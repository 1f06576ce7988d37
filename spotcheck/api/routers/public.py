"""Published data (一公开), readable without a token: the results search, credit records, plans, the feed.

Thin doors to what the public pages read: ``spotcheck.results.public`` (the search and the
credit record), ``spotcheck.results.feed`` (the credit feed) and the plans' public pages.
Nothing here returns a result that is not published or a plan that is not public.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from spotcheck.api.auth import PUBLIC
from spotcheck.api.errors import ApiError, ErrorOut
from spotcheck.directory.models import Entity
from spotcheck.draws.certificate import selected
from spotcheck.draws.models import CommitmentStatus
from spotcheck.plans.models import Plan, PlanStatus
from spotcheck.results import feed
from spotcheck.results.models import Category
from spotcheck.results.public import (
    CODE,
    credit_record,
    department_choices,
    find,
    page_ids,
    page_rows,
    plan_results,
)

router = Router(tags=["published"])

# The plans the public sees (as the portal's plan pages: plans.views.PUBLIC_STATES).
PUBLIC_STATES = (PlanStatus.APPROVED, PlanStatus.COMMITTED, PlanStatus.DRAWN, PlanStatus.CLOSED)
SEARCH_MAX_LIMIT = 200


# --- The search --------------------------------------------------------------------------------


# Text the database can hold: no NUL character (PostgreSQL refuses one in a string).
TEXT = r"^[^\x00]*$"


class SearchQuery(Schema):
    q: str = Field("", max_length=100, pattern=TEXT,
                   description="a whole unified social credit code or a fragment of a name")
    department: str = Field("", max_length=64, pattern=TEXT, description="a department's code")
    year: int | None = Field(None, ge=1900, le=9999)
    category: str = Field("", max_length=30, pattern=TEXT, description="a result code, e.g. no_issue")
    limit: int = Field(50, ge=1, le=SEARCH_MAX_LIMIT)
    offset: int = Field(0, ge=0, le=10_000_000)


class ResultRow(Schema):
    id: int
    entity: str
    name: str
    plan_id: int
    plan: str
    department: str
    department_name: str
    item: str
    item_name: str
    year: int
    inspected_on: date | None
    result: str
    follow_up: str
    published_at: datetime | None
    corrects: int | None
    correction_reason: str
    corrected_by: int | None = Field(description="the correction that replaces this result, if any")


class SearchPage(Schema):
    items: list[ResultRow]
    count: int


@router.get("/public/results", response={200: SearchPage, 422: ErrorOut}, auth=PUBLIC,
            summary="Search the published results (检查结果公示), newest first")
def search_results(request: HttpRequest, terms: Query[SearchQuery]) -> dict[str, Any]:
    department_id = None
    if terms.department:
        codes = {code: pk for code, _name, pk in department_choices()}
        if terms.department not in codes:
            raise ApiError(422, _("没有这个部门"), fields=[{"field": "department", "message": _("没有这个部门")}])
        department_id = codes[terms.department]
    if terms.category and terms.category not in Category.values:
        raise ApiError(422, _("没有这个检查结果"), fields=[{"field": "category", "message": _("没有这个检查结果")}])
    found = find(query=terms.q, department_id=department_id, year=terms.year, category=terms.category)
    if found.windowed:
        ids, total = page_ids(found, terms.offset, terms.limit)
        count = found.total() if total is None else total
    else:
        ids = list(found.results.values_list("pk", flat=True)[terms.offset:terms.offset + terms.limit])
        count = found.total()
    return {"items": [row(r) for r in page_rows(ids)], "count": count}


def row(r: dict[str, Any]) -> dict[str, Any]:
    return {"id": r["pk"], "entity": r["entity__uscc"], "name": r["entity__name"], "plan_id": r["task__plan_id"],
            "plan": r["task__plan__number"], "department": r["department__code"],
            "department_name": r["department__name"], "item": r["item_code"], "item_name": r["item_name"],
            "year": r["year"], "inspected_on": r["inspected_on"], "result": r["category"],
            "follow_up": r["follow_up"], "published_at": r["published_at"], "corrects": r["corrects_id"],
            "correction_reason": r["correction_reason"], "corrected_by": r["correction"]}


# --- An entity's credit record ----------------------------------------------------------------


class FollowUpDone(Schema):
    done_on: str
    action: str


class CreditResult(Schema):
    id: int
    plan: str
    department: str
    item: str
    inspected_on: str | None
    result: str
    follow_up: str
    published_at: str
    corrects: int | None
    correction_reason: str | None
    follow_up_done: list[FollowUpDone]
    corrected_by: int | None


class CreditOut(Schema):
    entity: str
    name: str
    results: list[CreditResult]
    exempt_until: int | None
    exempt_for_departments: list[str]
    exemption_reason: str = Field(description="why the entity is not exempt (R3): heightened, no_inspections, "
                                              "gap, problem, past; empty when exempt")
    heightened: bool


@router.get("/public/entities/{code}", response={200: CreditOut, 404: ErrorOut}, auth=PUBLIC,
            summary="An entity's credit record (信用记录): published results and exemption (R3)")
def entity_credit(request: HttpRequest, code: str) -> dict[str, Any]:
    code = code.strip().upper()
    if not CODE.match(code):  # not a unified social credit code: no such entity
        raise Http404
    entity = get_object_or_404(Entity, uscc=code)
    record = credit_record(entity)
    data = record.as_json()
    for result in data["results"]:
        result["corrected_by"] = record.corrected.get(result["id"])
    return {**data, "exemption_reason": record.exemption.reason, "heightened": record.heightened}


# --- A plan's public record -------------------------------------------------------------------


class CommitmentOut(Schema):
    attempt: int
    status: str
    committed_at: datetime
    commitment: str


class SelectedOut(Schema):
    order: int
    entity: str
    name: str
    stratum: str
    team: list[str]


class PlanResultOut(Schema):
    id: int
    entity: str
    item: str
    inspected_on: date | None
    result: str
    follow_up: str
    published_at: datetime | None
    corrects: int | None


class PlanRecordOut(Schema):
    id: int
    number: str
    name: str
    year: int
    status: str
    lead_department: str
    departments: list[str]
    items: list[str]
    starts_on: date | None
    ends_on: date | None
    approved_at: datetime | None
    commitments: list[CommitmentOut]
    draw_record: str | None = Field(description="the path of the published draw record (JSON), once drawn")
    selected: list[SelectedOut]
    results: list[PlanResultOut] = Field(description="the current published results of the plan's tasks")


@router.get("/public/plans/{plan_id}", response={200: PlanRecordOut, 404: ErrorOut}, auth=PUBLIC,
            summary="A plan's public record: the plan, its commitments, the selected list, its published results")
def plan_record(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    if not 0 < plan_id < 2**62:
        raise Http404
    plan = get_object_or_404(Plan.objects.filter(status__in=PUBLIC_STATES).select_related("lead_department"),
                             pk=plan_id)
    commitments = list(plan.commitments.order_by("attempt"))
    drawn = next((c for c in commitments if c.status == CommitmentStatus.DRAWN), None)
    results = [r for by_entity in plan_results(plan.pk).values() for r in by_entity]
    return {
        "id": plan.pk, "number": plan.number, "name": plan.name, "year": plan.year, "status": plan.status,
        "lead_department": plan.lead_department.code, "departments": plan.department_codes,
        "items": list(plan.items), "starts_on": plan.starts_on, "ends_on": plan.ends_on,
        "approved_at": plan.approved_at,
        "commitments": [{"attempt": c.attempt, "status": c.status, "committed_at": c.committed_at,
                         "commitment": c.commitment} for c in commitments],
        "draw_record": f"/public/plans/{plan.pk}/record.json" if drawn else None,
        "selected": [{"order": s["order"], "entity": s["entity"], "name": s["name"], "stratum": s["stratum"],
                      "team": list(s["team"])} for s in (selected(drawn) if drawn else [])],
        "results": [{"id": r.pk, "entity": r.entity.uscc, "item": r.item_code, "inspected_on": r.inspected_on,
                     "result": r.category, "follow_up": r.follow_up, "published_at": r.published_at,
                     "corrects": r.corrects_id} for r in sorted(results, key=lambda r: (r.entity.uscc, r.pk))],
    }


# --- The credit feed --------------------------------------------------------------------------


class FeedQuery(Schema):
    cursor: str = Field("", max_length=200, description="the `next` of the previous page; empty: from the start")
    limit: int = Field(feed.DEFAULT_LIMIT, ge=1, le=feed.MAX_LIMIT)


class FeedItem(Schema):
    seq: int = Field(description="the result's place in the feed: increasing, gaps possible")
    id: int
    task: int
    plan_id: int
    plan: str
    department: str
    entity: str
    name: str
    item: str
    year: int
    method: str
    inspected_on: date | None
    result: str
    follow_up: str
    published_at: datetime
    corrects: int | None = Field(description="the id of the result this one corrects (a correction, 更正)")
    correction_reason: str


class FeedPage(Schema):
    items: list[FeedItem]
    next: str = Field(description="the cursor to ask for next; given even when `items` is empty, to poll from")


@router.get("/feed/results", response={200: FeedPage, 422: ErrorOut}, auth=PUBLIC,
            summary="The credit feed: every published result and correction, in order, by an opaque cursor")
def feed_results(request: HttpRequest, params: Query[FeedQuery]) -> dict[str, Any]:
    try:
        after = feed.decode(params.cursor)
    except feed.BadCursor:
        raise ApiError(422, _("游标无效"), fields=[{"field": "cursor", "message": _("不是本接口给出的游标")}]) from None
    items, last = feed.page(after, params.limit)
    return {"items": items, "next": feed.encode(last)}
