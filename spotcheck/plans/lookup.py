"""Find a plan by id or number (for the command line)."""

from __future__ import annotations

from spotcheck.lib.command import Refused
from spotcheck.plans.models import Plan


def plan_by_ref(ref: str) -> Plan:
    query = Plan.objects.select_related("lead_department")
    plan = query.filter(pk=int(ref)).first() if ref.isdigit() else None
    plan = plan or query.filter(number=ref).first()
    if plan is None:
        raise Refused(f"找不到计划“{ref}” / no such plan: {ref}")
    return plan
