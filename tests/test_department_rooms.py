"""Departments stay in their own rooms (issue #12 §1).

A department's staff create and change only their own department's records, by
import or by form; the district's data (regions, departments, entities, history)
is written only by the coordinator; and an item code belongs to one department
across the district, so that no department can publish an item coded like
another's and take it over. Every import test uses a real file: CSV in UTF-8 or
GB18030, or .xlsx written with openpyxl.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from spotcheck.audit.models import AuditEntry
from spotcheck.catalog import imports as _items  # noqa: F401  (registers items and history)
from spotcheck.catalog.models import HistoryRecord
from spotcheck.directory import imports
from spotcheck.directory.imports import InspectorImporter, run_import
from spotcheck.directory.models import Conflict, Department, Entity, ImportJob, Inspector, Region
from tests.conftest import csv_bytes, make_uscc

pytestmark = pytest.mark.django_db

INSPECTOR_HEADER = ["cert_no", "name", "department", "status", "cert_expires_on", "items", "conflicts"]
FORMATS = ["utf-8", "gb18030", "xlsx"]


def table(header: list[str], rows: list[list[object]], fmt: str) -> tuple[bytes, str]:
    """Return a real file of ``fmt`` (a CSV encoding, or "xlsx") and its name."""
    if fmt != "xlsx":
        return csv_bytes(header, rows, encoding=fmt), "file.csv"
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), "file.xlsx"


def run(kind, header, rows, fmt="utf-8", *, department=None, actor="test"):
    data, name = table(header, rows, fmt)
    return run_import(kind, io.BytesIO(data), name, actor, department=department)


def inspector_row(cert, dept, name="张三", status="在岗", conflicts=""):
    return [cert, name, dept, status, "2027-12-31", "", conflicts]


# --- Inspectors ----------------------------------------------------------------------------


@pytest.fixture
def wjw_inspector(departments):
    """An inspector of WJW with an imported conflict, put there by the coordinator's import."""
    outcome = run("inspectors", INSPECTOR_HEADER, [inspector_row("W001", "WJW", "卫健一", conflicts=make_uscc(1))])
    assert outcome.ok, outcome.summary()
    return Inspector.objects.get(cert_no="W001")


def snapshot(inspector):
    inspector.refresh_from_db()
    return (inspector.department.code, inspector.name, inspector.status,
            sorted(inspector.conflicts.values_list("uscc", "source")))


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_department_cannot_take_over_another_departments_inspector_by_import(departments, wjw_inspector, fmt):
    before = snapshot(wjw_inspector)
    rows = [inspector_row("S100", "SCJGJ", "新人"),  # a good row of its own: not written either
            inspector_row("W001", "SCJGJ", "冒名", status="离岗", conflicts=make_uscc(2))]
    outcome = run("inspectors", INSPECTOR_HEADER, rows, fmt, department=departments["SCJGJ"], actor="user:alice")
    assert not outcome.ok
    [error] = outcome.errors
    assert (error.row, error.column) == (3, "cert_no")
    assert "W001" in error.message and "区卫生健康委" in error.message
    assert snapshot(wjw_inspector) == before == ("WJW", "卫健一", "active", [(make_uscc(1), "import")])
    assert not Inspector.objects.filter(cert_no="S100").exists()
    assert not AuditEntry.objects.filter(action="import_inspectors", actor="user:alice").exists()


def test_the_coordinator_may_move_an_inspector_to_another_department(departments, wjw_inspector):
    outcome = run("inspectors", INSPECTOR_HEADER, [inspector_row("W001", "SCJGJ", "卫健一", conflicts=make_uscc(2))],
                  "gb18030", actor="user:coordinator")
    assert outcome.ok, outcome.summary()
    assert snapshot(wjw_inspector) == ("SCJGJ", "卫健一", "active", [(make_uscc(2), "import")])


def test_a_department_still_updates_its_own_inspectors(departments, wjw_inspector):
    outcome = run("inspectors", INSPECTOR_HEADER, [inspector_row("W001", "WJW", "卫健一", status="离岗")], "xlsx",
                  department=departments["WJW"])
    assert outcome.ok and outcome.updated == 1
    assert Inspector.objects.get(cert_no="W001").status == "inactive"


def test_a_record_moved_between_the_check_and_the_write_is_refused(departments, monkeypatch):
    # W001 is SCJGJ's when the file is checked; the coordinator moves it to WJW before the write.
    Inspector.objects.create(cert_no="W001", name="卫健一", department=departments["SCJGJ"],
                             cert_expires_on=date(2030, 1, 1))
    prepare = InspectorImporter.prepare

    def prepare_then_race(self):
        prepare(self)
        Inspector.objects.filter(cert_no="W001").update(department=departments["WJW"])

    monkeypatch.setattr(InspectorImporter, "prepare", prepare_then_race)
    outcome = run("inspectors", INSPECTOR_HEADER, [inspector_row("S100", "SCJGJ"), inspector_row("W001", "SCJGJ")],
                  department=departments["SCJGJ"])
    assert not outcome.ok and (outcome.errors[0].row, outcome.errors[0].column) == (3, "cert_no")
    assert "区卫生健康委" in outcome.errors[0].message
    assert Inspector.objects.get(cert_no="W001").name == "卫健一"
    assert not Inspector.objects.filter(cert_no="S100").exists()


def test_the_web_upload_of_another_departments_inspector_is_refused(personas, login, wjw_inspector):
    before = snapshot(wjw_inspector)
    data, name = table(INSPECTOR_HEADER, [inspector_row("W001", "SCJGJ", "冒名", status="离岗")], "xlsx")
    alice = login(personas["alice"])
    response = alice.post(reverse("directory:import_upload", args=["inspectors"]),
                          {"file": SimpleUploadedFile(name, data)})
    job = ImportJob.objects.get()
    assert job.status == "refused" and job.result["errors"][0]["row"] == 2
    assert "区卫生健康委" in alice.get(response["Location"]).content.decode()
    assert snapshot(wjw_inspector) == before


def test_a_department_cannot_confirm_another_departments_conflict(personas, login, wjw_inspector):
    conflict = Conflict.objects.create(inspector=wjw_inspector, uscc=make_uscc(3), source="declared",
                                       status="pending")
    response = login(personas["alice"]).post(reverse("directory:conflict_confirm", args=[conflict.pk]))
    conflict.refresh_from_db()
    assert response.status_code == 404 and conflict.status == "pending"


# --- The district's data -------------------------------------------------------------------

DISTRICT_FILES = {
    "regions": (["code", "name"], [["500113009", "新街道"]]),
    "departments": (["code", "name"], [["NEW", "新部门"]]),
    "entities": (["uscc", "name", "entity_type", "industry", "region", "status"],
                 [[make_uscc(50), "新主体", "enterprise", "F", "500113001", "active"]]),
    "history": (["uscc", "department", "item", "inspected_on", "result"],
                [[make_uscc(1), "SCJGJ", "SCJGJ-001", "2025-05-01", "no_issue"]]),
}
DISTRICT_COUNTS = {"regions": lambda: Region.objects.count(), "departments": lambda: Department.objects.count(),
                   "entities": lambda: Entity.objects.count(), "history": lambda: HistoryRecord.objects.count()}


@pytest.mark.parametrize("kind", sorted(DISTRICT_FILES))
def test_a_department_upload_of_district_data_is_refused_by_the_import_itself(kind, regions, entity, published,
                                                                               departments):
    header, rows = DISTRICT_FILES[kind]
    before = DISTRICT_COUNTS[kind]()
    outcome = run(kind, header, rows, department=departments["SCJGJ"])
    assert not outcome.ok and outcome.errors[0].row == 1 and "区协调办" in outcome.errors[0].message
    assert DISTRICT_COUNTS[kind]() == before
    assert run(kind, header, rows).ok  # the coordinator's (department None) goes through
    assert DISTRICT_COUNTS[kind]() == before + 1


@pytest.mark.parametrize("kind", sorted(DISTRICT_FILES))
def test_a_department_administrator_cannot_upload_district_data(kind, personas, login, regions, entity, published):
    header, rows = DISTRICT_FILES[kind]
    before = DISTRICT_COUNTS[kind]()
    upload = SimpleUploadedFile("f.csv", csv_bytes(header, rows, encoding="gb18030"))
    response = login(personas["alice"]).post(reverse("directory:import_upload", args=[kind]), {"file": upload})
    assert response.status_code == 403 and DISTRICT_COUNTS[kind]() == before and not ImportJob.objects.exists()


def test_an_importer_is_closed_to_departments_unless_it_scopes_their_rows():
    assert {kind for kind, importer in imports.IMPORTERS.items() if importer.department_scoped} == {
        "inspectors", "items"}
