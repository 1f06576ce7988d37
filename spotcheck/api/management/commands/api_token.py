"""API tokens on the command line, for automation (the page is /accounts/tokens/).

Examples::

    spotcheck api_token create --user credit_system --name 信用平台推送 --days 180 --json
    {"key": "sc1_Ab3dEf9h", "token": "sc1_…", "user": "credit_system", "name": "信用平台推送", "expires_at": "…"}
    spotcheck api_token list --json
    spotcheck api_token revoke sc1_Ab3dEf9h

The secret is printed once, by ``create``; only its digest is stored. ``create`` and
``revoke`` are audit entries (actor: the operating-system user), never naming the secret.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from spotcheck.accounts.models import User
from spotcheck.accounts.tokens import MAX_DAYS, audit_values
from spotcheck.api.models import ApiToken
from spotcheck.audit.log import record
from spotcheck.lib.command import Refused, SpotcheckCommand


def state(token: ApiToken) -> str:
    if token.revoked_at is not None:
        return "revoked"
    return "expired" if token.expires_at <= timezone.now() else "active"


class Command(SpotcheckCommand):
    help = "接口令牌：创建、撤销、列出 / API tokens: create, revoke, list"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "revoke", "list"],
                            help="create: 创建（只显示一次）/ create (shown once); revoke KEY: 撤销 / revoke; list: 列出")
        parser.add_argument("key", nargs="?", help="revoke：令牌前缀 / the token's prefix, e.g. sc1_Ab3dEf9h")
        parser.add_argument("--user", help="create：用户名 / username (a system's own account)")
        parser.add_argument("--name", help="create：令牌名称 / what the token is for")
        parser.add_argument("--days", type=int, default=90, help=f"create：有效天数 1–{MAX_DAYS} / days (default 90)")

    def run(self, options: dict[str, Any]):
        return getattr(self, f"do_{options['action']}")(options)

    def do_create(self, options: dict[str, Any]):
        if not options["user"] or not options["name"]:
            raise Refused("create 需要 --user 和 --name / create needs --user and --name")
        name = options["name"].strip()
        if not name or len(name) > 100:
            raise Refused("令牌名称须为 1–100 个字符 / the name must have 1 to 100 characters")
        days = options["days"]
        if not 1 <= days <= MAX_DAYS:
            raise Refused(f"有效天数须在 1–{MAX_DAYS} 之间 / --days must be between 1 and {MAX_DAYS}")
        user = User.objects.filter(username=options["user"]).first()
        if user is None or not user.is_active:
            raise Refused(f"没有这个启用的用户：{options['user']} / no active user {options['user']}")
        with transaction.atomic():
            token, secret = ApiToken.issue(user=user, name=name, days=days)
            record(None, "api_token_create", "api_token", token.pk, audit_values(token))
        data = {"key": token.key, "token": secret, "user": user.username, "name": token.name,
                "expires_at": token.expires_at.isoformat()}
        return self.result(data, f"令牌（只显示这一次）/ token (shown once):\n{secret}\n"
                                 f"用户 / user {user.username} · 到期 / expires {token.expires_at:%Y-%m-%d %H:%M}")

    def do_revoke(self, options: dict[str, Any]):
        if not options["key"]:
            raise Refused("revoke 需要令牌前缀 / revoke needs the token's prefix (KEY)")
        with transaction.atomic():
            token = ApiToken.objects.select_for_update().select_related("user").filter(key=options["key"]).first()
            if token is None:
                raise Refused(f"没有这个令牌：{options['key']} / no token {options['key']}")
            already = token.revoked_at is not None
            if not already:
                token.revoked_at = timezone.now()
                token.save(update_fields=["revoked_at"])
                record(None, "api_token_revoke", "api_token", token.pk, audit_values(token))
        return self.result({"key": token.key, "revoked": True, "already": already},
                           f"令牌 {token.key} 已撤销 / token {token.key} revoked")

    def do_list(self, options: dict[str, Any]):
        tokens = list(ApiToken.objects.select_related("user", "created_by").order_by("-created_at", "-pk"))
        rows = [{"key": t.key, "name": t.name, "user": t.user.username,
                 "created_by": t.created_by.username if t.created_by else None,
                 "created_at": t.created_at.isoformat(), "expires_at": t.expires_at.isoformat(),
                 "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                 "last_used_from": t.last_used_from, "status": state(t)} for t in tokens]
        text = "\n".join(f"{t.key}  {state(t):8}  {t.user.username}  {t.name}  {t.expires_at:%Y-%m-%d %H:%M}"
                         for t in tokens) or "暂无令牌 / no tokens"
        return self.result({"tokens": rows}, text)
