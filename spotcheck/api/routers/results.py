"""Tasks and results (检查任务、检查结果) through the API: read, enter, submit, review, follow up, correct.

Every change is a call of spotcheck.results.service, which locks the task, checks who
may make the change and from which state, validates the fields as the entry form and
the results sheet do, and writes the audit entry. Who sees a task is the task page's
rule: its team, an administrator or head of a participating department, the coordinator.
"""


from datetime import date, datetime
from typing import Any, Literal, NoReturn

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from spotcheck.accounts.models import Role
from spotcheck.api.api import require_role
from spotcheck.api.auth import TokenRequest
from spotcheck.api.errors import documented, refused
from spotcheck.api.routers.plans import staff
from spotcheck.catalog.lists import published_items
from spotcheck.inspections.models import Task, TaskStatus
from spotcheck.results import service
from spotcheck.results.models import Result
from spotcheck.results.service import ResultRefused

router = Router(tags=["tasks and results"])

READERS = (Role.DEPT_ADMIN, Role.DEPT_HEAD)


# --- Schemas ---------------------------------------------------------------------------------


class TaskSummaryOut(Schema):
    id: int
    plan_id: int
    plan_number: str
    order: int
    entity: str = Field(description="统一社会信用代码")
    entity_name: str
    stratum: str
    status: str = Field(description="pending, entered, returned, approved, published, archived, cancelled")
    submitted_at: datetime | None
    published_at: datetime | None

    @staticmethod
    def resolve_plan_number(task: Task) -> str:
        return task.plan.number

    @staticmethod
    def resolve_entity(task: Task) -> str:
        return task.entity.uscc

    @staticmethod
    def resolve_entity_name(task: Task) -> str:
        return task.entity.name


class ResultOut(Schema):
    id: int
    item_code: str
    department: str
    method: str
    inspected_on: date | None
    checked: str
    findings: str
    category: str
    follow_up: str
    inspectors: list[str] = Field(description="检查人员执法证号")
    entered_by: str
    updated_at: datetime
    published_at: datetime | None
    corrects: int | None = Field(description="更正的原结果编号")
    correction_reason: str

    @staticmethod
    def resolve_department(result: Result) -> str:
        return result.department.code

    @staticmethod
    def resolve_corrects(result: Result) -> int | None:
        return result.corrects_id


class TaskItemOut(Schema):
    code: str
    name: str
    department: str
    methods: list[str]


class MemberOut(Schema):
    cert_no: str
    name: str
    department: str
    leader: bool


class ReviewOut(Schema):
    decision: str
    reason: str
    reviewer: str
    at: datetime


class FollowUpOut(Schema):
    id: int
    action: str
    done_on: date
    done_by: str
    recorded_by: str
    recorded_at: datetime


class TaskOut(TaskSummaryOut):
    plan_name: str
    ticket: str
    items: list[TaskItemOut]
    team: list[MemberOut] = Field(description="检查组，组长在前")
    results: list[ResultOut] = Field(description="各事项的结果；已公示结果的更正排在原结果之后")
    submitted_by: str
    completed_on: date | None
    return_reason: str
    approved_at: datetime | None
    approved_by: str
    reviews: list[ReviewOut]
    follow_ups: list[FollowUpOut]
    open_follow_up: bool = Field(description="有待记录完成的后续处置")

    @staticmethod
    def resolve_plan_name(task: Task) -> str:
        return task.plan.name

    @staticmethod
    def resolve_items(task: Task) -> list[dict[str, Any]]:
        found = published_items(task.items)
        owners = service.item_departments(task)
        return [{"code": code, "name": found[code][1].name if code in found else "", "department": owners[code],
                 "methods": list(found[code][1].methods) if code in found else []} for code in task.items]

    @staticmethod
    def resolve_team(task: Task) -> list[dict[str, Any]]:
        members = task.members.select_related("inspector__department").order_by("position")
        return [{"cert_no": m.inspector.cert_no, "name": m.inspector.name, "department": m.inspector.department.code,
                 "leader": m.position == 0} for m in members]

    @staticmethod
    def resolve_results(task: Task) -> list[Result]:
        return list(task.results.select_related("department").order_by("item_code", "pk"))

    @staticmethod
    def resolve_reviews(task: Task) -> list[Any]:
        return list(task.reviews.order_by("pk"))

    @staticmethod
    def resolve_follow_ups(task: Task) -> list[Any]:
        return list(task.follow_ups.order_by("pk"))

    @staticmethod
    def resolve_open_follow_up(task: Task) -> bool:
        return task.status == TaskStatus.PUBLISHED and bool(service.open_problems(task))


class EntryIn(Schema):
    """One item's result, as the entry form and the results sheet take it: codes or their Chinese labels."""

    method: str = Field("", description="检查方式：该事项的抽查方式之一（代码或中文）")
    inspected_on: str | None = Field(None, description="检查日期 YYYY-MM-DD：在计划实施期间内且不晚于今天")
    checked: str = Field("", description="检查内容")
    findings: str = Field("", description="检查发现（发现问题时必填）")
    category: str = Field("", description="检查结果（rules.md R6 的代码或中文）")
    follow_up: str = Field("", description="后续处置（发现问题时必填）")
    inspectors: list[str] = Field(default_factory=list, description="检查人员执法证号，须为本任务检查组成员；不给则为全组")

    def data(self) -> dict[str, Any]:
        return self.model_dump()


class CorrectionIn(EntryIn):
    reason: str = Field("", description="更正原因")


class ReviewIn(Schema):
    decision: Literal["approve", "return"]
    reason: str = Field("", description="退回理由（退回时必填）")


class FollowUpIn(Schema):
    action: str = Field("", description="处置情况")
    done_on: str = Field("", description="完成日期 YYYY-MM-DD，不晚于今天")
    done_by: str = Field("", description="处置人（不给则为调用者）")


# --- Helpers ---------------------------------------------------------------------------------


def readable_tasks(user: Any) -> QuerySet[Task]:
    """Tasks the caller reads: all for the coordinator; their teams'; their department's plans' for an
    administrator or head (the task page's rule)."""
    tasks = Task.objects.select_related("plan", "entity")
    if user.role == Role.COORDINATOR:
        return tasks
    seen = Q(pk__in=[])
    if user.inspector_id is not None:
        seen |= Q(members__inspector_id=user.inspector_id)
    if user.role in READERS and user.department_id is not None:
        seen |= Q(plan__participants__department_id=user.department_id)
    return tasks.filter(seen).distinct()


def task_for(request: TokenRequest, task_id: int, *, entry: bool = False) -> Task:
    """Return a task the caller reads, else 404.

    With ``entry``, an inspector of a participating department passes too, so that the
    service answers that only the team enters results (403), as the task page does.
    """
    user = request.user
    task = readable_tasks(user).filter(pk=task_id).first()
    if task is None and entry and user.role == Role.INSPECTOR and user.department_id is not None:
        task = Task.objects.filter(pk=task_id, plan__participants__department_id=user.department_id).first()
    if task is None:
        raise Http404
    return task


def refuse(exc: ResultRefused, prefix: str = "") -> NoReturn:
    """Answer the service's refusal: 403 who, 404 what was named, 409 the state, 422 the fields."""
    refused(exc.status, exc.message, [{"field": f"{prefix}{name}" if name else "body", "message": message}
                                      for name, message in exc.errors.items()])


def fresh(task: Task) -> Task:
    return Task.objects.select_related("plan__lead_department", "entity").get(pk=task.pk)


# --- Endpoints -----------------------------------------------------------------------------


@router.get("/tasks", response={200: list[TaskSummaryOut], **documented(401, 403, 422)}, operation_id="tasks_list",
            summary="Tasks: an inspector's teams'; an administrator's or head's department's plans'; all for the coordinator")
@paginate(LimitOffsetPagination)
def list_tasks(request: TokenRequest, plan_id: int | None = None, status: TaskStatus | None = None) -> Any:
    staff(request)
    tasks = readable_tasks(request.user)
    if plan_id is not None:
        tasks = tasks.filter(plan_id=plan_id)
    if status:
        tasks = tasks.filter(status=status)
    return tasks.order_by("-plan__year", "plan_id", "order", "pk")


@router.get("/tasks/{task_id}", response={200: TaskOut, **documented(401, 403, 404, 422)}, operation_id="tasks_get",
            summary="One task: the entity, the team (leader first), the items and their results, reviews, follow-ups")
def get_task(request: TokenRequest, task_id: int) -> Any:
    staff(request)
    return fresh(task_for(request, task_id))


@router.put("/tasks/{task_id}/items/{item_code}/result",
            response={200: ResultOut, **documented(401, 403, 404, 409, 422)}, operation_id="results_enter",
            summary="Save one item's result (a team member of the item's department); a draft may be incomplete")
def enter(request: TokenRequest, task_id: int, item_code: str, payload: EntryIn) -> Any:
    staff(request)
    task = task_for(request, task_id, entry=True)
    try:
        return service.save_entry(task, item_code, payload.data(), request.user)
    except ResultRefused as exc:
        refuse(exc)


@router.post("/tasks/{task_id}/submit", response={200: TaskOut, **documented(401, 403, 404, 409, 422)},
             operation_id="results_submit",
             summary="Submit the task's results for review (the team leader); each incomplete item is named")
def submit(request: TokenRequest, task_id: int) -> Any:
    staff(request)
    task = task_for(request, task_id)
    try:
        service.submit(task, request.user)
    except ResultRefused as exc:
        refuse(exc, "items.")
    return fresh(task)


@router.post("/tasks/{task_id}/review", response={200: TaskOut, **documented(401, 403, 404, 409, 422)},
             operation_id="results_review",
             summary="Approve and publish a submitted task, or return it with a reason (a head of the lead department)")
def review(request: TokenRequest, task_id: int, payload: ReviewIn) -> Any:
    require_role(request, Role.DEPT_HEAD)
    task = task_for(request, task_id)
    try:
        if payload.decision == "approve":
            service.approve(task, request.user)
        else:
            service.return_task(task, request.user, payload.reason)
    except ResultRefused as exc:
        refuse(exc)
    return fresh(task)


@router.post("/tasks/{task_id}/follow-up", response={201: FollowUpOut, **documented(401, 403, 404, 409, 422)},
             operation_id="results_follow_up",
             summary="Record that the follow-up of a published task's problem results is done")
def follow_up(request: TokenRequest, task_id: int, payload: FollowUpIn) -> Any:
    staff(request)
    task = task_for(request, task_id)
    try:
        done = service.record_follow_up(task, request.user, action=payload.action, done_on=payload.done_on,
                                        done_by=payload.done_by)
    except ResultRefused as exc:
        refuse(exc)
    return Status(201, done)


@router.post("/tasks/{task_id}/results/{result_id}/correction",
             response={201: ResultOut, **documented(401, 403, 404, 409, 422)}, operation_id="results_correct",
             summary="Correct a published result (更正): a new published entry linked to the old, with a reason")
def correct(request: TokenRequest, task_id: int, result_id: int, payload: CorrectionIn) -> Any:
    staff(request)
    task = task_for(request, task_id)
    result = get_object_or_404(Result, pk=result_id, task=task)
    data = payload.data()
    reason = data.pop("reason")
    try:
        new = service.correct(result, data, request.user, reason)
    except ResultRefused as exc:
        refuse(exc)
    return Status(201, Result.objects.select_related("department").get(pk=new.pk))
