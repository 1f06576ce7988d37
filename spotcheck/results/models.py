"""Inspection results (检查结果; rules.md R6–R7): what a team found, per task and item.

A task's results are entered by its team, submitted by its leader, reviewed by a
head of the lead department, and published. Published results are never edited
or deleted: a correction is a new result linked to the one it corrects, with a
reason, and both stay public. A problem result keeps its task open until the
follow-up is recorded as done.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from spotcheck.catalog.models import FollowUp, Method
from spotcheck.catalog.models import ResultCategory as Category
from spotcheck.directory.models import Department, Entity, JobStatus
from spotcheck.inspections.models import Task

__all__ = ["WITHOUT_PROBLEM", "Attachment", "Category", "FeedCounter", "FollowUp", "FollowUpRecord", "Result", "Review",
           "Sample"]


# Results that need no findings and no follow-up; every other one is a problem result.
WITHOUT_PROBLEM = frozenset({Category.NO_ISSUE, Category.NO_ACTIVITY})


class Result(models.Model):
    """The result of one item of one task (检查结果), or a correction of a published one.

    Entered while the task is pending or returned (saved as the inspector types:
    an incomplete result is a draft); frozen once the task is submitted. The
    ``entity``, ``department``, ``year`` and ``published_at`` fields repeat what
    the task says, so that the public search needs no joins.
    """

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="results")
    item_code = models.CharField(_("抽查事项"), max_length=64)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="results",
                                   verbose_name=_("检查部门"))
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="results")
    year = models.PositiveIntegerField(_("年度"))
    method = models.CharField(_("检查方式"), max_length=20, choices=Method.choices, blank=True)
    inspected_on = models.DateField(_("检查日期"), null=True, blank=True)
    checked = models.TextField(_("检查内容"), blank=True)
    findings = models.TextField(_("检查发现"), blank=True)
    category = models.CharField(_("检查结果"), max_length=30, choices=Category.choices, blank=True)
    follow_up = models.CharField(_("后续处置"), max_length=30, choices=FollowUp.choices, blank=True)
    inspectors = models.JSONField(_("检查人员"), default=list)  # certificate numbers, team members
    entered_by = models.CharField(_("录入人"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(_("公示时间"), null=True, blank=True)
    # A correction of a published result (更正): a new entry linked to the old, with a reason.
    corrects = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="corrected_by", verbose_name=_("更正的结果"))
    correction_reason = models.TextField(_("更正原因"), blank=True)
    # The result's place in the credit feed (spotcheck/results/feed.py): given at publication, in the
    # publishing transaction, under the feed counter's lock, so that this order is the order of commits.
    feed_seq = models.BigIntegerField(_("公示序号"), null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("检查结果")
        verbose_name_plural = _("检查结果")
        ordering = ["task", "item_code", "pk"]
        constraints = [
            # One original result per task and item; corrections come after it.
            models.UniqueConstraint(fields=["task", "item_code"], condition=models.Q(corrects__isnull=True),
                                    name="one_result_per_task_item"),
        ]
        indexes = [
            models.Index(fields=["-published_at"], name="result_published"),
            models.Index(fields=["department", "year", "category"], name="result_filters"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id}/{self.item_code}"

    @property
    def is_problem(self) -> bool:
        return bool(self.category) and self.category not in WITHOUT_PROBLEM

    @property
    def is_current(self) -> bool:
        """Not corrected by a later entry."""
        return not hasattr(self, "corrected_by")


class FeedCounter(models.Model):
    """The last number given in the credit feed (one row): its lock orders the publications' commits."""

    last = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("公示序号计数")

    def __str__(self) -> str:
        return str(self.last)


class Sample(models.Model):
    """A sample bought for laboratory testing (抽样检验), at cost (按照成本价购买).

    The entity is never charged a testing fee (不向被检查对象收取检验费用): the
    record and the archive form say so.
    """

    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="samples")
    product = models.CharField(_("样品名称"), max_length=200)
    specification = models.CharField(_("规格型号"), max_length=200, blank=True)
    quantity = models.CharField(_("抽样数量"), max_length=100)
    price_paid = models.DecimalField(_("购买样品支付金额（按成本价，元）"), max_digits=12, decimal_places=2)
    testing_body = models.CharField(_("检验机构"), max_length=200)
    report_no = models.CharField(_("检验报告编号"), max_length=100, blank=True)
    test_result = models.CharField(_("检验结论"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("抽样检验")
        ordering = ["result", "pk"]

    def __str__(self) -> str:
        return f"{self.result_id}: {self.product}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"results/{instance.result.task_id}/{instance.sha256[:16]}{instance.extension}"


class Attachment(models.Model):
    """A photo or PDF of a result (附件), stored through Django's storage API.

    Its type is read from the file's content, never from its name.
    """

    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=50)
    extension = models.CharField(max_length=10)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.CharField(max_length=200)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        ordering = ["result", "pk"]

    def __str__(self) -> str:
        return self.name


class FollowUpRecord(models.Model):
    """The follow-up of a problem result, recorded as done (后续处置完成情况)."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="follow_ups")
    action = models.TextField(_("处置情况"))
    done_on = models.DateField(_("完成日期"))
    done_by = models.CharField(_("处置人"), max_length=200)
    document = models.FileField(_("处置文书"), upload_to="follow-ups/", max_length=300, blank=True)
    document_name = models.CharField(max_length=200, blank=True)
    recorded_by = models.CharField(max_length=200)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("后续处置记录")
        ordering = ["task", "pk"]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.done_on}"


class Review(models.Model):
    """One review of a submitted task: approved, or returned with a reason (审核)."""

    class Decision(models.TextChoices):
        APPROVED = "approved", _("审核通过")
        RETURNED = "returned", _("退回修改")

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="reviews")
    decision = models.CharField(_("审核意见"), max_length=20, choices=Decision.choices)
    reason = models.TextField(_("退回理由"), blank=True)
    reviewer = models.CharField(_("审核人"), max_length=200)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("审核记录")
        ordering = ["task", "pk"]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.decision}"


def archive_path(instance: PlanArchive, filename: str) -> str:
    return f"archives/plan-{instance.plan_id}/{filename}"


class PlanArchive(models.Model):
    """A plan's archive (入卷归档): one ZIP of every task's record form, the draw and the results.

    One row per attempt to build it, with its progress; the built one holds the
    file (stored through Django's storage API) and its SHA-256, which the audit
    entry ``plan_archive`` repeats.
    """

    plan = models.ForeignKey("plans.Plan", on_delete=models.PROTECT, related_name="archives",
                             verbose_name=_("抽查计划"))
    status = models.CharField(_("状态"), max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    error = models.TextField(_("未完成的原因"), blank=True)
    file = models.FileField(_("归档文件"), upload_to=archive_path, max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="plan_archives")
    created_by_name = models.CharField(_("归档人"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("计划归档")
        verbose_name_plural = _("计划归档")
        ordering = ["plan", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["plan"], condition=models.Q(status="done"), name="one_archive_per_plan"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.status}"

    @property
    def percent(self) -> int:
        if self.status in (JobStatus.DONE, JobStatus.REFUSED):
            return 100
        return min(100, self.done * 100 // self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.REFUSED, JobStatus.FAILED)
