"""System check: the project refuses to start while a URL has no access rule."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.checks import Error, register
from django.urls import URLPattern, URLResolver, get_resolver


def iter_views(patterns: Any = None, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Yield (route, view) for every view in the URLconf."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from iter_views(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


@register("security")
def check_access_rules(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    from spotcheck.accounts.access import FRAMEWORK_VIEWS, rule_of, view_path

    return [
        Error(f"URL '{route}' ({view_path(view)}) states no access rule", id="spotcheck.E001")
        for route, view in iter_views()
        if rule_of(view) is None and view_path(view) not in FRAMEWORK_VIEWS
    ]
