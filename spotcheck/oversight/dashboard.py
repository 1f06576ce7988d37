"""The dashboard's and the yearly report's content: each figure as a table, most with a chart.

One ``Table`` serves the page (the chart with its table beside it), the XLSX export
(its headers and rows) and the PDF report. ``build`` calls each selector once, so
a page makes the same number of queries whatever the data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from spotcheck.audit.models import AuditHead
from spotcheck.catalog.models import ResultCategory
from spotcheck.directory.models import Department
from spotcheck.inspections.models import TaskStatus
from spotcheck.oversight import selectors
from spotcheck.oversight.charts import Bar, bar_chart, donut_chart, line_chart
from spotcheck.oversight.figures import (
    STRATA,
    TOTAL,
    Coverage,
    active_in_scope,
    coverage,
    floors,
    percent,
    visits_saved,
)
from spotcheck.plans.models import Plan, PlanStatus
from spotcheck.plans.spec import STRATUM_NAMES
from spotcheck.results.models import WITHOUT_PROBLEM, FollowUp

DISTRICT = selectors.DISTRICT


@dataclass
class Table:
    """One figure: a title (the table's caption), Chinese headers, rows of plain values, a chart."""

    key: str  # names its export: /oversight/export/<key>.xlsx
    title: str
    headers: list[str]
    rows: list[list[Any]]
    chart: SafeString | None = None
    note: str = ""

    @property
    def wide(self) -> bool:
        """A table of many columns goes below its chart rather than beside it."""
        return len(self.headers) > 4

    def shown(self) -> list[list[tuple[str, str]]]:
        """Return the rows as the page shows them, each cell with its header (numbers grouped,
        percentages with two decimals, nothing as "—")."""
        return [[(header, shown(value)) for header, value in zip(self.headers, row, strict=True)]
                for row in self.rows]


def shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, Decimal):
        return number_format(value, 2)
    if isinstance(value, int):
        return number_format(value, force_grouping=True)
    return str(value)


@dataclass
class Dashboard:
    """Everything the dashboard and the report show for a year and a department (None: the district)."""

    year: int
    department: Department | None
    tables: dict[str, Table] = field(default_factory=dict)
    cards: list[tuple[str, str, bool]] = field(default_factory=list)  # (label, value, within the rule)
    departments: list[Department] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return self.department.name if self.department else _("全区")

    def add(self, table: Table) -> None:
        self.tables[table.key] = table


def when(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _described(title: str, pairs: list[tuple[str, str]]) -> str:
    """The words a screen reader says for a chart: its title and each label with its value."""
    return f"{title}：" + "；".join(f"{label} {value}" for label, value in pairs)


def _percent_text(value: Decimal | None) -> str:
    return "—" if value is None else f"{number_format(value, 2)}%"


def _scale(bars: list[Bar]) -> float:
    """The top of a percentage scale: 100, or less when every bar and floor is small (easier to read)."""
    top = max([b.value for b in bars] + [b.marker or 0 for b in bars] + [1.0])
    for step in (5.0, 10.0, 20.0, 25.0, 50.0):
        if top <= step:
            return step
    return 100.0


def _bars(title: str, rows: list[list[Any]], **options: Any) -> SafeString:
    """Bars of a table whose first two columns are a label and a count."""
    bars = [Bar(str(row[0]), float(row[1])) for row in rows]
    return bar_chart(bars, label=_described(title, [(b.label, shown(row[1])) for b, row in zip(bars, rows, strict=True)]),
                     **options)


class Counts:
    """The counts of one page, each selector called once; the tables are made from them."""

    def __init__(self, year: int, department: Department | None, today: dt.date | None) -> None:
        self.year = year
        self.department_id = department.pk if department else None
        self.key = self.department_id or DISTRICT  # whose figures the page is about
        self.first = year - selectors.TREND_YEARS + 1
        self.departments = selectors.item_lists(self.department_id)
        self.names = {d.pk: d.name for d in self.departments}
        self.census = selectors.census()
        plans = selectors.plan_rows(self.first, year)
        self.scopes = selectors.scopes(plans, year)
        self.plan_tasks = selectors.plan_task_counts(self.first, year)
        self.states = selectors.task_states(plans, self.plan_tasks)
        self.entities = selectors.checked_entities(year, self.department_id)
        self.visits = selectors.history_visits(self.first, year)
        self.plan_states = selectors.plan_states(year, self.department_id)
        self.late = selectors.overdue(plans, year, today)
        self.categories = selectors.categories(year, self.department_id)
        self.follow_ups = selectors.follow_ups(year, self.department_id)
        self.plans = selectors.plans(year, self.department_id, self.plan_tasks)
        self.floor = floors(settings.SPOTCHECK)

    def tasks(self, dept: int, year: int | None = None) -> dict[str, int]:
        return self.states.get(dept, {}).get(str(year or self.year), {})

    def random_checks(self, dept: int, year: int | None = None) -> int:
        return sum(n for s, n in self.tasks(dept, year).items() if s != TaskStatus.CANCELLED)

    def other_checks(self, dept: int, year: int | None = None) -> int:
        return self.visits.get(dept, {}).get(str(year or self.year), 0)

    def share(self, dept: int, year: int | None = None) -> Decimal | None:
        random = self.random_checks(dept, year)
        return percent(random, random + self.other_checks(dept, year))

    def coverage(self, dept: int) -> dict[str, Coverage]:
        active = active_in_scope(self.census, None if dept == DISTRICT else self.scopes.get(dept))
        return coverage(active, self.entities.get(dept, {}), self.floor)

    def completion(self, dept: int) -> tuple[int, int, Decimal | None]:
        """Return the tasks not cancelled, those published (or archived), and the share done."""
        total = self.random_checks(dept)
        done = sum(self.tasks(dept).get(s, 0) for s in selectors.DONE)
        return total, done, percent(done, total)

    def problems(self, dept: int) -> int:
        return sum(n for c, n in self.categories.get(dept, {}).items() if c not in WITHOUT_PROBLEM)

    def open_follow_ups(self, dept: int) -> int:
        return self.follow_ups["open_tasks"].get(dept, 0)

    def joint_plans(self) -> list[Plan]:
        return [p for p in self.plans if p.departments_n > 1]  # type: ignore[attr-defined]

    def visits_saved(self) -> int:
        saved = 0
        for p in self.joint_plans():
            saved += visits_saved(p.tasks_n, p.departments_n)  # type: ignore[attr-defined]
        return saved


def cached_build(year: int, department: Department | None) -> Dashboard:
    """``build``, kept in the cache until the next audited change (or ``dashboard_cache_seconds``).

    Every change the figures count (plans, draws, tasks, results, follow-ups, imports) writes
    an audit entry, so the audit log's head is the data's version: a page after any change
    counts again, and a page after none (the office opening its dashboard all day) is served
    from the cache. The key holds the language of the labels and the day (overdue moves with it).
    """
    seconds = settings.SPOTCHECK["dashboard_cache_seconds"]
    if seconds <= 0:
        return build(year, department)
    head = AuditHead.objects.filter(pk=1).values_list("seq", flat=True).first()
    key = (f"oversight:board:{year}:{department.pk if department else 0}:{translation.get_language()}:"
           f"{timezone.localdate().isoformat()}:{head}")
    board = cache.get(key)
    if board is None:
        board = build(year, department)
        cache.set(key, board, seconds)
    return board


def build(year: int, department: Department | None, *, today: dt.date | None = None) -> Dashboard:
    """Return the dashboard of ``year`` for one department, or for the district (None)."""
    counts = Counts(year, department, today)
    board = Dashboard(year, department, departments=counts.departments, plans=counts.plans)
    for make in (summary, coverage_by_stratum, share, trend, plans_by_state, tasks_by_state, results, follow_ups,
                 joint_plans, item_lists, plan_list):
        board.add(make(counts, board))
    board.cards = cards(counts)
    return board


def summary(c: Counts, board: Dashboard) -> Table:
    """One row per department (and the district's): the figures the office watches."""
    rows, bars = [], []
    for dept in ([c.key] if c.department_id else [*c.names, DISTRICT]):
        total_cov = c.coverage(dept)[TOTAL]
        tasks, _done, done_percent = c.completion(dept)
        listed = next((d for d in c.departments if d.pk == dept), None)
        version = getattr(listed, "version", None)
        list_state = "" if listed is None else (_("已公布（第%(v)s版）") % {"v": version} if version else _("未公布"))
        name = c.names.get(dept, _("全区"))
        rows.append([name, total_cov.active, total_cov.inspected, total_cov.percent, total_cov.floor_percent,
                     total_cov.shortfall, c.share(dept), sum(c.plan_states.get(dept, {}).values()), tasks,
                     done_percent, c.late.get(dept, 0), c.problems(dept), c.open_follow_ups(dept), list_state])
        if dept != DISTRICT:
            bars.append(Bar(name, float(total_cov.percent or 0), _percent_text(total_cov.percent),
                            float(total_cov.floor_percent)))
    table = Table("summary", _("各部门概况") if c.department_id is None else _("概况"), [
        _("部门"), _("范围内存续主体"), _("已抽查主体"), _("覆盖率（%）"), _("最低比例（%）"), _("差额（户）"),
        _("随机抽查占比（%）"), _("计划数"), _("任务数"), _("完成率（%）"), _("逾期未公示"), _("发现问题"),
        _("后续处置未完成"), _("事项清单")], rows)
    if c.department_id is None and bars:
        title = _("各部门抽查覆盖率（%），红色虚线为最低比例")
        table.chart = bar_chart(bars, label=_described(title, [(b.label, b.text) for b in bars]),
                                scale_max=_scale(bars), marker_label=_("最低比例"))
    return table


def coverage_by_stratum(c: Counts, board: Dashboard) -> Table:
    """Coverage per stratum against its floor (R4), with the shortfall in entities."""
    by_stratum = c.coverage(c.key)
    labels = {**{s: str(STRATUM_NAMES[s]) for s in STRATA}, TOTAL: _("合计")}
    rows = [[labels[s], v.active, v.inspected, v.percent, v.floor_percent, v.required, v.shortfall]
            for s, v in by_stratum.items()]
    bars = [Bar(labels[s], float(v.percent or 0), _percent_text(v.percent), float(v.floor_percent))
            for s, v in by_stratum.items()]
    title = _("%(year)s年%(who)s抽查覆盖率（%%），按分层") % {"year": c.year, "who": board.subject}
    scope = (_("范围：本年度各计划（草稿除外）抽查范围的并集；本年度没有计划的部门按全区计。") if c.department_id
             else _("范围：全区存续市场主体。"))
    return Table("coverage", _("抽查覆盖率与最低比例"), [
        _("分层"), _("范围内存续主体"), _("已抽查主体"), _("覆盖率（%）"), _("应达比例（%）"), _("应抽查主体"),
        _("差额（户）")], rows,
        bar_chart(bars, label=_described(title, [(b.label, b.text) for b in bars]), scale_max=_scale(bars),
                  marker_label=_("应达比例")),
        scope + _("已抽查主体：本年度已抽取且未取消任务的主体，按抽取时的分层。"))


def share(c: Counts, board: Dashboard) -> Table:
    """The share of random checks among all inspections of the year."""
    random, other = c.random_checks(c.key), c.other_checks(c.key)
    rows: list[list[Any]] = [[_("随机抽查"), random, percent(random, random + other)],
                             [_("其他检查"), other, percent(other, random + other)]]
    title = _("%(year)s年随机抽查在检查中的占比") % {"year": c.year}
    return Table("share", _("随机抽查占比"), [_("检查类型"), _("检查次数"), _("占比（%）")], rows,
                 donut_chart([(row[0], float(row[1])) for row in rows],
                             label=_described(title, [(row[0], shown(row[1])) for row in rows]),
                             centre=_percent_text(c.share(c.key))),
                 _("随机抽查：本年度已抽取且未取消的任务（一次检查覆盖计划的全部事项）；"
                   "其他检查：导入的已有检查记录，按同一主体、同一检查部门、同一天计为一次。"))


def trend(c: Counts, board: Dashboard) -> Table:
    """The share of random checks year by year (the seed asks it to keep rising)."""
    rows: list[list[Any]] = [[str(y), c.random_checks(c.key, y), c.other_checks(c.key, y), c.share(c.key, y)]
                             for y in range(c.first, c.year + 1)]
    points = [(row[0], float(row[3] or 0)) for row in rows]
    title = _("随机抽查占比（%）逐年变化")
    return Table("trend", _("随机抽查占比逐年变化"), [_("年度"), _("随机抽查"), _("其他检查"), _("随机抽查占比（%）")],
                 rows, line_chart(points, label=_described(title, [(row[0], _percent_text(row[3])) for row in rows]),
                                  unit="%", scale_max=100.0))


def plans_by_state(c: Counts, board: Dashboard) -> Table:
    found = c.plan_states.get(c.key, {})
    rows: list[list[Any]] = [[str(label), found.get(state, 0)] for state, label in PlanStatus.choices]
    title = _("%(year)s年抽查计划（按状态）") % {"year": c.year}
    return Table("plans_by_state", _("抽查计划（按状态）"), [_("状态"), _("计划数")], rows, _bars(title, rows))


def tasks_by_state(c: Counts, board: Dashboard) -> Table:
    total, done, done_percent = c.completion(c.key)
    rows: list[list[Any]] = [[str(label), c.tasks(c.key).get(state, 0)] for state, label in TaskStatus.choices]
    title = _("%(year)s年检查任务（按状态）") % {"year": c.year}
    return Table("tasks_by_state", _("检查任务（按状态）与完成率"), [_("状态"), _("任务数")], rows,
                 donut_chart([(row[0], float(row[1])) for row in rows],
                             label=_described(title, [(row[0], shown(row[1])) for row in rows]),
                             centre=_percent_text(done_percent)),
                 _("完成率：已公示（含已归档）的任务 %(done)s ÷ 未取消的任务 %(total)s = %(percent)s") % {
                     "done": done, "total": total, "percent": _percent_text(done_percent)})


def results(c: Counts, board: Dashboard) -> Table:
    found = c.categories.get(c.key, {})
    total = sum(found.values())
    rows: list[list[Any]] = [[str(label), found.get(code, 0), percent(found.get(code, 0), total)]
                             for code, label in ResultCategory.choices]
    title = _("%(year)s年检查结果（按类别）") % {"year": c.year}
    return Table("results", _("检查结果（按类别）"), [_("检查结果"), _("结果数"), _("占比（%）")], rows,
                 _bars(title, rows), _("已公示的检查结果，更正后的以更正为准；每个事项一条。"))


def follow_ups(c: Counts, board: Dashboard) -> Table:
    kinds = c.follow_ups["kinds"].get(c.key, {})
    still = c.follow_ups["open_results"].get(c.key, {})
    rows: list[list[Any]] = [[str(label), kinds.get(code, 0), still.get(code, 0)] for code, label in FollowUp.choices]
    title = _("%(year)s年发现问题的后续处置") % {"year": c.year}
    return Table("follow_ups", _("发现问题的后续处置"), [_("后续处置"), _("问题结果数"), _("尚未完成处置")], rows,
                 _bars(title, rows),
                 _("尚未完成处置的任务：%(n)s 个（已公示、有待处置的问题结果、尚未登记处置完成）。") % {
                     "n": c.open_follow_ups(c.key)})


def joint_plans(c: Counts, board: Dashboard) -> Table:
    """Joint plans and the visits they saved (一次性完成)."""
    rows: list[list[Any]] = [
        [p.number, p.name, "、".join(pd.department.name for pd in p.participants.all()), p.departments_n,  # type: ignore[attr-defined]
         p.tasks_n, visits_saved(p.tasks_n, p.departments_n)]  # type: ignore[attr-defined]
        for p in c.joint_plans()]
    title = _("%(year)s年联合抽查节省的检查次数") % {"year": c.year}
    chart = _bars(title, [[row[0], row[5]] for row in rows]) if rows else None
    if rows:
        rows.append([_("合计"), "", "", "", sum(row[4] for row in rows), c.visits_saved()])
    return Table("joint", _("联合抽查"), [_("计划编号"), _("计划名称"), _("参与部门"), _("部门数"), _("任务数"),
                                       _("节省检查次数")], rows, chart,
                 _("联合抽查的每个任务一次检查完成各参与部门的事项：节省的检查次数 = 任务数 ×（部门数 − 1）。"))


def item_lists(c: Counts, board: Dashboard) -> Table:
    """Each department's item list: published or not, and its last change."""
    rows = [[d.name, _("已公布") if d.version else _("未公布"), d.version, d.items_n,  # type: ignore[attr-defined]
             when(d.published_at), _("有") if d.drafts else _("无"), when(d.changed_at)]  # type: ignore[attr-defined]
            for d in c.departments]
    return Table("item_lists", _("随机抽查事项清单"), [_("部门"), _("公布情况"), _("当前版本"), _("事项数"),
                                                _("最近公布时间"), _("待公布草稿"), _("最近变更")], rows)


def plan_list(c: Counts, board: Dashboard) -> Table:
    """The year's plans with their numbers."""
    rows = [[p.number, p.name, "、".join(pd.department.name for pd in p.participants.all()), p.get_status_display(),
             p.tasks_n, p.published_n, percent(p.published_n, p.tasks_n), p.problems_n, p.open_n]  # type: ignore[attr-defined]
            for p in c.plans]
    return Table("plan_list", _("本年度抽查计划"), [_("计划编号"), _("计划名称"), _("参与部门"), _("状态"), _("任务数"),
                                              _("已公示"), _("完成率（%）"), _("发现问题（任务）"),
                                              _("后续处置未完成（任务）")], rows)


def cards(c: Counts) -> list[tuple[str, str, bool]]:
    """The key figures at the top: (label, value, whether it is within the rule)."""
    total_cov = c.coverage(c.key)[TOTAL]
    late = c.late.get(c.key, 0)
    return [
        (_("抽查覆盖率"), _percent_text(total_cov.percent), total_cov.met),
        (_("距最低比例差额（户）"), shown(total_cov.shortfall), total_cov.met),
        (_("随机抽查占比"), _percent_text(c.share(c.key)), True),
        (_("任务完成率"), _percent_text(c.completion(c.key)[2]), True),
        (_("逾期未公示"), shown(late), not late),
        (_("后续处置未完成"), shown(c.open_follow_ups(c.key)), True),
        (_("联合抽查节省检查"), shown(c.visits_saved()), True),
    ]
