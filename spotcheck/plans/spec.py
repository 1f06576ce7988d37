"""The plan file of spec/interfaces.md: validation and defaults, on plain data.

``validate`` takes the parsed JSON (or the web form's equivalent) and what it
must be checked against, and returns the cleaned plan or every problem, each
with its field and a reason in the interface language (Chinese unless English is chosen).
Departments and strata are named by their names, not their codes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from spotcheck.directory.models import INDUSTRIES, EntityType
from spotcheck.draw import RATIO_FORM

STRATA = ("general", "foreign", "heightened")
STRATUM_NAMES = {"general": gettext_lazy("一般"), "foreign": gettext_lazy("涉外"),
                 "heightened": gettext_lazy("加大抽查力度")}
KEYS = {"name", "year", "departments", "items", "scope", "strata", "complaint_threshold",
        "team_size", "capacity", "honour_exemptions", "starts_on", "ends_on"}
SCOPE_KEYS = {"regions", "industries", "entity_types"}
PLAN_FILE_MAX_BYTES = 1024 * 1024  # a plan file is a few kilobytes
NAME_MAX_LENGTH = 200  # Plan.name
MAX_INTEGER = 2_147_483_647  # the largest value every database keeps in an integer column


class PlanFileError(Exception):
    """A plan file that is not a JSON text at all (before its fields are judged)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def parse_file(content: bytes, name: str) -> Any:
    """Return the JSON value of a plan file's bytes, or raise PlanFileError with a clear reason.

    The file must be named ``.json``, be at most PLAN_FILE_MAX_BYTES and be UTF-8 (a BOM is
    allowed). What the value holds is judged by ``validate``.
    """
    shown = name.rsplit("/", 1)[-1] or "（无名称）"
    if not shown.lower().endswith(".json"):
        raise PlanFileError(_("计划文件应为 .json 文件，“%(name)s”不是") % {"name": shown})
    if len(content) > PLAN_FILE_MAX_BYTES:
        raise PlanFileError(_("计划文件“%(name)s”超过%(kb)sKB的上限")
                            % {"name": shown, "kb": PLAN_FILE_MAX_BYTES // 1024})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PlanFileError(_("计划文件“%(name)s”不是UTF-8编码") % {"name": shown}) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFileError(_("计划文件“%(name)s”不是有效的JSON：第%(line)s行第%(column)s列")
                            % {"name": shown, "line": exc.lineno, "column": exc.colno}) from None
    except (ValueError, RecursionError):  # a number of thousands of digits; nesting too deep
        raise PlanFileError(_("计划文件“%(name)s”不是有效的JSON") % {"name": shown}) from None


@dataclass(frozen=True)
class Context:
    """What a plan is checked against."""

    departments: set[str]  # department codes
    published_items: dict[str, str]  # item code -> department code (current published lists)
    regions: dict[str, str]  # region code or name -> code
    min_ratio: Decimal
    min_team_size: int
    default_ratios: dict[str, str]
    default_complaint_threshold: int
    department_names: dict[str, str] = field(default_factory=dict)  # code -> name, for the messages

    def department(self, code: str) -> str:
        """Name a department in a message: its name, or the code as given when there is none."""
        return self.department_names.get(code) or code


@dataclass
class Problems:
    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, field_name: str, message: str) -> None:
        self.items.append((field_name, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def as_list(self) -> list[dict[str, str]]:
        return [{"field": f, "message": m} for f, m in self.items]

    def text(self) -> str:
        return "\n".join(f"{f}: {m}" for f, m in self.items)


def _text_list(value: Any, name: str, problems: Problems) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(name, _("应为文本列表"))
        return []
    return [v.strip() for v in value if v.strip()]


def _ratio(value: Any, name: str, ctx: Context, problems: Problems) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        problems.add(name, _("比例不是数字“%(value)s”") % {"value": value})
        return None
    text = str(value).strip()
    try:
        ratio = Decimal(text)
    except InvalidOperation:
        problems.add(name, _("比例不是数字“%(value)s”") % {"value": value})
        return None
    if not ratio.is_finite() or ratio > 1:
        problems.add(name, _("比例须在0到1之间“%(value)s”") % {"value": value})
        return None
    if ratio < ctx.min_ratio:
        problems.add(name, _("比例%(ratio)s低于最低抽查比例%(minimum)s（不得低于市场主体的3%%）")
                     % {"ratio": text, "minimum": ctx.min_ratio})
        return None
    # Kept as the plain decimal text the draw record carries ("5e-2" becomes "0.05").
    return text if RATIO_FORM.fullmatch(text) else format(ratio, "f")


def _count(value: Any, name: str, problems: Problems) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        problems.add(name, _("数量不是整数“%(value)s”") % {"value": value})
        return None
    try:
        count = int(str(value).strip())
    except ValueError:
        problems.add(name, _("数量不是整数“%(value)s”") % {"value": value})
        return None
    if count < 0:
        problems.add(name, _("数量不能为负“%(value)s”") % {"value": value})
        return None
    return count


def _date(value: Any, name: str, problems: Problems) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problems.add(name, _("日期无效“%(value)s”（应为YYYY-MM-DD）") % {"value": value})
        return None


def _positive(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _capacity(value: Any, departments: list[str], ctx: Context, problems: Problems) -> int | dict[str, int] | None:
    """Return the plan's capacity (rules.md R5): None, one integer for all, or a map per department."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        result = {}
        for code, cap in value.items():
            if code not in departments:
                problems.add(f"capacity.{code}", _("部门“%(name)s”不在本计划中") % {"name": ctx.department(code)})
            elif not _positive(cap):
                problems.add(f"capacity.{code}", _("%(department)s每人承担上限应为正整数“%(value)s”")
                             % {"department": ctx.department(code), "value": cap})
            else:
                result[str(code)] = cap
        return result or None
    if not _positive(value):
        problems.add("capacity", _("每人承担上限应为正整数，或按部门给出“%(value)s”") % {"value": value})
        return None
    return value


def validate(data: Mapping[str, Any], ctx: Context) -> tuple[dict[str, Any], Problems]:
    """Return (the cleaned plan with defaults, problems)."""
    problems = Problems()
    if not isinstance(data, Mapping):
        problems.add("plan", _("计划文件应为JSON对象"))
        return {}, problems
    for key in sorted(set(data) - KEYS):
        problems.add(key or "\"\"", _("未知的字段"))  # an empty name is shown as ""

    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.add("name", _("计划名称不能为空"))
        name = ""
    elif len(name.strip()) > NAME_MAX_LENGTH:
        problems.add("name", _("计划名称不能超过%(limit)s个字符") % {"limit": NAME_MAX_LENGTH})
    year = data.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        problems.add("year", _("年度无效“%(value)s”") % {"value": year})
        year = 0

    departments = _text_list(data.get("departments"), "departments", problems)
    if not departments:
        problems.add("departments", _("至少需要一个部门"))
    if len(set(departments)) != len(departments):
        problems.add("departments", _("部门重复"))
    for code in departments:
        if code not in ctx.departments:
            problems.add("departments", _("未知的部门“%(code)s”") % {"code": code})

    items = _text_list(data.get("items"), "items", problems)
    if not items:
        problems.add("items", _("至少需要一个抽查事项（法律法规规章没有规定的一律不得擅自开展检查）"))
    if len(set(items)) != len(items):
        problems.add("items", _("事项重复"))
    for code in items:
        owner = ctx.published_items.get(code)
        if owner is None:
            problems.add("items", _("事项“%(code)s”不在已公布的事项清单中") % {"code": code})
        elif owner not in departments:
            problems.add("items", _("事项“%(code)s”属于%(department)s，该部门不在本计划中")
                         % {"code": code, "department": ctx.department(owner)})
    for code in departments:
        if code in ctx.departments and items and not any(ctx.published_items.get(i) == code for i in items):
            problems.add("items", _("%(department)s在本计划中没有抽查事项") % {"department": ctx.department(code)})

    scope_in = data.get("scope") or {}
    scope: dict[str, list[str]] = {"regions": [], "industries": [], "entity_types": []}
    if not isinstance(scope_in, Mapping):
        problems.add("scope", _("应为对象"))
        scope_in = {}
    for key in sorted(set(scope_in) - SCOPE_KEYS):
        problems.add(f"scope.{key}", _("未知的字段"))
    for region in _text_list(scope_in.get("regions"), "scope.regions", problems):
        if region not in ctx.regions:
            problems.add("scope.regions", _("未知的镇街“%(value)s”") % {"value": region})
        else:
            scope["regions"].append(ctx.regions[region])
    for industry in _text_list(scope_in.get("industries"), "scope.industries", problems):
        if industry.upper() not in INDUSTRIES:
            problems.add("scope.industries", _("行业门类应为A到T“%(value)s”") % {"value": industry})
        else:
            scope["industries"].append(industry.upper())
    for kind in _text_list(scope_in.get("entity_types"), "scope.entity_types", problems):
        if kind not in EntityType.values:
            problems.add("scope.entity_types", _("未知的市场主体类型“%(value)s”") % {"value": kind})
        else:
            scope["entity_types"].append(kind)

    strata_in = data.get("strata") or {}
    strata: dict[str, dict[str, Any]] = {}
    if not isinstance(strata_in, Mapping):
        problems.add("strata", _("应为对象"))
        strata_in = {}
    for key in sorted(set(strata_in) - set(STRATA)):
        problems.add(f"strata.{key}", _("未知的分层“%(value)s”，应为 general（一般）、foreign（涉外）或 heightened（加大抽查力度）")
                     % {"value": key})
    for stratum in STRATA:
        rule = strata_in.get(stratum)
        where = f"strata.{stratum}"
        if rule is None:
            strata[stratum] = {"ratio": ctx.default_ratios[stratum]}
            continue
        if isinstance(rule, Mapping) and "ratio" in rule and "count" in rule:  # rules.md R4: one or the other
            problems.add(where, _("%(stratum)s：比例和数量只能给出一项，不能同时给出") % {"stratum": STRATUM_NAMES[stratum]})
            continue
        if not isinstance(rule, Mapping) or len(rule) != 1 or next(iter(rule)) not in ("ratio", "count"):
            problems.add(where, _("%(stratum)s：应为 {\"ratio\": \"0.03\"} 或 {\"count\": 12}") % {"stratum": STRATUM_NAMES[stratum]})
            continue
        if "ratio" in rule:
            ratio = _ratio(rule["ratio"], where, ctx, problems)
            if ratio is not None:
                strata[stratum] = {"ratio": ratio}
        else:
            count = _count(rule["count"], where, problems)
            if count is not None:
                strata[stratum] = {"count": count}

    threshold = data.get("complaint_threshold", ctx.default_complaint_threshold)
    if isinstance(threshold, bool) or not isinstance(threshold, int) or not 1 <= threshold <= MAX_INTEGER:
        problems.add("complaint_threshold", _("应为正整数"))
    team_size = data.get("team_size", max(ctx.min_team_size, len(departments)))
    if isinstance(team_size, bool) or not isinstance(team_size, int):
        problems.add("team_size", _("应为整数"))
    elif team_size < ctx.min_team_size:
        problems.add("team_size", _("检查组至少%(minimum)s人（执法人员不得少于两人）") % {"minimum": ctx.min_team_size})
    elif team_size > MAX_INTEGER:
        problems.add("team_size", _("检查组人数过大“%(value)s”") % {"value": team_size})
    elif team_size < len(departments):
        problems.add("team_size", _("联合抽查的检查组人数不能少于参与部门数%(count)s") % {"count": len(departments)})
    capacity = _capacity(data.get("capacity"), departments, ctx, problems)
    honour = data.get("honour_exemptions", True)
    if not isinstance(honour, bool):
        problems.add("honour_exemptions", _("应为 true 或 false"))
    starts_on = _date(data.get("starts_on"), "starts_on", problems)
    ends_on = _date(data.get("ends_on"), "ends_on", problems)
    if starts_on and ends_on and ends_on < starts_on:
        problems.add("ends_on", _("结束日期早于开始日期"))

    clean = {
        "name": name.strip() if isinstance(name, str) else "",
        "year": year,
        "departments": departments,
        "items": items,
        "scope": scope,
        "strata": strata,
        "complaint_threshold": threshold,
        "team_size": team_size,
        "capacity": capacity,
        "honour_exemptions": honour,
        "starts_on": starts_on,
        "ends_on": ends_on,
    }
    return clean, problems
