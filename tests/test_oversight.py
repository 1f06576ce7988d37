"""督促检查 (issue #9 §1–§2): the dashboard's figures against hand-counted data, its charts and
exports, the yearly report, department scoping, and a fixed number of queries.

The small district of ``tests/conftest.py``: 200 entities, of which 190 are active (every
twentieth is revoked, all in 龙洲湾街道 500113001). By stratum (R4): 8 heightened (abnormal:
23, 46, … 184), 11 foreign (17, 34, … 187), 171 general. 鱼洞街道 (500113002, the odd numbers)
holds 100 of the active ones: 4 heightened, 6 foreign, 90 general.

The year 2026 of the ``year`` fixture:

- plan A, SCJGJ alone, the whole district, item SCJGJ-001: 6 general + 2 foreign + 2 heightened
  tasks (ceil of 3%, 10% and 20%);
- plan B, joint SCJGJ + WJW, 鱼洞街道, items SCJGJ-001 and WJW-001: 3 + 1 + 1 tasks (plan A's
  entities there are already inspected for SCJGJ-001, which leaves every stratum's size as it is);
- plan C, WJW alone, 龙洲湾街道, a draft: no tasks, and no part of WJW's scope;
- of plan A, one task published with no issue, one with a problem still to follow up
  (pending_action → rectification), one with a problem followed up (corrected → rectification);
  one more of A and one of B entered with 2026-06-01 and not published: overdue (R7);
- imported history of 2026: SCJGJ inspected one entity on two days (three records, two visits),
  an outside agency two entities (two visits); of 2025, one SCJGJ visit.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from spotcheck.catalog.models import HistoryRecord
from spotcheck.directory.models import Department, Entity
from spotcheck.inspections.models import Task
from spotcheck.oversight import charts, selectors
from spotcheck.oversight.dashboard import build
from spotcheck.oversight.figures import Coverage, Scope, active_in_scope, floors, visits_saved
from spotcheck.plans import spec
from spotcheck.plans.framedata import spec_context
from spotcheck.plans.models import create_plan
from spotcheck.results import service
from spotcheck.results.selectors import overdue_tasks
from tests.conftest import make_uscc
from tests.test_results import drawn, enter_all, member

pytestmark = pytest.mark.django_db
YEAR = 2026
DUE = "2026-06-01"  # an inspection day long past the 20 days of R7


def publish(task, henry, **changes):
    leader = member(task, 0)
    enter_all(task, leader, **changes)
    service.submit(task, leader)
    service.approve(task, henry)


@pytest.fixture
def year(district, departments, personas):
    """The year 2026 described at the top of this module; returns the plans and named tasks."""
    a = drawn(starts_on="2026-01-01")
    b = drawn(departments=("SCJGJ", "WJW"), items=("SCJGJ-001", "WJW-001"), starts_on="2026-01-01",
              scope={"regions": ["500113002"]})
    clean, problems = spec.validate({"name": "卫健草稿", "year": YEAR, "departments": ["WJW"], "items": ["WJW-001"],
                                     "scope": {"regions": ["500113001"]}}, spec_context())
    assert not problems, problems.text()
    c = create_plan(clean, None)
    tasks = list(a.tasks.order_by("order"))
    henry = personas["henry"]
    publish(tasks[0], henry)
    publish(tasks[1], henry, category="pending_action", findings="未按规定公示年报", follow_up="rectification")
    publish(tasks[2], henry, category="corrected", findings="标价不规范", follow_up="rectification")
    service.record_follow_up(tasks[2], personas["alice"], action="已责令改正", done_on=timezone.localdate())
    service.save_entry(tasks[3], "SCJGJ-001", {"method": "onsite", "checked": "核查", "category": "no_issue",
                                               "inspected_on": DUE}, member(tasks[3], 0))
    joint = b.tasks.order_by("order").first()
    service.save_entry(joint, "SCJGJ-001", {"method": "onsite", "checked": "核查", "category": "no_issue",
                                            "inspected_on": DUE}, member(joint, 0))
    scjgj = departments["SCJGJ"]
    one, two, three = Entity.objects.filter(uscc__in=[make_uscc(3), make_uscc(7), make_uscc(9)]).order_by("uscc")
    for item, day in (("SCJGJ-001", date(2026, 3, 1)), ("SCJGJ-002", date(2026, 3, 1)), ("SCJGJ-001", date(2026, 4, 1))):
        HistoryRecord.objects.create(entity=one, inspected_by="SCJGJ", department=scjgj, item_code=item,
                                     inspected_on=day, result="no_issue")
    for entity in (two, three):
        HistoryRecord.objects.create(entity=entity, inspected_by="重庆市交通局", item_code="SCJGJ-001",
                                     inspected_on=date(2026, 5, 1), result="no_issue")
    HistoryRecord.objects.create(entity=two, inspected_by="SCJGJ", department=scjgj, item_code="SCJGJ-001",
                                 inspected_on=date(2025, 5, 1), result="no_issue")
    Department.objects.create(code="JTJ", name="区交通局", short_name="巴南交通")
    return {"a": a, "b": b, "c": c, "tasks": tasks, "joint": joint}


def table(board, key):
    """Return a table's rows keyed by their first cell."""
    return {row[0]: row[1:] for row in board.tables[key].rows}


def column(board, key, header):
    """Return one column of a table, keyed by the rows' first cell."""
    at = board.tables[key].headers.index(header)
    return {row[0]: row[at] for row in board.tables[key].rows}


# --- The rules as plain functions ---------------------------------------------------------------


def test_the_floor_of_each_stratum_comes_from_the_r4_settings(settings):
    assert floors(settings.SPOTCHECK) == {"general": "0.03", "foreign": "0.10", "heightened": "0.20",
                                          "total": "0.03"}
    rules = {**settings.SPOTCHECK, "min_ratio": "0.05"}
    assert floors(rules)["general"] == "0.05" and floors(rules)["foreign"] == "0.10"


def test_the_shortfall_is_counted_exactly_in_entities():
    # ceil(171 × 0.03) = ceil(5.13) = 6: three inspected leave three to go.
    c = Coverage(active=171, inspected=3, floor="0.03")
    assert (c.required, c.shortfall, c.percent, c.met) == (6, 3, Decimal("1.75"), False)
    assert str(Coverage(11, 3, "0.10").floor_percent) == "10" and str(Coverage(8, 1, "0.125").floor_percent) == "12.5"
    assert Coverage(active=100, inspected=3, floor="0.03").shortfall == 0  # exactly 3.00 %
    assert Coverage(active=0, inspected=0, floor="0.03").percent is None


def test_the_scope_is_the_union_of_the_plans_scopes():
    census = [("R1", "F", "enterprise", "general", 10), ("R2", "F", "enterprise", "general", 5),
              ("R2", "H", "individual", "foreign", 2)]
    assert active_in_scope(census, [Scope.of({"regions": ["R1"]})])["total"] == 10
    assert active_in_scope(census, [Scope.of({"regions": ["R1"]}), Scope.of({"industries": ["H"]})]) == {
        "general": 10, "foreign": 2, "heightened": 0, "total": 12}
    assert active_in_scope(census, None)["total"] == 17  # no plan: the whole district
    assert active_in_scope(census, [Scope.of({"regions": ["R1"]}), Scope.of({})])["total"] == 17


def test_visits_saved_by_a_joint_plan():
    assert visits_saved(tasks=5, departments=2) == 5
    assert visits_saved(tasks=4, departments=3) == 8
    assert visits_saved(tasks=9, departments=1) == 0


# --- Each figure against the hand count ---------------------------------------------------------


def test_coverage_per_stratum_against_the_floor(year, departments):
    scjgj = table(build(YEAR, departments["SCJGJ"]), "coverage")
    # 分层: active in scope, checked, %, floor %, required, shortfall. Scope: plan A's, the whole district.
    assert scjgj["一般"] == [171, 9, Decimal("5.26"), Decimal("3"), 6, 0]
    assert scjgj["涉外"] == [11, 3, Decimal("27.27"), Decimal("10"), 2, 0]
    assert scjgj["加大抽查力度"] == [8, 3, Decimal("37.50"), Decimal("20"), 2, 0]
    assert scjgj["合计"] == [190, 15, Decimal("7.89"), Decimal("3"), 6, 0]
    # WJW's scope is plan B's 鱼洞街道 only: the draft plan C does not count.
    wjw = table(build(YEAR, departments["WJW"]), "coverage")
    assert wjw["一般"] == [90, 3, Decimal("3.33"), Decimal("3"), 3, 0]
    assert wjw["合计"] == [100, 5, Decimal("5.00"), Decimal("3"), 3, 0]
    district = table(build(YEAR, None), "coverage")
    assert district["合计"] == [190, 15, Decimal("7.89"), Decimal("3"), 6, 0]


def test_the_shortfall_when_checks_fall_below_the_floor(year, departments):
    # Plan A's six general tasks cancelled: three general entities checked of 171, six needed.
    Task.objects.filter(plan=year["a"], stratum="general").update(status="cancelled")
    scjgj = table(build(YEAR, departments["SCJGJ"]), "coverage")
    assert scjgj["一般"] == [171, 3, Decimal("1.75"), Decimal("3"), 6, 3]
    assert scjgj["合计"] == [190, 9, Decimal("4.74"), Decimal("3"), 6, 0]
    # A department without a plan answers for the whole district: 6 entities short.
    summary = table(build(YEAR, None), "summary")
    assert summary["区交通局"][:5] == [190, 0, Decimal("0.00"), Decimal("3"), 6]
    board = build(YEAR, departments["SCJGJ"])
    assert ("距最低比例差额（户）", "0", True) in board.cards


def test_the_share_of_random_checks(year, departments):
    # SCJGJ: 15 tasks (A and B) against two visits of its own (three records on two days).
    share = table(build(YEAR, departments["SCJGJ"]), "share")
    assert share == {"随机抽查": [15, Decimal("88.24")], "其他检查": [2, Decimal("11.76")]}
    assert table(build(YEAR, departments["WJW"]), "share") == {"随机抽查": [5, Decimal("100.00")],
                                                               "其他检查": [0, Decimal("0.00")]}
    # The district: 15 tasks (B's five once, not once per department) against 2 + 2 outside visits.
    district = build(YEAR, None)
    assert table(district, "share") == {"随机抽查": [15, Decimal("78.95")], "其他检查": [4, Decimal("21.05")]}
    trend = table(district, "trend")
    assert trend["2026"] == [15, 4, Decimal("78.95")] and trend["2025"] == [0, 1, Decimal("0.00")]
    assert trend["2022"] == [0, 0, None] and list(trend) == ["2022", "2023", "2024", "2025", "2026"]


def test_plans_and_tasks_by_state_and_completion(year, departments):
    board = build(YEAR, departments["SCJGJ"])
    assert table(board, "plans_by_state") == {"草稿": [0], "已提交审批": [0], "已批准": [0], "已固定抽取范围": [0],
                                              "已抽取": [2], "已办结": [0]}
    tasks = table(board, "tasks_by_state")
    assert tasks["已公示"] == [3] and tasks["待检查"] == [12] and sum(n for n, in tasks.values()) == 15
    assert "3 ÷ 未取消的任务 15 = 20.00%" in board.tables["tasks_by_state"].note
    wjw = build(YEAR, departments["WJW"])
    assert table(wjw, "plans_by_state")["草稿"] == [1] and table(wjw, "plans_by_state")["已抽取"] == [1]
    assert table(wjw, "tasks_by_state")["待检查"] == [5]
    district = table(build(YEAR, None), "plans_by_state")
    assert district["草稿"] == [1] and district["已抽取"] == [2]


def test_the_dashboard_is_kept_until_the_next_audited_change(year, departments, personas):
    """Every change the figures count writes an audit entry: the audit head is the figures' version."""
    from spotcheck.audit.log import record
    from spotcheck.oversight.dashboard import cached_build
    from spotcheck.plans.models import Plan

    scjgj = departments["SCJGJ"]
    assert table(cached_build(YEAR, scjgj), "plans_by_state")["已办结"] == [0]
    drawn = Plan.objects.filter(year=YEAR, lead_department=scjgj, status="drawn").first()
    Plan.objects.filter(pk=drawn.pk).update(status="closed")  # behind the log's back: not seen yet
    assert table(cached_build(YEAR, scjgj), "plans_by_state")["已办结"] == [0]
    record(personas["henry"], "plan_close", "plan", drawn.pk)  # any audited change: counted again
    assert table(cached_build(YEAR, scjgj), "plans_by_state")["已办结"] == [1]


def test_overdue_publications_per_department(year, departments):
    # Plan A's fourth task and B's first were inspected on 2026-06-01 and are not published; B's is
    # both departments'.
    assert column(build(YEAR, None), "summary", "逾期未公示") == {"区市场监管局": 2, "区卫生健康委": 1, "区交通局": 0,
                                                               "全区": 2}
    assert ("逾期未公示", "2", False) in build(YEAR, departments["SCJGJ"]).cards
    # The same rule as the overdue list of the results (R7), whatever the day.
    for day in (date(2026, 6, 20), date(2026, 6, 22), timezone.localdate()):
        plans = selectors.plan_rows(YEAR, YEAR)
        for d in departments.values():
            assert selectors.overdue(plans, YEAR, day).get(d.pk, 0) == overdue_tasks(d.pk, day).count(), (day, d)
    assert selectors.overdue(plans, YEAR, date(2026, 6, 21)) == {}  # the 20th day after is still in time


def test_results_by_category_and_open_follow_ups(year, departments):
    board = build(YEAR, departments["SCJGJ"])
    results = table(board, "results")
    assert results["未发现问题"] == [1, Decimal("33.33")] and results["发现问题待后续处理"] == [1, Decimal("33.33")]
    assert results["发现问题已责令改正"] == [1, Decimal("33.33")] and results["已关闭停业或正在清算"] == [0, Decimal("0.00")]
    follow = table(board, "follow_ups")
    assert follow["责令改正并跟踪"] == [2, 1]  # two problems; one followed up, one still open
    assert follow["移交日常监管"] == [0, 0]
    assert column(board, "summary", "发现问题") == {"区市场监管局": 2}
    assert column(board, "summary", "后续处置未完成") == {"区市场监管局": 1}
    assert table(build(YEAR, departments["WJW"]), "results")["未发现问题"] == [0, None]


def test_joint_plans_and_the_visits_they_saved(year, departments):
    joint = build(YEAR, None).tables["joint"]
    b = year["b"]
    assert joint.rows == [[b.number, b.name, "区市场监管局、区卫生健康委", 2, 5, 5], ["合计", "", "", "", 5, 5]]
    assert ("联合抽查节省检查", "5", True) in build(YEAR, departments["WJW"]).cards


def test_item_lists_published_or_not_and_last_change(year, departments):
    lists = table(build(YEAR, None), "item_lists")
    assert lists["区市场监管局"][:3] == ["已公布", 1, 2] and lists["区卫生健康委"][:3] == ["已公布", 1, 1]
    assert lists["区交通局"] == ["未公布", None, None, "", "无", ""]
    published = timezone.localtime(departments["SCJGJ"].item_lists.get().published_at).strftime("%Y-%m-%d %H:%M")
    assert lists["区市场监管局"][3] == published and lists["区市场监管局"][5] == published
    # A department's own page lists its own list only.
    assert list(table(build(YEAR, departments["WJW"]), "item_lists")) == ["区卫生健康委"]


def test_the_plans_of_the_year_with_their_numbers(year, departments):
    rows = {row[0]: row[1:] for row in build(YEAR, departments["SCJGJ"]).tables["plan_list"].rows}
    a = year["a"]
    assert rows[a.number] == [a.name, "区市场监管局", "已抽取", 10, 3, Decimal("30.00"), 2, 1]
    assert year["c"].number not in rows  # WJW's draft is not SCJGJ's
    assert year["c"].number in {row[0] for row in build(YEAR, departments["WJW"]).tables["plan_list"].rows}


# --- The pages: who sees what ------------------------------------------------------------------


def url(name, **query):
    from urllib.parse import urlencode

    path = reverse(name) if name != "oversight:export" else reverse(name, args=[query.pop("key")])
    return path + ("?" + urlencode(query) if query else "")


PAGES = [("oversight:dashboard", {}), ("oversight:export", {"key": "coverage"}), ("oversight:report", {})]


@pytest.mark.parametrize("name, query", PAGES)
@pytest.mark.parametrize("who, status", [("coordinator", 200), ("alice", 200), ("henry", 200), ("olga", 200),
                                         ("ian", 403), ("wanda", 403)])
def test_who_may_see_the_pages(personas, login, name, query, who, status):
    assert login(personas[who]).get(url(name, **query)).status_code == status


@pytest.mark.parametrize("name, query", PAGES)
def test_anonymous_visitors_are_sent_to_login(client, db, name, query):
    response = client.get(url(name, **query))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name, query", PAGES)
def test_a_department_never_sees_another_departments_figures(year, personas, login, name, query):
    alice, olga = login(personas["alice"]), login(personas["olga"])
    assert alice.get(url(name, department="WJW", year=YEAR, **query)).status_code == 404
    assert olga.get(url(name, department="SCJGJ", year=YEAR, **query)).status_code == 404
    assert alice.get(url(name, department="SCJGJ", year=YEAR, **query)).status_code == 200
    coordinator = login(personas["coordinator"])
    assert coordinator.get(url(name, department="WJW", year=YEAR, **query)).status_code == 200
    assert coordinator.get(url(name, department="NOPE", year=YEAR, **query)).status_code == 404


def test_a_departments_page_shows_its_own_figures_only(year, personas, login):
    page = login(personas["olga"]).get(url("oversight:dashboard", year=YEAR)).content.decode()
    assert "区卫生健康委" in page and "督促检查：2026年 · 区卫生健康委" in page
    assert "区市场监管局" not in page.replace("区市场监管局、区卫生健康委", "")  # only as B's partner
    assert year["a"].number not in page and year["c"].number in page
    # The coordinator's page has every department, and a department picker.
    district = login(personas["coordinator"]).get(url("oversight:dashboard", year=YEAR)).content.decode()
    assert "各部门概况" in district and "区交通局" in district and 'name="department"' in district


@pytest.mark.parametrize("name", ["oversight:dashboard", "oversight:report"])
@pytest.mark.parametrize("value", ["abc", "20266", "1800", "-1", "²⁰²⁶", "2026.0"])
def test_a_bad_year_is_refused_naming_the_field(personas, login, name, value):
    response = login(personas["coordinator"]).get(url(name, year=value))
    assert response.status_code == 400 and "年度（year）" in response.content.decode()


def test_each_chart_has_its_table_and_an_export(year, personas, login):
    response = login(personas["coordinator"]).get(url("oversight:dashboard", year=YEAR))
    page = response.content.decode()
    board = build(YEAR, None)
    for key, t in board.tables.items():
        assert f'<section class="card figure" id="{key}"' in page
        assert f"<caption>{t.title}（2026年 · 全区）</caption>" in page
        assert reverse("oversight:export", args=[key]) + "?year=2026" in page
    charted = [t for t in board.tables.values() if t.chart]
    assert len(charted) == 9 and page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"') == 9
    assert 'aria-label="2026年随机抽查在检查中的占比：随机抽查 15；其他检查 4"' in page
    assert "<script" not in page.split("<main>")[1]  # drawn on the server: no script for the charts
    assert "style=" not in page.split("<main>")[1]  # nor inline style, which the CSP forbids
    assert response["Content-Security-Policy"].startswith("default-src 'self'")
    assert reverse("oversight:report") + "?year=2026" in page


def test_the_navigation_links_to_the_dashboard_for_its_readers(personas, login):
    link = f'href="{reverse("oversight:dashboard")}"'
    for who, shown in (("coordinator", True), ("alice", True), ("henry", True), ("ian", False), ("wanda", False)):
        assert (link in login(personas[who]).get(reverse("home")).content.decode()) is shown, who


# --- Exports and the report --------------------------------------------------------------------


def workbook_rows(response):
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_a_charts_export_holds_its_table_with_chinese_headers(year, personas, login):
    rows = workbook_rows(login(personas["alice"]).get(url("oversight:export", key="coverage", year=YEAR)))
    assert rows[0] == ["分层", "范围内存续主体", "已抽查主体", "覆盖率（%）", "应达比例（%）", "应抽查主体", "差额（户）"]
    assert rows[1:] == [["一般", 171, 9, 5.26, 3, 6, 0], ["涉外", 11, 3, 27.27, 10, 2, 0],
                        ["加大抽查力度", 8, 3, 37.5, 20, 2, 0], ["合计", 190, 15, 7.89, 3, 6, 0]]
    summary = workbook_rows(login(personas["coordinator"]).get(url("oversight:export", key="summary", year=YEAR)))
    assert summary[0][:4] == ["部门", "范围内存续主体", "已抽查主体", "覆盖率（%）"]
    assert [row[0] for row in summary[1:]] == ["区交通局", "区市场监管局", "区卫生健康委", "全区"]
    assert login(personas["alice"]).get(url("oversight:export", key="nothing", year=YEAR)).status_code == 404


def test_an_export_cannot_carry_a_formula(year, personas, login):
    Department.objects.filter(code="JTJ").update(name="=HYPERLINK(\"http://x\")")
    rows = workbook_rows(login(personas["coordinator"]).get(url("oversight:export", key="item_lists", year=YEAR)))
    assert "'=HYPERLINK(\"http://x\")" in [row[0] for row in rows]


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).replace("\n", "")


def test_the_yearly_report_of_a_department(year, personas, login):
    response = login(personas["henry"]).get(url("oversight:report", year=YEAR))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "2026年度区市场监管局随机抽查工作总结" in text
    for figure in ("7.89%", "88.24%", "20.00%", year["a"].number, year["b"].number, "发现问题待后续处理",
                   "责令改正并跟踪", "节省检查次数", "后续处置尚未完成的任务", year["tasks"][1].entity.uscc):
        assert figure in text, figure
    assert "区交通局" not in text and year["c"].number not in text


def test_the_district_report_is_the_coordinating_offices(year, personas, login):
    text = pdf_text(login(personas["coordinator"]).get(url("oversight:report", year=YEAR)).content)
    assert "2026年度全区随机抽查工作总结" in text and "区推进职能转变协调小组办公室" in text
    for figure in ("各部门概况", "区交通局", "未公布", "78.95%", year["c"].number):
        assert figure in text, figure


# --- A fixed number of queries ------------------------------------------------------------------


def queries(client, path, cold=True):
    if cold:
        cache.clear()  # the directory's census counts too
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_the_dashboard_makes_a_fixed_number_of_queries(year, departments, personas, login):
    coordinator, alice = login(personas["coordinator"]), login(personas["alice"])
    district, own = url("oversight:dashboard", year=YEAR), url("oversight:dashboard", year=YEAR)
    before = queries(coordinator, district), queries(alice, own)
    # Twice the work: another joint plan drawn and published in part, more history, more departments.
    more = drawn(departments=("SCJGJ", "WJW"), items=("SCJGJ-001", "WJW-001"), starts_on="2026-01-01",
                 scope={"regions": ["500113001"]})
    task = more.tasks.order_by("order").first()
    refused = {"category": "refused", "findings": "拒不配合", "follow_up": "case_transfer"}
    for position in range(task.members.count()):
        user = member(task, position)
        for code in service.items_for(task, user):
            service.save_entry(task, code, {"method": "onsite", "checked": "核查", "category": "no_issue",
                                            "inspected_on": DUE, **(refused if code == "WJW-001" else {})}, user)
    service.submit(task, member(task, 0))
    service.approve(task, personas["henry"])
    for n in range(5):
        Department.objects.create(code=f"D{n}", name=f"部门{n}")
        HistoryRecord.objects.create(entity=Entity.objects.get(uscc=make_uscc(11 + n)), inspected_by=f"D{n}",
                                     item_code="SCJGJ-001", inspected_on=date(2026, 2, 1), result="no_issue")
    assert (queries(coordinator, district), queries(alice, own)) == before
    assert before[0] <= 30
    # Warm, the census and the history's counts come from the cache.
    assert queries(coordinator, district, cold=False) == before[0] - 2


def test_the_census_is_counted_again_when_the_directory_changes(year, departments):
    assert table(build(YEAR, None), "coverage")["合计"][0] == 190
    Entity.objects.create(uscc=make_uscc(999), name="新设主体", entity_type="enterprise", industry="F",
                          region=Entity.objects.first().region, status="active")
    assert table(build(YEAR, None), "coverage")["合计"][0] == 191


def test_the_history_is_counted_again_when_records_are_imported(year, departments):
    assert table(build(YEAR, departments["SCJGJ"]), "share")["其他检查"][0] == 2
    HistoryRecord.objects.create(entity=Entity.objects.get(uscc=make_uscc(13)), inspected_by="SCJGJ",
                                 department=departments["SCJGJ"], item_code="SCJGJ-001",
                                 inspected_on=date(2026, 7, 1), result="no_issue")
    assert table(build(YEAR, departments["SCJGJ"]), "share")["其他检查"][0] == 3


# --- The charts --------------------------------------------------------------------------------


def test_charts_are_accessible_svg_with_escaped_text():
    svg = str(charts.bar_chart([charts.Bar("<b>涉外</b>", 27.27, "27.27%", 10.0)], label="覆盖率 & 最低比例",
                               scale_max=50.0, marker_label="最低比例"))
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="覆盖率 &amp; ')
    assert "<b>" not in svg and "&lt;b&gt;涉外&lt;/b&gt;" in svg and "<title>覆盖率 &amp; 最低比例</title>" in svg
    assert 'stroke-dasharray="3 2"' in svg  # the floor's marker
    donut = str(charts.donut_chart([("随机抽查", 15.0), ("其他检查", 4.0)], label="占比", centre="78.95%"))
    assert donut.count("<circle") == 3 and "15（78.9%）" in donut and "4（21.1%）" in donut
    assert "78.95%" in donut
    line = str(charts.line_chart([("2025", 0.0), ("2026", 78.95)], label="逐年", unit="%", scale_max=100.0))
    assert "<polyline" in line and "78.95%" in line


def test_a_bar_below_its_floor_is_drawn_apart():
    below = str(charts.bar_chart([charts.Bar("一般", 1.75, marker=3.0)], label="x"))
    above = str(charts.bar_chart([charts.Bar("一般", 5.26, marker=3.0)], label="x"))
    assert charts.SHORT in below and charts.SHORT not in above
