"""The draw in the web: commit, the ceremony, the public record, downloads and the certificate."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from spotcheck import draw
from spotcheck.accounts.access import AuthedRequest, public, roles, staff
from spotcheck.accounts.models import Role
from spotcheck.directory.exports import download, english, safe_cell
from spotcheck.directory.models import Inspector
from spotcheck.draws.certificate import certificate_pdf, selected
from spotcheck.draws.models import CommitmentStatus, Witness
from spotcheck.draws.service import (
    DrawRefused,
    commit,
    drawn_commitment,
    entropy_warning,
    live_commitment,
    published_record,
    run,
)
from spotcheck.plans.models import Plan, PlanStatus
from spotcheck.plans.views import plan_for_user
from spotcheck.portal.templatetags.spotcheck_tags import zh

WITNESS_ROWS = 5


class CommitForm(forms.Form):
    """What the commitment promises (rules.md R5): when the draw happens and where the entropy comes from."""

    planned_draw_at = forms.DateTimeField(
        label=_("计划抽取时间"), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    source = forms.ChoiceField(label=_("公开随机数来源"), initial="witnesses", widget=forms.RadioSelect, choices=[
        ("witnesses", _("现场见证人提供（掷骰子等）")), ("public", _("指定的公开随机数（如彩票开奖号码）"))])
    public_value = forms.CharField(label=_("公开随机数的确切名称"), required=False, max_length=300,
                                   help_text=_("例如“中国福利彩票3D 第2026335期开奖号码”：承诺时无人知道其数值"))
    reason = forms.CharField(label=_("重新固定范围的原因（上一次抽取失败）"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("source") == "public" and not (data.get("public_value") or "").strip():
            self.add_error("public_value", _("请写明所用公开随机数的确切名称"))
        return data

    def entropy_source(self) -> str:
        data = self.cleaned_data
        return data["public_value"].strip() if data["source"] == "public" else ""


class CeremonyForm(forms.Form):
    entropy = forms.CharField(label=_("公开随机数（例如二十次掷骰子的点数，或当期彩票开奖号码）"),
                              widget=forms.Textarea(attrs={"rows": 2, "class": "entropy"}), max_length=2000)
    accept_short = forms.BooleanField(label=_("随机数少于二十次掷骰子，仍然使用"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(WITNESS_ROWS):
            self.fields[f"w{i}_name"] = forms.CharField(label=_("姓名"), required=False, max_length=100)
            self.fields[f"w{i}_capacity"] = forms.ChoiceField(label=_("身份"), required=False,
                                                              choices=[("", "—"), *Witness.Capacity.choices])
            self.fields[f"w{i}_org"] = forms.CharField(label=_("单位"), required=False, max_length=200)

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
                self.add_error(f"w{i}_name", _("请填写见证人的姓名和身份"))
        return found


def _operator(request: AuthedRequest, plan: Plan) -> None:
    if not (request.user.role == Role.DEPT_ADMIN and request.user.department_id == plan.lead_department_id):
        raise PermissionDenied(_("只有牵头部门管理员可以操作抽取"))


@require_POST
@staff
@sensitive_variables()  # the commitment made here holds the server secret
def commit_view(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Freeze frame, pool and parameters and publish the commitment (lead department's administrator)."""
    plan = plan_for_user(request, pk)
    _operator(request, plan)
    form = CommitForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}：{error}" if label else str(error))
        return redirect("plans:detail", pk=pk)
    try:
        result = commit(plan, request.user, form.cleaned_data["planned_draw_at"], form.entropy_source(),
                        form.cleaned_data["reason"])
    except DrawRefused as exc:
        messages.error(request, exc.message)
        return redirect("plans:detail", pk=pk)
    messages.success(request, translation.gettext("已公布承诺值 %(value)s…") % {"value": result.commitment.commitment[:16]})
    for warning in result.warnings:
        messages.warning(request, warning)
    return redirect("draws:ceremony", pk=pk)


@roles(Role.COORDINATOR, Role.DEPT_ADMIN, Role.DEPT_HEAD, Role.INSPECTOR, Role.WITNESS)
@sensitive_variables()  # the draw run here reads the server secret
def ceremony(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """The draw ceremony, for a projector: commitment, witnesses, entropy, then every ticket.

    Witnesses (监督见证人) may watch any committed or drawn plan's ceremony. Entropy
    shorter than twenty dice rolls asks for confirmation before the draw (R5).
    """
    plan = public_plan(pk) if request.user.role == Role.WITNESS else plan_for_user(request, pk)
    c = live_commitment(plan)
    if c is None:
        raise Http404
    form = CeremonyForm(request.POST or None)
    warning = None
    if request.method == "POST":
        _operator(request, plan)
        if form.is_valid():
            witnesses = form.witnesses()
            warning = entropy_warning(draw.normalize_entropy(form.cleaned_data["entropy"]), c.by_witnesses)
            if form.is_valid() and (warning is None or form.cleaned_data["accept_short"]):
                try:
                    run(plan, form.cleaned_data["entropy"], request.user, witnesses)
                except DrawRefused as exc:
                    messages.error(request, exc.message)
                    if exc.entity:  # the failure record is public: show it
                        return redirect("portal:plan", pk=pk)
                    return redirect("draws:ceremony", pk=pk)
                return redirect("draws:ceremony", pk=pk)
    return render(request, "draws/ceremony.html", {
        "plan": plan, "c": c, "form": form, "result": selected(c) if c.status == CommitmentStatus.DRAWN else None,
        "may_run": request.user.role == Role.DEPT_ADMIN and request.user.department_id == plan.lead_department_id,
        "entropy_warning": warning, "too_early": c.planned_draw_at and timezone.now() < c.planned_draw_at,
        "min_witnesses": settings.SPOTCHECK["min_witnesses"],
    })


# --- Public (一公开) --------------------------------------------------------------------


def public_plan(pk: int) -> Plan:
    return get_object_or_404(Plan.objects.exclude(status__in=[PlanStatus.DRAFT, PlanStatus.SUBMITTED]), pk=pk)


def _attempt(request: AuthedRequest) -> int | None:
    value = request.GET.get("attempt", "")
    return int(value) if value.isdigit() else None


@public
def record_json(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """The draw record exactly as published (§7): the completed draw, a failed one by ``?attempt=N``."""
    c = published_record(public_plan(pk), _attempt(request))
    if c is None:
        raise Http404
    response = HttpResponse(c.record, content_type="application/json; charset=utf-8")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="draw-record-{pk}-{c.attempt}.json"'
    response["Access-Control-Allow-Origin"] = "*"  # anyone may fetch it to verify it
    return response


@public
def selected_export(request: AuthedRequest, pk: int, fmt: str) -> HttpResponseBase:
    """The selected list with teams, as CSV or .xlsx."""
    plan = public_plan(pk)
    c = drawn_commitment(plan)
    if c is None:
        raise Http404
    in_english = english(request)
    with translation.override("zh-hans"):  # Chinese strata whatever the page's language
        rows = [[s["order"], s["entity"], s["name"], s["stratum"] if in_english else zh(s["stratum"]), s["ticket"],
                 ";".join(m.cert_no if isinstance(m, Inspector) else m for m in s["members"]),
                 ";".join(m.name if isinstance(m, Inspector) else "" for m in s["members"])]
                for s in selected(c)]
    if in_english:
        header, title = ["order", "uscc", "name", "stratum", "ticket", "team", "team_names"], "selected"
    else:
        header = ["抽取顺序", "统一社会信用代码", "名称", "分层", "签号", "检查组执法证号", "检查组姓名"]
        title = "抽取结果"
    return download(fmt, f"selected-{pk}", header, ([safe_cell(v) for v in row] for row in rows), title)


@public
def certificate(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """The printable draw certificate (抽取证明), a PDF with CJK fonts."""
    plan = public_plan(pk)
    c = drawn_commitment(plan)
    if c is None:
        raise Http404
    pdf = certificate_pdf(plan, c)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="draw-certificate-{pk}.pdf"'
    return response


@public
def verifier(request: AuthedRequest) -> HttpResponseBase:
    """The in-browser verifier: recomputes a record with Web Crypto, asking the server only for the record."""
    plan_id = request.GET.get("plan", "")
    plan_id = plan_id if plan_id.isdigit() else ""
    attempt = _attempt(request)
    record_url = ""
    if plan_id:
        record_url = reverse("portal:record", args=[plan_id]) + (f"?attempt={attempt}" if attempt else "")
    return render(request, "draws/verify.html", {"plan_id": plan_id, "record_url": record_url})


def public_draw_context(plan: Plan) -> dict:
    from spotcheck.results.public import plan_results

    commitments = list(plan.commitments.order_by("attempt"))
    drawn = next((c for c in commitments if c.status == CommitmentStatus.DRAWN), None)
    result = selected(drawn) if drawn else None
    if result:  # each drawn entity's results once published (R7)
        published = plan_results(plan.pk)
        for entry in result:
            entry["published"] = published.get(entry["entity"], [])
    return {
        "commitments": commitments,
        "drawn": drawn,
        "result": result,
        "record": drawn.record_data() if drawn else None,
        "witnesses": drawn.witnesses.all() if drawn else [],
    }
