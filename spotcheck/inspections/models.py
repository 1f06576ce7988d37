"""Inspection tasks (检查任务; rules.md R6): one per drawn entity per plan, with its team."""

from __future__ import annotations

from collections.abc import Iterator

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

    class Meta:
        verbose_name = _("检查任务")
        verbose_name_plural = _("检查任务")
        ordering = ["plan", "order"]
        constraints = [models.UniqueConstraint(fields=["plan", "entity"], name="one_task_per_plan_entity")]

    def __str__(self) -> str:
        return f"{self.plan_id}#{self.order} {self.entity_id}"

    def team(self) -> list[Inspector]:
        return [m.inspector for m in self.members.select_related("inspector", "inspector__department")]


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


def task_inspections(year: int) -> Iterator:
    """Yield the frame's Inspection facts for every task of years Y-3..Y that was not cancelled."""
    from spotcheck.catalog.lists import published_items
    from spotcheck.plans.frame import Inspection

    owners = {code: dept for code, (dept, _) in published_items().items()}
    rows = (Task.objects.filter(plan__year__gte=year - 3, plan__year__lte=year)
            .exclude(status=TaskStatus.CANCELLED).order_by()
            .values_list("entity__uscc", "plan__year", "plan_id", "plan__lead_department__code", "items"))
    for uscc, plan_year, plan_id, lead, items in rows.iterator(chunk_size=20000):
        for item in items:
            yield Inspection(uscc, plan_year, owners.get(item, lead), item, None, plan_id)


def register_inspection_source() -> None:
    from spotcheck.plans.framedata import INSPECTION_SOURCES

    if task_inspections not in INSPECTION_SOURCES:
        INSPECTION_SOURCES.append(task_inspections)
