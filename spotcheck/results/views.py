"""Field work, review, follow-up and corrections (staff): thin pages over spotcheck.results.service.

Who may see a task is decided here, in ``task_for``: its team, a head or
administrator of a participating department, and the coordinator; anyone else
gets 404. Who may change what is the service's to say: its refusals become 403
or 404, or the page again with the reason beside each field.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from spotcheck.accounts.access import AuthedRequest, roles, staff
from spotcheck.accounts.models import Role
from spotcheck.catalog.lists import published_items
from spotcheck.catalog.models import Method
from spotcheck.directory.models import Department
from spotcheck.inspections.models import Task, TaskMember, TaskStatus
from spotcheck.results import service
from spotcheck.results.models import Attachment, Category, FollowUp, FollowUpRecord, Result, Sample
from spotcheck.results.selectors import overdue_tasks
from spotcheck.results.service import EDITABLE, ResultRefused

READERS = (Role.DEPT_ADMIN, Role.DEPT_HEAD)
MAP_SEARCH = "https://uri.amap.com/search"  # 高德地图: opens the app on a phone, the web map elsewhere


def task_for(request: AuthedRequest, pk: int, *, entry: bool = False) -> Task:
    """Return a task the user may see, else 404.

    The team, the coordinator and a head or administrator of a participating
    department read it. With ``entry``, an inspector of a participating
    department passes too, so that the service can answer that only the team
    enters results (403); inspectors of other departments never learn the task exists.
    """
    task = (Task.objects.select_related("plan__lead_department", "entity__region", "commitment")
            .filter(pk=pk).first())
    if task is None:
        raise Http404
    user = request.user
    if user.role == Role.COORDINATOR or service.membership(task, user) is not None:
        return task
    if user.department_id and (user.role in READERS or (entry and user.role == Role.INSPECTOR)):
        if task.plan.participants.filter(department_id=user.department_id).exists():
            return task
    raise Http404


def _deny(exc: ResultRefused) -> None:
    """Raise the service's refusal of who you are (403) or of what you named (404)."""
    if exc.status == 403:
        raise PermissionDenied(exc.message)
    if exc.status == 404:
        raise Http404(exc.message)


def _require_team(task: Task, user: Any) -> None:
    """Refuse a non-member before the service reads the data (samples, uploads): 403 whatever was sent."""
    if service.membership(task, user) is None:
        raise PermissionDenied(_("只有检查组成员可以录入检查结果"))


def _task_url(task: Task, anchor: str = "") -> str:
    return reverse("results:task", args=[task.pk]) + (f"#{anchor}" if anchor else "")


def _entry_data(request: AuthedRequest) -> dict[str, Any]:
    """Return an item's fields from a form post or a JSON body (the autosave may send either)."""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise ResultRefused(_("请求格式有误"), 400) from None
        if not isinstance(body, dict):
            raise ResultRefused(_("请求格式有误"), 400)
        data = {name: body.get(name, "") for name in service.ENTRY_FIELDS}
        data["inspectors"] = body.get("inspectors") or []
        return data
    post = request.POST
    data = {name: post.get(name, "") for name in service.ENTRY_FIELDS}
    data["inspectors"] = post.getlist("inspectors")
    return data


def _missing(task: Task, names: dict[str, str]) -> list[str]:
    """Return what keeps the task from being submitted, one line per item."""
    return [f"{code} {names.get(code, '')}：{'；'.join(errors.values())}"
            for code, errors in service.missing_items(task).items()]


# --- The task page --------------------------------------------------------------------------


@dataclass
class Bound:
    """A form of the page posted without JavaScript and refused: its values and reasons."""

    kind: str  # entry, sample, attachment, review, follow_up
    item: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class ItemBlock:
    """One item of the task as the page shows it."""

    code: str
    item: Any
    department: Department | None
    results: list[Result]  # the original first, then its corrections in order
    editable: bool
    values: dict[str, Any]
    errors: dict[str, str]
    methods: list[tuple[str, str]]
    sample_values: dict[str, Any] = field(default_factory=dict)
    sample_errors: dict[str, str] = field(default_factory=dict)
    attachment_errors: dict[str, str] = field(default_factory=dict)

    @property
    def original(self) -> Result | None:
        return self.results[0] if self.results else None


def _form_values(result: Result | None, team: list[str]) -> dict[str, Any]:
    if result is None:
        return {"method": "", "inspected_on": "", "checked": "", "findings": "", "category": "",
                "follow_up": "", "inspectors": team}
    return {"method": result.method, "checked": result.checked, "findings": result.findings,
            "inspected_on": result.inspected_on.isoformat() if result.inspected_on else "",
            "category": result.category, "follow_up": result.follow_up, "inspectors": list(result.inspectors)}


def _blocks(task: Task, user: Any, team: list[str], bound: Bound | None) -> list[ItemBlock]:
    items = published_items(task.items)
    owners = service.item_departments(task)
    departments = Department.objects.in_bulk(set(owners.values()), field_name="code")
    results = list(task.results.prefetch_related("samples", "attachments").order_by("pk"))
    corrected = {r.corrects_id for r in results if r.corrects_id}
    mine = set(service.items_for(task, user)) if task.status in EDITABLE else set()
    blocks = []
    for code in task.items:
        item = items[code][1] if code in items else None
        chain = [r for r in results if r.item_code == code]
        for r in chain:
            r.current = r.pk not in corrected  # type: ignore[attr-defined]
            r.may_correct = (task.status == TaskStatus.PUBLISHED and r.published_at is not None  # type: ignore[attr-defined]
                             and r.current and service.may_correct(task, r, user))  # type: ignore[attr-defined]
        block = ItemBlock(code=code, item=item, department=departments.get(owners[code]), results=chain,
                          editable=code in mine, values=_form_values(chain[0] if chain else None, team),
                          errors={}, methods=[(m, str(Method(m).label)) for m in (item.methods if item else [])
                                              if m in Method.values])
        if bound and bound.item == code:
            if bound.kind == "entry":
                block.values, block.errors = bound.values, bound.errors
            elif bound.kind == "sample":
                block.sample_values, block.sample_errors = bound.values, bound.errors
            elif bound.kind == "attachment":
                block.attachment_errors = bound.errors
        blocks.append(block)
    return blocks


def _map_url(task: Task) -> str:
    address = task.entity.address.strip()
    if not address:
        return ""
    return f"{MAP_SEARCH}?{urlencode({'keyword': address, 'city': '重庆'})}"


def _detail(request: AuthedRequest, task: Task, bound: Bound | None = None, status: int = 200) -> HttpResponse:
    user = request.user
    members = list(task.members.select_related("inspector__department").order_by("position"))
    team = [m.inspector.cert_no for m in members]
    blocks = _blocks(task, user, team, bound)
    me = next((m for m in members if m.inspector_id == getattr(user, "inspector_id", None)), None)
    start, end = service.plan_period(task)
    today = timezone.localdate()
    may_submit = me is not None and me.position == 0 and task.status in EDITABLE
    item_names = {b.code: b.item.name if b.item else "" for b in blocks}
    open_problems = service.open_problems(task) if task.status == TaskStatus.PUBLISHED else []
    return render(request, "results/task.html", {
        "task": task, "plan": task.plan, "entity": task.entity, "members": members, "me": me,
        "blocks": blocks, "period": (start, end), "date_max": min(today, end).isoformat(),
        "date_min": start.isoformat(), "map_url": _map_url(task),
        "categories": Category.choices, "follow_ups": FollowUp.choices,
        "editable": any(b.editable for b in blocks),
        "may_submit": may_submit, "missing": _missing(task, item_names) if may_submit else [],
        "names": {m.inspector.cert_no: m.inspector.name for m in members},
        "may_review": task.status == TaskStatus.ENTERED and service.is_reviewer(task, user),
        "reviews": task.reviews.order_by("pk"),
        "follow_up_records": task.follow_ups.order_by("pk"), "open_problems": open_problems,
        "may_follow_up": bool(open_problems) and service.may_follow_up(task, user),
        "attachment_max_mb": settings.SPOTCHECK["attachment_max_mb"],
        "bound": bound, "today": today.isoformat(), "default_done_by": _display_name(user),
    }, status=status)


def _display_name(user: Any) -> str:
    inspector = getattr(user, "inspector", None)
    return inspector.name if inspector is not None else str(user)


@staff
def task_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Show a task: the entity, the team, the plan and each item; forms for what the user may do."""
    return _detail(request, task_for(request, pk))


# --- Entry ----------------------------------------------------------------------------------


@require_POST
@staff
def save_item(request: AuthedRequest, pk: int, item: str) -> HttpResponseBase:
    """Save one item's result from the page's form (the page without JavaScript posts here)."""
    task = task_for(request, pk, entry=True)
    data: dict[str, Any] = {}
    try:
        data = _entry_data(request)
        service.save_entry(task, item, data, request.user)
    except ResultRefused as exc:
        _deny(exc)
        messages.error(request, exc.message)
        if exc.errors:
            return _detail(request, task, Bound("entry", item, data, exc.errors), status=exc.status)
        return redirect(_task_url(task, f"item-{item}"))
    messages.success(request, _("已保存事项 %(item)s 的检查结果") % {"item": item})
    return redirect(_task_url(task, f"item-{item}"))


@require_POST
@staff
def autosave(request: AuthedRequest, pk: int, item: str) -> HttpResponseBase:
    """Save one item's result as the inspector types; answer JSON ``{ok, saved_at, errors}``.

    ``missing`` lists what still keeps the task from submission, for the leader's button.
    """
    task = task_for(request, pk, entry=True)
    try:
        result = service.save_entry(task, item, _entry_data(request), request.user)
    except ResultRefused as exc:
        return JsonResponse({"ok": False, "saved_at": None, "message": exc.message, "errors": exc.errors},
                            status=exc.status)
    member = service.membership(task, request.user)
    missing = None
    if member is not None and member.position == 0:
        items = published_items(task.items)
        missing = _missing(task, {code: found[1].name for code, found in items.items()})
    return JsonResponse({"ok": True, "saved_at": timezone.localtime(result.updated_at).isoformat(),
                         "errors": {}, "missing": missing})


SAMPLE_FIELDS = ("product", "specification", "quantity", "price_paid", "testing_body", "report_no", "test_result")


@require_POST
@staff
def add_sample(request: AuthedRequest, pk: int, item: str) -> HttpResponseBase:
    """Record a sample bought at cost for laboratory testing (抽样检验)."""
    task = task_for(request, pk, entry=True)
    _require_team(task, request.user)
    data = {name: request.POST.get(name, "") for name in SAMPLE_FIELDS}
    try:
        service.add_sample(task, item, data, request.user)
    except ResultRefused as exc:
        _deny(exc)
        messages.error(request, exc.message)
        if exc.errors:
            return _detail(request, task, Bound("sample", item, data, exc.errors), status=exc.status)
        return redirect(_task_url(task, f"item-{item}"))
    messages.success(request, _("已记录抽样检验：%(product)s") % {"product": data["product"]})
    return redirect(_task_url(task, f"item-{item}"))


@require_POST
@staff
def add_attachments(request: AuthedRequest, pk: int, item: str) -> HttpResponseBase:
    """Keep the photos and PDFs of an item's result (each checked by its content and size)."""
    task = task_for(request, pk, entry=True)
    _require_team(task, request.user)
    uploads = request.FILES.getlist("file")
    if not uploads:
        messages.error(request, _("请选择要上传的照片或PDF文件"))
        return _detail(request, task, Bound("attachment", item, {}, {"file": _("请选择文件")}), status=400)
    kept = 0
    for upload in uploads:
        try:
            service.add_attachment(task, item, upload, request.user)
        except ResultRefused as exc:
            _deny(exc)
            messages.error(request, exc.message)
            if kept:
                messages.success(request, _("已上传 %(n)d 个附件") % {"n": kept})
            return _detail(request, task, Bound("attachment", item, {}, exc.errors or {"file": exc.message}),
                           status=exc.status)
        kept += 1
    messages.success(request, _("已上传 %(n)d 个附件") % {"n": kept})
    return redirect(_task_url(task, f"item-{item}"))


def _remove(request: AuthedRequest, pk: int, remove: Callable[[Task], Sample | Attachment],
            done: Callable[[Any], str]) -> HttpResponseBase:
    """Remove a sample or an attachment (a team member, the box "确认删除" ticked), then back to its item."""
    task = task_for(request, pk, entry=True)
    _require_team(task, request.user)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("请勾选“确认删除”后再删除"))
        return redirect(_task_url(task))
    try:
        removed = remove(task)
    except ResultRefused as exc:
        _deny(exc)
        messages.error(request, exc.message)
        return redirect(_task_url(task))
    messages.success(request, done(removed))
    return redirect(_task_url(task, f"item-{removed.result.item_code}"))


@require_POST
@staff
def remove_sample(request: AuthedRequest, pk: int, sample_id: int) -> HttpResponseBase:
    """Remove a sample recorded by mistake, while the team still enters the results."""
    return _remove(request, pk, lambda task: service.remove_sample(task, sample_id, request.user),
                   lambda s: _("已删除抽样记录：%(product)s") % {"product": s.product})


@require_POST
@staff
def remove_attachment(request: AuthedRequest, pk: int, attachment_id: int) -> HttpResponseBase:
    """Remove an attachment uploaded by mistake, while the team still enters the results."""
    return _remove(request, pk, lambda task: service.remove_attachment(task, attachment_id, request.user),
                   lambda a: _("已删除附件：%(name)s") % {"name": a.name})


@staff
def attachment(request: AuthedRequest, pk: int, attachment_id: int) -> HttpResponseBase:
    """Return an attachment of a task the user may see (a photo inline, a PDF as a download)."""
    task = task_for(request, pk)
    kept = get_object_or_404(Attachment, pk=attachment_id, result__task=task)
    return FileResponse(kept.file.open("rb"), content_type=kept.content_type,
                        as_attachment=kept.content_type == "application/pdf", filename=kept.name)


# --- Submission and review --------------------------------------------------------------------


@require_POST
@staff
def submit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Submit the task's results for review (the team leader)."""
    task = task_for(request, pk)
    try:
        service.submit(task, request.user)
    except ResultRefused as exc:
        _deny(exc)
        messages.error(request, exc.message)
        return redirect(_task_url(task))
    messages.success(request, _("已提交审核"))
    return redirect(_task_url(task))


@require_POST
@staff
def review(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Approve and publish a submitted task, or return it with a reason (a head of the lead department)."""
    task = task_for(request, pk)
    decision = request.POST.get("decision")
    reason = request.POST.get("reason", "")
    try:
        if decision == "approve":
            service.approve(task, request.user)
        elif decision == "return":
            service.return_task(task, request.user, reason)
        else:
            raise ResultRefused(_("请选择审核通过或退回"), 400)
    except ResultRefused as exc:
        _deny(exc)
        messages.error(request, exc.message)
        if exc.errors:
            return _detail(request, task, Bound("review", "", {"reason": reason}, exc.errors), status=exc.status)
        return redirect(_task_url(task))
    messages.success(request, _("审核通过，检查结果已公示") if decision == "approve" else _("已退回检查组修改"))
    return redirect(_task_url(task))


# --- Follow-up and corrections ----------------------------------------------------------------


@require_POST
@staff
def follow_up(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Record that the follow-up of the task's problem results is done (what, when, by whom, a document)."""
    task = task_for(request, pk)
    values = {name: request.POST.get(name, "") for name in ("action", "done_on", "done_by")}
    try:
        service.record_follow_up(task, request.user, document=request.FILES.get("document"), **values)
    except ResultRefused as exc:
        _deny(exc)
        messages.error(request, exc.message)
        if exc.errors:
            return _detail(request, task, Bound("follow_up", "", values, exc.errors), status=exc.status)
        return redirect(_task_url(task, "follow-up"))
    messages.success(request, _("已记录后续处置"))
    return redirect(_task_url(task, "follow-up"))


@staff
def follow_up_document(request: AuthedRequest, pk: int, record_id: int) -> HttpResponseBase:
    task = task_for(request, pk)
    record = get_object_or_404(FollowUpRecord, pk=record_id, task=task)
    if not record.document:
        raise Http404
    return FileResponse(record.document.open("rb"), as_attachment=True,
                        filename=record.document_name or str(record.document.name).rsplit("/", 1)[-1])


@staff
def correct(request: AuthedRequest, pk: int, result_id: int) -> HttpResponseBase:
    """Correct a published result (更正): a new entry linked to the old, with a reason."""
    task = task_for(request, pk)
    result = get_object_or_404(Result, pk=result_id, task=task)
    if not service.may_correct(task, result, request.user):
        raise PermissionDenied(_("只有负责人可以更正已公示的检查结果"))
    if request.method != "POST" and (result.published_at is None or Result.objects.filter(corrects=result).exists()):
        messages.error(request, _("只能更正已公示且未被更正的检查结果"))
        return redirect(_task_url(task, f"result-{result.pk}"))
    members = list(task.members.select_related("inspector__department").order_by("position"))
    values = _form_values(result, [])
    errors: dict[str, str] = {}
    reason = ""
    status = 200
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        try:
            values = _entry_data(request)
            new = service.correct(result, values, request.user, reason)
        except ResultRefused as exc:
            _deny(exc)
            messages.error(request, exc.message)
            errors, status = exc.errors, exc.status
        else:
            messages.success(request, _("已更正并公示，原记录保留"))
            return redirect(_task_url(task, f"result-{new.pk}"))
    items = published_items([result.item_code])
    item = items[result.item_code][1] if result.item_code in items else None
    start, end = service.plan_period(task)
    return render(request, "results/correct.html", {
        "task": task, "result": result, "item": item, "values": values, "errors": errors, "reason": reason,
        "members": members, "methods": [(m, str(Method(m).label)) for m in (item.methods if item else [])
                                        if m in Method.values],
        "categories": Category.choices, "follow_ups": FollowUp.choices,
        "date_min": start.isoformat(), "date_max": min(timezone.localdate(), end).isoformat(),
    }, status=status)


# --- Lists ------------------------------------------------------------------------------------


@roles(Role.INSPECTOR)
def my_tasks(request: AuthedRequest) -> HttpResponseBase:
    """我的任务: the tasks the inspector's teams are sent to, newest plans first."""
    inspector_id = request.user.inspector_id or 0  # a login without an inspector record has no tasks
    position = TaskMember.objects.filter(task=OuterRef("pk"), inspector_id=inspector_id).values("position")[:1]
    tasks = (Task.objects.filter(members__inspector_id=inspector_id)
             .annotate(my_position=Subquery(position))
             .select_related("entity__region", "plan__lead_department")
             .order_by("-plan__year", "-plan_id", "order"))
    page = Paginator(tasks, 50).get_page(request.GET.get("page"))
    return render(request, "results/my_tasks.html", {"page": page, "tasks": page.object_list,
                                                     "linked": bool(inspector_id)})


@roles(Role.DEPT_HEAD)
def review_queue(request: AuthedRequest) -> HttpResponseBase:
    """Tasks submitted for review in the plans the head's department leads, oldest first."""
    tasks = (Task.objects.filter(status=TaskStatus.ENTERED, plan__lead_department_id=request.user.department_id)
             .select_related("entity", "plan").order_by("submitted_at", "pk"))
    page = Paginator(tasks, 50).get_page(request.GET.get("page"))
    return render(request, "results/review_queue.html", {"page": page, "tasks": page.object_list})


@roles(Role.COORDINATOR, Role.DEPT_ADMIN, Role.DEPT_HEAD)
def overdue(request: AuthedRequest) -> HttpResponseBase:
    """Results not published within ``publish_within_days`` (R7), oldest first: the department's, or all."""
    district = request.user.role == Role.COORDINATOR
    days = settings.SPOTCHECK["publish_within_days"]
    tasks = overdue_tasks(None if district else request.user.department_id)
    page = Paginator(tasks.prefetch_related("plan__participants__department"), 50).get_page(
        request.GET.get("page"))
    today = timezone.localdate()
    for task in page.object_list:
        task.days_overdue = (today - task.last_inspected).days - days  # type: ignore[attr-defined]
    return render(request, "results/overdue.html", {"page": page, "tasks": page.object_list,
                                                    "district": district, "days": days})
