"""Directory pages: entity search and detail, inspectors, conflicts, uploads and exports."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from spotcheck.accounts.access import (
    AuthedRequest,
    get_for_user,
    may_write_department,
    roles,
    scope,
    staff,
)
from spotcheck.accounts.models import Role
from spotcheck.directory.exports import download, english, entity_table, inspector_table
from spotcheck.directory.forms import ConflictForm, EntitySearchForm, UploadForm
from spotcheck.directory.imports import IMPORTERS
from spotcheck.directory.jobs import fail_stale_jobs, start_import
from spotcheck.directory.models import (
    Conflict,
    ConflictStatus,
    Department,
    Entity,
    EntityStatus,
    EntityType,
    ImportJob,
    Inspector,
)
from spotcheck.directory.service import confirm_conflict, declare_conflict
from spotcheck.lib.paging import CappedPaginator

PAGE_SIZE = 50
# Who may upload each kind of file.
UPLOAD_ROLES = {
    "regions": (Role.COORDINATOR,),
    "departments": (Role.COORDINATOR,),
    "entities": (Role.COORDINATOR,),
    "inspectors": (Role.COORDINATOR, Role.DEPT_ADMIN),
    "items": (Role.COORDINATOR, Role.DEPT_ADMIN),
    "history": (Role.COORDINATOR,),
    "licences": (Role.COORDINATOR, Role.DEPT_ADMIN),  # as spotcheck.records.service.IMPORT_ROLES
    "penalties": (Role.COORDINATOR, Role.DEPT_ADMIN),
}


# The directory list counts at most this many entities (a million are not counted per page).
ENTITY_COUNT_CAP = 10_000


@staff
def entity_list(request: AuthedRequest) -> HttpResponseBase:
    """Search the shared entity directory by name or code, with filters and paging."""
    form = EntitySearchForm(request.GET or None)
    entities = Entity.objects.select_related("region")
    if form.is_bound and form.is_valid():
        entities = form.filter(entities)
    page = CappedPaginator(entities.order_by("uscc"), PAGE_SIZE, cap=ENTITY_COUNT_CAP).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    # The labels of a page's 50 rows from small tables, not by get_FOO_display per cell (which
    # rebuilds the field's choices each time); the industry's is Entity.industry_label.
    types, statuses = dict(EntityType.choices), dict(EntityStatus.choices)
    for entity in page:
        entity.type_label = types.get(entity.entity_type, entity.entity_type)
        entity.status_label = statuses.get(entity.status, entity.status)
    return render(request, "directory/entity_list.html",
                  {"form": form, "page": page, "query": query.urlencode()})


@staff
def entity_export(request: AuthedRequest, fmt: str) -> HttpResponseBase:
    """Download the entities of the current search as CSV or .xlsx."""
    form = EntitySearchForm(request.GET or None)
    entities = Entity.objects.all()
    if form.is_bound and form.is_valid():
        entities = form.filter(entities)
    header, rows, title = entity_table(entities, english(request))
    return download(fmt, "entities", header, rows, title)


@staff
def inspector_export(request: AuthedRequest, fmt: str) -> HttpResponseBase:
    """Download the user's department's inspectors (all for the coordinator), in the import format."""
    inspectors = scope(Inspector.objects.all(), request.user)
    header, rows, title = inspector_table(inspectors, english(request))
    return download(fmt, "inspectors", header, rows, title)


@staff
def entity_detail(request: AuthedRequest, uscc: str) -> HttpResponseBase:
    entity = get_object_or_404(Entity.objects.select_related("region"), uscc=uscc.upper())
    return render(request, "directory/entity_detail.html", {"entity": entity})


@staff
def inspector_list(request: AuthedRequest) -> HttpResponseBase:
    """List the inspectors of the user's department (all departments for the coordinator)."""
    inspectors = scope(Inspector.objects.select_related("department"), request.user)
    department = request.GET.get("department")
    if department and request.user.is_coordinator:
        inspectors = inspectors.filter(department__code=department)
    today = timezone.localdate()
    page = Paginator(inspectors.order_by("department__code", "cert_no"), PAGE_SIZE).get_page(
        request.GET.get("page"))
    pending = scope(Conflict.objects.filter(status=ConflictStatus.PENDING), request.user,
                    field="inspector__department").select_related("inspector")
    return render(request, "directory/inspector_list.html", {
        "page": page, "today": today, "departments": Department.objects.all(),
        "department": department, "pending": pending,
        "may_upload": request.user.role in [str(r) for r in UPLOAD_ROLES["inspectors"]],
    })


@staff
def inspector_detail(request: AuthedRequest, cert_no: str) -> HttpResponseBase:
    inspector = get_for_user(Inspector.objects.select_related("department"), request.user,
                             cert_no=cert_no)
    is_self = getattr(request.user, "inspector_id", None) == inspector.pk
    return render(request, "directory/inspector_detail.html", {
        "inspector": inspector,
        "conflicts": inspector.conflicts.order_by("uscc"),
        "today": timezone.localdate(),
        "is_self": is_self,
        "may_confirm": may_write_department(request.user, inspector.department_id),
        "form": ConflictForm(),
    })


@require_POST
@roles(Role.INSPECTOR)
def conflict_declare(request: AuthedRequest) -> HttpResponseBase:
    """Let an inspector declare a conflict of their own (回避); the administrator confirms it."""
    inspector = request.user.inspector
    if inspector is None:
        raise PermissionDenied(gettext("您的账号未关联执法人员档案"))
    form = ConflictForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("uscc", []):
            messages.error(request, str(error))
        return redirect("directory:inspector_detail", cert_no=inspector.cert_no)
    _conflict, created = declare_conflict(inspector, form.cleaned_data["uscc"], form.cleaned_data["reason"],
                                          request.user)
    if created:
        messages.success(request, gettext("已申报回避，等待部门管理员确认"))
    else:
        messages.info(request, gettext("该回避对象已存在"))
    return redirect("directory:inspector_detail", cert_no=inspector.cert_no)


@require_POST
@roles(Role.COORDINATOR, Role.DEPT_ADMIN)
def conflict_confirm(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Confirm a declared conflict; it counts in every later draw's pool."""
    conflict = get_for_user(Conflict.objects.select_related("inspector"), request.user,
                            write=True, field="inspector__department", pk=pk)
    confirm_conflict(conflict, request.user)
    messages.success(request, gettext("已确认回避"))
    return redirect("directory:inspector_detail", cert_no=conflict.inspector.cert_no)


@staff
def import_upload(request: AuthedRequest, kind: str) -> HttpResponseBase:
    """Upload a directory file; large files run in the background with a progress bar."""
    if kind not in IMPORTERS:
        raise Http404
    if request.user.role not in [str(r) for r in UPLOAD_ROLES[kind]]:
        raise PermissionDenied(gettext("您的角色不能导入此类数据"))
    department = None if request.user.is_coordinator else request.user.department
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = start_import(kind, form.cleaned_data["file"], request.user, department)
        return redirect("directory:import_job", pk=job.pk)
    importer = IMPORTERS[kind]
    return render(request, "directory/import_form.html", {
        "form": form, "kind": kind, "importer": importer, "columns": importer.columns,
        "jobs": ImportJob.objects.filter(created_by=request.user, kind=kind)[:10],
    })


def _job_for(request: AuthedRequest, pk: int) -> ImportJob:
    fail_stale_jobs()  # a job whose worker is gone shows as interrupted, not running forever
    job = get_object_or_404(ImportJob, pk=pk)
    if job.created_by_id != request.user.pk and not request.user.is_coordinator:
        raise Http404
    return job


@staff
def import_job(request: AuthedRequest, pk: int) -> HttpResponseBase:
    job = _job_for(request, pk)
    return render(request, "directory/import_job.html", {"job": job})


@staff
def import_job_status(request: AuthedRequest, pk: int) -> JsonResponse:
    job = _job_for(request, pk)
    return JsonResponse({"status": job.status, "done": job.done, "total": job.total,
                         "percent": job.percent, "finished": job.finished})
