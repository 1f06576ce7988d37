from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """Return mapping[key] in a template, or ''."""
    try:
        value = mapping[key]
    except (KeyError, TypeError, IndexError):
        return ""
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return value
