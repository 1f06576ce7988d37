"""Item lists: the department's editor (staff) and the public lists (一公开)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from spotcheck.accounts.access import AuthedRequest, may_write_department, public, staff
from spotcheck.catalog import lists
from spotcheck.catalog.forms import ItemForm, NoteForm
from spotcheck.catalog.models import InspectionItem, ItemList, ListStatus
from spotcheck.directory.models import Department


def _department_for_write(request: AuthedRequest, code: str) -> Department:
    department = get_object_or_404(Department, code=code)
    if not may_write_department(request.user, department.pk):
        if request.user.department_id == department.pk:
            raise PermissionDenied(gettext("您只能查看，不能修改"))
        raise Http404
    return department


@staff
def manage(request: AuthedRequest) -> HttpResponseBase:
    """List each department's current version and draft (own department; all for the coordinator)."""
    departments = Department.objects.all()
    if not request.user.is_coordinator:
        departments = departments.filter(pk=request.user.department_id or 0)
    rows = []
    for department in departments:
        rows.append({
            "department": department,
            "current": ItemList.current(department),
            "draft": ItemList.objects.filter(department=department, status=ListStatus.DRAFT).first(),
            "may_write": may_write_department(request.user, department.pk),
        })
    return render(request, "catalog/manage.html", {"rows": rows})


@staff
def draft(request: AuthedRequest, code: str) -> HttpResponseBase:
    """Edit the department's draft version; publish it when every item has a legal basis."""
    department = _department_for_write(request, code)
    if request.method == "POST":
        lists.draft_for(department, request.user)
        return redirect("catalog:draft", code=code)
    item_list = ItemList.objects.filter(department=department, status=ListStatus.DRAFT).first()
    current = ItemList.current(department)
    return render(request, "catalog/draft.html", {
        "department": department, "draft": item_list, "current": current,
        "changes": lists.diff(current, item_list) if item_list else [],
        "problems": lists.check_publishable(item_list) if item_list else [],
        "note_form": NoteForm(),
    })


@staff
def item_edit(request: AuthedRequest, code: str, item_code: str | None = None) -> HttpResponseBase:
    department = _department_for_write(request, code)
    item_list = ItemList.objects.filter(department=department, status=ListStatus.DRAFT).first()
    if item_list is None:
        raise Http404
    item = get_object_or_404(InspectionItem, item_list=item_list, code=item_code) if item_code else None
    initial = {"code": item.code, **item.values()} if item else {"category": "general"}
    form = ItemForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            lists.edit_item(item_list, form.cleaned_data["code"], form.values(), request.user)
        except lists.CodeTaken as taken:
            form.add_error("code", str(taken))
        else:
            messages.success(request, gettext("已保存到草稿"))
            return redirect("catalog:draft", code=code)
    return render(request, "catalog/item_form.html", {"form": form, "department": department, "item": item})


@require_POST
@staff
def item_remove(request: AuthedRequest, code: str, item_code: str) -> HttpResponseBase:
    item_list = _draft_for_write(request, code)
    lists.remove_item(item_list, item_code, request.user)
    return redirect("catalog:draft", code=code)


def _draft_for_write(request: AuthedRequest, code: str) -> ItemList:
    department = _department_for_write(request, code)
    return get_object_or_404(ItemList, department=department, status=ListStatus.DRAFT)


@require_POST
@staff
def publish(request: AuthedRequest, code: str) -> HttpResponseBase:
    item_list = _draft_for_write(request, code)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        lists.publish(item_list, request.user, note)
    except lists.ListError as exc:
        messages.error(request, str(exc))
        return redirect("catalog:draft", code=code)
    messages.success(request, gettext("已公布第%(version)s版") % {"version": item_list.version})
    return redirect("portal:item_list", code=code)


@require_POST
@staff
def discard(request: AuthedRequest, code: str) -> HttpResponseBase:
    """Throw the draft away once the box "I confirm" is ticked (the strict CSP allows no script dialog)."""
    item_list = _draft_for_write(request, code)
    if request.POST.get("confirm") != "yes":
        messages.error(request, gettext("请勾选“我确认放弃草稿”后再放弃；草稿没有改动"))
        return redirect("catalog:draft", code=code)
    # A version number comes back after a discard: the page names the draft it showed by its id.
    shown = request.POST.get("draft")
    if shown and shown != str(item_list.pk):
        messages.error(request, gettext("您看到的草稿已不是当前草稿，请核对后再放弃"))
        return redirect("catalog:draft", code=code)
    try:
        lists.discard(item_list, request.user)
    except lists.ListError as exc:
        messages.error(request, str(exc))
        return redirect("catalog:draft", code=code)
    messages.info(request, gettext("已放弃草稿第 %(version)s 版") % {"version": item_list.version})
    return redirect("catalog:manage")


# --- Public (一公开) -----------------------------------------------------------------------


@public
def public_index(request: AuthedRequest) -> HttpResponseBase:
    rows = [(d, ItemList.current(d)) for d in Department.objects.all()]
    return render(request, "catalog/public_index.html", {"rows": rows})


@public
def public_list(request: AuthedRequest, code: str, version: int | None = None) -> HttpResponseBase:
    """Show a department's current list (or one published version) and its history."""
    department = get_object_or_404(Department, code=code)
    published = ItemList.objects.filter(department=department, status=ListStatus.PUBLISHED)
    item_list = (get_object_or_404(published, version=version) if version
                 else published.order_by("-version").first())
    return render(request, "catalog/public_list.html", {
        "department": department, "item_list": item_list,
        "history": published.order_by("-version"),
        "items": item_list.items.order_by("code") if item_list else [],
    })


@public
def public_diff(request: AuthedRequest, code: str) -> HttpResponseBase:
    """Show what changed between two published versions (?from=N&to=M)."""
    department = get_object_or_404(Department, code=code)
    published = ItemList.objects.filter(department=department, status=ListStatus.PUBLISHED)
    try:
        old = published.get(version=int(request.GET.get("from", "0")))
        new = published.get(version=int(request.GET.get("to", "0")))
    except (ValueError, ItemList.DoesNotExist):
        raise Http404 from None
    return render(request, "catalog/public_diff.html", {
        "department": department, "old": old, "new": new, "changes": lists.diff(old, new),
    })
