"""The plan file of spec/interfaces.md: validation and defaults, on plain data.

``validate`` takes the parsed JSON (or the web form's equivalent) and what it
must be checked against, and returns the cleaned plan or every problem, each
with its field and a Chinese-and-English reason.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from spotcheck.directory.models import INDUSTRIES, EntityType
from spotcheck.draw import RATIO_FORM

STRATA = ("general", "foreign", "heightened")
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
        raise PlanFileError(f"计划文件应为 .json 文件，“{shown}”不是 / a plan file must be a .json file")
    if len(content) > PLAN_FILE_MAX_BYTES:
        raise PlanFileError(f"计划文件“{shown}”超过{PLAN_FILE_MAX_BYTES // 1024}KB的上限"
                            f" / the plan file is larger than {PLAN_FILE_MAX_BYTES // 1024} KB")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PlanFileError(f"计划文件“{shown}”不是UTF-8编码 / the plan file is not UTF-8") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFileError(f"计划文件“{shown}”不是有效的JSON：第{exc.lineno}行第{exc.colno}列"
                            f" / not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:  # a number of thousands of digits; nesting too deep
        raise PlanFileError(f"计划文件“{shown}”不是有效的JSON / not valid JSON: {str(exc)[:200]}") from None


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
        problems.add(name, "应为文本列表 / must be a list of text")
        return []
    return [v.strip() for v in value if v.strip()]


def _ratio(value: Any, name: str, ctx: Context, problems: Problems) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        problems.add(name, f"比例不是数字“{value}” / the ratio is not a number")
        return None
    text = str(value).strip()
    try:
        ratio = Decimal(text)
    except InvalidOperation:
        problems.add(name, f"比例不是数字“{value}” / the ratio is not a number")
        return None
    if not ratio.is_finite() or ratio > 1:
        problems.add(name, f"比例须在0到1之间“{value}” / the ratio must be between 0 and 1")
        return None
    if ratio < ctx.min_ratio:
        problems.add(name, f"比例{text}低于最低抽查比例{ctx.min_ratio}（不得低于市场主体的3%）"
                           f" / ratio {text} is below the minimum {ctx.min_ratio}")
        return None
    # Kept as the plain decimal text the draw record carries ("5e-2" becomes "0.05").
    return text if RATIO_FORM.fullmatch(text) else format(ratio, "f")


def _count(value: Any, name: str, problems: Problems) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        problems.add(name, f"数量不是整数“{value}” / the count is not a whole number")
        return None
    try:
        count = int(str(value).strip())
    except ValueError:
        problems.add(name, f"数量不是整数“{value}” / the count is not a whole number")
        return None
    if count < 0:
        problems.add(name, f"数量不能为负“{value}” / the count must not be negative")
        return None
    return count


def _date(value: Any, name: str, problems: Problems) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problems.add(name, f"日期无效“{value}”（应为YYYY-MM-DD） / invalid date (use YYYY-MM-DD)")
        return None


def _positive(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _capacity(value: Any, departments: list[str], problems: Problems) -> int | dict[str, int] | None:
    """Return the plan's capacity (rules.md R5): None, one integer for all, or a map per department."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        result = {}
        for code, cap in value.items():
            if code not in departments:
                problems.add(f"capacity.{code}", f"部门“{code}”不在本计划中 / department {code} is not in the plan")
            elif not _positive(cap):
                problems.add(f"capacity.{code}", f"每人承担上限应为正整数“{cap}” / must be a whole number of at least 1")
            else:
                result[str(code)] = cap
        return result or None
    if not _positive(value):
        problems.add("capacity", f"每人承担上限应为正整数，或按部门给出“{value}” / give a whole number of at "
                                 "least 1, or one per department")
        return None
    return value


def validate(data: Mapping[str, Any], ctx: Context) -> tuple[dict[str, Any], Problems]:
    """Return (the cleaned plan with defaults, problems)."""
    problems = Problems()
    if not isinstance(data, Mapping):
        problems.add("plan", "计划文件应为JSON对象 / the plan must be a JSON object")
        return {}, problems
    for key in sorted(set(data) - KEYS):
        problems.add(key or "\"\"", "未知的字段 / unknown field")  # an empty name is shown as ""

    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.add("name", "计划名称不能为空 / the plan needs a name")
        name = ""
    elif len(name.strip()) > NAME_MAX_LENGTH:
        problems.add("name", f"计划名称不能超过{NAME_MAX_LENGTH}个字符 / at most {NAME_MAX_LENGTH} characters")
    year = data.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        problems.add("year", f"年度无效“{year}” / invalid year")
        year = 0

    departments = _text_list(data.get("departments"), "departments", problems)
    if not departments:
        problems.add("departments", "至少需要一个部门 / name at least one department")
    if len(set(departments)) != len(departments):
        problems.add("departments", "部门重复 / a department is named twice")
    for code in departments:
        if code not in ctx.departments:
            problems.add("departments", f"未知的部门“{code}” / unknown department")

    items = _text_list(data.get("items"), "items", problems)
    if not items:
        problems.add("items", "至少需要一个抽查事项（法律法规规章没有规定的一律不得擅自开展检查）"
                              " / name at least one published item")
    if len(set(items)) != len(items):
        problems.add("items", "事项重复 / an item is named twice")
    for code in items:
        owner = ctx.published_items.get(code)
        if owner is None:
            problems.add("items", f"事项“{code}”不在已公布的事项清单中 / item {code} is not in a published list")
        elif owner not in departments:
            problems.add("items", f"事项“{code}”属于部门{owner}，该部门不在本计划中"
                                  f" / item {code} belongs to {owner}, which is not in the plan")
    for code in departments:
        if code in ctx.departments and items and not any(ctx.published_items.get(i) == code for i in items):
            problems.add("items", f"部门{code}在本计划中没有抽查事项 / department {code} has no item in the plan")

    scope_in = data.get("scope") or {}
    scope: dict[str, list[str]] = {"regions": [], "industries": [], "entity_types": []}
    if not isinstance(scope_in, Mapping):
        problems.add("scope", "应为对象 / must be an object")
        scope_in = {}
    for key in sorted(set(scope_in) - SCOPE_KEYS):
        problems.add(f"scope.{key}", "未知的字段 / unknown field")
    for region in _text_list(scope_in.get("regions"), "scope.regions", problems):
        if region not in ctx.regions:
            problems.add("scope.regions", f"未知的镇街“{region}” / unknown region")
        else:
            scope["regions"].append(ctx.regions[region])
    for industry in _text_list(scope_in.get("industries"), "scope.industries", problems):
        if industry.upper() not in INDUSTRIES:
            problems.add("scope.industries", f"行业门类应为A到T“{industry}” / industry must be a section A to T")
        else:
            scope["industries"].append(industry.upper())
    for kind in _text_list(scope_in.get("entity_types"), "scope.entity_types", problems):
        if kind not in EntityType.values:
            problems.add("scope.entity_types", f"未知的市场主体类型“{kind}” / unknown entity type")
        else:
            scope["entity_types"].append(kind)

    strata_in = data.get("strata") or {}
    strata: dict[str, dict[str, Any]] = {}
    if not isinstance(strata_in, Mapping):
        problems.add("strata", "应为对象 / must be an object")
        strata_in = {}
    for key in sorted(set(strata_in) - set(STRATA)):
        problems.add(f"strata.{key}", f"未知的分层“{key}”，应为 general、foreign 或 heightened / unknown stratum")
    for stratum in STRATA:
        rule = strata_in.get(stratum)
        where = f"strata.{stratum}"
        if rule is None:
            strata[stratum] = {"ratio": ctx.default_ratios[stratum]}
            continue
        if isinstance(rule, Mapping) and "ratio" in rule and "count" in rule:  # rules.md R4: one or the other
            problems.add(where, "比例和数量只能给出一项，不能同时给出 / give a ratio or a count, not both")
            continue
        if not isinstance(rule, Mapping) or len(rule) != 1 or next(iter(rule)) not in ("ratio", "count"):
            problems.add(where, "应为 {\"ratio\": \"0.03\"} 或 {\"count\": 12} / give a ratio or a count")
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
        problems.add("complaint_threshold", "应为正整数 / must be a whole number of at least 1")
    team_size = data.get("team_size", max(ctx.min_team_size, len(departments)))
    if isinstance(team_size, bool) or not isinstance(team_size, int):
        problems.add("team_size", "应为整数 / must be a whole number")
    elif team_size < ctx.min_team_size:
        problems.add("team_size", f"检查组至少{ctx.min_team_size}人（执法人员不得少于两人）"
                                  f" / a team needs at least {ctx.min_team_size} inspectors")
    elif team_size > MAX_INTEGER:
        problems.add("team_size", f"检查组人数过大“{team_size}” / too large")
    elif team_size < len(departments):
        problems.add("team_size", f"联合抽查的检查组人数不能少于参与部门数{len(departments)}"
                                  f" / a joint team needs one inspector per department ({len(departments)})")
    capacity = _capacity(data.get("capacity"), departments, problems)
    honour = data.get("honour_exemptions", True)
    if not isinstance(honour, bool):
        problems.add("honour_exemptions", "应为 true 或 false / must be true or false")
    starts_on = _date(data.get("starts_on"), "starts_on", problems)
    ends_on = _date(data.get("ends_on"), "ends_on", problems)
    if starts_on and ends_on and ends_on < starts_on:
        problems.add("ends_on", "结束日期早于开始日期 / the end is before the start")

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
