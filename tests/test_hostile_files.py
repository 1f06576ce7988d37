"""Hostile files (issue #12 §4): size, type and content, zip bombs, row and cell limits, plan files.

Every upload path refuses a file that is too large before reading it, and a file whose name and
content disagree; an .xlsx is judged by its zip directory before openpyxl opens it; rows are
counted as they are read. Every refusal is a clear error naming the file (or the row and column)
and changes nothing. The files are real: CSV bytes, .xlsx written by openpyxl or by zipfile.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import struct
import tracemalloc
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from spotcheck.accounts.models import Role, User
from spotcheck.audit.models import AuditEntry
from spotcheck.catalog.lists import published_items
from spotcheck.catalog.models import HistoryRecord, InspectionItem, ItemList
from spotcheck.directory.imports import run_import
from spotcheck.directory.models import Department, Entity, ImportJob, Inspector, Region
from spotcheck.inspections.models import Task
from spotcheck.lib import tabular
from spotcheck.lib.tabular import parse_date, unescape_formula
from spotcheck.plans.models import Plan
from tests.conftest import csv_bytes, import_file, make_uscc, run_command
from tests.test_results_sheet import plan, state  # noqa: F401  (the plan fixture)

pytestmark = pytest.mark.django_db

HEADER = ["uscc", "name", "entity_type", "industry", "region", "status"]
KINDS = ["entities", "inspectors", "regions", "departments", "items", "history"]


def entity_row(n: int, **changes) -> list[str]:
    values = {"uscc": make_uscc(n), "name": f"重庆测试{n}有限公司", "entity_type": "enterprise",
              "industry": "F", "region": "500113001", "status": "active", **changes}
    return [values[k] for k in HEADER]


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- .xlsx files written by hand (zipfile), to say exactly what the file declares ---------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


def _inline_row(number: int, values: list[str]) -> str:
    cells = "".join(f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>' for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


def handmade_xlsx(out, rows: list[list[str]], *, dimension: str = "A1:F9", shared_strings: int = 0,
                  workbook: str | None = None, sheet_tail: str = "</sheetData></worksheet>") -> None:
    """Write a minimal .xlsx: inline-string rows, a declared dimension, optionally millions of tiny
    shared strings (streamed: the test never holds them in memory either)."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", XML + (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '</Types>'))
        z.writestr("_rels/.rels", XML + f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
                   f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", workbook or XML + (
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="data" sheetId="1" r:id="rId1"/>'
            '</sheets></workbook>'))
        z.writestr("xl/_rels/workbook.xml.rels", XML + (
            f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'))
        body = "".join(_inline_row(n, row) for n, row in enumerate(rows, start=1))
        z.writestr("xl/worksheets/sheet1.xml", XML + f'<worksheet xmlns="{MAIN}"><dimension ref="{dimension}"/>'
                   f"<sheetData>{body}{sheet_tail}")
        with z.open("xl/sharedStrings.xml", "w") as strings:
            strings.write((XML + f'<sst xmlns="{MAIN}" count="{shared_strings}" uniqueCount="{shared_strings}">').encode())
            chunk = b"<si><t>a</t></si>" * 10_000
            for _ in range(shared_strings // 10_000):
                strings.write(chunk)
            strings.write(b"</sst>")


def bomb(path: Path) -> Path:
    """The file of the issue: three million shared strings, about 50 MB of XML in 130 KB."""
    with path.open("wb") as out:
        handmade_xlsx(out, [["uscc", "name"]], shared_strings=3_000_000)
    return path


@pytest.fixture
def no_openpyxl(monkeypatch):
    """Fail the test if openpyxl is asked to open a workbook."""

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl.load_workbook was called")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


@pytest.fixture
def coordinator(db):
    """The district coordinator, who may upload every kind of file (no password: logged in directly)."""
    return User.objects.create(username="coordinator", role=Role.COORDINATOR)


@pytest.fixture
def alice(departments):
    """An administrator of SCJGJ, the lead department of the results-sheet plan."""
    return User.objects.create(username="alice", role=Role.DEPT_ADMIN, department=departments["SCJGJ"])


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_uploads(media) -> list[Path]:
    return list(Path(media).rglob("*.*"))


def upload(client, kind: str, name: str, data: bytes):
    return client.post(reverse("directory:import_upload", args=[kind]), {"file": SimpleUploadedFile(name, data)})


def form_errors(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(str(e) for e in response.context["form"].errors.get("file", []))


# --- The size limit, checked before anything is read ------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_directory_upload_is_refused_above_the_size_limit_before_it_is_read(
        kind, coordinator, login, media, settings):
    settings.SPOTCHECK = {**settings.SPOTCHECK, "upload_max_mb": 1}
    # Binary content would be refused too, for its content: only the size is named, so it was
    # judged first, from the upload's size alone.
    big = b"\x00" * (3 * 1024 * 1024 // 2)
    errors = form_errors(upload(login(coordinator), kind, "big.csv", big))
    assert errors == "文件“big.csv”为1.5MB，超过1MB的上限"
    assert ImportJob.objects.count() == 0 and stored_uploads(media) == []


def test_the_results_sheet_upload_is_refused_above_the_size_limit(plan, alice, login, settings):  # noqa: F811
    settings.SPOTCHECK = {**settings.SPOTCHECK, "upload_max_mb": 1}
    before = state()
    response = login(alice).post(reverse("sheets:plan_upload", args=[plan.pk]), {
        "file": SimpleUploadedFile("检查结果表.xlsx", b"PK\x03\x04" + b"\x00" * (1024 * 1024 + 1))})
    assert "“检查结果表.xlsx”为1.0MB，超过1MB的上限" in form_errors(response)
    assert state() == before


def test_the_results_sheet_reader_keeps_the_same_limit_without_a_form(tmp_path, plan, settings):  # noqa: F811
    from spotcheck.results.sheet import import_sheet

    settings.SPOTCHECK = {**settings.SPOTCHECK, "upload_max_mb": 1}
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * (1024 * 1024 + 1))
    outcome = import_sheet(plan, path, None)
    assert [e.message for e in outcome.errors] == ["文件“big.csv”超过1MB的上限"]


def test_a_file_at_the_limit_is_accepted(coordinator, login, media, regions, settings):
    settings.SPOTCHECK = {**settings.SPOTCHECK, "upload_max_mb": 1, "import_background_rows": 100_000}
    rows = [entity_row(n) for n in range(1, 13_000)]
    data = csv_bytes(HEADER, rows)
    last = csv_bytes(HEADER, [entity_row(13_000)]).split(b"\r\n", 1)[1]
    padding = 1024 * 1024 - len(data) - len(last)
    assert 0 < padding < 100_000
    data += last.replace("公司".encode(), "公司".encode() + b" " * padding)  # blanks after the name: read as nothing
    assert len(data) == 1024 * 1024
    response = upload(login(coordinator), "entities", "e.csv", data)
    assert response.status_code == 302, form_errors(response)
    assert ImportJob.objects.get().result["ok"] and Entity.objects.count() == 13_000


def test_a_plan_file_is_refused_above_its_limit_before_it_is_read(tmp_path, published, monkeypatch):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"name": "x" * (1024 * 1024)}), encoding="utf-8")
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("the file was read"))
    code, out = run_command("plan_create", str(path))
    assert code == 1 and "“plan.json”超过1024KB的上限" in out["error"]
    assert Plan.objects.count() == 0


# --- The extension and the content must agree -------------------------------------------------

REAL_XLSX = xlsx_bytes([HEADER, entity_row(1)])


@pytest.mark.parametrize("name,data,reason", [
    ("entities.txt", csv_bytes(HEADER, [entity_row(1)]), "只接受 .csv 或 .xlsx 文件，“entities.txt”不是"),
    ("entities.xls", REAL_XLSX, "只接受 .csv 或 .xlsx 文件，“entities.xls”不是"),
    ("entities", csv_bytes(HEADER, [entity_row(1)]), "只接受 .csv 或 .xlsx 文件"),
    ("entities.csv", REAL_XLSX, "“entities.csv”是压缩包"),
    ("entities.csv", b"uscc,name\x00\n", "“entities.csv”含有二进制内容"),
    ("entities.xlsx", csv_bytes(HEADER, [entity_row(1)]), "“entities.xlsx”不是有效的XLSX工作簿：不是zip压缩包"),
    ("entities.xlsx", b"PK\x03\x04 not really a zip", "“entities.xlsx”不是有效的XLSX工作簿"),
])
def test_a_file_whose_name_and_content_disagree_is_refused(tmp_path, name, data, reason, coordinator, login,
                                                           media, regions):
    response = upload(login(coordinator), "entities", name, data)
    assert reason in form_errors(response)
    assert ImportJob.objects.count() == 0 and stored_uploads(media) == []
    # The command line refuses the same file with the same reason, in one language (Chinese by default).
    code, out = import_file(tmp_path, "import_entities", data, name)
    assert code == 1 and reason in out["errors"][0]["message"] and " / " not in out["errors"][0]["message"]
    assert out["errors"][0]["row"] == 1 and out["errors"][0]["column"] == "file"
    assert Entity.objects.count() == 0 and not AuditEntry.objects.filter(action="import_entities").exists()


def zip_bytes(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def test_a_zip_without_a_workbook_is_not_an_xlsx(tmp_path, regions):
    data = zip_bytes({"word/document.xml": b"<document/>", "[Content_Types].xml": b"<Types/>"})
    code, out = import_file(tmp_path, "import_entities", data, "e.xlsx")
    assert code == 1 and "压缩包中没有工作簿（xl/workbook.xml）" in out["errors"][0]["message"]


def test_an_xlsx_compressed_other_than_with_deflate_is_refused_before_openpyxl(tmp_path, regions, no_openpyxl):
    # bzip2 reaches ratios of millions, and zipfile decompresses a bzip2 block all at once.
    data = zip_bytes({"xl/workbook.xml": b"<workbook/>"}, zipfile.ZIP_BZIP2)
    code, out = import_file(tmp_path, "import_entities", data, "e.xlsx")
    assert code == 1 and "压缩方式不是XLSX所用的deflate" in out["errors"][0]["message"]


def test_an_xlsx_with_too_many_members_is_refused_from_its_end_record(tmp_path, regions, monkeypatch, no_openpyxl):
    monkeypatch.setattr(tabular, "MAX_MEMBERS", 3)
    data = zip_bytes({"xl/workbook.xml": b"<workbook/>", **{f"xl/media/{i}.png": b"x" for i in range(3)}})
    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", lambda self: pytest.fail("the directory was read"))
    code, out = import_file(tmp_path, "import_entities", data, "e.xlsx")
    assert code == 1 and "压缩包内文件过多（上限3个）" in out["errors"][0]["message"]


def test_a_zip64_end_record_declaring_a_huge_directory_is_refused(tmp_path, regions, no_openpyxl):
    """zipfile takes the directory's size from a ZIP64 end record placed before the end record."""
    data = zip_bytes({"xl/workbook.xml": b"<workbook/>"})
    end = data.rfind(b"PK\x05\x06")
    zip64 = b"PK\x06\x06" + struct.pack("<QHHIIQQQQ", 44, 45, 45, 0, 0, 5_000_000, 5_000_000, 200 << 20, 0)
    locator = b"PK\x06\x07" + struct.pack("<IQI", 0, end, 1)
    code, out = import_file(tmp_path, "import_entities", data[:end] + zip64 + locator + data[end:], "e.xlsx")
    assert code == 1 and "压缩包内文件过多" in out["errors"][0]["message"]


# --- The zip bomb of the issue ------------------------------------------------------------------


def test_an_xlsx_of_millions_of_shared_strings_is_refused_before_openpyxl_reads_it(tmp_path, regions, no_openpyxl):
    path = bomb(tmp_path / "entities.xlsx")
    with zipfile.ZipFile(path) as z:
        strings = z.getinfo("xl/sharedStrings.xml")
    assert path.stat().st_size < 200_000 and strings.file_size > 50_000_000  # what openpyxl would hold
    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            outcome = run_import("entities", stream, path.name, "test")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not outcome.ok and len(outcome.errors) == 1
    error = outcome.errors[0]
    assert (error.row, error.column) == (1, "file")
    assert error.message.startswith("文件“entities.xlsx”解压后为48.6MB，是压缩后大小的")
    assert "超过解压比100倍的上限（疑似压缩炸弹）" in error.message
    assert peak < 5_000_000  # the strings are never decompressed, let alone parsed
    assert Entity.objects.count() == 0


def test_the_zip_bomb_is_refused_in_the_upload_form(tmp_path, coordinator, login, media, no_openpyxl):
    data = bomb(tmp_path / "entities.xlsx").read_bytes()
    response = upload(login(coordinator), "entities", "entities.xlsx", data)
    assert "超过解压比100倍的上限" in form_errors(response)
    assert ImportJob.objects.count() == 0 and stored_uploads(media) == []


def test_an_xlsx_above_the_decompressed_limit_is_refused_before_openpyxl(tmp_path, regions, settings, no_openpyxl):
    settings.SPOTCHECK = {**settings.SPOTCHECK, "xlsx_max_unzipped_mb": 1}
    rows = [HEADER] + [entity_row(n) for n in range(1, 8000)]  # about 2 MB of XML, compressed 8 times
    code, out = import_file(tmp_path, "import_entities", xlsx_bytes(rows), "e.xlsx")
    assert code == 1 and "超过解压后1MB的上限" in out["errors"][0]["message"]


def test_an_entity_expansion_bomb_inside_the_workbook_is_a_clear_error(tmp_path, regions):
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    workbook = (f'<?xml version="1.0"?><!DOCTYPE workbook [<!ENTITY l0 "lol">{laughs}]>'
                f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="&l9;" sheetId="1" r:id="rId1"/>'
                '</sheets></workbook>')
    path = tmp_path / "e.xlsx"
    with path.open("wb") as out:
        handmade_xlsx(out, [HEADER, entity_row(1)], workbook=workbook)
    code, out = run_command("import_entities", str(path))
    assert code == 1 and out["errors"][0]["message"].startswith("无法读取XLSX文件“e.xlsx”")


def test_a_damaged_worksheet_gives_the_row_where_reading_stopped(tmp_path, regions):
    path = tmp_path / "e.xlsx"
    with path.open("wb") as out:
        handmade_xlsx(out, [HEADER, entity_row(1), entity_row(2)], sheet_tail='<row r="4"><c r="A4"')
    code, out = run_command("import_entities", str(path))
    assert code == 1
    assert [(e["row"], e["column"]) for e in out["errors"]] == [(4, "file")]
    assert "第4行无法读取" in out["errors"][0]["message"] and Entity.objects.count() == 0


# --- Rows are counted as they are read, never from the declared dimension -----------------------


def test_the_row_limit_refuses_a_file_at_the_first_row_past_it(tmp_path, regions, settings):
    settings.SPOTCHECK = {**settings.SPOTCHECK, "import_max_rows": 5}
    code, out = import_file(tmp_path, "import_entities", csv_bytes(HEADER, [entity_row(n) for n in range(1, 6)]))
    assert code == 0 and out["rows"] == 5
    Entity.objects.all().delete()
    code, out = import_file(tmp_path, "import_entities", csv_bytes(HEADER, [entity_row(n) for n in range(1, 7)]))
    assert code == 1 and Entity.objects.count() == 0
    assert {"row": 7, "column": "file", "message": "文件“file.csv”超过5行的上限（含空行）"} in out["errors"]


def test_an_xlsx_that_declares_two_rows_is_counted_as_it_is_read(tmp_path, regions, settings):
    settings.SPOTCHECK = {**settings.SPOTCHECK, "import_max_rows": 5}
    path = tmp_path / "e.xlsx"
    with path.open("wb") as out:
        handmade_xlsx(out, [HEADER] + [entity_row(n) for n in range(1, 11)], dimension="A1:F2")
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.worksheets[0].max_row == 2  # what the file says
    book.close()
    with path.open("rb") as stream:
        assert tabular.count_rows(stream, "e.xlsx") == 10
    code, out = run_command("import_entities", str(path))
    assert code == 1 and out["errors"][-1]["row"] == 7 and "超过5行的上限" in out["errors"][-1]["message"]


def test_an_xlsx_estimate_stops_where_it_is_told(tmp_path):
    path = tmp_path / "e.xlsx"
    with path.open("wb") as out:
        handmade_xlsx(out, [HEADER] + [entity_row(n) for n in range(1, 20_001)], dimension="A1:F2")
    with path.open("rb") as stream:
        assert tabular.count_rows(stream, "e.xlsx") == 20_000
        assert 2_000 <= tabular.count_rows(stream, "e.xlsx", stop=2_002) < 20_000  # read a chunk or two


def test_the_request_counts_no_more_rows_than_it_needs_and_never_opens_the_workbook(
        tmp_path, coordinator, login, media, regions, settings, monkeypatch):
    """A large .xlsx (by its rows, not its declared dimension) goes to the worker, which counts
    its rows as it reads them and refuses it past the limit."""
    settings.SPOTCHECK = {**settings.SPOTCHECK, "import_background_rows": 10, "import_max_rows": 20}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    path = tmp_path / "e.xlsx"
    with path.open("wb") as out:
        handmade_xlsx(out, [HEADER] + [entity_row(n) for n in range(1, 31)], dimension="A1:F2")
    real = openpyxl.load_workbook
    with monkeypatch.context() as patched:
        patched.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("openpyxl opened the workbook"))
        response = upload(login(coordinator), "entities", "e.xlsx", path.read_bytes())
    assert openpyxl.load_workbook is real
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.status == "queued" and job.total == 30  # not the declared 1
    from spotcheck.directory.jobs import run_import_job

    run_import_job.call(job.pk)
    job.refresh_from_db()
    assert job.status == "refused" and Entity.objects.count() == 0
    assert job.result["errors"][-1]["row"] == 22 and "超过20行的上限" in job.result["errors"][-1]["message"]


# --- Cells -----------------------------------------------------------------------------------


def test_a_cell_longer_than_its_field_is_a_row_error_not_a_database_error(tmp_path, regions):
    code, out = import_file(tmp_path, "import_entities", csv_bytes(HEADER, [entity_row(1), entity_row(2, name="名" * 201)]))
    assert code == 1 and Entity.objects.count() == 0
    assert out["errors"] == [{"row": 3, "column": "name",
                              "message": "内容过长：201个字符，最多200个"}]


@pytest.mark.parametrize("kind,header,row,column", [
    ("regions", ["code", "name"], ["5" * 33, "镇"], "code"),
    ("departments", ["code", "name", "short_name"], ["D", "部门", "简" * 51], "short_name"),
    ("inspectors", ["cert_no", "name", "department"], ["C" * 65, "姓名", "SCJGJ"], "cert_no"),
    ("items", ["code", "department", "name", "basis", "subject", "content", "methods"],
     ["SCJGJ-009", "SCJGJ", "事" * 301, "依据", "主体", "内容", "onsite"], "name"),
    ("history", ["uscc", "department", "item", "inspected_on", "result"],
     [make_uscc(1), "部" * 201, "SCJGJ-001", "2025-01-01", "no_issue"], "department"),
])
def test_every_import_bounds_its_cells_by_the_fields(tmp_path, published, entity, kind, header, row, column):
    code, out = import_file(tmp_path, f"import_{kind}", csv_bytes(header, [row]))
    assert code == 1 and [(e["row"], e["column"]) for e in out["errors"]] == [(2, column)]
    assert "内容过长" in out["errors"][0]["message"]


def test_control_characters_are_refused_with_row_and_column(tmp_path, regions):
    code, out = import_file(tmp_path, "import_entities", csv_bytes(HEADER, [entity_row(1, name="重庆\x07公司")]))
    assert code == 1 and out["errors"] == [{"row": 2, "column": "name",
                                            "message": "含有控制字符（U+0007）"}]


def test_a_count_too_large_for_the_database_is_a_row_error(tmp_path, regions):
    data = csv_bytes(HEADER + ["complaints_12m"], [entity_row(1) + ["9" * 20]])
    code, out = import_file(tmp_path, "import_entities", data)
    assert code == 1 and out["errors"][0]["column"] == "complaints_12m" and "数值过大" in out["errors"][0]["message"]


def test_a_csv_field_past_the_parsers_limit_names_its_row(tmp_path, regions):
    data = csv_bytes(HEADER, [entity_row(1), entity_row(2, name="x" * 200_000)])
    code, out = import_file(tmp_path, "import_entities", data)
    assert code == 1 and Entity.objects.count() == 0
    assert [(e["row"], e["column"]) for e in out["errors"]] == [(3, "file")]
    assert "CSV格式错误" in out["errors"][0]["message"]


def test_tabs_inside_cells_do_not_make_a_comma_file_tab_separated(tmp_path, regions):
    name = "\t".join("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉")  # more tabs than the file has commas
    code, out = import_file(tmp_path, "import_entities", csv_bytes(HEADER, [entity_row(1, name=name)]))
    assert code == 0 and Entity.objects.get().name == name


def test_a_tab_separated_file_is_still_read(tmp_path, regions):
    data = ("\t".join(HEADER) + "\n" + "\t".join(entity_row(1)) + "\n").encode("gb18030")
    code, out = import_file(tmp_path, "import_entities", data)
    assert code == 0 and Entity.objects.get().name == "重庆测试1有限公司"


# --- Plan files -------------------------------------------------------------------------------


@pytest.mark.parametrize("name,content,reason", [
    ("plan.txt", b"{}", "计划文件应为 .json 文件，“plan.txt”不是"),
    ("plan.json", "{\"name\": \"计划\"}".encode("gb18030"), "“plan.json”不是UTF-8编码"),
    ("plan.json", b"{\"name\": ", "“plan.json”不是有效的JSON：第1行第10列"),
    ("plan.json", b"[" * 100_000 + b"]" * 100_000, "“plan.json”不是有效的JSON"),
    ("plan.json", b"{\"year\": " + b"9" * 5000 + b"}", "“plan.json”不是有效的JSON"),
])
def test_a_plan_file_that_is_not_json_is_refused_clearly(tmp_path, published, name, content, reason):
    (tmp_path / name).write_bytes(content)
    code, out = run_command("plan_create", str(tmp_path / name))
    assert code == 1 and reason in out["error"] and Plan.objects.count() == 0


@pytest.mark.parametrize("field,value,reason", [
    ("name", "计" * 201, "计划名称不能超过200个字符"),
    ("complaint_threshold", 2**40, "应为正整数"),
    ("team_size", 2**40, "检查组人数过大"),
])
def test_plan_values_the_database_cannot_keep_are_refused(tmp_path, published, field, value, reason):
    data = {"name": "计划", "year": 2026, "departments": ["SCJGJ"], "items": ["SCJGJ-001"], field: value}
    (tmp_path / "p.json").write_text(json.dumps(data), encoding="utf-8")
    code, out = run_command("plan_create", str(tmp_path / "p.json"))
    assert code == 1 and any(e["field"] == field and reason in e["message"] for e in out["errors"])



# --- Generated files for every import (hypothesis): never a crash, a clear error or a correct import ---

EXAMPLES = settings(max_examples=40, deadline=None, derandomize=False,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much])

# Text a person types: no control characters, no blanks around it (the reader strips those).
PLAIN = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn", "Zl", "Zp"), blacklist_characters="\ufeff"),
                min_size=1, max_size=12).map(str.strip).filter(bool)
FORMULAS = st.sampled_from(["-", "=SUM(A1)", "+86 23 1234", "@home", "'quoted", "'=x", "-5", "=1+1"])
ANY_TEXT = st.one_of(
    st.text(max_size=20),  # anything, control characters included
    st.builds(lambda c, n: c * n, st.characters(blacklist_categories=("Cs",)), st.integers(0, 40_000)),  # very long
    FORMULAS, st.just(""),
).map(lambda t: t.encode("utf-8", "replace").decode("utf-8", "replace"))


def good_text(max_length: int) -> st.SearchStrategy[str]:
    return st.one_of(PLAIN, FORMULAS).filter(lambda t: len(t) <= max_length)


@dataclass
class Col:
    key: str
    zh: str
    good: st.SearchStrategy[str]
    required: bool = False
    text: bool = False  # stored as read (the values the test compares)


@dataclass
class Kind:
    kind: str
    columns: list[Col]
    key: str
    snapshot: Any  # () -> dict of stored key -> tuple of the text columns' values
    normalise: Any = None  # the stored form of a key, when the import changes it


def _entities_snapshot():
    return {e.uscc: (e.name, e.address, e.legal_representative) for e in Entity.objects.all()}


def _uscc(n: int) -> str:
    return make_uscc(n)


DATE = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)).map(dt.date.isoformat)

KIND_SPECS = {
    "regions": Kind("regions", [
        Col("code", "区划代码", st.from_regex(r"5001[0-9]{5}", fullmatch=True), True, True),
        Col("name", "名称", good_text(100), True, True),
    ], "code", lambda: {r.code: (r.name,) for r in Region.objects.all()}),
    "departments": Kind("departments", [
        Col("code", "部门代码", st.from_regex(r"D[A-Z]{2,6}", fullmatch=True), True, True),
        Col("name", "部门名称", good_text(100), True, True),
        Col("short_name", "简称", good_text(50), False, True),
    ], "code", lambda: {d.code: (d.name, d.short_name) for d in Department.objects.all()}),
    "entities": Kind("entities", [
        Col("uscc", "统一社会信用代码", st.integers(1, 10**6).map(_uscc), True, True),
        Col("name", "名称", good_text(200), True, True),
        Col("entity_type", "市场主体类型", st.sampled_from(["enterprise", "个体工商户", "cooperative"]), True),
        Col("industry", "行业门类", st.sampled_from(list("ABFHT")), True),
        Col("region", "所属镇街", st.sampled_from(["500113001", "鱼洞街道"]), True),
        Col("status", "登记状态", st.sampled_from(["active", "存续"]), True),
        Col("address", "住所", good_text(300), False, True),
        Col("legal_representative", "法定代表人", good_text(100), False, True),
        Col("established_on", "成立日期", DATE),
        Col("foreign", "涉外", st.sampled_from(["是", "no", "1", "Y"])),
        Col("complaints_12m", "近12个月投诉举报", st.integers(0, 10**6).map(str)),
    ], "uscc", _entities_snapshot, str.upper),
    "inspectors": Kind("inspectors", [
        Col("cert_no", "执法证号", st.from_regex(r"(SCJGJ|WJW)-[0-9]{1,6}", fullmatch=True), True, True),
        Col("name", "姓名", good_text(100), True, True),
        Col("department", "所属部门", st.just("—"), True),  # filled from the certificate number
        Col("status", "状态", st.sampled_from(["active", "在岗"])),
        Col("cert_expires_on", "执法证有效期至", DATE),
        Col("items", "可检查事项", st.sampled_from(["SCJGJ-001", "SCJGJ-001;SCJGJ-002", "WJW-001；X"])),
        Col("conflicts", "回避对象", st.integers(1, 99).map(_uscc)),
    ], "cert_no", lambda: {i.cert_no: (i.name,) for i in Inspector.objects.all()}),
    "items": Kind("items", [
        Col("code", "事项编码", st.from_regex(r"(SCJGJ|WJW)-G[0-9]{1,4}", fullmatch=True), True, True),
        Col("department", "部门", st.just("—"), True),  # filled from the code
        Col("name", "抽查事项", good_text(300), True, True),
        Col("basis", "抽查依据", good_text(1000), True, True),
        Col("subject", "抽查主体", good_text(200), True, True),
        Col("content", "抽查内容", good_text(1000), True, True),
        Col("methods", "抽查方式", st.sampled_from(["onsite", "onsite;written", "书面检查"]), True),
        Col("category", "事项类别", st.sampled_from(["general", "key", "重点检查事项"])),
        Col("target", "检查对象", good_text(300), False, True),
    ], "code", lambda: {code: (item.name, item.basis, item.subject, item.content, item.target)
                         for code, (_, item) in published_items().items()}),
    "history": Kind("history", [
        Col("uscc", "统一社会信用代码", st.just(make_uscc(1)), True, True),
        Col("department", "检查部门", good_text(200), True, True),
        Col("item", "抽查事项", st.sampled_from(["SCJGJ-001", "SCJGJ-002", "WJW-001"]), True, True),
        Col("inspected_on", "检查日期", DATE, True, True),
        Col("result", "检查结果", st.sampled_from(["no_issue", "未发现问题", "corrected"]), True),
    ], "uscc", lambda: {(h.entity.uscc, h.inspected_by, h.item_code, h.inspected_on.isoformat()): ()
                        for h in HistoryRecord.objects.select_related("entity")}),
}


def db_state(kind: Kind) -> tuple:
    return (kind.snapshot(), AuditEntry.objects.count(), ItemList.objects.count(), InspectionItem.objects.count())


@st.composite
def table(draw, kind: Kind):
    """A generated file for ``kind``: (columns, header, rows, all good?, format).

    The header names the columns by key (any case) or Chinese, or is wrong (a column twice, an
    unknown one, a required one missing); each cell is a good value or anything at all (control
    characters, 40,000 characters, formulas); some rows are empty.
    """
    chosen = [c for c in kind.columns if c.required or draw(st.booleans())]
    header = [draw(st.sampled_from([c.key, c.key.upper(), c.zh])) for c in chosen]
    fault = draw(st.sampled_from([None] * 6 + ["duplicate", "unknown", "missing", "blank"]))
    if fault == "duplicate":
        header.append(header[0])
    elif fault == "unknown":
        header.append(draw(ANY_TEXT) or "x")
    elif fault == "missing":
        chosen, header = chosen[1:], header[1:]
    elif fault == "blank":
        header.append("")  # a column without a header is ignored
    good = fault in (None, "blank")
    names = [c.key for c in chosen]
    rows: list[list[str]] = []
    keys: set = set()
    dirty = draw(st.booleans())  # half the files have good cells only
    for _ in range(draw(st.integers(0, 6)) if dirty else draw(st.integers(1, 6))):
        if draw(st.integers(0, 5)) == 0:
            rows.append([""] * len(header))  # an empty row
            continue
        row = []
        for col in chosen:
            if dirty and draw(st.integers(0, 3)) == 0:
                row.append(draw(ANY_TEXT))
                good = False
            else:
                row.append(draw(col.good))
        values = dict(zip(names, row, strict=True))
        if values.get("department") == "—":  # one department per key: never another's record
            values["department"] = "SCJGJ" if values.get(kind.key, "").startswith("SCJGJ") else "WJW"
        row = [values[n] for n in names]
        if kind.kind == "history":
            key = tuple(values.get(n) for n in ("uscc", "department", "item", "inspected_on"))
        else:
            key = values.get(kind.key)
        if key in keys:
            good = False  # the same key twice in a file is refused
        keys.add(key)
        rows.append(row + [""] * (len(header) - len(row)))
    fmt = draw(st.sampled_from(["csv:utf-8", "csv:utf-8-sig", "csv:gb18030", "csv:latin-1", "xlsx"]))
    return chosen, header, rows, good, fmt


def write_generated(header: list[str], rows: list[list[str]], fmt: str) -> tuple[bytes, bool]:
    """Return the file's bytes and whether it holds exactly the text (an encoding may not hold it)."""
    if fmt == "xlsx":
        clean = [[ILLEGAL_CHARACTERS_RE.sub("", c)[:32767] for c in row] for row in [header, *rows]]
        exact = clean == [header, *rows]
        return xlsx_bytes(clean), exact
    encoding = fmt.split(":")[1]
    text = io.StringIO()
    csv.writer(text).writerows([header, *rows])
    data = text.getvalue().encode(encoding, "replace")
    try:
        read = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        read = data.decode("gb18030", "replace") if encoding != "latin-1" else None
    return data, read == text.getvalue() and b"\x00" not in data


def read_back(text: str, fmt: str) -> str:
    """What the reader gives for a cell written as ``text``: a formula in an .xlsx has no value."""
    if fmt == "xlsx" and len(text) > 1 and text.startswith("="):
        return ""
    return unescape_formula(text.strip())


def assert_clear_errors(outcome, rows: int) -> None:
    assert outcome.errors, "a refusal lists its reasons"
    for error in outcome.errors:
        assert 1 <= error.row <= rows + 2, error
        assert isinstance(error.column, str) and error.column, error
        assert isinstance(error.message, str) and error.message.strip(), error


def check_generated(kind: Kind, generated) -> None:
    chosen, header, rows, good, fmt = generated
    data, exact = write_generated(header, rows, fmt)
    before = db_state(kind)
    ext = "xlsx" if fmt == "xlsx" else "csv"
    outcome = run_import(kind.kind, io.BytesIO(data), f"generated.{ext}", "test")  # never raises
    if not outcome.ok:
        assert_clear_errors(outcome, len(rows))
        assert db_state(kind) == before, "a refused file changes nothing"
    read = [[read_back(c, fmt) for c in row[:len(chosen)]] for row in rows]
    data_rows = [r for r in read if any(r)]
    required_ok = all(r[i] for r in data_rows for i, c in enumerate(chosen) if c.required)
    if good and exact and required_ok:
        assert outcome.ok, (outcome.summary(), header, rows, fmt)
    if outcome.ok and exact:
        assert outcome.rows == len(data_rows)
        stored = kind.snapshot()
        text_columns = [c for c in kind.columns if c.text and c.key != kind.key]
        for row in data_rows:
            values = dict(zip([c.key for c in chosen], row, strict=True))
            if kind.kind == "history":
                key = (values["uscc"].upper(), values["department"], values["item"],
                       parse_date(values["inspected_on"]).isoformat())
                assert key in stored, (key, stored)
                continue
            expected = tuple(values.get(c.key, "") for c in text_columns)
            key = kind.normalise(values[kind.key]) if kind.normalise else values[kind.key]
            assert stored[key][:len(expected)] == expected


@pytest.fixture
def world(published, entity, departments):
    """Departments SCJGJ and WJW with published items, regions, and one entity (for history)."""


@pytest.mark.parametrize("kind_name", list(KIND_SPECS))
def test_generated_files_are_imported_correctly_or_refused_clearly(kind_name, world):
    kind = KIND_SPECS[kind_name]

    @EXAMPLES
    @given(table(kind))
    def run(generated):
        check_generated(kind, generated)

    run()


@pytest.mark.parametrize("kind_name", list(KIND_SPECS))
def test_random_bytes_never_crash_an_import(kind_name, world):
    kind = KIND_SPECS[kind_name]

    @EXAMPLES
    @given(st.one_of(st.binary(max_size=3000), st.builds(lambda b: b"PK\x03\x04" + b, st.binary(max_size=500)),
                     st.builds(lambda b: REAL_XLSX[:b], st.integers(0, len(REAL_XLSX)))),
           st.sampled_from(["f.csv", "f.xlsx", "f.txt", "f"]))
    def run(data, name):
        before = db_state(kind)
        outcome = run_import(kind.kind, io.BytesIO(data), name, "test")
        if not outcome.ok:
            assert_clear_errors(outcome, data.count(b"\n") + 1)
            assert db_state(kind) == before

    run()


# --- Generated results sheets ------------------------------------------------------------------


@st.composite
def sheet(draw, tasks: list, day: str):
    """A results sheet: every item of some tasks with good values (a file that must be entered),
    or rows of real tasks, items and values mixed with anything at all, under a header that may
    lack columns. Returns (header, rows, format, the tasks of a good file or None)."""
    from spotcheck.results.sheet import HEADERS, KEYS

    def good_row(task, item: str) -> dict[str, str]:
        return {"task": str(task.order), "code": task.entity.uscc, "name": task.entity.name, "item": item,
                "method": draw(st.sampled_from(["实地核查", "onsite"])), "inspected_on": day,
                "checked": draw(PLAIN.filter(lambda t: not t.startswith("="))), "findings": draw(st.sampled_from(["", "=2+3 未公示年报", "-"])),
                "result": draw(st.sampled_from(["未发现问题", "no_issue"])), "follow_up": "", "inspectors": ""}

    header_keys = list(KEYS)
    chosen = draw(st.lists(st.sampled_from(tasks), min_size=1, max_size=3, unique_by=lambda t: t.pk))
    rows = [good_row(task, item) for task in chosen for item in task.items]
    complete = draw(st.booleans())
    if not complete:
        if draw(st.booleans()):
            header_keys = draw(st.permutations(header_keys))[: draw(st.integers(1, len(header_keys)))]
        rows = draw(st.lists(st.sampled_from(rows), max_size=6))
        for row in rows:
            for key in KEYS:
                if draw(st.integers(0, 4)) == 0:
                    row[key] = draw(ANY_TEXT)
    header = [draw(st.sampled_from([key, HEADERS[key]])) for key in header_keys]
    fmt = draw(st.sampled_from(["csv:utf-8-sig", "csv:gb18030", "xlsx"] if complete else
                               ["csv:utf-8-sig", "csv:gb18030", "csv:latin-1", "xlsx"]))
    return header, [[row[k] for k in header_keys] for row in rows], fmt, chosen if complete else None


def test_generated_results_sheets_are_entered_or_refused_clearly(plan):  # noqa: F811
    from spotcheck.results import service
    from spotcheck.results.models import Result
    from spotcheck.results.sheet import import_sheet

    tasks = list(plan.tasks.select_related("entity").order_by("order"))
    day = min(dt.date.today(), plan.ends_on).isoformat()

    @EXAMPLES
    @given(sheet(tasks, day))
    def run(generated):
        header, rows, fmt, complete = generated
        data, exact = write_generated(header, rows, fmt)
        before = state()
        upload = SimpleUploadedFile("检查结果表." + ("xlsx" if fmt == "xlsx" else "csv"), data)
        outcome = import_sheet(plan, upload, None)  # never raises
        if complete and exact and all(t.status in service.EDITABLE for t in Task.objects.filter(
                pk__in=[t.pk for t in complete])):
            assert outcome.ok, (outcome.lines(), rows)
        if outcome.ok:
            assert outcome.entered == len([r for r in rows if any(c.strip() for c in r)])
            assert Result.objects.count() == before[0] + outcome.entered
        else:
            assert_clear_errors(outcome, len(rows))
            assert state() == before and all(line.startswith("第") for line in outcome.lines())

    run()


# --- Generated plan files ----------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
GOOD_PLAN = {
    "name": "2026年度双随机抽查", "year": 2026, "departments": ["SCJGJ"], "items": ["SCJGJ-001", "SCJGJ-002"],
    "scope": {"regions": [], "industries": ["H"], "entity_types": []},
    "strata": {"general": {"ratio": "0.03"}, "foreign": {"ratio": "0.10"}, "heightened": {"count": 12}},
    "complaint_threshold": 3, "team_size": 2, "honour_exemptions": True,
    "starts_on": "2026-12-01", "ends_on": "2026-12-31",
}


@st.composite
def plan_file(draw):
    """A plan file: the good plan with some fields removed or replaced by any JSON value, or any JSON at all."""
    if draw(st.integers(0, 4)) == 0:
        return draw(JSON), False
    data, changed = dict(GOOD_PLAN), False
    for key in GOOD_PLAN:
        what = draw(st.sampled_from(["keep"] * 8 + ["drop", "replace"]))
        if what == "drop":
            data.pop(key)
        elif what == "replace":
            data[key] = draw(JSON | st.integers(-(2**70), 2**70) | st.text(max_size=300))
        changed = changed or what != "keep"
    if draw(st.integers(0, 9)) == 0:
        data[draw(st.text(min_size=1, max_size=8))] = draw(JSON)
        changed = True
    return data, not changed


def test_generated_plan_files_are_created_or_refused_clearly(tmp_path, world):
    from spotcheck.plans import spec
    from spotcheck.plans.framedata import spec_context
    from spotcheck.plans.models import create_plan

    @EXAMPLES
    @given(plan_file(), st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    def run(generated, encoding):
        data, untouched = generated
        content = json.dumps(data, ensure_ascii=False).encode(encoding, "replace")
        utf8 = encoding != "gb18030" or content.isascii()  # a plan file is UTF-8 (JSON's own rule)
        try:
            parsed = spec.parse_file(content, "plan.json")
        except spec.PlanFileError as exc:
            assert exc.message.startswith("计划文件“plan.json”") and not (untouched and utf8)
            return
        clean, problems = spec.validate(parsed, spec_context())  # never raises
        if untouched:
            assert not problems, problems.text()
        if problems:
            assert all(isinstance(f, str) and f and m.strip() for f, m in problems.items)
            return
        count = Plan.objects.count()
        created = create_plan(clean, None)  # a plan that passed validation is kept whole
        assert Plan.objects.count() == count + 1
        saved = Plan.objects.get(pk=created.pk).to_file()
        assert {k: saved[k] for k in ("name", "year", "departments", "items", "scope", "strata")} == {
            k: clean[k] for k in ("name", "year", "departments", "items", "scope", "strata")}

    run()


@EXAMPLES
@given(st.binary(max_size=2000), st.sampled_from(["p.json", "p.txt", "p"]))
def test_random_bytes_as_a_plan_file_are_refused_clearly(data, name):
    from spotcheck.plans import spec

    try:
        parsed = spec.parse_file(data, name)
    except spec.PlanFileError as exc:
        assert "计划文件" in exc.message and " / " not in exc.message
        return
    assert name == "p.json"
    json.dumps(parsed)  # a JSON value, for validate to judge
