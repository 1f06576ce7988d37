"""No lost updates (issue #12 §2): every state change re-reads its row under a lock.

Two pages that show the same plan both post a transition: exactly one wins, the
other is refused (409) and changes nothing; a transition called on an object
loaded before another change is refused the same way. Two plans committed at the
same time cannot see each other's selections, so the second is warned.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from spotcheck.audit.log import verify_chain
from spotcheck.audit.models import AuditEntry
from spotcheck.catalog import lists
from spotcheck.catalog.models import InspectionItem, ItemList, ListStatus
from spotcheck.directory.models import Entity
from spotcheck.draws.service import DrawRefused, commit
from spotcheck.plans import spec
from spotcheck.plans.framedata import spec_context
from spotcheck.plans.models import Plan, PlanStatus, WorkflowError, create_plan, update_plan
from tests.conftest import approved_plan, make_uscc
from tests.databases import file_database

GOOD = {"name": "并发测试计划", "year": 2026, "departments": ["SCJGJ"], "items": ["SCJGJ-001"]}
JOINT = {**GOOD, "departments": ["SCJGJ", "WJW"], "items": ["SCJGJ-001", "WJW-001"]}
PLAN_ACTIONS = ("plan_submit", "plan_confirm", "plan_approve", "plan_return", "plan_withdraw", "plan_delete",
                "plan_update")


def new_plan(author, data=GOOD) -> Plan:
    clean, problems = spec.validate(data, spec_context())
    assert not problems, problems.text()
    return create_plan(clean, author)


def plan_entries() -> list[str]:
    return list(AuditEntry.objects.filter(action__in=PLAN_ACTIONS).values_list("action", flat=True))


# --- Two connections at once ---------------------------------------------------------------


def race(*transitions: Callable[[], Any]) -> list[str]:
    """Run each transition in its own thread and connection, all at once; return how each ended.

    A barrier holds every thread after it has loaded what it acts on (each callable does its
    loading before calling ``ready``), so that both transitions start from the same state.
    """
    barrier = threading.Barrier(len(transitions))
    outcomes: list[str] = [""] * len(transitions)

    def attempt(i: int, transition: Callable[..., Any]) -> None:
        try:
            transition(lambda: barrier.wait(timeout=60))
            outcomes[i] = "done"
        except (WorkflowError, DrawRefused, lists.ListError) as exc:
            outcomes[i] = f"refused:{getattr(exc, 'status', 409)}"
        except Exception as exc:  # a database error is a failure of this test, not a refusal
            outcomes[i] = f"error:{type(exc).__name__}:{exc}"
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i, t)) for i, t in enumerate(transitions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def loaded(pk: int, ready: Callable[[], Any]) -> Plan:
    plan = Plan.objects.get(pk=pk)
    plan.participants.count()  # a page reads the plan and its departments before it shows them
    ready()
    return plan


# (first transition, second transition, the state the plan starts in, each one's state after)
RACES = {
    "approve-return": ("approve", "return", PlanStatus.SUBMITTED, (PlanStatus.APPROVED, PlanStatus.DRAFT)),
    "approve-withdraw": ("approve", "withdraw", PlanStatus.SUBMITTED, (PlanStatus.APPROVED, PlanStatus.DRAFT)),
    "submit-delete": ("submit", "delete", PlanStatus.DRAFT, (PlanStatus.SUBMITTED, None)),
}


def transition(name: str, plan: Plan, personas) -> None:
    alice, henry = personas["alice"], personas["henry"]
    {
        "submit": lambda: plan.submit(alice),
        "approve": lambda: plan.approve(henry),
        "return": lambda: plan.return_to_draft(henry, "比例过低"),
        "withdraw": lambda: plan.withdraw(alice),
        "delete": lambda: plan.delete_draft(alice),
    }[name]()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("case", list(RACES))
def test_two_transitions_at_once_one_wins(case, published, personas, tmp_path):
    first, second, start, after = RACES[case]
    plan = new_plan(personas["alice"])
    if start == PlanStatus.SUBMITTED:
        plan.submit(personas["alice"])
    before = len(plan_entries())
    with file_database(tmp_path):
        outcomes = race(lambda ready: transition(first, loaded(plan.pk, ready), personas),
                        lambda ready: transition(second, loaded(plan.pk, ready), personas))
        assert sorted(outcomes) == ["done", "refused:409"], outcomes
        winner = outcomes.index("done")
        final = Plan.objects.filter(pk=plan.pk).first()
        assert (final.status if final else None) == after[winner]
        assert len(plan_entries()) == before + 1
        assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_a_confirmation_and_an_edit_at_once(published, personas, tmp_path):
    """An edit asks every other department to confirm again: a confirmation racing it is not lost
    silently; either it lands before the edit (and is reset by it) or it is refused."""
    plan = new_plan(personas["alice"], JOINT)
    clean, _ = spec.validate({**JOINT, "name": "改过的名称"}, spec_context())
    wjw = personas["olga"].department
    with file_database(tmp_path):
        outcomes = race(lambda ready: loaded(plan.pk, ready).confirm(personas["olga"], wjw),
                        lambda ready: update_plan(loaded(plan.pk, ready), clean, personas["alice"]))
        assert "error" not in " ".join(outcomes), outcomes
        final = Plan.objects.get(pk=plan.pk)
        assert final.name == "改过的名称"
        assert [d.code for d in final.unconfirmed()] == ["WJW"]  # the edit came last, or refused the confirmation
        assert verify_chain().ok


# --- A stale object is refused ---------------------------------------------------------


@pytest.fixture
def plan(published, personas):
    return new_plan(personas["alice"])


def stale_copy(plan: Plan) -> Plan:
    return Plan.objects.get(pk=plan.pk)


@pytest.mark.parametrize("name,start,change,expected", [
    ("approve", "submitted", "return", "draft"),
    ("return", "submitted", "approve", "approved"),
    ("submit", "draft", "submit", "submitted"),
    ("withdraw", "submitted", "approve", "approved"),
    ("approve", "submitted", "withdraw", "draft"),
    ("delete", "draft", "submit", "submitted"),
])
def test_a_transition_on_a_stale_object_is_refused(plan, personas, name, start, change, expected):
    if start == "submitted":
        plan.submit(personas["alice"])
    stale = stale_copy(plan)
    transition(change, stale_copy(plan), personas)
    entries = plan_entries()
    with pytest.raises(WorkflowError) as refused:
        transition(name, stale, personas)
    assert refused.value.status == 409 and "请刷新" in refused.value.message
    assert Plan.objects.get(pk=plan.pk).status == expected
    assert plan_entries() == entries


def test_an_edit_of_a_stale_draft_is_refused(plan, personas):
    stale = stale_copy(plan)
    plan.submit(personas["alice"])
    clean, _ = spec.validate({**GOOD, "name": "改名"}, spec_context())
    with pytest.raises(WorkflowError) as refused:
        update_plan(stale, clean, personas["alice"])
    assert refused.value.status == 409
    assert Plan.objects.get(pk=plan.pk).name == GOOD["name"]


def test_a_confirmation_of_a_stale_joint_plan_is_refused(published, personas):
    joint = new_plan(personas["alice"], JOINT)
    joint.submit(personas["alice"])
    stale = stale_copy(joint)
    joint.withdraw(personas["alice"])
    joint.delete_draft(personas["alice"])
    with pytest.raises(WorkflowError) as refused:
        stale.confirm(personas["olga"], personas["olga"].department)
    assert refused.value.status == 409 and not Plan.objects.exists()


def test_a_transition_updates_the_object_it_was_called_on(plan, personas):
    plan.submit(personas["alice"])
    assert plan.status == "submitted" and plan.submitted_at is not None
    plan.approve(personas["henry"])
    assert plan.status == "approved" and plan.approved_by_name


def test_a_transition_saves_only_what_it_changes(plan, personas):
    """A stale object's other fields (here its name) are never written back by a transition."""
    stale = stale_copy(plan)
    Plan.objects.filter(pk=plan.pk).update(name="别处改的名称")
    stale.submit(personas["alice"])
    assert Plan.objects.get(pk=plan.pk).name == "别处改的名称"


# --- Item lists ----------------------------------------------------------------------------

ITEM = {"name": "n", "basis": "《某法》", "subject": "s", "content": "c", "methods": ["onsite"],
        "category": "general", "target": ""}


@pytest.fixture
def draft(published, departments):
    item_list = lists.draft_for(departments["SCJGJ"], "t")
    lists.edit_item(item_list, "SCJGJ-009", ITEM, "t")
    return item_list


def test_a_stale_draft_published_elsewhere_is_not_discarded(draft):
    stale = ItemList.objects.get(pk=draft.pk)
    lists.publish(ItemList.objects.get(pk=draft.pk), "t")
    with pytest.raises(lists.ListError):
        lists.discard(stale, "t")
    assert ItemList.objects.get(pk=draft.pk).status == ListStatus.PUBLISHED
    assert InspectionItem.objects.filter(item_list=draft, code="SCJGJ-009").exists()


@pytest.mark.parametrize("change", ["edit", "remove"])
def test_a_stale_draft_published_elsewhere_is_not_edited(draft, change):
    stale = ItemList.objects.get(pk=draft.pk)
    lists.publish(ItemList.objects.get(pk=draft.pk), "t")
    with pytest.raises(lists.ListError):
        if change == "edit":
            lists.edit_item(stale, "SCJGJ-009", {**ITEM, "name": "改过"}, "t")
        else:
            lists.remove_item(stale, "SCJGJ-009", "t")
    assert InspectionItem.objects.get(item_list=draft, code="SCJGJ-009").name == "n"


def test_a_discarded_draft_is_not_edited(draft):
    stale = ItemList.objects.get(pk=draft.pk)
    lists.discard(ItemList.objects.get(pk=draft.pk), "t")
    with pytest.raises(lists.ListError):
        lists.edit_item(stale, "SCJGJ-010", ITEM, "t")
    assert not ItemList.objects.filter(pk=draft.pk).exists()
    assert not InspectionItem.objects.filter(code="SCJGJ-010").exists()


@pytest.mark.django_db(transaction=True)
def test_publish_and_discard_at_once(published, departments, tmp_path):
    item_list = lists.draft_for(departments["SCJGJ"], "t")
    lists.edit_item(item_list, "SCJGJ-009", ITEM, "t")

    def act(ready, what):
        stale = ItemList.objects.get(pk=item_list.pk)
        ready()
        (lists.publish if what == "publish" else lists.discard)(stale, "t")

    label = f"SCJGJ/v{item_list.version}"
    with file_database(tmp_path):
        outcomes = race(lambda ready: act(ready, "publish"), lambda ready: act(ready, "discard"))
        assert sorted(outcomes) == ["done", "refused:409"], outcomes
        final = ItemList.objects.filter(pk=item_list.pk).first()
        assert (final is None) == (outcomes[1] == "done")
        assert AuditEntry.objects.filter(action__in=["item_list_publish", "item_list_discard"],
                                         object_id=label).count() == 1


# --- Two commitments at once (R3 counts drawn tasks only) ----------------------------------


def test_committing_a_plan_that_overlaps_a_committed_one_warns(district):
    from tests.conftest import run_command

    first = approved_plan(items=("SCJGJ-001", "SCJGJ-002"))
    commit(first, None)
    second = approved_plan(items=("SCJGJ-002",))
    code, out = run_command("draw_commit", str(second.pk))
    assert code == 0 and first.number in out["warnings"][0] and "SCJGJ-002" in out["warnings"][0]
    entry = AuditEntry.objects.filter(action="draw_commit", object_id=second.number).get()
    assert entry.data["overlapping_plans"] == [first.number] and entry.data["warnings"] == out["warnings"]
    assert "overlapping_plans" not in AuditEntry.objects.get(action="draw_commit", object_id=first.number).data


@pytest.mark.parametrize("other,warned", [
    ({"items": ("SCJGJ-002",)}, False),  # no item in common
    ({"year": 2027}, False),  # another year
    ({"scope": {"regions": ["500113002"]}}, False),  # other regions than the first plan's
    ({"scope": {"regions": ["500113001", "500113002"]}}, True),  # regions in common
    ({"scope": {"industries": ["F"], "regions": []}}, True),  # unrestricted regions overlap any
    ({"scope": {"regions": ["500113001"], "industries": ["H"]}}, False),  # other industries
])
def test_what_counts_as_an_overlap(district, regions, other, warned):
    for i in range(300, 310):
        Entity.objects.create(uscc=make_uscc(i), name=f"餐饮{i}", entity_type="enterprise", industry="H",
                              region=regions[0], status="active")
    first = approved_plan(scope={"regions": ["500113001"], "industries": ["F"]})
    commit(first, None)
    second = approved_plan(**{"items": ("SCJGJ-001",), **other})
    result = commit(second, None)
    assert bool(result.warnings) == warned


def test_a_drawn_plan_does_not_warn(district):
    from tests.conftest import draw_run

    first = approved_plan()
    commit(first, None)
    assert draw_run(first)[0] == 0  # its tasks now exclude the entities (already_inspected)
    assert commit(approved_plan(), None).warnings == []


def test_the_commit_page_shows_the_warning(district, personas, login):
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    commit(approved_plan(), None)
    second = approved_plan()
    alice = login(personas["alice"])
    soon = timezone.localtime() + timedelta(minutes=5)
    response = alice.post(reverse("draws:commit", args=[second.pk]),
                          {"planned_draw_at": soon.strftime("%Y-%m-%dT%H:%M:%S"), "source": "witnesses"},
                          follow=True)
    page = response.content.decode()
    assert "已固定抽取范围但尚未抽取" in page and Plan.objects.exclude(pk=second.pk).get().number in page


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_commitments_at_once_the_second_is_warned(district, tmp_path):
    plans = [approved_plan(), approved_plan()]
    results: dict[int, list[str]] = {}

    def act(ready, pk):
        plan = Plan.objects.get(pk=pk)
        ready()
        results[pk] = commit(plan, None).warnings

    with file_database(tmp_path):
        outcomes = race(*(lambda ready, pk=p.pk: act(ready, pk) for p in plans))
        assert outcomes == ["done", "done"], outcomes
        assert sorted(len(w) for w in results.values()) == [0, 1], results
        assert Plan.objects.filter(status=PlanStatus.COMMITTED).count() == 2
