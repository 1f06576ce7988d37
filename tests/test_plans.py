"""Plans (rules.md R4, R5; spec/interfaces.md plan files): create, refuse, number, approve."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.urls import reverse

from spotcheck.audit.models import AuditEntry
from spotcheck.directory.models import Entity, Inspector
from spotcheck.plans.models import Plan, PlanStatus, WorkflowError
from tests.conftest import make_uscc, run_command

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "2026年度食品经营者双随机抽查", "year": 2026, "departments": ["SCJGJ"],
    "items": ["SCJGJ-001", "SCJGJ-002"], "scope": {"regions": [], "industries": ["H"], "entity_types": []},
    "strata": {"general": {"ratio": "0.03"}, "foreign": {"ratio": "0.10"}, "heightened": {"count": 12}},
    "complaint_threshold": 3, "team_size": 2, "honour_exemptions": True,
    "starts_on": "2026-12-01", "ends_on": "2026-12-31",
}


command = run_command


def create(tmp_path, data, name="plan.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return command("plan_create", str(path))


def test_plan_create_makes_a_numbered_draft(tmp_path, published):
    code, out = create(tmp_path, GOOD)
    assert code == 0 and out["number"] == "巴南市场监管抽查〔2026〕1号"
    plan = Plan.objects.get(pk=out["plan"])
    assert plan.status == "draft" and plan.department_codes == ["SCJGJ"] and plan.strata["heightened"] == {"count": 12}
    assert AuditEntry.objects.filter(action="plan_create", object_id=plan.number).exists()


def test_numbers_are_sequential_per_department_and_year(tmp_path, published):
    numbers = [create(tmp_path, GOOD)[1]["number"], create(tmp_path, GOOD)[1]["number"],
               create(tmp_path, {**GOOD, "year": 2027})[1]["number"],
               create(tmp_path, {**GOOD, "departments": ["WJW"], "items": ["WJW-001"]})[1]["number"]]
    assert numbers == ["巴南市场监管抽查〔2026〕1号", "巴南市场监管抽查〔2026〕2号",
                       "巴南市场监管抽查〔2027〕1号", "巴南卫生健康抽查〔2026〕1号"]


def test_defaults_of_the_rules(tmp_path, published):
    code, out = create(tmp_path, {"name": "n", "year": 2026, "departments": ["SCJGJ"], "items": ["SCJGJ-001"]})
    plan = Plan.objects.get(pk=out["plan"])
    assert plan.strata == {"general": {"ratio": "0.03"}, "foreign": {"ratio": "0.10"}, "heightened": {"ratio": "0.20"}}
    assert (plan.team_size, plan.complaint_threshold, plan.honour_exemptions) == (2, 3, True)


def test_export_gives_back_the_same_plan_file(tmp_path, published):
    code, out = create(tmp_path, GOOD)
    code, exported = command("plan_export", str(out["plan"]))
    assert exported == GOOD


@pytest.mark.parametrize("change,field", [
    ({"items": ["SCJGJ-001", "NOPE-1"]}, "items"),  # unknown item
    ({"items": ["SCJGJ-001", "WJW-001"]}, "items"),  # an item of a department not in the plan
    ({"strata": {"general": {"ratio": "0.02"}}}, "strata.general"),  # below min_ratio
    ({"strata": {"general": {"ratio": "abc"}}}, "strata.general"),  # not a number
    ({"strata": {"heightened": {"count": "twelve"}}}, "strata.heightened"),  # not a number
    ({"strata": {"foreign": {"ratio": True}}}, "strata.foreign"),
    ({"strata": {"special": {"ratio": "0.5"}}}, "strata.special"),  # unknown stratum
    ({"team_size": 1}, "team_size"),  # below 2
    ({"departments": ["SCJGJ", "WJW"], "items": ["SCJGJ-001", "WJW-001"], "team_size": 2,
      "name": "three"}, None),  # fine: two departments, team of two
    ({"ends_on": "2026-11-01"}, "ends_on"),  # end before start
    ({"departments": []}, "departments"),
    ({"departments": ["SCJGJ", "NOPE"]}, "departments"),
    ({"colour": "red"}, "colour"),
    ({"starts_on": "2026-02-30"}, "starts_on"),
    ({"year": "2026"}, "year"),
])
def test_bad_plans_are_refused(tmp_path, published, change, field):
    code, out = create(tmp_path, {**GOOD, **change})
    if field is None:
        assert code == 0
        return
    assert code == 1, out
    assert field in [e["field"] for e in out["errors"]]
    # One language: a Chinese reason, no "中文 / English" pair.
    assert all(" / " not in e["message"] and re.search("[\u4e00-\u9fff]", e["message"]) for e in out["errors"])
    assert Plan.objects.count() == 0


def test_a_team_smaller_than_the_departments_is_refused(tmp_path, published, departments):
    from spotcheck.directory.models import Department

    Department.objects.create(code="YJJ", name="区应急管理局", short_name="巴南应急")
    from spotcheck.directory.imports import run_import
    from tests.conftest import ITEM_HEADER, csv_bytes, item_row

    run_import("items", io.BytesIO(csv_bytes(ITEM_HEADER, [item_row("YJJ-001", "YJJ")])), "i.csv", "t")
    code, out = create(tmp_path, {**GOOD, "departments": ["SCJGJ", "WJW", "YJJ"],
                                  "items": ["SCJGJ-001", "WJW-001", "YJJ-001"], "team_size": 2})
    assert code == 1 and out["errors"][0]["field"] == "team_size"


def test_an_unpublished_item_is_refused(tmp_path, published, departments):
    from spotcheck.catalog import lists

    draft = lists.draft_for(departments["SCJGJ"], "t")
    lists.edit_item(draft, "SCJGJ-077", {"name": "n", "basis": "b", "subject": "s", "content": "c",
                                         "methods": ["onsite"], "category": "general", "target": ""}, "t")
    code, out = create(tmp_path, {**GOOD, "items": ["SCJGJ-077"]})
    assert code == 1 and "不在已公布的事项清单中" in out["errors"][0]["message"]


def test_invalid_json_is_refused(tmp_path, published):
    (tmp_path / "p.json").write_text("{not json", encoding="utf-8")
    code, out = command("plan_create", str(tmp_path / "p.json"))
    assert code == 1 and "JSON" in out["error"]


def test_plan_approve_from_the_command_line(tmp_path, published):
    code, out = create(tmp_path, {**GOOD, "departments": ["SCJGJ", "WJW"], "items": ["SCJGJ-001", "WJW-001"]})
    code, approved = command("plan_approve", out["number"])
    assert code == 0 and approved["status"] == "approved"
    plan = Plan.objects.get(pk=out["plan"])
    assert plan.unconfirmed() == []
    actions = list(AuditEntry.objects.filter(object_id=plan.number).values_list("action", flat=True))
    assert actions == ["plan_create", "plan_submit", "plan_confirm", "plan_approve"]
    assert command("plan_approve", str(plan.pk))[0] == 1  # already approved
    assert command("plan_approve", "999")[0] == 1


# --- The workflow (R5) ---------------------------------------------------------------

@pytest.fixture
def plan(tmp_path, published, personas):
    from spotcheck.plans import spec
    from spotcheck.plans.framedata import spec_context
    from spotcheck.plans.models import create_plan

    clean, problems = spec.validate(GOOD, spec_context())
    return create_plan(clean, personas["alice"])


def test_the_author_submits_and_a_head_approves(plan, personas):
    plan.submit(personas["alice"])
    plan.approve(personas["henry"])
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED and plan.approved_by_name == "user:henry"


def test_the_author_may_not_approve_their_own_plan(plan, personas):
    from spotcheck.accounts.models import Role

    author = personas["alice"]
    plan.submit(author)
    author.role = Role.DEPT_HEAD  # even if the author is (now) a head
    with pytest.raises(WorkflowError, match="编制人不能批准"):
        plan.approve(author)


@pytest.mark.parametrize("who", ["alice", "ian", "olga", "coordinator", "wanda"])
def test_only_a_head_of_the_lead_department_approves(plan, personas, who):
    plan.submit(personas["alice"])
    with pytest.raises(WorkflowError):
        plan.approve(personas[who])
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED


def test_transitions_check_the_state(plan, personas):
    with pytest.raises(WorkflowError, match="此操作只能在"):
        plan.approve(personas["henry"])
    plan.submit(personas["alice"])
    with pytest.raises(WorkflowError):
        plan.submit(personas["alice"])


def test_a_head_returns_a_plan_with_a_reason(plan, personas):
    plan.submit(personas["alice"])
    with pytest.raises(WorkflowError):
        plan.return_to_draft(personas["henry"], " ")
    plan.return_to_draft(personas["henry"], "比例过低")
    assert plan.status == "draft"
    assert AuditEntry.objects.get(action="plan_return").data == {"reason": "比例过低"}


def test_a_joint_plan_needs_every_department_to_confirm(tmp_path, published, personas):
    from spotcheck.plans import spec
    from spotcheck.plans.framedata import spec_context
    from spotcheck.plans.models import create_plan

    clean, _ = spec.validate({**GOOD, "departments": ["SCJGJ", "WJW"], "items": ["SCJGJ-001", "WJW-001"]},
                             spec_context())
    joint = create_plan(clean, personas["alice"])
    assert joint.is_joint and [d.code for d in joint.unconfirmed()] == ["WJW"]
    joint.submit(personas["alice"])
    with pytest.raises(WorkflowError, match="尚未确认"):
        joint.approve(personas["henry"])
    with pytest.raises(WorkflowError):
        joint.confirm(personas["alice"], personas["olga"].department)  # not alice's department
    joint.confirm(personas["olga"], personas["olga"].department)
    joint.approve(personas["henry"])
    assert joint.status == "approved"


# --- The web --------------------------------------------------------------------------

def form_data(**changes):
    data = {"name": "网页计划", "year": "2026", "items": ["SCJGJ-001"], "complaint_threshold": "3",
            "team_size": "2", "honour_exemptions": "on", "general_ratio": "0.03", "foreign_ratio": "0.10",
            "heightened_ratio": "0.20", "starts_on": "2026-12-01", "ends_on": "2026-12-31"}
    data.update(changes)
    return data


def test_an_administrator_writes_a_plan_in_the_web(personas, login, published):
    alice = login(personas["alice"])
    response = alice.post(reverse("plans:create"), form_data())
    plan = Plan.objects.get()
    assert response["Location"] == reverse("plans:detail", args=[plan.pk])
    assert plan.author == personas["alice"] and plan.number == "巴南市场监管抽查〔2026〕1号"


def test_a_refused_plan_form_redisplays_each_reason(personas, login, published):
    response = login(personas["alice"]).post(reverse("plans:create"), form_data(
        general_ratio="0.01", heightened_ratio="", heightened_count="x", ends_on="2026-11-01", team_size="1"))
    page = response.content.decode()
    assert response.status_code == 200 and Plan.objects.count() == 0
    assert "低于最低抽查比例" in page and "数量不是整数" in page and "结束日期早于开始日期" in page and "至少2人" in page


def test_the_plan_page_previews_the_frame(personas, login, published, regions):
    from datetime import date

    for i in range(1, 101):
        Entity.objects.create(uscc=make_uscc(i), name=f"主体{i}", entity_type="enterprise", industry="H",
                              region=regions[0], status="active", foreign=i <= 10, abnormal=i == 100)
    Entity.objects.create(uscc=make_uscc(500), name="吊销", entity_type="enterprise", industry="H",
                          region=regions[0], status="revoked")
    Inspector.objects.create(cert_no="X2", name="二号", department=personas["alice"].department,
                             cert_expires_on=date(2030, 1, 1))
    alice = login(personas["alice"])
    alice.post(reverse("plans:create"), form_data(items=["SCJGJ-001"], heightened_ratio="", heightened_count="0"))
    plan = Plan.objects.get()
    page = alice.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert "抽取预览" in page and "注销、吊销 1" in page
    row = '<tr><td data-label="分层">{}</td><td data-label="候选数">{}</td><td data-label="比例或数量">{}</td><td data-label="将抽取">{}</td></tr>'
    assert row.format("一般", 89, "0.03", 3) in page and row.format("涉外", 10, "0.10", 1) in page
    assert "低于最低比例要求" in page  # a count of 0 for one heightened entity is below ceil(0.03 × 1)


def test_submit_and_approve_through_the_web(personas, login, published):
    alice = login(personas["alice"])
    alice.post(reverse("plans:create"), form_data())
    plan = Plan.objects.get()
    alice.post(reverse("plans:action", args=[plan.pk, "submit"]))
    assert alice.post(reverse("plans:action", args=[plan.pk, "approve"])).status_code == 403
    assert login(personas["olga"]).get(reverse("plans:detail", args=[plan.pk])).status_code == 404
    henry = login(personas["henry"])
    assert "批准" in henry.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    henry.post(reverse("plans:action", args=[plan.pk, "approve"]))
    plan.refresh_from_db()
    assert plan.status == "approved"
    assert plan.number in login(personas["wanda"]).get(reverse("portal:plans")).content.decode()


def test_a_draft_is_not_public(client, plan):
    assert client.get(reverse("portal:plan", args=[plan.pk])).status_code == 404
    assert plan.number not in client.get(reverse("portal:plans")).content.decode()


def test_plan_json_download(personas, login, plan):
    response = login(personas["henry"]).get(reverse("plans:export", args=[plan.pk]))
    assert json.loads(response.content) == GOOD


def test_ratios_are_kept_as_plain_decimal_text(tmp_path, published):
    code, out = create(tmp_path, {**GOOD, "strata": {"general": {"ratio": "5e-2"}, "foreign": {"ratio": 0.1},
                                                     "heightened": {"ratio": "0.20"}}})
    assert code == 0
    assert Plan.objects.get().strata == {"general": {"ratio": "0.05"}, "foreign": {"ratio": "0.1"},
                                         "heightened": {"ratio": "0.20"}}
