from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from spotcheck.accounts import throttle
from spotcheck.accounts.access import AuthedRequest, authenticated, public
from spotcheck.accounts.forms import ThrottledLoginForm
from spotcheck.accounts.models import Role
from spotcheck.audit.models import AuditHead
from spotcheck.directory.models import Entity, Inspector
from spotcheck.inspections.models import Task
from spotcheck.plans.models import Plan, PlanStatus
from spotcheck.plans.selectors import waiting_for


class LoginView(auth_views.LoginView):
    """Log in (Django's view: POST parameters hidden from error reports), remembering the browser."""

    template_name = "accounts/login.html"
    authentication_form = ThrottledLoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        throttle.remember_device(self.request, response, form.get_user().get_username())
        return response


login = public(LoginView.as_view())
logout = public(auth_views.LogoutView.as_view())


@authenticated
def home(request: AuthedRequest) -> HttpResponseBase:
    """Show the user's start page: what their role can do."""
    user = request.user
    context: dict = {"role": Role(user.role) if user.role else None}
    if user.role == Role.COORDINATOR:
        context["entity_count"] = Entity.objects.count()
        context["inspector_count"] = Inspector.objects.count()
    elif user.department_id:
        context["inspector_count"] = Inspector.objects.filter(
            department_id=user.department_id
        ).count()
    if user.role == Role.WITNESS:
        context["ceremonies"] = Plan.objects.filter(status__in=[PlanStatus.COMMITTED, PlanStatus.DRAWN]).order_by(
            "-updated_at")[:20]
    if user.role == Role.INSPECTOR and user.inspector_id:
        context["tasks"] = (Task.objects.filter(members__inspector_id=user.inspector_id)
                            .select_related("plan", "entity", "entity__region").order_by("-created_at")[:50])
    context.update(waiting_for(user))
    context["head"] = AuditHead.current()
    return render(request, "accounts/home.html", context)
