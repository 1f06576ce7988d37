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


EXPECTED: dict[tuple[str, str], Op] = {
    # --- meta ------------------------------------------------------------------------------------
    ("GET", "/api/v1/me"): Op("200 200 200 200 200 200 401"),
    ("GET", "/api/v1/regions"): Op("200 200 200 200 200 200 200"),
    ("GET", "/api/v1/departments"): Op("200 200 200 200 200 200 200"),
    # --- directory: entities, inspectors, conflicts, items, history --------------------------------

    # --- plans, draws, tasks, results ------------------------------------------------------------

    # --- published results, the credit feed, licences and penalties ------------------------------

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
