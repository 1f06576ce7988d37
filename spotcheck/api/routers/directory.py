"""The directories through the API: entities, inspectors, conflicts (回避) and history records.

Reads are scoped as the web pages scope them (spotcheck/directory/views.py): the entity
directory and the history are shared by the staff of every department; inspectors and
their conflicts are each department's own (all for the coordinator). Bulk writes are the
file imports of spotcheck/directory/imports.py fed with records instead of a file
(``run_records``): the same checks, the same department rule, all or nothing, one audit
entry per request. Who may write each kind is the web upload's rule (``UPLOAD_ROLES``).
"""


from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.forms import Form
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import BaseModel, ConfigDict

from spotcheck.accounts.access import get_for_user, scope
from spotcheck.accounts.models import STAFF_ROLES, Role
from spotcheck.api.api import require_role
from spotcheck.api.auth import TokenRequest
from spotcheck.api.errors import ApiError, documented
from spotcheck.catalog.models import HistoryRecord
from spotcheck.directory.forms import ConflictForm
from spotcheck.directory.imports import Outcome, run_records
from spotcheck.directory.models import Conflict, Entity, Inspector
from spotcheck.directory.service import confirm_conflict, declare_conflict
from spotcheck.directory.views import UPLOAD_ROLES
from spotcheck.lib.tabular import RowError

router = Router(tags=["directory"])

# The most records one bulk request may hold (issue #10).
MAX_BULK = 10_000
PAGE_LIMIT = 1000  # the largest ``limit`` of a page

# A cell of a record: what a cell of the import file holds (text, a number, yes/no, or empty).
Cell = str | int | float | bool | None


# --- Bulk writes: the import of records -------------------------------------------------------------


class BulkOut(Schema):
    """What a bulk write did (as the file import reports it)."""

    rows: int
    created: int
    updated: int
    unchanged: int


def _field(list_key: str, error: RowError) -> dict[str, str]:
    if error.column == "file":
        return {"field": list_key, "message": error.message}
    index = error.row
    message = _("第%(n)s条（%(field)s）：%(message)s") % {
        "n": index + 1, "field": f"{list_key}[{index}]", "message": error.message}
    if error.column == "row":
        return {"field": f"{list_key}.{index}", "message": message}
    return {"field": f"{list_key}.{index}.{error.column}", "message": message}


def bulk_import(request: TokenRequest, kind: str, list_key: str, records: list[Any]) -> dict[str, int]:
    """Import ``records`` of ``kind`` as the web upload would: its roles, its department, its checks."""
    user = require_role(request, *UPLOAD_ROLES[kind])
    if len(records) > MAX_BULK:
        raise ApiError(422, _("每次最多提交%(limit)s条记录，本次有%(count)s条；请分批提交，未写入任何数据")
                       % {"limit": MAX_BULK, "count": len(records)},
                       fields=[{"field": list_key, "message": _("最多%(limit)s条") % {"limit": MAX_BULK}}])
    department = None if user.role == Role.COORDINATOR else user.department
    outcome: Outcome = run_records(kind, records, f"api:{kind}", user, department=department)
    if not outcome.ok:
        more = outcome.error_count - len(outcome.errors)
        message = _("%(count)s处错误，未写入任何数据") % {"count": outcome.error_count}
        if more:
            message += _("（只列出前%(shown)s处）") % {"shown": len(outcome.errors)}
        raise ApiError(422, message, fields=[_field(list_key, e) for e in outcome.errors])
    return {"rows": outcome.rows, "created": outcome.created, "updated": outcome.updated,
            "unchanged": outcome.unchanged}


def form_errors(form: Form) -> ApiError:
    """A refused form of the web pages as the API's 422 (the web's validation, not a second one)."""
    fields = [{"field": name, "message": str(message)} for name, messages in form.errors.items()
              for message in messages]
    return ApiError(422, _("请求的数据有误"), fields=fields)


# --- Entities ---------------------------------------------------------------------------------------


class EntityOut(Schema):
    """A market entity, with the keys of the entities import file (docs/formats.md)."""

    uscc: str
    name: str
    entity_type: str
    industry: str
    region: str = Field(description="the region's code")
    status: str
    address: str
    legal_representative: str
    established_on: date | None
    foreign: bool
    abnormal: bool
    serious_violation: bool
    complaints_12m: int
    credit_risk: str
    updated_at: datetime = Field(description="when the record last changed (any import or write)")

    @staticmethod
    def resolve_region(obj: Entity) -> str:
        return obj.region.code


class EntityFilter(Schema):
    region: str | None = Field(None, description="a region's code")
    industry: str | None = Field(None, description="GB/T 4754 section letter")
    entity_type: str | None = None
    status: str | None = None
    changed_since: datetime | None = Field(
        None, description="only entities changed at or after this time (ISO 8601; a time zone, or the server's)")


class EntityRecord(BaseModel):
    """One record of a bulk write: the keys of the entities import file, each a cell's value.

    Every check is the import's (docs/formats.md); a key not listed here is an error."""

    model_config = ConfigDict(extra="allow")

    uscc: Cell = None
    name: Cell = None
    entity_type: Cell = None
    industry: Cell = None
    region: Cell = Field(None, description="a region's code or name")
    status: Cell = None
    address: Cell = None
    legal_representative: Cell = None
    established_on: Cell = None
    foreign: Cell = None
    abnormal: Cell = None
    serious_violation: Cell = None
    complaints_12m: Cell = None
    credit_risk: Cell = None


class EntitiesIn(Schema):
    entities: list[EntityRecord] = Field(description=f"at most {MAX_BULK:,} records")


def _records(rows: list[Any]) -> list[dict[str, Any]]:
    """The records as sent: the keys given (unknown ones included, for the import to refuse)."""
    return [row.model_dump(exclude_unset=True) for row in rows]


def _staff(request: TokenRequest) -> Any:
    return require_role(request, *STAFF_ROLES)


@router.get("/entities", response={200: list[EntityOut], **documented(401, 403, 422)},
            summary="The entity directory (市场主体名录库), filtered, in code order")
@paginate(LimitOffsetPagination, max_limit=PAGE_LIMIT)
def entity_list(request: TokenRequest, filters: Query[EntityFilter]) -> QuerySet[Entity]:
    _staff(request)
    entities = Entity.objects.select_related("region").order_by("uscc")
    if filters.region:
        entities = entities.filter(region__code=filters.region)
    for name in ("industry", "entity_type", "status"):
        if value := getattr(filters, name):
            entities = entities.filter(**{name: value})
    if filters.changed_since is not None:
        since = filters.changed_since
        if since.tzinfo is None and settings.USE_TZ:
            since = timezone.make_aware(since)
        entities = entities.filter(updated_at__gte=since)
    return entities


@router.post("/entities/bulk", response={200: BulkOut, **documented(401, 403, 413, 422)},
             summary="Create or update entities by code, all or nothing (the entities import)")
def entity_bulk(request: TokenRequest, payload: EntitiesIn) -> dict[str, int]:
    """Up to 10,000 records; every record is checked as a row of the import file, and if any is
    wrong nothing is written and every error is named ``entities.N.field`` (N from 0)."""
    return bulk_import(request, "entities", "entities", _records(payload.entities))


@router.get("/entities/{uscc}", response={200: EntityOut, **documented(401, 403, 404)},
            summary="One entity by its unified social credit code (统一社会信用代码)")
def entity_detail(request: TokenRequest, uscc: str) -> Entity:
    _staff(request)
    entity = Entity.objects.select_related("region").filter(uscc=uscc.strip().upper()).first()
    if entity is None:
        raise ApiError(404, _("名录库中没有该市场主体“%(uscc)s”") % {"uscc": uscc})
    return entity


# --- Inspectors -------------------------------------------------------------------------------------


class InspectorOut(Schema):
    cert_no: str
    name: str
    department: str = Field(description="the department's code")
    status: str
    cert_expires_on: date | None
    items: list[str]
    updated_at: datetime

    @staticmethod
    def resolve_department(obj: Inspector) -> str:
        return obj.department.code


class InspectorRecord(BaseModel):
    """One record of a bulk write: the keys of the inspectors import file (docs/formats.md)."""

    model_config = ConfigDict(extra="allow")

    cert_no: Cell = None
    name: Cell = None
    department: Cell = Field(None, description="the department's code")
    status: Cell = None
    cert_expires_on: Cell = None
    items: Cell = Field(None, description="item codes separated by ';'")
    conflicts: Cell = Field(None, description="credit codes separated by ';' (replaces the imported ones)")


class InspectorsIn(Schema):
    inspectors: list[InspectorRecord] = Field(description=f"at most {MAX_BULK:,} records")


@router.get("/inspectors", response={200: list[InspectorOut], **documented(401, 403, 422)},
            summary="Inspectors (执法检查人员) of the caller's department (every department for the coordinator)")
@paginate(LimitOffsetPagination, max_limit=PAGE_LIMIT)
def inspector_list(request: TokenRequest, department: str | None = None) -> QuerySet[Inspector]:
    user = _staff(request)
    inspectors = scope(Inspector.objects.select_related("department"), user)
    if department:
        inspectors = inspectors.filter(department__code=department)
    return inspectors.order_by("department__code", "cert_no")


@router.post("/inspectors/bulk", response={200: BulkOut, **documented(401, 403, 413, 422)},
             summary="Create or update inspectors by certificate number, all or nothing (the inspectors import)")
def inspector_bulk(request: TokenRequest, payload: InspectorsIn) -> dict[str, int]:
    """A department administrator writes only their department's inspectors, as in the import."""
    return bulk_import(request, "inspectors", "inspectors", _records(payload.inspectors))


@router.get("/inspectors/{cert_no}", response={200: InspectorOut, **documented(401, 403, 404)},
            summary="One inspector by certificate number (执法证号)")
def inspector_detail(request: TokenRequest, cert_no: str) -> Inspector:
    user = _staff(request)
    return get_for_user(Inspector.objects.select_related("department"), user, cert_no=cert_no)


# --- Conflicts (回避) -------------------------------------------------------------------------------


class ConflictOut(Schema):
    id: int
    inspector: str = Field(description="the inspector's certificate number")
    uscc: str
    status: str
    reason: str
    source: str = Field(description="'import' (the roster) or 'declared' (by the inspector)")
    created_at: datetime

    @staticmethod
    def resolve_inspector(obj: Conflict) -> str:
        return obj.inspector.cert_no


class ConflictFilter(Schema):
    inspector: str | None = Field(None, description="an inspector's certificate number")
    status: str | None = Field(None, description="'pending' or 'confirmed'")


class ConflictIn(Schema):
    uscc: str = Field(description="the entity's unified social credit code")
    reason: str = ""


@router.get("/conflicts", response={200: list[ConflictOut], **documented(401, 403, 422)},
            summary="Conflicts of interest (回避对象) of the caller's department's inspectors")
@paginate(LimitOffsetPagination, max_limit=PAGE_LIMIT)
def conflict_list(request: TokenRequest, filters: Query[ConflictFilter]) -> QuerySet[Conflict]:
    user = _staff(request)
    conflicts = scope(Conflict.objects.select_related("inspector"), user, field="inspector__department")
    if filters.inspector:
        conflicts = conflicts.filter(inspector__cert_no=filters.inspector)
    if filters.status:
        conflicts = conflicts.filter(status=filters.status)
    return conflicts.order_by("pk")


@router.post("/conflicts", response={200: ConflictOut, 201: ConflictOut, **documented(401, 403, 422)},
             summary="An inspector declares a conflict of their own; it counts once confirmed")
def conflict_declare(request: TokenRequest, payload: ConflictIn) -> Status:
    """201 with the new, pending conflict; 200 with the existing one if already there."""
    user = require_role(request, Role.INSPECTOR)
    inspector = user.inspector
    if inspector is None:
        raise ApiError(403, _("您的账号未关联执法人员档案"))
    form = ConflictForm({"uscc": payload.uscc, "reason": payload.reason})
    if not form.is_valid():
        raise form_errors(form)
    conflict, created = declare_conflict(inspector, form.cleaned_data["uscc"], form.cleaned_data["reason"], user)
    return Status(201 if created else 200, conflict)


@router.post("/conflicts/{conflict_id}/confirm", response={200: ConflictOut, **documented(401, 403, 404)},
             summary="The department administrator confirms a declared conflict")
def conflict_confirm(request: TokenRequest, conflict_id: int) -> Conflict:
    user = require_role(request, Role.COORDINATOR, Role.DEPT_ADMIN)
    conflict = get_for_user(Conflict.objects.select_related("inspector"), user, write=True,
                            field="inspector__department", pk=conflict_id)
    return confirm_conflict(conflict, user)


# --- History records (已有检查记录) ----------------------------------------------------------------


class HistoryOut(Schema):
    """An inspection done by another agency or before the system, with the history import's keys."""

    id: int
    uscc: str
    department: str = Field(description="a department's code, or the name of an outside agency")
    item: str
    inspected_on: date
    result: str

    @staticmethod
    def resolve_uscc(obj: HistoryRecord) -> str:
        return obj.entity.uscc

    @staticmethod
    def resolve_department(obj: HistoryRecord) -> str:
        return obj.inspected_by

    @staticmethod
    def resolve_item(obj: HistoryRecord) -> str:
        return obj.item_code


class HistoryFilter(Schema):
    uscc: str | None = None
    year: int | None = Field(None, ge=1, le=9999)  # a calendar year: a larger one cannot be looked up (422)


class HistoryRecordIn(BaseModel):
    """One record of a bulk write: the keys of the history import file (docs/formats.md)."""

    model_config = ConfigDict(extra="allow")

    uscc: Cell = None
    department: Cell = Field(None, description="a department's code, or the name of an outside agency")
    item: Cell = Field(None, description="an item code")
    inspected_on: Cell = None
    result: Cell = Field(None, description="a result code of rules.md R6, or its Chinese text")


class HistoryIn(Schema):
    records: list[HistoryRecordIn] = Field(description=f"at most {MAX_BULK:,} records")


@router.get("/history", response={200: list[HistoryOut], **documented(401, 403, 422)},
            summary="Inspection history from other agencies (已有检查记录), newest first")
@paginate(LimitOffsetPagination, max_limit=PAGE_LIMIT)
def history_list(request: TokenRequest, filters: Query[HistoryFilter]) -> QuerySet[HistoryRecord]:
    _staff(request)
    records = HistoryRecord.objects.select_related("entity")
    if filters.uscc:
        records = records.filter(entity__uscc=filters.uscc.strip().upper())
    if filters.year:
        records = records.filter(inspected_on__year=filters.year)
    return records.order_by("-inspected_on", "-pk")


@router.post("/history/bulk", response={200: BulkOut, **documented(401, 403, 413, 422)},
             summary="Add history records, all or nothing (the history import)")
def history_bulk(request: TokenRequest, payload: HistoryIn) -> dict[str, int]:
    """A record already there (same entity, inspecting body, item and day) takes the new result."""
    return bulk_import(request, "history", "records", _records(payload.records))
