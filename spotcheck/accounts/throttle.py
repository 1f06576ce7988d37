"""Delay logins after failures without letting anyone lock an account or an office out (issue #12 §5).

Failures count in buckets, each with its own growing delay: after ``threshold``
failures within ``LOGIN_FAILURE_WINDOW_MINUTES`` the next attempt must wait 1 s,
then 2 s, 4 s … up to ``LOGIN_DELAY_MAX_SECONDS`` after the last failure. Never a
hard lock. The buckets:

- the account, for browsers not known to it (``LOGIN_FAILURES_PER_ACCOUNT``);
- the client's address, for the same browsers (``LOGIN_FAILURES_PER_ADDRESS``);
- a known device of the account: a browser that logged in to it before, holding a
  signed cookie with a random id and the accounts it logged in to. Its failures count
  for it alone, so the right password from it still works while strangers hammer
  the account or share its address.

The address is ``REMOTE_ADDR``, unless that is one of ``SPOTCHECK_TRUSTED_PROXIES``:
then the right-most address of X-Forwarded-For that is not a trusted proxy (the one
the outermost trusted proxy saw). Records older than the window are pruned on each write.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db.models import Count, Max, QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_variables

from spotcheck.accounts.models import FailedLogin

DEVICE_COOKIE = "spotcheck_device"
DEVICE_SALT = "spotcheck.accounts.throttle.known-device"
DEVICE_ACCOUNTS = 10  # accounts remembered per browser (a shared office computer), most recent first

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def now() -> datetime:
    """Return the time the throttle goes by (one place, for the tests' clock)."""
    return timezone.now()


# --- The client's address -------------------------------------------------------------------


def parse_address(text: str) -> IPAddress | None:
    """Return the address in ``text`` (``1.2.3.4``, ``1.2.3.4:port``, ``[v6]:port``, ``v6``), or None."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def trusted_proxies() -> list[IPNetwork]:
    """Return the networks of the trusted proxies (settings.SPOTCHECK_TRUSTED_PROXIES)."""
    return [ipaddress.ip_network(entry, strict=False) for entry in settings.SPOTCHECK_TRUSTED_PROXIES]


def _trusted(address: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_address(request: HttpRequest) -> str | None:
    """Return the client's address: REMOTE_ADDR, or the proxies' X-Forwarded-For when they are trusted.

    Without trusted proxies the header is never read: anyone can write it. Behind
    them, the header is walked from the right (each proxy appends the address it
    saw) to the first address that is not a trusted proxy; whatever stands left of
    it was written by the client and is ignored. A malformed hop stops the walk at
    the last trusted proxy, so the failures count for the proxy's address.
    """
    remote = parse_address(request.META.get("REMOTE_ADDR") or "")
    networks = trusted_proxies()
    if remote is None or not networks or not _trusted(remote, networks):
        return str(remote) if remote else None
    client = remote
    hops = (request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",")
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            break
        client = address
        if not _trusted(address, networks):
            break
    return str(client)


# --- Known devices ---------------------------------------------------------------------------


def account_key(username: str) -> str:
    """Return the key an account's failures and devices go by (case folded: "Alice" is "alice")."""
    return username.strip().casefold()[:150]


@dataclass(frozen=True)
class Device:
    """A browser that logged in before: its random id and the accounts it logged in to."""

    id: str
    accounts: tuple[str, ...]


@sensitive_variables()
def read_device(request: HttpRequest) -> Device | None:
    """Return the browser's known-device cookie if its signature holds and it has not expired."""
    value = request.COOKIES.get(DEVICE_COOKIE)
    if not value:
        return None
    try:
        data = signing.loads(value, salt=DEVICE_SALT, max_age=timedelta(days=settings.LOGIN_DEVICE_DAYS))
    except signing.BadSignature:  # tampered with, expired or made with another SECRET_KEY
        return None
    if not isinstance(data, dict):
        return None
    ident, accounts = data.get("id"), data.get("accounts")
    if not isinstance(ident, str) or not 16 <= len(ident) <= 64 or not isinstance(accounts, list):
        return None
    return Device(ident, tuple(a for a in accounts if isinstance(a, str)))


def known_device(request: HttpRequest, username: str) -> str | None:
    """Return the id of the browser if it logged in to this account before, else None."""
    device = read_device(request)
    return device.id if device and account_key(username) in device.accounts else None


@sensitive_variables()
def remember_device(request: HttpRequest, response: HttpResponseBase, username: str) -> None:
    """Mark the browser as a known device of the account that just logged in (a signed, HttpOnly cookie)."""
    device = read_device(request)
    key = account_key(username)
    ident = device.id if device else secrets.token_urlsafe(24)
    others = [a for a in device.accounts if a != key] if device else []
    value = signing.dumps({"id": ident, "accounts": [key, *others][:DEVICE_ACCOUNTS]}, salt=DEVICE_SALT,
                          compress=True)
    response.set_cookie(DEVICE_COOKIE, value, max_age=settings.LOGIN_DEVICE_DAYS * 86400, httponly=True,
                        secure=settings.SESSION_COOKIE_SECURE, samesite="Strict")


# --- The buckets -----------------------------------------------------------------------------


def delay(failures: int, threshold: int) -> timedelta:
    """Return the wait after ``failures`` of a bucket: none below the threshold, then 1 s, 2 s, 4 s … capped."""
    if failures < threshold:
        return timedelta(0)
    return timedelta(seconds=min(2 ** min(failures - threshold, 40), settings.LOGIN_DELAY_MAX_SECONDS))


def _window_start(at: datetime) -> datetime:
    return at - timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)


def _buckets(username: str, address: str | None, device: str | None) -> list[tuple[QuerySet, int]]:
    """Return the failures that decide this attempt's wait, each with its bucket's threshold."""
    failures = FailedLogin.objects.all()
    key = account_key(username)
    if device:
        return [(failures.filter(username=key, device=device), settings.LOGIN_FAILURES_PER_ACCOUNT)]
    buckets = [(failures.filter(username=key, device=""), settings.LOGIN_FAILURES_PER_ACCOUNT)]
    if address:
        buckets.append((failures.filter(address=address, device=""), settings.LOGIN_FAILURES_PER_ADDRESS))
    return buckets


def wait(username: str, address: str | None, device: str | None = None) -> timedelta:
    """Return how long this attempt must still wait (zero when it may try its password)."""
    current = now()
    longest = timedelta(0)
    for failures, threshold in _buckets(username, address, device):
        stats = failures.filter(at__gte=_window_start(current)).aggregate(n=Count("id"), last=Max("at"))
        if stats["last"] is not None:
            longest = max(longest, stats["last"] + delay(stats["n"], threshold) - current)
    return longest


def wait_text(remaining: timedelta) -> str:
    """Return the wait in words, rounded up to the second: "4秒", "2分5秒", "15分钟"."""
    seconds = max(1, -int(-remaining.total_seconds() // 1))
    if seconds < 60:
        return gettext("%(seconds)d秒") % {"seconds": seconds}
    minutes, seconds = divmod(seconds, 60)
    if not seconds:
        return gettext("%(minutes)d分钟") % {"minutes": minutes}
    return gettext("%(minutes)d分%(seconds)d秒") % {"minutes": minutes, "seconds": seconds}


def record_failure(username: str, address: str | None, device: str | None = None) -> int:
    """Count an attempt as failed, and prune records older than the window; return its id.

    The login form counts an attempt before checking its password and forgets it
    when the password is right, so that simultaneous guesses see each other.
    """
    current = now()
    attempt = FailedLogin.objects.create(username=account_key(username), address=address, device=device or "",
                                         at=current)
    prune(current)
    return attempt.pk


def prune(at: datetime | None = None) -> int:
    """Delete the failures older than the window (one indexed DELETE); return how many."""
    deleted, _ = FailedLogin.objects.filter(at__lt=_window_start(at or now())).delete()
    return deleted


def succeeded(attempt: int, username: str, address: str | None, device: str | None = None) -> None:
    """Forget a right attempt and the earlier failures of the same client: its address, or its device.

    Strangers' failures from elsewhere stay, so a login does not give them fresh tries.
    """
    FailedLogin.objects.filter(pk=attempt).delete()
    key = account_key(username)
    if device:
        FailedLogin.objects.filter(username=key, device=device).delete()
    else:
        FailedLogin.objects.filter(username=key, device="", address=address).delete()
