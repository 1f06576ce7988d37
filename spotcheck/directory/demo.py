"""The demo district: 重庆市巴南区 with synthetic entities and inspectors.

Everything goes through the real import path (so the audit log shows it),
from a fixed random seed, so that running it again changes nothing.
"""

from __future__ import annotations

import os
from datetime import date

from django.db import transaction
from django.utils import timezone

from spotcheck.accounts.models import Role, User
from spotcheck.audit.log import record
from spotcheck.directory.demo_data import (
    DEPARTMENTS,
    ITEM_HEADER,
    ITEMS,
    REGIONS,
    csv_file,
    entity_rows,
    history_rows,
    inspector_rows,
)
from spotcheck.directory.imports import Outcome, run_import
from spotcheck.directory.models import Department, Inspector

DEMO_PASSWORD_DEFAULT = "Banan-2015-250"  # noqa: S105 (printed for the demo)


def demo_password() -> str:
    return os.environ.get("SPOTCHECK_DEMO_PASSWORD", DEMO_PASSWORD_DEFAULT)



def create(entity_count: int = 5000) -> dict[str, Outcome]:
    """Create or refresh the demo district; return each import's outcome."""
    outcomes = {}
    actor = "system:demo"
    outcomes["regions"] = run_import("regions", csv_file(["区划代码", "名称"], [list(r) for r in REGIONS]),
                                     "demo-regions.csv", actor)
    outcomes["departments"] = run_import(
        "departments", csv_file(["部门代码", "部门名称", "简称"], [list(d) for d in DEPARTMENTS]),
        "demo-departments.csv", actor)
    entities = entity_rows(entity_count)
    outcomes["entities"] = run_import("entities", csv_file([
        "uscc", "name", "entity_type", "industry", "region", "status", "address",
        "legal_representative", "established_on", "foreign", "abnormal", "serious_violation",
        "complaints_12m", "credit_risk"], entities), "demo-entities.csv", actor)
    outcomes["inspectors"] = run_import("inspectors", csv_file(
        ["cert_no", "name", "department", "status", "cert_expires_on", "items", "conflicts"],
        inspector_rows([row[0] for row in entities])), "demo-inspectors.csv", actor)
    outcomes["items"] = run_import("items", csv_file(ITEM_HEADER, [list(i) for i in ITEMS]),
                                   "demo-items.csv", actor)
    outcomes["history"] = run_import(
        "history", csv_file(["uscc", "department", "item", "inspected_on", "result"],
                            history_rows([row[0] for row in entities if row[5] == "active"],
                                         timezone.localdate().year)),
        "demo-history.csv", actor)
    create_users()
    create_plans(timezone.localdate().year)
    create_notices()
    return outcomes


DEMO_PLANS = [
    # (name, departments, items, industries in scope, what to do with it)
    ("企业公示信息双随机抽查", ["SCJGJ"], ["SCJGJ-001"], [], "draw"),
    ("住宿餐饮业食品经营和公共场所卫生联合抽查", ["SCJGJ", "WJW"], ["SCJGJ-002", "WJW-001"], ["H"], "approve"),
    ("产品质量监督抽查", ["SCJGJ"], ["SCJGJ-003"], ["C", "F"], "draft"),
]


def create_plans(year: int) -> None:
    """Create the demo plans once: one drawn (with its public record), one approved joint plan, one draft."""
    from spotcheck.draws.service import commit, run
    from spotcheck.plans import spec
    from spotcheck.plans.framedata import spec_context
    from spotcheck.plans.models import Plan, create_plan

    if Plan.objects.exists():
        return
    context = spec_context()
    author = User.objects.get(username="scjg_admin")
    head = User.objects.get(username="scjg_head")
    for name, departments, items, industries, stage in DEMO_PLANS:
        clean, problems = spec.validate({"name": f"{year}年度{name}", "year": year, "departments": departments,
                                         "items": items, "scope": {"industries": industries}}, context)
        if problems:
            raise ValueError(problems.text())
        plan = create_plan(clean, author)
        if stage == "draft":
            continue
        plan.submit(author)
        for department in plan.unconfirmed():
            plan.confirm(User.objects.filter(department=department, role=Role.DEPT_ADMIN).first(), department)
        plan.approve(head)
        if stage == "draw":
            commit(plan, author)
            run(plan, "6 2 3 4 1 5 5 2 6 1 3 4 2 6 5 1 4 3 2 1", author,
                [("刘见证", "deputy", "区人大常委会"), ("周公证", "notary", "重庆市巴南公证处")])
            create_results(plan, author, head)


# What the demo's teams found (result, findings, follow-up), task by task in draw order.
DEMO_FINDINGS = [
    ("no_issue", "", "none"), ("no_issue", "", "none"), ("disclosure_violation", "2025年度报告未按期公示",
                                                          "rectification"),
    ("no_issue", "", "none"), ("corrected", "经营场所未悬挂营业执照，已当场责令改正", "none"),
    ("no_activity", "", "none"), ("unreachable", "登记住所无人，电话无法接通", "daily_supervision"),
    ("no_issue", "", "none"),
]


def create_results(plan, admin, head) -> None:
    """Give the drawn demo plan results at every stage: published (one followed up), one waiting for
    review and overdue, the rest for the demo inspector to enter."""
    from datetime import timedelta

    from spotcheck.results import service

    tasks = list(plan.tasks.order_by("order"))
    today = timezone.localdate()
    for n, (task, (category, findings, follow_up)) in enumerate(zip(tasks, DEMO_FINDINGS, strict=False)):
        day = max(date(plan.year, 1, 1), today - timedelta(days=3 + n))
        rows = {code: {"method": "onsite", "inspected_on": day, "checked": "核查经营场所、营业执照和年度报告公示信息",
                       "findings": findings, "category": category, "follow_up": follow_up} for code in task.items}
        service.enter_sheet_results(task, rows, None)
        service.approve(task, head)
    if len(tasks) > len(DEMO_FINDINGS):  # submitted 30 days after its inspection: overdue (R7)
        task = tasks[len(DEMO_FINDINGS)]
        day = max(date(plan.year, 1, 1), today - timedelta(days=30))
        service.enter_sheet_results(task, {code: {"method": "written", "inspected_on": day, "checked": "书面核查",
                                                  "category": "no_issue"} for code in task.items}, None)
    followed = tasks[6] if len(tasks) > 6 else None
    if followed is not None and service.open_problems(followed):
        service.record_follow_up(followed, admin, action="已复查，营业执照已悬挂", done_on=today, done_by="李执法")
    # The demo inspector leads the next task waiting for its results.
    waiting = next((t for t in tasks[len(DEMO_FINDINGS) + 1:]), None)
    if waiting is not None:
        leader = waiting.members.get(position=0).inspector
        User.objects.filter(username="scjg_inspector").update(inspector=leader, display_name=leader.name)


DEMO_NOTICES = [
    # department, kind, title, body (Markdown), the items it concerns
    ("SCJGJ", "notice", "关于做好企业年度报告公示工作的通知",
     "各企业：\n\n根据《企业信息公示暂行条例》，企业应当于**每年1月1日至6月30日**，通过国家企业信用信息公示系统"
     "报送上一年度年度报告。\n\n- 未按期公示的，列入经营异常名录；\n- 公示信息隐瞒真实情况、弄虚作假的，依法处理。\n\n"
     "年报情况是企业公示信息抽查（SCJGJ-001）的重点内容。", ["SCJGJ-001"]),
    ("SCJGJ", "guide", "食品经营许可办事指南",
     "## 申请条件\n\n具有与经营的食品品种、数量相适应的经营场所和设施。\n\n## 申请材料\n\n"
     "| 材料 | 份数 |\n|:--|--:|\n| 食品经营许可申请书 | 1 |\n| 营业执照复印件 | 1 |\n| 经营场所平面图 | 1 |\n\n"
     "## 办理时限\n\n自受理之日起10个工作日。", ["SCJGJ-002"]),
    ("WJW", "guide", "公共场所卫生许可办事指南",
     "住宿、美容美发等公共场所开业前应取得卫生许可证。\n\n1. 提交申请书和营业执照；\n2. 现场审查；\n"
     "3. 符合条件的，20日内发证。\n\n咨询电话见[区卫生健康委](https://www.cqbn.gov.cn/)网站。", ["WJW-001"]),
]


def create_notices() -> None:
    """Publish the demo's notices and guides once, so that the service column is not empty."""
    from spotcheck.catalog.models import ItemCode
    from spotcheck.notices import service
    from spotcheck.notices.models import Notice

    if Notice.objects.exists():
        return
    for code, kind, title, body, items in DEMO_NOTICES:
        notice = service.create(Department.objects.get(code=code),
                                {"kind": kind, "title": title, "body": body, "valid_until": None},
                                ItemCode.objects.filter(code__in=items), "system:demo")
        service.publish(notice, "system:demo")


DEMO_USERS = [
    # username, role, department code, display name
    ("coordinator", Role.COORDINATOR, None, "区协调办 王主任"),
    ("scjg_admin", Role.DEPT_ADMIN, "SCJGJ", "市场监管局 李管理员"),
    ("scjg_head", Role.DEPT_HEAD, "SCJGJ", "市场监管局 陈局长"),
    ("scjg_inspector", Role.INSPECTOR, "SCJGJ", ""),
    ("wjw_admin", Role.DEPT_ADMIN, "WJW", "卫生健康委 赵管理员"),
    ("wjw_head", Role.DEPT_HEAD, "WJW", "卫生健康委 周主任"),
    ("witness", Role.WITNESS, None, "人大代表 刘见证"),
]


@transaction.atomic
def create_users() -> None:
    for username, role, department_code, display in DEMO_USERS:
        department = Department.objects.get(code=department_code) if department_code else None
        inspector = None
        if role == Role.INSPECTOR and department is not None:
            inspector = (Inspector.objects.filter(department=department, status="active",
                                                  cert_expires_on__gte=date.today())
                         .order_by("cert_no").first())
            display = display or (inspector.name if inspector else "")
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"role": role, "department": department, "display_name": display,
                      "inspector": inspector},
        )
        if created:
            user.set_password(demo_password())
            user.save()
            record("system:demo", "user_create", "user", username,
                   {"role": str(role), "department": department_code})
