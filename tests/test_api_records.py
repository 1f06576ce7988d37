"""Licences and penalties through the API (issue #10): the imports' rules by records, public reads."""

from __future__ import annotations

import json

import pytest

from spotcheck.api.models import ApiToken
from spotcheck.audit.models import AuditEntry
from spotcheck.records.models import Licence, Penalty
from tests.api_client import Api, error_of, token_for
from tests.test_licences import entities, licence, penalty  # noqa: F401 (entities is a fixture)

pytestmark = pytest.mark.django_db


def test_licences_and_penalties_arrive_in_bulk_and_are_read_publicly(personas, entities):  # noqa: F811
    api = Api(token_for(personas["alice"], name="许可系统"))
    answer = api.post("/licences/bulk", {"licences": [licence(1), licence(2, issuer="重庆市市场监督管理局")]})
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0}
    assert api.post("/penalties/bulk", {"penalties": [penalty(1)]}).json()["created"] == 1
    # Again, with a change: updated, not duplicated.
    again = api.post("/licences/bulk", {"licences": [licence(1, status="revoked"), licence(2, issuer="重庆市市场监督管理局")]})
    assert again.json() == {"rows": 2, "created": 0, "updated": 1, "unchanged": 1}
    assert Licence.objects.count() == 2 and Penalty.objects.count() == 1

    code = entities[0].uscc
    public = Api()
    licences = public.get(f"/public/entities/{code}/licences").json()
    assert {(row["number"], row["status"]) for row in licences} == {("JY1500113000001", "revoked"),
                                                                   ("JY1500113000002", "valid")}
    penalties = public.get(f"/public/entities/{code.lower()}/penalties").json()
    assert penalties[0]["decision_no"] == "巴南市监处罚〔2026〕1号" and penalties[0]["amount"] in ("5000.00", 5000)
    assert public.get("/public/entities/915001130000000000/licences").status_code == 404


def test_each_bad_record_is_named_and_nothing_is_written(personas, entities):  # noqa: F811
    api = Api(token_for(personas["alice"]))
    before = AuditEntry.objects.count()
    answer = api.post("/licences/bulk", {"licences": [
        licence(1), licence(2, valid_to="2020-01-01"), licence(3, uscc="91500113MA5U000000"), licence(4, status="作废"),
        licence(5, number=""), licence(1)]})
    assert answer.status_code == 422
    fields = {f["field"] for f in error_of(answer)["fields"]}
    assert {"licences.1.valid_to", "licences.2.uscc", "licences.3.status", "licences.4.number"} <= fields
    assert any(f.startswith("licences.5") for f in fields)  # the same licence twice in one request
    answer = api.post("/penalties/bulk", {"penalties": [penalty(1, decision_date="2026-13-01"), penalty(2, summary="")]})
    assert {f["field"] for f in error_of(answer)["fields"]} == {"penalties.0.decision_date", "penalties.1.summary"}
    assert Licence.objects.count() == 0 and Penalty.objects.count() == 0
    assert AuditEntry.objects.count() == before


def test_the_import_rules_of_departments_and_roles_hold(personas, entities):  # noqa: F811
    # Another department may not write SCJGJ's licences; a head and a witness may not write at all.
    olga = Api(token_for(personas["olga"]))
    refused = olga.post("/licences/bulk", {"licences": [licence(1, issuer="SCJGJ")]})
    assert refused.status_code == 422 and error_of(refused)["fields"][0]["field"].startswith("licences.0")
    assert Api(token_for(personas["henry"])).post("/penalties/bulk", {"penalties": [penalty(1)]}).status_code == 403
    assert Api(token_for(personas["wanda"])).post("/penalties/bulk", {"penalties": [penalty(1)]}).status_code == 403
    assert Api().post("/penalties/bulk", {"penalties": [penalty(1)]}).status_code == 401
    assert Licence.objects.count() == 0 and Penalty.objects.count() == 0


def test_one_audit_entry_names_the_token(personas, entities):  # noqa: F811
    api = Api(token_for(personas["coordinator"], name="信用平台"))
    assert api.post("/penalties/bulk", {"penalties": [penalty(1), penalty(2)]}).status_code == 200
    entry = AuditEntry.objects.order_by("-seq").first()
    payload = json.loads(entry.payload)
    assert entry.action == "import_penalties" and entry.actor == "user:coordinator"
    assert payload["api_token"] == ApiToken.objects.get(name="信用平台").label and payload["created"] == 2
