"""Who can be drawn: the frame, the exclusions and the pool (rules.md R2, R3, R4).

Plain data in, plain data out: no ORM here (docs/style.md §2). ``framedata.py``
reads the database into these shapes; the draw freezes the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, NamedTuple

HEIGHTENED, FOREIGN, GENERAL = "heightened", "foreign", "general"
INACTIVE, EXEMPT, ALREADY_INSPECTED, FREQUENCY_CAP = "inactive", "exempt", "already_inspected", "frequency_cap"
REASONS = (INACTIVE, EXEMPT, ALREADY_INSPECTED, FREQUENCY_CAP)
GOOD_RESULT = "no_issue"
# An administrative penalty decided at most this many days before the frame's day makes the
# entity heightened, like a serious-violation mark (docs/rules.md R4; our addition, issue #10).
PENALTY_DAYS = 365


@dataclass(frozen=True)
class PlanFacts:
    """What of a plan the frame depends on."""

    year: int
    departments: Sequence[str]  # department codes, lead first
    items: Sequence[str]  # item codes
    item_departments: dict[str, str]  # item code -> department code
    regions: frozenset[Any] = frozenset()  # region keys; empty: all
    industries: frozenset[str] = frozenset()
    entity_types: frozenset[str] = frozenset()
    complaint_threshold: int = 3
    honour_exemptions: bool = True
    plan_id: int | None = None


class EntityFacts(NamedTuple):
    """A market entity as the frame sees it (a tuple: a directory holds millions)."""

    uscc: str
    status: str
    region: Any  # the region's key, the same kind as PlanFacts.regions (the database uses ids)
    industry: str
    entity_type: str
    foreign: bool = False
    abnormal: bool = False
    serious_violation: bool = False
    complaints_12m: int = 0
    recent_penalty: bool = False  # an administrative penalty within PENALTY_DAYS of the frame's day


class Inspection(NamedTuple):
    """An inspection of an entity: a task of a plan, or an imported history record."""

    uscc: str
    year: int
    department: str  # a department code, or an outside agency's name
    item: str
    result: str | None  # a result code of R6; None while no result is recorded
    plan_id: int | None = None  # the plan of a task; None for an imported record


@dataclass(frozen=True)
class InspectorFacts:
    cert_no: str
    department: str
    status: str
    cert_expires_on: date | None
    items: Sequence[str] = ()  # empty: every item of the department
    conflicts: Sequence[str] = ()  # confirmed conflicts (USCC)


@dataclass
class Frame:
    rows: list[tuple[str, str]] = field(default_factory=list)  # (uscc, stratum)
    exclusions: list[tuple[str, str]] = field(default_factory=list)  # (uscc, reason)
    inspectors: list[tuple[str, str]] = field(default_factory=list)  # (cert_no, department)
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (cert_no, uscc)

    def stratum_counts(self) -> dict[str, int]:
        counts = dict.fromkeys((HEIGHTENED, FOREIGN, GENERAL), 0)
        for _, stratum in self.rows:
            counts[stratum] += 1
        return counts

    def exclusion_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(REASONS, 0)
        for _, reason in self.exclusions:
            counts[reason] += 1
        return counts


def penalty_window(day: date) -> tuple[date, date]:
    """Return the first and last decision dates of a penalty that makes an entity heightened on ``day``."""
    return day - timedelta(days=PENALTY_DAYS), day


def stratum(entity: EntityFacts, complaint_threshold: int) -> str:
    """Return the entity's stratum (draw-v1 §1): heightened, then foreign, then general."""
    if (entity.abnormal or entity.serious_violation or entity.recent_penalty
            or entity.complaints_12m >= complaint_threshold):
        return HEIGHTENED
    if entity.foreign:
        return FOREIGN
    return GENERAL


def in_scope(entity: EntityFacts, plan: PlanFacts) -> bool:
    return (
        (not plan.regions or entity.region in plan.regions)
        and (not plan.industries or entity.industry in plan.industries)
        and (not plan.entity_types or entity.entity_type in plan.entity_types)
    )


SCOPE_KEYS = ("regions", "industries", "entity_types")


def scopes_overlap(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Return whether one entity can be in both scopes (plan files' ``scope``: an empty list is all).

    A scope is the conjunction of its lists, so the scopes overlap when every list of one
    shares a value with the other's, or either is unrestricted.
    """
    for key in SCOPE_KEYS:
        mine, theirs = set(a.get(key) or ()), set(b.get(key) or ())
        if mine and theirs and not mine & theirs:
            return False
    return True


def build_frame(
    plan: PlanFacts,
    entities: Iterable[EntityFacts],
    inspections: Iterable[Inspection],
    inspectors: Iterable[InspectorFacts],
    *,
    max_draws_per_year: int,
    day: date,
) -> Frame:
    """Return the frame, the exclusions (first applicable reason of R3) and the pool (R2).

    ``inspections`` should hold every task and history record of years Y-3 to Y
    (others are ignored). A task of this plan itself never counts against it.
    """
    year = plan.year
    plan_items = set(plan.items)
    plan_departments = set(plan.departments)
    inspected_this_year: set[str] = set()
    drawn_by: dict[str, set[int]] = {}
    # For exemptions: per entity, the years (Y-1..Y-3) inspected by a plan department,
    # and whether any of those inspections had another result.
    good_years: dict[str, set[int]] = {}
    spoiled: set[str] = set()
    for inspection in inspections:
        if inspection.plan_id is not None and inspection.plan_id == plan.plan_id:
            continue
        if inspection.year == year:
            if inspection.item in plan_items:
                inspected_this_year.add(inspection.uscc)
            if inspection.plan_id is not None:
                drawn_by.setdefault(inspection.uscc, set()).add(inspection.plan_id)
        elif year - 3 <= inspection.year <= year - 1 and inspection.department in plan_departments:
            good_years.setdefault(inspection.uscc, set()).add(inspection.year)
            if inspection.result != GOOD_RESULT:
                spoiled.add(inspection.uscc)
    needed_years = {year - 1, year - 2, year - 3}

    frame = Frame()
    in_frame: set[str] = set()
    # A million entities pass through this loop: what it reads is bound to local names first.
    scoped = bool(plan.regions or plan.industries or plan.entity_types)
    threshold, honour = plan.complaint_threshold, plan.honour_exemptions
    exclude, keep, kept = frame.exclusions.append, frame.rows.append, in_frame.add
    for entity in entities:
        if scoped and not in_scope(entity, plan):
            continue
        uscc = entity.uscc
        s = stratum(entity, threshold)
        if entity.status != "active":
            exclude((uscc, INACTIVE))
        elif (honour and s != HEIGHTENED and (years := good_years.get(uscc)) is not None
              and years >= needed_years and uscc not in spoiled):
            exclude((uscc, EXEMPT))
        elif uscc in inspected_this_year:
            exclude((uscc, ALREADY_INSPECTED))
        elif len(drawn_by.get(uscc, ())) >= max_draws_per_year:
            exclude((uscc, FREQUENCY_CAP))
        else:
            keep((uscc, s))
            kept(uscc)

    for inspector in inspectors:
        if eligible(inspector, plan, day):
            frame.inspectors.append((inspector.cert_no, inspector.department))
            frame.conflicts.extend((inspector.cert_no, code) for code in sorted(set(inspector.conflicts))
                                   if code in in_frame)
    return frame


def eligible(inspector: InspectorFacts, plan: PlanFacts, day: date) -> bool:
    """Return whether an inspector is in the plan's pool (R2)."""
    if inspector.status != "active" or inspector.department not in plan.departments:
        return False
    if inspector.cert_expires_on is not None and inspector.cert_expires_on < day:
        return False
    own_items = {code for code in plan.items if plan.item_departments.get(code) == inspector.department}
    if not inspector.items:
        return bool(own_items)
    return bool(own_items & set(inspector.items))
