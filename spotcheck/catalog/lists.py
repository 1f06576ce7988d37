"""Versioned item lists: drafts, publication, and the difference between versions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from spotcheck.audit.log import actor_name, record
from spotcheck.catalog.models import ITEM_FIELDS, InspectionItem, ItemCode, ItemList, ListStatus
from spotcheck.directory.imports import ImportRefused
from spotcheck.directory.models import Department


class ListError(ImportRefused):
    """A list change that is refused; the message is Chinese and English."""

    def __init__(self, message: str, column: str = "department"):
        super().__init__(message, column=column)


class CodeTaken(ListError):
    """An item code another department holds (codes are unique across the district)."""

    def __init__(self, code: str, holder: Department):
        super().__init__(taken_message(code, holder), column="code")
        self.code = code
        self.holder = holder


def taken_message(code: str, holder: Department) -> str:
    return gettext("事项编码“%(code)s”已用于%(department)s的事项清单，事项编码全区唯一，请换一个编码") % {
        "code": code, "department": holder.name}


def codes_held_elsewhere(department: Department, codes: Iterable[str]) -> dict[str, Department]:
    """Return those of ``codes`` that another department holds, each with that department."""
    return {held.code: held.department
            for held in ItemCode.objects.filter(code__in=set(codes)).exclude(department=department)
            .select_related("department")}


def hold_codes(department: Department, codes: Iterable[str]) -> None:
    """Register ``codes`` to the department; raise CodeTaken if another department holds one.

    Call it in the transaction that saves the items. Two departments registering
    one code at once: the unique code lets only one insert through, and the
    other is refused here.
    """
    codes = set(codes)
    taken = codes_held_elsewhere(department, codes)
    if not taken:
        own = set(ItemCode.objects.filter(department=department, code__in=codes).values_list("code", flat=True))
        try:
            with transaction.atomic():
                ItemCode.objects.bulk_create([ItemCode(code=c, department=department) for c in sorted(codes - own)])
        except IntegrityError:
            taken = codes_held_elsewhere(department, codes)
            if not taken:
                raise
    if taken:
        code = min(taken)
        raise CodeTaken(code, taken[code])


def release_codes(department: Department, codes: Iterable[str]) -> None:
    """Let go of those of ``codes`` that no version of the department's list has any more."""
    codes = set(codes)
    kept = set(InspectionItem.objects.filter(item_list__department=department, code__in=codes)
               .values_list("code", flat=True))
    ItemCode.objects.filter(department=department, code__in=codes - kept).delete()


def _actor_text(actor: Any) -> str:
    return actor if isinstance(actor, str) else actor_name(actor)


def _next_version(department: Department) -> int:
    last = ItemList.objects.filter(department=department).order_by("-version").first()
    return (last.version if last else 0) + 1


def _lock_department(department: Department) -> None:
    """Take the department's row lock: one change of its list versions at a time.

    Two requests that both find no draft would otherwise both make one (the second fails
    on the one-draft constraint on PostgreSQL). ``no_key`` lets rows that refer to the
    department (items, inspectors) still be written meanwhile.
    """
    Department.objects.select_for_update(no_key=True).filter(pk=department.pk).first()


def _locked_draft(item_list: ItemList, refusal: str) -> ItemList:
    """Return the list's row re-read under a lock; refuse unless it is still a draft.

    An object loaded before another request published or discarded the draft must not
    change (or delete) the published version (issue #12, lost updates).
    """
    fresh = ItemList.objects.select_for_update().filter(pk=item_list.pk).first()
    if fresh is None:
        raise ListError(gettext("草稿已被放弃，请刷新页面"))
    if fresh.status != ListStatus.DRAFT:
        raise ListError(refusal)
    return fresh


def draft_for(department: Department, actor: Any) -> ItemList:
    """Return the department's draft, making one from the current published list if needed."""
    with transaction.atomic():
        _lock_department(department)
        draft = ItemList.objects.select_for_update().filter(department=department,
                                                            status=ListStatus.DRAFT).first()
        if draft:
            return draft
        current = ItemList.current(department)
        draft = ItemList.objects.create(department=department, version=_next_version(department),
                                        created_by=_actor_text(actor))
        if current:
            InspectionItem.objects.bulk_create([
                InspectionItem(item_list=draft, code=i.code, **i.values()) for i in current.items.all()
            ])
        record(actor, "item_list_draft", "item_list", f"{department.code}/v{draft.version}",
               {"department": department.code, "version": draft.version,
                "from_version": current.version if current else None})
        return draft


def check_publishable(item_list: ItemList) -> list[str]:
    """Return why a list cannot be published (R1: no check without a legal basis; codes unique in the district)."""
    problems = []
    items = list(item_list.items.all())
    if not items:
        problems.append(gettext("清单中没有事项"))
    for item in items:
        if not item.basis.strip():
            problems.append(gettext("事项 %(code)s 没有抽查依据，不能公布") % {"code": item.code})
        if not item.methods:
            problems.append(gettext("事项 %(code)s 没有抽查方式") % {"code": item.code})
    taken = codes_held_elsewhere(item_list.department, [item.code for item in items])
    problems += [taken_message(code, holder) for code, holder in sorted(taken.items())]
    return problems


def publish(item_list: ItemList, actor: Any, note: str = "") -> ItemList:
    """Freeze a draft as the department's current list; refuse an item without a legal basis."""
    with transaction.atomic():
        item_list = _locked_draft(item_list, gettext("已公布的版本不能再修改"))
        problems = check_publishable(item_list)
        if problems:
            raise ListError("；".join(problems))
        # A draft made before codes were registered (or filled by hand) registers them now.
        hold_codes(item_list.department, item_list.items.values_list("code", flat=True))
        previous = ItemList.current(item_list.department)
        item_list.status = ListStatus.PUBLISHED
        item_list.published_at = timezone.now()
        item_list.note = note or item_list.note
        item_list.save(update_fields=["status", "published_at", "note"])
        changes = diff(previous, item_list)
        record(actor, "item_list_publish", "item_list", f"{item_list.department.code}/v{item_list.version}",
               {"department": item_list.department.code, "version": item_list.version,
                "added": [c.code for c in changes if c.kind == "added"],
                "removed": [c.code for c in changes if c.kind == "removed"],
                "changed": [c.code for c in changes if c.kind == "changed"],
                "note": item_list.note})
    return item_list


def edit_item(item_list: ItemList, code: str, values: dict[str, Any], actor: Any) -> InspectionItem:
    """Add or change an item of a draft."""
    with transaction.atomic():
        item_list = _locked_draft(item_list, gettext("已公布的版本不能再修改"))
        hold_codes(item_list.department, [code])
        item, created = InspectionItem.objects.update_or_create(item_list=item_list, code=code,
                                                                defaults=values)
        record(actor, "item_edit", "item_list", f"{item_list.department.code}/v{item_list.version}",
               {"code": code, "created": created, **{k: values[k] for k in ITEM_FIELDS if k in values}})
    return item


def remove_item(item_list: ItemList, code: str, actor: Any) -> None:
    with transaction.atomic():
        item_list = _locked_draft(item_list, gettext("已公布的版本不能再修改"))
        item_list.items.filter(code=code).delete()
        release_codes(item_list.department, [code])
        record(actor, "item_remove", "item_list", f"{item_list.department.code}/v{item_list.version}",
               {"code": code})


def publish_changes(department: Department, items: list[dict[str, Any]], actor: Any,
                    note: str = "") -> tuple[tuple[int, int, int], ItemList | None]:
    """Apply imported items to the department's list and publish; no change, no version.

    Returns (created, updated, unchanged) and the new version (or None).
    """
    with transaction.atomic():
        _lock_department(department)  # the current version read here is the one the new one follows
        current = ItemList.current(department)
        existing = {i.code: i.values() for i in current.items.all()} if current else {}
        created = sum(1 for v in items if v["code"] not in existing)
        updated = sum(1 for v in items if v["code"] in existing
                      and existing[v["code"]] != {f: v[f] for f in ITEM_FIELDS})
        unchanged = len(items) - created - updated
        if not created and not updated:
            return (0, 0, unchanged), None
        if ItemList.objects.filter(department=department, status=ListStatus.DRAFT).exists():
            raise ListError(gettext("%(department)s有未公布的草稿，请先公布或放弃") % {"department": department.name})
        hold_codes(department, [v["code"] for v in items])
        draft = draft_for(department, actor)
        for values in items:
            InspectionItem.objects.update_or_create(
                item_list=draft, code=values["code"], defaults={f: values[f] for f in ITEM_FIELDS})
        return (created, updated, unchanged), publish(draft, actor, note)


def discard(item_list: ItemList, actor: Any) -> None:
    """Throw away a draft (a published version is never deleted)."""
    with transaction.atomic():
        item_list = _locked_draft(item_list, gettext("已公布的版本不能删除"))
        label = f"{item_list.department.code}/v{item_list.version}"
        codes = list(item_list.items.values_list("code", flat=True))
        item_list.delete()
        release_codes(item_list.department, codes)
        record(actor, "item_list_discard", "item_list", label, {"items": len(codes)})


@dataclass(frozen=True)
class Change:
    kind: str  # added, removed, changed
    code: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @property
    def fields(self) -> list[str]:
        if not self.before or not self.after:
            return []
        return [f for f in ITEM_FIELDS if self.before.get(f) != self.after.get(f)]


def diff(old: ItemList | None, new: ItemList | None) -> list[Change]:
    """Return what changed from ``old`` to ``new``, by item code."""
    before = {i.code: i.values() for i in old.items.all()} if old else {}
    after = {i.code: i.values() for i in new.items.all()} if new else {}
    changes = []
    for code in sorted(set(before) | set(after)):
        if code not in before:
            changes.append(Change("added", code, None, after[code]))
        elif code not in after:
            changes.append(Change("removed", code, before[code], None))
        elif before[code] != after[code]:
            changes.append(Change("changed", code, before[code], after[code]))
    return changes


def published_items(codes: list[str] | None = None) -> dict[str, tuple[str, InspectionItem]]:
    """Return the items of every department's current list, by code: (department code, item).

    A code on two departments' lists (published before codes were unique across
    the district) is the item of the department that holds the code.
    """
    result: dict[str, tuple[str, InspectionItem]] = {}
    shared: dict[str, list[tuple[str, InspectionItem]]] = {}
    for department in Department.objects.all():
        current = ItemList.current(department)
        if current is None:
            continue
        for item in current.items.all():
            if codes is None or item.code in codes:
                if item.code in result:
                    shared.setdefault(item.code, [result[item.code]]).append((department.code, item))
                result[item.code] = (department.code, item)
    if shared:
        holders = dict(ItemCode.objects.filter(code__in=shared).values_list("code", "department__code"))
        for code, found in shared.items():
            result[code] = next((f for f in found if f[0] == holders.get(code)), result[code])
    return result
