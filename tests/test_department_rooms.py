"""Departments stay in their own rooms (issue #12 §1).

A department's staff create and change only their own department's records, by
import or by form; the district's data (regions, departments, entities, history)
is written only by the coordinator; and an item code belongs to one department
across the district, so that no department can publish an item coded like
another's and take it over. Every import test uses a real file: CSV in UTF-8 or
GB18030, or .xlsx written with openpyxl.
"""

from __future__ import annotations

import importlib
import io
from datetime import date

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from spotcheck.audit.models import AuditEntry
from spotcheck.catalog import lists
from spotcheck.catalog.imports import ItemImporter
from spotcheck.catalog.models import HistoryRecord, InspectionItem, ItemCode, ItemList
from spotcheck.directory import imports
from spotcheck.directory.imports import InspectorImporter, run_import
from spotcheck.directory.models import Conflict, Department, Entity, ImportJob, Inspector, Region
from spotcheck.plans import spec
from spotcheck.plans.framedata import spec_context
from spotcheck.plans.models import Plan, create_plan
from tests.conftest import ITEM_HEADER, csv_bytes, import_file, item_row, make_uscc

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


# --- Plans ---------------------------------------------------------------------------------


def draft_plan(departments, items, author):
    clean, problems = spec.validate({"name": "原计划", "year": 2026, "departments": departments, "items": items},
                                    spec_context())
    assert not problems, problems.text()
    return create_plan(clean, author)


def test_a_department_cannot_change_another_departments_plan(personas, login, published):
    own = draft_plan(["SCJGJ"], ["SCJGJ-001"], personas["alice"])
    joint = draft_plan(["SCJGJ", "WJW"], ["SCJGJ-001", "WJW-001"], personas["alice"])
    olga = login(personas["olga"])
    change = {"name": "被改的计划", "year": 2026, "items": ["WJW-001"], "complaint_threshold": 3, "team_size": 2}
    assert olga.post(reverse("plans:edit", args=[own.pk]), change).status_code == 404
    assert olga.post(reverse("plans:edit", args=[joint.pk]), change).status_code == 403  # takes part, does not lead
    assert olga.post(reverse("plans:action", args=[own.pk, "submit"])).status_code == 404
    for plan in (own, joint):
        plan.refresh_from_db()
        assert (plan.name, plan.status, plan.lead_department.code) == ("原计划", "draft", "SCJGJ")
    assert not AuditEntry.objects.filter(actor="user:olga").exists()


def test_a_plan_written_by_a_department_is_led_by_that_department(personas, login, published):
    response = login(personas["olga"]).post(reverse("plans:create"), {
        "name": "新计划", "year": 2026, "items": ["WJW-001"], "complaint_threshold": 3, "team_size": 2,
        "general_ratio": "0.03", "foreign_ratio": "0.10", "heightened_ratio": "0.20"})
    assert response.status_code == 302
    assert Plan.objects.get(name="新计划").lead_department.code == "WJW"


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
    # licences and penalties scope their rows too (tests/test_licences.py, department scoping).
    assert {kind for kind, importer in imports.IMPORTERS.items() if importer.department_scoped} == {
        "inspectors", "items", "licences", "penalties"}
    assert InspectorImporter.department_scoped and ItemImporter.department_scoped


# --- Item codes ----------------------------------------------------------------------------


def owners():
    """Return the district's register of item codes: code -> department code."""
    return dict(ItemCode.objects.values_list("code", "department__code"))


def published_owner(code):
    return lists.published_items([code])[code][0]


def plan_problems(items, departments=("SCJGJ",)):
    _, problems = spec.validate({"name": "p", "year": 2026, "departments": list(departments), "items": list(items)},
                                spec_context())
    return problems.items


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_department_cannot_import_an_item_coded_like_another_departments(departments, published, fmt):
    rows = [item_row("WJW-002", "WJW"), item_row("SCJGJ-001", "WJW", name="冒用的事项")]
    outcome = run("items", ITEM_HEADER, rows, fmt, department=departments["WJW"], actor="user:olga")
    assert not outcome.ok
    [error] = outcome.errors
    assert (error.row, error.column) == (3, "code")
    assert "SCJGJ-001" in error.message and "区市场监管局" in error.message
    assert ItemList.objects.filter(department=departments["WJW"]).count() == 1
    assert not InspectionItem.objects.filter(code="WJW-002").exists()
    assert published_owner("SCJGJ-001") == "SCJGJ" and plan_problems(["SCJGJ-001"]) == []


def test_the_coordinator_cannot_give_a_code_to_a_second_department_either(tmp_path, departments, published):
    code, out = import_file(tmp_path, "import_items", csv_bytes(ITEM_HEADER, [item_row("SCJGJ-002", "WJW")]),
                            "items.csv")
    assert code == 1 and (out["errors"][0]["row"], out["errors"][0]["column"]) == (2, "code")
    assert "区市场监管局" in out["errors"][0]["message"]
    assert published_owner("SCJGJ-002") == "SCJGJ"


def test_a_department_reimports_its_own_codes(departments, published):
    outcome = run("items", ITEM_HEADER, [item_row("SCJGJ-001", name="新名称")], "xlsx", department=departments["SCJGJ"])
    assert outcome.ok and outcome.updated == 1


def test_the_item_form_refuses_another_departments_code(personas, login, published):
    olga = login(personas["olga"])
    olga.post(reverse("catalog:draft", args=["WJW"]))
    response = olga.post(reverse("catalog:item_new", args=["WJW"]), {
        "code": "SCJGJ-001", "name": "冒用", "basis": "《某法》", "subject": "区卫生健康委", "content": "内容",
        "methods": ["onsite"], "category": "general"})
    page = response.content.decode()
    assert response.status_code == 200 and "SCJGJ-001" in page and "区市场监管局" in page
    draft = ItemList.objects.get(department=personas["olga"].department, status="draft")
    assert not draft.items.filter(code="SCJGJ-001").exists()
    assert not AuditEntry.objects.filter(action="item_edit").exists()


def test_edit_item_refuses_another_departments_code(departments, published):
    draft = lists.draft_for(departments["WJW"], "test")
    with pytest.raises(lists.ListError, match="SCJGJ-001.*区市场监管局"):
        lists.edit_item(draft, "SCJGJ-001", InspectionItem.objects.filter(code="SCJGJ-001").first().values(), "test")
    assert not draft.items.filter(code="SCJGJ-001").exists()


def test_publishing_a_list_with_another_departments_code_is_refused(personas, login, departments, published):
    # A draft written before codes were checked (or by hand) holds SCJGJ's code.
    draft = lists.draft_for(departments["WJW"], "test")
    InspectionItem.objects.create(item_list=draft, code="SCJGJ-001", **InspectionItem.objects.filter(
        code="SCJGJ-001").first().values())
    with pytest.raises(lists.ListError, match="SCJGJ-001.*区市场监管局"):
        lists.publish(draft, "test")
    response = login(personas["olga"]).post(reverse("catalog:publish", args=["WJW"]), {"note": "x"}, follow=True)
    assert "SCJGJ-001" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert published_owner("SCJGJ-001") == "SCJGJ" and plan_problems(["SCJGJ-001"]) == []


def test_a_code_on_another_departments_draft_is_taken_until_the_draft_is_discarded(departments, published):
    values = InspectionItem.objects.filter(code="SCJGJ-001").first().values()
    scjgj = lists.draft_for(departments["SCJGJ"], "test")
    lists.edit_item(scjgj, "SCJGJ-050", values, "test")
    wjw = lists.draft_for(departments["WJW"], "test")
    with pytest.raises(lists.ListError, match="SCJGJ-050"):
        lists.edit_item(wjw, "SCJGJ-050", values, "test")
    lists.discard(scjgj, "test")
    lists.edit_item(wjw, "SCJGJ-050", values, "test")  # free again
    assert owners()["SCJGJ-050"] == "WJW"


def test_a_code_removed_from_a_draft_before_publication_is_free_again(departments, published):
    values = InspectionItem.objects.filter(code="SCJGJ-001").first().values()
    scjgj = lists.draft_for(departments["SCJGJ"], "test")
    lists.edit_item(scjgj, "X-1", values, "test")
    lists.remove_item(scjgj, "X-1", "test")
    lists.edit_item(scjgj, "SCJGJ-001", values, "test")  # its own published code stays its own
    assert owners()["SCJGJ-001"] == "SCJGJ"
    lists.remove_item(scjgj, "SCJGJ-001", "test")  # still on its published list: still its own
    assert owners()["SCJGJ-001"] == "SCJGJ" and "X-1" not in owners()


def test_a_collision_already_in_the_data_resolves_to_the_first_department(departments, published):
    # Lists published before codes were unique across the district: WJW took SCJGJ-001 later.
    wjw = ItemList.objects.create(department=departments["WJW"], version=2, status="published")
    InspectionItem.objects.create(item_list=wjw, code="SCJGJ-001", **InspectionItem.objects.filter(
        code="SCJGJ-001").first().values())
    assert published_owner("SCJGJ-001") == "SCJGJ"
    assert plan_problems(["SCJGJ-001"]) == []


def test_the_migration_gives_each_code_to_the_department_that_used_it_first(departments, published):
    wjw = ItemList.objects.create(department=departments["WJW"], version=2, status="published")
    InspectionItem.objects.create(item_list=wjw, code="SCJGJ-001", **InspectionItem.objects.filter(
        code="SCJGJ-001").first().values())
    InspectionItem.objects.create(item_list=wjw, code="WJW-009", **InspectionItem.objects.filter(
        code="SCJGJ-001").first().values())
    ItemCode.objects.all().delete()
    migration = importlib.import_module("spotcheck.catalog.migrations.0002_itemcode")
    migration.register_existing_codes(apps, None)
    assert owners() == {"SCJGJ-001": "SCJGJ", "SCJGJ-002": "SCJGJ", "WJW-001": "WJW", "WJW-009": "WJW"}


def test_two_departments_taking_one_code_at_once_leave_it_to_one(departments, published, monkeypatch):
    # WJW's check runs before SCJGJ's registration lands; the unique code refuses WJW's insert.
    ItemCode.objects.create(code="NEW-1", department=departments["SCJGJ"])
    real = lists.codes_held_elsewhere
    calls = []

    def stale_then_real(department, codes):
        calls.append(department.code)
        return {} if len(calls) == 1 else real(department, codes)

    monkeypatch.setattr(lists, "codes_held_elsewhere", stale_then_real)
    draft = lists.draft_for(departments["WJW"], "test")
    with pytest.raises(lists.CodeTaken, match="NEW-1.*区市场监管局"):
        lists.edit_item(draft, "NEW-1", InspectionItem.objects.filter(code="SCJGJ-001").first().values(), "test")
    assert calls == ["WJW", "WJW"] and owners()["NEW-1"] == "SCJGJ"
    assert not draft.items.filter(code="NEW-1").exists()


def test_a_draft_filled_by_hand_registers_its_codes_when_published(departments, published):
    draft = lists.draft_for(departments["WJW"], "test")
    InspectionItem.objects.create(item_list=draft, code="WJW-077", **InspectionItem.objects.filter(
        code="WJW-001").first().values())
    lists.publish(draft, "test")
    assert owners()["WJW-077"] == "WJW" and published_owner("WJW-077") == "WJW"


def test_an_import_whose_code_was_taken_after_the_check_is_refused_with_its_row(departments, published,
                                                                               monkeypatch):
    prepare = ItemImporter.prepare

    def prepare_with_a_stale_register(self):
        prepare(self)
        self.holders = {}  # as read before SCJGJ registered its codes

    monkeypatch.setattr(ItemImporter, "prepare", prepare_with_a_stale_register)
    outcome = run("items", ITEM_HEADER, [item_row("WJW-002", "WJW"), item_row("SCJGJ-002", "WJW")], "gb18030",
                  department=departments["WJW"])
    assert not outcome.ok and (outcome.errors[0].row, outcome.errors[0].column) == (3, "code")
    assert "区市场监管局" in outcome.errors[0].message
    assert published_owner("SCJGJ-002") == "SCJGJ" and not InspectionItem.objects.filter(code="WJW-002").exists()
