"""The archive (入卷归档; issue #8 §4): each task's record form as a PDF, and the plan's ZIP.

A plan is archived once every task is done: published with no open follow-up
(``service.open_problems``), or cancelled. One ZIP holds every published task's
record form (随机抽查情况记录表), the draw record and certificate, and a CSV of the
plan's published results. It is stored through Django's storage API; then, in one
transaction under a row lock on the plan, every task is archived, the plan is
closed and the audit entry ``plan_archive`` names the ZIP's SHA-256. An archived
task refuses every change (the service's ``_require_state``).

Building takes about a third of a second of CPU per task, so a plan with thousands of
tasks runs as a background task (django-tasks) with progress; a small one at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import tempfile
import time
import zipfile
from collections.abc import Callable
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Count, Max, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from django_tasks import task as background_task

from spotcheck.accounts.models import Role
from spotcheck.audit.log import actor_name, record
from spotcheck.catalog.models import InspectionItem, ListStatus
from spotcheck.directory.models import JobStatus
from spotcheck.draws.certificate import certificate_pdf
from spotcheck.draws.service import drawn_commitment
from spotcheck.inspections.models import Task, TaskStatus
from spotcheck.plans.models import Plan, PlanStatus
from spotcheck.results.models import (
    WITHOUT_PROBLEM,
    Attachment,
    FollowUp,
    FollowUpRecord,
    PlanArchive,
    Result,
    Sample,
)
from spotcheck.results.service import ResultRefused, plan_period
from spotcheck.results.sheet import published_results, write_export

log = logging.getLogger(__name__)

# Marked here, translated where the record form is rendered.
NO_FEE = gettext_noop("本次抽样检验不向被检查对象收取检验费用（样品按成本价购买）")
# A task's record form exists once its results are public.
RECORDED = (TaskStatus.PUBLISHED, TaskStatus.ARCHIVED)
# Tasks that no longer keep a plan open (a published one also needs its follow-up done).
DONE = (TaskStatus.PUBLISHED, TaskStatus.CANCELLED, TaskStatus.ARCHIVED)
Progress = Callable[[int, int], None]
# A job queued or running longer than this is taken as lost (its worker stopped): it no longer
# keeps the lead department from starting the archive again.
STALE_AFTER = dt.timedelta(hours=6)


# --- The record form of one task (随机抽查情况记录表) ----------------------------------------


def items_as_of(codes: list[str], when: Any) -> dict[str, InspectionItem]:
    """Return each item as its department's list published it when the draw was committed.

    The basis of an item may change in a later list version; the record shows the
    one the plan was drawn under, else the latest published one.
    """
    published = (InspectionItem.objects.filter(code__in=codes, item_list__status=ListStatus.PUBLISHED)
                 .select_related("item_list__department").order_by("code", "-item_list__version"))
    found: dict[str, InspectionItem] = {}
    if when is not None:
        for item in published.filter(item_list__published_at__lte=when):
            found.setdefault(item.code, item)
    for item in published:
        found.setdefault(item.code, item)
    return found


def record_form_context(task: Task) -> dict[str, Any]:
    """Return everything the record form shows: plan, entity, team, and per item its result."""
    task = Task.objects.select_related("plan__lead_department", "entity", "commitment").get(pk=task.pk)
    members = list(task.members.select_related("inspector__department").order_by("position"))
    names = {m.inspector.cert_no: m.inspector.name for m in members}
    results = list(Result.objects.filter(task=task).select_related("department")
                   .prefetch_related("samples", "attachments").order_by("pk"))
    originals = {r.item_code: r for r in results if r.corrects_id is None}
    correction_of = {r.corrects_id: r for r in results if r.corrects_id is not None}
    items = items_as_of(task.items, task.commitment.committed_at)
    rows = []
    for code in task.items:
        original = originals.get(code)
        corrections, current = [], original
        while current is not None and current.pk in correction_of:
            current = correction_of[current.pk]
            corrections.append(current)
        rows.append({
            "code": code, "item": items.get(code), "result": original, "corrections": corrections,
            "people": "、".join(f"{names[c]}（{c}）" if c in names else c for c in original.inspectors)
            if original else "",
            "samples": list(original.samples.all()) if original else [],
            "attachments": list(original.attachments.all()) if original else [],
        })
    start, end = plan_period(task)
    return {
        "task": task, "plan": task.plan, "entity": task.entity, "members": members, "rows": rows,
        "participants": [p.department for p in task.plan.participants.select_related("department")],
        "period": (start, end), "has_samples": any(row["samples"] for row in rows), "no_fee": gettext(NO_FEE),
        "reviews": list(task.reviews.all()), "follow_ups": list(task.follow_ups.all()),
        "printed_at": timezone.now(),
    }


def record_form_pdf(task: Task, font_config: Any = None) -> bytes:
    """Render a task's record form as an A4 PDF with CJK fonts and page numbers.

    A plan's build passes one WeasyPrint ``FontConfiguration`` for all its forms,
    which saves a fifth of each form's time.
    """
    html = render_to_string("results/record_form.html", record_form_context(task))
    from weasyprint import HTML

    return HTML(string=html).write_pdf(font_config=font_config)


def record_form_name(task: Task) -> str:
    """The form's file name: the task's order in the draw and the entity's code."""
    return f"{task.order:04d}-{task.entity.uscc}.pdf"


# --- When a plan may be archived ------------------------------------------------------------


def open_follow_ups(plan: Plan) -> Any:
    """Return the ids of the plan's published tasks whose follow-up is not yet done (as a subquery).

    The same rule as ``service.open_problems``, for every task at once: a current
    problem result with a follow-up to do, and no follow-up record.
    """
    return (Result.objects.filter(task__plan=plan, task__status=TaskStatus.PUBLISHED, corrected_by__isnull=True,
                                  task__follow_ups__isnull=True)
            .exclude(category__in=[*WITHOUT_PROBLEM, ""]).exclude(follow_up__in=["", FollowUp.NONE])
            .values("task_id"))


def undone_tasks(plan: Plan) -> list[tuple[Task, str]]:
    """Return the plan's tasks that keep it from being archived, in draw order, each with why."""
    open_ids = open_follow_ups(plan)
    tasks = (plan.tasks.filter(~Q(status__in=DONE) | Q(pk__in=open_ids))
             .select_related("entity").order_by("order"))
    return [(t, gettext("后续处置尚未完成") if t.status == TaskStatus.PUBLISHED
             else gettext("%(status)s，尚未公示") % {"status": t.get_status_display()}) for t in tasks]


def may_archive(plan: Plan, user: Any) -> bool:
    """The lead department's administrator or head (the command line acts as the operator)."""
    if user is None or isinstance(user, str):
        return True
    return (getattr(user, "role", None) in (Role.DEPT_ADMIN, Role.DEPT_HEAD)
            and user.department_id == plan.lead_department_id)


def check_archivable(plan: Plan, user: Any) -> None:
    """Refuse, naming the tasks, unless the plan is drawn, the user may archive it and every task is done."""
    if not may_archive(plan, user):
        raise ResultRefused(gettext("只有牵头部门的管理员或负责人可以归档"), 403)
    if plan.status == PlanStatus.CLOSED:
        raise ResultRefused(gettext("计划“%(plan)s”已归档办结") % {"plan": plan.number}, 409)
    if plan.status != PlanStatus.DRAWN:
        raise ResultRefused(gettext("计划当前状态为“%(status)s”，抽取完成后才能归档")
                            % {"status": plan.get_status_display()}, 409)
    undone = undone_tasks(plan)
    if undone:
        shown = "；".join(gettext("第%(order)s号 %(name)s（%(code)s）：%(reason)s")
                         % {"order": t.order, "name": t.entity.name, "code": t.entity.uscc, "reason": why}
                         for t, why in undone[:20])
        message = (gettext("以下%(count)s个任务尚未办结，不能归档：%(tasks)s；等共%(count)s个") if len(undone) > 20
                   else gettext("以下%(count)s个任务尚未办结，不能归档：%(tasks)s"))
        raise ResultRefused(message % {"count": len(undone), "tasks": shown}, 409,
                            {str(t.pk): why for t, why in undone})


def fingerprint(plan: Plan) -> str:
    """Return a digest of everything the archive holds, to see whether it changed during the build."""
    scope = {"task__plan": plan}
    state = [
        list(plan.tasks.order_by("pk").values_list("pk", "status")),
        Result.objects.filter(**scope).aggregate(n=Count("pk"), last=Max("pk"), at=Max("updated_at")),
        FollowUpRecord.objects.filter(**scope).aggregate(n=Count("pk"), last=Max("pk")),
        Sample.objects.filter(result__task__plan=plan).aggregate(n=Count("pk"), last=Max("pk")),
        Attachment.objects.filter(result__task__plan=plan).aggregate(n=Count("pk"), last=Max("pk")),
    ]
    return hashlib.sha256(repr(state).encode()).hexdigest()


# --- The CSV of the plan's published results -------------------------------------------------


def results_csv(plan: Plan) -> bytes:
    """Return the plan's published results as ``export_results`` writes them (Chinese headers)."""
    buffer = io.BytesIO()
    write_export(buffer, "csv", published_results(plan=plan))
    return buffer.getvalue()


# --- The ZIP -------------------------------------------------------------------------------


def build_zip(plan: Plan, out: IO[bytes], progress: Progress | None = None) -> dict[str, Any]:
    """Write the plan's archive to ``out``; return its manifest (member names and their SHA-256).

    Members: ``tasks/<order>-<code>.pdf`` per published task, ``draw/record.json``
    and ``draw/certificate.pdf`` (and the public record of each failed attempt),
    ``results.csv`` and ``manifest.json``.
    """
    tasks = list(plan.tasks.select_related("entity").order_by("order"))
    recorded = [t for t in tasks if t.status in RECORDED]
    total = len(recorded) + 3
    members: dict[str, str] = {}
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()

    def add(z: zipfile.ZipFile, name: str, data: bytes, compress: bool) -> None:
        z.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)
        members[name] = hashlib.sha256(data).hexdigest()

    with zipfile.ZipFile(out, "w") as z, translation.override(settings.LANGUAGE_CODE):
        for n, task in enumerate(recorded, 1):
            add(z, f"tasks/{record_form_name(task)}", record_form_pdf(task, fonts), compress=False)
            if progress:
                progress(n, total)
        c = drawn_commitment(plan)
        if c is not None:
            add(z, "draw/record.json", c.record.encode("utf-8"), compress=True)
            add(z, "draw/certificate.pdf", certificate_pdf(plan, c), compress=False)
        failures = plan.commitments.exclude(record="").order_by("attempt")
        for failed in failures.exclude(pk=c.pk) if c is not None else failures:
            add(z, f"draw/record-attempt-{failed.attempt}.json", failed.record.encode("utf-8"), compress=True)
        if progress:
            progress(total - 1, total)
        add(z, "results.csv", results_csv(plan), compress=True)
        manifest = {
            "plan": plan.number, "plan_id": plan.pk, "name": plan.name, "year": plan.year,
            "tasks": len(recorded),
            "cancelled": [{"order": t.order, "code": t.entity.uscc} for t in tasks if t.status == TaskStatus.CANCELLED],
            "created_at": timezone.localtime().isoformat(timespec="seconds"), "members": members,
        }
        z.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2),
                   compress_type=zipfile.ZIP_DEFLATED)
    if progress:
        progress(total, total)
    return manifest


def _digest(stream: IO[bytes]) -> tuple[str, int]:
    stream.seek(0)
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
        size += len(chunk)
    stream.seek(0)
    return digest.hexdigest(), size


def archive_plan(plan: Plan, actor: Any, *, archive: PlanArchive | None = None,
                 progress: Progress | None = None) -> PlanArchive:
    """Build the plan's ZIP, store it, archive every task and close the plan.

    Side effects: the ZIP in the default storage; every task ``archived_at`` (the
    published ones ``archived``, the cancelled ones stay cancelled); the plan
    ``closed``; one audit entry ``plan_archive`` with the ZIP's SHA-256. The build
    runs outside the transaction (it takes minutes); the closing transaction locks
    the plan and its tasks and refuses if anything the ZIP holds changed meanwhile.
    A refused or failed build leaves no file behind and keeps its reason.
    """
    if archive is None:
        check_archivable(plan, actor)  # a refused command leaves no job behind
        archive = PlanArchive.objects.create(
            plan=plan, status=JobStatus.RUNNING, created_by=actor if getattr(actor, "pk", None) else None,
            created_by_name=actor_name(actor), total=plan.tasks.filter(status__in=RECORDED).count() + 3)
    try:
        _build_and_close(plan, actor, archive, progress)
    except Exception as exc:
        if archive.file:
            archive.file.delete(save=False)
        if isinstance(exc, ResultRefused):
            status, reason = JobStatus.REFUSED, exc.message
        else:
            status, reason = JobStatus.FAILED, gettext("归档出错，请联系管理员")
        PlanArchive.objects.filter(pk=archive.pk).update(status=status, error=reason, file="",
                                                         finished_at=timezone.now())
        raise
    archive.refresh_from_db()
    return archive


def _build_and_close(plan: Plan, actor: Any, archive: PlanArchive, progress: Progress | None) -> None:
    check_archivable(plan, actor)
    before = fingerprint(plan)
    with tempfile.TemporaryFile() as stream:
        manifest = build_zip(plan, stream, progress)
        sha256, size = _digest(stream)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        archive.file.save(f"plan-{plan.pk}-{stamp}.zip", File(stream), save=False)
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        list(Task.objects.select_for_update().filter(plan=plan).values_list("pk"))
        check_archivable(plan, actor)
        if fingerprint(plan) != before:
            raise ResultRefused(gettext("归档期间本计划的检查结果有变动，归档文件已作废，请重新归档"), 409)
        now = timezone.now()
        Task.objects.filter(plan=plan, status=TaskStatus.PUBLISHED).update(status=TaskStatus.ARCHIVED,
                                                                           archived_at=now)
        Task.objects.filter(plan=plan, archived_at__isnull=True).update(archived_at=now)
        plan.status = PlanStatus.CLOSED
        plan.save(update_fields=["status", "updated_at"])
        archive.status, archive.sha256, archive.size, archive.finished_at = JobStatus.DONE, sha256, size, now
        archive.done = archive.total
        archive.error = ""
        archive.save()
        record(actor, "plan_archive", "plan", plan.number, {
            "plan": plan.pk, "file": archive.file.name, "sha256": sha256, "size": size,
            "tasks": manifest["tasks"], "cancelled": len(manifest["cancelled"])})


# --- In the background, with progress --------------------------------------------------------


def start_archive(plan: Plan, user: Any) -> PlanArchive:
    """Check the plan and build its archive: at once when small, else as a background task."""
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        check_archivable(plan, user)
        unfinished = plan.archives.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        if unfinished.filter(created_at__gt=timezone.now() - STALE_AFTER).exists():
            raise ResultRefused(gettext("本计划的归档正在进行中，请稍候"), 409)
        unfinished.update(status=JobStatus.FAILED, error=gettext("归档任务中断"), finished_at=timezone.now())
        count = plan.tasks.filter(status__in=RECORDED).count()
        archive = PlanArchive.objects.create(plan=plan, created_by=user, created_by_name=actor_name(user),
                                             total=count + 3)
    if count > settings.SPOTCHECK.get("archive_background_tasks", 50):
        run_archive_job.enqueue(archive.pk)
    else:
        execute(archive)
    return archive


def execute(archive: PlanArchive) -> PlanArchive:
    """Run a queued archive job, saving its progress as it goes; a refusal is kept with its reason."""
    if not PlanArchive.objects.filter(pk=archive.pk, status=JobStatus.QUEUED).update(status=JobStatus.RUNNING):
        return archive  # already run (a task delivered twice)
    archive.status = JobStatus.RUNNING
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5 or done >= total:
            last[0] = now
            PlanArchive.objects.filter(pk=archive.pk).update(done=done, total=total)

    try:
        archive_plan(archive.plan, archive.created_by, archive=archive, progress=progress)
    except ResultRefused:
        pass  # kept on the job with its reason
    except Exception:
        log.exception("archive job %s failed", archive.pk)
        raise
    archive.refresh_from_db()
    return archive


@background_task()
def run_archive_job(archive_id: int) -> None:
    execute(PlanArchive.objects.select_related("plan", "created_by").get(pk=archive_id))


def current_archive(plan: Plan) -> PlanArchive | None:
    """The plan's built archive, if any."""
    return plan.archives.filter(status=JobStatus.DONE).first()
