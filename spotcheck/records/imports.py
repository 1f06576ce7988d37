"""Imports of licences and penalties (docs/formats.md), through the machinery of the directory imports.

A department's upload (or API call) writes only as that department: a record issued by
another of our departments is refused, and so is a record that already exists and was
written by another department (or by the coordinator); the coordinator writes any. The
ownership is checked when each row is checked and again, under lock, just before the
batch is written (another upload may have written the record since).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from spotcheck.directory.imports import Importer, ImportRefused, _labels, register
from spotcheck.directory.models import Department, Entity
from spotcheck.lib.tabular import Column, RowError, choice, parse_date
from spotcheck.records.models import Licence, LicenceStatus, Penalty

MAX_AMOUNT = Decimal("999999999999.99")  # the column holds 14 digits, 2 after the point


def parse_amount(text: str) -> Decimal:
    """Return an amount in yuan (at most two decimals, not negative), or raise ValueError."""
    try:
        value = Decimal(text.strip().replace(",", "").replace("，", ""))
    except InvalidOperation:
        raise ValueError(_("金额无效“%(value)s”（应为数字，单位元）") % {"value": text}) from None
    if not value.is_finite() or value < 0:
        raise ValueError(_("金额无效“%(value)s”（应为数字，单位元）") % {"value": text})
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(_("金额最多两位小数“%(value)s”") % {"value": text})
    if value > MAX_AMOUNT:
        raise ValueError(_("金额过大“%(value)s”") % {"value": text})
    return value.quantize(Decimal("0.01"))


class RecordImporter(Importer):
    """What licences and penalties share: the entity by its code, the issuing body, the owner.

    Subclasses name their model, their key's number column (the body's column is
    ``body``) and the fields a row writes.
    """

    department_scoped = True
    model: type[Model] = Model
    body = ""  # the column naming the issuing body (a department code or name, or an outside agency)
    body_name = ""  # the model's field for the body's name
    number = ""  # the column and field of the record's number
    fields: Sequence[str] = ()  # the model's fields a row writes, besides entity, body and owner

    def prepare(self) -> None:
        self.entities = set(Entity.objects.values_list("uscc", flat=True))
        self.departments: dict[str, Department] = {}
        for department in Department.objects.all():
            self.departments[department.code] = department
            self.departments.setdefault(department.name, department)
        self.keys: set[tuple[str, str]] = set()
        self.row_of: dict[tuple[str, str], int] = {}
        # A department's upload: who wrote each existing record it may not change.
        self.others: dict[tuple[str, str], str] = {}
        if self.department is not None:
            for name, number, owner in (self.model._default_manager.exclude(owner=self.department)
                                        .values_list(self.body_name, self.number, "owner__name")):
                self.others[(name, number)] = owner or _("区协调办")

    def _not_ours(self, number: int, key: tuple[str, str], owner: str) -> RowError:
        return RowError(number, self.number, _(
            "%(body)s的“%(number)s”已由%(owner)s录入，只能修改本部门录入的记录；请联系区协调办")
            % {"body": key[0], "number": key[1], "owner": owner})

    def check(self, number: int, values: dict[str, Any]) -> list[RowError]:
        errors: list[RowError] = []
        code = values.pop("uscc", None)
        if code:
            code = code.strip().upper()
            if code not in self.entities:
                errors.append(RowError(number, "uscc", _("名录库中没有该市场主体“%(uscc)s”") % {"uscc": code}))
        values["uscc"] = code
        body = values.pop(self.body, None)
        if body:
            department = self.departments.get(body)
            values[self.body_name] = department.name if department else body
            values[f"{self.body_name.removesuffix('_name')}_id"] = department.pk if department else None
            if department is not None and self.department is not None and department.pk != self.department.pk:
                errors.append(RowError(number, self.body, _(
                    "%(department)s是本系统的其他部门：部门只能导入本部门或外部机关作出的记录")
                    % {"department": department.name}))
            key = (values[self.body_name], values.get(self.number) or "")
            if key[1]:
                if key in self.keys:
                    errors.append(RowError(number, self.number, _("文件中重复“%(body)s %(number)s”")
                                           % {"body": key[0], "number": key[1]}))
                self.keys.add(key)
                self.row_of.setdefault(key, number)
                if key in self.others:
                    errors.append(self._not_ours(number, key, self.others[key]))
        return errors

    def _lock_own(self, keys: list[tuple[str, str]]) -> None:
        """Lock the batch's existing records; refuse the file if one was written by another department since."""
        numbers = {number for _body, number in keys}
        wanted = set(keys)
        found = (self.model._default_manager.select_for_update(of=("self",))
                 .filter(**{f"{self.number}__in": numbers}).exclude(owner=self.department)
                 .values_list(self.body_name, self.number, "owner__name"))
        taken = [(self.row_of.get((b, n), 1), (b, n), owner) for b, n, owner in found if (b, n) in wanted]
        if taken:
            row, key, owner = min(taken)
            error = self._not_ours(row, key, owner or _("区协调办"))
            raise ImportRefused(error.message, column=error.column, row=error.row)

    def write(self, rows: list[dict[str, Any]]) -> tuple[int, int, int]:
        keys = [(r[self.body_name], r[self.number]) for r in rows]
        if self.department is not None:
            self._lock_own(keys)
        manager = self.model._default_manager
        entities = dict(Entity.objects.filter(uscc__in={r["uscc"] for r in rows}).values_list("uscc", "pk"))
        existing = {(getattr(o, self.body_name), getattr(o, self.number)): o
                    for o in manager.filter(**{f"{self.number}__in": {k[1] for k in keys}})}
        body_id = f"{self.body_name.removesuffix('_name')}_id"
        names = ["entity_id", body_id, *self.fields]
        new, changed = [], []
        now = timezone.now()
        for key, values in zip(keys, rows, strict=True):
            values = {**values, "entity_id": entities[values["uscc"]]}
            obj = existing.get(key)
            if obj is None:
                owner = self.department.pk if self.department is not None else values[body_id]
                new.append(self.model(**{self.body_name: key[0], self.number: key[1], "owner_id": owner,
                                         **{name: values[name] for name in names}}))
            elif any(getattr(obj, name) != values[name] for name in names):
                for name in names:
                    setattr(obj, name, values[name])
                obj.updated_at = now  # type: ignore[attr-defined]
                changed.append(obj)
        try:
            with transaction.atomic():
                manager.bulk_create(new, batch_size=500)
        except IntegrityError:  # another import wrote one of these keys since they were read
            raise ImportRefused(_("另一导入同时写入了本文件中的记录，未写入任何数据，请重新导入")) from None
        manager.bulk_update(changed, [*names, "updated_at"], batch_size=500)
        return len(new), len(changed), len(rows) - len(new) - len(changed)


@register
class LicenceImporter(RecordImporter):
    """Administrative licences (行政许可), keyed by (issuing body, licence number)."""

    kind, label = "licences", "行政许可"
    model, body, body_name, number = Licence, "issuer", "issuer_name", "number"
    fields = ("licence_type", "valid_from", "valid_to", "status")
    columns = (
        Column("uscc", "统一社会信用代码", True, max_length=18),
        Column("licence_type", "许可类别", True, max_length=100),
        Column("number", "许可证编号", True, max_length=100),
        Column("issuer", "发证机关", True, max_length=200),
        Column("valid_from", "有效期自", True, parse_date),
        Column("valid_to", "有效期至", parse=parse_date),
        Column("status", "许可状态", parse=choice(_labels(LicenceStatus), "许可状态"), default=LicenceStatus.VALID),
    )

    def check(self, number: int, values: dict[str, Any]) -> list[RowError]:
        errors = super().check(number, values)
        start, end = values.get("valid_from"), values.get("valid_to")
        if start and end and end < start:
            errors.append(RowError(number, "valid_to", _("有效期至%(end)s早于有效期自%(start)s")
                                   % {"end": end.isoformat(), "start": start.isoformat()}))
        return errors


@register
class PenaltyImporter(RecordImporter):
    """Administrative penalty decisions (行政处罚), keyed by (deciding department, decision number)."""

    kind, label = "penalties", "行政处罚"
    model, body, body_name, number = Penalty, "department", "department_name", "decision_no"
    fields = ("decision_date", "summary", "amount")
    columns = (
        Column("uscc", "统一社会信用代码", True, max_length=18),
        Column("decision_no", "处罚决定书文号", True, max_length=100),
        Column("decision_date", "处罚决定日期", True, parse_date),
        Column("department", "处罚机关", True, max_length=200),
        Column("summary", "处罚内容", True),
        Column("amount", "罚没金额", parse=parse_amount),
    )

    def check(self, number: int, values: dict[str, Any]) -> list[RowError]:
        errors = super().check(number, values)
        day = values.get("decision_date")
        if day and day > timezone.localdate():
            errors.append(RowError(number, "decision_date", _("处罚决定日期%(day)s晚于今天")
                                   % {"day": day.isoformat()}))
        return errors
