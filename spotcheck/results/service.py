"""The results' workflow (rules.md R6–R7): entry, submission, review, publication, follow-up, correction.

A task is ``pending`` → ``entered`` (submitted by the team leader) → ``returned``
(with a reason; the team corrects and submits again) or ``approved`` by a head of
the lead department, which publishes it at once (``published``) → ``archived``
with its plan. Every transition re-reads the task under a row lock, checks who
may make it and from which state, and writes its audit entry in the same
transaction; a refused one raises ResultRefused and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from spotcheck.accounts.models import Role
from spotcheck.audit.log import actor_name, record
from spotcheck.catalog.lists import published_items
from spotcheck.catalog.models import Method, code_of
from spotcheck.inspections.models import Task, TaskMember, TaskStatus
from spotcheck.lib.uploads import sniff
from spotcheck.results import feed
from spotcheck.results.models import (
    WITHOUT_PROBLEM,
    Attachment,
    Category,
    FollowUp,
    FollowUpRecord,
    Result,
    Review,
    Sample,
)

EDITABLE = (TaskStatus.PENDING, TaskStatus.RETURNED)
ENTRY_FIELDS = ("method", "inspected_on", "checked", "findings", "category", "follow_up", "inspectors")


class ResultRefused(Exception):
    """An entry or transition refused: ``errors`` maps a field (or "") to its reason; ``status`` is HTTP's."""

    def __init__(self, message: str, status: int = 400, errors: Mapping[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.errors = dict(errors or {})


# --- Who may do what ----------------------------------------------------------------------


def membership(task: Task, user: Any) -> TaskMember | None:
    """Return the user's place on the task's team (through their inspector record), or None."""
    inspector_id = getattr(user, "inspector_id", None)
    if inspector_id is None:
        return None
    return task.members.filter(inspector_id=inspector_id).select_related("inspector__department").first()


def item_departments(task: Task) -> dict[str, str]:
    """Return each item of the task with the code of the department whose list holds it."""
    owners = {code: dept for code, (dept, _) in published_items(task.items).items()}
    lead = task.plan.lead_department.code
    return {code: owners.get(code, lead) for code in task.items}


def items_for(task: Task, user: Any) -> list[str]:
    """Return the items the user enters: their department's items (joint plans), or none off the team."""
    member = membership(task, user)
    if member is None:
        return []
    department = member.inspector.department.code
    return [code for code, owner in item_departments(task).items() if owner == department]


def _require_member(task: Task, user: Any, item_code: str | None = None) -> TaskMember:
    member = membership(task, user)
    if member is None:
        raise ResultRefused(gettext("只有检查组成员可以录入检查结果"), 403)
    if item_code is not None and item_code not in items_for(task, user):
        if item_code not in task.items:
            raise ResultRefused(gettext("事项“%(code)s”不在本任务中") % {"code": item_code}, 404)
        raise ResultRefused(gettext("事项“%(code)s”由其他部门的组员录入（联合抽查各部门录入本部门事项）")
                             % {"code": item_code}, 403)
    return member


def _require_state(task: Task, *states: str) -> None:
    if task.status == TaskStatus.ARCHIVED:
        raise ResultRefused(gettext("任务已归档，不能再修改"), 409)
    if task.status not in states:
        raise ResultRefused(gettext("任务当前状态为“%(status)s”，不能进行此操作") % {"status": task.get_status_display()},
                             409)


def is_reviewer(task: Task, user: Any) -> bool:
    """A head of the plan's lead department (经本单位负责人审核)."""
    return (getattr(user, "role", None) == Role.DEPT_HEAD
            and user.department_id == task.plan.lead_department_id)


def _locked(task: Task) -> Task:
    return Task.objects.select_for_update().select_related("plan__lead_department", "entity").get(pk=task.pk)


# --- Entry --------------------------------------------------------------------------------


@dataclass
class Entry:
    """A result's fields as checked: values to save, and the reason for each bad field."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def plan_period(task: Task) -> tuple[dt.date, dt.date]:
    plan = task.plan
    return (plan.starts_on or dt.date(plan.year, 1, 1), plan.ends_on or dt.date(plan.year, 12, 31))


def _choice(value: Any, choices: Any, name: str, entry: Entry, unknown: str) -> str:
    """Accept a code or its label (Chinese, or the page's language: the results sheet allows both).

    ``unknown`` is the refusal for any other text, with a ``%(value)s`` placeholder.
    """
    text = str(value or "").strip()
    if not text:
        return ""
    code = code_of(choices, text)
    if code is None:
        entry.errors[name] = unknown % {"value": text}
        return ""
    return code


def check_entry(task: Task, item_code: str, data: Mapping[str, Any], *, complete: bool,
                today: dt.date | None = None, items: Mapping[str, Any] | None = None) -> Entry:
    """Check one item's result; a draft (``complete=False``) may leave fields empty, never wrong.

    ``items`` is ``published_items()`` of the caller's codes, read once for a loop of entries.
    """
    entry = Entry()
    today = today or timezone.localdate()
    item = (published_items([item_code]) if items is None else items).get(item_code)
    methods = list(item[1].methods) if item else []
    method = str(data.get("method") or "").strip()
    if method:
        code = code_of(Method, method) or method
        if code not in methods:
            entry.errors["method"] = gettext("检查方式“%(method)s”不是该事项的抽查方式（%(allowed)s）") % {
                "method": method, "allowed": "、".join(item[1].method_labels if item else [])}
        method = code
    entry.values["method"] = method
    try:
        day = _date(data.get("inspected_on"))
    except ValueError:
        entry.errors["inspected_on"] = gettext("日期无效“%(value)s”（应为YYYY-MM-DD）") % {
            "value": data.get("inspected_on")}
        day = None
    if day is not None:
        start, end = plan_period(task)
        if day > today:
            entry.errors["inspected_on"] = gettext("检查日期%(day)s晚于今天") % {"day": day}
        elif day < start or day > end:
            entry.errors["inspected_on"] = gettext("检查日期%(day)s不在计划的实施期间（%(start)s至%(end)s）") % {
                "day": day, "start": start, "end": end}
    entry.values["inspected_on"] = day
    for name in ("checked", "findings"):
        entry.values[name] = str(data.get(name) or "").strip()
    category = _choice(data.get("category"), Category, "category", entry, gettext("未知的检查结果“%(value)s”"))
    follow_up = _choice(data.get("follow_up"), FollowUp, "follow_up", entry, gettext("未知的后续处置“%(value)s”"))
    entry.values["category"], entry.values["follow_up"] = category, follow_up
    team = dict(task.members.values_list("inspector__cert_no", "inspector_id"))
    raw = data.get("inspectors") or []
    names = [c.strip() for c in (raw.split(";") if isinstance(raw, str) else raw) if str(c).strip()]
    strangers = [c for c in names if c not in team]
    if strangers:
        entry.errors["inspectors"] = gettext("不是本任务检查组成员：%(names)s") % {"names": "、".join(strangers)}
    entry.values["inspectors"] = names
    if complete:
        for name, message in (("method", gettext("请填写检查方式")), ("inspected_on", gettext("请填写检查日期")),
                              ("checked", gettext("请填写检查内容")), ("category", gettext("请填写检查结果"))):
            if not entry.values[name] and name not in entry.errors:
                entry.errors[name] = message
        if category and category not in WITHOUT_PROBLEM:
            if not entry.values["findings"]:
                entry.errors.setdefault("findings", gettext("发现问题时须写明检查发现"))
            if not follow_up:
                entry.errors.setdefault("follow_up", gettext("发现问题时须选择后续处置"))
        if not names:
            entry.values["inspectors"] = list(team)
    if category in WITHOUT_PROBLEM and not follow_up:
        entry.values["follow_up"] = FollowUp.NONE
    return entry


def save_entry(task: Task, item_code: str, data: Mapping[str, Any], user: Any, *,
               complete: bool = False) -> Result:
    """Save one item's result while the team works (a draft may be incomplete, never wrong)."""
    with transaction.atomic():
        task = _locked(task)
        _require_state(task, *EDITABLE)
        _require_member(task, user, item_code)
        entry = check_entry(task, item_code, data, complete=complete)
        if entry.errors:
            raise ResultRefused(gettext("检查结果有误，未保存"), 400, entry.errors)
        result = _store(task, item_code, entry.values, actor_name(user))
        record(user, "result_enter", "task", task.pk, {"item": item_code, **_audit_values(entry.values)})
    return result


def _store(task: Task, item_code: str, values: Mapping[str, Any], actor: str) -> Result:
    departments = item_departments(task)
    from spotcheck.directory.models import Department

    result, _ = Result.objects.get_or_create(
        task=task, item_code=item_code, corrects=None,
        defaults={"department": Department.objects.get(code=departments[item_code]),
                  "entity_id": task.entity_id, "year": task.plan.year})
    for name in ENTRY_FIELDS:
        setattr(result, name, values[name])
    result.entered_by = actor
    result.save()
    return result


def _audit_values(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in values.items()}


# --- Samples and attachments --------------------------------------------------------------


def add_sample(task: Task, item_code: str, data: Mapping[str, Any], user: Any) -> Sample:
    """Record a sample bought at cost for laboratory testing (抽样检验); no testing fee is charged."""
    from decimal import Decimal, InvalidOperation

    errors: dict[str, str] = {}
    values = {k: str(data.get(k) or "").strip() for k in ("product", "specification", "quantity",
                                                           "testing_body", "report_no", "test_result")}
    for name, message in (("product", gettext("请填写样品名称")), ("quantity", gettext("请填写抽样数量")),
                          ("testing_body", gettext("请填写检验机构"))):
        if not values[name]:
            errors[name] = message
    try:
        price = Decimal(str(data.get("price_paid") or "").strip())
        if price < 0 or not price.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        errors["price_paid"] = gettext("请填写按成本价支付的样品金额（元）")
        price = Decimal(0)
    if errors:
        raise ResultRefused(gettext("抽样记录有误，未保存"), 400, errors)
    with transaction.atomic():
        task = _locked(task)
        _require_state(task, *EDITABLE)
        _require_member(task, user, item_code)
        result = _store(task, item_code, _current_values(task, item_code), actor_name(user))
        sample = Sample.objects.create(result=result, price_paid=price, **values)
        record(user, "sample_add", "task", task.pk, {"item": item_code, **values, "price_paid": str(price)})
    return sample


def _current_values(task: Task, item_code: str) -> dict[str, Any]:
    result = Result.objects.filter(task=task, item_code=item_code, corrects=None).first()
    if result is None:
        return {"method": "", "inspected_on": None, "checked": "", "findings": "", "category": "",
                "follow_up": "", "inspectors": []}
    return {name: getattr(result, name) for name in ENTRY_FIELDS}


def check_upload(upload: Any) -> tuple[bytes, str, str]:
    """Return (content, type, extension) of an uploaded photo or PDF; refuse a wrong type or size."""
    limit = settings.SPOTCHECK["attachment_max_mb"] * 1024 * 1024
    if upload.size > limit:
        raise ResultRefused(gettext("附件“%(name)s”超过%(limit)sMB的上限") % {
            "name": upload.name, "limit": settings.SPOTCHECK["attachment_max_mb"]}, 400, {"file": gettext("文件过大")})
    content = upload.read()
    kind = sniff(content[:16])
    if kind is None:
        raise ResultRefused(gettext("附件“%(name)s”不是照片（JPEG、PNG、WebP）或PDF文件（按文件内容判断）")
                            % {"name": upload.name}, 400, {"file": gettext("文件类型不符")})
    return content, kind[0], kind[1]


def add_attachment(task: Task, item_code: str, upload: Any, user: Any) -> Attachment:
    """Keep a photo or PDF of a result, stored through Django's storage API."""
    content, content_type, extension = check_upload(upload)
    with transaction.atomic():
        task = _locked(task)
        _require_state(task, *EDITABLE)
        _require_member(task, user, item_code)
        result = _store(task, item_code, _current_values(task, item_code), actor_name(user))
        attachment = Attachment(result=result, name=str(upload.name)[:200], content_type=content_type,
                                extension=extension, size=len(content),
                                sha256=hashlib.sha256(content).hexdigest(), uploaded_by=actor_name(user))
        attachment.file.save(f"{attachment.sha256[:16]}{extension}", ContentFile(content), save=False)
        attachment.save()
        record(user, "attachment_add", "task", task.pk, {"item": item_code, "name": attachment.name,
                                                         "sha256": attachment.sha256, "size": attachment.size})
    return attachment


def _require_removable(task: Task) -> None:
    """Refuse a removal once the results have left the team's hands (submitted, published, archived)."""
    if task.status in EDITABLE:
        return
    if task.status == TaskStatus.ARCHIVED:
        raise ResultRefused(gettext("任务已归档，不能再修改"), 409)
    if task.status == TaskStatus.ENTERED:
        raise ResultRefused(gettext("检查结果已提交审核，不能再删除抽样记录或附件（如有错误，请负责人退回后再删除）"), 409)
    if task.status in (TaskStatus.APPROVED, TaskStatus.PUBLISHED):
        raise ResultRefused(gettext("检查结果已审核公示，抽样记录和附件不能删除"), 409)
    _require_state(task, *EDITABLE)


RemovableT = TypeVar("RemovableT", Sample, Attachment)


def _removable(task: Task, model: type[RemovableT], pk: int, user: Any, missing: str) -> tuple[Task, RemovableT]:
    """Re-read the task under its lock and return it with its sample or attachment ``pk``, if ``user`` may
    remove it now (inside the caller's transaction); else refuse."""
    task = _locked(task)
    _require_removable(task)
    _require_member(task, user)
    found = model.objects.select_related("result").filter(pk=pk, result__task=task).first()
    if found is None:
        raise ResultRefused(missing, 404)
    _require_member(task, user, found.result.item_code)
    return task, found


def remove_sample(task: Task, sample_id: int, user: Any) -> Sample:
    """Remove a sample recorded by mistake, while the team still enters (the audit log keeps what it was).

    The same team members who may add a sample to the item may remove it (joint plans:
    the item's department). Side effects: audit entry ``sample_remove``.
    """
    with transaction.atomic():
        task, sample = _removable(task, Sample, sample_id, user, gettext("未找到该抽样记录"))
        item_code = sample.result.item_code
        sample.delete()
        record(user, "sample_remove", "task", task.pk, {
            "item": item_code, "sample": sample_id, "product": sample.product,
            "specification": sample.specification, "quantity": sample.quantity,
            "price_paid": str(sample.price_paid), "testing_body": sample.testing_body,
            "report_no": sample.report_no, "test_result": sample.test_result})
    return sample


def remove_attachment(task: Task, attachment_id: int, user: Any) -> Attachment:
    """Remove an attachment uploaded by mistake, while the team still enters (the audit log keeps its hash).

    Who may: as for ``remove_sample``. The stored file is deleted once the removal is
    committed, unless another attachment row names the same stored file (a storage that
    keeps one object per name, as object storage may, gives the same content the same
    name). Side effects: audit entry ``attachment_remove``; the file deleted from storage.
    """
    with transaction.atomic():
        task, attachment = _removable(task, Attachment, attachment_id, user, gettext("未找到该附件"))
        item_code = attachment.result.item_code
        stored = str(attachment.file.name)
        storage = attachment.file.storage
        attachment.delete()
        record(user, "attachment_remove", "task", task.pk, {
            "item": item_code, "attachment": attachment_id, "name": attachment.name, "sha256": attachment.sha256,
            "size": attachment.size, "file": stored})
        if stored and not Attachment.objects.filter(file=stored).exists():
            task_pk = task.pk
            transaction.on_commit(lambda: _delete_unreferenced(task_pk, stored, storage))
    return attachment


def _delete_unreferenced(task_pk: int, stored: str, storage: Any) -> None:
    """Delete a removed attachment's file unless an upload made since names it again.

    Uploads to the task hold its row lock while they store the file and its row, so
    the check under the same lock sees any upload that got in after the removal's commit.
    """
    with transaction.atomic():
        list(Task.objects.select_for_update().filter(pk=task_pk).values_list("pk", flat=True))
        if not Attachment.objects.filter(file=stored).exists():
            storage.delete(stored)


# --- Submission, review, publication --------------------------------------------------------


def missing_items(task: Task) -> dict[str, dict[str, str]]:
    """Return, per item, what keeps the task from being submitted (empty when complete)."""
    missing: dict[str, dict[str, str]] = {}
    results = {r.item_code: r for r in Result.objects.filter(task=task, corrects=None)}
    items = published_items(task.items)
    for code in task.items:
        result = results.get(code)
        if result is None:
            missing[code] = {"": gettext("尚未录入")}
            continue
        entry = check_entry(task, code, {name: getattr(result, name) for name in ENTRY_FIELDS}, complete=True,
                            items=items)
        if entry.errors:
            missing[code] = entry.errors
    return missing


def submit(task: Task, user: Any) -> Task:
    """Submit the task's results for review (the team leader). Side effects: audit entry."""
    with transaction.atomic():
        task = _locked(task)
        _require_state(task, *EDITABLE)
        member = _require_member(task, user)
        if member.position != 0:
            raise ResultRefused(gettext("只有组长可以提交检查结果"), 403)
        missing = missing_items(task)
        if missing:
            listed = "；".join(gettext("%(item)s（%(reasons)s）") % {"item": code, "reasons": "、".join(errors.values())}
                             for code, errors in missing.items())
            raise ResultRefused(gettext("以下事项尚未录入完整，不能提交：%(items)s") % {"items": listed}, 400,
                                {code: "；".join(errors.values()) for code, errors in missing.items()})
        results = Result.objects.filter(task=task, corrects=None)
        for result in results:
            if not result.inspectors:
                result.inspectors = list(task.members.values_list("inspector__cert_no", flat=True))
                result.save(update_fields=["inspectors"])
        task.status = TaskStatus.ENTERED
        task.submitted_at = timezone.now()
        task.submitted_by = actor_name(user)
        task.completed_on = max(r.inspected_on for r in results if r.inspected_on)
        task.return_reason = ""
        task.save(update_fields=["status", "submitted_at", "submitted_by", "completed_on", "return_reason"])
        record(user, "result_submit", "task", task.pk, {"plan": task.plan.number, "entity": task.entity.uscc,
                                                        "completed_on": task.completed_on.isoformat()})
    return task


def approve(task: Task, user: Any) -> Task:
    """Approve a submitted task and publish its results (a head of the lead department).

    Side effects: two audit entries (approval, publication); the results appear on the portal.
    """
    with transaction.atomic():
        task = _locked(task)
        _require_state(task, TaskStatus.ENTERED)
        if user is not None and not is_reviewer(task, user):
            raise ResultRefused(gettext("只有牵头部门的负责人可以审核检查结果"), 403)
        now = timezone.now()
        Review.objects.create(task=task, decision=Review.Decision.APPROVED, reviewer=actor_name(user))
        task.status, task.approved_at, task.approved_by = TaskStatus.APPROVED, now, actor_name(user)
        task.save(update_fields=["status", "approved_at", "approved_by"])
        ids = list(Result.objects.filter(task=task, published_at__isnull=True).values_list("pk", flat=True))
        published = Result.objects.filter(pk__in=ids).update(published_at=now)
        # Numbered in the credit feed before the audit entries: the feed's lock, then the log's, always.
        feed.stamp(ids)
        record(user, "result_approve", "task", task.pk, {"plan": task.plan.number, "entity": task.entity.uscc})
        task.status, task.published_at = TaskStatus.PUBLISHED, now
        task.save(update_fields=["status", "published_at"])
        record(user, "result_publish", "task", task.pk, {"results": published, "published_at": now.isoformat()})
    return task


def approve_many(tasks: Iterable[Task], user: Any, *, batch: int = 500) -> int:
    """Approve and publish many submitted tasks, each exactly as ``approve`` does; return how many.

    Each task gets its review and its two audit entries, but a transaction holds
    ``batch`` tasks rather than one: on SQLite every commit flushes the disk, and a
    plan's thousands of tasks one commit each take minutes. Every task is checked
    first (submitted, and the user a head of its lead department), so that a
    refusal changes nothing; should a task change state meanwhile, its refusal
    undoes only its own batch.
    """
    tasks = list(tasks)
    fresh = {t.pk: t for t in Task.objects.filter(pk__in=[t.pk for t in tasks])
             .select_related("plan__lead_department", "entity")}
    for task in tasks:
        current = fresh.get(task.pk)
        if current is None:
            raise ResultRefused(gettext("任务%(task)s不存在") % {"task": task.pk}, 404)
        _require_state(current, TaskStatus.ENTERED)
        if user is not None and not is_reviewer(current, user):
            raise ResultRefused(gettext("只有牵头部门的负责人可以审核检查结果"), 403)
    for start in range(0, len(tasks), batch):
        with transaction.atomic():
            for task in tasks[start:start + batch]:
                approve(task, user)
    return len(tasks)


def return_task(task: Task, user: Any, reason: str) -> Task:
    """Return a submitted task to its team with a reason (a head of the lead department)."""
    reason = (reason or "").strip()
    with transaction.atomic():
        task = _locked(task)
        _require_state(task, TaskStatus.ENTERED)
        if user is not None and not is_reviewer(task, user):
            raise ResultRefused(gettext("只有牵头部门的负责人可以审核检查结果"), 403)
        if not reason:
            raise ResultRefused(gettext("请说明退回理由"), 400, {"reason": gettext("请说明退回理由")})
        Review.objects.create(task=task, decision=Review.Decision.RETURNED, reason=reason,
                              reviewer=actor_name(user))
        task.status, task.return_reason = TaskStatus.RETURNED, reason
        task.save(update_fields=["status", "return_reason"])
        record(user, "result_return", "task", task.pk, {"reason": reason})
    return task


# --- Follow-up and corrections --------------------------------------------------------------


def open_problems(task: Task) -> list[Result]:
    """Return the current problem results whose follow-up is not yet recorded as done."""
    if task.follow_ups.exists():
        return []
    return [r for r in Result.objects.filter(task=task, corrected_by__isnull=True)
            if r.is_problem and r.follow_up and r.follow_up != FollowUp.NONE]


def may_follow_up(task: Task, user: Any) -> bool:
    role = getattr(user, "role", None)
    if role in (Role.DEPT_ADMIN, Role.DEPT_HEAD):
        return task.plan.participants.filter(department_id=user.department_id).exists()
    return membership(task, user) is not None


def record_follow_up(task: Task, user: Any, *, action: str, done_on: Any, done_by: str = "",
                     document: Any = None) -> FollowUpRecord:
    """Record that the follow-up of a task's problem results is done (what, when, by whom, a document)."""
    errors: dict[str, str] = {}
    action = (action or "").strip()
    if not action:
        errors["action"] = gettext("请写明处置情况")
    try:
        day = _date(done_on)
    except ValueError:
        day = None
    if day is None:
        errors["done_on"] = gettext("请填写完成日期（YYYY-MM-DD）")
    elif day > timezone.localdate():
        errors["done_on"] = gettext("完成日期晚于今天")
    if errors or day is None:
        raise ResultRefused(gettext("后续处置记录有误，未保存"), 400, errors)
    content = None
    if document is not None:
        content, _, extension = check_upload(document)
    with transaction.atomic():
        task = _locked(task)
        _require_state(task, TaskStatus.PUBLISHED)
        if user is not None and not may_follow_up(task, user):
            raise ResultRefused(gettext("只有检查组成员或参与部门的管理员、负责人可以记录后续处置"), 403)
        if not open_problems(task):
            raise ResultRefused(gettext("本任务没有待完成的后续处置"), 409)
        follow_up = FollowUpRecord(task=task, action=action, done_on=day, done_by=(done_by or "").strip()
                                   or actor_name(user), recorded_by=actor_name(user))
        if content is not None:
            follow_up.document_name = str(document.name)[:200]
            follow_up.document.save(f"{task.pk}-{hashlib.sha256(content).hexdigest()[:16]}{extension}",
                                    ContentFile(content), save=False)
        follow_up.save()
        record(user, "follow_up_done", "task", task.pk, {"action": action, "done_on": day.isoformat(),
                                                         "done_by": follow_up.done_by,
                                                         "document": follow_up.document_name})
    return follow_up


def may_correct(task: Task, result: Result, user: Any) -> bool:
    """A head of the lead department or of the result's department (更正已公示的检查结果)."""
    return is_reviewer(task, user) or (getattr(user, "role", None) == Role.DEPT_HEAD
                                       and user.department_id == result.department_id)


def correct(result: Result, data: Mapping[str, Any], user: Any, reason: str) -> Result:
    """Correct a published result: a new entry linked to the old, with a reason; both stay public.

    A head of the lead department or of the result's department corrects it.
    """
    reason = (reason or "").strip()
    with transaction.atomic():
        task = _locked(result.task)
        _require_state(task, TaskStatus.PUBLISHED)
        result = Result.objects.select_for_update().get(pk=result.pk)
        if user is not None and not may_correct(task, result, user):
            raise ResultRefused(gettext("只有负责人可以更正已公示的检查结果"), 403)
        if result.published_at is None or Result.objects.filter(corrects=result).exists():
            raise ResultRefused(gettext("只能更正已公示且未被更正的检查结果"), 409)
        entry = check_entry(task, result.item_code, data, complete=True)
        if not reason:
            entry.errors["reason"] = gettext("请说明更正原因")
        if entry.errors:
            raise ResultRefused(gettext("更正有误，未保存"), 400, entry.errors)
        now = timezone.now()
        new = Result.objects.create(
            task=task, item_code=result.item_code, department=result.department, entity=result.entity,
            year=result.year, entered_by=actor_name(user), published_at=now, corrects=result,
            correction_reason=reason, **{name: entry.values[name] for name in ENTRY_FIELDS})
        feed.stamp([new.pk])
        record(user, "result_correct", "task", task.pk, {"item": result.item_code, "corrects": result.pk,
                                                         "result": new.pk, "reason": reason,
                                                         **_audit_values(entry.values)})
    return new


def tasks_of(user: Any) -> Iterable[Task]:
    """Return the tasks an inspector's team is sent to, newest plans first."""
    inspector_id = getattr(user, "inspector_id", None)
    if inspector_id is None:
        return Task.objects.none()
    return (Task.objects.filter(members__inspector_id=inspector_id)
            .select_related("entity", "plan").order_by("-plan__year", "plan_id", "order"))


# --- The results sheet (检查结果表) ----------------------------------------------------------


def may_enter_sheet(task: Task, user: Any) -> bool:
    """The task's leader, or an administrator or head of the plan's lead department, enters a whole sheet.

    The command-line operator (``None``) acts as the team.
    """
    if user is None:
        return True
    if (getattr(user, "role", None) in (Role.DEPT_ADMIN, Role.DEPT_HEAD)
            and user.department_id == task.plan.lead_department_id):
        return True
    member = membership(task, user)
    return member is not None and member.position == 0


def enter_sheet_results(task: Task, rows: Mapping[str, Mapping[str, Any]], actor: Any) -> Task:
    """Enter every item's complete result from the results sheet and submit the task.

    ``rows`` maps each of the task's item codes to the row's fields (ENTRY_FIELDS).
    A task's rows are entered together: an item missing, an unknown item or any
    bad field refuses the whole task. Side effects: one ``result_enter`` audit
    entry per item (``"via": "sheet"``) and one ``result_submit``, in the
    caller's transaction when there is one.
    """
    with transaction.atomic():
        task = _locked(task)
        _require_state(task, *EDITABLE)
        if not may_enter_sheet(task, actor):
            raise ResultRefused(gettext("只有该任务的组长或牵头部门的管理员、负责人可以上传检查结果表"), 403)
        errors: dict[str, str] = {}
        for code in task.items:
            if code not in rows:
                errors[code] = gettext("缺少该事项（一个任务的各事项须一并录入）")
        for code in rows:
            if code not in task.items:
                errors[code] = gettext("事项“%(code)s”不在本任务中") % {"code": code}
        values: dict[str, dict[str, Any]] = {}
        items = published_items(task.items)
        for code in task.items:
            if code in rows:
                entry = check_entry(task, code, rows[code], complete=True, items=items)
                if entry.errors:
                    errors[code] = "；".join(entry.errors.values())
                values[code] = entry.values
        if errors:
            listed = "；".join(gettext("%(item)s（%(reasons)s）") % {"item": c, "reasons": e} for c, e in errors.items())
            raise ResultRefused(gettext("检查结果表有误，未保存：%(items)s") % {"items": listed}, 400, errors)
        actor_text = actor_name(actor)
        for code in task.items:
            _store(task, code, values[code], actor_text)
            record(actor, "result_enter", "task", task.pk, {"item": code, "via": "sheet",
                                                            **_audit_values(values[code])})
        task.status = TaskStatus.ENTERED
        task.submitted_at = timezone.now()
        task.submitted_by = actor_text
        task.completed_on = max(v["inspected_on"] for v in values.values())
        task.return_reason = ""
        task.save(update_fields=["status", "submitted_at", "submitted_by", "completed_on", "return_reason"])
        record(actor, "result_submit", "task", task.pk, {"plan": task.plan.number, "entity": task.entity.uscc,
                                                         "completed_on": task.completed_on.isoformat(),
                                                         "via": "sheet"})
    return task
