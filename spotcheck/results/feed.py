"""The credit feed (信用信息推送): every published result and correction, in the order of their commits.

A client follows the feed from the start by an opaque cursor and later polls from the
last ``next`` it was given; it must see every published result exactly once, even while
results are being published. Reading "the rows after the last one seen" by id or by
publication time would lose rows: on PostgreSQL a transaction that took a smaller id
or time may commit after a larger one is already visible, and a reader that has moved
past the larger one never sees it (docs/decisions/0008-credit-feed.md).

So each publication numbers its results, inside the publishing transaction, from a
counter row it updates first: the update locks the row (PostgreSQL's row lock, SQLite's
write lock) until the transaction ends, so that a second publication waits for the
first to commit or roll back before it takes its numbers. Numbers are therefore given
in the order of commits: once number N is visible, every smaller number is committed
(or was rolled back and never will be). A rolled-back publication leaves a gap, which
the feed skips harmlessly.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F

from spotcheck.results.models import FeedCounter, Result

CURSOR_PREFIX = "s1:"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

# What an item of the feed says of a result, read as plain values (one query with its joins).
FIELDS = ("feed_seq", "pk", "task_id", "task__plan_id", "task__plan__number", "department__code", "entity__uscc",
          "entity__name", "item_code", "year", "method", "inspected_on", "category", "follow_up", "published_at",
          "corrects_id", "correction_reason")


class BadCursor(ValueError):
    """A cursor this feed did not give."""


def stamp(ids: Iterable[int]) -> int:
    """Give the just-published results ``ids`` their feed numbers, in id order; return the last number.

    Call inside the publishing transaction (it needs one: the counter's lock lasts until its end).
    """
    ids = sorted(ids)
    if not ids:
        return 0
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("feed.stamp() must run inside the publishing transaction")
    FeedCounter.objects.get_or_create(pk=1)
    # The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) first, then we read.
    FeedCounter.objects.filter(pk=1).update(last=F("last") + len(ids))
    last = FeedCounter.objects.values_list("last", flat=True).get(pk=1)
    first = last - len(ids) + 1
    results = [Result(pk=pk, feed_seq=first + n) for n, pk in enumerate(ids)]
    Result.objects.bulk_update(results, ["feed_seq"])
    return last


def encode(seq: int) -> str:
    """The opaque cursor of the position after number ``seq``."""
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{seq}".encode()).decode().rstrip("=")


def decode(cursor: str | None) -> int:
    """The number a cursor stands after (0: the start); BadCursor when it is not one of ours."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadCursor(cursor) from None
    if not text.startswith(CURSOR_PREFIX) or not text[len(CURSOR_PREFIX):].isdigit():
        raise BadCursor(cursor)
    seq = int(text[len(CURSOR_PREFIX):])
    if seq > 2**62:
        raise BadCursor(cursor)
    return seq


def page(after: int, limit: int = DEFAULT_LIMIT) -> tuple[list[dict[str, Any]], int]:
    """Return up to ``limit`` items after number ``after``, in feed order, and the number to continue after."""
    rows = list(Result.objects.filter(feed_seq__gt=after).order_by("feed_seq").values_list(*FIELDS)[:limit])
    items = [item(row) for row in rows]
    return items, (rows[-1][0] if rows else after)


def item(row: tuple) -> dict[str, Any]:
    (seq, pk, task, plan_id, plan, department, uscc, name, item_code, year, method, inspected_on, category,
     follow_up, published_at, corrects, reason) = row
    return {"seq": seq, "id": pk, "task": task, "plan_id": plan_id, "plan": plan, "department": department,
            "entity": uscc, "name": name, "item": item_code, "year": year, "method": method,
            "inspected_on": inspected_on, "result": category, "follow_up": follow_up, "published_at": published_at,
            "corrects": corrects, "correction_reason": reason}
