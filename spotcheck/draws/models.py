"""Commitments and draws (spec/draw-v1.md): the frozen frame and pool, the secret, the record."""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class CommitmentStatus(models.TextChoices):
    COMMITTED = "committed", _("已公布承诺，待抽取")
    DRAWN = "drawn", _("已抽取")
    VOID = "void", _("已作废")


class Commitment(models.Model):
    """One commitment of a plan (抽取承诺): frame and pool frozen, secret committed.

    Never changed after it is made, but for the draw (which fills the result
    fields once) or voiding. ``server_secret`` is never shown, logged or returned
    before the draw.
    """

    plan = models.ForeignKey("plans.Plan", on_delete=models.PROTECT, related_name="commitments")
    attempt = models.PositiveIntegerField(_("次序"))
    status = models.CharField(_("状态"), max_length=20, choices=CommitmentStatus.choices,
                              default=CommitmentStatus.COMMITTED)
    committed_at = models.DateTimeField(_("承诺时间"))
    committed_by = models.CharField(_("操作人"), max_length=200)
    planned_draw_at = models.DateTimeField(_("计划抽取时间"), null=True, blank=True)
    server_secret = models.CharField(max_length=64)
    commitment = models.CharField(_("承诺值"), max_length=64)
    frame_digest = models.CharField(_("抽查对象范围摘要"), max_length=64)
    pool_digest = models.CharField(_("执法人员库摘要"), max_length=64)
    frame_count = models.PositiveIntegerField(_("候选数"))
    pool_count = models.PositiveIntegerField(_("执法人员数"))
    # The frozen inputs, exactly as hashed: sorted "id,stratum" lines and pool lines.
    frame_text = models.TextField()
    pool_text = models.TextField()
    exclusions_text = models.TextField(blank=True)  # "id,reason" lines
    strata = models.JSONField(default=dict)  # the plan's ratio or count per stratum
    team_size = models.PositiveIntegerField()
    required_departments = models.JSONField(default=list)
    capacity = models.PositiveIntegerField()
    # Filled by the draw:
    public_entropy = models.TextField(_("公开随机数"), blank=True)
    seed = models.CharField(_("随机种子"), max_length=64, blank=True)
    drawn_at = models.DateTimeField(_("抽取时间"), null=True, blank=True)
    drawn_by = models.CharField(max_length=200, blank=True)
    record = models.TextField(blank=True)  # the published record (draw-v1 §7), as served
    void_reason = models.TextField(_("作废原因"), blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("抽取承诺")
        ordering = ["plan", "attempt"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "attempt"], name="one_attempt_number"),
            models.UniqueConstraint(fields=["plan"], condition=~models.Q(status="void"),
                                    name="one_live_commitment_per_plan"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.attempt} {self.commitment[:12]}"

    @property
    def revealed_secret(self) -> str:
        """The secret, once it may be shown (after the draw); empty before."""
        return self.server_secret if self.status == CommitmentStatus.DRAWN else ""

    def record_data(self) -> dict[str, Any]:
        return json.loads(self.record) if self.record else {}

    def public_summary(self) -> dict[str, Any]:
        """What the portal shows before the draw: never the secret."""
        return {
            "attempt": self.attempt, "status": self.status, "commitment": self.commitment,
            "frame_digest": self.frame_digest, "pool_digest": self.pool_digest,
            "frame_count": self.frame_count, "pool_count": self.pool_count,
            "committed_at": self.committed_at.isoformat(),
            "planned_draw_at": self.planned_draw_at.isoformat() if self.planned_draw_at else None,
            "void_reason": self.void_reason,
        }


class Witness(models.Model):
    """A witness present at a draw (监督见证人): notary, deputy, CPPCC member, press, public."""

    class Capacity(models.TextChoices):
        NOTARY = "notary", _("公证员")
        DEPUTY = "deputy", _("人大代表")
        CPPCC = "cppcc", _("政协委员")
        PRESS = "press", _("媒体")
        PUBLIC = "public", _("社会公众")

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="witnesses")
    name = models.CharField(_("姓名"), max_length=100)
    capacity = models.CharField(_("身份"), max_length=20, choices=Capacity.choices)
    organisation = models.CharField(_("单位"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("监督见证人")
        ordering = ["commitment", "pk"]

    def __str__(self) -> str:
        return f"{self.get_capacity_display()} {self.name}"
