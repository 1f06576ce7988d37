"""Published data (一公开), readable without a token: the results search, credit records, the credit feed.

Thin doors to what the public pages read: ``spotcheck.results.public`` (the search and the
credit record) and ``spotcheck.results.feed`` (the credit feed). Nothing here returns a
result that is not published. (A plan's public record is the draws router's
``/plans/{plan_id}/public`` and ``/plans/{plan_id}/public/selected``.)
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
from spotcheck.api.errors import ApiError, documented
from spotcheck.directory.models import Entity
from spotcheck.results import feed
from spotcheck.results.models import Category
from spotcheck.results.public import (
    CODE,
    credit_record,
    department_choices,
    find,
    page_ids,
    page_rows,
)

router = Router(tags=["published"])

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


@router.get("/public/results", response={200: SearchPage, **documented(401, 422, 429)}, auth=PUBLIC,
            operation_id="public_results_search",
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


class CreditLicence(Schema):
    licence_type: str
    number: str
    issuer: str
    valid_from: str
    valid_to: str | None
    status: str


class CreditPenalty(Schema):
    decision_no: str
    decision_date: str
    department: str
    summary: str
    amount: str | None


class CreditOut(Schema):
    entity: str
    name: str
    results: list[CreditResult]
    exempt_until: int | None
    exempt_for_departments: list[str]
    licences: list[CreditLicence]
    penalties: list[CreditPenalty]
    exemption_reason: str = Field(description="why the entity is not exempt (R3): heightened, no_inspections, "
                                              "gap, problem, past; empty when exempt")
    heightened: bool


@router.get("/public/entities/{uscc}", response={200: CreditOut, **documented(401, 404, 429)}, auth=PUBLIC,
            operation_id="public_entity_credit",
            summary="An entity's credit record (信用记录): published results, exemption (R3), licences, penalties")
def entity_credit(request: HttpRequest, uscc: str) -> dict[str, Any]:
    code = uscc.strip().upper()
    if not CODE.match(code):  # not a unified social credit code: no such entity
        raise Http404
    entity = get_object_or_404(Entity, uscc=code)
    record = credit_record(entity)
    data = record.as_json()
    for result in data["results"]:
        result["corrected_by"] = record.corrected.get(result["id"])
    return {**data, "exemption_reason": record.exemption.reason, "heightened": record.heightened}


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


@router.get("/feed/results", response={200: FeedPage, **documented(401, 422, 429)}, auth=PUBLIC,
            operation_id="feed_results",
            summary="The credit feed: every published result and correction, in order, by an opaque cursor")
def feed_results(request: HttpRequest, params: Query[FeedQuery]) -> dict[str, Any]:
    try:
        after = feed.decode(params.cursor)
    except feed.BadCursor:
        raise ApiError(422, _("游标无效"), fields=[{"field": "cursor", "message": _("不是本接口给出的游标")}]) from None
    items, last = feed.page(after, params.limit)
    return {"items": items, "next": feed.encode(last)}
