"""What the public sees of the results (issue #8 §3; rules.md R3, R7): the search, exports, credit records."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from spotcheck.catalog.models import HistoryRecord
from spotcheck.directory.models import Department, Entity
from spotcheck.inspections.models import Task
from spotcheck.results import credit, service
from spotcheck.results.models import Result
from spotcheck.results.public import credit_record
from tests.conftest import make_uscc, run_command
from tests.test_results import GOOD, drawn, enter_all, head, member

pytestmark = pytest.mark.django_db
THIS_YEAR = timezone.localdate().year
EVERYONE = {"general": {"ratio": "1"}, "foreign": {"ratio": "1"}, "heightened": {"ratio": "1"}}
RESULTS = reverse("public_results:results")


def publish(task: Task, approver, **changes) -> Task:
    """Enter, submit and approve a task's results through the service (published at once)."""
    leader = member(task, 0)
    enter_all(task, leader, **changes)
    service.submit(task, leader)
    return service.approve(task, approver)


def named(task: Task, name: str) -> Entity:
    Entity.objects.filter(pk=task.entity_id).update(name=name)
    return Entity.objects.get(pk=task.entity_id)


@pytest.fixture
def anonymous() -> Client:
    return Client()


@pytest.fixture
def plan(district):
    return drawn(starts_on=f"{THIS_YEAR}-01-01", year=THIS_YEAR)


@pytest.fixture
def world(plan, personas):
    """Three tasks of one plan: one published, one published with a problem, one submitted but not approved."""
    good, bad, waiting, draft = plan.tasks.order_by("order")[:4]
    named(good, "重庆嘉陵良品商贸有限公司")
    named(bad, "重庆长江问题餐饮有限公司")
    named(waiting, "重庆未审待定超市有限公司")
    named(draft, "重庆草稿便利店")
    publish(good, personas["henry"])
    publish(bad, personas["henry"], category="pending_action", findings="未按规定公示年报", follow_up="rectification")
    enter_all(waiting, member(waiting, 0))
    service.submit(waiting, member(waiting, 0))  # entered: awaiting review, not public
    service.save_entry(draft, "SCJGJ-001", {**GOOD, "inspected_on": timezone.localdate().isoformat()},
                       member(draft, 0))  # a draft
    return {"good": good, "bad": bad, "waiting": waiting, "draft": draft}


def rows(response) -> list[dict]:
    return response.context["rows"]


def tasks_of(response) -> set[int]:
    return {r["task_id"] for r in rows(response)}


# --- The search --------------------------------------------------------------------------------


def test_anonymous_visitors_search_published_results_by_name(world, anonymous):
    response = anonymous.get(RESULTS, {"q": "嘉陵良品"})
    assert response.status_code == 200
    assert tasks_of(response) == {world["good"].pk}
    page = response.content.decode()
    assert "重庆嘉陵良品商贸有限公司" in page and "未发现问题" in page and world["good"].plan.number in page
    assert reverse("public_results:entity", args=[world["good"].entity.uscc]) in page
    assert reverse("portal:plan", args=[world["good"].plan_id]) in page
    assert "SCJGJ-001 事项SCJGJ-001" in page  # the item with its name


def test_a_row_names_its_item_as_the_latest_published_list_does(world, anonymous, departments):
    from spotcheck.catalog.models import InspectionItem, ItemList

    item = InspectionItem.objects.filter(code="SCJGJ-001").select_related("item_list").first()
    newer = ItemList.objects.create(department=departments["SCJGJ"], version=item.item_list.version + 1,
                                    status="published")
    InspectionItem.objects.create(item_list=newer, code="SCJGJ-001", name="更名后的事项", subject=item.subject,
                                  content=item.content, methods=item.methods)
    draft = ItemList.objects.create(department=departments["SCJGJ"], version=item.item_list.version + 2,
                                    status="draft")
    InspectionItem.objects.create(item_list=draft, code="SCJGJ-001", name="草稿中的名称", subject=item.subject,
                                  content=item.content, methods=item.methods)
    [row] = rows(anonymous.get(RESULTS, {"q": "嘉陵良品"}))
    assert row["item_name"] == "更名后的事项" and row["correction"] is None


def test_search_by_code_finds_the_entitys_results_in_any_case(world, anonymous):
    code = world["bad"].entity.uscc
    for query in (code, code.lower(), f"  {code} "):
        response = anonymous.get(RESULTS, {"q": query})
        assert tasks_of(response) == {world["bad"].pk}
    page = anonymous.get(RESULTS, {"q": code}).content.decode()
    assert "发现问题待后续处理" in page and "责令改正并跟踪" in page


def test_results_not_yet_published_appear_nowhere_public(world, anonymous):
    response = anonymous.get(RESULTS)
    assert tasks_of(response) == {world["good"].pk, world["bad"].pk}
    for key in ("waiting", "draft"):
        task = world[key]
        name = Entity.objects.get(pk=task.entity_id).name
        assert rows(anonymous.get(RESULTS, {"q": name})) == []
        csv = anonymous.get(reverse("public_results:export", args=["csv"]), {"q": name})
        assert b"".join(csv.streaming_content).decode("utf-8-sig").count("\n") == 1  # the header only
        page = anonymous.get(reverse("public_results:entity", args=[task.entity.uscc])).content.decode()
        assert "暂无已公示的检查结果" in page
        code, out = run_command("credit", task.entity.uscc)
        assert code == 0 and out["results"] == []
    plan_page = anonymous.get(reverse("portal:plan", args=[world["good"].plan_id]))
    selected = {s["entity"]: s["published"] for s in plan_page.context["result"]}
    assert selected[world["waiting"].entity.uscc] == [] and selected[world["draft"].entity.uscc] == []
    assert Result.objects.filter(published_at__isnull=True).count() == 2  # they do exist


def bulk_published(plan, count: int, *, department: Department, category: str = "no_issue",
                   start: int = 0, item: str = "SCJGJ-001") -> list[Result]:
    """Publish ``count`` results on the plan's tasks directly (paging and filters need many)."""
    now = timezone.now()
    tasks = list(plan.tasks.order_by("order")[start:start + count])
    assert len(tasks) == count
    Task.objects.filter(pk__in=[t.pk for t in tasks]).update(status="published", published_at=now)
    return Result.objects.bulk_create([
        Result(task=t, item_code=item, department=department, entity_id=t.entity_id, year=plan.year,
               method="onsite", inspected_on=date(plan.year, 3, 1), checked="核查", category=category,
               follow_up="none" if category == "no_issue" else "daily_supervision",
               findings="" if category == "no_issue" else "问题", published_at=now - timedelta(minutes=n))
        for n, t in enumerate(tasks)])


@pytest.fixture
def many(district, departments):
    """Published results of two years and two departments: 2025's plan for SCJGJ, this year's joint plan."""
    past = drawn(year=THIS_YEAR - 1, strata=EVERYONE, capacity=100, honour_exemptions=False)
    joint = drawn(year=THIS_YEAR, departments=("SCJGJ", "WJW"), items=("SCJGJ-001", "WJW-001"),
                  strata=EVERYONE, capacity=100, honour_exemptions=False)
    bulk_published(past, 60, department=departments["SCJGJ"])
    bulk_published(joint, 7, department=departments["WJW"], category="disclosure_violation", item="WJW-001")
    bulk_published(joint, 5, department=departments["SCJGJ"], category="no_issue", start=7)
    return {"past": past, "joint": joint}


def test_results_are_paged_fifty_a_page_newest_first_with_the_total(many, anonymous):
    first = anonymous.get(RESULTS)
    page = first.context["page"]
    assert page.paginator.count == 72 and len(page) == 50 and page.paginator.num_pages == 2
    stamps = [r["published_at"] for r in rows(first)]
    assert len(stamps) == 50 and stamps == sorted(stamps, reverse=True)
    assert "共 72 条" in first.content.decode()
    second = anonymous.get(RESULTS, {"page": 2})
    assert len(rows(second)) == 22
    assert not {r["pk"] for r in rows(first)} & {r["pk"] for r in rows(second)}
    assert len({r["pk"] for r in rows(first)} | {r["pk"] for r in rows(second)}) == 72


@pytest.mark.parametrize("params, count", [
    ({"department": "WJW"}, 7),
    ({"department": "SCJGJ"}, 65),
    ({"year": str(THIS_YEAR - 1)}, 60),
    ({"year": str(THIS_YEAR)}, 12),
    ({"category": "disclosure_violation"}, 7),
    ({"category": "no_issue", "year": str(THIS_YEAR), "department": "SCJGJ"}, 5),
    ({"category": "refused"}, 0),
])
def test_each_filter_narrows_the_results(many, anonymous, params, count):
    response = anonymous.get(RESULTS, params)
    assert response.context["page"].paginator.count == count
    assert len(rows(response)) == min(count, 50)
    for r in rows(response):
        assert params.get("department", r["department__code"]) == r["department__code"]
        assert int(params.get("year", r["year"])) == r["year"]
        assert params.get("category", r["category"]) == r["category"]


def test_the_filters_keep_what_was_asked_for(many, anonymous):
    page = anonymous.get(RESULTS, {"department": "WJW", "year": str(THIS_YEAR), "category": "no_issue"}).content.decode()
    assert '<option value="WJW" selected>区卫生健康委</option>' in page
    assert f'<option value="{THIS_YEAR}" selected>{THIS_YEAR}</option>' in page
    assert f'<option value="{THIS_YEAR - 1}">' in page
    assert '<option value="no_issue" selected>未发现问题</option>' in page and page.count(" selected>") == 3
    page = anonymous.get(RESULTS, {"department": '"><script>'}).content.decode()
    # No department is chosen (and the value is not echoed); the other lists show 全部.
    assert page.count('<option value="" selected>全部</option>') == 2 and page.count(" selected>") == 2
    assert '"><script>' not in page


def test_the_result_filter_offers_the_chinese_labels(many, anonymous):
    page = anonymous.get(RESULTS).content.decode()
    assert "未按规定公示应当公示的信息" in page and "区卫生健康委" in page


@pytest.mark.parametrize("params, field", [({"year": "abc"}, "year"), ({"category": "bogus"}, "category"),
                                           ({"department": "NOPE"}, "department")])
def test_a_bad_filter_is_named_and_shows_nothing(many, anonymous, params, field):
    response = anonymous.get(RESULTS, params)
    assert response.status_code == 200 and field in response.context["form"].errors
    assert response.context["page"].paginator.count == 0


def test_a_page_takes_the_same_few_queries_however_many_rows_and_counts_once(many, anonymous):
    def queries(params) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            response = anonymous.get(RESULTS, params)
        assert response.status_code == 200
        # (A test runs in a transaction: the name index is read in a savepoint, which a request does not need.)
        return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]

    few = queries({"department": "SCJGJ", "year": str(THIS_YEAR)})  # 5 rows
    full = queries({})  # 50 rows
    named_query = queries({"q": "主体"})
    # The name search looks the entities up first. On PostgreSQL a filtered or named search counts its
    # rows in the page's own query (COUNT(*) OVER ()): one query fewer than the whole list.
    assert len(few) == len(named_query) - 1 == len(full) - (connection.vendor == "postgresql")
    assert "results_public_name" in named_query[2]  # in the name index, not the directory
    assert sum("COUNT(" in sql.upper() for sql in full) == 1
    assert len(full) <= 7


# --- Exports ---------------------------------------------------------------------------------


def test_csv_export_has_a_bom_chinese_headers_and_the_current_filter(many, anonymous):
    response = anonymous.get(reverse("public_results:export", args=["csv"]), {"department": "WJW"})
    assert response.status_code == 200 and response.streaming
    assert "attachment" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("记录编号,统一社会信用代码,市场主体名称,计划编号,检查部门")
    assert len(lines) == 8 and all("区卫生健康委" in line and "未按规定公示应当公示的信息" in line for line in lines[1:])


def test_exports_stay_chinese_in_an_english_page_and_give_codes_with_a_switch(many, anonymous):
    anonymous.cookies["django_language"] = "en"
    url = reverse("public_results:export", args=["csv"])
    chinese = b"".join(anonymous.get(url, {"department": "WJW"}).streaming_content).decode("utf-8-sig").splitlines()
    assert chinese[0].startswith("记录编号") and "未按规定公示应当公示的信息" in chinese[1]
    english = b"".join(anonymous.get(url, {"department": "WJW", "lang": "en"}).streaming_content)
    lines = english.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("id,uscc,name,plan,department") and ",disclosure_violation," in lines[1]
    xlsx = anonymous.get(reverse("public_results:export", args=["xlsx"]), {"department": "WJW"})
    from openpyxl import load_workbook

    assert load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active.title == "检查结果公示"


def test_exports_are_formula_safe(world, anonymous):
    Entity.objects.filter(pk=world["good"].entity_id).update(name="=HYPERLINK(\"http://x\",\"嘉陵\")")
    data = b"".join(anonymous.get(reverse("public_results:export", args=["csv"]),
                                  {"q": world["good"].entity.uscc}).streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in data
    response = anonymous.get(reverse("public_results:export", args=["xlsx"]), {"q": world["good"].entity.uscc})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("记录编号", "统一社会信用代码", "市场主体名称")
    assert values[1][2] == "'=HYPERLINK(\"http://x\",\"嘉陵\")" and values[1][8] == "未发现问题"
    assert len(values) == 2


def test_an_unknown_export_format_is_not_found(world, anonymous):
    assert anonymous.get(reverse("public_results:export", args=["pdf"])).status_code == 404


# --- Corrections -----------------------------------------------------------------------------


def test_a_correction_is_shown_with_its_reason_and_both_stay_public(world, anonymous, personas):
    old = world["good"].results.get()
    new = service.correct(old, {**GOOD, "inspected_on": old.inspected_on, "category": "disclosure_violation",
                                "findings": "年报未公示", "follow_up": "rectification"}, personas["henry"],
                          "复核发现原记录录入错误")
    response = anonymous.get(RESULTS, {"q": "嘉陵良品"})
    assert [r["pk"] for r in rows(response)] == [new.pk, old.pk]
    page = response.content.decode()
    credit_url = reverse("public_results:entity", args=[old.entity.uscc])
    assert "复核发现原记录录入错误" in page and f"{credit_url}#result-{old.pk}" in page
    assert f"{credit_url}#result-{new.pk}" in page  # the original points to its correction
    entity_page = anonymous.get(credit_url).content.decode()
    assert f'id="result-{old.pk}"' in entity_page and f'id="result-{new.pk}"' in entity_page
    assert f'href="#result-{old.pk}"' in entity_page and "复核发现原记录录入错误" in entity_page
    code, out = run_command("credit", old.entity.uscc)
    assert [(r["id"], r["corrects"]) for r in out["results"]] == [(new.pk, old.pk), (old.pk, None)]


# --- The credit record -----------------------------------------------------------------------


def test_the_credit_page_lists_results_and_the_follow_up_done(world, anonymous, personas):
    task = world["bad"]
    service.record_follow_up(task, personas["alice"], action="责令限期改正，已补报年报",
                             done_on=timezone.localdate(), done_by="李执法")
    entity = Entity.objects.select_related("region").get(pk=task.entity_id)
    response = anonymous.get(reverse("public_results:entity", args=[entity.uscc.lower()]))
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("信用记录", entity.name, entity.uscc, entity.region.name, "企业", "存续", task.plan.number,
                 "区市场监管局", "SCJGJ-001", "发现问题待后续处理", "责令改正并跟踪", "处置完成",
                 "责令限期改正，已补报年报", "不免于随机抽查"):
        assert text in page, text


def test_an_unknown_code_is_a_404_page(db, anonymous):
    response = anonymous.get(reverse("public_results:entity", args=[make_uscc(99999)]))
    assert response.status_code == 404 and "未找到" in response.content.decode()


def three_good_years(district, departments, personas, *, abnormal=False):
    """Imported history two and three years ago, and a published good result last year: exempt this year."""
    plan = drawn(year=THIS_YEAR - 1, strata=EVERYONE, capacity=100, honour_exemptions=False)
    task = plan.tasks.order_by("order").first()
    Entity.objects.filter(pk=task.entity_id).update(abnormal=abnormal)
    for year in (THIS_YEAR - 3, THIS_YEAR - 2):
        HistoryRecord.objects.create(entity=task.entity, inspected_by="SCJGJ", department=departments["SCJGJ"],
                                     item_code="SCJGJ-001", inspected_on=date(year, 6, 1), result="no_issue")
    return task


def test_three_good_years_across_history_and_published_results_exempt_the_next_year(district, departments,
                                                                                   personas, anonymous):
    task = three_good_years(district, departments, personas)
    code = task.entity.uscc
    assert run_command("credit", code)[1]["exempt_until"] is None  # last year's result is not published yet
    publish(task, personas["henry"], inspected_on=f"{THIS_YEAR - 1}-06-01")
    out = run_command("credit", code)[1]
    assert out["exempt_until"] == THIS_YEAR and out["exempt_for_departments"] == ["SCJGJ"]
    page = anonymous.get(reverse("public_results:entity", args=[code])).content.decode()
    assert f"{THIS_YEAR}年度免于随机抽查" in page and "区市场监管局" in page
    assert "只计算抽查计划所属部门自己的检查" in page
    # An imported problem in one of the three years takes it away.
    HistoryRecord.objects.create(entity=task.entity, inspected_by="SCJGJ", department=departments["SCJGJ"],
                                 item_code="SCJGJ-002", inspected_on=date(THIS_YEAR - 2, 9, 1), result="corrected")
    assert run_command("credit", code)[1]["exempt_until"] is None
    assert "有“未发现问题”以外的结果" in anonymous.get(reverse("public_results:entity", args=[code])).content.decode()


def test_a_correction_to_a_problem_takes_the_exemption_away(district, departments, personas):
    task = three_good_years(district, departments, personas)
    publish(task, personas["henry"], inspected_on=f"{THIS_YEAR - 1}-06-01")
    assert credit_record(task.entity).exemption.until == THIS_YEAR
    service.correct(task.results.get(), {**GOOD, "inspected_on": f"{THIS_YEAR - 1}-06-01", "category": "corrected",
                                         "findings": "x", "follow_up": "none"}, personas["henry"], "复核发现问题")
    assert credit_record(task.entity).exemption.until is None


def test_a_heightened_entity_is_never_exempt(district, departments, personas, anonymous):
    task = three_good_years(district, departments, personas, abnormal=True)
    publish(task, personas["henry"], inspected_on=f"{THIS_YEAR - 1}-06-01")
    record = credit_record(Entity.objects.get(pk=task.entity_id))
    assert record.heightened and record.exemption.until is None and record.exemption.reason == credit.HEIGHTENED
    page = anonymous.get(reverse("public_results:entity", args=[task.entity.uscc])).content.decode()
    assert "不适用免检" in page


def test_the_exemption_rule_over_plain_data():
    own = {"SCJGJ", "WJW"}
    good = [credit.Inspected(2023, "SCJGJ", "no_issue"), credit.Inspected(2024, "WJW", "no_issue"),
            credit.Inspected(2025, "SCJGJ", "no_issue")]

    def rule(inspections, this_year=2026, heightened=False):
        return credit.exemption(inspections, heightened=heightened, this_year=this_year, departments=own)

    found = rule(good)
    assert found.until == 2026 and found.years == (2023, 2024, 2025) and found.departments == ("SCJGJ", "WJW")
    assert found.by_year == {2023: ("SCJGJ",), 2024: ("WJW",), 2025: ("SCJGJ",)}
    assert rule(good, this_year=2025).until == 2026  # shown ahead of its year
    assert rule(good, this_year=2027).reason == credit.PAST
    assert rule(good, heightened=True).reason == credit.HEIGHTENED
    assert rule(good[1:]).reason == credit.GAP
    assert rule([*good, credit.Inspected(2024, "SCJGJ", "no_activity")]).reason == credit.PROBLEM
    assert rule([*good, credit.Inspected(2022, "SCJGJ", "corrected")]).until == 2026  # before the three years
    # Only the last three years count: a later inspection starts a new run.
    assert rule([*good, credit.Inspected(2026, "SCJGJ", "no_issue")]).until == 2027
    assert rule([*good, credit.Inspected(2027, "SCJGJ", "no_issue")]).reason == credit.GAP
    # An outside agency's inspection is no plan's: it neither fills a year nor spoils one.
    assert rule([*good[:2], credit.Inspected(2025, "区外某检测中心", "no_issue")]).years == (2022, 2023, 2024)
    assert rule([*good, credit.Inspected(2025, "区外某检测中心", "corrected")]).until == 2026
    assert rule([]).reason == credit.NO_INSPECTIONS


# --- The plan's public page ------------------------------------------------------------------


def test_the_plan_page_shows_each_drawn_entitys_result_once_published(world, anonymous):
    response = anonymous.get(reverse("portal:plan", args=[world["good"].plan_id]))
    page = response.content.decode()
    assert "<th>检查结果</th>" in page
    published = {s["entity"]: [r.category for r in s["published"]] for s in response.context["result"]}
    assert published[world["good"].entity.uscc] == ["no_issue"]
    assert published[world["bad"].entity.uscc] == ["pending_action"]
    assert "发现问题待后续处理" in page
    assert sum(1 for s in response.context["result"] if not s["published"]) == len(published) - 2
    assert '<td data-label="检查结果">—</td></tr>' in page


def test_the_portal_index_links_to_the_published_results(db, anonymous):
    assert RESULTS in anonymous.get(reverse("portal:index")).content.decode()


# --- The credit command ----------------------------------------------------------------------


def test_the_credit_command_prints_the_record_as_json(world, personas):
    task = world["bad"]
    service.record_follow_up(task, personas["alice"], action="已整改", done_on=timezone.localdate())
    code, out = run_command("credit", task.entity.uscc.lower())
    assert code == 0
    assert set(out) >= {"entity", "name", "results", "exempt_until"}
    assert out["entity"] == task.entity.uscc and out["name"] == "重庆长江问题餐饮有限公司"
    result = task.results.get()
    assert out["results"] == [{
        "id": result.pk, "plan": task.plan.number, "department": "SCJGJ", "item": "SCJGJ-001",
        "inspected_on": result.inspected_on.isoformat(), "result": "pending_action", "follow_up": "rectification",
        "published_at": timezone.localtime(result.published_at).date().isoformat(), "corrects": None,
        "correction_reason": None, "follow_up_done": [{"done_on": timezone.localdate().isoformat(),
                                                      "action": "已整改"}]}]
    assert out["exempt_until"] is None


def test_the_credit_command_reads_in_chinese_and_refuses_an_unknown_code(world, capsys):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("credit", world["good"].entity.uscc, stdout=out)
    text = out.getvalue()
    assert "信用记录" in text and "未发现问题" in text and world["good"].plan.number in text
    code, data = run_command("credit", make_uscc(99999))
    assert code == 1 and "没有统一社会信用代码" in data["error"]


def test_logged_in_users_see_the_same_public_search(world, departments, login):
    response = login(head(departments["WJW"])).get(RESULTS)
    assert tasks_of(response) == {world["good"].pk, world["bad"].pk}


# --- Publishing many tasks at once -------------------------------------------------------------


def test_approve_many_publishes_each_task_with_its_audit_entries(plan, personas, departments):
    from spotcheck.audit.models import AuditEntry

    tasks = list(plan.tasks.order_by("order")[:3])
    for task in tasks:
        enter_all(task, member(task, 0))
        service.submit(task, member(task, 0))
    with pytest.raises(service.ResultRefused) as refused:  # not a head of the lead department
        service.approve_many(tasks, head(departments["WJW"]))
    assert refused.value.status == 403
    pending = plan.tasks.order_by("order")[3]
    with pytest.raises(service.ResultRefused):  # one task not submitted: nothing is approved
        service.approve_many([*tasks, pending], personas["henry"])
    assert not Result.objects.filter(published_at__isnull=False).exists()
    assert service.approve_many(tasks, personas["henry"], batch=2) == 3
    assert set(Task.objects.filter(pk__in=[t.pk for t in tasks]).values_list("status", flat=True)) == {"published"}
    assert Result.objects.filter(task__in=tasks, published_at__isnull=True).count() == 0
    for task in tasks:
        actions = list(AuditEntry.objects.filter(object_type="task", object_id=str(task.pk))
                       .values_list("action", flat=True))
        assert actions[-2:] == ["result_approve", "result_publish"]


# --- The name index of the search -------------------------------------------------------------


# With a department and a year, on PostgreSQL, a fragment is tested on each result's own copy of the name
# (FEW_NAMES 0: whatever the number of names); the copy must follow publication and renames as the index does.
@pytest.mark.parametrize("filters", [{}, {"department": "SCJGJ", "year": str(THIS_YEAR)}])
def test_the_name_index_follows_publication_and_renames(world, anonymous, personas, monkeypatch, filters):
    from spotcheck.results import name_search, public

    monkeypatch.setattr(public, "FEW_NAMES", 0)
    good = world["good"]
    assert set(name_search.entity_ids("嘉陵良品", 10)) == {good.entity_id}
    assert tasks_of(anonymous.get(RESULTS, {"q": "嘉陵良品", **filters})) == {good.pk}
    assert name_search.entity_ids("未审待定", 10) == []  # submitted, not published: not indexed
    assert tasks_of(anonymous.get(RESULTS, {"q": "未审待定", **filters})) == set()
    Entity.objects.filter(pk=good.entity_id).update(name="重庆渝南新名商贸有限公司")  # renamed in the directory
    assert tasks_of(anonymous.get(RESULTS, {"q": "渝南新名", **filters})) == {good.pk}
    assert tasks_of(anonymous.get(RESULTS, {"q": "嘉陵良品", **filters})) == set()
    entity = Entity.objects.get(pk=good.entity_id)
    entity.name = "重庆再次改名商贸有限公司"
    entity.save()
    assert tasks_of(anonymous.get(RESULTS, {"q": "再次改名", **filters})) == {good.pk}
    # Published later, under its new name: the waiting task's result is found by it.
    named(world["waiting"], "重庆后来公示超市有限公司")
    service.approve(world["waiting"], personas["henry"])
    assert tasks_of(anonymous.get(RESULTS, {"q": "后来公示", **filters})) == {world["waiting"].pk}


def test_a_migrate_copies_the_name_onto_each_published_result(world):
    if connection.vendor != "postgresql":
        pytest.skip("the copy of the name on the result is PostgreSQL's (SQLite searches its FTS5 index)")
    from spotcheck.results import name_search

    good = world["good"]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE results_result SET public_name = NULL")
        cursor.execute("SELECT public_name FROM results_result WHERE task_id = %s", [good.pk])
        assert cursor.fetchone() == (None,)
        assert name_search.ensure()
        cursor.execute("SELECT DISTINCT public_name FROM results_result WHERE published_at IS NOT NULL"
                       " AND task_id = %s", [good.pk])
        assert cursor.fetchall() == [("重庆嘉陵良品商贸有限公司",)]
        cursor.execute("SELECT count(*) FROM results_result WHERE published_at IS NULL AND public_name IS NOT NULL")
        assert cursor.fetchone() == (0,)  # not published: no copy


@pytest.mark.parametrize("fragment", ["长", "长江", "长江问题", "问题餐饮有限"])
def test_fragments_of_any_length_find_the_name(world, anonymous, fragment):
    assert tasks_of(anonymous.get(RESULTS, {"q": fragment})) == {world["bad"].pk}


def test_the_search_reads_the_directory_when_the_name_index_is_missing(world, anonymous, monkeypatch):
    from spotcheck.results import name_search

    monkeypatch.setattr(name_search, "entity_ids", lambda *args, **kwargs: None)
    assert tasks_of(anonymous.get(RESULTS, {"q": "嘉陵良品"})) == {world["good"].pk}
    assert tasks_of(anonymous.get(RESULTS, {"q": "未审待定"})) == set()


def test_a_migrate_rebuilds_the_name_index(world):
    from django.db import connection

    from spotcheck.results import name_search

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM results_public_name")
    assert name_search.entity_ids("嘉陵良品", 10) == []
    assert name_search.ensure()
    assert name_search.entity_ids("嘉陵良品", 10) == [world["good"].entity_id]


@pytest.mark.parametrize("fragment, found", [("ABC科技", True), ("（巴南）", True), ("C科", True), ("技（巴", True),
                                             ("巴南）有", True), ("ABC（", False), ("科技巴南", False)])
def test_fragments_with_latin_letters_and_brackets_match_exactly(world, anonymous, fragment, found):
    Entity.objects.filter(pk=world["good"].entity_id).update(name="重庆ABC科技（巴南）有限公司")
    assert tasks_of(anonymous.get(RESULTS, {"q": fragment})) == ({world["good"].pk} if found else set())


@pytest.mark.parametrize("limit", [1000, 1])
def test_a_fragment_of_many_names_is_searched_by_a_join(many, anonymous, monkeypatch, limit):
    from spotcheck.results import public

    monkeypatch.setattr(public, "ID_LIST_LIMIT", limit)  # 1: every fragment counts as common
    response = anonymous.get(RESULTS, {"q": "主体"})
    assert response.context["page"].paginator.count == 72
    assert tasks_of(anonymous.get(RESULTS, {"q": "主体", "department": "WJW"})) == set(
        Result.objects.filter(department__code="WJW").values_list("task_id", flat=True))
    # With a department and a year, each of their results has its name checked (on PostgreSQL).
    expected = set(Result.objects.filter(department__code="SCJGJ", year=THIS_YEAR).values_list("task_id", flat=True))
    assert expected and tasks_of(anonymous.get(RESULTS, {"q": "主体", "department": "SCJGJ", "year": THIS_YEAR})) \
        == expected
    assert tasks_of(anonymous.get(RESULTS, {"q": "体主", "department": "SCJGJ", "year": THIS_YEAR})) == set()


@pytest.mark.parametrize("params", [{"department": "SCJGJ"}, {"q": "主体"}, {"q": "主体", "department": "WJW"}, {}])
def test_a_page_past_the_end_shows_the_last_page_with_the_right_count(many, anonymous, params):
    response = anonymous.get(RESULTS, params)
    first = response.context["page"]
    stamps = [(r["published_at"], r["pk"]) for r in rows(response)]
    assert stamps == sorted(stamps, reverse=True)  # newest first, however the page was found
    last = anonymous.get(RESULTS, {**params, "page": "999"}).context["page"]
    assert last.number == first.paginator.num_pages == last.paginator.num_pages
    assert last.paginator.count == first.paginator.count > 0
    assert len(last.object_list) == first.paginator.count - (last.number - 1) * 50
    assert anonymous.get(RESULTS, {**params, "page": "x"}).context["page"].number == 1


def test_a_fragment_of_many_names_is_counted_from_the_index_and_stays_right(world, anonymous, monkeypatch, personas):
    from spotcheck.results import name_search, public

    monkeypatch.setattr(public, "ID_LIST_LIMIT", 0)  # every fragment counts as common
    assert anonymous.get(RESULTS, {"q": "重庆"}).context["page"].paginator.count == 2
    old = world["good"].results.get()
    service.correct(old, {**GOOD, "inspected_on": old.inspected_on}, personas["henry"], "更正检查内容")
    assert name_search.published_count("重庆") == 3 == anonymous.get(RESULTS, {"q": "重庆"}).context["page"].paginator.count
    assert name_search.published_count("嘉陵良品") == 2 and name_search.published_count("未审待定") == 0


def test_every_value_of_the_table_is_escaped(world, anonymous):
    Entity.objects.filter(pk=world["good"].entity_id).update(name='重庆<script>alert("x")</script>商贸')
    page = anonymous.get(RESULTS, {"q": world["good"].entity.uscc}).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
