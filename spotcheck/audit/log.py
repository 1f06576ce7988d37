"""Append to and verify the audit log."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from spotcheck.audit.models import GENESIS, AuditEntry, AuditHead, canonical_json

# The API token of the call being served (set by spotcheck.api.auth): every entry it writes names it.
api_token: ContextVar[str | None] = ContextVar("api_token", default=None)


def actor_name(user: Any = None) -> str:
    """Return how an actor is written in the log: the username, or the OS user of a command."""
    if isinstance(user, str):
        return user
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.get_username()}"
    if user is None:
        try:
            return f"cli:{getpass.getuser()}"
        except (KeyError, OSError):
            return "cli:unknown"
    return "anonymous"


def record(
    actor: Any, action: str, object_type: str, object_id: Any, payload: dict[str, Any] | None = None
) -> AuditEntry:
    """Append one entry; call it inside the transaction of the change it records."""
    actor_text = actor_name(actor)
    token = api_token.get()
    if token is not None:
        payload = {**(payload or {}), "api_token": token}
    with transaction.atomic():
        AuditHead.objects.get_or_create(pk=1)
        # The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) first.
        AuditHead.objects.filter(pk=1).update(seq=F("seq"))
        head = AuditHead.objects.get(pk=1)
        entry = AuditEntry(
            seq=head.seq + 1,
            at=timezone.now().isoformat(timespec="microseconds"),
            actor=actor_text,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            payload=canonical_json(payload or {}),
            prev_hash=head.hash,
        )
        entry.hash = entry.computed_hash()
        entry.save()
        AuditHead.objects.filter(pk=1).update(seq=entry.seq, hash=entry.hash)
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    count: int
    head_seq: int
    head_hash: str
    bad_position: int | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.ok,
            "count": self.count,
            "head": {"seq": self.head_seq, "hash": self.head_hash},
            "bad_position": self.bad_position,
            "reason": self.reason,
        }


def _entries() -> Iterator[AuditEntry]:
    return AuditEntry.objects.order_by("seq", "pk").iterator(chunk_size=5000)


def verify_chain() -> ChainReport:
    """Check every entry in order; name the first position whose entry is wrong.

    Position N is the N-th entry, which must carry sequence number N. A changed
    entry fails its own hash; a deleted one leaves a gap; a reordered one breaks
    the link to its predecessor.
    """
    prev = GENESIS
    position = 0
    for entry in _entries():
        position += 1
        if entry.seq != position:
            return _bad(position, prev, gettext("序号应为%(expected)s，实为%(found)s（条目缺失或被插入）")
                        % {"expected": position, "found": entry.seq})
        if entry.prev_hash != prev:
            return _bad(position, prev, gettext("与前一条的链接断开（条目被改动或调换）"))
        if entry.computed_hash() != entry.hash:
            return _bad(position, prev, gettext("内容与哈希不符（条目被篡改）"))
        prev = entry.hash
    head = AuditHead.current()
    if head.seq != position or head.hash != prev:
        return _bad(position + 1 if head.seq > position else position, prev,
                    gettext("链头与最后一条不符（末尾条目被删除）"))
    return ChainReport(True, position, position, prev)


def _bad(position: int, prev: str, reason: str) -> ChainReport:
    head = AuditHead.current()
    return ChainReport(False, position, head.seq, head.hash, position, reason)
