"""`spotcheck import_history`: records of other agencies and years, and how they count for R3."""

from __future__ import annotations

import pytest

from spotcheck.catalog.models import HistoryRecord
from spotcheck.directory.models import Entity
from spotcheck.plans import spec
from spotcheck.plans.framedata import frame_for, spec_context
from spotcheck.plans.models import create_plan
from tests.conftest import csv_bytes, import_file, make_uscc

pytestmark = pytest.mark.django_db
HEADER = ["uscc", "department", "item", "inspected_on", "result"]
ZH = ["统一社会信用代码", "检查部门", "抽查事项", "检查日期", "检查结果"]


def run(tmp_path, rows, header=HEADER):
    return import_file(tmp_path, "import_history", csv_bytes(header, rows), "history.csv")


@pytest.fixture
def entities(regions, published):
    return [Entity.objects.create(uscc=make_uscc(i), name=f"主体{i}", entity_type="enterprise", industry="F",
                                  region=regions[0], status="active") for i in range(1, 4)]


def test_results_as_codes_or_chinese_text(tmp_path, entities):
    code, out = run(tmp_path, [[make_uscc(1), "SCJGJ", "SCJGJ-001", "2025-05-01", "no_issue"],
                               [make_uscc(2), "重庆市市场监督管理局", "SCJGJ-002", "2026-03-01", "发现问题已责令改正"]], header=ZH)
    assert code == 0 and out["created"] == 2
    a, b = HistoryRecord.objects.order_by("entity__uscc")
    assert (a.result, a.department.code) == ("no_issue", "SCJGJ")
    assert (b.result, b.department, b.inspected_by) == ("corrected", None, "重庆市市场监督管理局")
    code, out = run(tmp_path, [[make_uscc(1), "SCJGJ", "SCJGJ-001", "2025-05-01", "corrected"]])
    assert (out["updated"], HistoryRecord.objects.get(entity__uscc=make_uscc(1)).result) == (1, "corrected")


@pytest.mark.parametrize("row,column", [
    ([make_uscc(99), "SCJGJ", "SCJGJ-001", "2025-05-01", "no_issue"], "uscc"),
    ([make_uscc(1), "SCJGJ", "NOPE-1", "2025-05-01", "no_issue"], "item"),
    ([make_uscc(1), "SCJGJ", "SCJGJ-001", "2025-13-01", "no_issue"], "inspected_on"),
    ([make_uscc(1), "SCJGJ", "SCJGJ-001", "2025-05-01", "fine"], "result"),
    ([make_uscc(1), "", "SCJGJ-001", "2025-05-01", "no_issue"], "department"),
])
def test_bad_rows_are_refused(tmp_path, entities, row, column):
    code, out = run(tmp_path, [[make_uscc(2), "SCJGJ", "SCJGJ-001", "2025-05-01", "no_issue"], row])
    assert code == 1 and (out["errors"][0]["row"], out["errors"][0]["column"]) == (3, column)
    assert HistoryRecord.objects.count() == 0


def test_the_same_record_twice_is_refused(tmp_path, entities):
    row = [make_uscc(1), "SCJGJ", "SCJGJ-001", "2025-05-01", "no_issue"]
    code, out = run(tmp_path, [row, row])
    assert code == 1 and out["errors"][0]["row"] == 3


def _plan(year=2026):
    clean, problems = spec.validate({"name": "p", "year": year, "departments": ["SCJGJ"],
                                     "items": ["SCJGJ-001", "SCJGJ-002"]}, spec_context())
    assert not problems, problems.text()
    return create_plan(clean, None)


def test_history_counts_for_the_frame(tmp_path, entities):
    rows = [[make_uscc(1), "SCJGJ", "SCJGJ-001", f"{y}-06-01", "no_issue"] for y in (2023, 2024, 2025)]
    rows += [[make_uscc(2), "重庆市市场监督管理局", "SCJGJ-002", "2026-02-01", "no_issue"]]
    rows += [[make_uscc(3), "重庆市市场监督管理局", "SCJGJ-001", f"{y}-06-01", "no_issue"] for y in (2023, 2024, 2025)]
    assert run(tmp_path, rows)[0] == 0
    frame = frame_for(_plan())
    assert dict(frame.exclusions) == {make_uscc(1): "exempt", make_uscc(2): "already_inspected"}
    assert frame.rows == [(make_uscc(3), "general")]  # an outside agency's good years do not exempt


def test_the_scope_filters_by_region_code_in_the_database(regions, published):
    for i, region in enumerate(regions):
        Entity.objects.create(uscc=make_uscc(10 + i), name=f"主体{i}", entity_type="enterprise", industry="F",
                              region=region, status="active")
    clean, problems = spec.validate({"name": "p", "year": 2026, "departments": ["SCJGJ"], "items": ["SCJGJ-001"],
                                     "scope": {"regions": ["鱼洞街道"]}}, spec_context())
    assert not problems and clean["scope"]["regions"] == ["500113002"]
    assert frame_for(create_plan(clean, None)).rows == [(make_uscc(11), "general")]


def test_the_coordinator_uploads_history_in_the_web(personas, login, entities):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    data = csv_bytes(ZH, [[make_uscc(1), "SCJGJ", "SCJGJ-001", "2025-05-01", "未发现问题"]])
    c = login(personas["coordinator"])
    response = c.post(reverse("directory:import_upload", args=["history"]), {"file": SimpleUploadedFile("h.csv", data)})
    assert "新增 1" in c.get(response["Location"]).content.decode()
    assert HistoryRecord.objects.get().result == "no_issue"
    assert login(personas["alice"]).get(reverse("directory:import_upload", args=["history"])).status_code == 403


def test_the_frame_reads_each_entitys_facts_as_the_directory_holds_them(regions, published):
    from spotcheck.plans.frame import EntityFacts
    from spotcheck.plans.framedata import entity_facts, plan_facts

    Entity.objects.create(uscc=make_uscc(21), name="甲", entity_type="enterprise", industry="F", region=regions[0],
                          status="active", foreign=True, abnormal=False, serious_violation=True, complaints_12m=4)
    Entity.objects.create(uscc=make_uscc(22), name="乙", entity_type="individual", industry="H", region=regions[1],
                          status="revoked")
    facts = {f.uscc: f for f in entity_facts(plan_facts(_plan()))}
    assert facts == {
        make_uscc(21): EntityFacts(make_uscc(21), "active", regions[0].pk, "F", "enterprise", True, False, True, 4,
                                   False),
        make_uscc(22): EntityFacts(make_uscc(22), "revoked", regions[1].pk, "H", "individual", False, False, False, 0,
                                   False)}
    assert all(type(value) is bool for f in facts.values() for value in f[5:8])  # booleans on either database


def test_the_frame_pauses_the_cyclic_collector_only_while_it_builds(regions, published, monkeypatch):
    import gc

    from spotcheck.plans import framedata

    seen = []

    def build(*args, **kwargs):
        seen.append(gc.isenabled())
        raise RuntimeError("stop")

    monkeypatch.setattr(framedata, "build_frame", build)
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        frame_for(_plan())
    assert seen == [False] and gc.isenabled()  # restored, even after an error
    gc.disable()
    try:
        with pytest.raises(RuntimeError):
            frame_for(_plan())
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()
