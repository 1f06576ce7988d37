from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from spotcheck.accounts import throttle
from spotcheck.accounts.access import scope, sees_all_departments
from spotcheck.accounts.models import DEPARTMENT_ROLES, Role, User
from spotcheck.directory.models import Department, Inspector


class ThrottledLoginForm(AuthenticationForm):
    """The login form, delaying the next attempt after failures (accounts.throttle).

    A browser that logged in to the account before (a known device) has its own
    count, so strangers' failures never stop the right password from it.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("用户名或密码不正确"),
        "throttled": _("登录失败次数过多，请在%(wait)s后再试。"),
    }

    @sensitive_variables()  # the password and the known device's token
    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip()
        if not username or not self.cleaned_data.get("password"):
            return super().clean()  # a field is missing: no password is checked, nothing counts
        address = throttle.client_address(self.request) if self.request else None
        device = throttle.known_device(self.request, username) if self.request else None
        remaining = throttle.wait(username, address, device)
        if remaining:
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled",
                                        params={"wait": throttle.wait_text(remaining)})
        # Counted before the password is checked, so that simultaneous guesses see each other.
        attempt = throttle.record_failure(username, address, device)
        cleaned = super().clean()
        if self.user_cache is not None:
            throttle.succeeded(attempt, username, address, device)
        return cleaned


class UserForm(forms.ModelForm):
    """Create or change a user (用户管理): role, department, name and the linked inspector record.

    ``actor`` limits the choices: a department's administrator gives only the roles of
    their own department, in their own department. No one changes their own role or
    department here.
    """

    class Meta:
        model = User
        fields = ["username", "display_name", "role", "department", "inspector"]

    def __init__(self, *args: Any, actor: User, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.actor = actor
        role_field: Any = self.fields["role"]
        role_field.choices = [("", "---------")] + [
            (value, label) for value, label in Role.choices if value in assignable_roles(actor)]
        departments = Department.objects.order_by("code")
        if not sees_all_departments(actor):
            departments = departments.filter(pk=actor.department_id or 0)
        department_field: Any = self.fields["department"]
        department_field.queryset = departments
        inspector_field: Any = self.fields["inspector"]
        inspector_field.queryset = scope(
            Inspector.objects.select_related("department").order_by("cert_no"), actor)
        self.fields["inspector"].help_text = _("执法检查人员账号须关联本部门的执法检查人员档案")
        if self.instance.pk and self.instance.pk == actor.pk:
            for name in ("role", "department"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("不能修改自己的角色或部门")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        role = cleaned.get("role")
        department = cleaned.get("department")
        inspector = cleaned.get("inspector")
        if not role:
            return cleaned
        if role in DEPARTMENT_ROLES:
            if department is None:
                self.add_error("department", _("该角色须选择所属部门"))
        elif department is not None:
            self.add_error("department", _("区协调办和监督见证人不属于任何部门"))
        if role == Role.INSPECTOR:
            if inspector is None:
                self.add_error("inspector", _("执法检查人员账号须关联执法检查人员档案"))
            elif department is not None and inspector.department_id != department.pk:
                self.add_error("inspector", _("关联的执法检查人员档案须属于同一部门"))
        elif inspector is not None:
            self.add_error("inspector", _("只有执法检查人员账号关联执法检查人员档案"))
        return cleaned


def assignable_roles(actor: Any) -> tuple[str, ...]:
    """The roles ``actor`` may give: all for the coordinator; administrator and inspector for a
    department's administrator (heads are the coordinator's to manage)."""
    if getattr(actor, "role", None) == Role.COORDINATOR:
        return tuple(Role.values)
    if getattr(actor, "role", None) == Role.DEPT_ADMIN:
        # Not the head: a head approves what the administrator writes (separation of duties), so an
        # administrator who could make or reset a head's login could approve their own plan.
        return tuple(r for r in DEPARTMENT_ROLES if r != Role.DEPT_HEAD)
    return ()
