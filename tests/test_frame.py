"""The frame rules (rules.md R2, R3, R4) on crafted entities, through the pure function."""

from __future__ import annotations

from datetime import date

import pytest

from spotcheck.plans.frame import (
    EntityFacts,
    Inspection,
    InspectorFacts,
    PlanFacts,
    build_frame,
    stratum,
)

Y = 2026
DAY = date(2026, 12, 1)
PLAN = PlanFacts(year=Y, departments=["SCJGJ"], items=["S-1", "S-2"],
                 item_departments={"S-1": "SCJGJ", "S-2": "SCJGJ", "W-1": "WJW"}, plan_id=1)


def entity(uscc="E1", **kw):
    values = {"status": "active", "region": "R1", "industry": "F", "entity_type": "enterprise"}
    values.update(kw)
    return EntityFacts(uscc=uscc, **values)


def good_years(uscc="E1", department="SCJGJ", years=(Y - 1, Y - 2, Y - 3), result="no_issue", item="S-9"):
    return [Inspection(uscc, y, department, item, result) for y in years]


def frame(entities, inspections=(), inspectors=(), plan=PLAN, cap=2):
    return build_frame(plan, entities, inspections, inspectors, max_draws_per_year=cap, day=DAY)


def reasons(f):
    return dict(f.exclusions)


@pytest.mark.parametrize("status", ["revoked", "deregistered"])
def test_inactive_entities_are_excluded(status):
    f = frame([entity(status=status)])
    assert reasons(f) == {"E1": "inactive"} and f.rows == []


def test_exempt_after_three_good_years_by_a_plan_department():
    assert reasons(frame([entity()], good_years())) == {"E1": "exempt"}


def test_not_exempt_when_heightened():
    f = frame([entity(abnormal=True)], good_years())
    assert f.rows == [("E1", "heightened")]


def test_not_exempt_with_a_year_missing():
    assert frame([entity()], good_years(years=(Y - 1, Y - 3))).rows == [("E1", "general")]


def test_not_exempt_when_any_result_was_a_problem():
    inspections = good_years() + [Inspection("E1", Y - 2, "SCJGJ", "S-8", "corrected")]
    assert frame([entity()], inspections).rows == [("E1", "general")]


def test_not_exempt_when_only_another_department_inspected():
    assert frame([entity()], good_years(department="WJW")).rows == [("E1", "general")]
    assert frame([entity()], good_years(department="重庆市市场监督管理局")).rows == [("E1", "general")]


def test_not_exempt_when_the_plan_does_not_honour_exemptions():
    plan = PlanFacts(**{**PLAN.__dict__, "honour_exemptions": False})
    assert frame([entity()], good_years(), plan=plan).rows == [("E1", "general")]


def test_already_inspected_by_an_outside_agency_this_year():
    record = Inspection("E1", Y, "重庆市市场监督管理局", "S-2", "no_issue")
    assert reasons(frame([entity()], [record])) == {"E1": "already_inspected"}


def test_already_inspected_by_another_plans_task():
    task = Inspection("E1", Y, "SCJGJ", "S-1", None, plan_id=7)
    assert reasons(frame([entity()], [task])) == {"E1": "already_inspected"}


def test_not_already_inspected_for_another_item_or_year_or_by_this_plan():
    others = [Inspection("E1", Y, "X", "S-9", "no_issue"), Inspection("E1", Y - 1, "X", "S-1", "no_issue"),
              Inspection("E1", Y, "SCJGJ", "S-1", None, plan_id=1)]
    assert frame([entity()], others).rows == [("E1", "general")]


def test_frequency_cap_after_two_other_plans_this_year():
    tasks = [Inspection("E1", Y, "WJW", "W-1", None, plan_id=7), Inspection("E1", Y, "YJJ", "Y-1", None, plan_id=8)]
    assert reasons(frame([entity()], tasks)) == {"E1": "frequency_cap"}
    assert frame([entity()], tasks[:1]).rows == [("E1", "general")]
    assert frame([entity()], tasks, cap=3).rows == [("E1", "general")]


def test_reasons_apply_in_the_order_of_r3():
    # Inactive beats everything; exempt beats already_inspected; already_inspected beats the cap.
    this_year = [Inspection("E1", Y, "X", "S-1", "no_issue"), Inspection("E1", Y, "W", "W-1", None, plan_id=7),
                 Inspection("E1", Y, "Y", "Y-1", None, plan_id=8)]
    assert reasons(frame([entity(status="revoked")], good_years() + this_year)) == {"E1": "inactive"}
    assert reasons(frame([entity()], good_years() + this_year)) == {"E1": "exempt"}
    assert reasons(frame([entity()], this_year)) == {"E1": "already_inspected"}


@pytest.mark.parametrize("flags,expected", [
    ({"abnormal": True, "foreign": True}, "heightened"),
    ({"serious_violation": True}, "heightened"),
    ({"complaints_12m": 3}, "heightened"),
    ({"complaints_12m": 2, "foreign": True}, "foreign"),
    ({"foreign": True}, "foreign"),
    ({}, "general"),
])
def test_stratum_precedence(flags, expected):
    assert stratum(entity(**flags), complaint_threshold=3) == expected


def test_the_complaint_threshold_comes_from_the_plan():
    plan = PlanFacts(**{**PLAN.__dict__, "complaint_threshold": 5})
    assert frame([entity(complaints_12m=4)], plan=plan).rows == [("E1", "general")]


@pytest.mark.parametrize("scope,kept", [
    ({"regions": frozenset({"R2"})}, {"E2"}),
    ({"industries": frozenset({"H"})}, {"E3"}),
    ({"entity_types": frozenset({"individual"})}, {"E3"}),
    ({}, {"E1", "E2", "E3"}),
])
def test_scope_filters(scope, kept):
    plan = PlanFacts(**{**PLAN.__dict__, **scope})
    entities = [entity("E1"), entity("E2", region="R2"), entity("E3", industry="H", entity_type="individual")]
    f = frame(entities + [entity("E4", region="R9", status="revoked")], plan=plan)
    assert {e for e, _ in f.rows} == kept
    # Out-of-scope entities are not listed as exclusions either.
    assert all(e != "E4" for e, _ in f.exclusions) or not scope


def inspector(cert="I1", department="SCJGJ", status="active", expires=date(2027, 1, 1), items=(), conflicts=()):
    return InspectorFacts(cert, department, status, expires, items, conflicts)


def test_the_pool_rules_of_r2():
    pool = [
        inspector("ok"),
        inspector("inactive", status="inactive"),
        inspector("expired", expires=date(2026, 11, 30)),
        inspector("expires-on-the-day", expires=DAY),
        inspector("no-expiry", expires=None),
        inspector("other-department", department="WJW"),
        inspector("qualified", items=("S-2",)),
        inspector("not-qualified", items=("S-9",)),
    ]
    f = frame([entity()], inspectors=pool)
    assert [i for i, _ in f.inspectors] == ["ok", "expires-on-the-day", "no-expiry", "qualified"]


def test_a_joint_plan_pools_each_departments_qualified_inspectors():
    plan = PlanFacts(**{**PLAN.__dict__, "departments": ["SCJGJ", "WJW"], "items": ["S-1", "W-1"]})
    pool = [inspector("s"), inspector("w", department="WJW"), inspector("w-other", department="WJW", items=("W-9",))]
    assert frame([entity()], inspectors=pool, plan=plan).inspectors == [("s", "SCJGJ"), ("w", "WJW")]


def test_only_conflicts_with_frame_entities_are_kept():
    pool = [inspector("I1", conflicts=("E1", "E-out", "E2")), inspector("I2", status="inactive", conflicts=("E1",))]
    f = frame([entity("E1"), entity("E2", status="revoked")], inspectors=pool)
    assert f.conflicts == [("I1", "E1")]


def test_counts_for_the_preview():
    f = frame([entity("E1"), entity("E2", foreign=True), entity("E3", abnormal=True), entity("E4", status="revoked")])
    assert f.stratum_counts() == {"heightened": 1, "foreign": 1, "general": 1}
    assert f.exclusion_counts() == {"inactive": 1, "exempt": 0, "already_inspected": 0, "frequency_cap": 0}
