"""Inspection tasks (检查任务; rules.md R6): one per drawn entity per plan, with its team."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from spotcheck.directory.models import Entity, Inspector


class TaskStatus(models.TextChoices):
    PENDING = "pending", _("待检查")
    ENTERED = "entered", _("已录入")
    RETURNED = "returned", _("已退回")
    APPROVED = "approved", _("已审核")
    PUBLISHED = "published", _("已公示")
    ARCHIVED = "archived", _("已归档")
    CANCELLED = "cancelled", _("已取消")


class Task(models.Model):
    """An inspection task (检查任务): one visit to one entity covering every item of the plan."""

    plan = models.ForeignKey("plans.Plan", on_delete=models.PROTECT, related_name="tasks")
    commitment = models.ForeignKey("draws.Commitment", on_delete=models.PROTECT, related_name="tasks")
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="tasks")
    stratum = models.CharField(_("分层"), max_length=20)
    ticket = models.CharField(_("签号"), max_length=64)
    order = models.PositiveIntegerField(_("抽取顺序"))
    items = models.JSONField(_("抽查事项"), default=list)
    status = models.CharField(_("状态"), max_length=20, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    # The results' workflow (spotcheck.results.service): submission, review, publication, archive.
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    submitted_by = models.CharField(_("提交人"), max_length=200, blank=True)
    completed_on = models.DateField(_("检查完成日期"), null=True, blank=True)  # the last item's date
    return_reason = models.TextField(_("退回理由"), blank=True)
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    approved_by = models.CharField(_("审核人"), max_length=200, blank=True)
    published_at = models.DateTimeField(_("公示时间"), null=True, blank=True)
    archived_at = models.DateTimeField(_("归档时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("检查任务")
        verbose_name_plural = _("检查任务")
        ordering = ["plan", "order"]
        constraints = [models.UniqueConstraint(fields=["plan", "entity"], name="one_task_per_plan_entity")]
        # The oversight figures count tasks per plan and state, and entities per stratum, from this
        # index alone (spotcheck/oversight/selectors.py).
        indexes = [models.Index(fields=["plan", "status", "stratum", "entity"], name="task_plan_state")]

    def __str__(self) -> str:
        return f"{self.plan_id}#{self.order} {self.entity_id}"

    def team(self) -> list[Inspector]:
        return [m.inspector for m in self.members.select_related("inspector", "inspector__department")]

    @property
    def leader_id(self) -> int | None:
        first = self.members.order_by("position").first()
        return first.inspector_id if first else None


class TaskMember(models.Model):
    """A member of a task's team; position 0 is the team leader (组长)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="members")
    inspector = models.ForeignKey(Inspector, on_delete=models.PROTECT, related_name="task_memberships")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["task", "position"]
        constraints = [models.UniqueConstraint(fields=["task", "inspector"], name="one_membership")]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.inspector_id}"
