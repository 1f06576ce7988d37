"""The draw in the web: commit, the ceremony, the public record, downloads and the certificate."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from spotcheck.accounts.access import AuthedRequest, public, roles, staff
from spotcheck.accounts.models import Role
from spotcheck.directory.exports import download, safe_cell
from spotcheck.directory.models import Entity, Inspector
from spotcheck.draws.models import Commitment, CommitmentStatus, Witness
from spotcheck.draws.service import DrawRefused, commit, drawn_commitment, live_commitment, run
from spotcheck.plans.models import Plan, PlanStatus
from spotcheck.plans.views import plan_for_user

WITNESS_ROWS = 5


class CeremonyForm(forms.Form):
    entropy = forms.CharField(label="公开随机数（例如二十次掷骰子的点数，或当期彩票开奖号码）",
                              widget=forms.Textarea(attrs={"rows": 2, "class": "entropy"}), max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(WITNESS_ROWS):
            self.fields[f"w{i}_name"] = forms.CharField(label="姓名", required=False, max_length=100)
            self.fields[f"w{i}_capacity"] = forms.ChoiceField(label="身份", required=False,
                                                              choices=[("", "—"), *Witness.Capacity.choices])
            self.fields[f"w{i}_org"] = forms.CharField(label="单位", required=False, max_length=200)

    def witness_rows(self):
        return [(self[f"w{i}_name"], self[f"w{i}_capacity"], self[f"w{i}_org"]) for i in range(WITNESS_ROWS)]

    def witnesses(self) -> list[tuple[str, str, str]]:
        found = []
        for i in range(WITNESS_ROWS):
            name = self.cleaned_data.get(f"w{i}_name", "").strip()
            capacity = self.cleaned_data.get(f"w{i}_capacity", "")
            if name and capacity:
                found.append((name, capacity, self.cleaned_data.get(f"w{i}_org", "").strip()))
            elif name or capacity:
                self.add_error(f"w{i}_name", "请填写见证人的姓名和身份 / give the witness's name and capacity")
        return found


def _operator(request: AuthedRequest, plan: Plan) -> None:
    if not (request.user.role == Role.DEPT_ADMIN and request.user.department_id == plan.lead_department_id):
        raise PermissionDenied("只有牵头部门管理员可以操作抽取 / only the lead department's administrator runs the draw")


@require_POST
@staff
def commit_view(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Freeze frame and pool and publish the commitment (lead department's administrator)."""
    plan = plan_for_user(request, pk)
    _operator(request, plan)
    planned = None
    if text := request.POST.get("planned_draw_at", "").strip():
        try:
            planned = timezone.make_aware(datetime.fromisoformat(text))
        except ValueError:
            messages.error(request, "计划抽取时间无效 / invalid planned draw time")
            return redirect("plans:detail", pk=pk)
    try:
        c = commit(plan, request.user, planned)
    except DrawRefused as exc:
        messages.error(request, exc.message)
        return redirect("plans:detail", pk=pk)
    messages.success(request, f"已公布承诺值 {c.commitment[:16]}… / commitment published")
    return redirect("draws:ceremony", pk=pk)


@roles(Role.COORDINATOR, Role.DEPT_ADMIN, Role.DEPT_HEAD, Role.INSPECTOR, Role.WITNESS)
def ceremony(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """The draw ceremony, for a projector: commitment, witnesses, entropy, then every ticket.

    Witnesses (监督见证人) may watch any committed or drawn plan's ceremony.
    """
    plan = public_plan(pk) if request.user.role == Role.WITNESS else plan_for_user(request, pk)
    c = live_commitment(plan)
    if c is None:
        raise Http404
    form = CeremonyForm(request.POST or None)
    if request.method == "POST":
        _operator(request, plan)
        if form.is_valid():
            witnesses = form.witnesses()
            if form.is_valid():
                try:
                    run(plan, form.cleaned_data["entropy"], request.user, witnesses)
                except DrawRefused as exc:
                    messages.error(request, exc.message)
                    return redirect("plans:detail", pk=pk)
                return redirect("draws:ceremony", pk=pk)
    return render(request, "draws/ceremony.html", {
        "plan": plan, "c": c, "form": form, "result": _result(c) if c.status == CommitmentStatus.DRAWN else None,
        "may_run": request.user.role == Role.DEPT_ADMIN and request.user.department_id == plan.lead_department_id,
    })


def _result(c: Commitment) -> list[dict]:
    """The selected list for people: names of entities and inspectors beside their codes."""
    record = c.record_data()
    codes = [s["entity"] for s in record["selected"]]
    names = dict(Entity.objects.filter(uscc__in=codes).values_list("uscc", "name"))
    certs = {m for s in record["selected"] for m in s["team"]}
    people = {i.cert_no: i for i in Inspector.objects.filter(cert_no__in=certs).select_related("department")}
    return [{**s, "order": n, "name": names.get(s["entity"], ""),
             "members": [people.get(m) or m for m in s["team"]]}
            for n, s in enumerate(record["selected"], 1)]


# --- Public (一公开) --------------------------------------------------------------------


def public_plan(pk: int) -> Plan:
    return get_object_or_404(Plan.objects.exclude(status__in=[PlanStatus.DRAFT, PlanStatus.SUBMITTED]), pk=pk)


@public
def record_json(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """The draw record exactly as published (draw-v1 §7)."""
    c = drawn_commitment(public_plan(pk))
    if c is None:
        raise Http404
    response = HttpResponse(c.record, content_type="application/json; charset=utf-8")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="draw-record-{pk}.json"'
    response["Access-Control-Allow-Origin"] = "*"  # anyone may fetch it to verify it
    return response


@public
def selected_export(request: AuthedRequest, pk: int, fmt: str) -> HttpResponseBase:
    """The selected list with teams, as CSV or .xlsx."""
    plan = public_plan(pk)
    c = drawn_commitment(plan)
    if c is None:
        raise Http404
    rows = ([s["order"], s["entity"], s["name"], s["stratum"], s["ticket"],
             ";".join(m.cert_no if isinstance(m, Inspector) else m for m in s["members"]),
             ";".join(m.name if isinstance(m, Inspector) else "" for m in s["members"])]
            for s in _result(c))
    return download(fmt, f"selected-{pk}", ["order", "uscc", "name", "stratum", "ticket", "team", "team_names"],
                    ([safe_cell(v) for v in row] for row in rows))


@public
def certificate(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """The printable draw certificate (抽取证明), a PDF with CJK fonts."""
    plan = public_plan(pk)
    c = drawn_commitment(plan)
    if c is None:
        raise Http404
    html = render_to_string("draws/certificate.html", {
        "plan": plan, "c": c, "record": c.record_data(), "result": _result(c),
        "witnesses": c.witnesses.all(), "participants": plan.participants.select_related("department"),
    })
    from weasyprint import HTML

    pdf = HTML(string=html).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="draw-certificate-{pk}.pdf"'
    return response


@public
def verifier(request: AuthedRequest) -> HttpResponseBase:
    """The in-browser verifier: recomputes a record with Web Crypto, asking the server only for the record."""
    plan_id = request.GET.get("plan", "")
    return render(request, "draws/verify.html", {"plan_id": plan_id if plan_id.isdigit() else ""})


def public_draw_context(plan: Plan) -> dict:
    commitments = list(plan.commitments.order_by("attempt"))
    drawn = next((c for c in commitments if c.status == CommitmentStatus.DRAWN), None)
    return {
        "commitments": commitments,
        "drawn": drawn,
        "result": _result(drawn) if drawn else None,
        "record": drawn.record_data() if drawn else None,
        "witnesses": drawn.witnesses.all() if drawn else [],
    }
