"""API tokens (接口令牌) for other systems: created by an administrator, shown once, revocable.

A token acts as its user, with the user's role and department; a "system" (登记系统, 信用平台…)
is a user account made for it first. The coordinator gives tokens to any user; a
department's administrator to the users of their department they manage (not its heads).
The secret is shown once, on the page that creates it; only its digest is stored. Creating
and revoking are audit entries, which name the token by its prefix, never its secret.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables

from spotcheck.accounts.access import AuthedRequest
from spotcheck.accounts.models import User
from spotcheck.accounts.users import managed_users, managers
from spotcheck.api.models import ApiToken
from spotcheck.audit.log import record

DEFAULT_DAYS = 90
MAX_DAYS = 365


class UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        shown = f"{obj.username}（{obj.display_name}）" if obj.display_name else obj.username
        return f"{shown} · {obj.get_role_display()}" if obj.role else shown


class TokenForm(forms.Form):
    user = UserChoice(label=_("用户（或系统账号）"), queryset=User.objects.none())
    name = forms.CharField(label=_("名称"), max_length=100, help_text=_("令牌的用途，例如“登记系统同步”"))
    days = forms.IntegerField(label=_("有效天数"), min_value=1, max_value=MAX_DAYS, initial=DEFAULT_DAYS,
                              help_text=_("1 至 365 天，默认 90 天"))

    def __init__(self, *args: Any, actor: User, **kwargs: Any):
        super().__init__(*args, **kwargs)
        users = managed_users(actor).filter(is_active=True).order_by("username")
        self.fields["user"].queryset = users  # type: ignore[attr-defined]


def status(token: ApiToken, now: Any = None) -> str:
    """有效 / 已过期 / 已撤销."""
    now = now or timezone.now()
    if token.revoked_at is not None:
        return gettext("已撤销")
    if token.expires_at <= now:
        return gettext("已过期")
    return gettext("有效")


def managed_tokens(actor: User) -> Any:
    """The tokens of the users ``actor`` manages (all for the coordinator)."""
    return ApiToken.objects.filter(user__in=managed_users(actor)).select_related("user", "created_by")


@managers
def token_list(request: AuthedRequest) -> HttpResponseBase:
    tokens = list(managed_tokens(request.user).order_by("-created_at", "-pk"))
    now = timezone.now()
    for token in tokens:
        token.status = status(token, now)  # type: ignore[attr-defined]
        token.active = token.status == gettext("有效")  # type: ignore[attr-defined]
    return render(request, "accounts/token_list.html", {"tokens": tokens})


@managers
@never_cache  # the answer shows the secret
@sensitive_variables("secret")
def token_create(request: AuthedRequest) -> HttpResponseBase:
    """Create a token for a user or a system; show its secret once."""
    form = TokenForm(request.POST or None, actor=request.user, initial={"days": DEFAULT_DAYS})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            token, secret = ApiToken.issue(user=data["user"], name=data["name"].strip(), days=data["days"],
                                           created_by=request.user)
            record(request.user, "api_token_create", "api_token", token.pk, audit_values(token))
        return render(request, "accounts/token_secret.html", {"token": token, "secret": secret})
    return render(request, "accounts/token_form.html", {"form": form})


def audit_values(token: ApiToken) -> dict[str, Any]:
    """What the audit log says of a token: its prefix, name, user and expiry, never its secret."""
    return {"key": token.key, "name": token.name, "user": token.user.username,
            "expires_at": token.expires_at.isoformat()}


@managers
def token_revoke(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Ask to confirm (GET), then revoke (POST): the token stops working at once."""
    token = managed_tokens(request.user).filter(pk=pk).first()
    if token is None:
        raise Http404(gettext("未找到"))
    if request.method != "POST":
        return render(request, "accounts/token_revoke.html", {"token": token, "status": status(token)})
    with transaction.atomic():
        token = managed_tokens(request.user).select_for_update(of=("self",)).get(pk=pk)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            record(request.user, "api_token_revoke", "api_token", token.pk, audit_values(token))
    messages.success(request, gettext("令牌已撤销"))
    return redirect("tokens:list")
