"""Exports of the entity directory (CSV with BOM, or .xlsx), safe against formula injection."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.utils import timezone, translation

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


def write_table(out: IO[bytes], fmt: str, header: list[str], rows: Iterable[list[Any]], title: str = "data") -> int:
    """Write rows to a binary stream as 'csv' (UTF-8 with BOM) or 'xlsx' (one sheet named ``title``);
    return the row count."""
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
    sheet = book.create_sheet(title[:31])  # Excel's limit on a sheet's name
    sheet.append(header)
    for row in rows:
        sheet.append(row)
        count += 1
    book.save(out)
    return count


def write_entities(out: IO[bytes], fmt: str, queryset: QuerySet[Entity] | None = None) -> int:
    """Write the entities as 'csv' or 'xlsx', code first, English keys as header."""
    return write_table(out, fmt, ENTITY_COLUMNS, entity_rows(queryset))


def download(fmt: str, name: str, header: list[str], rows: Iterable[list[Any]], title: str = "data") -> FileResponse:
    """Return rows as a CSV or .xlsx attachment named ``name-<time>.<fmt>``; 404 for another format."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    buffer = io.BytesIO()
    write_table(buffer, fmt, header, rows, title)
    buffer.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(buffer, as_attachment=True, filename=f"{name}-{stamp}.{fmt}")


# --- Exports for people: Chinese headers and values (the imports' own), English keys on request ----


def english(request: Any) -> bool:
    """Return whether an export was asked for with English keys and codes (``?lang=en``)."""
    return request.GET.get("lang") == "en"


def _chinese_values(rows: Iterable[list[Any]], columns: list[str], labels: dict[str, dict[Any, str]]) -> Iterator[list[Any]]:
    """Turn rows of codes into the Chinese labels the import accepts ("yes" → "是", "F" → "建筑业")."""
    at = {column: n for n, column in enumerate(columns) if column in labels}
    for row in rows:
        row = list(row)
        for column, n in at.items():
            value = row[n]
            row[n] = labels[column].get(value, value)
        yield row


YES_NO = {"yes": "是", "no": "否"}


def entity_table(queryset: QuerySet[Entity], in_english: bool = False) -> tuple[list[str], Iterable[list[Any]], str]:
    """Return (header, rows, sheet name) of an entity export: by default the import's Chinese headers
    and labels, so that an edited export imports again; with ``in_english`` the keys and codes."""
    rows = entity_rows(queryset)
    if in_english:
        return ENTITY_COLUMNS, rows, "entities"
    from spotcheck.directory.imports import EntityImporter
    from spotcheck.directory.models import INDUSTRIES, CreditRisk, EntityStatus, EntityType, Region

    zh = {c.key: c.zh for c in EntityImporter.columns}
    with translation.override("zh-hans"):  # the labels the import reads, whatever the page's language
        labels: dict[str, dict[Any, str]] = {
            "entity_type": {k: str(v) for k, v in EntityType.choices}, "industry": dict(INDUSTRIES),
            "status": {k: str(v) for k, v in EntityStatus.choices},
            "credit_risk": {k: str(v) for k, v in CreditRisk.choices},
            "region": dict(Region.objects.values_list("code", "name")),
            **{flag: YES_NO for flag in ("foreign", "abnormal", "serious_violation")},
        }
    return [zh[c] for c in ENTITY_COLUMNS], _chinese_values(rows, ENTITY_COLUMNS, labels), "市场主体"


def inspector_table(queryset: QuerySet[Inspector], in_english: bool = False) -> tuple[list[str], Iterable[list[Any]], str]:
    """Return (header, rows, sheet name) of an inspector export (see ``entity_table``)."""
    rows = inspector_rows(queryset)
    if in_english:
        return INSPECTOR_COLUMNS, rows, "inspectors"
    from spotcheck.directory.imports import InspectorImporter
    from spotcheck.directory.models import InspectorStatus

    zh = {c.key: c.zh for c in InspectorImporter.columns}
    with translation.override("zh-hans"):
        labels = {"status": {k: str(v) for k, v in InspectorStatus.choices}}
    return [zh[c] for c in INSPECTOR_COLUMNS], _chinese_values(rows, INSPECTOR_COLUMNS, labels), "执法检查人员"
