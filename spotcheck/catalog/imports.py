"""Imports of item lists and inspection history (spec/interfaces.md)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from spotcheck.catalog.lists import CodeTaken, publish_changes, taken_message
from spotcheck.catalog.models import (
    Category,
    HistoryRecord,
    InspectionItem,
    ItemCode,
    Method,
    ResultCategory,
    code_of,
)
from spotcheck.directory.imports import Importer, ImportRefused, _labels, register
from spotcheck.directory.models import Department, Entity
from spotcheck.lib.tabular import Column, RowError, choice, parse_date

_methods = choice(_labels(Method), "抽查方式")


def parse_methods(text: str) -> list[str]:
    methods = [_methods(part) for part in text.replace("；", ";").split(";") if part.strip()]
    if not methods:
        raise ValueError(_("至少一种抽查方式"))
    return list(dict.fromkeys(methods))


@register
class ItemImporter(Importer):
    """Items: each department in the file gets a new published list version with these items.

    The new version is the department's current list with the file's items added
    or updated (by code); items not in the file stay. A department whose items
    are all unchanged gets no new version. A department's upload has only its own
    items, and a code another department holds is refused (codes are unique
    across the district, whoever imports).
    """

    kind, label, key = "items", "抽查事项", "code"
    department_scoped = True
    columns = (
        Column("code", "事项编码", True, max_length=64),
        Column("department", "部门", True),
        Column("name", "抽查事项", True, max_length=300),
        Column("basis", "抽查依据", True),
        Column("subject", "抽查主体", True, max_length=200),
        Column("content", "抽查内容", True),
        Column("methods", "抽查方式", True, parse_methods),
        Column("category", "事项类别", parse=choice(_labels(Category), "事项类别"), default="general"),
        Column("target", "检查对象", default="", max_length=300),
    )

    def prepare(self) -> None:
        self.departments = {d.code: d for d in Department.objects.all()}
        self.rows: list[dict[str, Any]] = []
        self.versions: dict[str, int] = {}
        # Who holds each code already (codes are unique across the district).
        self.holders = dict(ItemCode.objects.values_list("code", "department_id"))
        self.by_pk = {d.pk: d for d in self.departments.values()}
        self.row_of: dict[str, int] = {}

    def check(self, number: int, values: dict[str, Any]) -> list[RowError]:
        errors = super().check(number, values)
        code = values.get("department")
        if code is not None and code not in self.departments:
            errors.append(RowError(number, "department", _("未知的部门代码“%(code)s”") % {"code": code}))
        elif self.department is not None and code != self.department.code:
            errors.append(RowError(number, "department", _("只能导入本部门的事项")))
        department = self.departments.get(code or "")
        item_code = values.get("code")
        if item_code and department is not None:
            self.row_of.setdefault(item_code, number)
            holder = self.holders.get(item_code)
            if holder is not None and holder != department.pk:
                errors.append(RowError(number, "code", taken_message(item_code, self.by_pk[holder])))
        return errors

    def write(self, rows: list[dict[str, Any]]) -> tuple[int, int, int]:
        self.rows.extend(dict(r) for r in rows)
        return 0, 0, 0

    def finish(self, actor: Any) -> tuple[int, int, int]:
        by_department: dict[str, list[dict[str, Any]]] = {}
        for values in self.rows:
            by_department.setdefault(values.pop("department"), []).append(values)
        totals = [0, 0, 0]
        for code, items in sorted(by_department.items()):
            try:
                counts, version = publish_changes(self.departments[code], items, actor,
                                                  note="文件导入")
            except CodeTaken as taken:  # taken by another department since the rows were checked
                raise ImportRefused(taken.error.message, "code", self.row_of.get(taken.code, 1)) from None
            for i in range(3):
                totals[i] += counts[i]
            if version is not None:
                self.versions[code] = version.version
        return totals[0], totals[1], totals[2]

    def audit_details(self) -> dict[str, Any]:
        return {"published_versions": self.versions}


def _results(text: str) -> str:
    """A result code of R6, or its Chinese text."""
    code = code_of(ResultCategory, text)
    if code is None:
        allowed = "、".join(f"{c}（{label}）" for c, label in ResultCategory.choices)
        raise ValueError(_("未知的检查结果“%(value)s”，应为：%(allowed)s") % {"value": text, "allowed": allowed})
    return code


@register
class HistoryImporter(Importer):
    """Inspection records from other agencies or years; keyed by (entity, by whom, item, date)."""

    kind, label, key = "history", "已有检查记录", ""
    columns = (
        Column("uscc", "统一社会信用代码", True),
        Column("department", "检查部门", True, max_length=200),
        Column("item", "抽查事项", True),
        Column("inspected_on", "检查日期", True, parse_date),
        Column("result", "检查结果", True, _results),
    )

    def prepare(self) -> None:
        self.departments = dict(Department.objects.values_list("code", "pk"))
        self.items = set(InspectionItem.objects.values_list("code", flat=True))
        self.entities = set(Entity.objects.values_list("uscc", flat=True))
        self.keys: set[tuple] = set()

    def check(self, number: int, values: dict[str, Any]) -> list[RowError]:
        errors: list[RowError] = []
        if values.get("uscc"):
            values["uscc"] = values["uscc"].strip().upper()
            if values["uscc"] not in self.entities:
                errors.append(RowError(number, "uscc", _("名录库中没有该市场主体“%(uscc)s”") % {"uscc": values["uscc"]}))
        if values.get("item") and values["item"] not in self.items:
            errors.append(RowError(number, "item", _("未知的抽查事项编码“%(code)s”") % {"code": values["item"]}))
        key = (values.get("uscc"), values.get("department"), values.get("item"), values.get("inspected_on"))
        if all(key):
            if key in self.keys:
                errors.append(RowError(number, "uscc", _("文件中重复的检查记录")))
            self.keys.add(key)
        return errors

    def write(self, rows: list[dict[str, Any]]) -> tuple[int, int, int]:
        entities = dict(Entity.objects.filter(uscc__in={r["uscc"] for r in rows}).values_list("uscc", "pk"))
        existing = {
            (h.entity_id, h.inspected_by, h.item_code, h.inspected_on): h
            for h in HistoryRecord.objects.filter(entity_id__in=entities.values())
        }
        new, changed = [], []
        for r in rows:
            key = (entities[r["uscc"]], r["department"], r["item"], r["inspected_on"])
            record = existing.get(key)
            if record is None:
                new.append(HistoryRecord(
                    entity_id=key[0], inspected_by=r["department"], department_id=self.departments.get(r["department"]),
                    item_code=r["item"], inspected_on=r["inspected_on"], result=r["result"]))
            elif record.result != r["result"]:
                record.result = r["result"]
                record.updated_at = timezone.now()
                changed.append(record)
        HistoryRecord.objects.bulk_create(new, batch_size=500)
        HistoryRecord.objects.bulk_update(changed, ["result", "updated_at"], batch_size=500)
        return len(new), len(changed), len(rows) - len(new) - len(changed)

