"""The whole inspection cycle by a client written only from the served OpenAPI document (issue #10).

``DocumentClient`` knows nothing of the API but ``/api/v1/openapi.json``: it finds each
operation by its ``operationId``, fills the path template, sends the body, and checks that
the status is one the document declares for the operation and that the body matches the
document's schema for that status (``jsonschema``, draft 2020-12, as OpenAPI 3.1 says).
The test then runs the cycle another system would: plan, approval by another user,
commitment, draw with the witnesses' entropy, tasks, results, submission, review, and the
published result read back through the plan's public record.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from jsonschema import Draft202012Validator

from spotcheck import draw
from spotcheck.accounts.models import Role, User
from spotcheck.api.models import ApiToken
from spotcheck.directory.models import Inspector
from tests.conftest import make_uscc

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


class DocumentClient:
    """A generic caller of the operations of an OpenAPI document, by operationId."""

    def __init__(self, document: dict[str, Any], token: str | None = None):
        self.document = document
        self.token = token
        self.operations: dict[str, tuple[str, str, dict[str, Any]]] = {}
        for template, item in document["paths"].items():
            for method, operation in item.items():
                if method in METHODS:
                    assert operation["operationId"] not in self.operations, operation["operationId"]
                    self.operations[operation["operationId"]] = (method, template, operation)

    def as_(self, token: str | None) -> DocumentClient:
        return DocumentClient(self.document, token)

    def call(self, operation_id: str, body: Any = None, **params: Any) -> tuple[int, Any]:
        """Call one operation; return (status, JSON body), the body checked against the document."""
        method, template, operation = self.operations[operation_id]
        declared = {p["name"]: p["in"] for p in operation.get("parameters", [])}
        path = {name: params.pop(name) for name, where in declared.items() if where == "path"}
        unknown = [name for name in params if declared.get(name) != "query"]
        assert not unknown, f"{operation_id} takes no parameters {unknown}"
        url = template.format(**path)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
        client = Client()
        if method == "get":
            response = client.get(url, params, **headers)
        else:
            if body is not None:
                assert "requestBody" in operation, f"{operation_id} takes no body"
            response = client.generic(method.upper(), url, json.dumps(body if body is not None else {}),
                                      content_type="application/json", **headers)
        status = response.status_code
        answers = operation["responses"]
        assert str(status) in answers, f"{operation_id} answered {status}, not in the document: {response.content[:500]!r}"
        data = response.json() if response.content else None
        schema = answers[str(status)].get("content", {}).get("application/json", {}).get("schema")
        if schema is not None:
            validator = Draft202012Validator({**schema, "components": self.document.get("components", {})})
            problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]
            assert not problems, f"{operation_id} {status} does not match its schema: {problems}"
        return status, data


def ok(answer: tuple[int, Any], *expected: int) -> Any:
    status, data = answer
    assert status in (expected or (200,)), (status, data)
    return data


def issue_token(username: str) -> str:
    """A token made by an administrator for a user (the token page's job, not this client's)."""
    return ApiToken.issue(user=User.objects.get(username=username), name=f"系统对接 {username}", days=1)[1]


def sync_directory(registry: DocumentClient, admin: DocumentClient) -> None:
    """Bring the registration system's entities and the department's inspectors in, through the API.

    ``registry``: the registration system's token (entities are the coordinator's to write);
    ``admin``: the department administrator's (its own inspectors, a declared conflict).
    """
    regions = ok(registry.call("regions"))
    codes = sorted(r["code"] for r in regions)
    entities = [{"uscc": make_uscc(i), "name": f"重庆对接{i}号商贸有限公司", "entity_type": "enterprise",
                 "industry": "F", "region": codes[i % 2], "status": "active" if i % 20 else "revoked"}
                for i in range(1, 201)]
    done = ok(registry.call("entity_bulk", {"entities": entities}))
    assert done["created"] == 200
    # A second sync of the same rows changes nothing; a rename is an update.
    entities[0]["name"] = "重庆对接1号商贸有限公司（更名）"
    assert ok(registry.call("entity_bulk", {"entities": entities})) == {
        "rows": 200, "created": 0, "updated": 1, "unchanged": 199}
    found = ok(registry.call("entity_detail", uscc=make_uscc(1)))
    assert found["name"].endswith("（更名）")

    inspectors = [{"cert_no": f"S{n:03d}", "name": f"市场{n}", "department": "SCJGJ", "cert_expires_on": "2030-01-01"}
                  for n in range(2, 9)]
    inspectors[0]["conflicts"] = make_uscc(5)  # a conflict of interest (回避) the department has confirmed
    assert ok(admin.call("inspector_bulk", {"inspectors": inspectors}))["created"] == 7
    conflicts = ok(admin.call("conflict_list", limit=100))
    assert [(c["inspector"], c["uscc"], c["status"]) for c in conflicts["items"]] == [("S002", make_uscc(5), "confirmed")]


def test_an_outside_system_runs_the_whole_cycle_from_the_openapi_document(regions, published, personas):
    document = Client().get("/api/v1/openapi.json").json()
    anonymous = DocumentClient(document)
    admin = anonymous.as_(issue_token("alice"))
    head = anonymous.as_(issue_token("henry"))

    sync_directory(anonymous.as_(issue_token("coordinator")), admin)

    # The plan: written by the department's administrator, approved by its head (another user).
    plan = ok(admin.call("plans_create", {
        "name": "2026年度接口对接抽查", "year": 2026, "departments": ["SCJGJ"], "items": ["SCJGJ-001"],
        "strata": {"general": {"ratio": "0.05"}}, "starts_on": "2026-01-01",
    }), 201)
    assert plan["status"] == "draft"
    plan_id = plan["id"]
    assert ok(admin.call("plans_export", plan_id=plan_id))["items"] == ["SCJGJ-001"]
    assert ok(admin.call("plans_submit", plan_id=plan_id))["status"] == "submitted"
    status, _ = admin.call("plans_approve", plan_id=plan_id)
    assert status == 403  # the author does not approve
    assert ok(head.call("plans_approve", plan_id=plan_id))["status"] == "approved"

    # The commitment, then the draw with the witnesses' entropy.
    status, _ = admin.call("draws_run", {"entropy": "1 2 3", "witnesses": []}, plan_id=plan_id)
    assert status == 409  # no commitment yet
    commitment = ok(admin.call("draws_commit", {}, plan_id=plan_id), 201)
    assert len(commitment["commitment"]) == 64 and commitment["params_digest"]
    drawn = ok(admin.call("draws_run", {
        "entropy": "6 2 3 4 1 5 5 2 6 1 3 4 2 6 5 1 4 3 2 1",
        "witnesses": [{"name": "张三", "capacity": "notary", "organisation": "巴南公证处"}],
    }, plan_id=plan_id))
    assert drawn["plan_status"] == "drawn" and drawn["selected"] > 0

    # The record anyone can verify: the published bytes recompute (the verifier's own check).
    record = ok(anonymous.call("draws_record", plan_id=plan_id))
    assert record["commitment"] == commitment["commitment"] and draw.verify(record) is None

    # The tasks, and the first one's team.
    tasks = ok(admin.call("tasks_list", plan_id=plan_id, limit=1000))
    assert tasks["count"] == drawn["selected"]
    first = ok(admin.call("tasks_get", task_id=tasks["items"][0]["id"]))
    leader_cert = next(m["cert_no"] for m in first["team"] if m["leader"])

    # The team leader's login (the user page's job), and their token.
    inspector = Inspector.objects.get(cert_no=leader_cert)
    # The draw may send the inspector who already has a login (ian): the server secret is random.
    login = User.objects.filter(inspector=inspector).first() or User.objects.create(
        username="leader", role=Role.INSPECTOR, department=inspector.department, inspector=inspector)
    leader = anonymous.as_(issue_token(login.username))
    assert first["id"] in [t["id"] for t in ok(leader.call("tasks_list", limit=1000))["items"]]

    # Results: every item entered, submitted by the leader, approved (and published) by the head.
    day = min(timezone.localdate().isoformat(), "2026-12-31")  # within the plan, not in the future
    for item in first["items"]:
        status, refused = leader.call("results_enter", {"category": "maybe"}, task_id=first["id"],
                                      item_code=item["code"])
        assert status == 422 and refused["error"]["fields"][0]["field"] == "category"
        ok(leader.call("results_enter", {"method": item["methods"][0], "inspected_on": day,
                                         "checked": "核查经营场所和公示信息", "category": "no_issue"},
                       task_id=first["id"], item_code=item["code"]))
    assert ok(leader.call("results_submit", task_id=first["id"]))["status"] == "entered"
    status, _ = leader.call("results_review", {"decision": "approve"}, task_id=first["id"])
    assert status == 403
    assert ok(head.call("results_review", {"decision": "approve"}, task_id=first["id"]))["status"] == "published"

    # The published result, read through the plan's public record, without a token.
    public = ok(anonymous.call("plans_public", plan_id=plan_id))
    assert public["status"] == "drawn" and public["commitments"][0]["status"] == "drawn"
    selected = ok(anonymous.call("plans_public_selected", plan_id=plan_id, limit=1000))
    (shown,) = [s for s in selected["items"] if s["results"]]
    assert shown["entity"] == first["entity"] and shown["results"][0]["category"] == "no_issue"

    # The credit feed, as the credit platform reads it: page by page from the start by its opaque
    # cursor, until a page is empty; the published result is there once, and the last cursor polls.
    seen, cursor = [], ""
    while True:
        page = ok(anonymous.call("feed_results", cursor=cursor, limit=2))
        seen += page["items"]
        cursor = page["next"]
        if not page["items"]:
            break
    result_id = shown["results"][0]["id"]
    assert [(i["entity"], i["result"]) for i in seen if i["id"] == result_id] == [(first["entity"], "no_issue")]
    assert len({i["id"] for i in seen}) == len(seen)
    assert ok(anonymous.call("feed_results", cursor=cursor)) == {"items": [], "next": cursor}
    credit = ok(anonymous.call("public_entity_credit", uscc=first["entity"]))
    assert [r["id"] for r in credit["results"]] == [result_id]
