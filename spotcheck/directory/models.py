"""The directories (名录库; rules.md R2): regions, departments, market entities, inspectors."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """A township or sub-district (镇街)."""

    code = models.CharField(_("区划代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)

    class Meta:
        verbose_name = _("镇街")
        verbose_name_plural = _("镇街")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """A department of the district government (部门)."""

    code = models.CharField(_("部门代码"), max_length=32, unique=True)
    name = models.CharField(_("部门名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class EntityType(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    INDIVIDUAL = "individual", _("个体工商户")
    COOPERATIVE = "cooperative", _("农民专业合作社")


class EntityStatus(models.TextChoices):
    ACTIVE = "active", _("存续")
    REVOKED = "revoked", _("吊销")
    DEREGISTERED = "deregistered", _("注销")


class CreditRisk(models.TextChoices):
    A = "A", _("低风险")
    B = "B", _("一般风险")
    C = "C", _("较高风险")
    D = "D", _("高风险")


# GB/T 4754-2017 sections (行业门类).
INDUSTRIES = {
    "A": "农、林、牧、渔业",
    "B": "采矿业",
    "C": "制造业",
    "D": "电力、热力、燃气及水生产和供应业",
    "E": "建筑业",
    "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业",
    "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业",
    "J": "金融业",
    "K": "房地产业",
    "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业",
    "O": "居民服务、修理和其他服务业",
    "P": "教育",
    "Q": "卫生和社会工作",
    "R": "文化、体育和娱乐业",
    "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
}


class Entity(models.Model):
    """A market entity (市场主体), keyed by its unified social credit code (统一社会信用代码)."""

    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("名称"), max_length=200, db_index=True)
    entity_type = models.CharField(_("市场主体类型"), max_length=20, choices=EntityType.choices)
    industry = models.CharField(_("行业门类"), max_length=1, choices=list(INDUSTRIES.items()))
    region = models.ForeignKey(Region, verbose_name=_("所属镇街"), on_delete=models.PROTECT)
    status = models.CharField(_("登记状态"), max_length=20, choices=EntityStatus.choices)
    address = models.CharField(_("住所"), max_length=300, blank=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=100, blank=True)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    foreign = models.BooleanField(_("涉外"), default=False)
    abnormal = models.BooleanField(_("经营异常名录"), default=False)
    serious_violation = models.BooleanField(_("严重违法失信"), default=False)
    complaints_12m = models.PositiveIntegerField(_("近12个月投诉举报"), default=0)
    credit_risk = models.CharField(
        _("信用风险分类"), max_length=1, choices=CreditRisk.choices, blank=True
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("市场主体")
        verbose_name_plural = _("市场主体名录库")
        ordering = ["uscc"]
        indexes = [
            models.Index(fields=["region", "industry", "entity_type", "status"]),
            # The REST API's changes since a time (every import and write sets it).
            models.Index(fields=["updated_at"], name="entity_updated_at"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.uscc}）"

    @property
    def industry_label(self) -> str:
        return INDUSTRIES.get(self.industry, self.industry)


class InspectorStatus(models.TextChoices):
    ACTIVE = "active", _("在岗")
    INACTIVE = "inactive", _("离岗")


class Inspector(models.Model):
    """An inspector (执法检查人员), keyed by enforcement certificate number (执法证号)."""

    cert_no = models.CharField(_("执法证号"), max_length=64, unique=True)
    name = models.CharField(_("姓名"), max_length=100)
    department = models.ForeignKey(Department, verbose_name=_("所属部门"), on_delete=models.PROTECT,
                                   related_name="inspectors")
    status = models.CharField(_("状态"), max_length=20, choices=InspectorStatus.choices,
                              default=InspectorStatus.ACTIVE)
    cert_expires_on = models.DateField(_("执法证有效期至"), null=True, blank=True)
    # Item codes this inspector may inspect; empty: every item of the department.
    items = models.JSONField(_("可检查事项"), default=list, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("执法检查人员")
        verbose_name_plural = _("执法检查人员名录库")
        ordering = ["department", "cert_no"]

    def __str__(self) -> str:
        return f"{self.name}（{self.cert_no}）"

    def confirmed_conflicts(self) -> list[str]:
        return sorted(
            self.conflicts.filter(status=ConflictStatus.CONFIRMED).values_list("uscc", flat=True)
        )


class ConflictStatus(models.TextChoices):
    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已确认")


class Conflict(models.Model):
    """A declared conflict of interest (回避对象): the inspector is never sent to that entity.

    An inspector may declare their own; it counts once the department
    administrator confirms it. Imported conflicts are confirmed by the import.
    """

    inspector = models.ForeignKey(Inspector, on_delete=models.CASCADE, related_name="conflicts")
    uscc = models.CharField(_("统一社会信用代码"), max_length=18)
    status = models.CharField(_("状态"), max_length=20, choices=ConflictStatus.choices,
                              default=ConflictStatus.CONFIRMED)
    reason = models.CharField(_("回避理由"), max_length=200, blank=True)
    # "import": from the department's roster file (replaced by the next import);
    # "declared": declared in the web interface (kept until withdrawn).
    source = models.CharField(max_length=20, default="import")
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("回避对象")
        verbose_name_plural = _("回避对象")
        constraints = [
            models.UniqueConstraint(fields=["inspector", "uscc"], name="one_conflict_per_pair")
        ]

    def __str__(self) -> str:
        return f"{self.inspector_id} ↔ {self.uscc}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    REFUSED = "refused", _("被拒绝")
    FAILED = "failed", _("出错")


class ImportJob(models.Model):
    """One uploaded import file and its progress (导入任务). Large files run in the background."""

    kind = models.CharField(_("类型"), max_length=20)
    file_name = models.CharField(_("文件名"), max_length=255)
    stored_path = models.CharField(max_length=500)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="import_jobs")
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(_("状态"), max_length=20, choices=JobStatus.choices,
                              default=JobStatus.QUEUED)
    # Rows checked (first pass) and rows written (second pass), and when the worker last said so.
    done = models.PositiveIntegerField(default=0)
    written = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.file_name}"

    @property
    def percent(self) -> int:
        if self.status in (JobStatus.DONE, JobStatus.REFUSED):
            return 100
        # Checking the rows is the first half of the bar, writing them the second.
        return min(100, (self.done + self.written) * 50 // self.total) if self.total else 0

    @property
    def interrupted(self) -> bool:
        return bool(self.status == JobStatus.FAILED and self.result.get("interrupted"))

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.REFUSED, JobStatus.FAILED)
