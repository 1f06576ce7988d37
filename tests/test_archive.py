"""The archive (入卷归档; issue #8 §4): each task's record form, and the plan's ZIP that closes it."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from spotcheck.audit.models import AuditEntry
from spotcheck.inspections.models import Task
from spotcheck.results import archive, service
from spotcheck.results.archive import NO_FEE, archive_plan, undone_tasks
from spotcheck.results.models import PlanArchive, Result
from spotcheck.results.service import ResultRefused
from spotcheck.results.sheet import EXPORT_HEADERS, EXPORT_KEYS
from tests.conftest import ITEM_HEADER, csv_bytes, item_row, run_command
from tests.test_results import GOOD, PNG, drawn, enter_all, member

pytestmark = pytest.mark.django_db
SAMPLE = {"product": "大米", "specification": "5kg/袋", "quantity": "2袋", "price_paid": "59.80",
          "testing_body": "重庆市食品检验所", "report_no": "W2026-001", "test_result": "合格"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).replace("\n", "")


def publish(task, henry, **changes):
    leader = member(task, 0)
    enter_all(task, leader, **changes)
    service.submit(task, leader)
    service.approve(task, henry)
    task.refresh_from_db()
    return task


@pytest.fixture
def plan(district):
    return drawn(starts_on="2026-01-01")


@pytest.fixture
def done_plan(plan, personas):
    """Every task published; the first with a sample, the second with a problem followed up."""
    tasks = list(plan.tasks.order_by("order"))
    service.add_sample(tasks[0], "SCJGJ-001", SAMPLE, member(tasks[0], 0))
    publish(tasks[0], personas["henry"])
    publish(tasks[1], personas["henry"], category="pending_action", findings="未按规定公示年报",
            follow_up="rectification")
    service.record_follow_up(tasks[1], personas["alice"], action="责令限期改正，已补报年报",
                             done_on=timezone.localdate())
    for task in tasks[2:]:
        publish(task, personas["henry"])
    return plan


# --- The record form ---------------------------------------------------------------------------


def test_the_record_form_holds_plan_entity_team_items_samples_and_signature_lines(plan, personas, login):
    task = plan.tasks.order_by("order").first()
    task.entity.address, task.entity.legal_representative = "巴南区龙洲湾街道龙海大道1号", "张法人"
    task.entity.save()
    service.add_sample(task, "SCJGJ-001", SAMPLE, member(task, 0))
    publish(task, personas["henry"])
    response = login(personas["henry"]).get(reverse("archive:task_pdf", args=[task.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    leader, second = (m.inspector for m in task.members.order_by("position"))
    for expected in ("随机抽查情况记录表", plan.number, plan.name, task.entity.name, task.entity.uscc,
                     "巴南区龙洲湾街道龙海大道1号", "张法人", "组长", leader.name, leader.cert_no, second.cert_no,
                     leader.department.name, "SCJGJ-001", "《某法》第十条", "实地核查", GOOD["checked"], "未发现问题",
                     "无需后续处置", "大米", "5kg/袋", "59.80", "重庆市食品检验所", "W2026-001", "合格", NO_FEE,
                     timezone.localtime(task.published_at).strftime("%Y-%m-%d"),
                     "检查人员签字", "被检查对象签字或盖章", "日期", "第 1 页"):
        assert expected in text, expected
    # The leader comes first in the team table.
    assert text.index(leader.cert_no) < text.index(second.cert_no)


def test_the_no_fee_statement_appears_only_when_a_sample_was_taken(plan, personas):
    task = publish(plan.tasks.order_by("order").first(), personas["henry"])
    text = pdf_text(archive.record_form_pdf(task))
    assert "未发现问题" in text and NO_FEE not in text and "抽样检验" not in text


def test_the_record_form_shows_the_follow_up_done_and_each_correction(plan, personas):
    task = publish(plan.tasks.order_by("order").first(), personas["henry"], category="pending_action",
                   findings="未按规定公示年报", follow_up="rectification")
    service.record_follow_up(task, personas["alice"], action="责令限期改正，已补报年报", done_on=timezone.localdate(),
                             done_by="李执法")
    old = task.results.get()
    service.correct(old, {**GOOD, "inspected_on": old.inspected_on, "category": "corrected", "findings": "已当场改正",
                          "follow_up": "none"}, personas["henry"], "原记录结果录入错误")
    text = pdf_text(archive.record_form_pdf(task))
    for expected in ("发现问题待后续处理", "责令改正并跟踪", "未按规定公示年报", "责令限期改正，已补报年报", "李执法",
                     "原记录结果录入错误", "发现问题已责令改正", "已当场改正"):
        assert expected in text, expected
    assert text.index("发现问题待后续处理") < text.index("发现问题已责令改正")  # the original, then its correction


def test_the_record_form_shows_the_basis_the_plan_was_drawn_under(plan, personas):
    from spotcheck.directory.imports import run_import

    task = publish(plan.tasks.order_by("order").first(), personas["henry"])
    data = csv_bytes(ITEM_HEADER, [item_row("SCJGJ-001", basis="《新法》第一条"), item_row("SCJGJ-002")])
    assert run_import("items", io.BytesIO(data), "items.csv", "test").ok  # a later list version
    text = pdf_text(archive.record_form_pdf(task))
    assert "《某法》第十条" in text and "《新法》第一条" not in text


def test_the_record_form_is_for_staff_who_may_see_the_task(plan, personas, login, client):
    task = publish(plan.tasks.order_by("order").first(), personas["henry"])
    url = reverse("archive:task_pdf", args=[task.pk])
    for who in (member(task, 0), member(task, 1), personas["ian"], personas["alice"], personas["coordinator"]):
        assert login(who).get(url).status_code == 200, who
    assert login(personas["olga"]).get(url).status_code == 404  # another department
    assert login(personas["wanda"]).get(url).status_code == 403  # a witness is not staff
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_record_form_waits_for_publication(plan, personas, login):
    task = plan.tasks.order_by("order").first()
    response = login(personas["henry"]).get(reverse("archive:task_pdf", args=[task.pk]))
    assert response.status_code == 409
    assert "检查结果公示后才能打印" in response.content.decode() and "待检查" in response.content.decode()


# --- When a plan may be archived ----------------------------------------------------------------


def nothing_archived(plan) -> None:
    plan.refresh_from_db()
    assert plan.status == "drawn" and not plan.tasks.filter(archived_at__isnull=False).exists()
    assert not PlanArchive.objects.filter(status="done").exists()
    assert not AuditEntry.objects.filter(action="plan_archive").exists()
    assert not default_storage.exists("archives") or not default_storage.listdir("archives")[1]


def test_archiving_is_refused_while_a_task_is_not_published(done_plan, personas):
    task = done_plan.tasks.order_by("order").last()
    Task.objects.filter(pk=task.pk).update(status="entered")
    with pytest.raises(ResultRefused) as refused:
        archive_plan(done_plan, personas["alice"])
    assert refused.value.status == 409
    assert f"第{task.order}号 {task.entity.name}（{task.entity.uscc}）：已录入，尚未公示" in refused.value.message
    nothing_archived(done_plan)


def test_archiving_is_refused_while_a_follow_up_is_open(plan, personas):
    tasks = list(plan.tasks.order_by("order"))
    for task in tasks[1:]:
        publish(task, personas["henry"])
    problem = publish(tasks[0], personas["henry"], category="other_violation", findings="无照经营",
                      follow_up="case_transfer")
    assert [t for t, _ in undone_tasks(plan)] == [t for t in tasks if service.open_problems(t)] == [problem]
    with pytest.raises(ResultRefused) as refused:
        archive_plan(plan, personas["alice"])
    assert f"{problem.entity.name}（{problem.entity.uscc}）：后续处置尚未完成" in refused.value.message
    nothing_archived(plan)
    service.record_follow_up(problem, personas["alice"], action="已移送立案", done_on=timezone.localdate())
    assert undone_tasks(plan) == []
    assert archive_plan(plan, personas["alice"]).status == "done"


def test_only_the_lead_departments_admin_or_head_archives(done_plan, personas):
    for who in (personas["olga"], personas["ian"], personas["coordinator"]):
        with pytest.raises(ResultRefused) as refused:
            archive_plan(done_plan, who)
        assert refused.value.status == 403
    nothing_archived(done_plan)
    assert archive_plan(done_plan, personas["henry"]).status == "done"


def test_a_change_during_the_build_voids_the_archive(done_plan, personas, monkeypatch):
    build = archive.build_zip

    def build_then_correct(plan, out, progress=None):
        manifest = build(plan, out, progress)
        old = Result.objects.filter(task__plan=plan).order_by("pk").last()
        service.correct(old, {**GOOD, "inspected_on": old.inspected_on}, personas["henry"], "同时更正")
        return manifest

    monkeypatch.setattr(archive, "build_zip", build_then_correct)
    with pytest.raises(ResultRefused) as refused:
        archive_plan(done_plan, personas["alice"])
    assert "有变动" in refused.value.message
    nothing_archived(done_plan)
    assert PlanArchive.objects.get().status == "refused"


# --- The ZIP and the closed plan ----------------------------------------------------------------


def test_archiving_builds_one_zip_then_archives_the_tasks_and_closes_the_plan(done_plan, personas):
    tasks = list(done_plan.tasks.order_by("order").select_related("entity"))
    first = tasks[0].results.get()
    Result.objects.filter(pk=first.pk).update(findings="=HYPERLINK(\"http://x\")")  # a formula in a cell
    built = archive_plan(done_plan, personas["alice"])
    content = built.file.read()
    assert built.sha256 == hashlib.sha256(content).hexdigest() and built.size == len(content)
    z = zipfile.ZipFile(io.BytesIO(content))
    pdfs = [f"tasks/{t.order:04d}-{t.entity.uscc}.pdf" for t in tasks]
    assert sorted(z.namelist()) == sorted([*pdfs, "draw/record.json", "draw/certificate.pdf", "results.csv",
                                           "manifest.json"])
    assert tasks[0].entity.name in pdf_text(z.read(pdfs[0]))
    commitment = done_plan.commitments.get(status="drawn")
    assert z.read("draw/record.json").decode() == commitment.record
    assert commitment.seed in pdf_text(z.read("draw/certificate.pdf"))
    raw = z.read("results.csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == [EXPORT_HEADERS[key] for key in EXPORT_KEYS] and len(rows) == 1 + len(tasks)
    by_code = {row[1]: dict(zip(EXPORT_KEYS, row, strict=True)) for row in rows[1:]}
    assert set(by_code) == {t.entity.uscc for t in tasks}
    row = by_code[tasks[0].entity.uscc]
    assert row["findings"] == "'=HYPERLINK(\"http://x\")" and row["result"] == "未发现问题"
    assert row["plan"] == done_plan.number and row["department"] == "区市场监管局" and row["inspected_on"]
    assert by_code[tasks[1].entity.uscc]["follow_up"] == "责令改正并跟踪"
    manifest = json.loads(z.read("manifest.json"))
    assert manifest["tasks"] == len(tasks) and manifest["plan"] == done_plan.number
    assert all(manifest["members"][name] == hashlib.sha256(z.read(name)).hexdigest() for name in manifest["members"])
    # Then the plan is closed and its tasks archived, with one audit entry naming the ZIP.
    done_plan.refresh_from_db()
    assert done_plan.status == "closed"
    assert all(t.status == "archived" and t.archived_at for t in done_plan.tasks.all())
    entry = AuditEntry.objects.get(action="plan_archive")
    payload = json.loads(entry.payload)
    assert entry.actor == "user:alice" and entry.object_id == done_plan.number
    assert payload["sha256"] == built.sha256 and payload["tasks"] == len(tasks)
    with pytest.raises(ResultRefused) as refused:
        archive_plan(done_plan, personas["alice"])
    assert "已归档办结" in refused.value.message


def test_a_cancelled_task_is_left_out_and_does_not_keep_the_plan_open(plan, personas):
    tasks = list(plan.tasks.order_by("order"))
    Task.objects.filter(pk=tasks[0].pk).update(status="cancelled")
    for task in tasks[1:]:
        publish(task, personas["henry"])
    z = zipfile.ZipFile(archive_plan(plan, personas["alice"]).file)
    assert not any(tasks[0].entity.uscc in name for name in z.namelist())
    assert json.loads(z.read("manifest.json"))["cancelled"] == [{"order": tasks[0].order,
                                                                 "code": tasks[0].entity.uscc}]
    tasks[0].refresh_from_db()
    assert tasks[0].status == "cancelled" and tasks[0].archived_at is not None


def test_an_archived_plans_tasks_refuse_every_change(done_plan, personas):
    archive_plan(done_plan, personas["alice"])
    task = done_plan.tasks.order_by("order").first()
    result = task.results.get()
    leader, henry = member(task, 0), personas["henry"]
    attempts = {
        "entry": lambda: service.save_entry(task, "SCJGJ-001", GOOD, leader),
        "sample": lambda: service.add_sample(task, "SCJGJ-001", SAMPLE, leader),
        "attachment": lambda: service.add_attachment(task, "SCJGJ-001", SimpleUploadedFile("a.png", PNG), leader),
        "sample removal": lambda: service.remove_sample(task, result.samples.get().pk, leader),
        "submit": lambda: service.submit(task, leader),
        "approve": lambda: service.approve(task, henry),
        "return": lambda: service.return_task(task, henry, "再查"),
        "follow-up": lambda: service.record_follow_up(task, personas["alice"], action="x",
                                                      done_on=timezone.localdate()),
        "correction": lambda: service.correct(result, {**GOOD, "inspected_on": result.inspected_on}, henry, "x"),
    }
    before = (Result.objects.count(), AuditEntry.objects.count())
    for name, attempt in attempts.items():
        with pytest.raises(ResultRefused) as refused:
            attempt()
        assert "已归档" in refused.value.message and refused.value.status == 409, name
    assert (Result.objects.count(), AuditEntry.objects.count()) == before and result.samples.exists()


# --- The pages --------------------------------------------------------------------------------


def test_the_plan_page_lists_the_tasks_not_done(plan, personas, login):
    url = reverse("archive:plan", args=[plan.pk])
    alice = login(personas["alice"])
    page = alice.get(url).content.decode()
    first = plan.tasks.order_by("order").first()
    assert first.entity.name in page and "待检查，尚未公示" in page and "disabled" in page
    response = alice.post(url)
    assert response.status_code == 302 and not PlanArchive.objects.exists()
    page = alice.get(url).content.decode()
    assert "尚未办结，不能归档" in page and first.entity.uscc in page
    assert login(personas["olga"]).get(url).status_code == 404
    assert login(personas["ian"]).get(url).status_code == 403
    assert login(personas["coordinator"]).get(url).status_code == 200


def test_a_small_plan_is_archived_at_once_from_its_page(done_plan, personas, login, client):
    url = reverse("archive:plan", args=[done_plan.pk])
    zip_url = reverse("archive:plan_zip", args=[done_plan.pk])
    assert login(personas["alice"]).get(zip_url).status_code == 404  # not built yet
    assert login(personas["coordinator"]).post(url).status_code == 403
    henry = login(personas["henry"])
    assert henry.post(url).status_code == 302
    page = henry.get(url).content.decode()
    built = PlanArchive.objects.get(status="done")
    assert zip_url in page and built.sha256 in page and "归档完成" in page
    download = login(personas["coordinator"]).get(zip_url)
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == built.sha256
    assert login(personas["olga"]).get(zip_url).status_code == 404
    assert client.get(zip_url).status_code == 302


def test_a_large_plan_is_archived_in_the_background_with_progress(done_plan, personas, login, settings):
    settings.SPOTCHECK = {**settings.SPOTCHECK, "archive_background_tasks": 1}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    alice = login(personas["alice"])
    alice.post(reverse("archive:plan", args=[done_plan.pk]))
    job = PlanArchive.objects.get()
    assert job.status == "queued" and done_plan.tasks.filter(status="archived").count() == 0
    status = alice.get(reverse("archive:plan_status", args=[done_plan.pk])).json()
    assert status == {"status": "queued", "done": 0, "total": job.total, "percent": 0, "finished": False}
    page = alice.get(reverse("archive:plan", args=[done_plan.pk])).content.decode()
    assert "progress.js" in page and "<progress" in page and 'type="submit" class="primary"' not in page
    # A second click while it runs is refused.
    alice.post(reverse("archive:plan", args=[done_plan.pk]))
    assert PlanArchive.objects.count() == 1
    # Run the queued task as the worker would.
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "spotcheck.results.archive.run_archive_job" and queued.args_kwargs["args"] == [job.pk]
    from spotcheck.results.archive import run_archive_job

    run_archive_job.call(job.pk)
    status = alice.get(reverse("archive:plan_status", args=[done_plan.pk])).json()
    assert status["finished"] and status["percent"] == 100 and status["status"] == "done"
    done_plan.refresh_from_db()
    assert done_plan.status == "closed" and AuditEntry.objects.filter(action="plan_archive").count() == 1


# --- The command --------------------------------------------------------------------------------


def test_the_command_archives_a_plan(done_plan, tmp_path):
    out = tmp_path / "plan.zip"
    code, data = run_command("archive_plan", done_plan.number, "--out", str(out))
    assert code == 0, data
    tasks = done_plan.tasks.count()
    assert data == {"archive": str(out), "sha256": hashlib.sha256(out.read_bytes()).hexdigest(), "tasks": tasks}
    assert AuditEntry.objects.get(action="plan_archive").actor.startswith("cli:")
    code, data = run_command("archive_plan", str(done_plan.pk))
    assert code == 1 and "已归档办结" in data["error"]


def test_the_command_refuses_a_plan_with_tasks_not_done(plan):
    code, data = run_command("archive_plan", str(plan.pk))
    first = plan.tasks.order_by("order").first()
    assert code == 1 and "尚未办结" in data["error"] and first.entity.uscc in data["error"]
    assert not PlanArchive.objects.exists()


def test_the_plan_page_links_to_its_archive(plan, personas, login):
    link = reverse("archive:plan", args=[plan.pk])
    assert link in login(personas["alice"]).get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert link not in login(personas["ian"]).get(reverse("plans:detail", args=[plan.pk])).content.decode()


def test_a_job_delivered_twice_runs_once_and_a_lost_job_does_not_block(done_plan, personas, login, settings):
    settings.SPOTCHECK = {**settings.SPOTCHECK, "archive_background_tasks": 1}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from spotcheck.results.archive import run_archive_job

    alice = login(personas["alice"])
    url = reverse("archive:plan", args=[done_plan.pk])
    alice.post(url)
    lost = PlanArchive.objects.get()
    PlanArchive.objects.filter(pk=lost.pk).update(status="running",
                                                  created_at=timezone.now() - timezone.timedelta(hours=7))
    page = alice.get(url).content.decode()
    assert "归档任务中断" in page and "progress.js" not in page
    alice.post(url)
    job = PlanArchive.objects.exclude(pk=lost.pk).get()
    run_archive_job.call(job.pk)
    run_archive_job.call(job.pk)  # delivered again: nothing happens
    job.refresh_from_db()
    assert job.status == "done" and AuditEntry.objects.filter(action="plan_archive").count() == 1
    run_archive_job.call(lost.pk)  # the lost one, if its worker comes back, does not run either
    assert PlanArchive.objects.get(pk=lost.pk).status == "failed"


def test_a_failed_build_leaves_nothing_behind(done_plan, personas, monkeypatch):
    def broken(task, font_config=None):
        raise RuntimeError("disk full")

    monkeypatch.setattr(archive, "record_form_pdf", broken)
    with pytest.raises(RuntimeError):
        archive_plan(done_plan, personas["alice"])
    nothing_archived(done_plan)
    job = PlanArchive.objects.get()
    assert job.status == "failed" and "归档出错" in job.error and not job.file
