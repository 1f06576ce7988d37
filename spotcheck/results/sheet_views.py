"""The results sheet on the web: download the template and upload a filled sheet, per plan and per task.

Who may: the lead department's administrators and heads (every task), the
plan's team members (their tasks; a task's rows are uploaded by its leader);
the coordinator and the other participating departments' administrators and
heads may download but not upload. Another department's plan or task is 404.
"""

from __future__ import annotations

import io

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from spotcheck.accounts.access import AuthedRequest, staff
from spotcheck.accounts.models import Role
from spotcheck.directory.forms import TableUploadForm
from spotcheck.inspections.models import Task
from spotcheck.plans.models import Plan
from spotcheck.results import service
from spotcheck.results.sheet import COLUMNS, FORMATS, import_sheet, open_tasks, write_template


class SheetForm(TableUploadForm):
    file = forms.FileField(label=gettext_lazy("填好的检查结果表（.xlsx 或 .csv）"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}))


def _visible_plan(user, pk: int) -> Plan:
    """Return a plan of the user's department (any plan for the coordinator), else 404."""
    plans = Plan.objects.select_related("lead_department")
    if not user.is_coordinator:
        plans = plans.filter(participants__department_id=user.department_id)
    plan = plans.filter(pk=pk).first()
    if plan is None:
        raise Http404
    return plan


def _reads_every_task(user, plan: Plan) -> bool:
    """The coordinator, or an administrator or head of a participating department (the plan is visible)."""
    return user.is_coordinator or user.role in (Role.DEPT_ADMIN, Role.DEPT_HEAD)


def _is_lead_staff(user, plan: Plan) -> bool:
    return user.role in (Role.DEPT_ADMIN, Role.DEPT_HEAD) and user.department_id == plan.lead_department_id


def _member_tasks(user, plan: Plan) -> QuerySet[Task]:
    if user.inspector_id is None:
        return plan.tasks.none()
    return plan.tasks.filter(members__inspector_id=user.inspector_id)


def _plan_tasks(user, plan: Plan) -> QuerySet[Task]:
    """Return the open tasks whose rows the user may download; 403 when none may be."""
    if _reads_every_task(user, plan):
        return open_tasks(plan)
    if not _member_tasks(user, plan).exists():
        raise PermissionDenied(_("只有牵头部门的工作人员和本计划检查组成员可以使用检查结果表"))
    return open_tasks(plan).filter(pk__in=_member_tasks(user, plan).values("pk"))


def _may_upload_plan(user, plan: Plan) -> bool:
    if _is_lead_staff(user, plan):
        return True
    return user.inspector_id is not None and plan.tasks.filter(members__inspector_id=user.inspector_id,
                                                               members__position=0).exists()


def _visible_task(user, pk: int) -> Task:
    task = Task.objects.select_related("plan__lead_department", "entity").filter(pk=pk).first()
    if task is None:
        raise Http404
    _visible_plan(user, task.plan_id)
    if not (_reads_every_task(user, task.plan) or service.membership(task, user) is not None):
        raise PermissionDenied(_("只有牵头部门的工作人员和本任务检查组成员可以使用检查结果表"))
    return task


def _download(plan: Plan, tasks, fmt: str, name: str) -> FileResponse:
    if fmt not in FORMATS:
        raise Http404
    buffer = io.BytesIO()
    write_template(buffer, fmt, plan, list(tasks.select_related("entity")))
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename=f"{name}.{fmt}")


@staff
def plan_template(request: AuthedRequest, pk: int, fmt: str) -> HttpResponseBase:
    """Download the plan's results sheet: the open tasks the user may fill, one row per task and item."""
    plan = _visible_plan(request.user, pk)
    return _download(plan, _plan_tasks(request.user, plan), fmt, f"检查结果表-{plan.number}")


@staff
def task_template(request: AuthedRequest, pk: int, fmt: str) -> HttpResponseBase:
    """Download one task's results sheet (the phone page's offline form)."""
    task = _visible_task(request.user, pk)
    return _download(task.plan, Task.objects.filter(pk=task.pk), fmt,
                     f"检查结果表-{task.plan.number}-{task.order}")


def _upload(request: AuthedRequest, plan: Plan, task: Task | None, may_upload: bool,
            tasks: QuerySet[Task]) -> HttpResponseBase:
    form = SheetForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST":
        if not may_upload:
            raise PermissionDenied(_("只有任务的组长或牵头部门的管理员、负责人可以上传检查结果表"))
        if form.is_valid():
            outcome = import_sheet(plan, form.cleaned_data["file"], request.user, only=task)
            if outcome.ok:
                messages.success(request, _("已录入%(tasks)s个任务的%(entered)s条检查结果，已提交审核。") % {
                    "tasks": outcome.tasks, "entered": outcome.entered})
                return redirect(request.path)
            errors = outcome.lines()
    return render(request, "results/sheet.html", {
        "plan": plan, "task": task, "form": form, "errors": errors, "may_upload": may_upload,
        "tasks": tasks.select_related("entity"), "columns": COLUMNS,
    })


@staff
def plan_upload(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Upload a plan's filled results sheet, all or nothing; each bad row is listed as 第N行，列：原因."""
    plan = _visible_plan(request.user, pk)
    tasks = _plan_tasks(request.user, plan)
    return _upload(request, plan, None, _may_upload_plan(request.user, plan), tasks)


@staff
def task_upload(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Upload one task's filled sheet (its leader, or the lead department's administrators and heads)."""
    task = _visible_task(request.user, pk)
    return _upload(request, task.plan, task, service.may_enter_sheet(task, request.user),
                   Task.objects.filter(pk=task.pk))
