"""The notices shown on each item's public page (the department's public item list)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from spotcheck.notices import selectors
from spotcheck.notices.models import Notice

register = template.Library()


@register.simple_tag
def notices_by_item(items: Iterable[Any]) -> dict[str, list[Notice]]:
    """Return the public notices concerning each of ``items`` (by code), in one query."""
    return selectors.by_item(item.code for item in items)


@register.simple_tag
def notices_of(found: dict[str, list[Notice]], code: str) -> list[Notice]:
    return found.get(code, [])
