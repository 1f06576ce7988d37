"""How the log is shown on pages: actors as "李管理员（部门管理员）" (never ``user:scjg_admin``),
actions as words, details as fields, times in local time.

The log and the records keep the actor as written when the action was taken
(``user:<username>``, ``cli:<os user>``, ``system:…``): a stable key that is part
of the audit chain's hashes. Pages show it as the person's name and role, read
from the user table.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def _usernames(actors: Iterable[str]) -> set[str]:
    return {actor[5:] for actor in actors if isinstance(actor, str) and actor.startswith("user:")}


# Names and roles change seldom: a page may show them as they were up to this many seconds ago.
CACHED_SECONDS = 60


def people(actors: Iterable[str]) -> dict[str, str]:
    """Return {actor: how to show them} for the actors (at most one query, for the users not cached)."""
    from spotcheck.accounts.models import User

    actors = [a for a in actors if a]
    wanted = _usernames(actors)
    known = cache.get_many([f"person:{name}" for name in wanted])
    users = {key[7:]: value for key, value in known.items()}
    missing = wanted - set(users)
    if missing:
        found = {u.username: (u.display_name or u.username, u.role or "")
                 for u in User.objects.filter(username__in=missing)}
        cache.set_many({f"person:{name}": shown for name, shown in found.items()}, CACHED_SECONDS)
        users.update(found)
    return {actor: _shown(actor, users) for actor in actors}


def person(actor: str) -> str:
    """Return how to show one actor (one query)."""
    return people([actor]).get(actor, "") if actor else ""


def _shown(actor: str, users: dict[str, tuple[str, str]]) -> str:
    from spotcheck.accounts.models import Role

    role_names = dict(Role.choices)  # translated when shown, in the page's language
    if actor.startswith("user:"):
        found = users.get(actor[5:])
        if found is None:
            return actor[5:]
        name, role = found
        return f"{name}（{role_names.get(role, role)}）" if role else name
    if actor.startswith("cli:"):
        return gettext("命令行（%(user)s）") % {"user": actor[4:]}
    if actor.startswith("system:"):
        return gettext("系统（%(what)s）") % {"what": actor[7:]}
    if actor == "anonymous":
        return gettext("匿名")
    return actor


ACTIONS = {
    "item_list_draft": _("起草事项清单"), "item_list_publish": _("公布事项清单"), "item_edit": _("修改抽查事项"),
    "item_remove": _("删除抽查事项"), "item_list_discard": _("放弃事项清单草稿"),
    "plan_create": _("创建计划"), "plan_update": _("修改计划"), "plan_submit": _("提交计划"),
    "plan_confirm": _("联合部门确认计划"), "plan_approve": _("批准计划"), "plan_return": _("退回计划"),
    "plan_withdraw": _("撤回计划"), "plan_delete": _("删除计划草稿"), "plan_archive": _("归档计划"),
    "draw_commit": _("固定抽取范围"), "draw_run": _("抽取"), "draw_void": _("抽取失败"), "tasks_create": _("生成检查任务"),
    "result_enter": _("录入检查结果"), "sample_add": _("登记抽样"), "attachment_add": _("上传附件"),
    "sample_remove": _("删除抽样记录"), "attachment_remove": _("删除附件"),
    "result_submit": _("提交检查结果"), "result_approve": _("审核通过"), "result_publish": _("公示检查结果"),
    "result_return": _("退回检查结果"), "result_correct": _("更正检查结果"), "follow_up_done": _("登记后续处置"),
    "results_import": _("导入检查结果表"), "conflict_declare": _("申报回避关系"), "conflict_confirm": _("确认回避关系"),
    "user_create": _("创建用户"), "import_entities": _("导入市场主体"), "import_inspectors": _("导入执法检查人员"),
    "user_reset_link_issue": _("生成一次性重置链接"), "user_reset_link_use": _("通过重置链接设置密码"),
    "import_regions": _("导入区域"), "import_departments": _("导入部门"), "import_history": _("导入检查记录"),
    "import_licences": _("导入行政许可"), "import_penalties": _("导入行政处罚"),
    "notice_create": _("起草服务专栏文章"), "notice_update": _("修改服务专栏文章"), "notice_publish": _("发布服务专栏文章"),
    "notice_withdraw": _("撤回服务专栏文章"), "notice_attach": _("上传服务专栏附件"), "notice_detach": _("删除服务专栏附件"),
    "api_token_create": _("创建接口令牌"), "api_token_revoke": _("撤销接口令牌"),
}

OBJECTS = {"plan": _("计划"), "task": _("检查任务"), "item_list": _("事项清单"), "inspector": _("执法检查人员"),
           "user": _("用户"), "import": _("导入"), "notice": _("服务专栏文章"), "api_token": _("接口令牌")}

# Names of the details' fields; others are shown by their key.
FIELDS = {
    "status": _("状态"), "reason": _("原因"), "department": _("部门"), "plan": _("计划"), "entity": _("市场主体"),
    "item": _("事项"), "items": _("事项"), "results": _("结果条数"), "published_at": _("公示时间"),
    "tasks": _("任务数"), "attempt": _("第几次"), "commitment": _("承诺值"), "frame_count": _("抽查对象数"),
    "pool_count": _("执法人员数"), "category": _("检查结果"), "follow_up": _("后续处置"), "name": _("名称"),
    "action": _("处置措施"), "done_on": _("完成日期"), "corrects": _("更正的记录"), "version": _("版本"),
    "rows": _("行数"), "file": _("文件"), "source": _("来源"), "sha256": _("文件哈希"), "created": _("新增"), "updated": _("更新"),
    "year": _("年度"), "via": _("方式"), "price_paid": _("支付价款"), "expires_at": _("失效时间"),
    "api_token": _("接口令牌"), "product": _("样品名称"), "quantity": _("抽样数量"),
}


def action_name(action: str) -> str:
    label = ACTIONS.get(action)
    return str(label) if label else action


def object_name(object_type: str) -> str:
    label = OBJECTS.get(object_type)
    return str(label) if label else object_type


def local_time(at: str) -> str:
    """Return an entry's ISO time (as hashed, in UTC) as local time "2026-11-29 20:15:03"."""
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return at
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def details(payload: str, longest: int = 120) -> list[tuple[str, str]]:
    """Return an entry's details as (field name, value) pairs, long values shortened."""
    try:
        data = json.loads(payload)
    except ValueError:
        return [("", payload[:longest])]
    if not isinstance(data, dict):
        return [("", str(data)[:longest])]
    pairs = []
    for key, value in data.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if len(text) > longest:
            text = text[:longest] + "…"
        label = FIELDS.get(key)
        pairs.append((str(label) if label else key, text))
    return pairs


def entries_for_page(entries: Iterable[Any]) -> list[dict[str, Any]]:
    """Return the log entries of a page ready to show (one query for the people among them)."""
    entries = list(entries)
    shown = people(e.actor for e in entries)
    return [{"entry": e, "at": local_time(e.at), "actor": shown.get(e.actor, e.actor),
             "action": action_name(e.action), "object": object_name(e.object_type), "details": details(e.payload)}
            for e in entries]
