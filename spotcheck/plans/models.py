"""Inspection plans (抽查计划) and their approval workflow (rules.md R5).

draft → submitted → approved (by a head of the lead department who is not the
author: 经本单位负责人批准) → committed → drawn → closed. Each transition is one
method that checks who may make it and from which state, and writes its audit
entry in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from spotcheck.accounts.models import Role
from spotcheck.audit.log import actor_name, record
from spotcheck.directory.models import Department


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交审批")
    APPROVED = "approved", _("已批准")
    COMMITTED = "committed", _("已固定抽取范围")
    DRAWN = "drawn", _("已抽取")
    CLOSED = "closed", _("已办结")


class WorkflowError(Exception):
    """A transition refused: wrong state, wrong person, or something missing."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.message = message
        self.status = status


class PlanCounter(models.Model):
    """The last plan number given per lead department and year."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["department", "year"], name="one_counter")]

    def __str__(self) -> str:
        return f"{self.department_id}/{self.year}: {self.last}"


class Plan(models.Model):
    """An inspection plan (抽查计划); more than one department makes a joint plan (联合抽查)."""

    number = models.CharField(_("计划编号"), max_length=100, unique=True)
    sequence = models.PositiveIntegerField()
    lead_department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="led_plans",
                                        verbose_name=_("牵头部门"))
    name = models.CharField(_("计划名称"), max_length=200)
    year = models.PositiveIntegerField(_("年度"))
    items = models.JSONField(_("抽查事项"), default=list)
    scope = models.JSONField(_("抽查范围"), default=dict)
    strata = models.JSONField(_("分层比例"), default=dict)
    complaint_threshold = models.PositiveIntegerField(_("投诉举报阈值"), default=3)
    team_size = models.PositiveIntegerField(_("检查组人数"), default=2)
    # The most entities one inspector may be sent to in one draw (rules.md R5): None for the
    # default of every department, one integer for all, or {department code: integer}.
    capacity = models.JSONField(_("每人承担上限"), null=True, blank=True)
    honour_exemptions = models.BooleanField(_("连续三年良好免于抽查"), default=True)
    starts_on = models.DateField(_("开始日期"), null=True, blank=True)
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=PlanStatus.choices,
                              default=PlanStatus.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="authored_plans")
    author_name = models.CharField(_("编制人"), max_length=200)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by_name = models.CharField(_("批准人"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("抽查计划")
        verbose_name_plural = _("抽查计划")
        ordering = ["-year", "-created_at"]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    # --- Reading ---------------------------------------------------------------------

    @property
    def department_codes(self) -> list[str]:
        return [pd.department.code for pd in self.participants.select_related("department")]

    @property
    def is_joint(self) -> bool:
        return self.participants.count() > 1

    def unconfirmed(self) -> list[Department]:
        return [pd.department for pd in self.participants.select_related("department")
                if pd.confirmed_at is None]

    def to_file(self) -> dict[str, Any]:
        """Return the plan as the plan file of spec/interfaces.md."""
        return {
            "name": self.name,
            "year": self.year,
            "departments": self.department_codes,
            "items": list(self.items),
            "scope": self.scope,
            "strata": self.strata,
            "complaint_threshold": self.complaint_threshold,
            "team_size": self.team_size,
            **({"capacity": self.capacity} if self.capacity is not None else {}),
            "honour_exemptions": self.honour_exemptions,
            "starts_on": self.starts_on.isoformat() if self.starts_on else None,
            "ends_on": self.ends_on.isoformat() if self.ends_on else None,
        }

    # --- Transitions -----------------------------------------------------------------
    #
    # Each transition re-reads the plan's row under a lock inside its transaction and checks
    # the state of that fresh row, not of this object: two pages loaded before either acted
    # would otherwise both pass the check (a lost update, issue #12). Only the fields a
    # transition changes are written, and copied back onto this object.

    def _locked(self, *states: str) -> Plan:
        """Return the plan's row re-read under a lock, in one of ``states`` and as this object saw it.

        Refused (409) when the plan was deleted, is in another state, or changed since this
        object was loaded. Call inside the transition's transaction. On SQLite
        ``select_for_update`` does nothing, but the transaction itself starts by taking the
        write lock (IMMEDIATE).
        """
        fresh = Plan.objects.select_for_update().filter(pk=self.pk).first()
        if fresh is None:
            raise WorkflowError(gettext("计划“%(number)s”已被删除，请刷新页面") % {"number": self.number})
        if fresh.status not in states:
            allowed = "、".join(str(PlanStatus(s).label) for s in states)
            if fresh.status != self.status:
                # Someone else changed the plan after this page or object was loaded.
                raise WorkflowError(
                    gettext("计划已被他人改为“%(now)s”，此操作只能在“%(allowed)s”状态下进行，请刷新页面后再试")
                    % {"now": fresh.get_status_display(), "allowed": allowed})
            fresh._require(*states)
        if self.updated_at is not None and fresh.updated_at != self.updated_at:
            # Same state, other content: withdrawn, edited and submitted again since loaded.
            raise WorkflowError(gettext("计划在您打开后已被修改，请刷新页面查看后再操作"))
        return fresh

    def _save_changed(self, fresh: Plan, *fields: str) -> None:
        """Write ``fields`` of the locked row (and the time of the change), and copy them onto this object."""
        fresh.save(update_fields=[*fields, "updated_at"])
        for name in (*fields, "updated_at"):
            setattr(self, name, getattr(fresh, name))

    def _require(self, *states: str) -> None:
        if self.status not in states:
            allowed = "、".join(str(PlanStatus(s).label) for s in states)
            raise WorkflowError(gettext("计划当前状态为“%(status)s”，此操作只能在“%(allowed)s”状态下进行")
                                % {"status": self.get_status_display(), "allowed": allowed})

    def _is_lead(self, user: Any, *roles: str) -> bool:
        return user is not None and user.role in roles and user.department_id == self.lead_department_id

    def is_author(self, user: Any) -> bool:
        """Return whether ``user`` wrote the plan (a plan made on the command line has no author)."""
        return user is not None and self.author_id is not None and self.author_id == getattr(user, "pk", None)

    def submit(self, user: Any) -> None:
        """Send the plan for approval (lead department's administrator). Side effect: audit entry."""
        with transaction.atomic():
            fresh = self._locked(PlanStatus.DRAFT)
            if user is not None and not fresh._is_lead(user, Role.DEPT_ADMIN):
                raise WorkflowError(gettext("只有牵头部门的管理员可以提交"), 403)
            fresh.status = PlanStatus.SUBMITTED
            fresh.submitted_at = timezone.now()
            self._save_changed(fresh, "status", "submitted_at")
            record(user, "plan_submit", "plan", self.number, {"status": self.status})

    def confirm(self, user: Any, department: Department) -> None:
        """Confirm a joint plan for one participating department (its administrator or head)."""
        with transaction.atomic():
            fresh = self._locked(PlanStatus.DRAFT, PlanStatus.SUBMITTED)
            if user is not None and not (user.role in (Role.DEPT_ADMIN, Role.DEPT_HEAD)
                                         and user.department_id == department.pk):
                raise WorkflowError(gettext("只能由该部门的管理员或负责人确认"), 403)
            updated = fresh.participants.filter(department=department, confirmed_at__isnull=True).update(
                confirmed_at=timezone.now(), confirmed_by_name=actor_name(user))
            if not updated:
                raise WorkflowError(gettext("该部门不参与本计划或已确认"))
            record(user, "plan_confirm", "plan", self.number, {"department": department.code})

    def approve(self, user: Any) -> None:
        """Approve (经本单位负责人批准): a head of the lead department who did not write the plan."""
        with transaction.atomic():
            fresh = self._locked(PlanStatus.SUBMITTED)
            if user is not None:
                if not fresh._is_lead(user, Role.DEPT_HEAD):
                    raise WorkflowError(gettext("只有牵头部门负责人可以批准"), 403)
                if fresh.author_id == user.pk:
                    raise WorkflowError(gettext("编制人不能批准自己的计划"), 403)
            missing = fresh.unconfirmed()
            if missing:
                raise WorkflowError(gettext("以下参与部门尚未确认：%(departments)s")
                                    % {"departments": "、".join(d.name for d in missing)})
            fresh.status = PlanStatus.APPROVED
            fresh.approved_at = timezone.now()
            fresh.approved_by_name = actor_name(user)
            self._save_changed(fresh, "status", "approved_at", "approved_by_name")
            record(user, "plan_approve", "plan", self.number, {"status": self.status})

    def return_to_draft(self, user: Any, reason: str) -> None:
        """Send a submitted plan back to its author (lead department's head), with a reason."""
        with transaction.atomic():
            fresh = self._locked(PlanStatus.SUBMITTED)
            if not fresh._is_lead(user, Role.DEPT_HEAD):
                raise WorkflowError(gettext("只有牵头部门负责人可以退回"), 403)
            if not reason.strip():
                raise WorkflowError(gettext("请说明退回理由"), 400)
            fresh.status = PlanStatus.DRAFT
            self._save_changed(fresh, "status")
            record(user, "plan_return", "plan", self.number, {"reason": reason.strip()})

    def withdraw(self, user: Any) -> None:
        """Take a submitted plan back to draft before it is approved (its author). Side effect: audit entry."""
        with transaction.atomic():
            fresh = self._locked(PlanStatus.SUBMITTED)
            if not fresh.is_author(user):
                raise WorkflowError(gettext("只有计划的编制人可以撤回"), 403)
            fresh.status = PlanStatus.DRAFT
            self._save_changed(fresh, "status")
            record(user, "plan_withdraw", "plan", self.number, {"status": self.status})

    def delete_draft(self, user: Any) -> None:
        """Delete a draft (its author); nothing submitted, approved or committed is ever deleted.

        Side effect: an audit entry that keeps the plan's number, name and content. The
        number is not given again (the counter only goes up).
        """
        with transaction.atomic():
            fresh = self._locked(PlanStatus.DRAFT)
            if not fresh.is_author(user):
                raise WorkflowError(gettext("只有计划的编制人可以删除草稿"), 403)
            if fresh.commitments.exists() or fresh.tasks.exists():  # a draft never has them; never lose them
                raise WorkflowError(gettext("已固定过抽取范围的计划不能删除"))
            details = {"plan": fresh.pk, "number": fresh.number, **fresh.to_file()}
            fresh.delete()
            record(user, "plan_delete", "plan", self.number, details)


class PlanDepartment(models.Model):
    """A department taking part in a plan; the first (position 0) leads."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="participants")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="plan_participations")
    position = models.PositiveIntegerField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by_name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["plan", "position"]
        constraints = [models.UniqueConstraint(fields=["plan", "department"], name="one_participation")]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.department_id}"


PLAN_FIELDS = ("name", "year", "items", "scope", "strata", "complaint_threshold", "team_size", "capacity",
               "honour_exemptions", "starts_on", "ends_on")


def next_number(department: Department, year: int) -> tuple[int, str]:
    """Give the next plan number of a department and year: <简称>抽查〔YEAR〕N号."""
    counter, _ = PlanCounter.objects.get_or_create(department=department, year=year)
    PlanCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db()
    short = department.short_name or department.name
    return counter.last, f"{short}抽查〔{year}〕{counter.last}号"


def create_plan(clean: dict[str, Any], user: Any) -> Plan:
    """Create a draft plan from a validated plan file; the lead department confirms by writing it."""
    with transaction.atomic():
        departments = {d.code: d for d in Department.objects.filter(code__in=clean["departments"])}
        lead = departments[clean["departments"][0]]
        sequence, number = next_number(lead, clean["year"])
        plan = Plan.objects.create(
            number=number, sequence=sequence, lead_department=lead,
            author=user if getattr(user, "pk", None) else None, author_name=actor_name(user),
            **{k: clean[k] for k in PLAN_FIELDS},
        )
        now = timezone.now()
        PlanDepartment.objects.bulk_create([
            PlanDepartment(plan=plan, department=departments[code], position=i,
                           confirmed_at=now if i == 0 else None,
                           confirmed_by_name=actor_name(user) if i == 0 else "")
            for i, code in enumerate(clean["departments"])
        ])
        record(user, "plan_create", "plan", number, {"plan": plan.pk, **plan.to_file()})
    return plan


def update_plan(plan: Plan, clean: dict[str, Any], user: Any) -> Plan:
    """Change a draft; other departments must confirm the changed plan again."""
    with transaction.atomic():
        fresh = plan._locked(PlanStatus.DRAFT)
        if clean["departments"][0] != fresh.lead_department.code:
            raise WorkflowError(gettext("不能更换牵头部门"), 400)
        if clean["year"] != fresh.year:
            raise WorkflowError(gettext("年度不能更改（计划编号按年度编排）"), 400)
        for key in PLAN_FIELDS:
            setattr(fresh, key, clean[key])
        plan._save_changed(fresh, *PLAN_FIELDS)
        departments = {d.code: d for d in Department.objects.filter(code__in=clean["departments"])}
        plan.participants.exclude(position=0).delete()
        PlanDepartment.objects.bulk_create([
            PlanDepartment(plan=plan, department=departments[code], position=i)
            for i, code in enumerate(clean["departments"]) if i > 0
        ])
        record(user, "plan_update", "plan", plan.number, plan.to_file())
    return plan
