"""Regions, departments and inspectors: imports in the formats of spec/interfaces.md."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from spotcheck.directory.imports import run_import
from spotcheck.directory.models import Conflict, Department, Inspector, Region
from tests.conftest import csv_bytes, import_file, make_uscc

pytestmark = pytest.mark.django_db

INSPECTOR_HEADER = ["cert_no", "name", "department", "status", "cert_expires_on", "items", "conflicts"]


def command(name, tmp_path, data, filename="f.csv"):
    return import_file(tmp_path, name, data, filename)


def test_regions_with_chinese_headers_then_renamed(tmp_path):
    code, out = command("import_regions", tmp_path, csv_bytes(["区划代码", "名称"], [["1", "鱼洞街道"], ["2", "花溪街道"]]))
    assert code == 0 and out["created"] == 2
    code, out = command("import_regions", tmp_path, csv_bytes(["code", "name"], [["1", "鱼洞"], ["2", "花溪街道"]]))
    assert (out["created"], out["updated"], out["unchanged"]) == (0, 1, 1)
    assert Region.objects.get(code="1").name == "鱼洞"


def test_departments_with_optional_short_name(tmp_path):
    code, out = command("import_departments", tmp_path,
                        csv_bytes(["部门代码", "部门名称"], [["SCJGJ", "区市场监管局"]]))
    assert code == 0
    assert Department.objects.get().short_name == ""


def test_a_repeated_department_code_is_refused(tmp_path):
    code, out = command("import_departments", tmp_path,
                        csv_bytes(["code", "name"], [["A", "一"], ["A", "二"]]))
    assert code == 1 and out["errors"][0]["row"] == 3 and Department.objects.count() == 0


def inspector(cert="500113000009", dept="SCJGJ", conflicts="", **kw):
    values = {"cert_no": cert, "name": "张三", "department": dept, "status": "在岗",
              "cert_expires_on": "2027-12-31", "items": "SCJGJ-001;SCJGJ-002", "conflicts": conflicts}
    values.update(kw)
    return [values[k] for k in INSPECTOR_HEADER]


def test_inspectors_with_items_and_conflicts(tmp_path, departments):
    conflicts = f"{make_uscc(1)};{make_uscc(2).lower()}"
    code, out = command("import_inspectors", tmp_path, csv_bytes(INSPECTOR_HEADER, [inspector(conflicts=conflicts)]))
    assert code == 0, out
    i = Inspector.objects.get(cert_no="500113000009")
    assert i.items == ["SCJGJ-001", "SCJGJ-002"] and i.status == "active"
    assert i.confirmed_conflicts() == sorted([make_uscc(1), make_uscc(2)])


def test_reimport_replaces_imported_conflicts_but_keeps_declared_ones(tmp_path, departments):
    command("import_inspectors", tmp_path, csv_bytes(INSPECTOR_HEADER, [inspector(conflicts=make_uscc(1))]))
    i = Inspector.objects.get()
    Conflict.objects.create(inspector=i, uscc=make_uscc(5), source="declared", status="pending")
    code, out = command("import_inspectors", tmp_path, csv_bytes(INSPECTOR_HEADER, [inspector(conflicts=make_uscc(3))]))
    assert (out["updated"], out["unchanged"]) == (1, 0)
    assert sorted(i.conflicts.values_list("uscc", flat=True)) == sorted([make_uscc(3), make_uscc(5)])
    code, out = command("import_inspectors", tmp_path, csv_bytes(INSPECTOR_HEADER, [inspector(conflicts=make_uscc(3))]))
    assert (out["updated"], out["unchanged"]) == (0, 1)


def test_unknown_department(tmp_path, departments):
    code, out = command("import_inspectors", tmp_path, csv_bytes(INSPECTOR_HEADER, [inspector(dept="NOPE")]))
    assert code == 1 and (out["errors"][0]["row"], out["errors"][0]["column"]) == (2, "department")
    assert Inspector.objects.count() == 0


def test_duplicate_certificate_number(tmp_path, departments):
    code, out = command("import_inspectors", tmp_path, csv_bytes(INSPECTOR_HEADER, [inspector(), inspector()]))
    assert code == 1 and (out["errors"][0]["row"], out["errors"][0]["column"]) == (3, "cert_no")
    assert Inspector.objects.count() == 0


def test_a_conflict_code_that_is_not_valid(tmp_path, departments):
    code, out = command("import_inspectors", tmp_path,
                        csv_bytes(INSPECTOR_HEADER, [inspector(conflicts=f"{make_uscc(1)};915001130000")]))
    assert code == 1 and (out["errors"][0]["row"], out["errors"][0]["column"]) == (2, "conflicts")
    assert Inspector.objects.count() == 0 and Conflict.objects.count() == 0


def test_a_department_administrator_may_import_only_their_department(departments):
    data = csv_bytes(INSPECTOR_HEADER, [inspector(), inspector(cert="W1", dept="WJW")])
    outcome = run_import("inspectors", io.BytesIO(data), "f.csv", "user:alice", department=departments["SCJGJ"])
    assert not outcome.ok and outcome.errors[0].row == 3
    assert Inspector.objects.count() == 0


def test_an_unknown_inspector_status(tmp_path, departments):
    code, out = command("import_inspectors", tmp_path, csv_bytes(INSPECTOR_HEADER, [inspector(status="asleep")]))
    assert code == 1 and out["errors"][0]["column"] == "status"


def test_a_missing_file_is_refused_with_exit_1(tmp_path):
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("import_regions", str(tmp_path / "nope.csv"), "--json", stdout=out)
    assert exit_.value.code == 1 and json.loads(out.getvalue())["ok"] is False
