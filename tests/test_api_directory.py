"""The directories through the API (issue #10): entities, inspectors, conflicts, history, items.

The bulk writes are the file imports fed with records: every bad record is refused with the
import's own message, named ``entities.N.field``, and nothing is written.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from spotcheck.api.models import ApiToken
from spotcheck.audit.models import AuditEntry
from spotcheck.catalog import lists
from spotcheck.catalog.models import HistoryRecord
from spotcheck.directory.imports import run_import
from spotcheck.directory.models import Conflict, Entity, Inspector
from tests.api_client import Api, error_of, token_for
from tests.conftest import csv_bytes, make_uscc

pytestmark = pytest.mark.django_db

ENTITY_KEYS = ["uscc", "name", "entity_type", "industry", "region", "status", "foreign", "complaints_12m",
               "established_on"]


def record(n: int, **changes) -> dict:
    values = {"uscc": make_uscc(n), "name": f"重庆测试{n}有限公司", "entity_type": "enterprise", "industry": "F",
              "region": "500113001", "status": "active", "foreign": False, "complaints_12m": 2,
              "established_on": "2010-05-01"}
    values.update(changes)
    return {k: v for k, v in values.items() if v is not ...}


@pytest.fixture
def coordinator_api(personas, regions):
    return Api(token_for(personas["coordinator"], name="登记系统"))


def bulk(api: Api, records: list, key: str = "entities", path: str = "/entities/bulk"):
    return api.post(path, {key: records})


# --- Entities: upsert by code ------------------------------------------------------------------


def test_upsert_creates_then_updates_by_code_without_duplicates(coordinator_api):
    answer = bulk(coordinator_api, [record(1), record(2), record(3)])
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0}
    entity = Entity.objects.get(uscc=make_uscc(2))
    assert (entity.name, entity.region.code, entity.complaints_12m, str(entity.established_on)) == \
        ("重庆测试2有限公司", "500113001", 2, "2010-05-01")

    answer = bulk(coordinator_api, [record(1, name="改名一"), record(2, name="改名二"), record(3)])
    assert answer.json() == {"rows": 3, "created": 0, "updated": 2, "unchanged": 1}
    assert Entity.objects.count() == 3
    assert sorted(Entity.objects.values_list("name", flat=True)) == ["改名一", "改名二", "重庆测试3有限公司"]
    # Codes are upper-cased as the import does; a code written in lower case is the same entity.
    answer = bulk(coordinator_api, [record(1, uscc=make_uscc(1).lower(), name="小写代码")])
    assert answer.json()["updated"] == 1 and Entity.objects.count() == 3


BAD = [
    ("uscc", {"uscc": make_uscc(3)[:-1] + ("0" if make_uscc(3)[-1] != "0" else "1")}, "校验位"),
    ("region", {"region": "不存在街道"}, "未知的镇街"),
    ("industry", {"industry": "Z"}, "行业门类"),
    ("name", {"name": ...}, "必填"),
    ("name", {"name": "  "}, "必填"),
    ("complaints_12m", {"complaints_12m": -1}, "负数"),
    ("foreign", {"foreign": "maybe"}, "是/否"),
    ("name", {"name": {"zh": "嵌套"}}, None),
]


@pytest.mark.parametrize(("field", "change", "words"), BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_each_bad_record_is_named_and_nothing_is_written(coordinator_api, field, change, words):
    bulk(coordinator_api, [record(1)])  # one entity already there: its name must not change either
    before_entities, before_audit = Entity.objects.count(), AuditEntry.objects.count()
    records = [record(1, name="不应写入"), record(2), record(3, **change), record(4)]
    answer = bulk(coordinator_api, records)
    if words is None:  # a value no cell can hold: refused by the request's schema, before the import
        assert answer.status_code == 422
        assert error_of(answer)["fields"][0]["field"].startswith("entities.2.name")
    else:
        assert answer.status_code == 422, answer.content
        error = error_of(answer)
        assert error["code"] == "validation"
        named = [f for f in error["fields"] if f["field"] == f"entities.2.{field}"]
        assert named, error["fields"]
        assert words in named[0]["message"] and "第3条" in named[0]["message"], named
        assert {f["field"] for f in error["fields"]} == {f"entities.2.{field}"}
    assert Entity.objects.count() == before_entities
    assert Entity.objects.get(uscc=make_uscc(1)).name == "重庆测试1有限公司"
    assert AuditEntry.objects.count() == before_audit


def test_a_code_twice_in_one_request_is_refused(coordinator_api):
    answer = bulk(coordinator_api, [record(1), record(2), record(1, name="又一次")])
    assert answer.status_code == 422
    fields = error_of(answer)["fields"]
    assert [f["field"] for f in fields] == ["entities.2.uscc"], fields
    assert "重复" in fields[0]["message"]
    assert Entity.objects.count() == 0


def test_an_unknown_key_is_an_error_like_an_unknown_column(coordinator_api):
    answer = bulk(coordinator_api, [record(1), record(2, nmae="拼错")])
    assert answer.status_code == 422
    assert [f["field"] for f in error_of(answer)["fields"]] == ["entities.1.nmae"]
    assert Entity.objects.count() == 0


def test_every_bad_record_is_reported_not_only_the_first(coordinator_api):
    answer = bulk(coordinator_api, [record(1, region="无"), record(2), record(3, industry="Z"), record(4, name=...)])
    fields = {f["field"] for f in error_of(answer)["fields"]}
    assert fields == {"entities.0.region", "entities.2.industry", "entities.3.name"}


def test_the_api_and_the_file_give_the_same_errors(coordinator_api):
    """One validator: the same bad rows through a CSV file and through the API, the same reasons."""
    rows = [record(1), record(2, region="不存在"), record(3, uscc="91500113MA5YD7T31X"), record(4, industry="Z"),
            record(5, name="")]
    data = csv_bytes(ENTITY_KEYS, [[("是" if r[k] else "否") if isinstance(r[k], bool) else r[k] for k in ENTITY_KEYS]
                                   for r in rows])
    outcome = run_import("entities", io.BytesIO(data), "entities.csv", "test")
    from_file = {(e.row - 2, e.column, e.message) for e in outcome.errors}
    answer = bulk(coordinator_api, rows)
    from_api = set()
    for f in error_of(answer)["fields"]:
        _, index, column = f["field"].split(".")
        from_api.add((int(index), column, f["message"].split("：", 1)[1]))
    assert from_file == from_api and len(from_api) == 4
    assert Entity.objects.count() == 0


def test_more_than_ten_thousand_records_are_refused(coordinator_api):
    records = [record(n) for n in range(1, 10_002)]
    answer = bulk(coordinator_api, records)
    assert answer.status_code == 422
    error = error_of(answer)
    assert "10000" in error["message"] and "10001" in error["message"]
    assert error["fields"][0]["field"] == "entities"
    assert Entity.objects.count() == 0


def test_one_audit_entry_per_request_names_the_token(coordinator_api, personas):
    before = AuditEntry.objects.count()
    assert bulk(coordinator_api, [record(1), record(2)]).status_code == 200
    entries = list(AuditEntry.objects.order_by("seq"))[before:]
    assert len(entries) == 1
    entry = entries[0]
    payload = json.loads(entry.payload)
    token = ApiToken.objects.get(name="登记系统")
    assert entry.action == "import_entities" and entry.actor == "user:coordinator"
    assert payload["api_token"] == token.label
    assert payload["source"] == "api:entities" and payload["created"] == 2 and payload["department"] is None


# --- Who may write: the import's rule, both ways ------------------------------------------------


def test_another_departments_administrator_may_not_write_entities_by_file_or_api(personas, regions, login):
    olga = personas["olga"]
    answer = bulk(Api(token_for(olga)), [record(1)])
    assert answer.status_code == 403 and error_of(answer)["code"] == "forbidden"
    upload = SimpleUploadedFile("entities.csv", csv_bytes(ENTITY_KEYS, [[record(1)[k] for k in ENTITY_KEYS]]))
    page = login(olga).post(reverse("directory:import_upload", args=["entities"]), {"file": upload})
    assert page.status_code == 403
    # And the import itself, given her department, refuses.
    data = csv_bytes(ENTITY_KEYS, [[record(1)[k] for k in ENTITY_KEYS]])
    assert not run_import("entities", io.BytesIO(data), "e.csv", olga, department=olga.department).ok
    assert Entity.objects.count() == 0


def test_another_departments_administrator_may_not_write_scjgjs_inspectors(personas, departments):
    """The inspectors import refuses WJW's administrator a row of SCJGJ's inspector; the API says the same."""
    olga = personas["olga"]
    row = {"cert_no": "500113000001", "name": "改名", "department": "SCJGJ"}
    answer = bulk(Api(token_for(olga)), [row], key="inspectors", path="/inspectors/bulk")
    assert answer.status_code == 422
    api_errors = {(f["field"], f["message"].split("：", 1)[1]) for f in error_of(answer)["fields"]}
    data = csv_bytes(list(row), [list(row.values())])
    outcome = run_import("inspectors", io.BytesIO(data), "i.csv", olga, department=olga.department)
    file_errors = {(f"inspectors.{e.row - 2}.{e.column}", e.message) for e in outcome.errors}
    assert api_errors == file_errors and file_errors
    assert Inspector.objects.get(cert_no="500113000001").name == "伊安"
    # Her own department's inspector she may write.
    answer = bulk(Api(token_for(olga)), [{"cert_no": "W900", "name": "卫健新", "department": "WJW",
                                          "conflicts": make_uscc(5)}], key="inspectors", path="/inspectors/bulk")
    assert answer.status_code == 200 and answer.json()["created"] == 1
    assert Inspector.objects.get(cert_no="W900").confirmed_conflicts() == [make_uscc(5)]


# --- Reading entities ---------------------------------------------------------------------------


def test_changed_since_returns_exactly_the_records_changed_after_the_time(coordinator_api):
    bulk(coordinator_api, [record(n) for n in range(1, 6)])
    old = datetime(2020, 1, 1, tzinfo=UTC)
    Entity.objects.update(updated_at=old)
    answer = bulk(coordinator_api, [record(1, name="新名"), record(2), record(3, status="revoked"), record(6)])
    assert answer.json() == {"rows": 4, "created": 1, "updated": 2, "unchanged": 1}
    # The file import sets it too (bulk writes do not run auto_now).
    data = csv_bytes(ENTITY_KEYS, [[("是" if v is True else "否" if v is False else v)
                                    for v in record(4, complaints_12m=9).values()]])
    assert run_import("entities", io.BytesIO(data), "e.csv", "test").updated == 1
    got = coordinator_api.get("/entities", changed_since="2021-01-01T00:00:00+08:00").json()
    assert sorted(e["uscc"] for e in got["items"]) == sorted(make_uscc(n) for n in (1, 3, 4, 6))
    assert got["count"] == 4
    everything = coordinator_api.get("/entities", changed_since="2019-12-31T00:00:00Z").json()
    assert everything["count"] == 6


def test_entity_list_filters_and_pages_in_code_order(coordinator_api):
    bulk(coordinator_api, [record(n, region="500113002" if n % 2 else "500113001",
                                  industry="H" if n % 3 == 0 else "F") for n in range(1, 13)])
    page1 = coordinator_api.get("/entities", limit=5, offset=0).json()
    page2 = coordinator_api.get("/entities", limit=5, offset=5).json()
    page3 = coordinator_api.get("/entities", limit=5, offset=10).json()
    codes = [e["uscc"] for p in (page1, page2, page3) for e in p["items"]]
    assert codes == sorted(make_uscc(n) for n in range(1, 13)) and page1["count"] == 12
    assert {e["uscc"] for e in coordinator_api.get("/entities", region="500113002", industry="H").json()["items"]} \
        == {make_uscc(3), make_uscc(9)}
    assert coordinator_api.get("/entities", status="revoked").json()["count"] == 0


def test_one_entity_by_code(coordinator_api, personas):
    bulk(coordinator_api, [record(7)])
    answer = Api(token_for(personas["ian"])).get(f"/entities/{make_uscc(7).lower()}")
    assert answer.status_code == 200
    body = answer.json()
    assert body["uscc"] == make_uscc(7) and body["region"] == "500113001" and body["foreign"] is False
    missing = coordinator_api.get(f"/entities/{make_uscc(8)}")
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"


# --- Inspectors and conflicts --------------------------------------------------------------------


def test_inspectors_are_scoped_to_the_department(personas, departments):
    Inspector.objects.create(cert_no="W001", name="卫健1", department=departments["WJW"])
    alice = Api(token_for(personas["alice"]))
    assert [i["cert_no"] for i in alice.get("/inspectors").json()["items"]] == ["500113000001"]
    assert alice.get("/inspectors/W001").status_code == 404
    everyone = Api(token_for(personas["coordinator"])).get("/inspectors").json()
    assert [(i["department"], i["cert_no"]) for i in everyone["items"]] == [("SCJGJ", "500113000001"),
                                                                          ("WJW", "W001")]


def test_an_inspector_declares_and_the_administrator_confirms(personas):
    ian = Api(token_for(personas["ian"]))
    answer = ian.post("/conflicts", {"uscc": make_uscc(5).lower(), "reason": "亲属"})
    assert answer.status_code == 201
    body = answer.json()
    assert (body["uscc"], body["status"], body["source"], body["inspector"]) == \
        (make_uscc(5), "pending", "declared", "500113000001")
    assert ian.post("/conflicts", {"uscc": make_uscc(5)}).status_code == 200  # already there
    assert Conflict.objects.count() == 1
    bad = ian.post("/conflicts", {"uscc": "91500113MA5YD7T31X"})
    assert bad.status_code == 422 and error_of(bad)["fields"][0]["field"] == "uscc"

    assert Api(token_for(personas["olga"])).post(f"/conflicts/{body['id']}/confirm").status_code == 404
    assert Api(token_for(personas["henry"])).post(f"/conflicts/{body['id']}/confirm").status_code == 403
    alice = Api(token_for(personas["alice"]))
    assert [c["id"] for c in alice.get("/conflicts", status="pending").json()["items"]] == [body["id"]]
    confirmed = alice.post(f"/conflicts/{body['id']}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert Inspector.objects.get(cert_no="500113000001").confirmed_conflicts() == [make_uscc(5)]
    assert AuditEntry.objects.filter(action="conflict_confirm").count() == 1
    assert Api(token_for(personas["olga"])).get("/conflicts").json()["count"] == 0


# --- History -----------------------------------------------------------------------------------


def test_history_is_added_all_or_nothing(coordinator_api, published):
    bulk(coordinator_api, [record(1), record(2)])
    good = {"uscc": make_uscc(1), "department": "市市场监管局", "item": "SCJGJ-001",
            "inspected_on": "2026-03-01", "result": "未发现问题"}
    answer = bulk(coordinator_api, [good, {**good, "uscc": make_uscc(99)}], key="records", path="/history/bulk")
    assert answer.status_code == 422
    assert [f["field"] for f in error_of(answer)["fields"]] == ["records.1.uscc"]
    assert HistoryRecord.objects.count() == 0
    answer = bulk(coordinator_api, [good, {**good, "uscc": make_uscc(2), "inspected_on": "2025-06-01"}],
                  key="records", path="/history/bulk")
    assert answer.json() == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0}
    listed = coordinator_api.get("/history", year=2026).json()
    assert [(h["uscc"], h["department"], h["item"], h["result"]) for h in listed["items"]] == \
        [(make_uscc(1), "市市场监管局", "SCJGJ-001", "no_issue")]


@pytest.mark.parametrize("year", ["23559", "0", "-1"])
def test_history_by_a_year_no_calendar_has_is_422_not_a_server_error(coordinator_api, year):
    """Found by schemathesis (tests/test_api_schema.py): ``?year=23559`` was a 500."""
    answer = coordinator_api.get("/history", year=year)
    assert answer.status_code == 422
    assert [f["field"] for f in error_of(answer)["fields"]] == ["year"]


# --- Items and list versions ----------------------------------------------------------------------


def test_published_items_are_public_and_drafts_only_for_their_editors(personas, published):
    draft = lists.draft_for(personas["alice"].department, personas["alice"])
    anonymous = Api()
    items = anonymous.get("/items").json()
    assert [(i["code"], i["department"], i["version"]) for i in items["items"]] == \
        [("SCJGJ-001", "SCJGJ", 1), ("SCJGJ-002", "SCJGJ", 1), ("WJW-001", "WJW", 1)]
    assert items["items"][0]["methods"] == ["onsite", "written"]
    versions = anonymous.get("/item-lists", department="SCJGJ").json()["items"]
    assert [(v["version"], v["status"], v["item_count"]) for v in versions] == [(1, "published", 2)]
    one = anonymous.get("/item-lists/SCJGJ/1").json()
    assert [i["code"] for i in one["items"]] == ["SCJGJ-001", "SCJGJ-002"]
    assert anonymous.get(f"/item-lists/SCJGJ/{draft.version}").status_code == 404
    assert Api(token_for(personas["henry"])).get(f"/item-lists/SCJGJ/{draft.version}").status_code == 404
    assert Api(token_for(personas["olga"])).get(f"/item-lists/SCJGJ/{draft.version}").status_code == 404
    alice = Api(token_for(personas["alice"]))
    assert alice.get(f"/item-lists/SCJGJ/{draft.version}").json()["status"] == "draft"
    assert [v["status"] for v in alice.get("/item-lists", department="SCJGJ").json()["items"]] == \
        ["published", "draft"]
