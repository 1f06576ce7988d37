from __future__ import annotations

from django.core.paginator import Paginator
from django.http.response import HttpResponseBase
from django.shortcuts import render

from spotcheck.accounts.access import AuthedRequest, roles
from spotcheck.accounts.models import Role
from spotcheck.audit.log import verify_chain
from spotcheck.audit.models import AuditEntry, AuditHead


@roles(Role.COORDINATOR)
def log(request: AuthedRequest) -> HttpResponseBase:
    """Show the audit log, newest first, and verify the chain on request."""
    entries = AuditEntry.objects.order_by("-seq")
    if action := request.GET.get("action"):
        entries = entries.filter(action=action)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    report = verify_chain() if request.GET.get("verify") else None
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("verify", None)
    return render(request, "audit/log.html", {
        "page": page, "report": report, "head": AuditHead.current(), "action": action,
        "query": query.urlencode(),
    })
