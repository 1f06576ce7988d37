"""The archive's pages (入卷归档): a task's record form as PDF, and the plan's archive with its ZIP."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from spotcheck.accounts.access import AuthedRequest, roles, sees_all_departments, staff
from spotcheck.accounts.models import Role
from spotcheck.plans.models import Plan
from spotcheck.results.archive import (
    RECORDED,
    STALE_AFTER,
    current_archive,
    may_archive,
    record_form_name,
    record_form_pdf,
    start_archive,
    undone_tasks,
)
from spotcheck.results.models import PlanArchive
from spotcheck.results.selectors import visible_tasks
from spotcheck.results.service import ResultRefused

SHOWN_UNDONE = 200


@staff
def task_pdf(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """A task's record form (随机抽查情况记录表), once its results are published."""
    task = get_object_or_404(visible_tasks(request.user).select_related("entity", "plan"), pk=pk)
    if task.status not in RECORDED:
        return render(request, "results/conflict.html", {
            "title": _("记录表尚不能打印"),
            "message": _("任务当前状态为“%(status)s”，检查结果公示后才能打印随机抽查情况记录表")
            % {"status": task.get_status_display()},
        }, status=409)
    response = HttpResponse(record_form_pdf(task), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="record-{task.plan_id}-{record_form_name(task)}"'
    return response


def _plan_for(request: AuthedRequest, pk: int) -> Plan:
    """The plan for its archive page: the lead department's administrator or head, or the coordinator.

    Another department's plan answers 404; a participating department's, 403.
    """
    plan = get_object_or_404(Plan.objects.select_related("lead_department"), pk=pk)
    user = request.user
    if sees_all_departments(user) or user.department_id == plan.lead_department_id:
        return plan
    if user.department_id is not None and plan.participants.filter(department_id=user.department_id).exists():
        raise PermissionDenied(_("只有牵头部门的管理员或负责人可以归档"))
    raise Http404


ARCHIVE_ROLES = (Role.COORDINATOR, Role.DEPT_ADMIN, Role.DEPT_HEAD)


@roles(*ARCHIVE_ROLES)
def plan_archive(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """The plan's archive: its state, the tasks not yet done, the 归档 button, progress, the ZIP."""
    plan = _plan_for(request, pk)
    if request.method == "POST":
        if not may_archive(plan, request.user):
            raise PermissionDenied(_("只有牵头部门的管理员或负责人可以归档"))
        try:
            started = start_archive(plan, request.user)
        except ResultRefused as refused:
            messages.error(request, refused.message)
        except Exception:  # the job keeps the failure and the log its cause
            messages.error(request, _("归档出错，请联系管理员"))
        else:
            if started.status == "done":
                messages.success(request, _("归档完成，计划已办结"))
            elif started.status == "refused":
                messages.error(request, started.error)
        return redirect("archive:plan", pk=plan.pk)
    built = current_archive(plan)
    job = plan.archives.first()
    running = job is not None and not job.finished and job.created_at > timezone.now() - STALE_AFTER
    undone = undone_tasks(plan) if built is None else []
    return render(request, "results/archive_plan.html", {
        "plan": plan, "built": built, "job": job, "running": running,
        "undone": undone[:SHOWN_UNDONE], "undone_count": len(undone),
        "task_count": plan.tasks.count(), "may_archive": may_archive(plan, request.user),
    })


@roles(*ARCHIVE_ROLES)
def plan_archive_status(request: AuthedRequest, pk: int) -> JsonResponse:
    """The latest archive job's progress (polled by progress.js)."""
    plan = _plan_for(request, pk)
    job: PlanArchive | None = plan.archives.first()
    if job is None:
        raise Http404
    return JsonResponse({"status": job.status, "done": job.done, "total": job.total, "percent": job.percent,
                         "finished": job.finished})


@roles(*ARCHIVE_ROLES)
def plan_zip(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """The plan's archive ZIP, once built."""
    plan = _plan_for(request, pk)
    built = current_archive(plan)
    if built is None or not built.file:
        raise Http404
    return FileResponse(built.file.open("rb"), as_attachment=True, filename=f"archive-plan-{plan.pk}.zip",
                        content_type="application/zip")

