"""Changes to the directories made one at a time (the web pages and the REST API share them)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from spotcheck.audit.log import record
from spotcheck.directory.models import Conflict, ConflictStatus, Inspector


def declare_conflict(inspector: Inspector, uscc: str, reason: str, user: Any) -> tuple[Conflict, bool]:
    """An inspector declares a conflict of their own (回避), pending until the administrator confirms it.

    Return the conflict and whether it is new; a conflict already there (declared or
    imported) is returned unchanged. ``uscc`` is already checked (``parse_uscc``).
    """
    with transaction.atomic():
        conflict, created = Conflict.objects.get_or_create(
            inspector=inspector, uscc=uscc,
            defaults={"status": ConflictStatus.PENDING, "source": "declared",
                      "reason": reason, "declared_by": user},
        )
        if created:
            record(user, "conflict_declare", "inspector", inspector.cert_no,
                   {"uscc": conflict.uscc, "reason": conflict.reason})
    return conflict, created


def confirm_conflict(conflict: Conflict, user: Any) -> Conflict:
    """Confirm a declared conflict (re-read under a lock); it counts in every later draw's pool."""
    with transaction.atomic():
        conflict = Conflict.objects.select_for_update().select_related("inspector").get(pk=conflict.pk)
        if conflict.status != ConflictStatus.CONFIRMED:
            conflict.status = ConflictStatus.CONFIRMED
            conflict.confirmed_by = user
            conflict.save(update_fields=["status", "confirmed_by"])
            record(user, "conflict_confirm", "inspector", conflict.inspector.cert_no, {"uscc": conflict.uscc})
    return conflict
