"""Results after the draw (rules.md R3 exemption, R6, R7; issue #8): the service's rules and refusals."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from spotcheck.accounts.models import Role, User
from spotcheck.audit.models import AuditEntry
from spotcheck.catalog.models import HistoryRecord
from spotcheck.directory.models import Entity
from spotcheck.inspections.models import Task
from spotcheck.plans.framedata import frame_for
from spotcheck.results import service
from spotcheck.results.models import Attachment, Result, Sample
from spotcheck.results.selectors import overdue_tasks
from spotcheck.results.service import ResultRefused
from tests.conftest import approved_plan, draw_run, run_command

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
GOOD = {"method": "onsite", "checked": "核查经营场所和公示信息", "category": "no_issue"}
SAMPLE = {"product": "大米", "specification": "5kg/袋", "quantity": "2袋", "price_paid": "59.80",
          "testing_body": "重庆市食品检验所", "report_no": "W2026-001", "test_result": "合格"}


def drawn(**plan):
    p = approved_plan(**plan)
    assert run_command("draw_commit", str(p.pk))[0] == 0
    code, out = draw_run(p)
    assert code == 0, out
    p.refresh_from_db()
    return p


def member(task: Task, position: int) -> User:
    """A login for the team member at ``position`` (0: the leader)."""
    inspector = task.members.get(position=position).inspector
    user = User.objects.filter(inspector=inspector).first()
    if user is None:
        user = User.objects.create(username=f"u{inspector.pk}", role=Role.INSPECTOR,
                                   department=inspector.department, inspector=inspector)
    return user


def head(department) -> User:
    return User.objects.get_or_create(username=f"head-{department.code}", role=Role.DEPT_HEAD,
                                      department=department)[0]


def today_in(plan) -> str:
    return min(timezone.localdate(), plan.ends_on or date(plan.year, 12, 31)).isoformat()


def enter_all(task, user, **changes):
    for code in task.items:
        service.save_entry(task, code, {**GOOD, "inspected_on": today_in(task.plan), **changes}, user)


@pytest.fixture
def task(district):
    plan = drawn(starts_on="2026-01-01")
    return plan.tasks.order_by("order").first()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def audit_of(task) -> list[tuple[str, str]]:
    """The task's audit entries in order, as (action, actor)."""
    return list(AuditEntry.objects.filter(object_type="task", object_id=str(task.pk)).order_by("seq")
                .values_list("action", "actor"))


def payload(action: str) -> dict:
    return json.loads(AuditEntry.objects.filter(action=action).order_by("-seq").first().payload)


def test_only_team_members_enter_results(task, personas):
    outsider = personas["ian"]
    if task.members.filter(inspector=outsider.inspector).exists():
        outsider = User.objects.create(username="x", role=Role.INSPECTOR, department=outsider.department)
    with pytest.raises(ResultRefused) as refused:
        service.save_entry(task, "SCJGJ-001", GOOD, outsider)
    assert refused.value.status == 403 and not Result.objects.exists()


def test_a_draft_may_be_incomplete_but_submission_needs_every_field(task):
    leader = member(task, 0)
    service.save_entry(task, "SCJGJ-001", {"method": "onsite"}, leader)  # saved while typing
    with pytest.raises(ResultRefused) as refused:
        service.submit(task, leader)
    assert "SCJGJ-001" in refused.value.message and "检查结果" in refused.value.message
    task.refresh_from_db()
    assert task.status == "pending"


def test_a_result_without_a_category_is_refused_at_submission(task):
    leader = member(task, 0)
    service.save_entry(task, "SCJGJ-001", {**GOOD, "category": "", "inspected_on": today_in(task.plan)}, leader)
    with pytest.raises(ResultRefused) as refused:
        service.submit(task, leader)
    assert "请填写检查结果" in refused.value.message


@pytest.mark.parametrize("day, reason", [("2025-12-31", "不在计划的实施期间"), ("2099-01-01", "晚于今天"),
                                         ("31/12/2026", "日期无效")])
def test_a_date_outside_the_plan_or_in_the_future_is_refused(task, day, reason):
    with pytest.raises(ResultRefused) as refused:
        service.save_entry(task, "SCJGJ-001", {**GOOD, "inspected_on": day}, member(task, 0))
    assert reason in refused.value.errors["inspected_on"] and not Result.objects.exists()


def test_the_method_must_be_one_of_the_items_methods(task):
    with pytest.raises(ResultRefused) as refused:
        service.save_entry(task, "SCJGJ-001", {**GOOD, "method": "online"}, member(task, 0))
    assert "不是该事项的抽查方式" in refused.value.errors["method"]
    result = service.save_entry(task, "SCJGJ-001", {**GOOD, "method": "书面检查"}, member(task, 0))
    assert result.method == "written"  # the Chinese label is read as its code


def test_a_problem_result_needs_findings_and_a_follow_up(task):
    leader = member(task, 0)
    service.save_entry(task, "SCJGJ-001", {**GOOD, "category": "corrected", "inspected_on": today_in(task.plan)},
                       leader)
    with pytest.raises(ResultRefused) as refused:
        service.submit(task, leader)
    assert "检查发现" in refused.value.message and "后续处置" in refused.value.message


def test_only_the_leader_submits(task):
    enter_all(task, member(task, 0))
    with pytest.raises(ResultRefused) as refused:
        service.submit(task, member(task, 1))
    assert refused.value.status == 403
    service.submit(task, member(task, 0))
    task.refresh_from_db()
    assert task.status == "entered" and task.completed_on == date.fromisoformat(today_in(task.plan))
    # Submitted results are frozen for the team.
    with pytest.raises(ResultRefused):
        service.save_entry(task, "SCJGJ-001", GOOD, member(task, 0))


def test_review_by_a_head_of_the_lead_department_publishes(task, departments, personas):
    enter_all(task, member(task, 0))
    service.submit(task, member(task, 0))
    for who in (personas["alice"], head(departments["WJW"]), personas["coordinator"], member(task, 0)):
        with pytest.raises(ResultRefused) as refused:
            service.approve(task, who)
        assert refused.value.status == 403
    service.approve(task, personas["henry"])
    task.refresh_from_db()
    assert task.status == "published" and task.published_at is not None
    assert all(r.published_at == task.published_at for r in task.results.all())
    actions = list(AuditEntry.objects.filter(object_type="task").values_list("action", flat=True))
    assert actions[-3:] == ["result_submit", "result_approve", "result_publish"]


def test_a_returned_task_is_corrected_by_its_team_and_submitted_again(task, personas):
    leader = member(task, 0)
    enter_all(task, leader)
    service.submit(task, leader)
    with pytest.raises(ResultRefused):
        service.return_task(task, personas["henry"], "  ")
    service.return_task(task, personas["henry"], "检查内容写得不具体")
    task.refresh_from_db()
    assert task.status == "returned" and task.return_reason == "检查内容写得不具体"
    service.save_entry(task, "SCJGJ-001", {**GOOD, "inspected_on": today_in(task.plan),
                                           "checked": "逐项核对年报公示的股东、出资和经营信息"}, leader)
    service.submit(task, leader)
    service.approve(task, personas["henry"])
    assert Result.objects.get().checked.startswith("逐项核对")


def test_a_problem_result_keeps_the_task_open_until_the_follow_up_is_done(task, personas):
    leader = member(task, 0)
    enter_all(task, leader, category="pending_action", findings="未按规定公示年报", follow_up="rectification")
    service.submit(task, leader)
    with pytest.raises(ResultRefused):  # not yet published: nothing to follow up
        service.record_follow_up(task, personas["alice"], action="已整改", done_on=timezone.localdate())
    service.approve(task, personas["henry"])
    assert service.open_problems(task)
    with pytest.raises(ResultRefused) as refused:
        service.record_follow_up(task, personas["alice"], action="", done_on="")
    assert set(refused.value.errors) == {"action", "done_on"}
    document = SimpleUploadedFile("整改通知书.pdf", b"%PDF-1.4 test")
    service.record_follow_up(task, personas["alice"], action="责令限期改正，已补报年报", done_on=timezone.localdate(),
                             done_by="李执法", document=document)
    assert not service.open_problems(task)
    record = task.follow_ups.get()
    assert record.done_by == "李执法" and record.document.read().startswith(b"%PDF")
    assert AuditEntry.objects.filter(action="follow_up_done").exists()


def test_attachments_are_checked_by_content_and_size(task, settings):
    leader = member(task, 0)
    exe = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00" + b"\x00" * 60)  # a renamed executable
    with pytest.raises(ResultRefused) as refused:
        service.add_attachment(task, "SCJGJ-001", exe, leader)
    assert "按文件内容判断" in refused.value.message
    settings.SPOTCHECK = {**settings.SPOTCHECK, "attachment_max_mb": 1}
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (1024 * 1024))
    with pytest.raises(ResultRefused) as refused:
        service.add_attachment(task, "SCJGJ-001", big, leader)
    assert "超过1MB" in refused.value.message
    assert not task.results.exists() or not task.results.get().attachments.exists()
    photo = service.add_attachment(task, "SCJGJ-001", SimpleUploadedFile("现场.png", PNG), leader)
    assert photo.content_type == "image/png" and photo.file.read() == PNG and photo.name == "现场.png"


def test_samples_are_bought_at_cost_and_no_fee_is_charged(task):
    leader = member(task, 0)
    with pytest.raises(ResultRefused) as refused:
        service.add_sample(task, "SCJGJ-001", {"product": "大米", "price_paid": "-1"}, leader)
    assert {"quantity", "testing_body", "price_paid"} <= set(refused.value.errors)
    sample = service.add_sample(task, "SCJGJ-001", {"product": "大米", "specification": "5kg/袋", "quantity": "2袋",
                                                    "price_paid": "59.80", "testing_body": "重庆市食品检验所",
                                                    "report_no": "W2026-001", "test_result": "合格"}, leader)
    assert str(sample.price_paid) == "59.80" and sample.result.item_code == "SCJGJ-001"


def test_published_results_are_corrected_never_edited(task, personas):
    leader = member(task, 0)
    enter_all(task, leader)
    service.submit(task, leader)
    service.approve(task, personas["henry"])
    with pytest.raises(ResultRefused):
        service.save_entry(task, "SCJGJ-001", {**GOOD, "checked": "改写"}, leader)
    old = Result.objects.get()
    with pytest.raises(ResultRefused) as refused:
        service.correct(old, {**GOOD, "inspected_on": old.inspected_on}, personas["henry"], "")
    assert "reason" in refused.value.errors
    with pytest.raises(ResultRefused) as refused:
        service.correct(old, {**GOOD, "inspected_on": old.inspected_on}, personas["alice"], "笔误")
    assert refused.value.status == 403
    new = service.correct(old, {**GOOD, "inspected_on": old.inspected_on, "category": "disclosure_violation",
                                "findings": "年报未公示", "follow_up": "rectification"}, personas["henry"],
                          "原记录结果录入错误")
    old.refresh_from_db()
    assert new.corrects == old and old.published_at and new.published_at and old.category == "no_issue"
    with pytest.raises(ResultRefused):
        service.correct(old, {**GOOD, "inspected_on": old.inspected_on}, personas["henry"], "再次更正旧记录")
    assert service.open_problems(task) == [new]  # the correction's follow-up keeps the task open


def test_an_archived_task_refuses_every_change(task, personas):
    leader = member(task, 0)
    enter_all(task, leader)
    service.submit(task, leader)
    service.approve(task, personas["henry"])
    Task.objects.filter(pk=task.pk).update(status="archived")
    for attempt in (lambda: service.save_entry(task, "SCJGJ-001", GOOD, leader),
                    lambda: service.add_attachment(task, "SCJGJ-001", SimpleUploadedFile("a.png", PNG), leader),
                    lambda: service.correct(Result.objects.get(), GOOD, personas["henry"], "x"),
                    lambda: service.approve(task, personas["henry"])):
        with pytest.raises(ResultRefused) as refused:
            attempt()
        assert "已归档" in refused.value.message


def test_joint_plans_each_department_enters_its_own_items(district, departments, personas):
    plan = drawn(departments=("SCJGJ", "WJW"), items=("SCJGJ-001", "WJW-001"), starts_on="2026-01-01")
    task = plan.tasks.order_by("order").first()
    leader, wjw = member(task, 0), member(task, 1)
    assert service.items_for(task, leader) == ["SCJGJ-001"] and service.items_for(task, wjw) == ["WJW-001"]
    with pytest.raises(ResultRefused) as refused:
        service.save_entry(task, "WJW-001", {**GOOD, "inspected_on": today_in(plan)}, leader)
    assert refused.value.status == 403
    # A sample of the other department's item is removed by that department's member only.
    sample = service.add_sample(task, "WJW-001", SAMPLE, wjw)
    with pytest.raises(ResultRefused) as refused:
        service.remove_sample(task, sample.pk, leader)
    assert refused.value.status == 403 and Sample.objects.filter(pk=sample.pk).exists()
    service.save_entry(task, "SCJGJ-001", {**GOOD, "inspected_on": today_in(plan)}, leader)
    with pytest.raises(ResultRefused) as refused:
        service.submit(task, leader)
    assert "WJW-001" in refused.value.message
    service.save_entry(task, "WJW-001", {**GOOD, "inspected_on": today_in(plan)}, wjw)
    service.submit(task, leader)
    assert {r.department.code for r in task.results.all()} == {"SCJGJ", "WJW"}


def test_overdue_publications_are_listed_oldest_first(district, departments, settings):
    plan = drawn(starts_on="2026-01-01")
    first, second = plan.tasks.order_by("order")[:2]
    for task, days in ((first, 25), (second, 40)):
        user = member(task, 0)
        day = (timezone.localdate() - timedelta(days=days)).isoformat()
        service.save_entry(task, "SCJGJ-001", {**GOOD, "inspected_on": day}, user)
    assert list(overdue_tasks(departments["SCJGJ"].pk)) == [second, first]
    assert list(overdue_tasks(departments["WJW"].pk)) == []
    settings.SPOTCHECK = {**settings.SPOTCHECK, "publish_within_days": 30}
    assert list(overdue_tasks()) == [second]


def test_three_good_years_exempt_an_entity_across_years(district, departments, personas):
    """R3: published results count with imported history; three good years exempt the next year."""
    everyone = {"general": {"ratio": "1"}, "foreign": {"ratio": "1"}, "heightened": {"ratio": "1"}}
    plan_2025 = drawn(year=2025, strata=everyone, capacity=100, honour_exemptions=False)
    plan_2026 = approved_plan(strata={"general": {"ratio": "0.5"}})
    # The heightened stratum is never exempt: take the first task whose entity is outside it.
    strata = dict(frame_for(plan_2026).rows)
    task = next(t for t in plan_2025.tasks.order_by("order") if strata.get(t.entity.uscc) == "general")
    code = task.entity.uscc
    for year in (2023, 2024):
        HistoryRecord.objects.create(entity=task.entity, inspected_by="SCJGJ", department=departments["SCJGJ"],
                                     item_code="SCJGJ-001", inspected_on=date(year, 6, 1), result="no_issue")
    assert dict(frame_for(plan_2026).exclusions).get(code) is None  # 2025 has no published result yet
    enter_all(task, member(task, 0), inspected_on="2025-06-01")
    service.submit(task, member(task, 0))
    service.approve(task, personas["henry"])
    assert dict(frame_for(plan_2026).exclusions).get(code) == "exempt"
    # A correction to a problem result takes the exemption away again.
    old = task.results.get()
    service.correct(old, {**GOOD, "inspected_on": "2025-06-01", "category": "corrected", "findings": "x",
                          "follow_up": "none"}, personas["henry"], "复核发现问题")
    assert dict(frame_for(plan_2026).exclusions).get(code) is None
    assert Entity.objects.get(uscc=code).status == "active"


def test_codes_are_read_from_chinese_text_whatever_the_pages_language():
    from django.utils import translation

    from spotcheck.catalog.models import FollowUp, ResultCategory, code_of

    with translation.override("en"):
        assert code_of(ResultCategory, "未发现问题") == "no_issue"
        assert code_of(FollowUp, "责令改正并跟踪") == "rectification"
        assert code_of(ResultCategory, "NO_ISSUE") == "no_issue" and code_of(ResultCategory, "别的") is None


# --- Removing a mistaken sample or attachment before submission ------------------------------


def test_a_mistaken_sample_or_attachment_is_removed_by_the_team_and_audited(task, media,
                                                                            django_capture_on_commit_callbacks):
    leader, second = member(task, 0), member(task, 1)
    sample = service.add_sample(task, "SCJGJ-001", {**SAMPLE, "quantity": "20袋"}, leader)
    photo = service.add_attachment(task, "SCJGJ-001", SimpleUploadedFile("现场.png", PNG), leader)
    stored = media / photo.file.name
    assert stored.read_bytes() == PNG
    service.remove_sample(task, sample.pk, second)  # any member who may add one removes one
    with django_capture_on_commit_callbacks(execute=True):
        service.remove_attachment(task, photo.pk, second)
    assert not Sample.objects.exists() and not Attachment.objects.exists()
    assert not stored.exists()  # no other attachment names the stored file
    assert audit_of(task)[-2:] == [("sample_remove", f"user:{second.username}"),
                                   ("attachment_remove", f"user:{second.username}")]
    removed = payload("sample_remove")
    assert (removed["item"], removed["product"], removed["quantity"], removed["price_paid"]) == (
        "SCJGJ-001", "大米", "20袋", "59.80")
    removed = payload("attachment_remove")
    assert removed["name"] == "现场.png" and removed["sha256"] == hashlib.sha256(PNG).hexdigest()
    with pytest.raises(ResultRefused) as refused:  # gone already
        service.remove_sample(task, sample.pk, leader)
    assert refused.value.status == 404


def test_a_removed_attachments_file_stays_while_another_attachment_names_it(task, media,
                                                                            django_capture_on_commit_callbacks):
    leader = member(task, 0)
    first = service.add_attachment(task, "SCJGJ-001", SimpleUploadedFile("a.png", PNG), leader)
    # A storage that keeps one object per name (object storage may) gives the same content one stored name.
    twin = Attachment.objects.create(result=first.result, file=first.file.name, name="b.png",
                                     content_type=first.content_type, extension=first.extension, size=first.size,
                                     sha256=first.sha256, uploaded_by="user:x")
    stored = media / first.file.name
    with django_capture_on_commit_callbacks(execute=True):
        service.remove_attachment(task, first.pk, leader)
    assert stored.read_bytes() == PNG and Attachment.objects.get() == twin
    assert twin.file.read() == PNG
    with django_capture_on_commit_callbacks(execute=True):
        service.remove_attachment(task, twin.pk, leader)
    assert not stored.exists()


def test_removal_is_refused_off_the_team_and_once_the_results_are_submitted(task, personas, media):
    leader = member(task, 0)
    sample = service.add_sample(task, "SCJGJ-001", SAMPLE, leader)
    photo = service.add_attachment(task, "SCJGJ-001", SimpleUploadedFile("现场.png", PNG), leader)
    outsider = personas["ian"]
    if task.members.filter(inspector=outsider.inspector).exists():
        outsider = User.objects.create(username="x", role=Role.INSPECTOR, department=outsider.department)
    removals = (lambda who: service.remove_sample(task, sample.pk, who),
                lambda who: service.remove_attachment(task, photo.pk, who))

    def refused_to(who, status: int, reason: str = "") -> None:
        for remove in removals:
            with pytest.raises(ResultRefused) as refused:
                remove(who)
            assert refused.value.status == status and reason in refused.value.message

    refused_to(outsider, 403, "检查组成员")
    refused_to(personas["henry"], 403, "检查组成员")  # a head of the department is not on the team
    enter_all(task, leader)
    service.submit(task, leader)
    refused_to(leader, 409, "已提交审核")
    service.approve(task, personas["henry"])
    refused_to(leader, 409, "已审核公示")
    Task.objects.filter(pk=task.pk).update(status="archived")
    refused_to(leader, 409, "已归档")
    assert Sample.objects.get() == sample and Attachment.objects.get() == photo
    assert (media / photo.file.name).exists()
    assert not AuditEntry.objects.filter(action__in=("sample_remove", "attachment_remove")).exists()


# --- The audit trail of a task, from entry to archive (issue #8, Audit) ---------------------------


def test_each_step_of_a_task_is_an_audit_entry_naming_its_actor(task, personas, media):
    from spotcheck.audit.log import verify_chain
    from spotcheck.results.archive import archive_plan

    leader, second, henry, alice = member(task, 0), member(task, 1), personas["henry"], personas["alice"]
    problem = {**GOOD, "inspected_on": today_in(task.plan), "category": "pending_action",
               "findings": "未按规定公示年报", "follow_up": "rectification"}
    service.save_entry(task, "SCJGJ-001", {**problem, "checked": "核对年报"}, second)
    service.add_attachment(task, "SCJGJ-001", SimpleUploadedFile("现场.png", PNG), second)
    wrong = service.add_sample(task, "SCJGJ-001", {**SAMPLE, "quantity": "20袋"}, leader)
    service.submit(task, leader)
    service.return_task(task, henry, "抽样数量有误，请更正")
    service.remove_sample(task, wrong.pk, leader)
    service.add_sample(task, "SCJGJ-001", SAMPLE, second)
    service.save_entry(task, "SCJGJ-001", problem, leader)
    service.submit(task, leader)
    service.approve(task, henry)
    service.record_follow_up(task, alice, action="责令限期改正，已补报年报", done_on=timezone.localdate())
    old = task.results.get()
    service.correct(old, {**problem, "findings": "未按规定公示年报和股东出资信息"}, henry, "检查发现记录不全")
    # The plan's other tasks are cancelled (left out of the archive): one record form to build.
    Task.objects.filter(plan=task.plan).exclude(pk=task.pk).update(status="cancelled")
    archive_plan(task.plan, alice)

    lead, mate, boss, admin = (f"user:{u.username}" for u in (leader, second, henry, alice))
    assert audit_of(task) == [
        ("result_enter", mate), ("attachment_add", mate), ("sample_add", lead), ("result_submit", lead),
        ("result_return", boss), ("sample_remove", lead), ("sample_add", mate), ("result_enter", lead),
        ("result_submit", lead), ("result_approve", boss), ("result_publish", boss), ("follow_up_done", admin),
        ("result_correct", boss),
    ]
    assert payload("result_return")["reason"] == "抽样数量有误，请更正"
    assert payload("attachment_add")["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert payload("sample_remove")["quantity"] == "20袋" and payload("sample_add")["quantity"] == "2袋"
    assert payload("follow_up_done")["action"] == "责令限期改正，已补报年报"
    corrected = payload("result_correct")
    assert corrected["corrects"] == old.pk and corrected["reason"] == "检查发现记录不全"
    assert corrected["findings"] == "未按规定公示年报和股东出资信息"
    archived = AuditEntry.objects.order_by("-seq").first()
    assert (archived.action, archived.actor, archived.object_type, archived.object_id) == (
        "plan_archive", admin, "plan", task.plan.number)
    task.refresh_from_db()
    assert task.status == "archived" and verify_chain().ok
