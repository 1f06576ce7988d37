"""Queries of licences and penalties that other apps need (the frame, the public credit record)."""

from __future__ import annotations

from datetime import date

from spotcheck.directory.models import Entity
from spotcheck.records.models import Licence, Penalty


def penalised_entities(first: date, last: date) -> set[str]:
    """Return the codes of the entities with a penalty decided from ``first`` to ``last`` (both included)."""
    return set(Penalty.objects.filter(decision_date__gte=first, decision_date__lte=last)
               .values_list("entity__uscc", flat=True).distinct())


def entity_licences(entity: Entity) -> list[Licence]:
    """Return an entity's licences, newest first (one query)."""
    return list(Licence.objects.filter(entity=entity).order_by("-valid_from", "number"))


def entity_penalties(entity: Entity) -> list[Penalty]:
    """Return an entity's penalties, newest first (one query)."""
    return list(Penalty.objects.filter(entity=entity).order_by("-decision_date", "decision_no"))
