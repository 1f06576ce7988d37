"""Who calls the API: a bearer token (acting as its user), or an anonymous address, rate-limited.

Deny by default: the API's default authentication is ``TokenAuth``; an endpoint that
serves published data says so with ``auth=PUBLIC``, which still takes a token when one
is given (and refuses a bad one) and otherwise counts the address's requests.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from spotcheck.accounts.models import User
from spotcheck.accounts.throttle import client_address
from spotcheck.api.models import AddressWindow, ApiToken, token_digest
from spotcheck.audit.log import api_token

# last_used_at is written at most this often per token, not on every request.
LAST_USE_RESOLUTION = timedelta(minutes=1)


class TokenRequest(HttpRequest):
    """A request authenticated by a token (for type checking the endpoints behind ``TokenAuth``)."""

    user: User
    api_token: ApiToken


class RateLimited(Exception):
    """An address asked more often than ``api_anonymous_per_minute`` allows."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


class Anonymous:
    """The caller of a public endpoint who gave no token."""

    is_authenticated = False
    role = None
    department_id = None

    def __bool__(self) -> bool:
        return True


def bearer(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def token_for(request: HttpRequest, secret: str) -> ApiToken:
    """Return the usable token ``secret``, or raise AuthenticationError (401)."""
    token = ApiToken.objects.usable().select_related("user").filter(digest=token_digest(secret)).first()
    if token is None:
        raise AuthenticationError(message="令牌无效、已过期或已撤销")
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USE_RESOLUTION:
        address = client_address(request)
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_from=address)
        token.last_used_at, token.last_used_from = now, address
    request.user = token.user
    request.api_token = token  # type: ignore[attr-defined]
    api_token.set(token.label)
    return token


class TokenAuth(HttpBearer):
    """``Authorization: Bearer sc1_…``: the request acts as the token's user."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        return token_for(request, token)


class PublicAuth:
    """Published data: a token if one is given, else the address, counted per minute."""

    def __call__(self, request: HttpRequest) -> Any:
        secret = bearer(request)
        if secret is not None:
            return token_for(request, secret)
        count_address(client_address(request) or "unknown")
        request.user = Anonymous()  # type: ignore[assignment]
        return request.user


def count_address(address: str) -> None:
    """Count one request of ``address`` in the current minute; raise RateLimited over the limit."""
    limit = settings.SPOTCHECK["api_anonymous_per_minute"]
    now = timezone.now()
    window = now.replace(second=0, microsecond=0)
    table = AddressWindow._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        # One statement counts and reads, whichever worker process serves the request.
        cursor.execute(
            f"INSERT INTO {table} (address, minute, hits) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (address, minute) DO UPDATE SET hits = {table}.hits + 1 RETURNING hits",
            [address, connection.ops.adapt_datetimefield_value(window)],
        )
        (count,) = cursor.fetchone()
        if count == 1:
            AddressWindow.objects.filter(minute__lt=window - timedelta(minutes=5)).delete()
    if count > limit:
        raise RateLimited(retry_after=max(1, 60 - now.second))


PUBLIC = PublicAuth()
