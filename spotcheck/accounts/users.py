"""User management (用户管理, issue #9 §3) and each user's own password change.

The coordinator manages every user; a department's administrator the users of their
own department (others are not found). Accounts are disabled, never deleted, so their
audit entries keep naming them. A reset gives a temporary password, shown once to the
administrator, which the user must change at the next login, or a one-time link (accounts.reset),
also shown once, with which the user sets a password of their own. Every change is an audit
entry; no password or link is ever written in one.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from spotcheck.accounts import reset, throttle
from spotcheck.accounts.access import AuthedRequest, authenticated, public, roles, scope
from spotcheck.accounts.forms import UserForm
from spotcheck.accounts.models import Role, User
from spotcheck.audit.log import record

managers = roles(Role.COORDINATOR, Role.DEPT_ADMIN)

# Letters and digits that cannot be mistaken for one another when read out or copied by hand.
ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
AUDITED_FIELDS = ("username", "display_name", "role", "department", "inspector")


def temporary_password() -> str:
    """A random password of 16 characters (about 93 bits), with a letter and a digit group."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(16))
    return f"{body[:4]}-{body[4:8]}-{body[8:12]}-{body[12:]}"


def managed_users(actor: User) -> Any:
    """The users ``actor`` may see and change: all for the coordinator; for a department's administrator
    their department's administrators and inspectors (not its heads: see ``assignable_roles``)."""
    users = scope(User.objects.select_related("department", "inspector"), actor)
    if getattr(actor, "role", None) != Role.COORDINATOR:
        users = users.exclude(role=Role.DEPT_HEAD)
    return users


def _target(request: AuthedRequest, pk: int, *, lock: bool = False) -> User:
    users = managed_users(request.user)
    if lock:
        users = users.select_for_update(of=("self",))
    user = users.filter(pk=pk).first()
    if user is None:
        raise Http404(gettext("未找到"))
    return user


def _values(user: User) -> dict[str, Any]:
    """What the audit log says of a user: codes and numbers, never a password."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "department": user.department.code if user.department else None,
        "inspector": user.inspector.cert_no if user.inspector else None,
    }


@managers
def user_list(request: AuthedRequest) -> HttpResponseBase:
    users = managed_users(request.user).order_by("department__code", "role", "username")
    return render(request, "accounts/user_list.html", {"users": users})


@managers
@never_cache  # the answer shows the temporary password
@sensitive_variables("password")
def user_create(request: AuthedRequest) -> HttpResponseBase:
    """Create a user with a temporary password, shown once, to be changed at the first login."""
    form = UserForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        password = temporary_password()
        with transaction.atomic():
            user = form.save(commit=False)
            user.set_password(password)
            user.must_change_password = True
            user.save()
            record(request.user, "user_create", "user", user.pk, _values(user))
        return render(request, "accounts/user_password.html", {"target": user, "password": password,
                                                               "created": True})
    return render(request, "accounts/user_form.html", {"form": form, "target": None})


@managers
def user_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Change a user's name, role, department and inspector record; the audit entry names what changed."""
    target = _target(request, pk)
    if request.method != "POST":
        return render(request, "accounts/user_form.html",
                      {"form": UserForm(instance=target, actor=request.user), "target": target})
    with transaction.atomic():
        target = _target(request, pk, lock=True)
        before = _values(target)
        form = UserForm(request.POST, instance=target, actor=request.user)
        if form.is_valid():
            user = form.save()
            after = _values(user)
            changed = {k: [before[k], after[k]] for k in AUDITED_FIELDS if before[k] != after[k]}
            if changed:
                record(request.user, "user_update", "user", user.pk,
                       {"username": user.username, "changed": changed})
            messages.success(request, gettext("已保存"))
            return redirect("users:list")
    return render(request, "accounts/user_form.html", {"form": form, "target": target})


def _set_active(request: AuthedRequest, pk: int, active: bool) -> HttpResponseBase:
    if pk == request.user.pk:
        raise PermissionDenied(gettext("不能停用或启用自己的账号"))
    with transaction.atomic():
        target = _target(request, pk, lock=True)
        if target.is_active != active:
            target.is_active = active
            target.save(update_fields=["is_active"])
            if not active:
                reset.revoke(target)  # enabling the account again does not revive its links
            record(request.user, "user_enable" if active else "user_disable", "user", target.pk,
                   {"username": target.username})
    messages.success(request, gettext("账号已启用") if active else gettext("账号已停用"))
    return redirect("users:list")


@require_POST
@managers
def user_disable(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Disable an account (never deleted: its audit entries stay); it can no longer log in."""
    return _set_active(request, pk, False)


@require_POST
@managers
def user_enable(request: AuthedRequest, pk: int) -> HttpResponseBase:
    return _set_active(request, pk, True)


@require_POST
@managers
@never_cache  # the answer shows the temporary password
@sensitive_variables("password")
def user_reset_password(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Give a temporary password, shown once, that the user must change at the next login."""
    if pk == request.user.pk:
        raise PermissionDenied(gettext("请在“修改密码”页修改自己的密码"))
    password = temporary_password()
    with transaction.atomic():
        target = _target(request, pk, lock=True)
        target.set_password(password)
        target.must_change_password = True
        target.save(update_fields=["password", "must_change_password"])
        record(request.user, "user_password_reset", "user", target.pk, {"username": target.username})
    return render(request, "accounts/user_password.html", {"target": target, "password": password,
                                                           "created": False})


@require_POST
@managers
@never_cache  # the answer shows the link
@sensitive_variables("token")
def user_reset_link(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Issue a one-time reset link, shown once with its expiry, voiding the user's older links."""
    if pk == request.user.pk:
        raise PermissionDenied(gettext("请在“修改密码”页修改自己的密码"))
    with transaction.atomic():
        target = _target(request, pk, lock=True)
        if not target.is_active:
            messages.error(request, gettext("账号已停用，不能生成重置链接"))
            return redirect("users:list")
        token, link = reset.issue(target, request.user)
    url = request.build_absolute_uri(reverse("password_reset", args=[token]))
    return render(request, "accounts/user_reset_link.html", {"target": target, "link": link, "url": url})


@public
@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
@sensitive_variables("token", "password")
def password_reset(request: HttpRequest, token: str) -> HttpResponseBase:
    """Set a new password through a one-time link (public: the user cannot log in); then log in.

    A wrong, used, expired or void link gets one message that says neither which nor whose, and
    counts against the client's address like a failed login (accounts.throttle).
    """
    address = throttle.client_address(request)
    key = reset.throttle_key(address)
    remaining = throttle.wait(key, address)
    if remaining:
        return render(request, "accounts/password_reset.html",
                      {"throttled": throttle.wait_text(remaining)}, status=429)
    link = reset.find(token)
    if link is None:
        throttle.record_failure(key, address)
        return render(request, "accounts/password_reset.html", {"invalid": True})
    form = SetPasswordForm(link.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        password = form.cleaned_data["new_password1"]
        with transaction.atomic():
            link = reset.find(token, lock=True)  # re-read under the lock: another tab may have used it
            if link is not None:
                reset.use(link, password)
        if link is None:
            throttle.record_failure(key, address)
            return render(request, "accounts/password_reset.html", {"invalid": True})
        messages.success(request, gettext("新密码已设置，请用新密码登录"))
        return redirect("login")
    return render(request, "accounts/password_reset.html", {"form": form, "target": link.user, "link": link})


@authenticated
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
def password_change(request: AuthedRequest) -> HttpResponseBase:
    """Change one's own password (validators from settings); required after a temporary one."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save(commit=False)
            user.must_change_password = False
            user.save(update_fields=["password", "must_change_password"])
            record(request.user, "user_password_change", "user", user.pk, {"username": user.username})
        update_session_auth_hash(request, user)
        messages.success(request, gettext("密码已修改"))
        return redirect("home")
    return render(request, "accounts/password_change.html", {"form": form})


password_change.allowed_before_password_change = True  # type: ignore[attr-defined]
