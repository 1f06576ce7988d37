"""The results sheet (检查结果表; issue #8 §1, spec/interfaces.md): template, import, review, export, web.

Every file here is a real file: the template is written by the command, filled
by the test (openpyxl, or csv in UTF-8 and GB18030) and imported back.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from spotcheck.accounts.models import Role, User
from spotcheck.audit.models import AuditEntry
from spotcheck.directory.models import Inspector
from spotcheck.inspections.models import Task
from spotcheck.results import service
from spotcheck.results.models import Category, Result
from spotcheck.results.sheet import HEADERS, KEYS, import_sheet
from tests.conftest import run_command
from tests.test_results import GOOD, drawn, member

pytestmark = pytest.mark.django_db
ITEMS = ("SCJGJ-001", "SCJGJ-002")
Z = HEADERS  # English key → Chinese header


def today_in(plan) -> str:
    return min(timezone.localdate(), plan.ends_on).isoformat()


@pytest.fixture
def plan(district):
    return drawn(items=ITEMS, starts_on="2026-01-01", ends_on="2026-12-31")


# --- Files ----------------------------------------------------------------------------------


def template_file(tmp_path: Path, plan, ext: str, *extra: str) -> Path:
    path = tmp_path / f"template-{plan.pk}.{ext}"
    code, out = run_command("results_template", str(plan.pk), "--out", str(path), *extra)
    assert code == 0, out
    return path


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig")))
    header = next(reader)
    return header, [dict(zip(header, row, strict=True)) for row in reader]


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    path.write_bytes(text.getvalue().encode(encoding))
    return path


def good(plan, **changes: str) -> dict[str, str]:
    """A complete, good result in the sheet's Chinese columns (Chinese texts for the choices)."""
    values = {"method": "实地核查", "inspected_on": today_in(plan), "checked": "核查经营场所和公示信息",
              "findings": "", "result": "未发现问题", "follow_up": "", "inspectors": "", **changes}
    return {Z[k]: v for k, v in values.items()}


def filled_csv(tmp_path: Path, plan, encoding: str = "utf-8") -> tuple[Path, list[str], list[dict[str, str]]]:
    header, rows = read_csv(template_file(tmp_path, plan, "csv"))
    for row in rows:
        row.update(good(plan))
    return write_csv(tmp_path / "filled.csv", header, rows, encoding), header, rows


def state() -> tuple:
    """What an import may change: the results, the audit log, the tasks' states."""
    return (Result.objects.count(), AuditEntry.objects.count(),
            tuple(Task.objects.order_by("pk").values_list("pk", "status")))


def tasks_of(plan) -> list[Task]:
    return list(plan.tasks.order_by("order"))


# --- The template ---------------------------------------------------------------------------


def test_the_xlsx_template_has_one_row_per_task_and_item_and_the_allowed_codes(tmp_path, plan):
    book = load_workbook(template_file(tmp_path, plan, "xlsx"))
    assert book.sheetnames == ["检查结果表", "填写说明"]
    sheet = book["检查结果表"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [Z[k] for k in KEYS]
    tasks = tasks_of(plan)
    assert len(rows) - 1 == len(tasks) * len(ITEMS)
    first = dict(zip(KEYS, rows[1], strict=True))
    assert (first["task"], first["code"], first["name"], first["item"]) == (
        tasks[0].order, tasks[0].entity.uscc, tasks[0].entity.name, "SCJGJ-001")
    assert all(v in (None, "") for row in rows[1:] for v in row[4:])  # results empty
    assert sheet.column_dimensions["B"].width >= 20 and sheet.column_dimensions["G"].width >= 30
    help_cells = {str(v) for row in book["填写说明"].iter_rows(values_only=True) for v in row if v}
    assert {"onsite", "实地核查", "no_issue", "未发现问题", "pending_action", "发现问题待后续处理",
            "rectification", "责令改正并跟踪", plan.number} <= help_cells
    # Drop-down lists of the Chinese texts for method, result and follow-up, read from 填写说明.
    lists = {}
    for validation in sheet.data_validations.dataValidation:
        cells = validation.formula1.split("!")[1].replace("$", "")
        lists[str(validation.sqref).split(":")[0][0]] = [c.value for row in book["填写说明"][cells] for c in row]
    assert lists["I"] == [str(label) for label in Category.labels]
    assert lists["E"][:2] == ["书面检查", "实地核查"] and lists["J"][0] == "无需后续处置"
    leader = tasks[0].members.get(position=0).inspector
    assert any(leader.cert_no in cell for cell in help_cells)  # each task's team, leader first


def test_the_csv_template_is_utf8_with_bom_and_may_use_english_keys(tmp_path, plan):
    data = template_file(tmp_path, plan, "csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "任务编号".encode() in data
    header, rows = read_csv(template_file(tmp_path, plan, "csv", "--english"))
    assert header == KEYS and len(rows) == plan.tasks.count() * len(ITEMS)


def test_the_template_leaves_out_tasks_that_are_no_longer_open(tmp_path, plan):
    first = tasks_of(plan)[0]
    Task.objects.filter(pk=first.pk).update(status="published")
    _, rows = read_csv(template_file(tmp_path, plan, "csv"))
    assert str(first.order) not in {r[Z["task"]] for r in rows}
    assert len(rows) == (plan.tasks.count() - 1) * len(ITEMS)


def test_a_template_needs_a_drawn_plan_and_a_known_file_type(tmp_path, district):
    from tests.conftest import approved_plan

    undrawn = approved_plan()
    code, out = run_command("results_template", str(undrawn.pk), "--out", str(tmp_path / "t.xlsx"))
    assert code == 1 and "尚未抽取" in out["error"]
    code, out = run_command("results_template", "no-such-plan", "--out", str(tmp_path / "t.xlsx"))
    assert code == 1
    code, out = run_command("results_template", str(undrawn.pk), "--out", str(tmp_path / "t.pdf"))
    assert code == 1 and ".xlsx" in out["error"]


# --- A good sheet -----------------------------------------------------------------------------


def test_a_filled_xlsx_is_entered_and_every_task_submitted(tmp_path, plan):
    path = template_file(tmp_path, plan, "xlsx")
    book = load_workbook(path)
    sheet = book["检查结果表"]
    columns = {cell.value: cell.column for cell in sheet[1]}
    for r in range(2, sheet.max_row + 1):
        for header, value in good(plan).items():
            sheet.cell(r, columns[header], value)
    sheet.cell(2, columns[Z["inspected_on"]], date.fromisoformat(today_in(plan)))  # a real date cell
    book.save(path)
    before = AuditEntry.objects.count()
    code, out = run_command("import_results", str(plan.pk), str(path))
    tasks = tasks_of(plan)
    assert code == 0, out
    assert out == {"entered": len(tasks) * len(ITEMS), "tasks": len(tasks)}
    assert {t.status for t in plan.tasks.all()} == {"entered"}
    result = Result.objects.get(task=tasks[0], item_code="SCJGJ-001")
    assert (result.method, result.category, result.follow_up) == ("onsite", "no_issue", "none")
    assert result.inspectors == list(tasks[0].members.values_list("inspector__cert_no", flat=True))
    assert result.entered_by.startswith("cli:") and tasks[0].submitted_by.startswith("cli:")
    actions = list(AuditEntry.objects.filter(seq__gt=before).values_list("action", flat=True))
    assert actions.count("result_enter") == len(tasks) * len(ITEMS)
    assert actions.count("result_submit") == len(tasks) and actions[-1] == "results_import"


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_csv_with_chinese_headers_and_chinese_texts_is_entered(tmp_path, plan, encoding):
    header, rows = read_csv(template_file(tmp_path, plan, "csv"))
    task = tasks_of(plan)[0]
    team = list(task.members.order_by("position").values_list("inspector__cert_no", flat=True))
    for row in rows:
        row.update(good(plan))
    rows[0].update(good(plan, method="书面检查", result="发现问题已责令改正", findings="未按规定公示年度报告",
                        follow_up="责令改正并跟踪", inspectors="；".join(team)))
    path = write_csv(tmp_path / f"filled-{encoding}.csv", header, rows, encoding)
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")
    code, out = run_command("import_results", plan.number, str(path))
    assert code == 0, out
    result = Result.objects.get(task=task, item_code=rows[0][Z["item"]])
    assert (result.method, result.category, result.follow_up) == ("written", "corrected", "rectification")
    assert result.findings == "未按规定公示年度报告" and result.inspectors == team


def test_results_entered_from_the_sheet_replace_the_teams_drafts(tmp_path, plan):
    task = tasks_of(plan)[0]
    service.save_entry(task, "SCJGJ-001", {"method": "onsite", "checked": "草稿"}, member(task, 0))
    path, _, _ = filled_csv(tmp_path, plan)
    assert run_command("import_results", str(plan.pk), str(path))[0] == 0
    assert Result.objects.get(task=task, item_code="SCJGJ-001").checked == "核查经营场所和公示信息"
    assert Result.objects.filter(task=task).count() == len(ITEMS)


def test_a_joint_plans_sheet_enters_each_departments_items(tmp_path, district):
    joint = drawn(departments=("SCJGJ", "WJW"), items=("SCJGJ-001", "WJW-001"), starts_on="2026-01-01",
                  ends_on="2026-12-31")
    path, _, rows = filled_csv(tmp_path, joint)
    assert {r[Z["item"]] for r in rows} == {"SCJGJ-001", "WJW-001"}
    code, out = run_command("import_results", str(joint.pk), str(path))
    assert code == 0 and out["tasks"] == joint.tasks.count()
    assert dict(Result.objects.values_list("item_code", "department__code").distinct()) == {
        "SCJGJ-001": "SCJGJ", "WJW-001": "WJW"}


# --- Bad sheets: each refused with its row number, nothing changed -----------------------------


def other_plans_row(plan, header, rows, tmp_path):
    other = drawn(items=ITEMS, starts_on="2026-01-01", ends_on="2026-12-31", name="另一个计划")
    _, theirs = read_csv(template_file(tmp_path, other, "csv"))
    stranger = next(r for r in theirs if r[Z["code"]] not in {row[Z["code"]] for row in rows})
    stranger.update(good(plan))
    rows.append(stranger)
    return len(rows) + 1, "task", f"计划{other.number}"


def unknown_item(plan, header, rows, tmp_path):
    rows[2][Z["item"]] = "SCJGJ-999"
    return 4, "item", "不在本计划的抽查事项中"


def inspector_not_on_the_team(plan, header, rows, tmp_path):
    Inspector.objects.create(cert_no="S099", name="局外人", department=plan.lead_department,
                             cert_expires_on=date(2030, 1, 1))
    rows[1][Z["inspectors"]] = "S099"
    return 3, "inspectors", "不是本任务检查组成员：S099"


def problem_without_follow_up(plan, header, rows, tmp_path):
    rows[3].update(good(plan, result="pending_action", findings="未亮照经营"))
    return 5, "follow_up", "须选择后续处置"


def problem_without_findings(plan, header, rows, tmp_path):
    rows[3].update(good(plan, result="发现其他违法违规行为", follow_up="case_transfer"))
    return 5, "findings", "须写明检查发现"


def date_before_the_plan(plan, header, rows, tmp_path):
    rows[0][Z["inspected_on"]] = "2025-12-31"
    return 2, "inspected_on", "不在计划的实施期间"


def date_in_the_future(plan, header, rows, tmp_path):
    rows[0][Z["inspected_on"]] = (timezone.localdate() + timedelta(days=1)).isoformat()
    return 2, "inspected_on", "晚于今天"


def date_not_a_date(plan, header, rows, tmp_path):
    rows[0][Z["inspected_on"]] = "2026/5/1"
    return 2, "inspected_on", "日期无效"


def method_not_the_items(plan, header, rows, tmp_path):
    rows[0][Z["method"]] = "网络监测"
    return 2, "method", "不是该事项的抽查方式"


def result_not_a_category(plan, header, rows, tmp_path):
    rows[1][Z["result"]] = "良好"
    return 3, "result", "未知的检查结果“良好”"


def result_empty(plan, header, rows, tmp_path):
    rows[1][Z["result"]] = ""
    return 3, "result", "请填写检查结果"


def checked_empty(plan, header, rows, tmp_path):
    rows[1][Z["checked"]] = ""
    return 3, "checked", "请填写检查内容"


def code_of_another_entity(plan, header, rows, tmp_path):
    rows[0][Z["code"]] = rows[2][Z["code"]]
    return 2, "code", "不是第1号任务的被检查主体"


def unknown_task_number(plan, header, rows, tmp_path):
    rows[0][Z["task"]] = "999"
    rows[0][Z["code"]] = "91500113000000000X"
    return 2, "task", "本计划没有第999号任务"


def task_with_an_item_missing(plan, header, rows, tmp_path):
    del rows[1]  # the first task's SCJGJ-002
    return 2, "item", "第1号任务缺少事项SCJGJ-002的行"


def repeated_row(plan, header, rows, tmp_path):
    rows.insert(1, dict(rows[0]))
    return 3, "item", "与第2行重复"


def task_already_published(plan, header, rows, tmp_path):
    task = tasks_of(plan)[0]
    leader = member(task, 0)
    for code in ITEMS:
        service.save_entry(task, code, {**GOOD, "inspected_on": today_in(plan)}, leader)
    service.submit(task, leader)
    service.approve(task, User.objects.get(username="henry"))
    return 2, "task", "已审核公示"


def unknown_column(plan, header, rows, tmp_path):
    header.append("备注")
    rows[0]["备注"] = "x"
    return 1, "备注", "未知的列"


BAD = [other_plans_row, unknown_item, inspector_not_on_the_team, problem_without_follow_up,
       problem_without_findings, date_before_the_plan, date_in_the_future, date_not_a_date, method_not_the_items,
       result_not_a_category, result_empty, checked_empty, code_of_another_entity, unknown_task_number,
       task_with_an_item_missing, repeated_row, task_already_published, unknown_column]


@pytest.mark.parametrize("spoil", BAD, ids=[f.__name__ for f in BAD])
def test_a_bad_row_refuses_the_whole_sheet(tmp_path, plan, personas, spoil):
    header, rows = read_csv(template_file(tmp_path, plan, "csv"))
    for row in rows:
        row.update(good(plan))
    row_number, column, reason = spoil(plan, header, rows, tmp_path)
    path = write_csv(tmp_path / "bad.csv", header, rows)
    before = state()
    code, out = run_command("import_results", str(plan.pk), str(path))
    assert code == 1
    assert "未录入任何数据" in out["error"]
    found = [e for e in out["errors"] if e["row"] == row_number and e["column"] == column]
    assert found and reason in found[0]["message"], out["errors"]
    assert state() == before  # nothing entered, no audit entry


@pytest.mark.parametrize("status, reason", [("entered", "已提交审核"), ("approved", "已审核公示"),
                                            ("archived", "已归档"), ("cancelled", "已取消")])
def test_a_task_no_longer_open_refuses_the_sheet(tmp_path, plan, status, reason):
    path, _, _ = filled_csv(tmp_path, plan)
    task = tasks_of(plan)[1]
    Task.objects.filter(pk=task.pk).update(status=status)
    before = state()
    code, out = run_command("import_results", str(plan.pk), str(path))
    assert code == 1 and state() == before
    rows = {e["row"] for e in out["errors"] if e["column"] == "task" and reason in e["message"]}
    assert rows == {4, 5}  # both rows of the second task


def test_every_bad_row_is_listed_with_its_number(tmp_path, plan):
    header, rows = read_csv(template_file(tmp_path, plan, "csv"))
    for row in rows:
        row.update(good(plan))
    rows[0][Z["result"]] = "x"
    rows[-1][Z["inspected_on"]] = "2025-01-01"
    path = write_csv(tmp_path / "bad.csv", header, rows, "gb18030")
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("import_results", str(plan.pk), str(path), stdout=out, stderr=out)
    assert exit_.value.code == 1
    text = out.getvalue()
    assert "row 2, result:" in text and f"row {len(rows) + 1}, inspected_on:" in text
    assert not Result.objects.exists()


def test_a_bad_xlsx_is_refused_too(tmp_path, plan):
    path = template_file(tmp_path, plan, "xlsx")
    book = load_workbook(path)
    sheet = book["检查结果表"]
    columns = {cell.value: cell.column for cell in sheet[1]}
    for r in range(2, sheet.max_row + 1):
        for header, value in good(plan).items():
            sheet.cell(r, columns[header], value)
    sheet.cell(3, columns[Z["result"]], "发现问题待后续处理")
    sheet.cell(3, columns[Z["findings"]], "未按规定亮照经营")
    book.save(path)
    before = state()
    code, out = run_command("import_results", str(plan.pk), str(path))
    assert code == 1 and state() == before
    assert [(e["row"], e["column"]) for e in out["errors"]] == [(3, "follow_up")]


def test_an_empty_or_unreadable_file_is_refused(tmp_path, plan):
    header, _ = read_csv(template_file(tmp_path, plan, "csv"))
    code, out = run_command("import_results", str(plan.pk), str(write_csv(tmp_path / "e.csv", header, [])))
    assert code == 1 and out["errors"][0]["row"] == 1
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 not really a workbook")
    code, out = run_command("import_results", str(plan.pk), str(junk))
    assert code == 1 and out["errors"][0]["column"] == "file"
    code, out = run_command("import_results", str(plan.pk), str(tmp_path / "missing.csv"))
    assert code == 1 and "找不到文件" in out["error"]


def test_the_service_enters_a_tasks_rows_together_and_only_for_those_who_may(plan, personas):
    """service.enter_sheet_results re-checks what the sheet checked: under the task's lock, all or nothing."""
    task = tasks_of(plan)[0]
    row = {**GOOD, "inspected_on": today_in(plan)}
    before = state()
    with pytest.raises(service.ResultRefused) as refused:
        service.enter_sheet_results(task, {"SCJGJ-001": row}, None)
    assert refused.value.errors == {"SCJGJ-002": "缺少该事项（一个任务的各事项须一并录入）"}
    with pytest.raises(service.ResultRefused) as refused:
        service.enter_sheet_results(task, {"SCJGJ-001": row, "SCJGJ-002": {**row, "category": ""}}, None)
    assert "请填写检查结果" in refused.value.errors["SCJGJ-002"]
    for who in (member(task, 1), personas["olga"], User.objects.create(username="h2", role=Role.DEPT_HEAD,
                                                                       department=personas["olga"].department)):
        with pytest.raises(service.ResultRefused) as refused:
            service.enter_sheet_results(task, {"SCJGJ-001": row, "SCJGJ-002": row}, who)
        assert refused.value.status == 403
    assert state() == before
    service.enter_sheet_results(task, {"SCJGJ-001": row, "SCJGJ-002": row}, personas["henry"])
    task.refresh_from_db()
    assert task.status == "entered" and task.submitted_by == "user:henry"
    with pytest.raises(service.ResultRefused) as refused:  # submitted: frozen
        service.enter_sheet_results(task, {"SCJGJ-001": row, "SCJGJ-002": row}, None)
    assert refused.value.status == 409


# --- Review and export --------------------------------------------------------------------------


def test_review_results_publishes_and_export_results_writes_what_was_published(tmp_path, plan, personas):
    header, rows = read_csv(template_file(tmp_path, plan, "csv"))
    for row in rows:
        row.update(good(plan))
    rows[0].update(good(plan, result="发现问题已责令改正", findings="=2+3 未公示年报", follow_up="rectification"))
    assert run_command("import_results", str(plan.pk), str(write_csv(tmp_path / "f.csv", header, rows)))[0] == 0
    tasks = tasks_of(plan)
    Task.objects.filter(pk=tasks[-1].pk).update(status="returned")  # not entered: not published
    code, out = run_command("review_results", str(plan.pk), "--approve")
    assert code == 0 and out == {"published": len(tasks) - 1}
    assert plan.tasks.filter(status="published").count() == len(tasks) - 1
    assert AuditEntry.objects.filter(action="result_publish", actor__startswith="cli:").count() == len(tasks) - 1
    # A correction is a new, linked entry: both are exported, and marked.
    old = Result.objects.get(task=tasks[0], item_code="SCJGJ-002")
    service.correct(old, {**GOOD, "inspected_on": old.inspected_on, "category": "disclosure_violation",
                          "findings": "年报未公示", "follow_up": "rectification"}, personas["henry"], "原记录有误")

    code, out = run_command("export_results", "--plan", plan.number, "--out", str(tmp_path / "out.csv"))
    assert code == 0 and out["rows"] == (len(tasks) - 1) * len(ITEMS) + 1
    header, exported = read_csv(tmp_path / "out.csv")
    assert header == [Z[k] for k in KEYS] + ["检查部门", "计划编号", "公示日期", "更正情况", "更正原因"]
    first = [r for r in exported if r["任务编号"] == str(tasks[0].order)]
    assert [r["事项代码"] for r in first] == ["SCJGJ-001", "SCJGJ-002", "SCJGJ-002"]
    assert first[0]["检查发现"] == "'=2+3 未公示年报"  # formula-safe
    assert first[0]["检查结果"] == "发现问题已责令改正" and first[0]["计划编号"] == plan.number
    assert first[0]["检查部门"] == "区市场监管局" and first[0]["公示日期"] == timezone.localdate().isoformat()
    assert first[1]["更正情况"] == "已被更正" and first[2]["更正情况"].startswith("更正")
    assert first[2]["更正原因"] == "原记录有误" and first[2]["检查结果"] == "未按规定公示应当公示的信息"
    assert str(tasks[-1].order) not in {r["任务编号"] for r in exported}

    code, out = run_command("export_results", "--entity", tasks[0].entity.uscc.lower(), "--year", "2026",
                            "--english", "--out", str(tmp_path / "one.xlsx"))
    assert code == 0 and out["rows"] == 3
    values = list(load_workbook(tmp_path / "one.xlsx").worksheets[0].iter_rows(values_only=True))
    assert values[0][:3] == ("task", "code", "name") and values[1][8] == "corrected"
    assert run_command("export_results", "--year", "2025", "--out", str(tmp_path / "none.csv")) == (
        0, {"file": str(tmp_path / "none.csv"), "rows": 0})


def test_review_results_needs_approve(plan):
    with pytest.raises(CommandError):
        call_command("review_results", str(plan.pk), stdout=io.StringIO())
    assert run_command("review_results", str(plan.pk), "--approve") == (0, {"published": 0})


# --- The web ------------------------------------------------------------------------------------


def test_the_lead_department_downloads_and_uploads_the_plans_sheet(tmp_path, plan, personas, login):
    alice = login(personas["alice"])
    page = alice.get(reverse("sheets:plan_upload", args=[plan.pk]))
    assert page.status_code == 200 and reverse("sheets:plan_template", args=[plan.pk, "xlsx"]) in page.text
    response = alice.get(reverse("sheets:plan_template", args=[plan.pk, "xlsx"]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    path = tmp_path / "web.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    book = load_workbook(path)
    sheet = book.worksheets[0]
    columns = {cell.value: cell.column for cell in sheet[1]}
    assert sheet.max_row - 1 == plan.tasks.count() * len(ITEMS)
    for r in range(2, sheet.max_row + 1):
        for header, value in good(plan).items():
            sheet.cell(r, columns[header], value)
    sheet.cell(2, columns[Z["inspectors"]], "S999")
    book.save(path)
    before = state()
    refused = alice.post(reverse("sheets:plan_upload", args=[plan.pk]),
                         {"file": SimpleUploadedFile("web.xlsx", path.read_bytes())})
    assert refused.status_code == 200 and "第2行，检查人员：不是本任务检查组成员：S999" in refused.text
    assert state() == before
    sheet.cell(2, columns[Z["inspectors"]], "")
    book.save(path)
    done = alice.post(reverse("sheets:plan_upload", args=[plan.pk]),
                      {"file": SimpleUploadedFile("web.xlsx", path.read_bytes())}, follow=True)
    assert f"已录入{plan.tasks.count()}个任务的{plan.tasks.count() * len(ITEMS)}条检查结果" in done.text
    assert {t.status for t in plan.tasks.all()} == {"entered"}
    assert Result.objects.filter(entered_by="user:alice").count() == plan.tasks.count() * len(ITEMS)
    csv_download = alice.get(reverse("sheets:plan_template", args=[plan.pk, "csv"]))
    assert b"".join(csv_download.streaming_content).startswith(b"\xef\xbb\xbf")  # no open task: header only
    assert alice.get(reverse("sheets:plan_template", args=[plan.pk, "pdf"])).status_code == 404


def test_another_departments_user_gets_404(plan, personas, login):
    olga = login(personas["olga"])
    task = tasks_of(plan)[0]
    for url in (reverse("sheets:plan_upload", args=[plan.pk]), reverse("sheets:plan_template", args=[plan.pk, "xlsx"]),
                reverse("sheets:task_upload", args=[task.pk]), reverse("sheets:task_template", args=[task.pk, "csv"])):
        assert olga.get(url).status_code == 404, url
    assert olga.post(reverse("sheets:plan_upload", args=[plan.pk]),
                     {"file": SimpleUploadedFile("x.csv", b"task\n1\n")}).status_code == 404
    assert login(personas["henry"]).get(reverse("sheets:plan_template", args=[plan.pk, "csv"])).status_code == 200


def test_who_may_upload(plan, personas, login):
    task = tasks_of(plan)[0]
    upload = reverse("sheets:plan_upload", args=[plan.pk])
    # The coordinator reads but does not upload; an inspector who is on no team of the plan is refused.
    coordinator = login(personas["coordinator"])
    assert coordinator.get(upload).status_code == 200
    assert coordinator.post(upload, {"file": SimpleUploadedFile("x.csv", b"task\n")}).status_code == 403
    outsider = Inspector.objects.create(cert_no="S098", name="未编组", department=plan.lead_department,
                                        cert_expires_on=date(2030, 1, 1))
    stranger = User.objects.create(username="stranger", role=Role.INSPECTOR, department=plan.lead_department,
                                   inspector=outsider)
    assert login(stranger).get(upload).status_code == 403
    assert login(stranger).get(reverse("sheets:task_upload", args=[task.pk])).status_code == 403
    # A team member who is not the leader may download the task's sheet, not upload it.
    second = login(member(task, 1))
    page = second.get(reverse("sheets:task_upload", args=[task.pk]))
    assert page.status_code == 200 and 'type="file"' not in page.text
    assert second.get(reverse("sheets:task_template", args=[task.pk, "xlsx"])).status_code == 200
    assert second.post(reverse("sheets:task_upload", args=[task.pk]),
                       {"file": SimpleUploadedFile("x.csv", b"task\n")}).status_code == 403


def test_a_team_member_gets_only_their_tasks_and_the_leader_uploads_on_the_task_page(tmp_path, plan, login):
    task = tasks_of(plan)[0]
    leader = member(task, 0)
    client = login(leader)
    response = client.get(reverse("sheets:plan_template", args=[plan.pk, "csv"]))
    path = tmp_path / "mine.csv"
    path.write_bytes(b"".join(response.streaming_content))
    _, rows = read_csv(path)
    mine = set(Task.objects.filter(plan=plan, members__inspector=leader.inspector).values_list("order", flat=True))
    assert {int(r[Z["task"]]) for r in rows} == mine

    response = client.get(reverse("sheets:task_template", args=[task.pk, "csv"]))
    path.write_bytes(b"".join(response.streaming_content))
    header, rows = read_csv(path)
    assert {r[Z["task"]] for r in rows} == {str(task.order)} and len(rows) == len(ITEMS)
    for row in rows:
        row.update(good(plan))
    other = tasks_of(plan)[1]
    alien = {**rows[0], Z["task"]: str(other.order), Z["code"]: other.entity.uscc}
    url = reverse("sheets:task_upload", args=[task.pk])
    before = state()
    refused = client.post(url, {"file": SimpleUploadedFile("t.csv", write_csv(path, header, [*rows, alien])
                                                           .read_bytes())})
    assert f"第4行，任务编号：此表只用于第{task.order}号任务" in refused.text and state() == before
    done = client.post(url, {"file": SimpleUploadedFile("t.csv", write_csv(path, header, rows).read_bytes())},
                       follow=True)
    assert "已录入1个任务的2条检查结果" in done.text
    task.refresh_from_db()
    assert task.status == "entered" and task.submitted_by == f"user:{leader.username}"


def test_a_leader_cannot_upload_rows_of_a_task_they_do_not_lead(tmp_path, plan):
    leader = member(tasks_of(plan)[0], 0)
    assert any(not t.members.filter(inspector=leader.inspector, position=0).exists() for t in tasks_of(plan))
    path, _, _ = filled_csv(tmp_path, plan)
    before = state()
    with path.open("rb") as stream:
        outcome = import_sheet(plan, stream, leader)
    assert not outcome.ok and state() == before
    assert any(e.column == "task" and "组长" in e.message for e in outcome.errors)


def test_the_plan_page_links_to_the_sheet_once_drawn(plan, personas, login):
    page = login(personas["henry"]).get(reverse("plans:detail", args=[plan.pk]))
    assert reverse("sheets:plan_upload", args=[plan.pk]) in page.text
