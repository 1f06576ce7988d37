"""Queries over tasks and results that several views and commands share."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from spotcheck.accounts.access import sees_all_departments
from spotcheck.inspections.models import Task, TaskStatus
from spotcheck.results.models import Result

DONE = (TaskStatus.PUBLISHED, TaskStatus.ARCHIVED, TaskStatus.CANCELLED)


def task_inspections(year: int) -> Iterator:
    """Yield the frame's Inspection facts of every task of years Y-3..Y that was not cancelled.

    A task counts for ``already_inspected`` and ``frequency_cap`` as soon as it is
    drawn; for ``exempt`` (rules.md R3) each item carries its published result (the
    latest correction), or None while none is published.
    """
    from spotcheck.catalog.lists import published_items
    from spotcheck.plans.frame import Inspection

    owners = {code: dept for code, (dept, _) in published_items().items()}
    published: dict[tuple[int, str], str] = {}
    for task_id, item, category in (
        Result.objects.filter(task__plan__year__gte=year - 3, task__plan__year__lte=year,
                              published_at__isnull=False)
        .order_by("pk").values_list("task_id", "item_code", "category").iterator(chunk_size=20000)
    ):
        published[(task_id, item)] = category  # a later correction replaces the original
    rows = (Task.objects.filter(plan__year__gte=year - 3, plan__year__lte=year)
            .exclude(status=TaskStatus.CANCELLED).order_by()
            .values_list("pk", "entity__uscc", "plan__year", "plan_id", "plan__lead_department__code", "items"))
    for task_id, uscc, plan_year, plan_id, lead, items in rows.iterator(chunk_size=20000):
        for item in items:
            yield Inspection(uscc, plan_year, owners.get(item, lead), item, published.get((task_id, item)),
                             plan_id)


def register_result_source() -> None:
    from spotcheck.plans.framedata import INSPECTION_SOURCES

    if task_inspections not in INSPECTION_SOURCES:
        INSPECTION_SOURCES.append(task_inspections)


def overdue_tasks(department_id: int | None = None, today: date | None = None) -> QuerySet[Task]:
    """Return tasks whose results are not published within ``publish_within_days`` (R7), oldest first.

    The inspection's completion is its last item's date; a task of a joint plan
    belongs to each of its departments.
    """
    today = today or timezone.localdate()
    limit = today - timedelta(days=settings.SPOTCHECK["publish_within_days"])
    tasks = (Task.objects.exclude(status__in=DONE)
             .annotate(last_inspected=Max("results__inspected_on"))
             .filter(last_inspected__lt=limit))
    if department_id is not None:
        tasks = tasks.filter(plan__participants__department_id=department_id).distinct()
    return tasks.select_related("entity", "plan").order_by("last_inspected", "pk")


def current_results(queryset: QuerySet[Result] | None = None) -> QuerySet[Result]:
    """Return published results that no later correction replaces."""
    queryset = Result.objects.all() if queryset is None else queryset
    return queryset.filter(published_at__isnull=False, corrected_by__isnull=True)


def public_results(*, query: str = "", department: str = "", year: Any = None,
                   category: str = "") -> QuerySet[Result]:
    """Return the published results the public search shows, newest first (corrections included)."""
    results = Result.objects.filter(published_at__isnull=False)
    if query:
        query = query.strip()
        results = results.filter(Q(entity__uscc=query.upper()) | Q(entity__name__contains=query))
    if department:
        results = results.filter(department__code=department)
    if year:
        results = results.filter(year=year)
    if category:
        results = results.filter(category=category)
    return results.select_related("entity", "department", "task__plan", "corrects").order_by("-published_at",
                                                                                              "-pk")


def visible_tasks(user: Any) -> QuerySet[Task]:
    """Return the tasks a staff member may read: the coordinator all; else their team's and their
    department's plans' (a joint plan's task belongs to each of its departments)."""
    tasks = Task.objects.all()
    if sees_all_departments(user):
        return tasks
    seen = Q(pk__in=[])
    if getattr(user, "inspector_id", None) is not None:
        seen |= Q(members__inspector_id=user.inspector_id)
    if getattr(user, "department_id", None) is not None:
        seen |= Q(plan__participants__department_id=user.department_id)
    return tasks.filter(seen).distinct()
