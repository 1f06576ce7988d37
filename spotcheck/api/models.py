"""API tokens (接口令牌) and the per-address counters that rate-limit anonymous reads."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TOKEN_PREFIX = "sc1_"  # noqa: S105 (the visible start of every token, not a secret)


def token_digest(token: str) -> str:
    """Return the stored form of a token: its SHA-256 in hex (the token itself is never stored)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        """Tokens that authenticate now: not revoked, not expired, their user active."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now(), user__is_active=True)


class ApiToken(models.Model):
    """A bearer token for a user or a system (a user account made for it), shown once, stored hashed.

    The token acts with its user's role and department. ``key`` is the token's first
    characters, kept in clear to tell tokens apart in lists and in the audit log.
    """

    name = models.CharField(_("名称"), max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.PROTECT, related_name="api_tokens"
    )
    key = models.CharField(_("令牌前缀"), max_length=16, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField(_("到期时间"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True)
    last_used_from = models.GenericIPAddressField(_("最近使用地址"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key}…)"

    @property
    def label(self) -> str:
        """How the audit log names the token."""
        return f"{self.key} {self.name}"

    @classmethod
    def issue(cls, *, user, name: str, days: int, created_by=None) -> tuple[ApiToken, str]:
        """Create a token; return it with its secret text, which exists only in this return value."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            name=name,
            user=user,
            key=secret[: len(TOKEN_PREFIX) + 8],
            digest=token_digest(secret),
            created_by=created_by,
            expires_at=timezone.now() + timedelta(days=days),
        )
        return token, secret


class AddressWindow(models.Model):
    """How many anonymous API requests an address made in one minute (a fixed window)."""

    address = models.CharField(max_length=45)
    minute = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["address", "minute"], name="api_address_minute")]

    def __str__(self) -> str:
        return f"{self.address} {self.minute:%H:%M} {self.hits}"
