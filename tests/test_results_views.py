"""The staff pages of results (issue #8 §1–2): 我的任务, the task page, autosave, review, overdue, follow-up, corrections."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from spotcheck.accounts.models import Role, User
from spotcheck.directory.models import Entity, Inspector
from spotcheck.inspections.models import Task
from spotcheck.results import service
from spotcheck.results.models import Attachment, FollowUpRecord, Result, Sample
from tests.test_results import GOOD, PNG, SAMPLE, drawn, enter_all, head, member, today_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(district):
    plan = drawn(starts_on="2026-01-01")
    task = plan.tasks.order_by("order").first()
    Entity.objects.filter(pk=task.entity_id).update(address="重庆市巴南区龙洲湾街道龙海大道1号",
                                                   legal_representative="王法人")
    task.refresh_from_db()
    return task


def url(name, *args):
    return reverse(f"results:{name}", args=args)


def outsider(task) -> User:
    """An inspector of the task's department who is not on its team."""
    team = task.members.values_list("inspector_id", flat=True)
    inspector = Inspector.objects.filter(department__code="SCJGJ", user__isnull=True).exclude(pk__in=team).first()
    return User.objects.create(username="outsider", role=Role.INSPECTOR, department=inspector.department,
                               inspector=inspector)


def entry(task, **changes):
    return {**GOOD, "inspected_on": today_in(task.plan), **changes}


def published_task(task, personas, **changes):
    enter_all(task, member(task, 0), **changes)
    service.submit(task, member(task, 0))
    service.approve(task, personas["henry"])
    task.refresh_from_db()
    return task


def page_of(response) -> str:
    return response.content.decode()


# --- Access ---------------------------------------------------------------------------------


def test_the_task_page_is_for_the_team_and_the_participating_departments(task, personas, login, client):
    page = url("task", task.pk)
    assert login(member(task, 0)).get(page).status_code == 200
    assert login(member(task, 1)).get(page).status_code == 200
    assert login(personas["henry"]).get(page).status_code == 200  # a head of the department reads it
    assert login(personas["alice"]).get(page).status_code == 200
    assert login(personas["coordinator"]).get(page).status_code == 200
    assert login(outsider(task)).get(page).status_code == 404  # an inspector of another team
    assert login(personas["olga"]).get(page).status_code == 404  # an administrator of another department
    assert login(personas["wanda"]).get(page).status_code == 403
    response = client.get(page)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert login(personas["henry"]).get(url("task", 999999)).status_code == 404


@pytest.mark.parametrize("who, name, status", [
    ("ian", "mine", 200), ("alice", "mine", 403), ("henry", "mine", 403), ("wanda", "mine", 403),
    ("henry", "review_queue", 200), ("alice", "review_queue", 403), ("ian", "review_queue", 403),
    ("coordinator", "overdue", 200), ("alice", "overdue", 200), ("henry", "overdue", 200),
    ("olga", "overdue", 200), ("ian", "overdue", 403), ("wanda", "overdue", 403),
])
def test_the_lists_by_role(personas, login, who, name, status):
    assert login(personas[who]).get(url(name)).status_code == status


@pytest.mark.parametrize("name", ["mine", "review_queue", "overdue"])
def test_the_lists_send_anonymous_visitors_to_login(client, name):
    response = client.get(url(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_my_tasks_lists_the_inspectors_tasks_newest_plans_first(task, login):
    later = drawn(starts_on="2026-01-01", items=("SCJGJ-002",))
    # Someone sent to both plans (the draw's teams change with each commitment).
    both = Inspector.objects.filter(task_memberships__task__plan=later).filter(
        task_memberships__task__plan=task.plan).distinct().first()
    inspector = User.objects.filter(inspector=both).first() or User.objects.create(
        username="both", role=Role.INSPECTOR, department=both.department, inspector=both)
    page = page_of(login(inspector).get(url("mine")))
    mine = Task.objects.filter(members__inspector=both)
    assert {t.plan_id for t in mine} == {task.plan_id, later.pk}
    for t in mine:
        assert reverse("results:task", args=[t.pk]) + '"' in page and t.entity.name in page
    assert "待检查" in page
    assert ("组长" in page) == mine.filter(members__inspector=both, members__position=0).exists()
    assert page.index(later.number) < page.index(task.plan.number)
    others = Task.objects.exclude(members__inspector=both).first()
    assert reverse("results:task", args=[others.pk]) + '"' not in page


def test_the_task_page_shows_entity_team_plan_and_items(task, login):
    page = page_of(login(member(task, 1)).get(url("task", task.pk)))
    entity = task.entity
    for text in (entity.name, entity.uscc, entity.address, "王法人", task.plan.number, "2026-01-01",
                 "《某法》第十条", "检查内容", "实地核查", "书面检查", "区市场监管局"):
        assert text in page, text
    assert "https://uri.amap.com/search?keyword=" in page  # a map link from the address
    leader, second = task.members.order_by("position")
    assert page.index(leader.inspector.name) < page.index(second.inspector.name)
    # The entry form offers only the item's methods, the Chinese result categories and the team.
    assert 'value="onsite"' in page and 'value="written"' in page and 'value="online"' not in page
    assert "发现问题已责令改正" in page and "移交日常监管" in page
    assert f'value="{second.inspector.cert_no}"' in page
    assert 'accept="image/*,application/pdf"' in page and 'capture="environment"' in page
    assert "不向被检查对象收取检验费用" in page
    assert "spotcheck/results.js" in page and "<script>" not in page


def test_items_of_another_department_are_read_only(district, login):
    plan = drawn(departments=("SCJGJ", "WJW"), items=("SCJGJ-001", "WJW-001"), starts_on="2026-01-01")
    task = plan.tasks.order_by("order").first()
    wjw = member(task, 1)
    page = page_of(login(wjw).get(url("task", task.pk)))
    assert url("autosave", task.pk, "WJW-001") in page
    assert url("autosave", task.pk, "SCJGJ-001") not in page
    assert "由检查组中区市场监管局的组员录入" in page
    response = login(wjw).post(url("entry", task.pk, "SCJGJ-001"), entry(task))
    assert response.status_code == 403 and not Result.objects.exists()


# --- Entry --------------------------------------------------------------------------------------


def test_entry_through_the_form_saves_and_redirects_back(task, login):
    leader, second = task.members.order_by("position")
    c = login(member(task, 0))
    response = c.post(url("entry", task.pk, "SCJGJ-001"), {
        **entry(task, category="corrected", findings="未公示年报", follow_up="rectification"),
        "inspectors": [leader.inspector.cert_no, second.inspector.cert_no]})
    assert response.status_code == 302 and response["Location"].endswith("#item-SCJGJ-001")
    result = Result.objects.get()
    assert (result.method, result.category, result.follow_up) == ("onsite", "corrected", "rectification")
    assert result.inspectors == [leader.inspector.cert_no, second.inspector.cert_no]
    page = page_of(c.get(response["Location"]))
    assert "已保存事项 SCJGJ-001 的检查结果" in page and "未公示年报" in page


def test_entry_through_the_json_endpoint(task, login):
    c = login(member(task, 0))
    response = c.post(url("autosave", task.pk, "SCJGJ-001"), {"method": "onsite", "checked": "核对营业执照"})
    body = response.json()
    assert response.status_code == 200 and body["ok"] and body["errors"] == {}
    assert body["saved_at"].startswith(timezone.localdate().isoformat())
    assert any("请填写检查结果" in line for line in body["missing"])  # the leader's button stays disabled
    assert Result.objects.get().checked == "核对营业执照"
    response = c.post(url("autosave", task.pk, "SCJGJ-001"), json.dumps(entry(task)),
                      content_type="application/json")
    assert response.json()["ok"] and response.json()["missing"] == []
    assert Result.objects.get().category == "no_issue"
    # A member who is not the leader gets no list of what is missing.
    response = login(member(task, 1)).post(url("autosave", task.pk, "SCJGJ-001"), entry(task))
    assert response.json()["ok"] and response.json()["missing"] is None


def test_the_json_endpoint_answers_field_errors(task, login):
    c = login(member(task, 0))
    response = c.post(url("autosave", task.pk, "SCJGJ-001"), entry(task, method="online", inspected_on="2099-01-01"))
    body = response.json()
    assert response.status_code == 400 and not body["ok"] and body["saved_at"] is None
    assert "不是该事项的抽查方式" in body["errors"]["method"] and "晚于今天" in body["errors"]["inspected_on"]
    assert not Result.objects.exists()
    response = c.post(url("autosave", task.pk, "SCJGJ-001"), "{not json", content_type="application/json")
    assert response.status_code == 400 and not Result.objects.exists()


@pytest.mark.parametrize("day, reason", [("2025-12-31", "不在计划的实施期间"), ("2099-01-01", "晚于今天")])
def test_a_date_before_the_plan_or_in_the_future_is_refused_on_the_page(task, login, day, reason):
    c = login(member(task, 0))
    response = c.post(url("entry", task.pk, "SCJGJ-001"), entry(task, checked="我写的内容", inspected_on=day))
    page = page_of(response)
    assert response.status_code == 400 and reason in page
    assert "我写的内容" in page and f'value="{day}"' in page  # nothing typed is lost
    assert not Result.objects.exists()
    response = c.post(url("autosave", task.pk, "SCJGJ-001"), entry(task, inspected_on=day))
    assert reason in response.json()["errors"]["inspected_on"] and not Result.objects.exists()


def test_entry_by_an_inspector_not_on_the_team_is_refused(task, personas, login):
    stranger = login(outsider(task))
    assert stranger.post(url("entry", task.pk, "SCJGJ-001"), entry(task)).status_code == 403
    response = stranger.post(url("autosave", task.pk, "SCJGJ-001"), entry(task))
    assert response.status_code == 403 and "检查组成员" in response.json()["message"]
    assert stranger.post(url("sample", task.pk, "SCJGJ-001"), {"product": "x"}).status_code == 403
    assert login(personas["henry"]).post(url("entry", task.pk, "SCJGJ-001"), entry(task)).status_code == 403
    # Another department does not learn the task exists.
    assert login(personas["olga"]).post(url("autosave", task.pk, "SCJGJ-001"), entry(task)).status_code == 404
    assert login(personas["wanda"]).post(url("autosave", task.pk, "SCJGJ-001"), entry(task)).status_code == 403
    assert not Result.objects.exists()


def test_an_unknown_item_answers_404(task, login):
    assert login(member(task, 0)).post(url("autosave", task.pk, "NOPE-1"), entry(task)).status_code == 404


# --- Samples and attachments ------------------------------------------------------------------


def test_a_sample_is_recorded_at_cost_and_no_fee_is_charged(task, login):
    c = login(member(task, 0))
    response = c.post(url("sample", task.pk, "SCJGJ-001"), {"product": "大米", "price_paid": "-3"})
    page = page_of(response)
    assert response.status_code == 400 and "请填写抽样数量" in page and "请填写检验机构" in page
    assert 'value="大米"' in page and not Sample.objects.exists()
    response = c.post(url("sample", task.pk, "SCJGJ-001"), {
        "product": "大米", "specification": "5kg/袋", "quantity": "2袋", "price_paid": "59.80",
        "testing_body": "重庆市食品检验所", "report_no": "W2026-001", "test_result": "合格"})
    assert response.status_code == 302
    page = page_of(c.get(url("task", task.pk)))
    assert "59.80" in page and "重庆市食品检验所" in page and "不向被检查对象收取" in page


def test_attachments_are_checked_by_content_and_size(task, login, settings):
    c = login(member(task, 0))
    exe = SimpleUploadedFile("现场.jpg", b"MZ\x90\x00" + b"\x00" * 60)  # a renamed executable
    response = c.post(url("attach", task.pk, "SCJGJ-001"), {"file": exe})
    assert response.status_code == 400 and "按文件内容判断" in page_of(response)
    settings.SPOTCHECK = {**settings.SPOTCHECK, "attachment_max_mb": 1}
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (1024 * 1024))
    response = c.post(url("attach", task.pk, "SCJGJ-001"), {"file": big})
    assert response.status_code == 400 and "超过1MB" in page_of(response)
    assert not Attachment.objects.exists()
    assert c.post(url("attach", task.pk, "SCJGJ-001"), {}).status_code == 400
    response = c.post(url("attach", task.pk, "SCJGJ-001"), {"file": [
        SimpleUploadedFile("现场.png", PNG), SimpleUploadedFile("通知.pdf", b"%PDF-1.4 x")]})
    assert response.status_code == 302 and Attachment.objects.count() == 2
    photo = Attachment.objects.get(content_type="image/png")
    response = login(member(task, 1)).get(url("attachment", task.pk, photo.pk))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    pdf = Attachment.objects.get(content_type="application/pdf")
    assert "attachment" in login(member(task, 0)).get(url("attachment", task.pk, pdf.pk))["Content-Disposition"]


def test_attachments_are_not_served_outside_the_task(task, personas, login):
    photo = service.add_attachment(task, "SCJGJ-001", SimpleUploadedFile("a.png", PNG), member(task, 0))
    assert login(personas["olga"]).get(url("attachment", task.pk, photo.pk)).status_code == 404
    assert login(outsider(task)).get(url("attachment", task.pk, photo.pk)).status_code == 404
    other = Task.objects.exclude(pk=task.pk).first()
    assert login(personas["henry"]).get(url("attachment", other.pk, photo.pk)).status_code == 404


def test_a_team_member_removes_a_mistaken_sample_or_attachment_on_the_page(task, personas, login, settings, tmp_path,
                                                                          django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    sample = service.add_sample(task, "SCJGJ-001", SAMPLE, member(task, 0))
    photo = service.add_attachment(task, "SCJGJ-001", SimpleUploadedFile("现场.png", PNG), member(task, 0))
    c = login(member(task, 1))
    page = page_of(c.get(url("task", task.pk)))
    for remove in (url("sample_remove", task.pk, sample.pk), url("attachment_remove", task.pk, photo.pk)):
        form = page[page.index(f'action="{remove}"'):]
        assert 'name="confirm" value="yes" required' in form[:form.index("</form>")], remove
    response = c.post(url("sample_remove", task.pk, sample.pk))  # the box not ticked
    assert response.status_code == 302 and "请勾选“确认删除”后再删除" in page_of(c.get(response["Location"]))
    for who, status in ((outsider(task), 403), (personas["henry"], 403), (personas["olga"], 404)):
        assert login(who).post(url("sample_remove", task.pk, sample.pk), {"confirm": "yes"}).status_code == status
        assert login(who).post(url("attachment_remove", task.pk, photo.pk), {"confirm": "yes"}).status_code == status
    assert Sample.objects.exists() and Attachment.objects.exists()
    response = c.post(url("sample_remove", task.pk, sample.pk), {"confirm": "yes"})
    assert response.status_code == 302 and response["Location"].endswith("#item-SCJGJ-001")
    assert "已删除抽样记录：大米" in page_of(c.get(response["Location"]))
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(url("attachment_remove", task.pk, photo.pk), {"confirm": "yes"})
    assert "已删除附件：现场.png" in page_of(c.get(response["Location"]))
    assert not Sample.objects.exists() and not Attachment.objects.exists()
    assert not (tmp_path / photo.file.name).exists()


def test_a_submitted_tasks_samples_and_attachments_are_not_removed(task, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    sample = service.add_sample(task, "SCJGJ-001", SAMPLE, member(task, 0))
    photo = service.add_attachment(task, "SCJGJ-001", SimpleUploadedFile("现场.png", PNG), member(task, 0))
    submitted(task)
    leader = login(member(task, 0))
    page = page_of(leader.get(url("task", task.pk)))
    assert "重庆市食品检验所" in page and url("attachment", task.pk, photo.pk) in page  # still shown
    assert url("sample_remove", task.pk, sample.pk) not in page and url("attachment_remove", task.pk, photo.pk) not in page
    response = leader.post(url("sample_remove", task.pk, sample.pk), {"confirm": "yes"}, follow=True)
    assert "已提交审核，不能再删除" in page_of(response)
    leader.post(url("attachment_remove", task.pk, photo.pk), {"confirm": "yes"})
    assert Sample.objects.get() == sample and Attachment.objects.get() == photo


# --- Submission ---------------------------------------------------------------------------------


def test_the_leader_submits_when_every_item_is_complete(task, login):
    service.save_entry(task, "SCJGJ-001", entry(task, category=""), member(task, 0))
    leader = login(member(task, 0))
    page = page_of(leader.get(url("task", task.pk)))
    assert 'id="submit-task" disabled' in page and "请填写检查结果" in page
    assert 'id="submit-task"' not in page_of(login(member(task, 1)).get(url("task", task.pk)))
    response = leader.post(url("submit", task.pk))  # a result without a category at submission
    assert response.status_code == 302
    assert "请填写检查结果" in page_of(leader.get(response["Location"]))
    task.refresh_from_db()
    assert task.status == "pending"
    assert login(member(task, 1)).post(url("submit", task.pk)).status_code == 403  # only the leader
    service.save_entry(task, "SCJGJ-001", entry(task), member(task, 0))
    assert 'id="submit-task" disabled' not in page_of(leader.get(url("task", task.pk)))
    leader.post(url("submit", task.pk))
    task.refresh_from_db()
    assert task.status == "entered"


def test_submission_with_an_item_empty_is_refused(district, login):
    plan = drawn(starts_on="2026-01-01", items=("SCJGJ-001", "SCJGJ-002"))
    task = plan.tasks.order_by("order").first()
    service.save_entry(task, "SCJGJ-001", entry(task), member(task, 0))
    c = login(member(task, 0))
    response = c.post(url("submit", task.pk))
    assert "SCJGJ-002（尚未录入）" in page_of(c.get(response["Location"]))
    task.refresh_from_db()
    assert task.status == "pending"


# --- Review -------------------------------------------------------------------------------------


def submitted(task):
    enter_all(task, member(task, 0))
    service.submit(task, member(task, 0))
    return task


def test_a_head_of_the_lead_department_approves_and_publishes(task, personas, login):
    submitted(task)
    henry = login(personas["henry"])
    page = page_of(henry.get(url("task", task.pk)))
    assert "审核通过" in page and "退回" in page
    assert "审核通过" not in page_of(login(personas["alice"]).get(url("task", task.pk)))
    response = henry.post(url("review", task.pk), {"decision": "approve"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == "published" and Result.objects.get().published_at
    page = page_of(henry.get(url("task", task.pk)))
    assert "已公示" in page and "审核通过，检查结果已公示" in page


def test_approval_by_someone_who_is_not_a_head_of_that_department(district, departments, personas, login):
    plan = drawn(departments=("SCJGJ", "WJW"), items=("SCJGJ-001", "WJW-001"), starts_on="2026-01-01")
    task = plan.tasks.order_by("order").first()
    service.save_entry(task, "SCJGJ-001", entry(task), member(task, 0))
    service.save_entry(task, "WJW-001", entry(task), member(task, 1))
    service.submit(task, member(task, 0))
    wjw_head = head(departments["WJW"])
    for who, status in ((personas["alice"], 403), (wjw_head, 403), (member(task, 0), 403),
                        (personas["coordinator"], 403), (personas["olga"], 403), (personas["wanda"], 403)):
        assert login(who).post(url("review", task.pk), {"decision": "approve"}).status_code == status, who
    single = drawn(starts_on="2026-01-01", items=("SCJGJ-002",)).tasks.order_by("order").first()
    enter_all(single, member(single, 0))
    service.submit(single, member(single, 0))
    assert login(wjw_head).post(url("review", single.pk), {"decision": "approve"}).status_code == 404
    assert not Task.objects.filter(status="published").exists()


def test_a_returned_task_shows_its_reason_and_is_corrected(task, personas, login):
    submitted(task)
    henry = login(personas["henry"])
    response = henry.post(url("review", task.pk), {"decision": "return", "reason": "  "})
    assert response.status_code == 400 and "请说明退回理由" in page_of(response)
    task.refresh_from_db()
    assert task.status == "entered"
    henry.post(url("review", task.pk), {"decision": "return", "reason": "检查内容写得不具体"})
    task.refresh_from_db()
    assert task.status == "returned"
    leader = login(member(task, 0))
    page = page_of(leader.get(url("task", task.pk)))
    assert "退回理由" in page and "检查内容写得不具体" in page and "已退回" in page
    assert "检查内容写得不具体" in page_of(leader.get(url("mine")))
    leader.post(url("autosave", task.pk, "SCJGJ-001"), entry(task, checked="逐项核对年报公示信息"))
    leader.post(url("submit", task.pk))
    henry.post(url("review", task.pk), {"decision": "approve"})
    task.refresh_from_db()
    assert task.status == "published" and Result.objects.get().checked == "逐项核对年报公示信息"


def test_the_review_queue_lists_the_departments_submitted_tasks_oldest_first(district, departments, personas,
                                                                             login):
    plan = drawn(starts_on="2026-01-01")
    first, second, third = plan.tasks.order_by("order")[:3]
    for t in (second, first):
        submitted(t)
    Task.objects.filter(pk=second.pk).update(submitted_at=timezone.now() - timedelta(days=2))
    page = page_of(login(personas["henry"]).get(url("review_queue")))
    assert page.index(second.entity.name + "<") < page.index(first.entity.name + "<")
    assert third.entity.name + "<" not in page  # not submitted
    assert first.entity.name + "<" not in page_of(login(head(departments["WJW"])).get(url("review_queue")))


# --- Overdue publications (R7) ------------------------------------------------------------------


def test_overdue_publications_are_listed_oldest_first_with_days_overdue(district, departments, personas, login):
    plan = drawn(starts_on="2026-01-01")
    first, second = plan.tasks.order_by("order")[:2]
    for t, days in ((first, 25), (second, 40)):
        day = (timezone.localdate() - timedelta(days=days)).isoformat()
        service.save_entry(t, "SCJGJ-001", {**GOOD, "inspected_on": day}, member(t, 0))
    page = page_of(login(personas["alice"]).get(url("overdue")))
    assert page.index(second.entity.name) < page.index(first.entity.name)
    assert "20 天" in page and "5 天" in page  # 40 − 20 and 25 − 20
    assert second.entity.name not in page_of(login(personas["olga"]).get(url("overdue")))
    page = page_of(login(personas["coordinator"]).get(url("overdue")))
    assert page.index(second.entity.name) < page.index(first.entity.name) and "区市场监管局" in page
    home = page_of(login(personas["henry"]).get(reverse("home")))
    assert url("overdue") in home and '<p class="big">2</p>' in home


# --- Follow-up ----------------------------------------------------------------------------------


def test_a_problem_result_keeps_the_task_open_until_the_follow_up_is_recorded(task, personas, login):
    published_task(task, personas, category="pending_action", findings="未按规定公示年报", follow_up="rectification")
    alice = login(personas["alice"])
    page = page_of(alice.get(url("task", task.pk)))
    assert "待后续处置" in page and url("follow_up", task.pk) in page
    response = alice.post(url("follow_up", task.pk), {"action": "", "done_on": ""})
    assert response.status_code == 400 and "请写明处置情况" in page_of(response)
    exe = SimpleUploadedFile("通知书.pdf", b"MZ\x90\x00" + b"\x00" * 40)
    response = alice.post(url("follow_up", task.pk), {"action": "已整改", "done_on": "2026-11-01", "document": exe})
    assert response.status_code == 400 and "按文件内容判断" in page_of(response)
    assert login(personas["olga"]).post(url("follow_up", task.pk), {"action": "x", "done_on": "2026-11-01"}
                                        ).status_code == 404
    assert not FollowUpRecord.objects.exists()
    response = alice.post(url("follow_up", task.pk), {
        "action": "责令限期改正，已补报年报", "done_on": "2026-11-01", "done_by": "李执法",
        "document": SimpleUploadedFile("整改通知书.pdf", b"%PDF-1.4 test")})
    assert response.status_code == 302
    assert not service.open_problems(task)
    page = page_of(alice.get(url("task", task.pk)))
    assert "后续处置已完成" in page and "李执法" in page and "整改通知书.pdf" in page and "待后续处置" not in page
    record = FollowUpRecord.objects.get()
    document = login(member(task, 0)).get(url("follow_up_document", task.pk, record.pk))
    assert document.status_code == 200 and b"".join(document.streaming_content).startswith(b"%PDF")


def test_a_task_without_problems_offers_no_follow_up(task, personas, login):
    published_task(task, personas)
    page = page_of(login(personas["alice"]).get(url("task", task.pk)))
    assert url("follow_up", task.pk) not in page and "待后续处置" not in page


# --- Corrections --------------------------------------------------------------------------------


def test_a_head_corrects_a_published_result_and_both_stay_visible(task, personas, login):
    published_task(task, personas)
    old = Result.objects.get()
    henry = login(personas["henry"])
    page = page_of(henry.get(url("task", task.pk)))
    assert url("correct", task.pk, old.pk) in page
    assert url("correct", task.pk, old.pk) not in page_of(login(personas["alice"]).get(url("task", task.pk)))
    assert login(personas["alice"]).get(url("correct", task.pk, old.pk)).status_code == 403
    assert login(member(task, 0)).post(url("correct", task.pk, old.pk), {}).status_code == 403
    form = henry.get(url("correct", task.pk, old.pk))
    assert form.status_code == 200 and old.checked in page_of(form)
    changed = entry(task, category="disclosure_violation", findings="年报未公示", follow_up="rectification")
    response = henry.post(url("correct", task.pk, old.pk), {**changed, "reason": ""})
    assert response.status_code == 400 and "请说明更正原因" in page_of(response)
    assert Result.objects.count() == 1
    response = henry.post(url("correct", task.pk, old.pk), {**changed, "reason": "原记录结果录入错误"})
    new = Result.objects.get(corrects=old)
    assert response.status_code == 302 and response["Location"].endswith(f"#result-{new.pk}")
    page = page_of(henry.get(url("task", task.pk)))
    assert f'id="result-{old.pk}"' in page and f'id="result-{new.pk}"' in page
    assert f'href="#result-{old.pk}"' in page and f'href="#result-{new.pk}"' in page  # linked both ways
    assert "原记录结果录入错误" in page and "未发现问题" in page and "未按规定公示应当公示的信息" in page
    assert url("correct", task.pk, old.pk) not in page and url("correct", task.pk, new.pk) in page
    assert "待后续处置" in page  # the correction's problem keeps the task open
    response = henry.get(url("correct", task.pk, old.pk))  # the old one is corrected already
    assert response.status_code == 302 and response["Location"].endswith(f"#result-{old.pk}")
    response = henry.post(url("correct", task.pk, old.pk), {**changed, "reason": "再次更正旧记录"})
    assert response.status_code == 409 and Result.objects.count() == 2


# --- Archived -----------------------------------------------------------------------------------


def test_any_change_to_an_archived_task_is_refused(task, personas, login):
    published_task(task, personas, category="pending_action", findings="x", follow_up="rectification")
    Task.objects.filter(pk=task.pk).update(status="archived")
    result = Result.objects.get()
    before = (result.checked, result.updated_at)
    leader = login(member(task, 0))
    response = leader.post(url("autosave", task.pk, "SCJGJ-001"), entry(task, checked="改写"))
    assert response.status_code == 409 and "已归档" in response.json()["message"]
    response = leader.post(url("entry", task.pk, "SCJGJ-001"), entry(task, checked="改写"), follow=True)
    assert "已归档" in page_of(response)
    leader.post(url("attach", task.pk, "SCJGJ-001"), {"file": SimpleUploadedFile("a.png", PNG)})
    leader.post(url("sample", task.pk, "SCJGJ-001"), {"product": "大米", "quantity": "1", "price_paid": "1",
                                                      "testing_body": "所"})
    leader.post(url("submit", task.pk))
    henry = login(personas["henry"])
    henry.post(url("review", task.pk), {"decision": "approve"})
    response = henry.post(url("correct", task.pk, result.pk), {**entry(task), "reason": "x"})
    assert response.status_code == 409 and "已归档" in page_of(response)
    response = login(personas["alice"]).post(url("follow_up", task.pk), {"action": "x", "done_on": "2026-11-01"},
                                             follow=True)
    assert "已归档" in page_of(response)
    result.refresh_from_db()
    assert (result.checked, result.updated_at) == before and Result.objects.count() == 1
    assert not Attachment.objects.exists() and not Sample.objects.exists() and not FollowUpRecord.objects.exists()
    task.refresh_from_db()
    assert task.status == "archived"
    page = page_of(leader.get(url("task", task.pk)))
    assert url("autosave", task.pk, "SCJGJ-001") not in page and "spotcheck/results.js" not in page


# --- The start page -----------------------------------------------------------------------------


def test_the_start_page_links_the_work_with_counts(task, personas, login):
    leader = member(task, 0)
    home = page_of(login(leader).get(reverse("home")))
    assert url("mine") in home and url("task", task.pk) in home
    submitted(task)
    home = page_of(login(personas["henry"]).get(reverse("home")))
    assert url("review_queue") in home and '<p class="big">1</p>' in home
    assert url("overdue") in page_of(login(personas["coordinator"]).get(reverse("home")))
    assert url("overdue") not in page_of(login(personas["wanda"]).get(reverse("home")))


def test_the_task_page_links_the_offline_sheet_and_the_archive_form(district, personas, login):
    from django.urls import reverse

    from spotcheck.results import service as results_service
    from tests.test_results import GOOD, drawn, member, today_in

    plan = drawn(starts_on="2026-01-01")
    task = plan.tasks.order_by("order").first()
    leader = member(task, 0)
    page = login(leader).get(reverse("results:task", args=[task.pk])).content.decode()
    assert reverse("sheets:task_template", args=[task.pk, "xlsx"]) in page
    assert reverse("sheets:task_upload", args=[task.pk]) in page
    assert reverse("archive:task_pdf", args=[task.pk]) not in page
    results_service.save_entry(task, "SCJGJ-001", {**GOOD, "inspected_on": today_in(plan)}, leader)
    results_service.submit(task, leader)
    results_service.approve(task, personas["henry"])
    page = login(leader).get(reverse("results:task", args=[task.pk])).content.decode()
    assert reverse("archive:task_pdf", args=[task.pk]) in page
    assert reverse("sheets:task_upload", args=[task.pk]) not in page
