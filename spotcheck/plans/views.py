"""Plan pages: write, preview, submit, confirm, approve; and the public plan list."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from spotcheck.accounts.access import AuthedRequest, public, roles, staff
from spotcheck.accounts.models import Role
from spotcheck.catalog.lists import published_items
from spotcheck.directory.models import Department, Region
from spotcheck.plans import spec
from spotcheck.plans.forms import PlanForm
from spotcheck.plans.framedata import preview, spec_context
from spotcheck.plans.models import Plan, PlanStatus, WorkflowError, create_plan, update_plan
from spotcheck.plans.selectors import PUBLIC_STATES, visible_plans, waiting_for

# Rows of a drawn plan's selected list per public page.
SELECTED_PAGE = 100


def plan_for_user(request: AuthedRequest, pk: int) -> Plan:
    plan = visible_plans(request.user).filter(pk=pk).first()
    if plan is None:
        raise Http404
    return plan


@staff
def plan_list(request: AuthedRequest) -> HttpResponseBase:
    plans = visible_plans(request.user)
    if status := request.GET.get("status"):
        plans = plans.filter(status=status)
    return render(request, "plans/list.html", {
        "plans": plans, "statuses": PlanStatus.choices, "status": status,
        "may_create": request.user.role == Role.DEPT_ADMIN, **waiting_for(request.user),
    })


def _save(request: AuthedRequest, form: PlanForm, plan: Plan | None) -> Plan | None:
    clean, problems = spec.validate(form.plan_file(), spec_context())
    if problems:
        form.add_problems(problems.items)
        return None
    try:
        return update_plan(plan, clean, request.user) if plan else create_plan(clean, request.user)
    except WorkflowError as exc:
        form.add_error(None, exc.message)
        return None


@roles(Role.DEPT_ADMIN)
def plan_create(request: AuthedRequest) -> HttpResponseBase:
    """Write a plan (the user's department leads); refused plans re-display with each reason."""
    lead = request.user.department
    if lead is None:
        raise PermissionDenied(gettext("您的账号不属于任何部门"))
    form = PlanForm(request.POST or None, lead=lead)
    if request.method == "POST" and form.is_valid():
        plan = _save(request, form, None)
        if plan:
            messages.success(request, gettext("已创建计划 %(number)s") % {"number": plan.number})
            return redirect("plans:detail", pk=plan.pk)
    return render(request, "plans/form.html", {"form": form, "plan": None})


@roles(Role.DEPT_ADMIN)
def plan_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    plan = plan_for_user(request, pk)
    if plan.lead_department_id != request.user.department_id:
        raise PermissionDenied(gettext("只有牵头部门可以修改计划"))
    if plan.status != PlanStatus.DRAFT:
        raise PermissionDenied(gettext("只能修改草稿"))
    form = PlanForm(request.POST or None, lead=plan.lead_department,
                    initial=PlanForm.initial_from(plan.to_file()))
    if request.method == "POST" and form.is_valid():
        if _save(request, form, plan):
            messages.success(request, gettext("已保存；其他参与部门需要重新确认"))
            return redirect("plans:detail", pk=plan.pk)
    return render(request, "plans/form.html", {"form": form, "plan": plan})


@staff
def plan_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Show a plan, its departments' confirmations, the frame preview and the allowed actions."""
    plan = plan_for_user(request, pk)
    user = request.user
    participants = list(plan.participants.select_related("department"))
    items = published_items(plan.items)
    lead = plan.lead_department_id == user.department_id
    author = plan.is_author(user)
    actions = {
        "edit": plan.status == PlanStatus.DRAFT and lead and user.role == Role.DEPT_ADMIN,
        "submit": plan.status == PlanStatus.DRAFT and lead and user.role == Role.DEPT_ADMIN,
        "delete": plan.status == PlanStatus.DRAFT and author,
        "withdraw": plan.status == PlanStatus.SUBMITTED and author,
        "confirm": plan.status in (PlanStatus.DRAFT, PlanStatus.SUBMITTED)
        and user.role in (Role.DEPT_ADMIN, Role.DEPT_HEAD)
        and any(p.department_id == user.department_id and p.confirmed_at is None for p in participants),
        "approve": plan.status == PlanStatus.SUBMITTED and lead and user.role == Role.DEPT_HEAD
        and plan.author_id != user.pk,
        "author_is_head": plan.status == PlanStatus.SUBMITTED and plan.author_id == user.pk,
    }
    regions = dict(Region.objects.values_list("code", "name"))
    return render(request, "plans/detail.html", {
        "plan": plan, "participants": participants, "actions": actions, "seen": plan.updated_at.isoformat(),
        "items": [(code, items.get(code)) for code in plan.items],
        "regions": [regions.get(c, c) for c in plan.scope.get("regions", [])],
        "preview": preview(plan) if plan.status in (PlanStatus.DRAFT, PlanStatus.SUBMITTED, PlanStatus.APPROVED) else None,
        "commitments": plan.commitments.order_by("attempt"),
        "failed_before": plan.commitments.filter(status="void").exists(),
        "may_commit": plan.status == PlanStatus.APPROVED and lead and user.role == Role.DEPT_ADMIN,
        "ceremony": plan.status in (PlanStatus.COMMITTED, PlanStatus.DRAWN),
    })


# What each action says when it is done: a joint department's confirmation is not a submission.
STATUS_NOW = gettext_lazy("计划状态：%(status)s")
DONE = {
    "submit": STATUS_NOW,
    "confirm": gettext_lazy("已确认参与联合抽查计划 %(number)s"),
    "approve": STATUS_NOW,
    "return": STATUS_NOW,
    "withdraw": STATUS_NOW,
    "delete": gettext_lazy("草稿计划 %(number)s 已删除"),
}
# Actions that need the box "I confirm" ticked in their form (the strict CSP allows no script dialog).
CONFIRMED = {"withdraw": gettext_lazy("请勾选“我确认撤回”后再撤回"),
             "delete": gettext_lazy("请勾选“我确认删除”后再删除")}


@require_POST
@staff
def plan_action(request: AuthedRequest, pk: int, action: str) -> HttpResponseBase:
    """Make one workflow transition; a refused one says why and changes nothing.

    The form sends the version of the plan its page showed (``seen``): a plan changed since
    is refused (409) rather than acted on unseen. The transition itself re-reads the plan
    under a lock, so of two pages posting at once one wins and the other is refused.
    """
    plan = plan_for_user(request, pk)
    user = request.user
    if action not in DONE:
        raise Http404
    try:
        seen = request.POST.get("seen")
        if seen and seen != plan.updated_at.isoformat():
            raise WorkflowError(gettext("计划在您打开页面后已被修改，请查看修改后的内容再操作"))
        if action in CONFIRMED:
            if not plan.is_author(user):  # who may comes before what the form lacks
                raise WorkflowError(gettext("只有计划的编制人可以撤回或删除计划"), 403)
            if request.POST.get("confirm") != "yes":
                raise WorkflowError(str(CONFIRMED[action]), 400)
        if action == "submit":
            plan.submit(user)
        elif action == "confirm":
            plan.confirm(user, get_object_or_404(Department, pk=user.department_id))
        elif action == "approve":
            plan.approve(user)
        elif action == "return":
            plan.return_to_draft(user, request.POST.get("reason", ""))
        elif action == "withdraw":
            plan.withdraw(user)
        elif action == "delete":
            plan.delete_draft(user)
    except WorkflowError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from None
        return render(request, "plans/refused.html", {"plan": plan, "message": exc.message}, status=exc.status)
    messages.success(request, DONE[action] % {"number": plan.number, "status": plan.get_status_display()})
    if action == "delete":
        return redirect("plans:list")
    return redirect("plans:detail", pk=plan.pk)


@staff
def plan_export(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Download the plan as its plan file (JSON), to review, version or reuse."""
    plan = plan_for_user(request, pk)
    response = HttpResponse(json.dumps(plan.to_file(), ensure_ascii=False, indent=2),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="plan-{plan.pk}.json"'
    return response


# --- Public (一公开) --------------------------------------------------------------------


@public
def public_index(request: AuthedRequest) -> HttpResponseBase:
    plans = Plan.objects.filter(status__in=PUBLIC_STATES).select_related("lead_department")
    if q := request.GET.get("q", "").strip():
        plans = plans.filter(Q(name__icontains=q) | Q(number__icontains=q))
    return render(request, "plans/public_index.html", {"plans": plans, "q": q})


@public
def public_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """A plan's public page: its items, its commitments before the draw, its record after."""
    from spotcheck.draws.views import public_draw_context

    plan = get_object_or_404(Plan.objects.filter(status__in=PUBLIC_STATES), pk=pk)
    items = published_items(plan.items)
    context = public_draw_context(plan)
    # The selected list, a page at a time, found by a fragment of a name or a code.
    wanted = request.GET.get("q", "").strip()[:100]
    chosen = [s for s in context["result"] or ()
              if not wanted or wanted.upper() in s["entity"] or wanted in (s["name"] or "")]
    paging = QueryDict(mutable=True)
    if wanted:
        paging["q"] = wanted
    return render(request, "plans/public_detail.html", {
        "plan": plan, "participants": plan.participants.select_related("department"),
        "items": [(code, items.get(code)) for code in plan.items], **context,
        "page": Paginator(chosen, SELECTED_PAGE).get_page(request.GET.get("page")),
        "selected_query": wanted, "selected_paging": paging.urlencode(),
    })
