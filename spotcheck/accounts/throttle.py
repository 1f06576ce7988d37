"""Throttle failed logins per account and per address."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from spotcheck.accounts.models import FailedLogin


def client_address(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _since():
    return timezone.now() - timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)


def is_throttled(username: str, address: str | None) -> bool:
    """Return whether too many recent failures block this account or address."""
    since = _since()
    recent = FailedLogin.objects.filter(at__gte=since)
    if recent.filter(username__iexact=username).count() >= settings.LOGIN_FAILURES_PER_ACCOUNT:
        return True
    return bool(
        address
        and recent.filter(address=address).count() >= settings.LOGIN_FAILURES_PER_ADDRESS
    )


def record_failure(username: str, address: str | None) -> None:
    FailedLogin.objects.create(username=username[:150], address=address)


def clear_failures(username: str) -> None:
    FailedLogin.objects.filter(username__iexact=username).delete()
