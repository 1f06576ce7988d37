"""The public portal (一公开): pages anyone can read without logging in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import i18n

from spotcheck.accounts.access import public
from spotcheck.audit.models import AuditHead
from spotcheck.directory.models import Department, Entity, Region
from spotcheck.plans.models import Plan, PlanStatus


@public
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/index.html", {
        "departments": Department.objects.all(),
        "region_count": Region.objects.count(),
        "entity_count": Entity.objects.count(),
        "head": AuditHead.current(),
        "recent": Plan.objects.filter(status__in=[PlanStatus.COMMITTED, PlanStatus.DRAWN, PlanStatus.CLOSED])
        .select_related("lead_department").order_by("-updated_at")[:10],
    })


@public
def transparency(request: HttpRequest) -> HttpResponse:
    """Show the audit chain head, so that anyone can keep a copy and detect a rewrite (R8)."""
    return render(request, "portal/transparency.html", {"head": AuditHead.current()})


@public
def audit_head(request: HttpRequest) -> JsonResponse:
    head = AuditHead.current()
    return JsonResponse({"seq": head.seq, "hash": head.hash})


@public
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language (简体中文 / English)."""
    return i18n.set_language(request)
