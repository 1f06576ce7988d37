"""The queries of the public service column: what the portal, the feed and the item pages show."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from spotcheck.catalog.models import InspectionItem, ListStatus
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


def item_names(department: Department) -> dict[str, str]:
    """Return the name of each of the department's items, from its newest version (published first)."""
    items = (InspectionItem.objects.filter(item_list__department=department)
             .order_by("item_list__version").values_list("code", "name"))
    names = dict(items.exclude(item_list__status=ListStatus.PUBLISHED))
    names.update(items.filter(item_list__status=ListStatus.PUBLISHED))
    return names


def items_of(notice: Notice) -> list[tuple[str, str]]:
    """Return (code, name) of each item a notice concerns."""
    names = item_names(notice.department)
    return [(code, names.get(code, "")) for code in notice.items.order_by("code").values_list("code", flat=True)]
