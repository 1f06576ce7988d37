"""Plans a user sees, and plans that wait for someone: the to-do list of the start page and the count in the navigation."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from spotcheck.accounts.models import Role
from spotcheck.plans.models import Plan, PlanStatus

# The states in which a plan is public (一公开): approved and after.
PUBLIC_STATES = (PlanStatus.APPROVED, PlanStatus.COMMITTED, PlanStatus.DRAWN, PlanStatus.CLOSED)


def visible_plans(user: Any) -> QuerySet[Plan]:
    """Plans the user may see: all for the coordinator, else those their department takes part in."""
    plans = Plan.objects.select_related("lead_department")
    if getattr(user, "role", None) == Role.COORDINATOR:
        return plans
    return plans.filter(participants__department_id=user.department_id).distinct()


def awaiting_approval(user: Any) -> QuerySet[Plan]:
    """Return the plans the user may approve now: a head of the lead department who is not the author,
    with every participating department confirmed."""
    if getattr(user, "role", None) != Role.DEPT_HEAD or not user.department_id:
        return Plan.objects.none()
    return (Plan.objects.filter(status=PlanStatus.SUBMITTED, lead_department_id=user.department_id)
            .exclude(author_id=user.pk)
            .exclude(participants__confirmed_at__isnull=True)
            .order_by("submitted_at", "pk"))


def awaiting_confirmation(user: Any) -> QuerySet[Plan]:
    """Return the joint plans (draft or submitted) that wait for the user's department to confirm
    (its administrators and heads may)."""
    if getattr(user, "role", None) not in (Role.DEPT_ADMIN, Role.DEPT_HEAD) or not user.department_id:
        return Plan.objects.none()
    return (Plan.objects.filter(status__in=[PlanStatus.DRAFT, PlanStatus.SUBMITTED],
                                participants__department_id=user.department_id,
                                participants__confirmed_at__isnull=True)
            .order_by("created_at", "pk"))


def todo_counts(user: Any) -> dict[str, int]:
    """Return how many plans wait for the user, by kind, and in total: one count query per kind that applies."""
    role = getattr(user, "role", None)
    counts = {"approve": 0, "confirm": 0}
    if role == Role.DEPT_HEAD:
        counts["approve"] = awaiting_approval(user).count()
    if role in (Role.DEPT_ADMIN, Role.DEPT_HEAD):
        counts["confirm"] = awaiting_confirmation(user).count()
    counts["total"] = counts["approve"] + counts["confirm"]
    return counts


def waiting_for(user: Any, limit: int = 50) -> dict[str, list[Plan]]:
    """Return the plans that wait for the user, to list on the start page and above the plan list."""
    return {
        "to_approve": list(awaiting_approval(user).select_related("lead_department")[:limit]),
        "to_confirm": list(awaiting_confirmation(user).select_related("lead_department")[:limit]),
    }
