"""One-time password reset links (一次性密码重置链接, issue #9 §3).

An administrator who may manage a user issues a link; the page shows it once, with its expiry, to
be handed to the user (this deployment sends no mail). The link carries a random token of 256 bits;
only its SHA-256 is stored, so the table alone opens nothing. A link works:

- once (``used_at``), and until it expires (``PASSWORD_RESET_LINK_HOURS`` after it was issued);
- while the password is the one it was issued against: any change of the password hash (a
  temporary password, the user's own change, ``changepassword``) voids it, whatever path made it;
- while it is the user's newest link, and the account has not been disabled since (``revoked_at``),
  and the account is active.

Opening a link is public (the user cannot log in) and throttled like logging in: a refused link
counts as a failed login of a pseudo-account of the client's address (``throttle_key``), so guesses
from one address wait 1 s, 2 s, 4 s … and count towards that address's failed logins too.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.debug import sensitive_variables

from spotcheck.accounts.models import PasswordResetLink, User
from spotcheck.audit.log import record

FINGERPRINT_SALT = "spotcheck.accounts.reset.password-fingerprint"


def token_hash(token: str) -> str:
    """Return the SHA-256 (hex) of a link's token: what the database keeps instead of the token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def password_fingerprint(user: User) -> str:
    """Return a keyed digest of the user's password hash: it changes whenever the password does."""
    return salted_hmac(FINGERPRINT_SALT, user.password, algorithm="sha256").hexdigest()


def throttle_key(address: str | None) -> str:
    """Return the pseudo-account that refused links from ``address`` count against.

    No username can take this form ("#" and spaces are not allowed in one), so a real account's
    failures are never mixed with it; one address cannot slow down another's links.
    """
    return f"#reset-link {address or ''}"


def revoke(user: User) -> int:
    """Void the user's links not yet used (a newer link, a disabled account); return how many."""
    return PasswordResetLink.objects.filter(user=user, used_at=None, revoked_at=None).update(
        revoked_at=timezone.now())


@sensitive_variables("token")
def issue(user: User, actor: User) -> tuple[str, PasswordResetLink]:
    """Issue a link for ``user`` by ``actor``, voiding the user's older ones; return its token and row.

    Call it inside the transaction that locked the user's row. The audit entry names who issued it
    for whom and until when, never the token.
    """
    revoke(user)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    link = PasswordResetLink.objects.create(
        user=user, token_hash=token_hash(token), password_fingerprint=password_fingerprint(user),
        issued_by=actor, created_at=now, expires_at=now + timedelta(hours=settings.PASSWORD_RESET_LINK_HOURS))
    record(actor, "user_reset_link_issue", "user", user.pk,
           {"username": user.username, "expires_at": link.expires_at.isoformat(timespec="seconds")})
    return token, link


def usable(link: PasswordResetLink) -> bool:
    """Return whether the link still works: unused, not void, not expired, same password, active user."""
    return (link.used_at is None and link.revoked_at is None and timezone.now() < link.expires_at
            and link.user.is_active
            and constant_time_compare(link.password_fingerprint, password_fingerprint(link.user)))


@sensitive_variables("token")
def find(token: str, *, lock: bool = False) -> PasswordResetLink | None:
    """Return the link of ``token`` if it still works, else None (wrong, used, expired: all alike).

    With ``lock``, the link's and the user's rows are locked (call inside a transaction): two
    browsers submitting the same link cannot both set a password.
    """
    links = PasswordResetLink.objects.select_related("user")
    if lock:
        links = links.select_for_update()
    link = links.filter(token_hash=token_hash(token)).first()
    return link if link is not None and usable(link) else None


@sensitive_variables("password")
def use(link: PasswordResetLink, password: str) -> User:
    """Set the user's new password through a link found with ``lock``, and spend the link.

    The temporary-password flag is cleared. The new password hash ends every session of the user
    (Django checks each session's hash of the password), and voids every other link.
    """
    user = link.user
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    revoke(user)
    record(user, "user_reset_link_use", "user", user.pk, {"username": user.username})
    return user
