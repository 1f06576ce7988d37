"""Licences and administrative penalties of market entities (行政许可信息、企业违法信息; issue #10).

Other systems (the licensing system, city-level agencies) hold these records; they arrive
by file import or through the API and are shown beside the inspection results on the
entity's public credit record. A penalty decided in the year before a plan's frame is
built puts the entity in the ``heightened`` stratum (docs/rules.md R4).

The issuing body may be a department of this system or an outside agency (a city-level
bureau), so each record keeps the body's name, and a link to the department when it is
one of ours. ``owner`` is the department whose upload wrote the record: its
administrator may change it again, another department's may not; the coordinator may
change any (``None``: written by the coordinator or the command line for an outside body).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from spotcheck.directory.models import Department, Entity


class LicenceStatus(models.TextChoices):
    VALID = "valid", _("有效")
    SUSPENDED = "suspended", _("暂停")
    REVOKED = "revoked", _("撤销")
    EXPIRED = "expired", _("过期")


class Licence(models.Model):
    """An administrative licence (行政许可) held by an entity, keyed by (issuing body, number)."""

    entity = models.ForeignKey(Entity, verbose_name=_("市场主体"), on_delete=models.PROTECT,
                               related_name="licences")
    licence_type = models.CharField(_("许可类别"), max_length=100)
    number = models.CharField(_("许可证编号"), max_length=100)
    issuer_name = models.CharField(_("发证机关"), max_length=200)
    issuer = models.ForeignKey(Department, verbose_name=_("发证部门"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField(_("有效期自"))
    valid_to = models.DateField(_("有效期至"), null=True, blank=True)  # empty: no end (长期)
    status = models.CharField(_("许可状态"), max_length=20, choices=LicenceStatus.choices,
                              default=LicenceStatus.VALID)
    owner = models.ForeignKey(Department, verbose_name=_("录入部门"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("行政许可")
        verbose_name_plural = _("行政许可")
        ordering = ["entity", "-valid_from", "number"]
        constraints = [
            models.UniqueConstraint(fields=["issuer_name", "number"], name="one_licence_per_issuer_number"),
        ]

    def __str__(self) -> str:
        return f"{self.licence_type} {self.number}"


class Penalty(models.Model):
    """An administrative penalty decision (行政处罚) against an entity, keyed by (department, decision number)."""

    entity = models.ForeignKey(Entity, verbose_name=_("市场主体"), on_delete=models.PROTECT,
                               related_name="penalties")
    decision_no = models.CharField(_("处罚决定书文号"), max_length=100)
    decision_date = models.DateField(_("处罚决定日期"), db_index=True)
    department_name = models.CharField(_("处罚机关"), max_length=200)
    department = models.ForeignKey(Department, verbose_name=_("处罚部门"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    summary = models.TextField(_("处罚内容"))
    amount = models.DecimalField(_("罚没金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    owner = models.ForeignKey(Department, verbose_name=_("录入部门"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("行政处罚")
        verbose_name_plural = _("行政处罚")
        ordering = ["entity", "-decision_date", "decision_no"]
        constraints = [
            models.UniqueConstraint(fields=["department_name", "decision_no"],
                                    name="one_penalty_per_department_decision"),
        ]

    def __str__(self) -> str:
        return self.decision_no
