"""The inspection cycle through the API (issue #10): plans, draws, tasks, results — each endpoint's
happy path and its refusals, every change audited with the token that made it."""

from __future__ import annotations

import json

import pytest

from spotcheck.accounts.models import Role, User
from spotcheck.audit.models import AuditEntry
from spotcheck.directory.models import Conflict, Entity, Inspector
from spotcheck.draws.models import Commitment
from spotcheck.inspections.models import Task
from spotcheck.plans import spec
from spotcheck.plans.framedata import spec_context
from spotcheck.plans.models import Plan, create_plan
from spotcheck.results.models import Result
from tests.api_client import Api, error_of, token_for
from tests.conftest import ENTROPY, approved_plan
from tests.test_results import GOOD, drawn, member, today_in

pytestmark = pytest.mark.django_db

PLAN = {"name": "2026年度接口抽查", "year": 2026, "departments": ["SCJGJ"], "items": ["SCJGJ-001"],
        "starts_on": "2026-01-01"}
WITNESSES = [{"name": "张三", "capacity": "notary", "organisation": "巴南公证处"}]


@pytest.fixture
def api(personas):
    """One API client per persona, each with its own token (named after the persona)."""
    return {name: Api(token_for(user, name=f"{name}的令牌")) for name, user in personas.items()}


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


def token_of(entry: AuditEntry) -> str:
    return json.loads(entry.payload).get("api_token", "")


def fields_of(response) -> list[str]:
    return [f["field"] for f in error_of(response)["fields"]]


def plan_by(author: User, **extra) -> Plan:
    clean, problems = spec.validate({**PLAN, **extra}, spec_context())
    assert not problems, problems.text()
    return create_plan(clean, author)


# --- Plans ---------------------------------------------------------------------------------------


def test_an_administrator_creates_a_plan_from_the_plan_file(district, personas, api):
    answer = api["alice"].post("/plans", PLAN)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    plan = Plan.objects.get()
    assert body["id"] == plan.pk and body["number"] == plan.number and body["status"] == "draft"
    assert plan.author == personas["alice"] and plan.items == ["SCJGJ-001"]
    assert body["plan_file"]["departments"] == ["SCJGJ"] and body["departments"][0]["lead"] is True
    (entry,) = entries("plan_create")
    assert entry.actor == "user:alice" and token_of(entry).endswith("alice的令牌")


def test_a_bad_plan_file_is_refused_with_each_field_and_nothing_is_made(district, api):
    answer = api["alice"].post("/plans", {**PLAN, "year": "2026", "items": ["NOPE-1"], "colour": "red",
                                          "strata": {"general": {"ratio": "0.001"}}})
    assert answer.status_code == 422
    assert {"year", "items", "colour", "strata.general"} <= set(fields_of(answer))
    assert not Plan.objects.exists() and not entries("plan_create")


def test_a_plan_body_that_is_not_an_object_is_422(district, api):
    answer = api["alice"].call("POST", "/plans", ["not", "an", "object"])
    assert answer.status_code == 422 and not Plan.objects.exists()


def test_only_an_administrator_creates_and_only_for_their_own_department(district, api):
    for name in ("henry", "ian", "coordinator", "wanda"):
        assert api[name].post("/plans", PLAN).status_code == 403, name
    # WJW's administrator may not write a plan SCJGJ leads.
    answer = api["olga"].post("/plans", PLAN)
    assert answer.status_code == 403 and not Plan.objects.exists()
    assert Api().post("/plans", PLAN).status_code == 401


def test_the_plan_list_is_the_departments_and_pages(district, personas, api):
    ours = [plan_by(personas["alice"]) for _ in range(3)]
    theirs = plan_by(personas["olga"], departments=["WJW"], items=["WJW-001"])
    listed = api["alice"].get("/plans", limit=2).json()
    assert listed["count"] == 3 and len(listed["items"]) == 2
    assert [p["id"] for p in listed["items"]] == [ours[2].pk, ours[1].pk]  # newest first
    assert {p["id"] for p in api["coordinator"].get("/plans").json()["items"]} == {*(p.pk for p in ours), theirs.pk}
    assert api["wanda"].get("/plans").status_code == 403
    assert api["olga"].get(f"/plans/{ours[0].pk}").status_code == 404
    assert api["alice"].get(f"/plans/{theirs.pk}").status_code == 404
    assert api["alice"].get("/plans", status="submitted").json()["count"] == 0


def test_submit_approve_and_the_author_may_not_approve(district, personas, api):
    plan = plan_by(personas["alice"])
    assert api["henry"].post(f"/plans/{plan.pk}/submit").status_code == 403  # the administrator submits
    answer = api["alice"].post(f"/plans/{plan.pk}/submit")
    assert answer.status_code == 200 and answer.json()["status"] == "submitted"
    assert api["alice"].post(f"/plans/{plan.pk}/submit").status_code == 409  # not a draft any more
    assert api["alice"].post(f"/plans/{plan.pk}/approve").status_code == 403  # heads only
    assert api["ian"].post(f"/plans/{plan.pk}/approve").status_code == 403
    assert api["olga"].post(f"/plans/{plan.pk}/approve").status_code == 404
    answer = api["henry"].post(f"/plans/{plan.pk}/approve")
    assert answer.status_code == 200 and answer.json()["status"] == "approved"
    assert answer.json()["approved_by"] == "user:henry"
    assert token_of(entries("plan_approve")[0]).endswith("henry的令牌")


def test_the_author_approving_their_own_plan_is_403(district, personas, api):
    plan = plan_by(personas["henry"])  # a head who wrote the plan
    plan.submit(personas["alice"])
    answer = api["henry"].post(f"/plans/{plan.pk}/approve")
    assert answer.status_code == 403 and "编制人不能批准" in error_of(answer)["message"]
    plan.refresh_from_db()
    assert plan.status == "submitted" and not entries("plan_approve")


def test_withdraw_and_return(district, personas, api):
    plan = plan_by(personas["alice"])
    plan.submit(personas["alice"])
    assert api["henry"].post(f"/plans/{plan.pk}/withdraw").status_code == 403  # the author withdraws
    assert api["alice"].post(f"/plans/{plan.pk}/withdraw").json()["status"] == "draft"
    assert api["alice"].post(f"/plans/{plan.pk}/withdraw").status_code == 409
    plan.refresh_from_db()
    plan.submit(personas["alice"])
    answer = api["henry"].post(f"/plans/{plan.pk}/return", {"reason": "  "})
    assert answer.status_code == 422 and fields_of(answer) == ["reason"]
    assert api["henry"].post(f"/plans/{plan.pk}/return", {}).status_code == 422
    assert api["alice"].post(f"/plans/{plan.pk}/return", {"reason": "范围过大"}).status_code == 403
    answer = api["henry"].post(f"/plans/{plan.pk}/return", {"reason": "范围过大"})
    assert answer.status_code == 200 and answer.json()["status"] == "draft"
    assert json.loads(entries("plan_return")[0].payload)["reason"] == "范围过大"


def test_a_joint_plan_waits_for_each_departments_confirmation(district, personas, api):
    plan = plan_by(personas["alice"], departments=["SCJGJ", "WJW"], items=["SCJGJ-001", "WJW-001"])
    plan.submit(personas["alice"])
    answer = api["henry"].post(f"/plans/{plan.pk}/approve")
    assert answer.status_code == 409 and "尚未确认" in error_of(answer)["message"]
    assert api["alice"].post(f"/plans/{plan.pk}/confirm").status_code == 409  # SCJGJ confirmed by writing it
    assert api["wanda"].post(f"/plans/{plan.pk}/confirm").status_code == 403
    answer = api["olga"].post(f"/plans/{plan.pk}/confirm")
    assert answer.status_code == 200
    assert [d["confirmed_by"] for d in answer.json()["departments"]] == ["user:alice", "user:olga"]
    assert api["henry"].post(f"/plans/{plan.pk}/approve").status_code == 200


def test_export_is_the_plan_file(district, personas, api):
    plan = plan_by(personas["alice"], capacity=3)
    answer = api["ian"].get(f"/plans/{plan.pk}/export")
    assert answer.status_code == 200 and answer.json() == json.loads(json.dumps(plan.to_file()))
    plain = plan_by(personas["alice"])
    assert "capacity" not in api["alice"].get(f"/plans/{plain.pk}/export").json()  # as plan_export writes it
    assert api["olga"].get(f"/plans/{plan.pk}/export").status_code == 404
    assert api["wanda"].get(f"/plans/{plan.pk}/export").status_code == 403


# --- Draws ---------------------------------------------------------------------------------------


def test_commit_then_run_with_the_witnesses_entropy(district, personas, api):
    plan = approved_plan()
    answer = api["alice"].post(f"/plans/{plan.pk}/draw", {"entropy": ENTROPY, "witnesses": WITNESSES})
    assert answer.status_code == 409 and "没有待抽取的承诺" in error_of(answer)["message"]  # run before commit
    assert api["henry"].post(f"/plans/{plan.pk}/commitment", {}).status_code == 403  # the operator commits
    assert api["olga"].post(f"/plans/{plan.pk}/commitment", {}).status_code == 404
    answer = api["alice"].post(f"/plans/{plan.pk}/commitment", {})
    assert answer.status_code == 201, answer.content
    c = Commitment.objects.get()
    body = answer.json()
    assert body["commitment"] == c.commitment and body["params_digest"] == c.params_digest
    assert body["frame_digest"] == c.frame_digest and body["pool_digest"] == c.pool_digest
    assert body["entropy_source"] == "witnesses" and body["server_secret"] == "" and c.server_secret not in answer.content.decode()
    assert api["alice"].post(f"/plans/{plan.pk}/commitment", {}).status_code == 409  # committed already
    # The ceremony's promise: witnesses present, twenty dice rolls or a confirmation.
    answer = api["alice"].post(f"/plans/{plan.pk}/draw", {"entropy": ENTROPY})
    assert answer.status_code == 422 and fields_of(answer) == ["witnesses"]
    answer = api["alice"].post(f"/plans/{plan.pk}/draw", {"entropy": "3 1 4", "witnesses": WITNESSES})
    assert answer.status_code == 422 and fields_of(answer) == ["entropy"]
    answer = api["alice"].post(f"/plans/{plan.pk}/draw", {"entropy": ENTROPY, "witnesses": [{"name": "张三", "capacity": "mayor"}]})
    assert answer.status_code == 422 and fields_of(answer) == ["witnesses.0.capacity"]
    assert api["henry"].post(f"/plans/{plan.pk}/draw", {"entropy": ENTROPY, "witnesses": WITNESSES}).status_code == 403
    assert Commitment.objects.get().status == "committed"
    answer = api["alice"].post(f"/plans/{plan.pk}/draw", {"entropy": ENTROPY, "witnesses": WITNESSES})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    c.refresh_from_db()
    assert body["plan_status"] == "drawn" and body["seed"] == c.seed and body["selected"] == Task.objects.count() > 0
    assert api["alice"].post(f"/plans/{plan.pk}/draw", {"entropy": ENTROPY, "witnesses": WITNESSES}).status_code == 409
    (entry,) = entries("draw_run")
    assert token_of(entry).endswith("alice的令牌") and token_of(entries("draw_commit")[0]).endswith("alice的令牌")
    # The record, exactly as published, for anyone; the commitments with the secret now revealed.
    record = Api().get(f"/plans/{plan.pk}/draw/record")
    assert record.status_code == 200 and record.content.decode() == c.record
    listed = Api().get(f"/plans/{plan.pk}/commitments").json()
    assert listed[0]["status"] == "drawn" and listed[0]["server_secret"] == c.server_secret


def test_a_commitment_with_a_past_time_or_a_named_source(district, api):
    plan = approved_plan()
    answer = api["alice"].post(f"/plans/{plan.pk}/commitment", {"planned_draw_at": "2020-01-01T10:00:00"})
    assert answer.status_code == 422 and fields_of(answer) == ["planned_draw_at"] and not Commitment.objects.exists()
    answer = api["alice"].post(f"/plans/{plan.pk}/commitment", {"planned_draw_at": "2099-01-01T10:00:00",
                                                                 "entropy_source": "中国福利彩票3D 第2099001期开奖号码"})
    assert answer.status_code == 201 and answer.json()["entropy_source"] == "中国福利彩票3D 第2099001期开奖号码"
    answer = api["alice"].post(f"/plans/{plan.pk}/draw", {"entropy": "123"})
    assert answer.status_code == 409 and "未到公布的抽取时间" in error_of(answer)["message"]  # too early


def test_a_draft_plan_cannot_be_committed_and_its_record_is_not_public(district, personas, api):
    plan = plan_by(personas["alice"])
    answer = api["alice"].post(f"/plans/{plan.pk}/commitment", {})
    assert answer.status_code == 409 and "只有已批准的计划" in error_of(answer)["message"]
    for path in ("draw/record", "commitments", "public", "public/selected"):
        assert Api().get(f"/plans/{plan.pk}/{path}").status_code == 404, path


def test_a_failed_draw_is_409_draw_failed_and_its_failure_record_is_public(district, departments, api):
    Inspector.objects.filter(department=departments["WJW"]).exclude(cert_no="W001").delete()
    w001 = Inspector.objects.get(cert_no="W001")
    Conflict.objects.bulk_create([Conflict(inspector=w001, uscc=e.uscc, status="confirmed") for e in Entity.objects.all()])
    plan = approved_plan(departments=("SCJGJ", "WJW"), items=("SCJGJ-001", "WJW-001"),
                         strata={"general": {"ratio": "0.5"}})
    assert api["alice"].post(f"/plans/{plan.pk}/commitment", {}).status_code == 201
    answer = api["alice"].post(f"/plans/{plan.pk}/draw", {"entropy": ENTROPY, "witnesses": WITNESSES})
    assert answer.status_code == 409 and error_of(answer)["code"] == "draw_failed"
    c = Commitment.objects.get()
    assert c.status == "void" and not Task.objects.exists()
    (shown,) = Api().get(f"/plans/{plan.pk}/commitments").json()
    assert shown["failed"] is True and shown["void_reason"] == c.void_reason and shown["server_secret"] == c.server_secret
    assert Api().get(f"/plans/{plan.pk}/draw/record", attempt=1).content.decode() == c.record
    # A new commitment must say why the pool changed.
    answer = api["alice"].post(f"/plans/{plan.pk}/commitment", {})
    assert answer.status_code == 409 and "上一次抽取失败" in error_of(answer)["message"]


# --- Tasks and results ---------------------------------------------------------------------------


@pytest.fixture
def task(district):
    plan = drawn(starts_on="2026-01-01")
    return plan.tasks.order_by("order").first()


def outsider_of(task: Task, department) -> User:
    """An inspector of ``department`` who is not on the task's team."""
    inspector = Inspector.objects.filter(department=department, user__isnull=True).exclude(
        pk__in=task.members.values("inspector_id")).first()
    return User.objects.create(username=f"outsider-{department.code}", role=Role.INSPECTOR,
                               department=department, inspector=inspector)


def test_tasks_an_inspector_sees_their_teams_and_staff_their_departments(task, personas, departments, api):
    leader = member(task, 0)
    mine = Api(token_for(leader)).get("/tasks", limit=1000).json()
    assert mine["count"] == Task.objects.filter(members__inspector=leader.inspector).count()
    assert task.pk in [t["id"] for t in mine["items"]]
    assert api["alice"].get("/tasks").json()["count"] == Task.objects.count()
    assert api["henry"].get("/tasks", plan_id=task.plan_id, status="pending").json()["count"] == Task.objects.count()
    assert api["olga"].get("/tasks").json()["count"] == 0
    assert api["wanda"].get("/tasks").status_code == 403
    stranger = Api(token_for(outsider_of(task, departments["SCJGJ"])))
    assert stranger.get(f"/tasks/{task.pk}").status_code == 404
    one = Api(token_for(leader)).get(f"/tasks/{task.pk}").json()
    assert one["entity"] == task.entity.uscc and one["team"][0]["leader"] is True
    assert one["team"][0]["cert_no"] == leader.inspector.cert_no
    assert [i["code"] for i in one["items"]] == ["SCJGJ-001"] and one["results"] == []
    assert api["olga"].get(f"/tasks/{task.pk}").status_code == 404


def test_entering_a_result_and_its_refusals(task, departments, api):
    leader = Api(token_for(member(task, 0), name="组长"))
    url = f"/tasks/{task.pk}/items/SCJGJ-001/result"
    good = {**GOOD, "inspected_on": today_in(task.plan)}
    answer = leader.put(url, {**good, "category": "fine"})
    assert answer.status_code == 422 and fields_of(answer) == ["category"] and not Result.objects.exists()
    answer = leader.put(url, {**good, "inspected_on": "2099-01-01", "method": "online"})
    assert answer.status_code == 422 and set(fields_of(answer)) == {"inspected_on", "method"}
    assert leader.put(f"/tasks/{task.pk}/items/NOPE/result", good).status_code == 404
    # Off the team: an inspector of the department is refused (403), of another department never sees it (404).
    assert Api(token_for(outsider_of(task, departments["SCJGJ"]))).put(url, good).status_code == 403
    assert Api(token_for(outsider_of(task, departments["WJW"]))).put(url, good).status_code == 404
    assert api["alice"].put(url, good).status_code == 403
    answer = leader.put(url, good)
    assert answer.status_code == 200, answer.content
    assert answer.json()["category"] == "no_issue" and answer.json()["follow_up"] == "none"
    (entry,) = entries("result_enter")
    assert token_of(entry).endswith("组长")


def test_submit_by_the_leader_only_and_review_by_a_head(task, personas, api):
    leader, second = member(task, 0), member(task, 1)
    as_leader = Api(token_for(leader))
    answer = as_leader.post(f"/tasks/{task.pk}/submit")
    assert answer.status_code == 422 and fields_of(answer) == ["items.SCJGJ-001"]  # nothing entered yet
    as_leader.put(f"/tasks/{task.pk}/items/SCJGJ-001/result", {**GOOD, "inspected_on": today_in(task.plan)})
    assert Api(token_for(second)).post(f"/tasks/{task.pk}/submit").status_code == 403  # not the leader
    answer = as_leader.post(f"/tasks/{task.pk}/submit")
    assert answer.status_code == 200 and answer.json()["status"] == "entered"
    assert as_leader.post(f"/tasks/{task.pk}/submit").status_code == 409
    # Review: heads only; a return needs a reason.
    assert as_leader.post(f"/tasks/{task.pk}/review", {"decision": "approve"}).status_code == 403
    assert api["alice"].post(f"/tasks/{task.pk}/review", {"decision": "approve"}).status_code == 403
    answer = api["henry"].post(f"/tasks/{task.pk}/review", {"decision": "return"})
    assert answer.status_code == 422 and fields_of(answer) == ["reason"]
    assert api["henry"].post(f"/tasks/{task.pk}/review", {"decision": "maybe"}).status_code == 422
    answer = api["henry"].post(f"/tasks/{task.pk}/review", {"decision": "return", "reason": "检查内容过简"})
    assert answer.status_code == 200 and answer.json()["status"] == "returned"
    assert answer.json()["return_reason"] == "检查内容过简"
    as_leader.post(f"/tasks/{task.pk}/submit")
    answer = api["henry"].post(f"/tasks/{task.pk}/review", {"decision": "approve"})
    assert answer.status_code == 200 and answer.json()["status"] == "published"
    assert [r["decision"] for r in answer.json()["reviews"]] == ["returned", "approved"]
    assert answer.json()["results"][0]["published_at"] is not None
    assert token_of(entries("result_publish")[0]).endswith("henry的令牌")
    assert token_of(entries("result_submit")[0]) == token_of(entries("result_submit")[1]) != ""
    assert api["henry"].post(f"/tasks/{task.pk}/review", {"decision": "approve"}).status_code == 409


def test_follow_up_and_correction_of_a_published_result(task, personas, api):
    leader = Api(token_for(member(task, 0)))
    leader.put(f"/tasks/{task.pk}/items/SCJGJ-001/result",
               {**GOOD, "inspected_on": today_in(task.plan), "category": "pending_action",
                "findings": "未按规定公示年报", "follow_up": "rectification"})
    leader.post(f"/tasks/{task.pk}/submit")
    answer = api["alice"].post(f"/tasks/{task.pk}/follow-up", {"action": "责令改正", "done_on": today_in(task.plan)})
    assert answer.status_code == 409  # not published yet
    api["henry"].post(f"/tasks/{task.pk}/review", {"decision": "approve"})
    assert api["alice"].get(f"/tasks/{task.pk}").json()["open_follow_up"] is True
    answer = api["alice"].post(f"/tasks/{task.pk}/follow-up", {"action": "", "done_on": "2026-13-01"})
    assert answer.status_code == 422 and set(fields_of(answer)) == {"action", "done_on"}
    answer = api["alice"].post(f"/tasks/{task.pk}/follow-up", {"action": "责令限期改正", "done_on": today_in(task.plan)})
    assert answer.status_code == 201 and answer.json()["done_by"] == "user:alice"
    assert api["alice"].get(f"/tasks/{task.pk}").json()["open_follow_up"] is False
    # Correction: heads only, with a reason; the original stays.
    result = Result.objects.get()
    url = f"/tasks/{task.pk}/results/{result.pk}/correction"
    fixed = {**GOOD, "inspected_on": today_in(task.plan)}
    assert api["alice"].post(url, {**fixed, "reason": "录入错误"}).status_code == 403
    answer = api["henry"].post(url, fixed)
    assert answer.status_code == 422 and fields_of(answer) == ["reason"]
    answer = api["henry"].post(url, {**fixed, "reason": "录入错误"})
    assert answer.status_code == 201 and answer.json()["corrects"] == result.pk
    assert answer.json()["category"] == "no_issue" and Result.objects.count() == 2
    assert api["henry"].post(url, {**fixed, "reason": "再次"}).status_code == 409  # corrected already


def test_the_public_record_shows_the_published_result(task, personas, api):
    leader = Api(token_for(member(task, 0)))
    leader.put(f"/tasks/{task.pk}/items/SCJGJ-001/result", {**GOOD, "inspected_on": today_in(task.plan)})
    leader.post(f"/tasks/{task.pk}/submit")
    plan = task.plan
    before = Api().get(f"/plans/{plan.pk}/public/selected", limit=1000).json()
    assert before["count"] == plan.tasks.count() and all(s["results"] == [] for s in before["items"])
    api["henry"].post(f"/tasks/{task.pk}/review", {"decision": "approve"})
    after = Api().get(f"/plans/{plan.pk}/public/selected", limit=1000).json()["items"]
    (shown,) = [s for s in after if s["results"]]
    assert shown["entity"] == task.entity.uscc and shown["results"][0]["category"] == "no_issue"
    public = Api().get(f"/plans/{plan.pk}/public").json()
    assert public["number"] == plan.number and public["witnesses"][0]["name"] == "张三"
