"""Licences and administrative penalties through the API (行政许可信息、企业违法信息).

Writes are the licences and penalties imports fed with records (docs/formats.md): the
same checks, the same department rule, all or nothing, one audit entry per request.
Reads are public, as on the entity's public page: an entity's licences and penalties.
"""

from datetime import date
from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from pydantic import BaseModel, ConfigDict

from spotcheck.api.auth import PUBLIC, TokenRequest
from spotcheck.api.errors import documented
from spotcheck.api.routers.directory import MAX_BULK, BulkOut, Cell, _records, bulk_import
from spotcheck.directory.models import Entity
from spotcheck.records.models import Licence, Penalty

router = Router(tags=["licences and penalties"])


class LicenceOut(Schema):
    licence_type: str
    number: str
    issuer: str = Field(alias="issuer_name")
    valid_from: date
    valid_to: date | None
    status: str


class PenaltyOut(Schema):
    decision_no: str
    decision_date: date
    department: str = Field(alias="department_name")
    summary: str
    amount: Decimal | None


class LicenceRecordIn(BaseModel):
    """One licence: the keys of the licences import file (docs/formats.md)."""

    model_config = ConfigDict(extra="allow")

    uscc: Cell = None
    licence_type: Cell = None
    number: Cell = None
    issuer: Cell = Field(None, description="the issuing body: one of our departments' code or name, or another agency's name")
    valid_from: Cell = None
    valid_to: Cell = Field(None, description="empty: no end (长期)")
    status: Cell = Field(None, description="valid, suspended, revoked or expired (or the Chinese text)")


class PenaltyRecordIn(BaseModel):
    """One penalty decision: the keys of the penalties import file (docs/formats.md)."""

    model_config = ConfigDict(extra="allow")

    uscc: Cell = None
    decision_no: Cell = None
    decision_date: Cell = None
    department: Cell = None
    summary: Cell = None
    amount: Cell = Field(None, description="yuan, two decimals at most")


class LicencesIn(Schema):
    licences: list[LicenceRecordIn] = Field(description=f"at most {MAX_BULK:,} records")


class PenaltiesIn(Schema):
    penalties: list[PenaltyRecordIn] = Field(description=f"at most {MAX_BULK:,} records")


@router.post("/licences/bulk", response={200: BulkOut, **documented(401, 403, 413, 422)},
             operation_id="licences_bulk", summary="Create or update licences by (issuer, number), all or nothing")
def licences_bulk(request: TokenRequest, payload: LicencesIn) -> dict[str, int]:
    return bulk_import(request, "licences", "licences", _records(payload.licences))


@router.post("/penalties/bulk", response={200: BulkOut, **documented(401, 403, 413, 422)},
             operation_id="penalties_bulk",
             summary="Create or update penalties by (department, decision number), all or nothing")
def penalties_bulk(request: TokenRequest, payload: PenaltiesIn) -> dict[str, int]:
    return bulk_import(request, "penalties", "penalties", _records(payload.penalties))


def _entity(uscc: str) -> Entity:
    return get_object_or_404(Entity, uscc=uscc.strip().upper())


@router.get("/public/entities/{uscc}/licences", response={200: list[LicenceOut], **documented(404, 429)},
            auth=PUBLIC, operation_id="public_entity_licences", summary="An entity's licences (public)")
def entity_licences(request: TokenRequest, uscc: str) -> list[Licence]:
    return list(Licence.objects.filter(entity=_entity(uscc)).order_by("-valid_from", "pk"))


@router.get("/public/entities/{uscc}/penalties", response={200: list[PenaltyOut], **documented(404, 429)},
            auth=PUBLIC, operation_id="public_entity_penalties", summary="An entity's administrative penalties (public)")
def entity_penalties(request: TokenRequest, uscc: str) -> list[Penalty]:
    return list(Penalty.objects.filter(entity=_entity(uscc)).order_by("-decision_date", "pk"))
