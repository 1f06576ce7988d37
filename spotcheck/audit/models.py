"""The append-only, hash-chained audit log (全程留痕，责任可追溯; rules.md R8)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS = "0" * 64


def canonical_json(payload: Any) -> str:
    """Return the payload as canonical JSON: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def entry_hash(
    *,
    seq: int,
    at: str,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    payload: str,
    prev_hash: str,
) -> str:
    """Return the hash of one entry, chained to the previous entry's hash."""
    text = "\n".join(
        ["spotcheck-audit/1", str(seq), at, actor, action, object_type, object_id, payload, prev_hash]
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("审计日志只能追加 / the audit log is append-only")

    def delete(self) -> Any:
        raise PermissionError("审计日志只能追加 / the audit log is append-only")


class AuditEntry(models.Model):
    """One entry of the audit log (审计日志条目). Never updated, never deleted.

    On PostgreSQL a trigger refuses UPDATE and DELETE as well (migration 0002).
    """

    seq = models.BigIntegerField(_("序号"), unique=True)
    at = models.CharField(_("时间"), max_length=40)  # ISO 8601 text, exactly as hashed
    actor = models.CharField(_("操作人"), max_length=200)
    action = models.CharField(_("操作"), max_length=100, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=100)
    object_id = models.CharField(_("对象"), max_length=200)
    payload = models.TextField(_("内容"))  # canonical JSON, exactly as hashed
    prev_hash = models.CharField(_("前一条哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计日志条目")
        verbose_name_plural = _("审计日志")
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("审计日志只能追加 / the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("审计日志只能追加 / the audit log is append-only")

    @property
    def data(self) -> Any:
        return json.loads(self.payload)

    def computed_hash(self) -> str:
        return entry_hash(
            seq=self.seq,
            at=self.at,
            actor=self.actor,
            action=self.action,
            object_type=self.object_type,
            object_id=self.object_id,
            payload=self.payload,
            prev_hash=self.prev_hash,
        )


class AuditHead(models.Model):
    """The chain head: the last sequence number and hash (one row, id 1).

    Writers lock this row first, so that entries are appended one at a time on
    SQLite and PostgreSQL alike.
    """

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS)

    class Meta:
        verbose_name = _("审计链头")

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash}"

    @classmethod
    def current(cls) -> AuditHead:
        return cls.objects.filter(pk=1).first() or cls(pk=1)
