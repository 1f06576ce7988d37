"""One language per page (#11, People and language): messages, errors and labels are Chinese, or English
once chosen and translated, never a "中文 / English" pair; errors name departments and strata by name."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from spotcheck.plans import spec
from spotcheck.plans.framedata import floor_problem, spec_context, staffing_problems
from spotcheck.plans.models import Plan
from tests.conftest import csv_bytes
from tests.test_import_entities import HEADER, row
from tests.test_plans import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def chinese():
    """Each test starts in the default language (a request in English leaves English active)."""
    from django.utils import translation

    with translation.override("zh-hans"):
        yield

# A Chinese text, a slash, then English: what a page must never show.
PAIR = re.compile(r"[\u4e00-\u9fff][^<>\n]* / [A-Za-z]")


def one_language(page: str) -> bool:
    return PAIR.search(page) is None


def test_a_refused_plan_form_shows_its_reasons_in_chinese_only(personas, login, published):
    response = login(personas["alice"]).post(reverse("plans:create"), form_data(
        general_ratio="0.01", heightened_ratio="", heightened_count="x", ends_on="2026-11-01", team_size="1"))
    page = response.content.decode()
    assert response.status_code == 200 and Plan.objects.count() == 0
    assert "低于最低抽查比例" in page and "数量不是整数" in page and "结束日期早于开始日期" in page
    assert one_language(page), PAIR.search(page).group(0)
    for english in ("below the minimum", "not a whole number", "the end is before the start"):
        assert english not in page


def test_a_refused_import_job_page_shows_one_language(personas, login, regions):
    c = login(personas["coordinator"])
    upload = SimpleUploadedFile("e.csv", csv_bytes(HEADER + ["colour"], [row(1) + ["red"]]))
    response = c.post(reverse("directory:import_upload", args=["entities"]), {"file": upload})
    page = c.get(response["Location"]).content.decode()
    assert "导入被拒绝，未写入任何数据" in page and "未知的列" in page
    assert "Import refused" not in page and "unknown column" not in page and "reason</th>" not in page
    assert one_language(page), PAIR.search(page).group(0)


def test_a_refused_upload_form_shows_one_language(personas, login):
    response = login(personas["coordinator"]).post(reverse("directory:import_upload", args=["entities"]),
                                                   {"file": SimpleUploadedFile("e.txt", b"uscc\n")})
    page = response.content.decode()
    assert "只接受 .csv 或 .xlsx 文件" in page and "only .csv and .xlsx" not in page
    assert one_language(page)


def test_a_login_error_shows_one_language(client, personas):
    page = client.post(reverse("login"), {"username": "alice", "password": "wrong"}).content.decode()
    assert "用户名或密码不正确" in page and "wrong username" not in page and one_language(page)


def test_a_403_page_gives_its_reason_in_one_language(personas, login):
    # An inspector may not write plans: the role check refuses, and the page says why in Chinese.
    response = login(personas["ian"]).get(reverse("plans:create"))
    page = response.content.decode()
    assert response.status_code == 403 and "您的角色无权访问此页面" in page
    assert "your role may not" not in page and one_language(page)


def test_a_success_message_is_one_language(personas, login, published):
    alice = login(personas["alice"])
    response = alice.post(reverse("plans:create"), form_data(), follow=True)
    page = response.content.decode()
    assert "已创建计划" in page and "plan created" not in page and one_language(page)


def test_the_english_interface_shows_no_chinese_english_pair(personas, login, published):
    alice = login(personas["alice"])
    alice.cookies["django_language"] = "en"
    refused = alice.post(reverse("plans:create"), form_data(general_ratio="0.01", ends_on="2026-11-01"))
    assert refused.status_code == 200 and Plan.objects.count() == 0
    assert one_language(refused.content.decode())
    created = alice.post(reverse("plans:create"), form_data(), follow=True).content.decode()
    assert one_language(created)
    forbidden = login(personas["ian"])
    forbidden.cookies["django_language"] = "en"
    assert one_language(forbidden.get(reverse("plans:create")).content.decode())


def test_messages_are_marked_for_translation(monkeypatch):
    # The reasons pass through gettext: a catalogue that translates them changes what is shown.
    from django.utils import translation

    seen = []

    def fake(message):
        seen.append(message)
        return "EN:" + message

    monkeypatch.setattr(spec, "_", fake)
    _, problems = spec.validate({"name": "", "year": 2026, "departments": ["SCJGJ"], "items": []}, _context())
    assert "计划名称不能为空" in seen and ("name", "EN:计划名称不能为空") in problems.items
    assert translation.gettext("计划名称不能为空") == "计划名称不能为空"  # Chinese by default


# --- Departments and strata by name --------------------------------------------------------------

def _context(**changes):
    values = dict(departments={"SCJGJ", "WJW"}, published_items={"SCJGJ-001": "SCJGJ", "WJW-001": "WJW"},
                  regions={}, min_ratio=Decimal("0.03"), min_team_size=2,
                  default_ratios={"general": "0.03", "foreign": "0.10", "heightened": "0.20"},
                  default_complaint_threshold=3,
                  department_names={"SCJGJ": "区市场监管局", "WJW": "区卫生健康委"})
    values.update(changes)
    return spec.Context(**values)


def test_plan_errors_name_departments_by_name():
    _, problems = spec.validate({"name": "计划", "year": 2026, "departments": ["SCJGJ"],
                                 "items": ["SCJGJ-001", "WJW-001"], "capacity": {"WJW": 2}}, _context())
    messages = [m for _, m in problems.items]
    assert "事项“WJW-001”属于区卫生健康委，该部门不在本计划中" in messages
    assert "部门“区卫生健康委”不在本计划中" in messages
    assert not any("部门WJW" in m or "WJW，" in m for m in messages)
    _, problems = spec.validate({"name": "计划", "year": 2026, "departments": ["SCJGJ", "WJW"],
                                 "items": ["SCJGJ-001"], "team_size": 2}, _context())
    assert ("items", "区卫生健康委在本计划中没有抽查事项") in problems.items


def test_the_database_context_carries_the_department_names(departments):
    assert spec_context().department("WJW") == "区卫生健康委"
    assert spec_context().department("NOPE") == "NOPE"  # an unknown code is shown as given


def test_plan_errors_name_strata_by_name():
    _, problems = spec.validate({"name": "计划", "year": 2026, "departments": ["SCJGJ"], "items": ["SCJGJ-001"],
                                 "strata": {"heightened": {"ratio": "0.2", "count": 3}}}, _context())
    assert ("strata.heightened", "加大抽查力度：比例和数量只能给出一项，不能同时给出") in problems.items
    problem = floor_problem("heightened", 1000, {"count": 3})
    assert problem.startswith("加大抽查力度的抽取数量3低于最低比例要求的30") and "heightened" not in problem
    assert " / " not in problem


def test_staffing_problems_name_the_department(settings):
    problems = staffing_problems(5, 2, {"SCJGJ": 10, "WJW": 1}, {"SCJGJ": 5, "WJW": 2}, ["SCJGJ", "WJW"],
                                 {"SCJGJ": "区市场监管局", "WJW": "区卫生健康委"})
    assert problems == ["区卫生健康委只有1名可派人员，每人最多2次，不足以参加全部5个检查组"]


def test_results_refusals_are_marked_for_translation(district, monkeypatch):
    # The results service's refusals and field errors pass through gettext, as whole sentences with
    # named placeholders: a catalogue that translates them changes what the page shows.
    from spotcheck.results import service
    from spotcheck.results.service import ResultRefused
    from tests.test_results import drawn, member

    task = drawn(starts_on="2026-01-01").tasks.order_by("order").first()
    leader = member(task, 0)
    service.save_entry(task, "SCJGJ-001", {"method": "onsite"}, leader)  # a draft: no date, content or result
    seen = []

    def fake(message):
        seen.append(message)
        return "EN:" + message

    monkeypatch.setattr(service, "gettext", fake)
    with pytest.raises(ResultRefused) as refused:
        service.submit(task, leader)
    assert refused.value.message.startswith("EN:以下事项尚未录入完整，不能提交：EN:SCJGJ-001（")
    assert "EN:请填写检查结果" in refused.value.message and "EN:请填写检查结果" in refused.value.errors["SCJGJ-001"]
    assert "以下事项尚未录入完整，不能提交：%(items)s" in seen  # the message, not the text already filled in
    with pytest.raises(ResultRefused) as refused:
        service.save_entry(task, "SCJGJ-001", {"inspected_on": "2099-01-01"}, leader)
    assert refused.value.message == "EN:检查结果有误，未保存"
    assert refused.value.errors["inspected_on"] == "EN:检查日期2099-01-01晚于今天"
    monkeypatch.undo()
    with pytest.raises(ResultRefused) as refused:
        service.submit(task, leader)
    assert refused.value.message.startswith("以下事项尚未录入完整，不能提交：SCJGJ-001（")  # Chinese by default
    task.refresh_from_db()
    assert task.status == "pending"
