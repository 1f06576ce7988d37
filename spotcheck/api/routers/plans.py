"""Plans (抽查计划) through the API: list, read, create from the plan file, the approval workflow, export.

A thin door to the same rules as the plan pages and commands: the plan file is checked by
``spotcheck.plans.spec.validate``, every transition is the plan's own method (which locks
the row, checks who and from which state, and writes the audit entry), and the plans a
caller sees are the plan list's (``visible_plans``).
"""


from collections.abc import Callable
from datetime import date, datetime
from typing import Any, NoReturn

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import BaseModel, ConfigDict

from spotcheck.accounts.models import STAFF_ROLES, Role
from spotcheck.api.api import require_role
from spotcheck.api.auth import TokenRequest
from spotcheck.api.errors import ApiError, documented, refused
from spotcheck.directory.models import Department
from spotcheck.plans import spec
from spotcheck.plans.framedata import spec_context
from spotcheck.plans.models import Plan, PlanStatus, WorkflowError, create_plan
from spotcheck.plans.selectors import visible_plans

router = Router(tags=["plans"])


# --- Schemas ---------------------------------------------------------------------------------


class PlanFileIn(BaseModel):
    """The plan file of spec/interfaces.md, taken as sent: ``spec.validate`` judges every key.

    Nothing is converted before the plan file's own checks (a year sent as text is refused
    as the command line refuses it); an unknown key is refused by name.
    """

    model_config = ConfigDict(extra="allow", json_schema_extra={
        "required": ["name", "year", "departments", "items"],
        "example": {"name": "2026年度食品经营者双随机抽查", "year": 2026, "departments": ["SCJGJ"],
                    "items": ["SCJGJ-001"], "scope": {"regions": [], "industries": ["H"], "entity_types": []},
                    "strata": {"general": {"ratio": "0.03"}, "foreign": {"ratio": "0.10"},
                               "heightened": {"count": 12}},
                    "complaint_threshold": 3, "team_size": 2, "honour_exemptions": True,
                    "starts_on": "2026-12-01", "ends_on": "2026-12-31"},
    })

    name: Any = Field(None, json_schema_extra={"type": "string"}, description="计划名称")
    year: Any = Field(None, json_schema_extra={"type": "integer"}, description="年度")
    departments: Any = Field(None, json_schema_extra={"type": "array", "items": {"type": "string"}},
                             description="部门代码；第一个为牵头部门（须为调用者所在部门）")
    items: Any = Field(None, json_schema_extra={"type": "array", "items": {"type": "string"}},
                       description="抽查事项代码（已公布的事项清单）")
    scope: Any = Field(None, json_schema_extra={"type": "object"}, description="regions, industries, entity_types")
    strata: Any = Field(None, json_schema_extra={"type": "object"},
                        description="general / foreign / heightened: {\"ratio\": \"0.03\"} 或 {\"count\": 12}")
    complaint_threshold: Any = Field(None, json_schema_extra={"type": "integer"})
    team_size: Any = Field(None, json_schema_extra={"type": "integer"})
    capacity: Any = Field(None, json_schema_extra={"oneOf": [{"type": "integer"}, {"type": "object"}]})
    honour_exemptions: Any = Field(None, json_schema_extra={"type": "boolean"})
    starts_on: Any = Field(None, json_schema_extra={"type": "string", "format": "date"})
    ends_on: Any = Field(None, json_schema_extra={"type": "string", "format": "date"})

    def plan_file(self) -> dict[str, Any]:
        """Return the keys the caller sent, unknown ones included, for ``spec.validate``."""
        return self.model_dump(exclude_unset=True)


class PlanFileOut(Schema):
    """A plan as its plan file (spec/interfaces.md); ``capacity`` only when the plan sets it."""

    name: str
    year: int
    departments: list[str]
    items: list[str]
    scope: dict[str, list[str]]
    strata: dict[str, dict[str, Any]]
    complaint_threshold: int
    team_size: int
    capacity: int | dict[str, int] | None = None
    honour_exemptions: bool
    starts_on: date | None
    ends_on: date | None


class ParticipantOut(Schema):
    code: str
    name: str
    lead: bool
    confirmed_at: datetime | None
    confirmed_by: str


class PlanOut(Schema):
    id: int
    number: str
    name: str
    year: int
    status: str = Field(description="draft, submitted, approved, committed, drawn, closed")
    status_label: str
    lead_department: str
    departments: list[ParticipantOut]
    author: str
    submitted_at: datetime | None
    approved_at: datetime | None
    approved_by: str
    updated_at: datetime
    plan_file: PlanFileOut

    @staticmethod
    def resolve_status_label(plan: Plan) -> str:
        return str(plan.get_status_display())

    @staticmethod
    def resolve_lead_department(plan: Plan) -> str:
        return plan.lead_department.code

    @staticmethod
    def resolve_departments(plan: Plan) -> list[dict[str, Any]]:
        return [{"code": p.department.code, "name": p.department.name, "lead": p.position == 0,
                 "confirmed_at": p.confirmed_at, "confirmed_by": p.confirmed_by_name}
                for p in sorted(plan.participants.all(), key=lambda p: p.position)]

    @staticmethod
    def resolve_author(plan: Plan) -> str:
        return plan.author_name

    @staticmethod
    def resolve_approved_by(plan: Plan) -> str:
        return plan.approved_by_name

    @staticmethod
    def resolve_plan_file(plan: Plan) -> dict[str, Any]:
        return plan.to_file()


class ReasonIn(Schema):
    reason: str = Field(description="退回理由")


# --- Helpers shared by the cycle's routers ---------------------------------------------------------


def staff(request: TokenRequest) -> Any:
    """Return the caller when they are staff (the plan and task pages' rule); a witness gets 403."""
    return require_role(request, *STAFF_ROLES)


def plan_for(request: TokenRequest, plan_id: int) -> Plan:
    """Return a plan the caller's department takes part in (all for the coordinator), else 404."""
    plan = visible_plans(request.user).filter(pk=plan_id).first()
    if plan is None:
        raise Http404
    return plan


def transition(request: TokenRequest, plan_id: int, act: Callable[[Plan], Any], field: str = "") -> Plan:
    """Do ``act`` to a plan the caller sees (the plan's own method checks who and when); return it fresh."""
    staff(request)
    plan = plan_for(request, plan_id)
    try:
        act(plan)
    except WorkflowError as exc:
        refuse(exc, field)
    return fresh(plan)


def refuse(exc: WorkflowError, field: str = "") -> NoReturn:
    """Answer a refused transition: 403 who may not, 409 the wrong state, 422 what is missing."""
    refused(exc.status, exc.message, [{"field": field or "body", "message": exc.message}])


def fresh(plan: Plan) -> Plan:
    """Return the plan as it is now (after a transition), with what PlanOut reads."""
    return Plan.objects.select_related("lead_department").prefetch_related("participants__department").get(pk=plan.pk)


# --- Endpoints -----------------------------------------------------------------------------


@router.get("/plans", response={200: list[PlanOut], **documented(401, 403, 422)}, operation_id="plans_list",
            summary="Plans the caller's department takes part in (all for the coordinator), newest first")
@paginate(LimitOffsetPagination)
def list_plans(request: TokenRequest, status: PlanStatus | None = None) -> Any:
    staff(request)
    plans = visible_plans(request.user).prefetch_related("participants__department")
    if status:
        plans = plans.filter(status=status)
    return plans.order_by("-year", "-pk")


@router.get("/plans/{plan_id}", response={200: PlanOut, **documented(401, 403, 404, 422)}, operation_id="plans_get",
            summary="One plan: its state, departments and confirmations, and its plan file")
def get_plan(request: TokenRequest, plan_id: int) -> Any:
    staff(request)
    return fresh(plan_for(request, plan_id))


@router.post("/plans", response={201: PlanOut, **documented(401, 403, 422)}, operation_id="plans_create",
             summary="Create a draft plan from a plan file (the caller's department leads)")
def create(request: TokenRequest, payload: PlanFileIn) -> Any:
    user = require_role(request, Role.DEPT_ADMIN)
    clean, problems = spec.validate(payload.plan_file(), spec_context())
    if problems:
        raise ApiError(422, _("计划被拒绝"), fields=problems.as_list())
    lead = Department.objects.filter(pk=user.department_id).values_list("code", flat=True).first()
    if clean["departments"][0] != lead:
        raise PermissionDenied(_("只能创建本部门牵头的计划（departments 的第一个部门为牵头部门）"))
    plan = create_plan(clean, user)
    return Status(201, fresh(plan))


@router.post("/plans/{plan_id}/submit", response={200: PlanOut, **documented(401, 403, 404, 409, 422)},
             operation_id="plans_submit", summary="Submit a draft for approval (the lead department's administrator)")
def submit(request: TokenRequest, plan_id: int) -> Any:
    return transition(request, plan_id, lambda plan: plan.submit(request.user))


@router.post("/plans/{plan_id}/withdraw", response={200: PlanOut, **documented(401, 403, 404, 409, 422)},
             operation_id="plans_withdraw", summary="Take a submitted plan back to draft (its author)")
def withdraw(request: TokenRequest, plan_id: int) -> Any:
    return transition(request, plan_id, lambda plan: plan.withdraw(request.user))


@router.post("/plans/{plan_id}/approve", response={200: PlanOut, **documented(401, 403, 404, 409, 422)},
             operation_id="plans_approve",
             summary="Approve a submitted plan (经本单位负责人批准: a head of the lead department, not its author)")
def approve(request: TokenRequest, plan_id: int) -> Any:
    return transition(request, plan_id, lambda plan: plan.approve(request.user))


@router.post("/plans/{plan_id}/return", response={200: PlanOut, **documented(401, 403, 404, 409, 422)},
             operation_id="plans_return", summary="Return a submitted plan to draft with a reason (a head of the lead department)")
def return_plan(request: TokenRequest, plan_id: int, payload: ReasonIn) -> Any:
    return transition(request, plan_id, lambda plan: plan.return_to_draft(request.user, payload.reason),
                      field="reason")


@router.post("/plans/{plan_id}/confirm", response={200: PlanOut, **documented(401, 403, 404, 409, 422)},
             operation_id="plans_confirm",
             summary="Confirm the caller's department's part in a joint plan (its administrator or head)")
def confirm(request: TokenRequest, plan_id: int) -> Any:
    user = staff(request)
    plan = plan_for(request, plan_id)
    department = Department.objects.filter(pk=user.department_id).first()
    if department is None:
        raise PermissionDenied(_("只能由该部门的管理员或负责人确认"))
    try:
        plan.confirm(user, department)
    except WorkflowError as exc:
        refuse(exc)
    return fresh(plan)


@router.get("/plans/{plan_id}/export", response={200: PlanFileOut, **documented(401, 403, 404, 422)},
            operation_id="plans_export", exclude_unset=True,
            summary="The plan as its plan file (JSON), as `spotcheck plan_export` writes it")
def export(request: TokenRequest, plan_id: int) -> Any:
    staff(request)
    return plan_for(request, plan_id).to_file()
