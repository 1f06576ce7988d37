"""The oversight rules as plain functions of counts: scope, coverage against the floor, shares.

No ORM here (docs/style.md §2): ``selectors.py`` counts in the database and hands
these functions the counts. The readings taken are in
docs/decisions/0005-oversight-figures.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from spotcheck.draw import sample_size

STRATA = ("general", "foreign", "heightened")
TOTAL = "total"


@dataclass(frozen=True)
class Scope:
    """A plan's scope (抽查范围): region codes, industries and entity types; an empty set means all."""

    regions: frozenset[str] = frozenset()
    industries: frozenset[str] = frozenset()
    entity_types: frozenset[str] = frozenset()

    @classmethod
    def of(cls, scope: Mapping[str, Any] | None) -> Scope:
        scope = scope or {}
        return cls(frozenset(scope.get("regions") or ()), frozenset(scope.get("industries") or ()),
                   frozenset(scope.get("entity_types") or ()))

    @property
    def everything(self) -> bool:
        return not (self.regions or self.industries or self.entity_types)

    def covers(self, region: str, industry: str, entity_type: str) -> bool:
        return ((not self.regions or region in self.regions)
                and (not self.industries or industry in self.industries)
                and (not self.entity_types or entity_type in self.entity_types))


# One group of the census: (region code, industry, entity type, stratum, number of active entities).
CensusGroup = tuple[str, str, str, str, int]


def active_in_scope(census: Iterable[CensusGroup], scopes: Sequence[Scope] | None) -> dict[str, int]:
    """Return the active entities in the union of ``scopes``, per stratum and in total.

    No scopes (a department without a plan that year) or a scope of everything: the
    whole district.
    """
    counts = dict.fromkeys((*STRATA, TOTAL), 0)
    unique = set(scopes or ())
    everything = not unique or any(s.everything for s in unique)
    for region, industry, entity_type, stratum, n in census:
        if everything or any(s.covers(region, industry, entity_type) for s in unique):
            counts[stratum] += n
            counts[TOTAL] += n
    return counts


def percent(part: int, whole: int) -> Decimal | None:
    """Return ``part`` as a percentage of ``whole``, rounded half up to two decimals; None if whole is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Coverage:
    """Entities checked at random ÷ active entities in scope, read against a floor (rules.md R4)."""

    active: int
    inspected: int
    floor: str  # a ratio as decimal text, e.g. "0.03"

    @property
    def percent(self) -> Decimal | None:
        return percent(self.inspected, self.active)

    @property
    def floor_percent(self) -> Decimal:
        """The floor as a percentage: 3 for "0.03", 12.5 for "0.125" (never in exponent form)."""
        value = Decimal(self.floor) * 100
        return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()

    @property
    def required(self) -> int:
        """The fewest entities that meet the floor: min(N, ceil(N × ratio)), exactly (draw §4)."""
        return sample_size(self.active, {"ratio": self.floor})

    @property
    def shortfall(self) -> int:
        """The entities still to check to reach the floor; 0 when it is met."""
        return max(0, self.required - self.inspected)

    @property
    def met(self) -> bool:
        return self.shortfall == 0


def floors(rules: Mapping[str, Any]) -> dict[str, str]:
    """Return the floor of each stratum and of the total from the R4 settings.

    The total and ``general`` read against ``min_ratio`` (不得低于市场主体的3%); ``foreign``
    and ``heightened`` against their default ratio (涉外可提高到10%; 加大抽查力度), never
    below ``min_ratio``.
    """
    least = Decimal(rules["min_ratio"])

    def at_least(ratio: str) -> str:
        return str(max(Decimal(ratio), least))

    return {
        "general": at_least(rules["default_ratio_general"]),
        "foreign": at_least(rules["default_ratio_foreign"]),
        "heightened": at_least(rules["default_ratio_heightened"]),
        TOTAL: str(least),
    }


def coverage(active: Mapping[str, int], inspected: Mapping[str, int], floor: Mapping[str, str]
             ) -> dict[str, Coverage]:
    """Return the coverage of each stratum and of the total."""
    return {key: Coverage(active.get(key, 0), inspected.get(key, 0), floor[key]) for key in (*STRATA, TOTAL)}


def visits_saved(tasks: int, departments: int) -> int:
    """Return the visits a joint plan saved: each task covers every department's items in one visit."""
    return tasks * max(0, departments - 1)
