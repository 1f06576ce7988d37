"""Writing, publishing and withdrawing notices, and their attachments.

Only a department's administrators (and the coordinator, for any department)
change its notices. Every change re-reads the notice under a row lock, checks
who may make it and from which state, and writes its audit entry in the same
transaction; a refused one raises NoticeRefused and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from spotcheck.accounts.access import may_write_department
from spotcheck.audit.log import actor_name, record
from spotcheck.catalog.models import ItemCode
from spotcheck.directory.models import Department
from spotcheck.lib.uploads import attachment_max_bytes, sniff_document
from spotcheck.notices.models import Notice, NoticeAttachment, NoticeStatus

FIELDS = ("kind", "title", "body", "valid_until")


class NoticeRefused(Exception):
    """A change refused: ``errors`` maps a field (or "") to its reason; ``status`` is HTTP's."""

    def __init__(self, message: str, status: int = 400, errors: Mapping[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.errors = dict(errors or {})


def _require_writer(user: Any, department_id: int) -> None:
    """Refuse a user who may not write the department's notices (a command or the demo, named by text, may)."""
    if user is not None and not isinstance(user, str) and not may_write_department(user, department_id):
        raise NoticeRefused(gettext("只有本部门管理员或区协调办可以修改服务专栏"), 403)


def _locked(notice: Notice) -> Notice:
    fresh = Notice.objects.select_for_update().filter(pk=notice.pk).first()
    if fresh is None:
        raise NoticeRefused(gettext("未找到该文章"), 404)
    return fresh


def _own_items(department: Department, items: Iterable[ItemCode]) -> list[ItemCode]:
    """Return the items, refusing any that another department holds (a notice concerns its own items)."""
    items = list(items)
    foreign = sorted(i.code for i in items if i.department_id != department.pk)
    if foreign:
        raise NoticeRefused(gettext("事项%(codes)s不属于%(department)s，不能关联") % {
            "codes": "、".join(foreign), "department": department.name}, 400, {"items": gettext("只能关联本部门的事项")})
    return items


def _audit_values(values: Mapping[str, Any], items: list[ItemCode]) -> dict[str, Any]:
    shown = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in values.items() if k != "body"}
    shown["body_sha256"] = hashlib.sha256(str(values.get("body") or "").encode()).hexdigest()
    shown["items"] = sorted(i.code for i in items)
    return shown


def create(department: Department, values: Mapping[str, Any], items: Iterable[ItemCode], user: Any) -> Notice:
    """Write a new draft notice of the department."""
    _require_writer(user, department.pk)
    kept = _own_items(department, items)
    with transaction.atomic():
        notice = Notice.objects.create(department=department, created_by=actor_name(user),
                                       **{k: values.get(k) for k in FIELDS})
        notice.items.set(kept)
        record(user, "notice_create", "notice", notice.pk,
               {"department": department.code, **_audit_values(values, kept)})
    return notice


def update(notice: Notice, values: Mapping[str, Any], items: Iterable[ItemCode], user: Any) -> Notice:
    """Change a notice; a published one shows its update time (更新时间) from now on."""
    _require_writer(user, notice.department_id)
    kept = _own_items(notice.department, items)
    with transaction.atomic():
        notice = _locked(notice)
        _require_writer(user, notice.department_id)
        for name in FIELDS:
            setattr(notice, name, values.get(name))
        if notice.status == NoticeStatus.PUBLISHED:
            notice.revised_at = timezone.now()
        notice.save()
        notice.items.set(kept)
        record(user, "notice_update", "notice", notice.pk,
               {"department": notice.department.code, "status": notice.status, **_audit_values(values, kept)})
    return notice


def publish(notice: Notice, user: Any) -> Notice:
    """Make a draft or withdrawn notice public; its first publication time is kept."""
    with transaction.atomic():
        notice = _locked(notice)
        _require_writer(user, notice.department_id)
        if notice.status == NoticeStatus.PUBLISHED:
            raise NoticeRefused(gettext("该文章已发布"), 409)
        if not notice.title.strip() or not notice.body.strip():
            raise NoticeRefused(gettext("标题和正文都不能为空，未发布"), 400)
        now = timezone.now()
        if notice.published_at is None:
            notice.published_at = now
        else:
            notice.revised_at = now  # published again after a withdrawal
        before = notice.status
        notice.status = NoticeStatus.PUBLISHED
        notice.save(update_fields=["status", "published_at", "revised_at"])
        record(user, "notice_publish", "notice", notice.pk,
               {"department": notice.department.code, "title": notice.title, "from": before})
    return notice


def withdraw(notice: Notice, user: Any, reason: str = "") -> Notice:
    """Take a published notice off the portal (it stays in the staff pages and can be published again)."""
    with transaction.atomic():
        notice = _locked(notice)
        _require_writer(user, notice.department_id)
        if notice.status != NoticeStatus.PUBLISHED:
            raise NoticeRefused(gettext("只有已发布的文章可以撤回"), 409)
        notice.status = NoticeStatus.WITHDRAWN
        notice.save(update_fields=["status"])
        record(user, "notice_withdraw", "notice", notice.pk,
               {"department": notice.department.code, "title": notice.title, "reason": reason.strip()[:300]})
    return notice


def check_attachment(upload: Any) -> tuple[bytes, str, str]:
    """Return (content, type, extension) of an upload; refuse a file too big or of another type."""
    limit = attachment_max_bytes()
    if upload.size > limit:
        raise NoticeRefused(gettext("附件“%(name)s”超过%(limit)sMB的上限") % {
            "name": upload.name, "limit": limit // (1024 * 1024)}, 400, {"file": gettext("文件过大")})
    content = upload.read()
    kind = sniff_document(content, str(upload.name))
    if kind is None:
        raise NoticeRefused(gettext("附件“%(name)s”不是PDF、照片（JPEG、PNG、WebP）或Office文档（Word、Excel、"
                                    "PowerPoint）（按文件内容判断）") % {"name": upload.name},
                            400, {"file": gettext("文件类型不符")})
    return content, kind[0], kind[1]


def add_attachment(notice: Notice, upload: Any, user: Any) -> NoticeAttachment:
    """Keep a file of a notice, stored through Django's storage API."""
    _require_writer(user, notice.department_id)
    content, content_type, extension = check_attachment(upload)
    with transaction.atomic():
        notice = _locked(notice)
        _require_writer(user, notice.department_id)
        attachment = NoticeAttachment(notice=notice, name=str(upload.name)[:200], content_type=content_type,
                                      extension=extension, size=len(content),
                                      sha256=hashlib.sha256(content).hexdigest(), uploaded_by=actor_name(user))
        attachment.file.save(f"{attachment.sha256[:16]}{extension}", ContentFile(content), save=False)
        attachment.save()
        if notice.status == NoticeStatus.PUBLISHED:
            notice.revised_at = timezone.now()
            notice.save(update_fields=["revised_at"])
        record(user, "notice_attach", "notice", notice.pk, {"name": attachment.name, "sha256": attachment.sha256,
                                                            "size": attachment.size, "type": content_type})
    return attachment


def remove_attachment(notice: Notice, attachment_id: int, user: Any) -> None:
    """Remove a file from a notice (the audit log keeps its name and hash)."""
    with transaction.atomic():
        notice = _locked(notice)
        _require_writer(user, notice.department_id)
        attachment = NoticeAttachment.objects.filter(notice=notice, pk=attachment_id).first()
        if attachment is None:
            raise NoticeRefused(gettext("未找到该附件"), 404)
        stored = str(attachment.file.name)
        storage = attachment.file.storage
        attachment.delete()
        if notice.status == NoticeStatus.PUBLISHED:
            notice.revised_at = timezone.now()
            notice.save(update_fields=["revised_at"])
        record(user, "notice_detach", "notice", notice.pk, {"name": attachment.name, "sha256": attachment.sha256})
        # Another attachment of the notice may hold the same content (the same stored name).
        if not NoticeAttachment.objects.filter(file=stored).exists():
            transaction.on_commit(lambda: storage.delete(stored))
