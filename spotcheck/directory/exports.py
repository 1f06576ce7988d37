"""Exports of the entity directory (CSV with BOM, or .xlsx), safe against formula injection."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.utils import timezone

from spotcheck.directory.models import ConflictStatus, Entity, Inspector
from spotcheck.lib.tabular import escape_formula

ENTITY_COLUMNS = [
    "uscc", "name", "entity_type", "industry", "region", "status", "address",
    "legal_representative", "established_on", "foreign", "abnormal", "serious_violation",
    "complaints_12m", "credit_risk",
]


def safe_cell(value: Any) -> Any:
    """Return a cell value that a spreadsheet will not run as a formula, and that imports back as it was.

    Only text a spreadsheet would run gets a leading ``'`` (``=SUM(A1)``, ``@home``, ``-1+1``);
    data that merely starts with a sign stays as it is (``-``, ``-5``, ``+86 23 6666 0000``).
    Every import takes the ``'`` off again (``spotcheck.lib.tabular.unescape_formula``).
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return ""
    if isinstance(value, int):
        return value
    return escape_formula(str(value))


def entity_rows(queryset: QuerySet[Entity] | None = None) -> Iterator[list[Any]]:
    queryset = queryset if queryset is not None else Entity.objects.all()
    fields = [c if c != "region" else "region__code" for c in ENTITY_COLUMNS]
    for values in queryset.order_by("uscc").values_list(*fields).iterator(chunk_size=5000):
        row = list(values)
        established = ENTITY_COLUMNS.index("established_on")
        if row[established] is not None:
            row[established] = row[established].isoformat()
        yield [safe_cell(v) for v in row]


INSPECTOR_COLUMNS = ["cert_no", "name", "department", "status", "cert_expires_on", "items", "conflicts"]


def inspector_rows(queryset: QuerySet[Inspector]) -> Iterator[list[Any]]:
    """Yield inspectors in the import format: items and confirmed conflicts joined by ';'."""
    for inspector in queryset.select_related("department").prefetch_related("conflicts").order_by("cert_no"):
        conflicts = sorted(c.uscc for c in inspector.conflicts.all() if c.status == ConflictStatus.CONFIRMED)
        yield [safe_cell(v) for v in (
            inspector.cert_no, inspector.name, inspector.department.code, inspector.status,
            inspector.cert_expires_on.isoformat() if inspector.cert_expires_on else "",
            ";".join(inspector.items), ";".join(conflicts),
        )]


def write_table(out: IO[bytes], fmt: str, header: list[str], rows: Iterable[list[Any]]) -> int:
    """Write rows to a binary stream as 'csv' (UTF-8 with BOM) or 'xlsx'; return the row count."""
    count = 0
    if fmt == "csv":
        out.write(codecs.BOM_UTF8)
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        writer = csv.writer(text)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
        text.detach()
        return count
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
        count += 1
    book.save(out)
    return count


def write_entities(out: IO[bytes], fmt: str, queryset: QuerySet[Entity] | None = None) -> int:
    """Write the entities as 'csv' or 'xlsx', code first, English keys as header."""
    return write_table(out, fmt, ENTITY_COLUMNS, entity_rows(queryset))


def download(fmt: str, name: str, header: list[str], rows: Iterable[list[Any]]) -> FileResponse:
    """Return rows as a CSV or .xlsx attachment named ``name-<time>.<fmt>``; 404 for another format."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    buffer = io.BytesIO()
    write_table(buffer, fmt, header, rows)
    buffer.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(buffer, as_attachment=True, filename=f"{name}-{stamp}.{fmt}")
