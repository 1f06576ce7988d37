"""The plans' to-do count for the navigation."""

from __future__ import annotations

from typing import Any

from django import template

from spotcheck.plans.selectors import todo_counts

register = template.Library()


@register.simple_tag
def plans_todo(user: Any) -> dict[str, int]:
    """Return how many plans wait for the user's approval or their department's confirmation."""
    return todo_counts(user)
