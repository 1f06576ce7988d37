from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django import forms
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from spotcheck.accounts.access import AuthedRequest, roles
from spotcheck.accounts.models import Role, User
from spotcheck.audit.display import ACTIONS, OBJECTS, entries_for_page
from spotcheck.audit.log import verify_chain
from spotcheck.audit.models import AuditEntry, AuditHead


class LogFilter(forms.Form):
    """Find entries by actor (username or name), action, object and local date."""

    actor = forms.CharField(label=_("操作人"), required=False, max_length=100)
    action = forms.ChoiceField(label=_("操作"), required=False)
    object = forms.CharField(label=_("对象"), required=False, max_length=200,
                             help_text=_("计划编号、任务号、证号等"))
    since = forms.DateField(label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        used = AuditEntry.objects.order_by().values_list("action", flat=True).distinct()
        labels = {code: str(label) for code, label in ACTIONS.items()}
        field = self.fields["action"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("全部")), *sorted(((a, labels.get(a, a)) for a in used), key=lambda c: c[1])]

    def clean(self):
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("截止日期不能早于起始日期。"))
        return data

    def apply(self, entries: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        data = self.cleaned_data
        if actor := data.get("actor", "").strip():
            # By username, or by the name shown for it.
            names = list(User.objects.filter(Q(username__icontains=actor) | Q(display_name__icontains=actor))
                         .values_list("username", flat=True)[:200])
            entries = entries.filter(Q(actor__icontains=actor) | Q(actor__in=[f"user:{n}" for n in names]))
        if action := data.get("action"):
            entries = entries.filter(action=action)
        if target := data.get("object", "").strip():
            types = [code for code, label in OBJECTS.items() if target == str(label)]
            entries = entries.filter(Q(object_id__icontains=target) | Q(object_type__in=types))
        # Entry times are UTC ISO text; a local day (UTC+8) starts 8 hours earlier in UTC.
        if since := data.get("since"):
            entries = entries.filter(at__gte=_utc_start(since))
        if until := data.get("until"):
            entries = entries.filter(at__lt=_utc_start(until + timedelta(days=1)))
        return entries


def _utc_start(day: date) -> str:
    start = timezone.make_aware(datetime(day.year, day.month, day.day))
    return start.astimezone(UTC).isoformat(timespec="microseconds")


@roles(Role.COORDINATOR)
def log(request: AuthedRequest) -> HttpResponseBase:
    """Show the audit log, newest first, filtered, and verify the chain on request."""
    form = LogFilter(request.GET or None)
    entries: QuerySet[AuditEntry] = AuditEntry.objects.order_by("-seq")
    if form.is_bound and form.is_valid():
        entries = form.apply(entries)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    report = verify_chain() if request.GET.get("verify") else None
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("verify", None)
    return render(request, "audit/log.html", {
        "form": form, "page": page, "rows": entries_for_page(page), "report": report, "head": AuditHead.current(),
        "query": query.urlencode(),
    })
