"""A plan's life in the web (issue #11, Plans): delete a draft, withdraw a submission, confirm a joint
plan, discard an item-list draft, and the to-do list of heads and joint departments."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from spotcheck.accounts.models import Role, User
from spotcheck.audit.models import AuditEntry
from spotcheck.catalog import lists
from spotcheck.catalog.models import ItemList, ListStatus
from spotcheck.draws.service import commit
from spotcheck.plans import spec
from spotcheck.plans.framedata import spec_context
from spotcheck.plans.models import Plan, PlanStatus, create_plan
from spotcheck.plans.selectors import todo_counts
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

GOOD = {"name": "2026年度食品经营者双随机抽查", "year": 2026, "departments": ["SCJGJ"], "items": ["SCJGJ-001"]}
JOINT = {**GOOD, "name": "联合抽查计划", "departments": ["SCJGJ", "WJW"], "items": ["SCJGJ-001", "WJW-001"]}


def make_user(username: str, role: str, department) -> User:
    user = User(username=username, role=role, department=department)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def people(personas, departments):
    """The personas, with a second administrator of SCJGJ (alan) and the head of WJW (wendy)."""
    return {**personas, "alan": make_user("alan", Role.DEPT_ADMIN, departments["SCJGJ"]),
            "wendy": make_user("wendy", Role.DEPT_HEAD, departments["WJW"])}


def new_plan(author, data=GOOD) -> Plan:
    clean, problems = spec.validate(data, spec_context())
    assert not problems, problems.text()
    return create_plan(clean, author)


@pytest.fixture
def draft(published, people):
    return new_plan(people["alice"])


def act(client, plan, action, **data):
    return client.post(reverse("plans:action", args=[plan.pk, action]), data)


def page(client, plan) -> str:
    return client.get(reverse("plans:detail", args=[plan.pk])).content.decode()


def actions(name: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=name))


# --- Deleting a draft ----------------------------------------------------------------------


def test_the_author_deletes_a_draft(draft, people, login):
    alice = login(people["alice"])
    assert "我确认删除" in page(alice, draft)
    response = act(alice, draft, "delete", confirm="yes")
    assert response.status_code == 302 and response["Location"] == reverse("plans:list")
    assert not Plan.objects.filter(pk=draft.pk).exists()
    [entry] = actions("plan_delete")
    assert entry.actor == "user:alice" and entry.object_id == draft.number
    assert entry.data["number"] == draft.number and entry.data["name"] == GOOD["name"]
    assert entry.data["items"] == ["SCJGJ-001"]  # the deleted content stays on record


def test_who_may_not_delete_is_told_so_before_the_box(draft, people, login):
    assert act(login(people["henry"]), draft, "delete").status_code == 403


def test_a_deletion_needs_the_box_ticked(draft, people, login):
    response = act(login(people["alice"]), draft, "delete")
    assert response.status_code == 400 and "我确认删除" in response.content.decode()
    assert Plan.objects.filter(pk=draft.pk).exists() and not actions("plan_delete")


@pytest.mark.parametrize("who,status", [
    ("alan", 403),  # an administrator of the same department, not the author
    ("henry", 403),  # the head
    ("ian", 403),  # an inspector of the department
    ("coordinator", 403),  # sees every plan, wrote none
    ("olga", 404),  # another department does not see the plan
])
def test_only_the_author_deletes_a_draft(draft, people, login, who, status):
    client = login(people[who])
    assert act(client, draft, "delete", confirm="yes").status_code == status
    assert Plan.objects.filter(pk=draft.pk).exists() and not actions("plan_delete")
    if status == 403:
        assert "我确认删除" not in page(client, draft)


def test_a_submitted_plan_is_not_deleted(draft, people, login):
    draft.submit(people["alice"])
    alice = login(people["alice"])
    assert "我确认删除" not in page(alice, draft)
    response = act(alice, draft, "delete", confirm="yes")
    assert response.status_code == 409 and "计划没有任何改动" in response.content.decode()
    assert Plan.objects.get(pk=draft.pk).status == PlanStatus.SUBMITTED and not actions("plan_delete")


@pytest.fixture
def committed(district, people):
    plan = new_plan(people["alice"])
    plan.submit(people["alice"])
    plan.approve(people["henry"])
    commit(plan, people["alice"])
    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMMITTED
    return plan


@pytest.mark.parametrize("action", ["delete", "withdraw"])
def test_nothing_after_commitment_is_deleted_or_withdrawn(committed, people, login, action):
    alice = login(people["alice"])
    text = page(alice, committed)
    assert "我确认删除" not in text and "我确认撤回" not in text
    response = act(alice, committed, action, confirm="yes")
    assert response.status_code == 409
    assert Plan.objects.get(pk=committed.pk).status == PlanStatus.COMMITTED
    assert not actions("plan_delete") and not actions("plan_withdraw")


def test_an_approved_plan_is_neither_deleted_nor_withdrawn(draft, people, login):
    draft.submit(people["alice"])
    draft.approve(people["henry"])
    alice = login(people["alice"])
    assert act(alice, draft, "delete", confirm="yes").status_code == 409
    assert act(alice, draft, "withdraw", confirm="yes").status_code == 409
    assert Plan.objects.get(pk=draft.pk).status == PlanStatus.APPROVED


# --- Withdrawing a submission -------------------------------------------------------------


def test_the_author_withdraws_a_submitted_plan(draft, people, login):
    draft.submit(people["alice"])
    alice = login(people["alice"])
    text = page(alice, draft)
    assert "我确认撤回" in text and "我确认删除" not in text
    response = act(alice, draft, "withdraw", confirm="yes")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == PlanStatus.DRAFT
    [entry] = actions("plan_withdraw")
    assert entry.actor == "user:alice" and entry.object_id == draft.number
    assert "我确认删除" in page(alice, draft)  # a draft again: it can be changed or deleted
    assert act(alice, draft, "delete", confirm="yes").status_code == 302


def test_a_withdrawal_needs_the_box_ticked(draft, people, login):
    draft.submit(people["alice"])
    assert act(login(people["alice"]), draft, "withdraw").status_code == 400
    assert Plan.objects.get(pk=draft.pk).status == PlanStatus.SUBMITTED and not actions("plan_withdraw")


@pytest.mark.parametrize("who,status", [("alan", 403), ("henry", 403), ("coordinator", 403), ("olga", 404)])
def test_only_the_author_withdraws(draft, people, login, who, status):
    draft.submit(people["alice"])
    assert act(login(people[who]), draft, "withdraw", confirm="yes").status_code == status
    assert Plan.objects.get(pk=draft.pk).status == PlanStatus.SUBMITTED and not actions("plan_withdraw")


def test_a_page_older_than_the_plan_is_refused(draft, people, login):
    """The head's page showed the plan as first submitted; it was withdrawn, changed and submitted
    again since: approving from the old page would approve what the head never saw."""
    draft.submit(people["alice"])
    henry = login(people["henry"])
    seen = re.search(r'name="seen" value="([^"]+)"', page(henry, draft)).group(1)
    alice = login(people["alice"])
    act(alice, draft, "withdraw", confirm="yes")
    act(alice, draft, "submit")
    assert Plan.objects.get(pk=draft.pk).status == PlanStatus.SUBMITTED
    response = act(henry, draft, "approve", seen=seen)
    assert response.status_code == 409 and "已被修改" in response.content.decode()
    assert Plan.objects.get(pk=draft.pk).status == PlanStatus.SUBMITTED and not actions("plan_approve")
    fresh = re.search(r'name="seen" value="([^"]+)"', page(henry, draft)).group(1)
    assert act(henry, draft, "approve", seen=fresh).status_code == 302
    assert Plan.objects.get(pk=draft.pk).status == PlanStatus.APPROVED


# --- A joint department confirms ----------------------------------------------------------


def test_a_joint_departments_confirmation_says_so(published, people, login):
    joint = new_plan(people["alice"], JOINT)
    joint.submit(people["alice"])
    response = login(people["olga"]).post(reverse("plans:action", args=[joint.pk, "confirm"]), follow=True)
    said = [str(m) for m in response.context["messages"]]
    assert said == [f"已确认参与联合抽查计划 {joint.number}"]
    assert joint.unconfirmed() == []
    assert [e.data for e in actions("plan_confirm")] == [{"department": "WJW"}]


def test_a_submission_says_so(draft, people, login):
    response = login(people["alice"]).post(reverse("plans:action", args=[draft.pk, "submit"]), follow=True)
    assert [str(m) for m in response.context["messages"]] == ["计划状态：已提交审批"]


# --- Discarding an item-list draft --------------------------------------------------------


@pytest.fixture
def list_draft(published, departments):
    return lists.draft_for(departments["SCJGJ"], "t")


def discard(client, **data):
    return client.post(reverse("catalog:discard", args=["SCJGJ"]), data)


def test_discarding_a_draft_asks_for_confirmation(list_draft, people, login):
    alice = login(people["alice"])
    text = alice.get(reverse("catalog:draft", args=["SCJGJ"])).content.decode()
    assert "我确认放弃草稿" in text and 'name="confirm"' in text
    response = discard(alice)
    assert response["Location"] == reverse("catalog:draft", args=["SCJGJ"])
    assert ItemList.objects.filter(pk=list_draft.pk, status=ListStatus.DRAFT).exists()
    assert not actions("item_list_discard")
    response = discard(alice, confirm="yes", draft=str(list_draft.pk))
    assert response["Location"] == reverse("catalog:manage")
    assert not ItemList.objects.filter(pk=list_draft.pk).exists()
    [entry] = actions("item_list_discard")
    assert entry.actor == "user:alice" and entry.object_id == f"SCJGJ/v{list_draft.version}"


def test_a_page_of_an_older_draft_discards_nothing(list_draft, people, login, departments):
    alice = login(people["alice"])
    lists.discard(list_draft, "t")
    newer = lists.draft_for(departments["SCJGJ"], "t")
    assert newer.version == list_draft.version  # the number comes back; the page names the draft by id
    response = discard(alice, confirm="yes", draft=str(list_draft.pk))
    assert response["Location"] == reverse("catalog:draft", args=["SCJGJ"])
    assert ItemList.objects.filter(pk=newer.pk, status=ListStatus.DRAFT).exists()


@pytest.mark.parametrize("who,status", [("henry", 403), ("ian", 403), ("olga", 404)])
def test_only_the_departments_administrator_discards(list_draft, people, login, who, status):
    assert discard(login(people[who]), confirm="yes").status_code == status
    assert ItemList.objects.filter(pk=list_draft.pk).exists()


# --- The to-do list -----------------------------------------------------------------------


def home(client) -> str:
    return client.get(reverse("home")).content.decode()


def badge(text: str) -> str | None:
    found = re.search(r'<span class="tag warn badge"[^>]*>(\d+)</span>', text)
    return found.group(1) if found else None


def test_a_head_is_told_a_plan_waits_for_approval(draft, people, login):
    henry = login(people["henry"])
    assert draft.number not in home(henry) and badge(home(henry)) is None  # a draft waits for nobody
    draft.submit(people["alice"])
    text = home(henry)
    assert "等待您批准" in text and draft.number in text and badge(text) == "1"
    assert badge(henry.get(reverse("plans:list")).content.decode()) == "1"
    draft.approve(people["henry"])
    assert draft.number not in home(henry) and badge(home(henry)) is None


def test_a_head_is_not_asked_to_approve_their_own_plan(published, people, login):
    own = new_plan(people["henry"])
    own.submit(None)
    assert own.number not in home(login(people["henry"]))
    assert todo_counts(people["henry"]) == {"approve": 0, "confirm": 0, "total": 0}


def test_a_joint_department_is_told_a_plan_waits_for_its_confirmation(published, people, login):
    joint = new_plan(people["alice"], JOINT)
    for who in ("olga", "wendy"):  # WJW's administrator and head may both confirm
        text = home(login(people[who]))
        assert "等待本部门确认的联合抽查计划" in text and joint.number in text and badge(text) == "1"
    for who in ("alice", "henry", "ian", "coordinator", "wanda"):  # SCJGJ confirmed by writing it
        text = home(login(people[who]))
        assert joint.number not in text and badge(text) is None
    joint.submit(people["alice"])
    assert joint.number not in home(login(people["henry"]))  # not approvable before WJW confirms
    joint.confirm(people["olga"], people["olga"].department)
    assert joint.number not in home(login(people["olga"]))
    assert joint.number in home(login(people["henry"]))


def test_another_departments_plans_are_not_listed(published, people, login, departments):
    other = new_plan(people["olga"], {**GOOD, "departments": ["WJW"], "items": ["WJW-001"]})
    other.submit(people["olga"])
    assert other.number not in home(login(people["henry"]))
    assert other.number in home(login(people["wendy"]))


def test_the_counts_cost_one_query_per_kind(published, people, django_assert_num_queries):
    joint = new_plan(people["alice"], JOINT)
    new_plan(people["alice"]).submit(people["alice"])
    with django_assert_num_queries(2):
        assert todo_counts(people["henry"]) == {"approve": 1, "confirm": 0, "total": 1}
    with django_assert_num_queries(2):
        assert todo_counts(people["wendy"]) == {"approve": 0, "confirm": 1, "total": 1}
    with django_assert_num_queries(1):
        assert todo_counts(people["olga"]) == {"approve": 0, "confirm": 1, "total": 1}
    with django_assert_num_queries(0):
        assert todo_counts(people["ian"])["total"] == 0
        assert todo_counts(people["wanda"])["total"] == 0
    assert joint.pk
