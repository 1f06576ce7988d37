"""Draws (抽取) through the API: the commitment, the draw with the public entropy, the published record.

The same service as the ceremony page and the ``draw_commit`` / ``draw_run`` commands
(spotcheck.draws.service): it freezes, locks, draws, creates the tasks and audits. The
record is served exactly as published, the bytes the verifiers read; the plan's public
record lists the selected entities with their published results, as the portal shows them.
"""


from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from ninja import Field, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from spotcheck import draw
from spotcheck.accounts.models import Role
from spotcheck.api.auth import PUBLIC, TokenRequest
from spotcheck.api.errors import ApiError, documented
from spotcheck.api.routers.plans import plan_for, staff
from spotcheck.catalog.lists import published_items
from spotcheck.directory.models import Department
from spotcheck.draws.certificate import selected
from spotcheck.draws.models import Commitment, CommitmentStatus, Witness
from spotcheck.draws.service import (
    DrawRefused,
    commit,
    drawn_commitment,
    entropy_warning,
    live_commitment,
    published_record,
    run,
)
from spotcheck.plans.models import Plan
from spotcheck.plans.selectors import PUBLIC_STATES
from spotcheck.results.public import plan_results

router = Router(tags=["draws"])


# --- Schemas ---------------------------------------------------------------------------------


class CommitIn(Schema):
    planned_draw_at: datetime | None = Field(
        None, description="计划抽取时间，须晚于现在（不带时区按北京时间）；不给则为现在")
    entropy_source: str = Field("", max_length=300, description=(
        "公开随机数来源：空或 \"witnesses\" 为现场见证人提供；否则写明所用公开随机数的确切名称，"
        "如“中国福利彩票3D 第2026335期开奖号码”"))
    reason: str = Field("", max_length=2000, description="上一次抽取失败后重新固定范围的原因（此时必填）")


class CommitmentOut(Schema):
    """A commitment as the public plan page shows it; the secret and the entropy only after its draw."""

    attempt: int
    status: str = Field(description="committed, drawn, void")
    spec: str
    commitment: str
    frame_digest: str
    pool_digest: str
    params_digest: str
    frame_count: int
    pool_count: int
    strata: dict[str, dict[str, Any]]
    team_size: int
    required_departments: list[str]
    capacity: dict[str, int] | int
    committed_at: datetime
    planned_draw_at: datetime | None
    entropy_source: str = Field(description="\"witnesses\" 或公开随机数的名称")
    reason: str
    void_reason: str
    failed: bool = Field(description="抽取失败：失败记录已公布（按 attempt 读取记录）")
    has_record: bool = Field(description="已公布抽取记录（抽取完成或失败）")
    drawn_at: datetime | None
    public_entropy: str
    seed: str
    server_secret: str = Field(description="抽取后公开；抽取前为空")


class CommitOut(CommitmentOut):
    warnings: list[str]


class WitnessIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    capacity: Witness.Capacity = Field(description="notary 公证员, deputy 人大代表, cppcc 政协委员, press 媒体, public 社会公众")
    organisation: str = Field("", max_length=200)


class RunIn(Schema):
    entropy: str = Field(max_length=2000, description="公开随机数：现场见证人掷骰子的点数，或承诺中写明的公开随机数")
    witnesses: list[WitnessIn] = Field(default_factory=list, description="在场的监督见证人")
    accept_short: bool = Field(False, description="见证人随机数少于二十次掷骰子时，确认仍然使用")


class RunOut(Schema):
    plan_id: int
    plan_status: str
    attempt: int
    commitment: str
    seed: str
    selected: int
    warnings: list[str]


class PublicPlanOut(Schema):
    id: int
    number: str
    name: str
    year: int
    status: str
    lead_department: str
    departments: list[str]
    items: list[dict[str, str]] = Field(description="[{code, name}]")
    commitments: list[CommitmentOut]
    witnesses: list[dict[str, str]] = Field(description="抽取时在场的见证人 [{name, capacity, organisation}]")


class PublishedResultOut(Schema):
    id: int
    item_code: str
    department: str
    method: str
    inspected_on: str | None
    category: str
    category_label: str
    findings: str
    follow_up: str
    published_at: datetime | None
    corrects: int | None = Field(description="更正的原结果编号")
    correction_reason: str


class SelectedOut(Schema):
    order: int
    entity: str
    name: str
    stratum: str
    ticket: str
    team: list[str] = Field(description="检查组执法证号，组长在前")
    results: list[PublishedResultOut] = Field(description="已公示的检查结果（更正后的为准）")


# --- Helpers ---------------------------------------------------------------------------------


def _operator(request: TokenRequest, plan: Plan) -> None:
    """The lead department's administrator operates the draw (as on the ceremony page)."""
    user = request.user
    if not (user.role == Role.DEPT_ADMIN and user.department_id == plan.lead_department_id):
        raise PermissionDenied(_("只有牵头部门管理员可以操作抽取"))


def commitment_out(c: Commitment) -> dict[str, Any]:
    shown = bool(c.record)
    return {
        **c.public_summary(), "failed": c.failed, "has_record": shown,
        "committed_at": c.committed_at, "planned_draw_at": c.planned_draw_at,
        "drawn_at": c.drawn_at if shown else None, "public_entropy": c.public_entropy if shown else "",
        "seed": c.seed if shown else "", "server_secret": c.revealed_secret,
    }


def public_plan(plan_id: int) -> Plan:
    """A plan whose draw is public (approved and after): anyone reads it; else 404."""
    return get_object_or_404(Plan.objects.filter(status__in=PUBLIC_STATES).select_related("lead_department"),
                             pk=plan_id)


# --- Endpoints -----------------------------------------------------------------------------


@router.post("/plans/{plan_id}/commitment", response={201: CommitOut, **documented(401, 403, 404, 409, 422)},
             operation_id="draws_commit",
             summary="Freeze the frame, pool and parameters of an approved plan and publish the commitment")
@sensitive_variables()  # the commitment made here holds the server secret
def commit_draw(request: TokenRequest, plan_id: int, payload: CommitIn) -> Any:
    staff(request)
    plan = plan_for(request, plan_id)
    _operator(request, plan)
    planned = payload.planned_draw_at
    if planned is not None and timezone.is_naive(planned):
        planned = timezone.make_aware(planned)
    if planned is not None and planned <= timezone.now():
        raise ApiError(422, _("计划抽取时间须晚于现在"),
                       fields=[{"field": "planned_draw_at", "message": _("计划抽取时间须晚于现在")}])
    source = payload.entropy_source.strip()
    if source.lower() in ("witnesses", "见证人"):
        source = ""
    try:
        result = commit(plan, request.user, planned, source, payload.reason)
    except DrawRefused as exc:
        raise ApiError(409, exc.message) from None
    return Status(201, {**commitment_out(result.commitment), "warnings": result.warnings})


@router.post("/plans/{plan_id}/draw", response={200: RunOut, **documented(401, 403, 404, 409, 422)},
             operation_id="draws_run",
             summary="Draw with the public entropy and create the tasks; a failed draw answers 409 draw_failed")
@sensitive_variables()  # the draw run here reads the server secret
def run_draw(request: TokenRequest, plan_id: int, payload: RunIn) -> Any:
    staff(request)
    plan = plan_for(request, plan_id)
    _operator(request, plan)
    try:
        entropy = draw.normalize_entropy(payload.entropy)
    except draw.DrawError as exc:
        raise ApiError(422, str(exc), fields=[{"field": "entropy", "message": str(exc)}]) from None
    witnesses = [(w.name.strip(), str(w.capacity), w.organisation.strip()) for w in payload.witnesses]
    c = live_commitment(plan)
    if c is not None and c.status == CommitmentStatus.COMMITTED:
        least = settings.SPOTCHECK["min_witnesses"]
        if c.by_witnesses and len(witnesses) < least:
            message = _("承诺公布的随机数来源是现场见证人：至少需要%(least)s名见证人（姓名、身份、单位）") % {"least": least}
            raise ApiError(422, message, fields=[{"field": "witnesses", "message": message}])
        warning = entropy_warning(entropy, c.by_witnesses)
        if warning and not payload.accept_short:
            raise ApiError(422, warning, fields=[{"field": "entropy", "message": warning}])
    try:
        result = run(plan, payload.entropy, request.user, witnesses)
    except DrawRefused as exc:
        if exc.entity:  # the draw was made and failed: its failure record is published
            raise ApiError(409, exc.message, code="draw_failed") from None
        raise ApiError(409, exc.message) from None
    plan.refresh_from_db()
    done = result.commitment
    return {"plan_id": plan.pk, "plan_status": plan.status, "attempt": done.attempt, "commitment": done.commitment,
            "seed": result.record["seed"], "selected": len(result.record["selected"]), "warnings": result.warnings}


@router.get("/plans/{plan_id}/commitments", response={200: list[CommitmentOut], **documented(401, 404, 422, 429)},
            auth=PUBLIC, operation_id="draws_commitments",
            summary="A public plan's commitments, failed ones included (一公开)")
def commitments(request: HttpRequest, plan_id: int) -> Any:
    plan = public_plan(plan_id)
    return [commitment_out(c) for c in plan.commitments.order_by("attempt")]


@router.get("/plans/{plan_id}/draw/record", response={200: dict[str, Any], **documented(401, 404, 422, 429)},
            auth=PUBLIC, operation_id="draws_record",
            summary="The draw record exactly as published (draw-v2.md §7): the completed draw, a failed one by attempt")
def record(request: HttpRequest, plan_id: int, attempt: int | None = None) -> Any:
    c = published_record(public_plan(plan_id), attempt)
    if c is None:
        raise Http404
    response = HttpResponse(c.record, content_type="application/json; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"  # anyone may fetch it to verify it
    return response


@router.get("/plans/{plan_id}/public", response={200: PublicPlanOut, **documented(401, 404, 422, 429)}, auth=PUBLIC,
            operation_id="plans_public", summary="A plan's public record (一公开): items, commitments, witnesses")
def public(request: HttpRequest, plan_id: int) -> Any:
    plan = public_plan(plan_id)
    items = published_items(plan.items)
    drawn = drawn_commitment(plan)
    return {
        "id": plan.pk, "number": plan.number, "name": plan.name, "year": plan.year, "status": plan.status,
        "lead_department": plan.lead_department.code, "departments": plan.department_codes,
        "items": [{"code": code, "name": items[code][1].name if code in items else ""} for code in plan.items],
        "commitments": [commitment_out(c) for c in plan.commitments.order_by("attempt")],
        "witnesses": [{"name": w.name, "capacity": w.capacity, "organisation": w.organisation}
                      for w in (drawn.witnesses.all() if drawn else [])],
    }


@router.get("/plans/{plan_id}/public/selected", response={200: list[SelectedOut], **documented(401, 404, 422, 429)},
            auth=PUBLIC, operation_id="plans_public_selected",
            summary="A drawn plan's selected entities with their teams and published results, in draw order")
@paginate(LimitOffsetPagination)
def public_selected(request: HttpRequest, plan_id: int) -> Any:
    plan = public_plan(plan_id)
    drawn = drawn_commitment(plan)
    if drawn is None:
        return []
    published = plan_results(plan.pk)
    codes = dict(Department.objects.values_list("pk", "code"))
    return [{"order": s["order"], "entity": s["entity"], "name": s["name"], "stratum": s["stratum"],
             "ticket": s["ticket"], "team": list(s["team"]),
             "results": [published_result(r, codes) for r in published.get(s["entity"], [])]}
            for s in selected(drawn)]


def published_result(r: Any, departments: dict[int, str]) -> dict[str, Any]:
    """One published result as the plan's public record shows it."""
    return {"id": r.pk, "item_code": r.item_code, "department": departments[r.department_id], "method": r.method,
            "inspected_on": r.inspected_on.isoformat() if r.inspected_on else None, "category": r.category,
            "category_label": str(r.get_category_display()), "findings": r.findings, "follow_up": r.follow_up,
            "published_at": r.published_at, "corrects": r.corrects_id, "correction_reason": r.correction_reason}
