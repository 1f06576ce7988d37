"""All-or-nothing imports of the directories (spec/interfaces.md, Import files).

Each import runs in two passes. The first reads and checks every row without
holding the database's write lock (other requests, logins included, keep
writing meanwhile), and stages the good rows in a temporary file; every bad
row is reported as ``row N, column: reason`` and then nothing is written. The
second pass writes the staged rows in batches inside one short transaction:
all or nothing, so a failure (or a killed worker) mid-write leaves no row
behind. Importing a key again updates the record. One audit entry records who
imported which file (its SHA-256) and the counts.
"""

from __future__ import annotations

import hashlib
import json
import pickle  # noqa: S403 - only for the rows this import stages in its own temporary file
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from stdnum.cn import uscc as uscc_check
from stdnum.exceptions import ValidationError as StdnumError

from spotcheck.audit.log import record
from spotcheck.directory.models import (
    INDUSTRIES,
    Conflict,
    ConflictStatus,
    CreditRisk,
    Department,
    Entity,
    EntityStatus,
    EntityType,
    Inspector,
    InspectorStatus,
    Region,
)
from spotcheck.lib.tabular import (
    Column,
    RowError,
    TableError,
    choice,
    max_import_rows,
    parse_count,
    parse_date,
    parse_yes_no,
    read_mappings,
    read_rows,
)

BATCH = 2000
MAX_REPORTED_ERRORS = 10000
Progress = Callable[[int, int], None]


USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {c: i for i, c in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _uscc_ok(code: str) -> bool:
    """GB 32100-2015 as python-stdnum's ``cn.uscc.validate`` checks it, for a code of 18
    ASCII characters: eight digits, then characters of the alphabet, then the check digit."""
    try:
        values = [_USCC_VALUES[c] for c in code]
    except KeyError:
        return False
    if max(values[:8]) > 9:
        return False
    total = sum(v * w for v, w in zip(values, _USCC_WEIGHTS, strict=False))
    return code[17] == USCC_ALPHABET[(31 - total) % 31]


def parse_uscc(text: str) -> str:
    """Return a unified social credit code, upper-cased, or raise ValueError."""
    code = text.strip().upper()
    if len(code) != 18:
        raise ValueError(gettext("统一社会信用代码应为18位“%(code)s”") % {"code": text})
    # python-stdnum takes ~10 µs a code (a directory has a million); for ASCII codes the
    # same check is done here (tests/test_uscc.py compares them), others go to it.
    if code.isascii():
        valid = _uscc_ok(code)
    else:
        try:
            uscc_check.validate(code)
            valid = True
        except StdnumError:
            valid = False
    if not valid:
        raise ValueError(gettext("统一社会信用代码校验位错误“%(code)s”") % {"code": text})
    return code


def parse_uscc_list(text: str) -> list[str]:
    codes = []
    for part in text.replace("；", ";").split(";"):
        if part.strip():
            codes.append(parse_uscc(part))
    return sorted(set(codes))


def parse_code_list(text: str) -> list[str]:
    return sorted({part.strip() for part in text.replace("；", ";").split(";") if part.strip()})


def _labels(choices: Any) -> dict[str, str]:
    return {str(value): str(label) for value, label in choices.choices}


@dataclass
class Outcome:
    """What an import did, or why it was refused."""

    kind: str
    file_name: str
    sha256: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add_errors(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            self.error_count += 1
            if len(self.errors) < MAX_REPORTED_ERRORS:
                self.errors.append(error)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ok": self.ok,
            "kind": self.kind,
            "file": self.file_name,
            "sha256": self.sha256,
            "rows": self.rows,
        }
        if self.ok:
            data.update(created=self.created, updated=self.updated, unchanged=self.unchanged)
        else:
            data["error_count"] = self.error_count
            data["errors"] = [e.as_dict() for e in self.errors]
        return data

    def summary(self) -> str:
        if self.ok:
            return (
                f"导入成功：{self.rows}行，新增{self.created}，更新{self.updated}，未变{self.unchanged}"
                f" / imported {self.rows} rows: {self.created} created, {self.updated} updated,"
                f" {self.unchanged} unchanged"
            )
        lines = [f"导入被拒绝，未写入任何数据：{self.error_count}处错误 / import refused, nothing written:"
                 f" {self.error_count} errors"]
        lines += [str(e) for e in self.errors]
        if self.error_count > len(self.errors):
            lines.append(f"……另有{self.error_count - len(self.errors)}处 / … and "
                         f"{self.error_count - len(self.errors)} more")
        return "\n".join(lines)


class Importer:
    """One kind of import: its columns, its row check, and how a batch is written."""

    kind = ""
    label = ""
    columns: Sequence[Column] = ()
    key = ""
    # Whether a department's upload may use this importer: its check() then refuses
    # every row that would create or change another department's record. Deny by
    # default: without it only the coordinator (or the command line) imports the kind.
    department_scoped = False

    def __init__(self, department: Department | None = None):
        # When set, every row must belong to this department (a department
        # administrator's upload).
        self.department = department
        self.seen: set[str] = set()

    def prepare(self) -> None:
        """Load the lookups the row checks need."""

    def check(self, number: int, values: dict[str, Any]) -> list[RowError]:
        """Check one parsed row beyond its cells; normalise ``values`` in place."""
        errors = []
        key = values.get(self.key)
        if key:
            if key in self.seen:
                errors.append(RowError(number, self.key, gettext("文件中重复“%(key)s”") % {"key": key}))
            self.seen.add(key)
        return errors

    def write(self, rows: list[dict[str, Any]]) -> tuple[int, int, int]:  # pragma: no cover
        raise NotImplementedError

    def finish(self, actor: Any) -> tuple[int, int, int]:
        """Write what needs the whole file (after every row passed); return more counts."""
        return 0, 0, 0

    def audit_details(self) -> dict[str, Any]:
        """Return extra details for the import's audit entry."""
        return {}


def _row_converters(
    fields: Sequence[Any], get: Callable[[Any, str], Any], present: Iterable[str] | None = None
) -> list[Callable[[Any], Any]]:
    """Return, per field, a function of a row (``get(row, attname)`` reads it) giving its
    value for the database. Fields outside ``present`` (when given) take their default."""

    def constant(value: Any) -> Callable[[Any], Any]:
        return lambda row: value

    def prepared(f: Any) -> Callable[[Any], Any]:
        return lambda row: f.get_db_prep_save(get(row, f.attname), connection)

    def plain(name: str) -> Callable[[Any], Any]:
        return lambda row: get(row, name)

    now = timezone.now()
    given = None if present is None else set(present)
    converters: list[Callable[[Any], Any]] = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            converters.append(constant(f.get_db_prep_save(now, connection)))
        elif given is not None and f.attname not in given:
            converters.append(constant(f.get_db_prep_save(f.get_default(), connection)))
        elif f.get_internal_type() in ("DateField", "JSONField"):
            converters.append(prepared(f))
        else:
            converters.append(plain(f.attname))
    return converters


def _copy(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """PostgreSQL: write rows into a table with one COPY, in the caller's transaction."""
    quote = connection.ops.quote_name
    # Identifiers come from the models' own metadata, quoted; values go through COPY.
    sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, connection.wrap_database_errors:
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)


def _insert(model: Any, items: Sequence[Any], get: Callable[[Any, str], Any],
            present: Iterable[str] | None = None) -> None:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    converters = _row_converters(fields, get, present)
    rows = ([convert(item) for convert in converters] for item in items)
    if connection.vendor == "postgresql":
        _copy(model._meta.db_table, [f.column for f in fields], rows)
        return
    quote = connection.ops.quote_name
    # Identifiers come from the model's own metadata, quoted; values are parameters.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(rows))


def insert_rows(model: Any, objects: list[Any]) -> None:
    """Insert new model objects in the caller's transaction: one prepared executemany,
    or on PostgreSQL one COPY.

    The ORM's bulk_create compiles SQL for every few dozen rows on SQLite; a
    directory import of a million rows spends most of its time there. This is
    the same INSERT, prepared once. On PostgreSQL, COPY writes the same rows
    several times faster than INSERT statements.
    """
    _insert(model, objects, getattr)


def insert_values(model: Any, rows: list[dict[str, Any]]) -> None:
    """Like ``insert_rows`` for rows given as ``{attname: value}`` (the same keys in every
    row; a field left out takes its default), without making model objects."""
    if rows:
        _insert(model, rows, dict.__getitem__, rows[0].keys())


def update_rows(model: Any, objects: list[Any], names: Sequence[str]) -> None:
    """Write the fields ``names`` of existing model objects, in the caller's transaction.

    On PostgreSQL the new values are COPYed into a temporary staging table and
    written with one UPDATE … FROM; elsewhere the ORM's bulk_update.
    """
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objects, list(names), batch_size=500)
        return
    meta = model._meta
    pk = meta.pk
    fields = [pk, *(meta.get_field(name) for name in names)]
    quote = connection.ops.quote_name
    table, staging = quote(meta.db_table), quote(f"staging_{meta.db_table}")
    columns = [quote(f.column) for f in fields]
    # Identifiers come from the model's own metadata, quoted.
    with connection.cursor() as cursor:
        # Same column types as the table, no constraints; gone at the end of the transaction.
        cursor.execute(
            f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP"  # noqa: S608
            f" AS SELECT {', '.join(columns)} FROM {table} WITH NO DATA"
        )
    # The objects' values as they are (as bulk_update writes them), prepared for the database.
    _copy(f"staging_{meta.db_table}", [f.column for f in fields],
          ([f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] for obj in objects))
    with connection.cursor() as cursor:
        assignments = ", ".join(f"{c} = s.{c}" for c in columns[1:])
        cursor.execute(
            f"UPDATE {table} AS t SET {assignments} FROM {staging} AS s"  # noqa: S608
            f" WHERE t.{columns[0]} = s.{columns[0]}"
        )
        cursor.execute(f"DROP TABLE {staging}")


def _upsert(
    model: Any, key: str, rows: list[dict[str, Any]], fields: Sequence[str]
) -> tuple[int, int, int]:
    """Create or update model rows by ``key``; return (created, updated, unchanged)."""
    created, updated, unchanged = _upsert_keys(model, key, rows, fields)
    return created, updated, len(unchanged)


def _upsert_keys(
    model: Any, key: str, rows: list[dict[str, Any]], fields: Sequence[str]
) -> tuple[int, int, set[str]]:
    """Create or update model rows by ``key``; return (created, updated, unchanged keys)."""
    existing = {getattr(o, key): o for o in model.objects.filter(**{f"{key}__in": [r[key] for r in rows]})}
    new, changed = [], []
    for values in rows:
        obj = existing.get(values[key])
        if obj is None:
            new.append({key: values[key], **{f: values[f] for f in fields}})
            continue
        if any(getattr(obj, f) != values[f] for f in fields):
            for f in fields:
                setattr(obj, f, values[f])
            changed.append(obj)
    if new:
        insert_values(model, new)
    if changed:
        if hasattr(model, "updated_at"):
            now = timezone.now()
            for obj in changed:
                obj.updated_at = now
            fields = [*fields, "updated_at"]
        update_rows(model, changed, fields)
    changed_keys = {getattr(o, key) for o in changed} | {r[key] for r in new}
    return len(new), len(changed), {r[key] for r in rows} - changed_keys


class RegionImporter(Importer):
    kind, label, key = "regions", "镇街", "code"
    columns = (Column("code", "区划代码", True, max_length=32), Column("name", "名称", True, max_length=100))

    def write(self, rows):
        return _upsert(Region, "code", rows, ["name"])


class DepartmentImporter(Importer):
    kind, label, key = "departments", "部门", "code"
    columns = (
        Column("code", "部门代码", True, max_length=32),
        Column("name", "部门名称", True, max_length=100),
        Column("short_name", "简称", default="", max_length=50),
    )

    def write(self, rows):
        return _upsert(Department, "code", rows, ["name", "short_name"])


ENTITY_FIELDS = [
    "name", "entity_type", "industry", "region_id", "status", "address",
    "legal_representative", "established_on", "foreign", "abnormal",
    "serious_violation", "complaints_12m", "credit_risk",
]


class EntityImporter(Importer):
    kind, label, key = "entities", "市场主体", "uscc"
    columns = (
        Column("uscc", "统一社会信用代码", True, parse_uscc),
        Column("name", "名称", True, max_length=200),
        Column("entity_type", "市场主体类型", True, choice(_labels(EntityType), "市场主体类型")),
        Column("industry", "行业门类", True, choice(INDUSTRIES, "行业门类")),
        Column("region", "所属镇街", True),
        Column("status", "登记状态", True, choice(_labels(EntityStatus), "登记状态")),
        Column("address", "住所", default="", max_length=300),
        Column("legal_representative", "法定代表人", default="", max_length=100),
        Column("established_on", "成立日期", parse=parse_date),
        Column("foreign", "涉外", parse=parse_yes_no, default=False),
        Column("abnormal", "经营异常名录", parse=parse_yes_no, default=False),
        Column("serious_violation", "严重违法失信", parse=parse_yes_no, default=False),
        Column("complaints_12m", "近12个月投诉举报", parse=parse_count, default=0),
        Column("credit_risk", "信用风险分类", parse=choice(_labels(CreditRisk), "信用风险分类"), default=""),
    )

    def prepare(self):
        self.regions: dict[str, int] = {}
        for pk, code, name in Region.objects.values_list("pk", "code", "name"):
            self.regions[code] = pk
            self.regions.setdefault(name, pk)

    def check(self, number, values):
        errors = super().check(number, values)
        region = values.pop("region", None)
        if region is not None:
            region_id = self.regions.get(region)
            if region_id is None:
                errors.append(RowError(number, "region", gettext("未知的镇街“%(region)s”") % {"region": region}))
            values["region_id"] = region_id
        return errors

    def write(self, rows):
        return _upsert(Entity, "uscc", rows, ENTITY_FIELDS)


class InspectorImporter(Importer):
    """Inspectors, keyed by certificate number; a department imports only its own.

    A department's upload may create inspectors of its department and change
    those already in it; a row whose certificate number belongs to another
    department's inspector is refused (moving an inspector between departments
    is the coordinator's), both when the row is checked and again, under lock,
    just before the batch is written.
    """

    kind, label, key = "inspectors", "执法检查人员", "cert_no"
    department_scoped = True
    columns = (
        Column("cert_no", "执法证号", True, max_length=64),
        Column("name", "姓名", True, max_length=100),
        Column("department", "所属部门", True),
        Column("status", "状态", parse=choice(_labels(InspectorStatus), "状态"), default="active"),
        Column("cert_expires_on", "执法证有效期至", parse=parse_date),
        Column("items", "可检查事项", parse=parse_code_list, default=[]),
        Column("conflicts", "回避对象", parse=parse_uscc_list, default=None),
    )

    def prepare(self) -> None:
        self.departments = dict(Department.objects.values_list("code", "pk"))
        # A department's upload: the other departments' certificate numbers, and each row's number.
        self.others: dict[str, str] = {}
        self.row_of: dict[str, int] = {}
        if self.department is not None:
            self.others = dict(Inspector.objects.exclude(department=self.department)
                               .values_list("cert_no", "department__name"))

    def _not_ours(self, number: int, cert_no: str, department: str) -> RowError:
        return RowError(number, "cert_no", gettext(
            "执法证号“%(cert_no)s”是%(department)s的执法检查人员，只能导入本部门的人员；"
            "调整其他部门的人员请联系区协调办") % {"cert_no": cert_no, "department": department})

    def check(self, number, values):
        errors = super().check(number, values)
        cert_no = values.get("cert_no")
        if cert_no and self.department is not None:
            self.row_of[cert_no] = number
            if cert_no in self.others:
                errors.append(self._not_ours(number, cert_no, self.others[cert_no]))
        code = values.pop("department", None)
        if code is not None:
            department_id = self.departments.get(code)
            if department_id is None:
                errors.append(RowError(number, "department", gettext("未知的部门代码“%(code)s”") % {"code": code}))
            elif self.department is not None and department_id != self.department.pk:
                errors.append(RowError(number, "department", f"只能导入本部门（{self.department.code}）的人员"
                                       f" / you may import only your own department's inspectors"))
            values["department_id"] = department_id
        return errors

    def _lock_own(self, rows: list[dict[str, Any]]) -> None:
        """Lock the batch's existing inspectors; refuse the file if one is another department's now.

        The rows were checked against the inspectors as they were when the file
        was opened; the coordinator may have moved one since.
        """
        moved = (Inspector.objects.select_for_update(of=("self",))
                 .filter(cert_no__in=[r["cert_no"] for r in rows]).exclude(department=self.department)
                 .values_list("cert_no", "department__name"))
        first = min(moved, key=lambda m: self.row_of.get(m[0], 1), default=None)
        if first is not None:
            error = self._not_ours(self.row_of.get(first[0], 1), *first)
            raise ImportRefused(error.message, column=error.column, row=error.row)

    def write(self, rows):
        if self.department is not None:
            self._lock_own(rows)
        created, updated, unchanged = _upsert_keys(
            Inspector, "cert_no", rows, ["name", "department_id", "status", "cert_expires_on", "items"]
        )
        with_conflicts = [r for r in rows if r.get("conflicts") is not None]
        ids = dict(Inspector.objects.filter(cert_no__in=[r["cert_no"] for r in with_conflicts])
                   .values_list("cert_no", "pk"))
        current: dict[int, set[str]] = {}
        for inspector_id, code in Conflict.objects.filter(
            inspector_id__in=ids.values(), source="import"
        ).values_list("inspector_id", "uscc"):
            current.setdefault(inspector_id, set()).add(code)
        for values in with_conflicts:
            pk = ids[values["cert_no"]]
            wanted, have = set(values["conflicts"]), current.get(pk, set())
            if wanted == have:
                continue
            # A row whose only change is its conflicts counts as updated.
            if values["cert_no"] in unchanged:
                unchanged.discard(values["cert_no"])
                updated += 1
            Conflict.objects.filter(inspector_id=pk, source="import", uscc__in=have - wanted).delete()
            Conflict.objects.bulk_create(
                [Conflict(inspector_id=pk, uscc=c, status=ConflictStatus.CONFIRMED, source="import")
                 for c in sorted(wanted - have)],
                ignore_conflicts=True,
            )
        return created, updated, len(unchanged)


IMPORTERS: dict[str, type[Importer]] = {
    cls.kind: cls for cls in (RegionImporter, DepartmentImporter, EntityImporter, InspectorImporter)
}


def register(importer: type[Importer]) -> type[Importer]:
    """Add an importer of another app (items, history) to the registry."""
    IMPORTERS[importer.kind] = importer
    return importer


class ImportRefused(Exception):
    """Raised by an importer's write or finish: the file is refused as a whole."""

    def __init__(self, message: str, column: str = "file", row: int = 1):
        super().__init__(message)
        self.error = RowError(row, column, message)


def file_sha256(stream: IO[bytes]) -> str:
    """Return the SHA-256 of a whole binary file (for the audit entry); rewind it."""
    stream.seek(0)
    digest = hashlib.sha256()
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


RowSource = Callable[[Sequence[Column]], tuple[Iterator[tuple[int, dict[str, Any], list[RowError]]], int]]


def run_import(
    kind: str,
    stream: IO[bytes],
    file_name: str,
    actor: Any,
    *,
    department: Department | None = None,
    progress: Progress | None = None,
    writing: Progress | None = None,
) -> Outcome:
    """Import one file of ``kind``; return the outcome. Nothing is written unless every row is good.

    ``progress(rows checked, total)`` is called during the first pass (no transaction is
    open), ``writing(rows written, total)`` during the write, inside its transaction.
    """
    sha256 = file_sha256(stream)
    return _run(kind, lambda columns: read_rows(stream, file_name, columns), file_name, sha256,
                {"file": file_name}, actor, department, progress, writing)


def run_rows(
    kind: str,
    rows: Iterable[Any],
    source: str,
    actor: Any,
    *,
    department: Department | None = None,
    first_row: int = 1,
) -> Outcome:
    """Import rows given as mappings (an API's list of objects) exactly as a file of ``kind``.

    The same columns (English keys or Chinese headers), the same checks, the same
    all-or-nothing write and the same audit entry as ``run_import``; each error names the
    row (numbered from ``first_row``) and the field. ``source`` says where the rows came
    from (for the audit entry, e.g. ``"api"``); the entry's SHA-256 is that of the rows as
    canonical JSON.
    """
    rows = list(rows)
    limit = max_import_rows()
    if len(rows) > limit:
        outcome = Outcome(kind=kind, file_name=source, rows=len(rows))
        outcome.add_errors([RowError(first_row + limit, "row", gettext("超过%(limit)s行的上限")
                                     % {"limit": limit})])
        return outcome
    digest = hashlib.sha256(json.dumps(rows, ensure_ascii=False, sort_keys=True, default=str)
                            .encode()).hexdigest()
    return _run(kind, lambda columns: (read_mappings(rows, columns, first_row), len(rows)), source, digest,
                {"source": source}, actor, department, None, None)


def run_records(kind: str, records: Sequence[Any], source: str, actor: Any, *,
                department: Department | None = None) -> Outcome:
    """``run_rows`` for the REST API's bulk writes: each error names the record by its index in
    ``records`` (from 0), as the request's JSON list counts them."""
    return run_rows(kind, records, source, actor, department=department, first_row=0)


def _run(kind: str, read: RowSource, name: str, sha256: str, origin: dict[str, Any], actor: Any,
         department: Department | None, progress: Progress | None, writing: Progress | None) -> Outcome:
    importer = IMPORTERS[kind](department)
    outcome = Outcome(kind=kind, file_name=name, sha256=sha256)
    if department is not None and not importer.department_scoped:
        outcome.add_errors([RowError(1, "file", gettext("只有区协调办可以导入%(label)s，部门不能导入")
                                     % {"label": importer.label})])
        return outcome
    with tempfile.TemporaryFile() as staged:
        try:
            _check_rows(importer, read, outcome, staged, progress)
            if not outcome.ok:
                return outcome
            with transaction.atomic():
                _write_rows(importer, staged, outcome, writing)
                created, updated, unchanged = importer.finish(actor)
                outcome.created += created
                outcome.updated += updated
                outcome.unchanged += unchanged
                record(actor, f"import_{kind}", "import", outcome.sha256, {
                    **origin, "sha256": outcome.sha256, "rows": outcome.rows,
                    "created": outcome.created, "updated": outcome.updated,
                    "unchanged": outcome.unchanged,
                    "department": department.code if department else None,
                    **importer.audit_details(),
                })
        except TableError as exc:
            outcome.add_errors(exc.errors)
        except ImportRefused as exc:
            outcome.add_errors([exc.error])
        if not outcome.ok:
            outcome.created = outcome.updated = outcome.unchanged = 0
    return outcome


def _check_rows(importer: Importer, read: RowSource, outcome: Outcome,
                staged: IO[bytes], progress: Progress | None) -> None:
    """First pass, outside any transaction: read and check every row, stage the good ones.

    Once a row is bad nothing more is staged (nothing will be written), but every row is
    still checked so that all the errors are reported.
    """
    rows, total = read(importer.columns)
    importer.prepare()
    batch: list[dict[str, Any]] = []

    def stage() -> None:
        if batch and outcome.ok:
            pickle.dump(batch, staged, protocol=pickle.HIGHEST_PROTOCOL)
        batch.clear()

    for number, values, errors in rows:
        outcome.rows += 1
        errors = errors + importer.check(number, values)
        if errors:
            outcome.add_errors(errors)
            batch.clear()
            continue
        if outcome.ok:
            batch.append(values)
        if len(batch) >= BATCH:
            stage()
        if progress and outcome.rows % BATCH == 0:
            progress(outcome.rows, max(total, outcome.rows))
    stage()
    if progress:
        progress(outcome.rows, outcome.rows)


def _write_rows(importer: Importer, staged: IO[bytes], outcome: Outcome, writing: Progress | None) -> None:
    """Second pass, inside the caller's transaction: write the staged batches."""
    staged.seek(0)
    written = 0
    while True:
        try:
            batch = pickle.load(staged)  # noqa: S301 - written by _check_rows of this import
        except EOFError:
            break
        created, updated, unchanged = importer.write(batch)
        outcome.created += created
        outcome.updated += updated
        outcome.unchanged += unchanged
        written += len(batch)
        if writing:
            writing(written, outcome.rows)
