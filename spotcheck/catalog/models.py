"""Inspection item lists (随机抽查事项清单; rules.md R1), versioned per department.

Every change makes a new version. A draft version is edited in place; publishing
freezes it, and a published version is never edited: the next change is a new
draft copied from it. The current list of a department is its latest published
version.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from spotcheck.directory.models import Department


class Method(models.TextChoices):
    """抽查方式."""

    WRITTEN = "written", _("书面检查")
    ONSITE = "onsite", _("实地核查")
    ONLINE = "online", _("网络监测")
    ENTRUSTED = "entrusted", _("委托专业机构")
    OTHER_RESULTS = "other_results", _("其他部门检查结果")


class Category(models.TextChoices):
    GENERAL = "general", _("一般检查事项")
    KEY = "key", _("重点检查事项")


class ListStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已公布")


class ItemList(models.Model):
    """One version of a department's item list (事项清单版本)."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="item_lists",
                                   verbose_name=_("部门"))
    version = models.PositiveIntegerField(_("版本"))
    status = models.CharField(_("状态"), max_length=20, choices=ListStatus.choices,
                              default=ListStatus.DRAFT)
    note = models.CharField(_("调整说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=200, blank=True)
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("事项清单版本")
        ordering = ["department", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["department", "version"], name="one_version_number"),
            # At most one draft per department at a time.
            models.UniqueConstraint(fields=["department"], condition=models.Q(status="draft"),
                                    name="one_draft_per_department"),
        ]

    def __str__(self) -> str:
        return f"{self.department.code} v{self.version}"

    @property
    def is_published(self) -> bool:
        return self.status == ListStatus.PUBLISHED

    @classmethod
    def current(cls, department: Department) -> ItemList | None:
        """Return the department's latest published version, or None."""
        return (cls.objects.filter(department=department, status=ListStatus.PUBLISHED)
                .order_by("-version").first())


ITEM_FIELDS = ["name", "basis", "subject", "content", "methods", "category", "target"]


class InspectionItem(models.Model):
    """An inspection item (抽查事项) in one version of a list; identified across versions by code."""

    item_list = models.ForeignKey(ItemList, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("事项编码"), max_length=64)
    name = models.CharField(_("抽查事项"), max_length=300)
    basis = models.TextField(_("抽查依据"), blank=True)
    subject = models.CharField(_("抽查主体"), max_length=200)
    content = models.TextField(_("抽查内容"))
    methods = models.JSONField(_("抽查方式"), default=list)
    category = models.CharField(_("事项类别"), max_length=20, choices=Category.choices,
                                default=Category.GENERAL)
    target = models.CharField(_("检查对象"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("抽查事项")
        verbose_name_plural = _("抽查事项")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["item_list", "code"], name="one_code_per_version")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def values(self) -> dict:
        return {f: getattr(self, f) for f in ITEM_FIELDS}

    @property
    def method_labels(self) -> list[str]:
        return [str(Method(m).label) if m in Method.values else m for m in self.methods]


class ItemCode(models.Model):
    """The department that holds an item code (事项编码登记): a code is unique across the district.

    Every item is looked up by its code alone (plans, tasks, results, history
    records, inspectors' items), so a code names one department's item. A
    department holds a code from the first time it is saved on one of its lists,
    draft or published, and keeps it while any version of its list has it (a
    published version is kept for ever); another department's list may not use
    it. The unique code makes two departments taking one code at once fail in
    the database, not only in the check before.
    """

    code = models.CharField(_("事项编码"), max_length=64, unique=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="item_codes",
                                   verbose_name=_("部门"))
    held_since = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("事项编码登记")
        verbose_name_plural = _("事项编码登记")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.department_id}"


class HistoryRecord(models.Model):
    """An inspection done elsewhere or before the system (已有检查记录).

    Counts for rules.md R3 like the system's own tasks: for ``already_inspected``
    in its year, and, when a plan department did it, for ``exempt``.
    """

    entity = models.ForeignKey("directory.Entity", on_delete=models.PROTECT, related_name="history")
    # A department code of this system, or the name of an outside agency.
    inspected_by = models.CharField(_("检查部门"), max_length=200)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT)
    item_code = models.CharField(_("抽查事项"), max_length=64)
    inspected_on = models.DateField(_("检查日期"))
    result = models.CharField(_("检查结果"), max_length=30)
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("已有检查记录")
        verbose_name_plural = _("已有检查记录")
        ordering = ["-inspected_on"]
        indexes = [models.Index(fields=["inspected_on"]), models.Index(fields=["entity", "inspected_on"])]
        constraints = [
            models.UniqueConstraint(fields=["entity", "inspected_by", "item_code", "inspected_on"],
                                    name="one_history_record"),
        ]

    def __str__(self) -> str:
        return f"{self.entity_id} {self.item_code} {self.inspected_on}"

    @property
    def inspector_name(self) -> str:
        return self.department.name if self.department else self.inspected_by


class ResultCategory(models.TextChoices):
    """检查结果 (rules.md R6): the one list of result categories, for history records and results alike."""

    NO_ISSUE = "no_issue", _("未发现问题")
    NO_ACTIVITY = "no_activity", _("未发现开展本次抽查涉及的经营活动")
    UNREACHABLE = "unreachable", _("通过登记的住所（经营场所）无法联系")
    CLOSED = "closed", _("已关闭停业或正在清算")
    REFUSED = "refused", _("不配合检查情节严重")
    CORRECTED = "corrected", _("发现问题已责令改正")
    PENDING_ACTION = "pending_action", _("发现问题待后续处理")
    DISCLOSURE_VIOLATION = "disclosure_violation", _("未按规定公示应当公示的信息")
    FALSE_DISCLOSURE = "false_disclosure", _("公示信息隐瞒真实情况弄虚作假")
    OTHER_VIOLATION = "other_violation", _("发现其他违法违规行为")


class FollowUp(models.TextChoices):
    """后续处置 (rules.md R6)."""

    NONE = "none", _("无需后续处置")
    DAILY_SUPERVISION = "daily_supervision", _("移交日常监管")
    RECTIFICATION = "rectification", _("责令改正并跟踪")
    CASE_TRANSFER = "case_transfer", _("移送办案机构立案查处")
    NOTIFY_DEPARTMENT = "notify_department", _("抄告相关部门")
    OTHER = "other", _("其他")


def code_of(choices: Any, text: Any) -> str | None:
    """Return the code that ``text`` names in ``choices``: the code itself, or its label in Chinese or
    in the language of the page (a sheet filled in Chinese is read alike whatever the page's language)."""
    from django.utils import translation

    value = str(text or "").strip()
    if not value:
        return None
    with translation.override("zh-hans"):
        chinese = {str(label): code for code, label in choices.choices}
    for code, label in choices.choices:
        if value.lower() == code or value == str(label):
            return str(code)
    return chinese.get(value)


