"""The API's permission matrix (issue #10): every operation × every role, anonymous and another department.

``EXPECTED`` says, for each operation of the OpenAPI document (method and path template),
what each caller gets, in the order of ``CALLERS``: tokens of the coordinator, SCJGJ's
administrator, head and inspector, a witness, WJW's administrator (another department),
and no token at all. An operation missing from the table fails
``test_every_operation_states_its_expectations``: a new endpoint must say who may use it.

The world is the web matrix's (tests/test_permission_matrix.py), built once and rolled back;
every call runs in a savepoint rolled back after it. Bodies are minimal: enough to show the
gate (401/403/404 for the wrong caller, anything else for the right one), not to do the work.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from spotcheck.api.models import ApiToken
from tests import test_permission_matrix as web
from tests.conftest import make_uscc
from tests.test_permission_matrix import World

pytestmark = pytest.mark.django_db

world = web.world  # the web matrix's world, as a fixture of this module

CALLERS = ("coordinator", "dept_admin", "dept_head", "inspector", "witness", "other_dept", "anonymous")


@dataclass
class Op:
    """What each caller gets (in the order of CALLERS) from one operation."""

    expect: str
    params: Callable[[World], dict[str, Any]] = lambda world: {}
    body: Callable[[World], Any] | None = None
    query: str = ""

    def url(self, template: str, world: World) -> str:
        return template.format(**self.params(world)) + self.query


def statuses(text: str) -> dict[str, int]:
    return dict(zip(CALLERS, (int(code) for code in text.split()), strict=True))


# --- plans, draws, tasks, results: path parameters and bodies ------------------------------------
CYCLE_PLAN = {"name": "接口矩阵计划", "year": 2026, "departments": ["SCJGJ"], "items": ["SCJGJ-001"],
              "starts_on": "2026-01-01"}
CYCLE_DRAW = {"entropy": "6 2 3 4 1 5 5 2 6 1 3 4 2 6 5 1 4 3 2 1",
              "witnesses": [{"name": "张三", "capacity": "notary", "organisation": "巴南公证处"}]}


def plan(name: str) -> Callable[[World], dict[str, Any]]:
    return lambda world: {"plan_id": getattr(world, name).pk}


def task(name: str) -> Callable[[World], dict[str, Any]]:
    return lambda world: {"task_id": getattr(world, name).pk}


EXPECTED: dict[tuple[str, str], Op] = {
    # --- meta ------------------------------------------------------------------------------------
    ("GET", "/api/v1/me"): Op("200 200 200 200 200 200 401"),
    ("GET", "/api/v1/regions"): Op("200 200 200 200 200 200 200"),
    ("GET", "/api/v1/departments"): Op("200 200 200 200 200 200 200"),
    # --- directory: entities, inspectors, conflicts, items, history --------------------------------
    ("GET", "/api/v1/entities"): Op("200 200 200 200 403 200 401", query="?industry=F&changed_since=2020-01-01T00:00"),
    ("GET", "/api/v1/entities/{uscc}"): Op("200 200 200 200 403 200 401", lambda w: {"uscc": w.uscc}),
    ("POST", "/api/v1/entities/bulk"): Op("200 403 403 403 403 403 401", body=lambda w: {"entities": [
        {"uscc": make_uscc(9001), "name": "矩阵新主体", "entity_type": "enterprise", "industry": "F",
         "region": "500113001", "status": "active"}]}),
    ("GET", "/api/v1/inspectors"): Op("200 200 200 200 403 200 401"),
    ("GET", "/api/v1/inspectors/{cert_no}"): Op("200 200 200 200 403 404 401", lambda w: {"cert_no": "S002"}),
    # WJW's administrator writing SCJGJ's inspector: the import's row error (422), nothing written.
    ("POST", "/api/v1/inspectors/bulk"): Op("200 200 403 403 403 422 401", body=lambda w: {"inspectors": [
        {"cert_no": "S002", "name": "市场二", "department": "SCJGJ"}]}),
    ("GET", "/api/v1/conflicts"): Op("200 200 200 200 403 200 401", query="?status=pending"),
    ("POST", "/api/v1/conflicts"): Op("403 403 403 201 403 403 401", body=lambda w: {"uscc": make_uscc(9), "reason": "亲属"}),
    ("POST", "/api/v1/conflicts/{conflict_id}/confirm"): Op("200 200 403 403 403 404 401",
                                                            lambda w: {"conflict_id": w.conflict.pk}),
    ("GET", "/api/v1/history"): Op("200 200 200 200 403 200 401"),
    ("POST", "/api/v1/history/bulk"): Op("200 403 403 403 403 403 401", body=lambda w: {"records": [
        {"uscc": w.uscc, "department": "市市场监管局", "item": "SCJGJ-001", "inspected_on": "2026-03-01",
         "result": "no_issue"}]}),
    ("GET", "/api/v1/items"): Op("200 200 200 200 200 200 200"),
    ("GET", "/api/v1/item-lists"): Op("200 200 200 200 200 200 200", query="?department=SCJGJ"),
    ("GET", "/api/v1/item-lists/{department}/{version}"): Op("200 200 200 200 200 200 200",
                                                            lambda w: {"department": "SCJGJ", "version": 1}),

    # --- plans, draws, tasks, results ------------------------------------------------------------
    ("GET", "/api/v1/plans"): Op("200 200 200 200 403 200 401"),
    ("POST", "/api/v1/plans"): Op("403 201 403 403 403 403 401", body=lambda w: dict(CYCLE_PLAN)),
    ("GET", "/api/v1/plans/{plan_id}"): Op("200 200 200 200 403 404 401", plan("drawn")),
    ("POST", "/api/v1/plans/{plan_id}/submit"): Op("403 200 403 403 403 404 401", plan("draft")),
    ("POST", "/api/v1/plans/{plan_id}/withdraw"): Op("403 200 403 403 403 404 401", plan("submitted")),
    ("POST", "/api/v1/plans/{plan_id}/approve"): Op("403 403 200 403 403 404 401", plan("submitted")),
    ("POST", "/api/v1/plans/{plan_id}/return"): Op("403 403 200 403 403 404 401", plan("submitted"),
                                                   body=lambda w: {"reason": "范围过大"}),
    ("POST", "/api/v1/plans/{plan_id}/confirm"): Op("403 409 409 403 403 200 401", plan("joint")),
    ("GET", "/api/v1/plans/{plan_id}/export"): Op("200 200 200 200 403 404 401", plan("draft")),
    ("POST", "/api/v1/plans/{plan_id}/commitment"): Op("403 201 403 403 403 404 401", plan("approved")),
    ("POST", "/api/v1/plans/{plan_id}/draw"): Op("403 200 403 403 403 404 401", plan("committed"),
                                                 body=lambda w: dict(CYCLE_DRAW)),
    ("GET", "/api/v1/plans/{plan_id}/commitments"): Op("200 200 200 200 200 200 200", plan("drawn")),
    ("GET", "/api/v1/plans/{plan_id}/draw/record"): Op("200 200 200 200 200 200 200", plan("drawn")),
    ("GET", "/api/v1/plans/{plan_id}/public"): Op("200 200 200 200 200 200 200", plan("drawn")),
    ("GET", "/api/v1/plans/{plan_id}/public/selected"): Op("200 200 200 200 200 200 200", plan("drawn")),
    ("GET", "/api/v1/tasks"): Op("200 200 200 200 403 200 401"),
    ("GET", "/api/v1/tasks/{task_id}"): Op("200 200 200 200 403 404 401", task("task")),
    ("PUT", "/api/v1/tasks/{task_id}/items/{item_code}/result"): Op(
        "403 403 403 200 403 404 401", lambda w: {"task_id": w.task.pk, "item_code": "SCJGJ-001"},
        body=lambda w: {**web.GOOD, "inspected_on": web.today_in(w.task.plan)}),
    ("POST", "/api/v1/tasks/{task_id}/submit"): Op("403 403 403 200 403 404 401", task("task")),
    ("POST", "/api/v1/tasks/{task_id}/review"): Op("403 403 200 403 403 403 401", task("entered"),
                                                   body=lambda w: {"decision": "approve"}),
    ("POST", "/api/v1/tasks/{task_id}/follow-up"): Op(
        "403 409 409 404 403 404 401", task("followed"),
        body=lambda w: {"action": "责令限期改正", "done_on": web.today_in(w.followed.plan)}),
    ("POST", "/api/v1/tasks/{task_id}/results/{result_id}/correction"): Op(
        "403 403 201 404 403 404 401", lambda w: {"task_id": w.published.pk, "result_id": w.result.pk},
        body=lambda w: {**web.GOOD, "inspected_on": web.today_in(w.published.plan), "reason": "录入错误"}),

    # --- published results, the credit feed, licences and penalties ------------------------------
    ("GET", "/api/v1/public/results"): Op("200 200 200 200 200 200 200"),
    ("GET", "/api/v1/public/entities/{uscc}"): Op("200 200 200 200 200 200 200",
                                                  lambda w: {"uscc": w.published_uscc}),
    ("GET", "/api/v1/feed/results"): Op("200 200 200 200 200 200 200"),

    # Licences and penalties: the imports' rule (coordinator and administrators; WJW may not write
    # SCJGJ's records: its row is refused, 422); read publicly with the entity's page.
    ("POST", "/api/v1/licences/bulk"): Op("200 200 403 403 403 422 401", body=lambda w: {"licences": [
        {"uscc": w.uscc, "licence_type": "食品经营许可证", "number": "JY1", "issuer": "SCJGJ",
         "valid_from": "2024-01-01"}]}),
    ("POST", "/api/v1/penalties/bulk"): Op("200 200 403 403 403 422 401", body=lambda w: {"penalties": [
        {"uscc": w.uscc, "decision_no": "处罚〔2026〕1号", "decision_date": "2026-01-02", "department": "SCJGJ",
         "summary": "罚款"}]}),
    ("GET", "/api/v1/public/entities/{uscc}/licences"): Op("200 200 200 200 200 200 200",
                                                           lambda w: {"uscc": w.uscc}),
    ("GET", "/api/v1/public/entities/{uscc}/penalties"): Op("200 200 200 200 200 200 200",
                                                            lambda w: {"uscc": w.uscc}),
}


def operations() -> list[tuple[str, str]]:
    spec = Client().get("/api/v1/openapi.json").json()
    return sorted((method.upper(), route) for route, ops in spec["paths"].items() for method in ops)


def test_every_operation_states_its_expectations():
    ops = set(operations())
    missing = sorted(ops - set(EXPECTED))
    assert not missing, f"operations without expectations in EXPECTED: {missing}"
    stale = sorted(set(EXPECTED) - ops)
    assert not stale, f"EXPECTED names operations the API no longer has: {stale}"


def test_the_table_is_well_formed():
    for key, op in EXPECTED.items():
        assert set(statuses(op.expect).values()) <= {200, 201, 204, 401, 403, 404, 409, 422}, key
        assert statuses(op.expect)["anonymous"] in (200, 401), key  # no token: public or 401, never more


@pytest.fixture(scope="module")
def tokens(world) -> dict[str, str | None]:
    found: dict[str, str | None] = {"anonymous": None}
    for name in CALLERS[:-1]:
        found[name] = ApiToken.issue(user=world.users[name], name=f"matrix {name}", days=1)[1]
    return found


def call(token: str | None, method: str, url: str, body: Any = None) -> int:
    """The status of one call, its changes rolled back."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    client = Client()
    with transaction.atomic():
        if method == "GET":
            response = client.get(url, **headers)
        else:
            response = client.generic(method, url, json.dumps(body if body is not None else {}),
                                      content_type="application/json", **headers)
        transaction.set_rollback(True)
    return response.status_code


@pytest.mark.parametrize("key", sorted(EXPECTED), ids=lambda key: f"{key[0]} {key[1]}")
def test_matrix(world, tokens, key):
    method, template = key
    op = EXPECTED[key]
    url = op.url(template, world)
    body = op.body(world) if op.body else None
    got = {caller: call(tokens[caller], method, url, body) for caller in CALLERS}
    assert got == statuses(op.expect), f"{method} {url}"


def test_another_departments_administrator_never_writes_scjgjs_objects(world, tokens):
    """Every write by WJW's administrator on SCJGJ's objects is refused (403/404), or is its own (201/200)."""
    for (method, template), op in EXPECTED.items():
        if method != "GET":
            assert statuses(op.expect)["other_dept"] in (200, 201, 403, 404, 409, 422), (method, template)
