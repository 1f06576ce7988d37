"""An entity's exemption from random checks, as its credit record states it (rules.md R3).

Plain data in, plain data out: no Django here (docs/style.md §2). The public
credit page and the ``credit`` command read the database into ``Inspected``
facts (published results, the latest correction of each, and imported history)
and ask ``exemption`` what to show.

R3 (连续三年抽查结果良好) exempts an entity from a plan of year Y when it is not
``heightened`` and in each of Y-1, Y-2 and Y-3 it was inspected by at least one
of *the plan's own departments*, every one of those results being ``no_issue``.
A credit record serves every plan at once, so it takes the entity's last three
years with inspections by departments of this system, L-2, L-1 and L, and says
the entity is exempt in year L+1 when each has an inspection and every result of
those years is ``no_issue``. That holds for the plans of the departments that
inspected it (``Exemption.by_year`` lists them per year: a plan must have one of
each year's departments); a plan of other departments draws it as usual.
Inspections by outside agencies (imported history naming no department of this
system) never count, as no plan can include them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

GOOD = "no_issue"

# Why an entity is not exempt (empty when it is).
HEIGHTENED = "heightened"  # heightened stratum (R4): never exempt
NO_INSPECTIONS = "no_inspections"  # no inspection by a department of this system
GAP = "gap"  # one of the last three years has no inspection
PROBLEM = "problem"  # a result of those years is not no_issue
PAST = "past"  # the exemption year L+1 is over


class Inspected(NamedTuple):
    """One inspection of the entity: its year, the department that made it, and its result code."""

    year: int
    department: str  # a department code, or an outside agency's name
    result: str


@dataclass(frozen=True)
class Exemption:
    """What the credit record says about R3: exempt in ``until`` (L+1), or why not."""

    until: int | None
    reason: str = ""
    years: tuple[int, ...] = ()  # L-2, L-1, L (when there is an L)
    by_year: dict[int, tuple[str, ...]] = field(default_factory=dict)  # year -> departments that inspected

    @property
    def departments(self) -> tuple[str, ...]:
        """Every department that inspected the entity in the three years, sorted."""
        return tuple(sorted({code for codes in self.by_year.values() for code in codes}))


def exemption(inspections: Iterable[Inspected], *, heightened: bool, this_year: int,
              departments: Collection[str]) -> Exemption:
    """Return whether the entity is exempt from random checks, and until which year (R3).

    ``departments`` are the codes of this system's departments: only their
    inspections count. The exemption is shown while L+1 ≥ ``this_year``.
    """
    own = [i for i in inspections if i.department in departments]
    if not own:
        return Exemption(None, HEIGHTENED if heightened else NO_INSPECTIONS)
    last = max(i.year for i in own)
    years = (last - 2, last - 1, last)
    by_year = {year: tuple(sorted({i.department for i in own if i.year == year})) for year in years}
    if heightened:
        reason = HEIGHTENED
    elif not all(by_year[year] for year in years):
        reason = GAP
    elif any(i.result != GOOD for i in own if i.year in years):
        reason = PROBLEM
    elif last + 1 < this_year:
        reason = PAST
    else:
        return Exemption(last + 1, "", years, by_year)
    return Exemption(None, reason, years, by_year)
