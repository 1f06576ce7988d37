"""Commitments and draws (docs/draw/README.md): the frozen frame, pool and parameters, the secret, the record."""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class CommitmentStatus(models.TextChoices):
    COMMITTED = "committed", _("已公布承诺，待抽取")
    DRAWN = "drawn", _("已抽取")
    VOID = "void", _("抽取失败，已作废")


class Commitment(models.Model):
    """One commitment of a plan (抽取承诺): frame and pool frozen, secret committed.

    Never changed after it is made, but for the draw (which fills the result
    fields once) or voiding. ``server_secret`` is never shown, logged or returned
    before the draw. ``spec`` names the draw version the commitment was made
    under; the draw follows it, so a version-1 commitment is drawn by version 1.
    """

    plan = models.ForeignKey("plans.Plan", on_delete=models.PROTECT, related_name="commitments")
    attempt = models.PositiveIntegerField(_("次序"))
    spec = models.CharField(_("抽取规则版本"), max_length=40, default="spotcheck-draw/2")
    status = models.CharField(_("状态"), max_length=20, choices=CommitmentStatus.choices,
                              default=CommitmentStatus.COMMITTED)
    committed_at = models.DateTimeField(_("承诺时间"))
    committed_by = models.CharField(_("操作人"), max_length=200)
    planned_draw_at = models.DateTimeField(_("计划抽取时间"), null=True, blank=True)
    # Where the public entropy comes from (rules.md R5): empty for the witnesses present,
    # else the exact name of a public random value nobody knows yet.
    entropy_source = models.CharField(_("公开随机数来源"), max_length=300, blank=True)
    reason = models.TextField(_("重新固定范围的原因"), blank=True)  # after a failed draw
    server_secret = models.CharField(max_length=64)
    commitment = models.CharField(_("承诺值"), max_length=64)
    frame_digest = models.CharField(_("抽查对象范围摘要"), max_length=64)
    pool_digest = models.CharField(_("执法人员库摘要"), max_length=64)
    params_digest = models.CharField(_("抽取参数摘要"), max_length=64, blank=True)  # version 2
    frame_count = models.PositiveIntegerField(_("候选数"))
    pool_count = models.PositiveIntegerField(_("执法人员数"))
    # The frozen inputs, exactly as hashed: sorted "id,stratum" lines and pool lines.
    frame_text = models.TextField()
    pool_text = models.TextField()
    exclusions_text = models.TextField(blank=True)  # "id,reason" lines
    strata = models.JSONField(default=dict)  # the plan's ratio or count per stratum
    team_size = models.PositiveIntegerField()
    required_departments = models.JSONField(default=list)
    capacity = models.JSONField()  # version 2: {department: n}; version 1: one integer
    # Filled by the draw:
    public_entropy = models.TextField(_("公开随机数"), blank=True)
    seed = models.CharField(_("随机种子"), max_length=64, blank=True)
    drawn_at = models.DateTimeField(_("抽取时间"), null=True, blank=True)
    drawn_by = models.CharField(max_length=200, blank=True)
    record = models.TextField(blank=True)  # the published record (§7), as served; a failed draw's too
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
        """The secret, once it may be shown (after a draw, completed or failed); empty before."""
        return self.server_secret if self.record else ""

    @property
    def failed(self) -> bool:
        """A draw was made and could not form every team: its failure record is public."""
        return self.status == CommitmentStatus.VOID and bool(self.record)

    @property
    def by_witnesses(self) -> bool:
        return not self.entropy_source

    def params(self) -> dict[str, Any]:
        """The draw's parameters as committed (fixed by ``params_digest`` in version 2)."""
        return {"strata": self.strata, "team_size": self.team_size,
                "required_departments": self.required_departments, "capacity": self.capacity}

    def record_data(self) -> dict[str, Any]:
        return json.loads(self.record) if self.record else {}

    def public_summary(self) -> dict[str, Any]:
        """What the portal shows before the draw: never the secret."""
        return {
            "attempt": self.attempt, "status": self.status, "commitment": self.commitment,
            "spec": self.spec, "frame_digest": self.frame_digest, "pool_digest": self.pool_digest,
            "params_digest": self.params_digest, **self.params(),
            "frame_count": self.frame_count, "pool_count": self.pool_count,
            "committed_at": self.committed_at.isoformat(),
            "planned_draw_at": self.planned_draw_at.isoformat() if self.planned_draw_at else None,
            "entropy_source": self.entropy_source or "witnesses", "reason": self.reason,
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
