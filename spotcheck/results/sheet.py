"""The results sheet (检查结果表; spec/interfaces.md "Results sheet"): template, import and export.

A team fills its results offline, one row per task and item, and uploads the
sheet; the command line uses the same format. The import is all or nothing:
every row is checked first (with the web's own rules, ``service.check_entry``),
every bad row is reported as ``row N, column: reason`` (row 1 is the header),
and only a clean file is entered, each task's results together, in one
transaction, through ``service.enter_sheet_results``.

The task number written in the sheet is the task's draw order within its plan
(抽取顺序, ``Task.order``): stable, unique in the plan, and short enough to read
aloud in the field.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from spotcheck.audit.log import record
from spotcheck.catalog.lists import published_items
from spotcheck.catalog.models import Method
from spotcheck.directory.exports import safe_cell
from spotcheck.inspections.models import Task, TaskStatus
from spotcheck.lib.tabular import MB, Column, RowError, TableError, read_rows, upload_max_bytes
from spotcheck.plans.models import Plan
from spotcheck.results import service
from spotcheck.results.models import WITHOUT_PROBLEM, Category, FollowUp, Result

SHEET_TITLE = "检查结果表"
HELP_TITLE = "填写说明"
FORMATS = ("xlsx", "csv")


def parse_task_number(text: str) -> int:
    try:
        number = int(text.strip())
    except ValueError:
        raise ValueError(gettext("任务编号应为整数“%(value)s”（见模板）") % {"value": text}) from None
    if number <= 0:
        raise ValueError(gettext("任务编号应为正整数“%(value)s”") % {"value": text})
    return number


# The columns of spec/interfaces.md, in the template's order. A column whose value every
# complete result needs is required in the header; the values are checked by check_entry.
COLUMNS: tuple[Column, ...] = (
    Column("task", "任务编号", required=True, parse=parse_task_number),
    Column("code", "统一社会信用代码", required=True),
    Column("name", "市场主体名称"),
    Column("item", "事项代码", required=True),
    Column("method", "检查方式", required=True),
    Column("inspected_on", "检查日期", required=True),
    Column("checked", "检查内容", required=True),
    Column("findings", "检查发现"),
    Column("result", "检查结果", required=True),
    Column("follow_up", "后续处置"),
    Column("inspectors", "检查人员"),
)
KEYS = [c.key for c in COLUMNS]
HEADERS = {c.key: c.zh for c in COLUMNS}
WIDTHS = {"task": 10, "code": 22, "name": 30, "item": 14, "method": 14, "inspected_on": 13, "checked": 40,
          "findings": 40, "result": 34, "follow_up": 24, "inspectors": 26}

# The published results' export: the sheet's columns, then where and when it was published.
EXPORT_EXTRA: tuple[tuple[str, str, int], ...] = (
    ("department", "检查部门", 20),
    ("plan", "计划编号", 30),
    ("published_on", "公示日期", 13),
    ("correction", "更正情况", 24),
    ("correction_reason", "更正原因", 30),
)
EXPORT_KEYS = KEYS + [key for key, _, _ in EXPORT_EXTRA]
EXPORT_HEADERS = {**HEADERS, **{key: zh for key, zh, _ in EXPORT_EXTRA}}
EXPORT_WIDTHS = {**WIDTHS, **{key: width for key, _, width in EXPORT_EXTRA}}

# The refusal of an empty required cell, in the web's wording (check_entry's "请填写检查结果").
PLEASE_FILL = {
    "task": gettext_lazy("请填写任务编号"),
    "code": gettext_lazy("请填写统一社会信用代码"),
    "item": gettext_lazy("请填写事项代码"),
    "method": gettext_lazy("请填写检查方式"),
    "inspected_on": gettext_lazy("请填写检查日期"),
    "checked": gettext_lazy("请填写检查内容"),
    "result": gettext_lazy("请填写检查结果"),
}

# Where the sheet's columns meet check_entry's field names.
FIELD_COLUMN = {"category": "result"}
COLUMN_FIELD = {"result": "category"}


def column_label(column: str) -> str:
    """Return how a column is named to the user: its Chinese header, or the name as written."""
    if column in EXPORT_HEADERS:  # the sheet's columns and the export's
        return EXPORT_HEADERS[column]
    return {"file": gettext("文件"), "row": gettext("行")}.get(column, column)


# --- The template -----------------------------------------------------------------------------


def open_tasks(plan: Plan) -> QuerySet[Task]:
    """Return the plan's tasks whose results may still be entered (pending or returned), in draw order."""
    return plan.tasks.filter(status__in=service.EDITABLE).order_by("order")


def template(plan: Plan, tasks: Iterable[Task] | None = None) -> list[dict[str, Any]]:
    """Return the sheet's rows: one per task and item, results empty.

    The task number is the task's draw order within the plan (``Task.order``).
    Without ``tasks``: every task of the plan whose results may still be entered.
    """
    chosen = list(open_tasks(plan) if tasks is None else tasks)
    rows = []
    for task in sorted(chosen, key=lambda t: t.order):
        for item in task.items:
            rows.append({"task": task.order, "code": task.entity.uscc, "name": task.entity.name, "item": item,
                         **{key: "" for key in KEYS[4:]}})
    return rows


def _headers(keys: Sequence[str], labels: dict[str, str], english: bool) -> list[str]:
    return list(keys) if english else [labels[key] for key in keys]


def write_csv(out: IO[bytes], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write rows as CSV in UTF-8 with BOM (Excel opens it with its Chinese intact)."""
    out.write(codecs.BOM_UTF8)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    text.detach()
    return count


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _new_sheet(book: Any, title: str, header: Sequence[str], widths: Sequence[int]) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    sheet = book.create_sheet(title)
    for index, width in enumerate(widths):
        sheet.column_dimensions[_letter(index)].width = width
    sheet.freeze_panes = "A2"
    cells = []
    for text in header:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEF2F6")
        cell.alignment = Alignment(vertical="center")
        cells.append(cell)
    sheet.append(cells)
    return sheet


def write_xlsx(out: IO[bytes], header: Sequence[str], widths: Sequence[int], rows: Iterable[Sequence[Any]],
               *, title: str = SHEET_TITLE, instructions: Plan | None = None,
               tasks: Sequence[Task] = ()) -> int:
    """Write rows as .xlsx: the sheet first (so that the import reads it), then the instructions."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = _new_sheet(book, title, header, widths)
    count = 0
    for row in rows:
        sheet.append(list(row))
        count += 1
    if instructions is not None:
        _add_choices(sheet, header, max(count, 1) + 200)
        _write_help(book, instructions, tasks)
    book.save(out)
    return count


# Each choice column of the sheet, the heading of its list in 填写说明, and its choices.
CHOICE_LISTS: tuple[tuple[str, Any, Any], ...] = (
    ("method", gettext_lazy("检查方式（可填代码或中文）"), Method),
    ("result", gettext_lazy("检查结果（可填代码或中文）"), Category),
    ("follow_up", gettext_lazy("后续处置（可填代码或中文）"), FollowUp),
)
HELP_LIST_START = 8  # the row of 填写说明 where the first list of codes begins


def _help_ranges() -> dict[str, str]:
    """Return, per choice column, the cells of 填写说明 that hold its Chinese texts."""
    ranges, row = {}, HELP_LIST_START
    for key, _, choices in CHOICE_LISTS:
        first = row + 1
        last = first + len(choices.choices) - 1
        ranges[key] = f"'{HELP_TITLE}'!$B${first}:$B${last}"
        row = last + 2
    return ranges


def _add_choices(sheet: Any, header: Sequence[str], last_row: int) -> None:
    """Offer the Chinese texts of method, result and follow-up as drop-down lists (codes are accepted too)."""
    from openpyxl.worksheet.datavalidation import DataValidation

    ranges = _help_ranges()
    for index, key in enumerate(KEYS):
        if key in ranges:
            validation = DataValidation(type="list", formula1=ranges[key], allow_blank=True, errorStyle="warning",
                                        error=gettext("请从列表中选择，或填写代码"), errorTitle=HEADERS[key])
            validation.add(f"{_letter(index)}2:{_letter(index)}{last_row}")
            sheet.data_validations.append(validation)


def _write_help(book: Any, plan: Plan, tasks: Sequence[Task]) -> None:
    start, end = plan.starts_on or dt.date(plan.year, 1, 1), plan.ends_on or dt.date(plan.year, 12, 31)
    sheet = _new_sheet(book, HELP_TITLE, [gettext("项目或代码"), gettext("内容或中文"), gettext("说明")], [24, 40, 60])
    lines = [
        (gettext("计划"), plan.number, plan.name),
        (gettext("实施期间"), gettext("%(start)s 至 %(end)s") % {"start": start, "end": end},
         gettext("检查日期须在此期间内，且不晚于填表当天；格式 YYYY-MM-DD")),
        (gettext("填写规则"), gettext("每行一个任务的一个事项"),
         gettext("同一任务的各事项须一并填写上传；任何一行有误，整个文件都不会录入")),
        (gettext("检查发现"), "", gettext("检查结果为“未发现问题”或“未发现开展本次抽查涉及的经营活动”以外时必填")),
        (gettext("后续处置"), "", gettext("发现问题时必填；未发现问题时可留空（视为无需后续处置）")),
        (gettext("检查人员"), gettext("执法证号，以英文分号 ; 分隔"),
         gettext("留空表示本任务检查组全体成员；所填人员须为本任务检查组成员")),
    ]
    for line in lines:
        sheet.append([safe_cell(v) for v in line])
    row = 1 + len(lines)
    while row < HELP_LIST_START - 1:
        sheet.append([])
        row += 1
    for _key, heading, choices in CHOICE_LISTS:
        sheet.append([str(heading)])
        for code, text in choices.choices:
            note = ""
            if choices is Category:
                note = "" if code in WITHOUT_PROBLEM else gettext("须填写检查发现和后续处置")
            sheet.append([code, str(text), note])
        sheet.append([])
    if tasks:
        sheet.append([gettext("检查组（组长在前）")])
        sheet.append([gettext("任务编号"), gettext("市场主体"), gettext("执法证号 姓名")])
        for task in sorted(tasks, key=lambda t: t.order):
            team = "；".join(f"{i.cert_no} {i.name}" for i in task.team())
            sheet.append([task.order, safe_cell(task.entity.name), safe_cell(team)])


def write_template(out: IO[bytes], fmt: str, plan: Plan, tasks: Iterable[Task] | None = None, *,
                   english: bool = False) -> tuple[int, int]:
    """Write the plan's template as 'xlsx' or 'csv' (Chinese headers unless ``english``); return (rows, tasks)."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    chosen = sorted(open_tasks(plan).select_related("entity") if tasks is None else tasks, key=lambda t: t.order)
    rows = template(plan, chosen)
    header = _headers(KEYS, HEADERS, english)
    values = ([safe_cell(row[key]) for key in KEYS] for row in rows)
    if fmt == "csv":
        write_csv(out, header, values)
    else:
        write_xlsx(out, header, [WIDTHS[key] for key in KEYS], values, instructions=plan, tasks=chosen)
    return len(rows), len(chosen)


# --- The import -------------------------------------------------------------------------------


@dataclass
class SheetOutcome:
    """What an import entered, or every reason it was refused."""

    plan: str
    file_name: str
    sha256: str = ""
    rows: int = 0
    entered: int = 0
    tasks: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        if self.ok:
            return {"entered": self.entered, "tasks": self.tasks}
        return {"ok": False, "error": self.headline(), "error_count": len(self.errors),
                "errors": [e.as_dict() for e in self.errors]}

    def headline(self) -> str:
        if self.ok:
            return (gettext("已录入%(tasks)s个任务的%(entered)s条检查结果并提交审核")
                    % {"tasks": self.tasks, "entered": self.entered})
        return gettext("检查结果表被拒绝，未录入任何数据：%(count)s处错误") % {"count": len(self.errors)}

    def lines(self) -> list[str]:
        """Return each error as ``第N行，列：原因`` (the web page's list)."""
        return [gettext("第%(row)s行，%(column)s：%(reason)s") % {"row": e.row, "column": column_label(e.column),
                                                                  "reason": e.message} for e in self.errors]

    def summary(self) -> str:
        return "\n".join([self.headline(), *(str(e) for e in self.errors)])


@dataclass
class _Row:
    number: int
    task: Task
    item: str
    data: dict[str, Any]


def _read(file: Any) -> tuple[bytes, str]:
    """Return a sheet's content and name (a path, or a file object such as an upload); a file
    above the upload limit is refused before it is read."""
    limit = upload_max_bytes()
    if isinstance(file, str | Path):
        path = Path(file)
        name, size = path.name, path.stat().st_size
    else:
        name, size = Path(str(getattr(file, "name", "") or "sheet")).name, getattr(file, "size", 0) or 0
    too_big = TableError([RowError(1, "file", gettext("文件“%(name)s”超过%(limit)sMB的上限")
                                   % {"name": name, "limit": limit // MB})])
    if size > limit:
        raise too_big
    if isinstance(file, str | Path):
        with Path(file).open("rb") as stream:
            content = stream.read(limit + 1)
    else:
        content = file.read(limit + 1)
    if len(content) > limit:
        raise too_big
    return content, name


def _state_reason(task: Task) -> str:
    n = {"order": task.order}
    if task.status == TaskStatus.ENTERED:
        return gettext("第%(order)s号任务已提交审核，不能再上传；如需修改，请审核人退回后再上传") % n
    if task.status in (TaskStatus.APPROVED, TaskStatus.PUBLISHED):
        return gettext("第%(order)s号任务的检查结果已审核公示，不能再上传；如需更正，请在网页上提交更正") % n
    if task.status == TaskStatus.ARCHIVED:
        return gettext("第%(order)s号任务已归档，不能再修改") % n
    return (gettext("第%(order)s号任务状态为“%(status)s”，不能录入检查结果")
            % {**n, "status": task.get_status_display()})


def _entry_data(values: dict[str, Any]) -> dict[str, Any]:
    day = (values.get("inspected_on") or "").strip()
    if "T" in day:  # a spreadsheet's date with a time of day
        day = day[:10]
    raw = (values.get("inspectors") or "").replace("；", ";")
    return {"method": values.get("method") or "", "inspected_on": day, "checked": values.get("checked") or "",
            "findings": values.get("findings") or "", "category": values.get("result") or "",
            "follow_up": values.get("follow_up") or "",
            "inspectors": [c.strip() for c in raw.split(";") if c.strip()]}


def check_sheet(plan: Plan, content: bytes, name: str, actor: Any, *, only: Task | None = None,
                today: dt.date | None = None) -> tuple[list[_Row], list[RowError], int]:
    """Check every row of a filled sheet; return (good rows, every error, rows read). Writes nothing."""
    today = today or timezone.localdate()
    rows, _ = read_rows(io.BytesIO(content), name, COLUMNS)
    tasks = {t.order: t for t in plan.tasks.select_related("entity", "plan__lead_department")}
    plan_items = set(plan.items)
    published = published_items(list(plan.items))  # read once, not once a row
    errors: list[RowError] = []
    good: list[_Row] = []
    seen: dict[tuple[int, str], int] = {}
    first_row: dict[int, int] = {}
    refused_tasks: set[int] = set()
    allowed: dict[int, bool] = {}
    count = 0
    empty = gettext("必填项为空")  # read_rows' reason for an empty required cell, in the same language
    for number, values, row_errors in rows:
        count += 1
        # The web's wording for an empty required cell ("请填写检查结果"), so that both refuse alike.
        row_errors = [RowError(e.row, e.column, str(PLEASE_FILL[e.column])) if e.message.startswith(empty)
                      and e.column in PLEASE_FILL else e for e in row_errors]
        errors.extend(row_errors)
        bad = {e.column for e in row_errors}
        if "task" in bad or "code" in bad or "item" in bad:
            continue
        order, code, item = values["task"], values["code"].strip().upper(), values["item"].strip()
        task = tasks.get(order)
        if task is None or (only is not None and task.pk != only.pk) or task.entity.uscc != code:
            errors.append(_task_mismatch(plan, tasks, number, order, code, only))
            continue
        first_row.setdefault(order, number)
        if item not in plan_items:
            errors.append(RowError(number, "item", gettext("事项“%(item)s”不在本计划的抽查事项中（%(items)s）")
                                   % {"item": item, "items": "、".join(plan.items)}))
            continue
        if item not in task.items:
            errors.append(RowError(number, "item", gettext("事项“%(item)s”不在第%(order)s号任务中")
                                   % {"item": item, "order": order}))
            continue
        if (order, item) in seen:
            errors.append(RowError(number, "item", gettext("第%(order)s号任务的事项“%(item)s”与第%(row)s行重复")
                                   % {"order": order, "item": item, "row": seen[order, item]}))
            continue
        seen[order, item] = number
        if task.status not in service.EDITABLE:
            errors.append(RowError(number, "task", _state_reason(task)))
            refused_tasks.add(order)
            continue
        if order not in allowed:
            allowed[order] = service.may_enter_sheet(task, actor)
        if not allowed[order]:
            errors.append(RowError(number, "task", gettext("只有第%(order)s号任务的组长或牵头部门的管理员、负责人"
                                                           "可以上传该任务的检查结果") % {"order": order}))
            refused_tasks.add(order)
            continue
        data = _entry_data(values)
        entry = service.check_entry(task, item, data, complete=True, today=today, items=published)
        for name_, reason in entry.errors.items():
            column = FIELD_COLUMN.get(name_, name_)
            if column not in bad:
                errors.append(RowError(number, column, reason))
        good.append(_Row(number, task, item, data))
    if count == 0 and not errors:
        errors.append(RowError(1, "file", gettext("表中没有检查结果行")))
    for order, number in first_row.items():
        task = tasks[order]
        if order in refused_tasks:
            continue
        missing = [code for code in task.items if (order, code) not in seen]
        if missing:
            errors.append(RowError(number, "item", gettext("第%(order)s号任务缺少事项%(items)s的行"
                                                           "（一个任务的各事项须一并填写）")
                                   % {"order": order, "items": "、".join(missing)}))
    errors.sort(key=lambda e: (e.row, KEYS.index(e.column) if e.column in KEYS else -1))
    return good, errors, count


def _task_mismatch(plan: Plan, tasks: dict[int, Task], number: int, order: int, code: str,
                   only: Task | None) -> RowError:
    if only is not None and (order != only.order or code != only.entity.uscc):
        return RowError(number, "task", gettext("此表只用于第%(order)s号任务（%(code)s）")
                        % {"order": only.order, "code": only.entity.uscc})
    here = next((t for t in tasks.values() if t.entity.uscc == code), None)
    if here is not None:
        return RowError(number, "code", gettext("“%(code)s”不是第%(order)s号任务的被检查主体，而是第%(other)s号任务的")
                        % {"code": code, "order": order, "other": here.order})
    elsewhere = (Task.objects.filter(entity__uscc=code).exclude(plan=plan).select_related("plan")
                 .order_by("-plan__year", "-pk").first())
    if elsewhere is not None:
        return RowError(number, "task", gettext("该行是计划%(plan)s第%(order)s号任务的，不属于本计划")
                        % {"plan": elsewhere.plan.number, "order": elsewhere.order})
    if order not in tasks:
        return RowError(number, "task", gettext("本计划没有第%(order)s号任务") % {"order": order})
    return RowError(number, "code", gettext("“%(code)s”不是第%(order)s号任务的被检查主体（应为%(expected)s）")
                    % {"code": code, "order": order, "expected": tasks[order].entity.uscc})


def import_sheet(plan: Plan, file: Any, actor: Any, *, only: Task | None = None,
                 today: dt.date | None = None) -> SheetOutcome:
    """Enter a filled results sheet, all or nothing; each task's results are submitted for review.

    ``file`` is a path or a binary file object (an upload); ``actor`` the user, or
    None for the command-line operator acting as the team. ``only`` limits the
    sheet to one task (the phone page's upload). Side effects, when every row is
    good: the results, one ``result_enter`` per row and one ``result_submit`` per
    task, and one ``results_import`` naming the file's SHA-256, in one transaction.
    """
    outcome = SheetOutcome(plan=plan.number, file_name=str(getattr(file, "name", file)))
    try:
        content, outcome.file_name = _read(file)
        outcome.sha256 = hashlib.sha256(content).hexdigest()
        good, errors, outcome.rows = check_sheet(plan, content, outcome.file_name, actor, only=only, today=today)
    except TableError as exc:
        outcome.errors = exc.errors
        return outcome
    if errors:
        outcome.errors = errors
        return outcome
    by_task: dict[int, list[_Row]] = {}
    for row in good:
        by_task.setdefault(row.task.pk, []).append(row)
    try:
        with transaction.atomic():
            for rows in by_task.values():
                try:
                    service.enter_sheet_results(rows[0].task, {r.item: r.data for r in rows}, actor)
                except service.ResultRefused as refused:
                    # Changed since the check (another user's work): refuse the whole file.
                    raise TableError([RowError(rows[0].number, "task", refused.message)]) from None
            record(actor, "results_import", "plan", plan.pk, {
                "file": outcome.file_name, "sha256": outcome.sha256, "rows": len(good),
                "tasks": sorted(r[0].task.order for r in by_task.values())})
    except TableError as exc:
        outcome.errors = exc.errors
        return outcome
    outcome.entered, outcome.tasks = len(good), len(by_task)
    return outcome


# --- The export of published results ------------------------------------------------------------


def published_results(*, plan: Plan | None = None, entity: str = "", year: int | None = None) -> QuerySet[Result]:
    """Return published results, corrections included, in plan, task and item order."""
    results = Result.objects.filter(published_at__isnull=False)
    if plan is not None:
        results = results.filter(task__plan=plan)
    if entity:
        results = results.filter(entity__uscc=entity.strip().upper())
    if year:
        results = results.filter(year=year)
    return (results.select_related("task__plan", "entity", "department", "corrects", "corrected_by")
            .order_by("task__plan__year", "task__plan_id", "task__order", "item_code", "pk"))


def _label(choices: Any, code: str, english: bool) -> str:
    if english or not code:
        return code
    return str(choices(code).label) if code in choices.values else code


def export_rows(results: Iterable[Result], *, english: bool = False) -> Iterator[list[Any]]:
    """Yield each published result as the sheet's columns plus department, plan, date and correction."""
    for result in results:
        if result.corrects_id is not None:
            old = result.corrects
            correction = (gettext("更正（原记录公示于%(date)s）")
                          % {"date": timezone.localtime(old.published_at).date().isoformat()}
                          if old is not None and old.published_at else gettext("更正"))
        elif not result.is_current:
            correction = gettext("已被更正")
        else:
            correction = ""
        row = {
            "task": result.task.order, "code": result.entity.uscc, "name": result.entity.name,
            "item": result.item_code, "method": _label(Method, result.method, english),
            "inspected_on": result.inspected_on.isoformat() if result.inspected_on else "",
            "checked": result.checked, "findings": result.findings,
            "result": _label(Category, result.category, english),
            "follow_up": _label(FollowUp, result.follow_up, english),
            "inspectors": ";".join(result.inspectors), "department": result.department.name,
            "plan": result.task.plan.number,
            "published_on": timezone.localtime(result.published_at).date().isoformat() if result.published_at else "",
            "correction": correction, "correction_reason": result.correction_reason,
        }
        yield [safe_cell(row[key]) for key in EXPORT_KEYS]


def write_export(out: IO[bytes], fmt: str, results: Iterable[Result], *, english: bool = False) -> int:
    """Write published results as 'csv' (UTF-8 with BOM) or 'xlsx'; return the row count."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    header = _headers(EXPORT_KEYS, EXPORT_HEADERS, english)
    rows = export_rows(results, english=english)
    if fmt == "csv":
        return write_csv(out, header, rows)
    return write_xlsx(out, header, [EXPORT_WIDTHS[key] for key in EXPORT_KEYS], rows, title="已公示检查结果")

