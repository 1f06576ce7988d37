"""The audit log as people read it: names and roles, actions as words, fields, local times, filters (#11)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from spotcheck.audit import display
from spotcheck.audit.log import record
from spotcheck.audit.models import AuditEntry

pytestmark = pytest.mark.django_db
LOG = reverse("audit:log")


def rows(page: str) -> list[str]:
    return re.findall(r"<tr><td data-label=\"#\">.*?</tr>", page, re.S)


def test_people_are_shown_by_name_and_role_never_as_user_keys(personas):
    personas["alice"].display_name = "李管理员"
    personas["alice"].save()
    shown = display.people(["user:alice", "user:henry", "cli:root", "system:demo", "anonymous", "user:gone"])
    assert shown["user:alice"] == "李管理员（部门管理员）"
    assert shown["user:henry"] == "henry（部门负责人）"
    assert shown["cli:root"] == "命令行（root）" and shown["system:demo"] == "系统（demo）"
    assert shown["anonymous"] == "匿名" and shown["user:gone"] == "gone"


def test_the_log_page_reads_as_words_in_local_time(personas, login):
    personas["alice"].display_name = "李管理员"
    personas["alice"].save()
    entry = record(personas["alice"], "plan_approve", "plan", "巴南市场监管抽查〔2026〕1号", {"status": "approved"})
    page = login(personas["coordinator"]).get(LOG).content.decode()
    row = rows(page)[0]
    assert "李管理员（部门管理员）" in row and "user:alice" not in row
    assert "批准计划" in row and "计划 巴南市场监管抽查〔2026〕1号" in row
    assert "<dt>状态</dt><dd>approved</dd>" in row
    local = timezone.localtime(datetime.fromisoformat(entry.at)).strftime("%Y-%m-%d %H:%M:%S")
    assert local in row and entry.at[:19].replace("T", " ") != local  # Asia/Shanghai, not UTC


def test_the_log_is_filtered_by_actor_action_object_and_date(personas, login):
    personas["alice"].display_name = "李管理员"
    personas["alice"].save()
    record(personas["alice"], "plan_create", "plan", "P-1", {})
    record(personas["henry"], "plan_approve", "plan", "P-1", {})
    record(personas["henry"], "result_approve", "task", "77", {})
    client = login(personas["coordinator"])

    def seqs(**params) -> set[int]:
        page = client.get(LOG, params).content.decode()
        return {int(n) for n in re.findall(r'<td data-label="#">(\d+)</td>', page)}

    alice, approve, task = (AuditEntry.objects.get(action=a).seq for a in ("plan_create", "plan_approve",
                                                                             "result_approve"))
    assert seqs(actor="李管理") == {alice}  # by the name shown
    assert seqs(actor="henry") == {approve, task}  # by the username
    assert seqs(action="plan_approve") == {approve}
    assert seqs(object="P-1") == {alice, approve} and seqs(object="检查任务") == {task}
    today = timezone.localdate().isoformat()
    assert seqs(since=today, until=today) >= {alice, approve, task}
    assert seqs(until="2000-01-01") == set()
    page = client.get(LOG, {"since": today, "until": "2000-01-01"}).content.decode()
    assert "截止日期不能早于起始日期" in page
    assert 'value="plan_approve">批准计划</option>' in page  # the action filter speaks words


def test_details_are_fields_and_long_values_are_shortened():
    pairs = display.details('{"reason": "材料不全", "items": ["A-1", "B-2"], "x": "' + "长" * 300 + '"}')
    assert pairs[0] == ("原因", "材料不全") and pairs[1] == ("事项", '["A-1", "B-2"]')
    assert pairs[2][0] == "x" and pairs[2][1].endswith("…") and len(pairs[2][1]) == 121
    assert display.details("not json") == [("", "not json")]
