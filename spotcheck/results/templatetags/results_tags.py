"""The results' to-do counts for the start page and the navigation."""

from __future__ import annotations

from typing import Any

from django import template

from spotcheck.accounts.models import Role
from spotcheck.inspections.models import Task, TaskStatus
from spotcheck.results.selectors import overdue_tasks
from spotcheck.results.service import EDITABLE

register = template.Library()


@register.simple_tag
def results_todo(user: Any) -> dict[str, int]:
    """Return what waits for the user: tasks to enter, tasks to review, overdue publications."""
    role = getattr(user, "role", None)
    todo: dict[str, int] = {}
    if role == Role.INSPECTOR and user.inspector_id:
        todo["enter"] = Task.objects.filter(members__inspector_id=user.inspector_id, status__in=EDITABLE).count()
    if role == Role.DEPT_HEAD:
        todo["review"] = Task.objects.filter(status=TaskStatus.ENTERED,
                                             plan__lead_department_id=user.department_id).count()
    if role == Role.COORDINATOR:
        todo["overdue"] = overdue_tasks().count()
    elif role in (Role.DEPT_ADMIN, Role.DEPT_HEAD) and user.department_id:
        todo["overdue"] = overdue_tasks(user.department_id).count()
    return todo
