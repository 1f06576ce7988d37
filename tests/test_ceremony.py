"""The ceremony keeps its promise (rules.md R5, issue #7 §4), and a plan's capacity (R5, draw-v2 §6)."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from spotcheck import draw
from spotcheck.draws.models import Commitment
from spotcheck.inspections.models import Task
from spotcheck.plans import spec
from spotcheck.plans.forms import parse_capacity
from spotcheck.plans.framedata import preview, spec_context
from spotcheck.plans.models import Plan
from tests.conftest import ENTROPY, approved_plan, draw_run
from tests.conftest import run_command as command

pytestmark = pytest.mark.django_db
LOTTERY = "中国福利彩票3D 第2026335期开奖号码"


def _later(minutes: int) -> str:
    return (timezone.localtime() + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S")


def test_a_planned_time_in_the_past_is_refused(district):
    plan = approved_plan()
    code, out = command("draw_commit", str(plan.pk), "--planned-at", "2020-01-01T10:00")
    assert code == 1 and "计划抽取时间须晚于现在" in out["error"]
    assert Commitment.objects.count() == 0 and Plan.objects.get().status == "approved"


def test_the_draw_is_refused_before_the_planned_time(district):
    plan = approved_plan()
    code, out = command("draw_commit", str(plan.pk), "--planned-at", _later(24 * 60))
    assert code == 0 and out["planned_draw_at"]
    code, out = draw_run(plan)
    assert code == 1 and "未到公布的抽取时间" in out["error"]
    c = Commitment.objects.get()
    assert c.status == "committed" and not c.record and Task.objects.count() == 0
    Commitment.objects.update(planned_draw_at=timezone.now() - timedelta(seconds=1))
    assert draw_run(plan)[0] == 0


def test_a_draw_by_witnesses_needs_the_minimum_witnesses(district, settings):
    plan = approved_plan()
    command("draw_commit", str(plan.pk))
    code, out = command("draw_run", str(plan.pk), "--entropy", ENTROPY)
    assert code == 1 and "至少需要1名见证人" in out["error"]
    settings.SPOTCHECK = {**settings.SPOTCHECK, "min_witnesses": 2}
    code, out = draw_run(plan)  # one witness
    assert code == 1 and "至少需要2名见证人" in out["error"]
    assert Commitment.objects.get().status == "committed"
    code, _ = draw_run(plan, ENTROPY, "--witness", "王代表:deputy:区人大常委会")
    assert code == 0
    assert [(w.name, w.capacity, w.organisation) for w in Commitment.objects.get().witnesses.all()] == [
        ("张三", "notary", "巴南公证处"), ("王代表", "deputy", "区人大常委会")]


def test_a_witness_is_name_capacity_and_organisation(district):
    plan = approved_plan()
    command("draw_commit", str(plan.pk))
    for bad in ("张三", "张三:mayor", ":notary"):
        code, out = command("draw_run", str(plan.pk), "--entropy", ENTROPY, "--witness", bad)
        assert code == 1 and "见证人格式" in out["error"], bad
    assert Commitment.objects.get().status == "committed"


def test_a_named_public_value_draws_without_witnesses_but_not_without_the_value(district, client):
    plan = approved_plan()
    code, out = command("draw_commit", str(plan.pk), "--entropy-source", LOTTERY)
    assert code == 0 and out["entropy_source"] == LOTTERY
    assert LOTTERY in client.get(reverse("portal:plan", args=[plan.pk])).content.decode()
    code, out = command("draw_run", str(plan.pk), "--entropy", "  ")
    assert code == 1 and "公开随机数不能为空" in out["error"]
    code, out = command("draw_run", str(plan.pk), "--entropy", "518")
    assert code == 0 and "warnings" not in out  # a lottery number is not dice: no dice count asked
    record = json.loads(Commitment.objects.get().record)
    assert record["public_entropy"] == "518" and draw.verify(record) is None


def test_short_entropy_is_warned_about(district):
    plan = approved_plan()
    command("draw_commit", str(plan.pk))
    code, out = draw_run(plan, "6 2 3 4 1 5")
    assert code == 0 and "少于20次" in out["warnings"][0]


def test_the_web_commitment_names_time_and_source_and_refuses_the_past(district, personas, login):
    plan = approved_plan()
    alice = login(personas["alice"])
    page = alice.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert 'name="planned_draw_at"' in page and 'value="public"' in page
    response = alice.post(reverse("draws:commit", args=[plan.pk]),
                          {"planned_draw_at": "2020-01-01T10:00", "source": "witnesses"}, follow=True)
    assert "计划抽取时间须晚于现在" in response.content.decode() and not Commitment.objects.exists()
    response = alice.post(reverse("draws:commit", args=[plan.pk]), {"source": "witnesses"}, follow=True)
    assert "计划抽取时间" in response.content.decode() and not Commitment.objects.exists()
    response = alice.post(reverse("draws:commit", args=[plan.pk]),
                          {"planned_draw_at": _later(60), "source": "public", "public_value": ""}, follow=True)
    assert "确切名称" in response.content.decode() and not Commitment.objects.exists()
    alice.post(reverse("draws:commit", args=[plan.pk]),
               {"planned_draw_at": _later(60), "source": "public", "public_value": LOTTERY})
    c = Commitment.objects.get()
    assert c.entropy_source == LOTTERY and c.planned_draw_at > timezone.now()
    page = alice.get(reverse("draws:ceremony", args=[plan.pk])).content.decode()
    assert LOTTERY in page and "在此之前不能抽取" in page
    response = alice.post(reverse("draws:ceremony", args=[plan.pk]), {"entropy": "518"}, follow=True)
    assert "未到公布的抽取时间" in response.content.decode()
    assert Commitment.objects.get().status == "committed"


def test_the_web_ceremony_asks_to_confirm_short_entropy_and_labels_witness_rows(district, personas, login):
    plan = approved_plan()
    command("draw_commit", str(plan.pk))
    alice = login(personas["alice"])
    page = alice.get(reverse("draws:ceremony", args=[plan.pk])).content.decode()
    assert all(label in page for label in ("<th>姓名</th>", "<th>身份</th>", "<th>单位</th>"))
    witness = {"w0_name": "李公证", "w0_capacity": "notary", "w0_org": "巴南公证处"}
    page = alice.post(reverse("draws:ceremony", args=[plan.pk]), {"entropy": "1 2 3", **witness}).content.decode()
    assert "少于20次" in page and 'name="accept_short"' in page
    assert Commitment.objects.get().status == "committed"
    response = alice.post(reverse("draws:ceremony", args=[plan.pk]),
                          {"entropy": "1 2 3", "accept_short": "on", **witness})
    assert response.status_code == 302 and Commitment.objects.get().status == "drawn"
    page = alice.get(reverse("draws:ceremony", args=[plan.pk])).content.decode()
    assert "李公证" in page and "巴南公证处" in page


def test_without_witnesses_the_web_refuses_the_draw(district, personas, login):
    plan = approved_plan()
    command("draw_commit", str(plan.pk))
    response = login(personas["alice"]).post(reverse("draws:ceremony", args=[plan.pk]), {"entropy": ENTROPY},
                                             follow=True)
    assert "至少需要1名见证人" in response.content.decode()
    assert Commitment.objects.get().status == "committed"


# --- Capacity (R5): the plan file's key, the form, the preview --------------------------------


def test_a_plan_sets_capacity_per_department_or_for_all(district):
    joint = {"departments": ["SCJGJ", "WJW"], "items": ["SCJGJ-001", "WJW-001"]}
    plan = approved_plan(**joint, capacity={"WJW": 40})
    command("draw_commit", str(plan.pk))
    c = Commitment.objects.get()
    assert c.capacity["WJW"] == 40 and c.capacity["SCJGJ"] >= 2
    assert plan.to_file()["capacity"] == {"WJW": 40}
    plan = approved_plan(capacity=7)
    command("draw_commit", str(plan.pk))
    assert plan.commitments.get().capacity == {"SCJGJ": 7}


@pytest.mark.parametrize("value, field", [
    (0, "capacity"), ("5", "capacity"), (True, "capacity"), ({"WJW": 3}, "capacity.WJW"),
    ({"SCJGJ": 0}, "capacity.SCJGJ"), ({"SCJGJ": "x"}, "capacity.SCJGJ"),
])
def test_a_bad_capacity_is_refused_with_its_field(district, value, field):
    _, problems = spec.validate({"name": "n", "year": 2026, "departments": ["SCJGJ"], "items": ["SCJGJ-001"],
                                 "capacity": value}, spec_context())
    assert field in [f for f, _ in problems.items]


def test_the_form_reads_capacity_text():
    assert parse_capacity("") is None and parse_capacity(" 5 ") == 5
    assert parse_capacity("SCJGJ=5； WJW＝16") == {"SCJGJ": 5, "WJW": 16}
    assert parse_capacity("SCJGJ=x") == {"SCJGJ": "x"}  # passed on for validation to name


def test_the_plan_page_shows_capacities_and_warns_when_a_department_cannot_staff_every_team(
        district, personas, login):
    joint = {"departments": ["SCJGJ", "WJW"], "items": ["SCJGJ-001", "WJW-001"]}
    plan = approved_plan(**joint, capacity={"WJW": 1})
    result = preview(plan)
    assert result.capacity["WJW"] == 1 and result.selected > 3
    assert any("区卫生健康委只有3名可派人员" in p for p in result.problems)  # named by name, not code
    page = login(personas["alice"]).get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert "WJW 1" in page and "不足以参加全部" in page
    default = approved_plan(**joint)
    assert not any("不足以" in p for p in preview(default).problems)


def test_the_web_form_saves_capacity(district, personas, login):
    alice = login(personas["alice"])
    data = {"name": "容量测试", "year": 2026, "items": ["SCJGJ-001"], "complaint_threshold": 3, "team_size": 2,
            "general_ratio": "0.03", "foreign_ratio": "0.10", "heightened_ratio": "0.20", "capacity": "SCJGJ=4"}
    response = alice.post(reverse("plans:create"), data)
    assert response.status_code == 302 and Plan.objects.get().capacity == {"SCJGJ": 4}
    response = alice.post(reverse("plans:create"), {**data, "capacity": "WJW=4"})
    assert response.status_code == 200 and "不在本计划中" in response.content.decode()


def test_the_demos_joint_plan_draws_with_the_default_capacities():
    call_command("demo", "--entities", "3000", stdout=io.StringIO())
    plan = Plan.objects.get(status="approved")
    assert len(plan.department_codes) == 2
    assert command("draw_commit", str(plan.pk))[0] == 0
    assert draw_run(plan)[0] == 0
    record = json.loads(plan.commitments.get().record)
    assert record["spec"] == "spotcheck-draw/2" and record["selected"] and draw.verify(record) is None
    drawn_demo = Plan.objects.filter(status="drawn").exclude(pk=plan.pk).get()
    assert json.loads(drawn_demo.commitments.get().record)["spec"] == "spotcheck-draw/2"
