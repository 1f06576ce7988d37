"""Formula-safe exports that import back unchanged (issue #12 §4).

An export prefixes ``'`` only to a cell a spreadsheet would run as a formula, and every import
takes it off again: entities and inspectors exported (CSV and .xlsx, on the web and on the
command line) and imported again come back with the very same values.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from spotcheck.directory.exports import safe_cell, write_entities
from spotcheck.directory.imports import run_import
from spotcheck.directory.models import Entity, Inspector
from spotcheck.lib.tabular import Column, escape_formula, is_formula, read_rows, unescape_formula
from tests.conftest import make_uscc, run_command

pytestmark = pytest.mark.django_db

# The values of the issue, and their neighbours.
VALUES = ["-", "=SUM(A1)", "+86 23 1234", "@home", "'quoted", "-5", "+", "'-", "'=SUM(A1)", "''@x",
          "-1+1", "=", "@", "+cmd|' /C calc'!A0", "-(23) 6666-0000", "a=b", "重庆市巴南区-1号"]


def make_entities(regions) -> list[Entity]:
    return [Entity.objects.create(uscc=make_uscc(n), name=f"主体{value}", entity_type="enterprise", industry="F",
                                  region=regions[0], status="active", address=value, legal_representative=value)
            for n, value in enumerate(VALUES, start=1)]


def snapshot() -> dict[str, tuple[str, str, str]]:
    return {e.uscc: (e.name, e.address, e.legal_representative) for e in Entity.objects.all()}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_entities_exported_on_the_web_import_back_unchanged(fmt, regions, personas, login):
    make_entities(regions)
    before = snapshot()
    response = login(personas["coordinator"]).get(reverse("directory:entity_export", args=[fmt]))
    data = b"".join(response.streaming_content)
    Entity.objects.all().delete()
    outcome = run_import("entities", io.BytesIO(data), f"entities.{fmt}", "test")
    assert outcome.ok, outcome.summary()
    assert snapshot() == before
    assert Entity.objects.get(uscc=make_uscc(1)).address == "-"  # was "'-"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_entities_exported_on_the_command_line_import_back_unchanged(fmt, tmp_path, regions):
    make_entities(regions)
    before = snapshot()
    path = tmp_path / f"entities.{fmt}"
    assert run_command("export_entities", "--out", str(path))[0] == 0
    # Changed in between: the import must write the exported values back.
    Entity.objects.update(address="x", legal_representative="x", name="x")
    code, out = run_command("import_entities", str(path))
    assert code == 0 and out["updated"] == len(VALUES)
    assert snapshot() == before


def test_the_csv_escapes_only_what_a_spreadsheet_would_run(regions, personas, login):
    make_entities(regions)
    response = login(personas["coordinator"]).get(reverse("directory:entity_export", args=["csv"]))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    written = {row["统一社会信用代码"]: row["住所"] for row in rows}
    expected = {"-": "-", "=SUM(A1)": "'=SUM(A1)", "+86 23 1234": "+86 23 1234", "@home": "'@home",
                "'quoted": "'quoted", "-5": "-5", "'=SUM(A1)": "''=SUM(A1)", "-1+1": "'-1+1",
                "+cmd|' /C calc'!A0": "'+cmd|' /C calc'!A0", "-(23) 6666-0000": "-(23) 6666-0000"}
    for n, value in enumerate(VALUES, start=1):
        if value in expected:
            assert written[make_uscc(n)] == expected[value], value


def test_the_xlsx_holds_text_never_a_formula(regions):
    make_entities(regions)
    out = io.BytesIO()
    write_entities(out, "xlsx")
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert cells and all(cell.data_type != "f" for cell in cells)
    addresses = {row[0].value: row[6].value for row in sheet.iter_rows(min_row=2)}
    assert addresses[make_uscc(2)] == "'=SUM(A1)" and addresses[make_uscc(1)] == "-"


def test_inspectors_exported_import_back_unchanged(tmp_path, departments, personas, login):
    names = ["-", "=HYPERLINK(\"x\")", "@李", "'王"]
    for n, name in enumerate(names):
        Inspector.objects.create(cert_no=f"-{n}" if n % 2 else f"=C{n}", name=name, department=departments["SCJGJ"],
                                 cert_expires_on=date(2030, 1, 1), items=["-", "=x"])
    before = sorted(Inspector.objects.values_list("cert_no", "name", "items"))
    data = b"".join(login(personas["coordinator"]).get(
        reverse("directory:inspector_export", args=["csv"])).streaming_content)
    Inspector.objects.update(name="x")
    outcome = run_import("inspectors", io.BytesIO(data), "inspectors.csv", "test")
    assert outcome.ok, outcome.summary()
    assert sorted(Inspector.objects.values_list("cert_no", "name", "items")) == before


# --- The rule, for any text ----------------------------------------------------------------------

TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)
SIGNED = st.builds(lambda sign, body: sign + body, st.sampled_from(["'", "''", "=", "+", "-", "@", "\t", ""]), TEXT)


@settings(max_examples=200, deadline=None)
@given(st.one_of(TEXT, SIGNED))
def test_escaping_is_undone_exactly_and_leaves_nothing_a_spreadsheet_would_run(text):
    written = escape_formula(text)
    assert unescape_formula(written) == text
    assert not is_formula(written)  # what a spreadsheet receives is never run
    assert written == text or written == "'" + text  # at most one apostrophe added
    assert safe_cell(text) == written


CELL = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn", "Zs", "Zl", "Zp"), blacklist_characters="\ufeff"),
               min_size=1, max_size=20)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(CELL, st.builds(lambda s, t: s + t, st.sampled_from(["=", "+", "-", "@", "'", "'="]), CELL)),
                min_size=1, max_size=20))
def test_a_written_csv_and_xlsx_read_back_the_same_text(values):
    """Exported through the export writer, read through the import reader: the same text."""
    from spotcheck.directory.exports import write_table

    columns = [Column("value", "值")]
    for fmt in ("csv", "xlsx"):
        out = io.BytesIO()
        write_table(out, fmt, ["value"], [[safe_cell(v)] for v in values])
        rows, _ = read_rows(io.BytesIO(out.getvalue()), f"x.{fmt}", columns)
        assert [r[1]["value"] for r in rows] == values, fmt
