"""Inspection items (检查事项) and the versions of each department's list, as the public pages show them.

Published versions are public (一公开): readable without a token. A draft is seen only by
those who may edit it on the web (the coordinator and the department's administrator);
to everyone else it does not exist (404).
"""


from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from spotcheck.accounts.access import may_write_department
from spotcheck.api.auth import PUBLIC
from spotcheck.api.errors import ApiError, documented
from spotcheck.catalog.lists import published_items
from spotcheck.catalog.models import InspectionItem, ItemList, ListStatus
from spotcheck.directory.models import Department

router = Router(tags=["items"])

PAGE_LIMIT = 1000


class ItemOut(Schema):
    """An inspection item, with the keys of the items import file (docs/formats.md)."""

    code: str
    name: str
    basis: str
    subject: str
    content: str
    methods: list[str]
    category: str
    target: str


class PublishedItemOut(ItemOut):
    department: str = Field(description="the department's code")
    version: int = Field(description="the published version of the department's list it is on")


class ListOut(Schema):
    department: str
    version: int
    status: str = Field(description="'published' or 'draft'")
    note: str
    published_at: datetime | None
    item_count: int = Field(description="how many items the version has")


class ListDetailOut(ListOut):
    items: list[ItemOut] = Field(description="the version's items, in code order")


def _list_out(item_list: ItemList, count: int) -> dict[str, Any]:
    return {"department": item_list.department.code, "version": item_list.version, "status": item_list.status,
            "note": item_list.note, "published_at": item_list.published_at, "item_count": count}


def _visible(request: HttpRequest, queryset: QuerySet[ItemList]) -> QuerySet[ItemList]:
    """Published versions for everyone; drafts for those who may edit the department's list."""
    user = request.user
    if getattr(user, "role", None) is None:
        return queryset.filter(status=ListStatus.PUBLISHED)
    writable = [pk for pk in Department.objects.values_list("pk", flat=True) if may_write_department(user, pk)]
    return queryset.filter(Q(status=ListStatus.PUBLISHED) | Q(department_id__in=writable))


@router.get("/items", response={200: list[PublishedItemOut], **documented(401, 422, 429)}, auth=PUBLIC,
            summary="The published inspection items: every department's current list, in code order")
@paginate(LimitOffsetPagination, max_limit=PAGE_LIMIT)
def items(request: HttpRequest, department: str | None = None) -> list[dict[str, Any]]:
    found = []
    for code, (department_code, item) in sorted(published_items().items()):
        if department and department_code != department:
            continue
        found.append({**item.values(), "code": code, "department": department_code,
                      "version": item.item_list.version})
    return found


@router.get("/item-lists", response={200: list[ListOut], **documented(401, 422, 429)}, auth=PUBLIC,
            summary="The versions of the departments' item lists (drafts only for their editors)")
@paginate(LimitOffsetPagination, max_limit=PAGE_LIMIT)
def item_lists(request: HttpRequest, department: str | None = None) -> list[dict[str, Any]]:
    lists = _visible(request, ItemList.objects.select_related("department"))
    if department:
        lists = lists.filter(department__code=department)
    lists = lists.annotate(n=Count("items")).order_by("department__code", "version")
    return [_list_out(item_list, item_list.n) for item_list in lists]


@router.get("/item-lists/{department}/{version}",
            response={200: ListDetailOut, **documented(401, 404, 429)}, auth=PUBLIC,
            summary="One version of a department's item list, with its items")
def item_list_detail(request: HttpRequest, department: str, version: int) -> dict[str, Any]:
    item_list = (_visible(request, ItemList.objects.select_related("department"))
                 .filter(department__code=department, version=version).first())
    if item_list is None:
        raise ApiError(404, _("没有这个事项清单版本"))
    entries: list[InspectionItem] = list(item_list.items.order_by("code"))
    return {**_list_out(item_list, len(entries)),
            "items": [{**item.values(), "code": item.code} for item in entries]}
