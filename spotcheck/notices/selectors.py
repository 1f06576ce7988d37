"""The queries of the public service column: what the portal, the feed and the item pages show."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from spotcheck.directory.models import Department
from spotcheck.notices.models import Notice, NoticeStatus


def published(department: Department | None = None) -> QuerySet[Notice]:
    """Return the public notices (drafts and withdrawn ones never are), newest first."""
    notices = Notice.objects.filter(status=NoticeStatus.PUBLISHED).select_related("department")
    if department is not None:
        notices = notices.filter(department=department)
    return notices.order_by("-published_at", "-pk")


def search(notices: QuerySet[Notice], text: str) -> QuerySet[Notice]:
    """Keep the notices whose title or body holds every word of ``text``."""
    for word in text.split()[:10]:
        notices = notices.filter(Q(title__icontains=word) | Q(body__icontains=word))
    return notices


def by_item(codes: Iterable[str]) -> dict[str, list[Notice]]:
    """Return the public notices that concern each of ``codes`` (one query), newest first."""
    through = Notice.items.through
    links = (through.objects.filter(itemcode__code__in=list(codes), notice__status=NoticeStatus.PUBLISHED)
             .select_related("notice", "itemcode").order_by("-notice__published_at", "-notice_id"))
    found: dict[str, list[Notice]] = {}
    for link in links:
        found.setdefault(link.itemcode.code, []).append(link.notice)
    return found
