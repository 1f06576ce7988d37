"""The service column's staff pages: each department's notices, written by its administrators.

Heads and inspectors read their department's notices (drafts included); the
coordinator reads and writes every department's.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from spotcheck.accounts.access import (
    AuthedRequest,
    get_for_user,
    may_write_department,
    scope,
    staff,
)
from spotcheck.directory.models import Department
from spotcheck.notices import selectors, service
from spotcheck.notices.downloads import download
from spotcheck.notices.forms import AttachmentForm, NoticeForm, WithdrawForm
from spotcheck.notices.markdown import render as render_markdown
from spotcheck.notices.models import Notice, NoticeAttachment, NoticeStatus
from spotcheck.notices.service import NoticeRefused

PAGE_SIZE = 50


def _notice(request: AuthedRequest, pk: int, *, write: bool = False) -> Notice:
    """Return a notice of the user's department: 404 for another's, 403 when the user only reads."""
    return get_for_user(Notice.objects.select_related("department"), request.user, write=write, pk=pk)


def _department_for_write(request: AuthedRequest, code: str) -> Department:
    department = get_object_or_404(Department, code=code)
    if not may_write_department(request.user, department.pk):
        if request.user.department_id == department.pk:
            raise PermissionDenied(gettext("您只能查看，不能修改"))
        raise Http404
    return department


def _refused(request: AuthedRequest, exc: NoticeRefused) -> None:
    if exc.status == 403:
        raise PermissionDenied(exc.message)
    if exc.status == 404:
        raise Http404(exc.message)
    messages.error(request, exc.message)


@staff
def manage(request: AuthedRequest) -> HttpResponseBase:
    """List the notices of the user's department (every department's for the coordinator)."""
    notices = scope(Notice.objects.select_related("department"), request.user).order_by("-created_at", "-pk")
    status = request.GET.get("status", "")
    if status in NoticeStatus.values:
        notices = notices.filter(status=status)
    departments = _writable(request)
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notices/manage.html", {
        "page": page, "notices": page.object_list, "status": status, "statuses": NoticeStatus.choices,
        "departments": departments, "query": f"status={status}" if status else "",
    })


def _writable(request: AuthedRequest) -> list[Department]:
    """Return the departments whose notices the user may write."""
    if request.user.is_coordinator:
        return list(Department.objects.order_by("code"))
    department_id = request.user.department_id
    if department_id is not None and may_write_department(request.user, department_id):
        return list(Department.objects.filter(pk=department_id))
    return []


@staff
def create(request: AuthedRequest, code: str) -> HttpResponseBase:
    """Write a new notice of a department (a draft until published)."""
    department = _department_for_write(request, code)
    form = NoticeForm(request.POST if request.method == "POST" else None, department=department)
    if request.method == "POST" and form.is_valid():
        try:
            notice = service.create(department, form.values(), form.cleaned_data["items"], request.user)
        except NoticeRefused as exc:
            _refused(request, exc)
            for field, reason in exc.errors.items():
                form.add_error(field if field in form.fields else None, reason)
        else:
            messages.success(request, gettext("已保存草稿：%(title)s") % {"title": notice.title})
            return redirect("notices:detail", pk=notice.pk)
    return render(request, "notices/form.html", {"form": form, "department": department, "notice": None},
                  status=400 if form.errors else 200)


@staff
def edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    notice = _notice(request, pk, write=True)
    form = NoticeForm(request.POST if request.method == "POST" else None, department=notice.department, notice=notice)
    if request.method == "POST" and form.is_valid():
        try:
            service.update(notice, form.values(), form.cleaned_data["items"], request.user)
        except NoticeRefused as exc:
            _refused(request, exc)
            for field, reason in exc.errors.items():
                form.add_error(field if field in form.fields else None, reason)
        else:
            messages.success(request, gettext("已保存"))
            return redirect("notices:detail", pk=notice.pk)
    return render(request, "notices/form.html", {"form": form, "department": notice.department, "notice": notice},
                  status=400 if form.errors else 200)


@staff
def detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Show a notice as the portal will, with its state and, to its writers, the actions."""
    notice = _notice(request, pk)
    return render(request, "notices/detail.html", {
        "notice": notice, "body": render_markdown(notice.body), "attachments": notice.attachments.all(),
        "items": selectors.items_of(notice),
        "may_write": may_write_department(request.user, notice.department_id),
        "attachment_form": AttachmentForm(), "withdraw_form": WithdrawForm(),
    })


@require_POST
@staff
def publish(request: AuthedRequest, pk: int) -> HttpResponseBase:
    notice = _notice(request, pk, write=True)
    try:
        service.publish(notice, request.user)
    except NoticeRefused as exc:
        _refused(request, exc)
    else:
        messages.success(request, gettext("已发布到服务专栏"))
    return redirect("notices:detail", pk=notice.pk)


@require_POST
@staff
def withdraw(request: AuthedRequest, pk: int) -> HttpResponseBase:
    notice = _notice(request, pk, write=True)
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        service.withdraw(notice, request.user, reason)
    except NoticeRefused as exc:
        _refused(request, exc)
    else:
        messages.info(request, gettext("已撤回，公众不再能看到这篇文章"))
    return redirect("notices:detail", pk=notice.pk)


@require_POST
@staff
def attach(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Keep the uploaded files of a notice, each checked by its content and size (all or none)."""
    notice = _notice(request, pk, write=True)
    uploads = request.FILES.getlist("file")
    if not uploads:
        messages.error(request, gettext("请选择要上传的文件"))
        return redirect("notices:detail", pk=notice.pk)
    try:
        for upload in uploads:  # every file is checked before any is kept
            service.check_attachment(upload)
            upload.seek(0)
        with transaction.atomic():
            for upload in uploads:
                service.add_attachment(notice, upload, request.user)
    except NoticeRefused as exc:
        _refused(request, exc)
        return redirect("notices:detail", pk=notice.pk)
    messages.success(request, gettext("已上传 %(n)d 个附件") % {"n": len(uploads)})
    return redirect("notices:detail", pk=notice.pk)


@require_POST
@staff
def detach(request: AuthedRequest, pk: int, attachment_id: int) -> HttpResponseBase:
    notice = _notice(request, pk, write=True)
    try:
        service.remove_attachment(notice, attachment_id, request.user)
    except NoticeRefused as exc:
        _refused(request, exc)
    else:
        messages.info(request, gettext("已删除附件"))
    return redirect("notices:detail", pk=notice.pk)


@staff
def attachment(request: AuthedRequest, pk: int, attachment_id: int) -> HttpResponseBase:
    """Return an attachment of a notice of the user's department (drafts included)."""
    notice = _notice(request, pk)
    kept = get_object_or_404(NoticeAttachment, pk=attachment_id, notice=notice)
    return download(kept)

