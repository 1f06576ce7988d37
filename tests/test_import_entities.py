"""`spotcheck import_entities`: formats, spellings, counts, and every bad input of issue #2."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from spotcheck.audit.models import AuditEntry
from spotcheck.directory.imports import run_import
from spotcheck.directory.models import Entity
from tests.conftest import csv_bytes, import_file, make_uscc

pytestmark = pytest.mark.django_db

HEADER = ["uscc", "name", "entity_type", "industry", "region", "status", "foreign", "abnormal",
          "serious_violation", "complaints_12m", "established_on"]
ZH_HEADER = ["统一社会信用代码", "名称", "市场主体类型", "行业门类", "所属镇街", "登记状态", "涉外", "经营异常名录",
             "严重违法失信", "近12个月投诉举报", "成立日期"]


def row(n, **changes):
    values = {"uscc": make_uscc(n), "name": f"重庆测试{n}有限公司", "entity_type": "enterprise",
              "industry": "F", "region": "500113001", "status": "active", "foreign": "否",
              "abnormal": "no", "serious_violation": "0", "complaints_12m": "0",
              "established_on": "2010-05-01"}
    values.update(changes)
    return [values[k] for k in HEADER]


def run_file(tmp_path, data: bytes, name="entities.csv"):
    return import_file(tmp_path, "import_entities", data, name)


def assert_refused(tmp_path, data, row_no, column, name="entities.csv"):
    before = AuditEntry.objects.count()
    code, out = run_file(tmp_path, data, name)
    assert code == 1
    assert not out["ok"]
    assert any(e["row"] == row_no and e["column"] == column for e in out["errors"]), out["errors"]
    assert all(re.search("[\u4e00-\u9fff]", e["message"]) and " / " not in e["message"]  # one Chinese reason
               for e in out["errors"])
    assert Entity.objects.count() == 0
    assert AuditEntry.objects.count() == before
    return out


def test_it_imports_utf8_and_counts(tmp_path, regions):
    code, out = run_file(tmp_path, csv_bytes(HEADER, [row(1), row(2)]))
    assert code == 0 and (out["created"], out["updated"], out["unchanged"]) == (2, 0, 0)
    e = Entity.objects.get(uscc=make_uscc(1))
    assert (e.region.code, e.foreign, e.established_on.isoformat()) == ("500113001", False, "2010-05-01")


def test_it_imports_utf8_with_bom_and_chinese_headers(tmp_path, regions):
    data = "\ufeff".encode() + csv_bytes(ZH_HEADER, [row(1, region="鱼洞街道", entity_type="个体工商户", status="存续")])
    code, out = run_file(tmp_path, data)
    assert code == 0, out
    e = Entity.objects.get()
    assert (e.region.name, e.entity_type, e.status) == ("鱼洞街道", "individual", "active")


def test_it_imports_gb18030(tmp_path, regions):
    data = csv_bytes(ZH_HEADER, [row(1, name="重庆巴南𠀀商贸有限公司", region="龙洲湾街道")], encoding="gb18030")
    code, out = run_file(tmp_path, data)
    assert code == 0, out
    assert Entity.objects.get().name == "重庆巴南𠀀商贸有限公司"


def test_it_imports_xlsx_with_dates_and_numbers(tmp_path, regions):
    import datetime as dt

    book = Workbook()
    sheet = book.active
    sheet.append(ZH_HEADER)
    values = row(1)
    values[HEADER.index("established_on")] = dt.datetime(2012, 3, 4)
    values[HEADER.index("complaints_12m")] = 4
    sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    code, out = run_file(tmp_path, buffer.getvalue(), "entities.xlsx")
    assert code == 0, out
    e = Entity.objects.get()
    assert (e.established_on, e.complaints_12m) == (dt.date(2012, 3, 4), 4)


@pytest.mark.parametrize("spelling,expected", [
    ("是", True), ("否", False), ("yes", True), ("NO", False), ("true", True), ("False", False),
    ("1", True), ("0", False), ("Y", True), ("n", False), ("", False),
])
def test_yes_no_spellings(tmp_path, regions, spelling, expected):
    code, out = run_file(tmp_path, csv_bytes(HEADER, [row(1, foreign=spelling)]))
    assert code == 0, out
    assert Entity.objects.get().foreign is expected


def test_reimport_updates_and_counts_unchanged(tmp_path, regions):
    run_file(tmp_path, csv_bytes(HEADER, [row(1), row(2)]))
    code, out = run_file(tmp_path, csv_bytes(HEADER, [row(1), row(2, status="revoked"), row(3)]))
    assert (out["created"], out["updated"], out["unchanged"]) == (1, 1, 1)
    assert Entity.objects.get(uscc=make_uscc(2)).status == "revoked"


def test_new_and_updated_rows_over_several_batches(tmp_path, regions, monkeypatch):
    """New rows, changed rows and unchanged rows, in batches of three. On PostgreSQL new rows
    go in by COPY and changed ones through a staging table; on SQLite by executemany and
    bulk_update: the counts, the rows and their order are the same."""
    from spotcheck.directory import imports

    monkeypatch.setattr(imports, "BATCH", 3)
    code, out = run_file(tmp_path, csv_bytes(HEADER, [row(n) for n in range(1, 8)]))
    assert code == 0 and (out["created"], out["updated"], out["unchanged"]) == (7, 0, 0)
    stamps = dict(Entity.objects.values_list("uscc", "updated_at"))
    changes = {2: {"name": "重庆改名有限公司", "status": "revoked"},
               3: {"established_on": "", "complaints_12m": "5", "foreign": "是"},
               5: {"region": "鱼洞街道", "entity_type": "个体工商户"},
               9: {"industry": "C", "abnormal": "yes"}}
    second = [1, 2, 3, 4, 8, 5, 9, 6]  # 7 is not in the file: it stays as it was
    code, out = run_file(tmp_path, csv_bytes(HEADER, [row(n, **changes.get(n, {})) for n in second]))
    assert code == 0, out
    assert (out["rows"], out["created"], out["updated"], out["unchanged"]) == (8, 2, 3, 3)
    assert AuditEntry.objects.filter(action="import_entities").latest("pk").data["updated"] == 3

    def expected(n):
        values = {"name": f"重庆测试{n}有限公司", "entity_type": "enterprise", "industry": "F",
                  "region": "500113001", "status": "active", "foreign": False, "abnormal": False,
                  "serious_violation": False, "complaints_12m": 0, "established_on": "2010-05-01",
                  "address": "", "legal_representative": "", "credit_risk": ""}
        values.update({2: {"name": "重庆改名有限公司", "status": "revoked"},
                       3: {"established_on": None, "complaints_12m": 5, "foreign": True},
                       5: {"region": "500113002", "entity_type": "individual"},
                       9: {"industry": "C", "abnormal": True}}.get(n, {}))
        return values

    state = {
        e.uscc: {"name": e.name, "entity_type": e.entity_type, "industry": e.industry, "region": e.region.code,
                 "status": e.status, "foreign": e.foreign, "abnormal": e.abnormal,
                 "serious_violation": e.serious_violation, "complaints_12m": e.complaints_12m,
                 "established_on": e.established_on and e.established_on.isoformat(), "address": e.address,
                 "legal_representative": e.legal_representative, "credit_risk": e.credit_risk}
        for e in Entity.objects.select_related("region")
    }
    assert state == {make_uscc(n): expected(n) for n in range(1, 10)}
    assert list(Entity.objects.order_by("pk").values_list("uscc", flat=True)) == [
        make_uscc(n) for n in (1, 2, 3, 4, 5, 6, 7, 8, 9)]
    now = dict(Entity.objects.values_list("uscc", "updated_at"))
    assert {n for n in range(1, 8) if now[make_uscc(n)] != stamps[make_uscc(n)]} == {2, 3, 5}
    assert all(now[make_uscc(n)] > stamps[make_uscc(1)] for n in (2, 3, 5, 8, 9))


def test_lower_case_codes_are_upper_cased(tmp_path, regions):
    code = make_uscc(7, prefix="9150011")  # ends in a letter for some serials
    code, out = run_file(tmp_path, csv_bytes(HEADER, [row(1, uscc=make_uscc(1).lower())]))
    assert code == 0 and Entity.objects.get().uscc == make_uscc(1)


def test_a_header_only_file_is_accepted_with_zero_rows(tmp_path, regions):
    code, out = run_file(tmp_path, csv_bytes(HEADER, []))
    assert code == 0 and out["rows"] == 0 and out["created"] == 0


def test_an_import_writes_one_audit_entry_with_the_files_hash(tmp_path, regions):
    import hashlib

    data = csv_bytes(HEADER, [row(1)])
    run_file(tmp_path, data)
    entry = AuditEntry.objects.get(action="import_entities")
    assert entry.data["sha256"] == hashlib.sha256(data).hexdigest()
    assert entry.data["created"] == 1 and entry.actor.startswith("cli:")


# --- Bad input: each refused, exit 1, nothing written, row and column named ----------

def test_wrong_check_digit(tmp_path, regions):
    bad = make_uscc(1)[:-1] + ("0" if make_uscc(1)[-1] != "0" else "1")
    assert_refused(tmp_path, csv_bytes(HEADER, [row(2), row(1, uscc=bad)]), 3, "uscc")


def test_the_same_code_twice_in_one_file(tmp_path, regions):
    assert_refused(tmp_path, csv_bytes(HEADER, [row(1), row(1)]), 3, "uscc")


def test_unknown_region(tmp_path, regions):
    assert_refused(tmp_path, csv_bytes(HEADER, [row(1, region="火星街道")]), 2, "region")


def test_impossible_date(tmp_path, regions):
    assert_refused(tmp_path, csv_bytes(HEADER, [row(1, established_on="2023-02-30")]), 2, "established_on")


def test_negative_complaints(tmp_path, regions):
    assert_refused(tmp_path, csv_bytes(HEADER, [row(1, complaints_12m="-1")]), 2, "complaints_12m")


def test_unknown_status(tmp_path, regions):
    assert_refused(tmp_path, csv_bytes(HEADER, [row(1, status="sleeping")]), 2, "status")


def test_industry_outside_a_to_t(tmp_path, regions):
    assert_refused(tmp_path, csv_bytes(HEADER, [row(1, industry="U")]), 2, "industry")


def test_unknown_column(tmp_path, regions):
    out = assert_refused(tmp_path, csv_bytes(HEADER + ["colour"], [row(1) + ["red"]]), 1, "colour")
    assert out["errors"][0]["message"] == "未知的列"


def test_missing_required_column(tmp_path, regions):
    header = [h for h in HEADER if h != "status"]
    values = [v for h, v in zip(HEADER, row(1), strict=True) if h != "status"]
    assert_refused(tmp_path, csv_bytes(header, [values]), 1, "status")


def test_empty_required_cell(tmp_path, regions):
    assert_refused(tmp_path, csv_bytes(HEADER, [row(1, name="")]), 2, "name")


def test_unrecognised_yes_no(tmp_path, regions):
    assert_refused(tmp_path, csv_bytes(HEADER, [row(1, abnormal="maybe")]), 2, "abnormal")


def test_binary_garbage(tmp_path, regions):
    assert_refused(tmp_path, bytes(range(256)) * 20, 1, "file")


def test_garbage_posing_as_xlsx(tmp_path, regions):
    assert_refused(tmp_path, b"PK\x03\x04 not really a zip", 1, "file", name="entities.xlsx")


def test_an_empty_file(tmp_path, regions):
    assert_refused(tmp_path, b"", 1, "file")


def test_every_bad_row_is_listed_and_good_rows_are_not_written(tmp_path, regions):
    data = csv_bytes(HEADER, [row(1), row(2, industry="Z"), row(3), row(4, status="x", region="y")])
    out = assert_refused(tmp_path, data, 3, "industry")
    assert sorted((e["row"], e["column"]) for e in out["errors"]) == [(3, "industry"), (5, "region"), (5, "status")]


def test_a_failure_after_many_good_batches_writes_nothing(tmp_path, regions):
    rows = [row(n) for n in range(1, 4500)] + [row(99999, status="bogus")]
    assert_refused(tmp_path, csv_bytes(HEADER, rows), 4501, "status")


def test_text_output_lists_rows_in_the_interface_format(tmp_path, regions):
    path = tmp_path / "e.csv"
    path.write_bytes(csv_bytes(HEADER, [row(1, industry="Z")]))
    err = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import_entities", str(path), stderr=err)
    assert "row 2, industry: " in err.getvalue()


def test_run_import_reports_progress(regions):
    seen = []
    data = csv_bytes(HEADER, [row(n) for n in range(1, 4100)])
    outcome = run_import("entities", io.BytesIO(data), "e.csv", "test", progress=lambda d, t: seen.append((d, t)))
    assert outcome.ok and seen[-1] == (4099, 4099) and len(seen) >= 3


def test_the_command_line_shows_progress_on_a_terminal(tmp_path):
    import os
    import pty
    import subprocess
    import sys

    db = tmp_path / "cli.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    subprocess.run([sys.executable, "-m", "spotcheck", "migrate", "-v0"], env=env, check=True, timeout=120)
    (tmp_path / "r.csv").write_bytes(csv_bytes(["code", "name"], [["500113001", "龙洲湾街道"]]))
    subprocess.run([sys.executable, "-m", "spotcheck", "import_regions", str(tmp_path / "r.csv")], env=env,
                   check=True, timeout=120, capture_output=True)
    path = tmp_path / "e.csv"
    path.write_bytes(csv_bytes(HEADER, [row(n) for n in range(1, 5001)]))
    leader, follower = pty.openpty()
    result = subprocess.run([sys.executable, "-m", "spotcheck", "import_entities", str(path)], env=env,
                            stdout=subprocess.PIPE, stderr=follower, timeout=300)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert result.returncode == 0
    assert b"2000/5000 (40%)" in shown and b"5000/5000 (100%)" in shown
    assert "新增5000" in result.stdout.decode()
