"""Directory pages: entity search, detail, exports, uploads with progress, conflicts."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from spotcheck.audit.models import AuditEntry
from spotcheck.directory.exports import safe_cell
from spotcheck.directory.models import Conflict, Entity, ImportJob
from tests.conftest import csv_bytes, make_uscc
from tests.test_import_entities import HEADER, row

pytestmark = pytest.mark.django_db


def _entities(regions, n=3, **kw):
    return [Entity.objects.create(uscc=make_uscc(i), name=f"测试{i}商贸有限公司", entity_type="enterprise",
                                  industry="F", region=regions[i % 2], status="active", **kw)
            for i in range(1, n + 1)]


def test_search_by_name_code_and_filters(personas, login, regions):
    _entities(regions)
    Entity.objects.create(uscc=make_uscc(50), name="巴南火锅店", entity_type="individual", industry="H",
                          region=regions[0], status="active", foreign=True, abnormal=True, complaints_12m=4)
    c = login(personas["ian"])
    url = reverse("directory:entity_list")
    assert "巴南火锅店" in c.get(url, {"q": "火锅"}).content.decode()
    page = c.get(url, {"q": make_uscc(2).lower()}).content.decode()
    assert "测试2商贸" in page and "测试1商贸" not in page
    for params in ({"industry": "H"}, {"foreign": "1"}, {"abnormal": "1"}, {"min_complaints": "3"},
                   {"entity_type": "individual"}, {"region": regions[0].pk, "industry": "H"}):
        page = c.get(url, params).content.decode()
        assert "巴南火锅店" in page and "测试1商贸" not in page, params
    assert "巴南火锅店" not in c.get(url, {"status": "revoked"}).content.decode()
    # The list names the industry, not its letter.
    row = c.get(url, {"q": "火锅"}).content.decode().split("巴南火锅店")[1].split("</tr>")[0]
    assert "住宿和餐饮业" in row and ">H<" not in row


def test_paging(personas, login, regions):
    _entities(regions, n=55)
    c = login(personas["coordinator"])
    first = c.get(reverse("directory:entity_list")).content.decode()
    second = c.get(reverse("directory:entity_list"), {"page": 2}).content.decode()
    assert "第 1 / 2 页" in first and make_uscc(55) in second and make_uscc(55) not in first


def test_entity_detail(personas, login, regions):
    e = _entities(regions, n=1)[0]
    page = login(personas["henry"]).get(reverse("directory:entity_detail", args=[e.uscc])).content.decode()
    assert e.name in page and "批发和零售业" in page
    assert login(personas["henry"]).get(reverse("directory:entity_detail", args=["X" * 18])).status_code == 404


def test_export_csv_has_bom_keys_and_escapes_formulas(personas, login, regions):
    _entities(regions, n=2)
    Entity.objects.filter(uscc=make_uscc(1)).update(name="=HYPERLINK(\"http://x\")", address="@SUM(A1)")
    response = login(personas["coordinator"]).get(reverse("directory:entity_export", args=["csv"]))
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["统一社会信用代码", "名称", "市场主体类型"] and len(rows) == 3
    assert rows[1][1] == "'=HYPERLINK(\"http://x\")" and rows[1][6] == "'@SUM(A1)"
    # Chinese values, the labels the import reads: the industry and region by name, flags as 是/否.
    assert rows[1][3] == "批发和零售业" and rows[1][4] == regions[1].name and rows[1][9] in ("是", "否")
    english = login(personas["coordinator"]).get(reverse("directory:entity_export", args=["csv"]), {"lang": "en"})
    rows = list(csv.reader(io.StringIO(b"".join(english.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "uscc" and rows[1][3] == "F" and rows[1][9] in ("yes", "no")


def test_export_xlsx(personas, login, regions):
    _entities(regions, n=2)
    response = login(personas["coordinator"]).get(reverse("directory:entity_export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [c.value for c in sheet[1]][:2] == ["统一社会信用代码", "名称"] and sheet.max_row == 3
    assert sheet.title == "市场主体"


def test_a_chinese_export_edited_imports_again(personas, login, regions, tmp_path):
    _entities(regions, n=2)
    response = login(personas["coordinator"]).get(reverse("directory:entity_export", args=["csv"]))
    text = b"".join(response.streaming_content).decode("utf-8-sig").replace("测试1商贸有限公司", "测试1商贸改名有限公司")
    (tmp_path / "e.csv").write_text(text, encoding="utf-8-sig")
    out = io.StringIO()
    call_command("import_entities", str(tmp_path / "e.csv"), "--json", stdout=out)
    assert '"updated": 1' in out.getvalue() and '"unchanged": 1' in out.getvalue()
    assert Entity.objects.get(uscc=make_uscc(1)).name == "测试1商贸改名有限公司"


@pytest.mark.parametrize("value,expected", [
    ("=1+1", "'=1+1"), ("@x", "'@x"), ("-1+1", "'-1+1"), ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("\t=1", "'\t=1"), ("'=1", "''=1"),
    # Data that only starts with a sign is written as it is (issue #12: "-" came back as "'-").
    ("+1", "+1"), ("-1", "-1"), ("-", "-"), ("+86 23 6666 0000", "+86 23 6666 0000"), ("'quoted", "'quoted"),
    ("a=b", "a=b"), (3, 3), (True, "yes")])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_export_command_writes_csv_and_xlsx(tmp_path, regions):
    from django.core.management import call_command

    _entities(regions, n=2)
    call_command("export_entities", "--out", str(tmp_path / "e.csv"))
    text = (tmp_path / "e.csv").read_bytes()
    assert text.startswith(b"\xef\xbb\xbf") and text.count(b"\n") == 3
    call_command("export_entities", "--out", str(tmp_path / "e.xlsx"))
    assert load_workbook(tmp_path / "e.xlsx").active.max_row == 3


def test_an_exported_file_imports_back_unchanged(tmp_path, regions):
    from django.core.management import call_command

    _entities(regions, n=3)
    call_command("export_entities", "--out", str(tmp_path / "e.csv"))
    out = io.StringIO()
    call_command("import_entities", str(tmp_path / "e.csv"), "--json", stdout=out)
    assert '"unchanged": 3' in out.getvalue()


def test_a_small_upload_runs_at_once_and_shows_the_counts(personas, login, regions):
    c = login(personas["coordinator"])
    upload = SimpleUploadedFile("e.csv", csv_bytes(HEADER, [row(1), row(2)]))
    response = c.post(reverse("directory:import_upload", args=["entities"]), {"file": upload})
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("directory:import_job", args=[job.pk])
    page = c.get(response["Location"]).content.decode()
    assert job.status == "done" and "新增 2" in page and Entity.objects.count() == 2
    assert AuditEntry.objects.get(action="import_entities").actor == "user:coordinator"


def test_a_refused_upload_lists_rows_and_writes_nothing(personas, login, regions):
    c = login(personas["coordinator"])
    upload = SimpleUploadedFile("e.csv", csv_bytes(HEADER, [row(1), row(2, industry="Z")]))
    response = c.post(reverse("directory:import_upload", args=["entities"]), {"file": upload})
    page = c.get(response["Location"]).content.decode()
    assert "未写入任何数据" in page and "industry" in page and Entity.objects.count() == 0


def test_a_large_upload_runs_as_a_background_task_with_progress(personas, login, regions, settings):
    settings.SPOTCHECK = {**settings.SPOTCHECK, "import_background_rows": 10}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    c = login(personas["coordinator"])
    upload = SimpleUploadedFile("e.csv", csv_bytes(HEADER, [row(n) for n in range(1, 31)]))
    response = c.post(reverse("directory:import_upload", args=["entities"]), {"file": upload})
    job = ImportJob.objects.get()
    assert job.status == "queued" and job.total == 30 and Entity.objects.count() == 0
    assert DBTaskResult.objects.count() == 1
    status = c.get(reverse("directory:import_job_status", args=[job.pk])).json()
    assert status == {"status": "queued", "done": 0, "total": 30, "percent": 0, "finished": False}
    page = c.get(response["Location"]).content.decode()
    assert "progress.js" in page and "<progress" in page
    # Run the queued task as the worker would (db_worker itself closes the test's
    # database connection, which a test transaction on PostgreSQL cannot survive).
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "spotcheck.directory.jobs.run_import_job" and queued.args_kwargs["args"] == [job.pk]
    from spotcheck.directory.jobs import run_import_job

    run_import_job.call(job.pk)
    status = c.get(reverse("directory:import_job_status", args=[job.pk])).json()
    assert status["finished"] and status["percent"] == 100 and Entity.objects.count() == 30


def test_a_non_table_upload_is_refused_in_the_form(personas, login):
    c = login(personas["coordinator"])
    upload = SimpleUploadedFile("e.pdf", b"%PDF-1.4")
    response = c.post(reverse("directory:import_upload", args=["entities"]), {"file": upload})
    assert response.status_code == 200 and "只接受" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_an_import_job_is_private_to_its_owner(personas, login, regions):
    c = login(personas["alice"])
    upload = SimpleUploadedFile("i.csv", b"cert_no,name,department\nX1,Name,SCJGJ\n")
    c.post(reverse("directory:import_upload", args=["inspectors"]), {"file": upload})
    job = ImportJob.objects.get()
    assert job.status == "done"
    assert login(personas["olga"]).get(reverse("directory:import_job", args=[job.pk])).status_code == 404
    assert login(personas["coordinator"]).get(reverse("directory:import_job", args=[job.pk])).status_code == 200


def test_a_department_admin_upload_is_limited_to_their_department(personas, login):
    c = login(personas["alice"])
    upload = SimpleUploadedFile("i.csv", b"cert_no,name,department\nW1,Name,WJW\n")
    response = c.post(reverse("directory:import_upload", args=["inspectors"]), {"file": upload})
    assert "只能导入本部门" in c.get(response["Location"]).content.decode()


def test_an_inspector_declares_and_the_admin_confirms_a_conflict(personas, login, inspector_record):
    code = make_uscc(77)
    ian = login(personas["ian"])
    ian.post(reverse("directory:conflict_declare"), {"uscc": code.lower(), "reason": "亲属经营"})
    conflict = Conflict.objects.get()
    assert (conflict.uscc, conflict.status, conflict.source) == (code, "pending", "declared")
    assert inspector_record.confirmed_conflicts() == []
    listing = login(personas["alice"]).get(reverse("directory:inspector_list")).content.decode()
    assert "待确认的回避申报" in listing and code in listing
    login(personas["alice"]).post(reverse("directory:conflict_confirm", args=[conflict.pk]))
    assert inspector_record.confirmed_conflicts() == [code]
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions == ["conflict_declare", "conflict_confirm"]


def test_a_bad_conflict_code_is_refused(personas, login):
    response = login(personas["ian"]).post(reverse("directory:conflict_declare"), {"uscc": "915001130000"}, follow=True)
    assert "统一社会信用代码应为18位" in response.content.decode() and Conflict.objects.count() == 0


def test_an_inspector_cannot_declare_for_someone_else(personas, login):
    assert login(personas["alice"]).post(reverse("directory:conflict_declare"), {"uscc": make_uscc(1)}).status_code == 403


def test_inspector_export_is_scoped_and_reimportable(personas, login, departments, inspector_record, tmp_path):
    from django.core.management import call_command

    from spotcheck.directory.models import Inspector

    Inspector.objects.create(cert_no="W-1", name="卫健人员", department=departments["WJW"])
    Conflict.objects.create(inspector=inspector_record, uscc=make_uscc(3), status="confirmed")
    Conflict.objects.create(inspector=inspector_record, uscc=make_uscc(4), status="pending", source="declared")
    response = login(personas["alice"]).get(reverse("directory:inspector_export", args=["csv"]))
    data = b"".join(response.streaming_content)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["执法证号", "姓名", "所属部门", "状态", "执法证有效期至", "可检查事项", "回避对象"]
    assert [r[0] for r in rows[1:]] == ["500113000001"]
    assert rows[1][6] == make_uscc(3) and rows[1][3] == "在岗"
    (tmp_path / "i.csv").write_bytes(data)
    out = io.StringIO()
    call_command("import_inspectors", str(tmp_path / "i.csv"), "--json", stdout=out)
    assert '"unchanged": 1' in out.getvalue()
    xlsx = login(personas["coordinator"]).get(reverse("directory:inspector_export", args=["xlsx"]))
    assert load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active.max_row == 3


def test_the_directory_search_finds_a_fragment_anywhere_in_a_name_in_any_case(client, personas, regions):
    """The name search (through the pairs' index on PostgreSQL) finds what LIKE finds, and only that."""
    from spotcheck.directory.models import Entity
    from tests.conftest import make_uscc

    names = ["重庆巴南ABC食品有限公司", "巴南区龙洲湾abc超市", "重庆鱼洞百货", "巴南"]
    codes = [make_uscc(n) for n in range(900, 900 + len(names))]
    for code, name in zip(codes, names, strict=True):
        Entity.objects.create(uscc=code, name=name, entity_type="enterprise", industry="F",
                              region=regions[0], status="active")
    client.force_login(personas["coordinator"])
    for fragment, expected in [("巴南", {0, 1, 3}), ("aBc", {0, 1}), ("龙洲湾ab", {1}), ("南A", {0}),
                               ("鱼洞百货", {2}), ("洞", {2}), ("不存在", set())]:
        page = client.get("/directory/entities/", {"q": fragment}).content.decode()
        assert {i for i, code in enumerate(codes) if code in page} == expected, fragment


def test_on_postgresql_the_name_search_goes_through_the_grams_index(db):
    from django.db import connection

    from spotcheck.directory.models import Entity
    from spotcheck.directory.name_index import name_holds

    sql = str(name_holds(Entity.objects.all(), "巴南").query)
    if connection.vendor != "postgresql":
        assert "spotcheck_name_grams" not in sql  # SQLite reads the names
        return
    assert "spotcheck_name_grams" in sql
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'directory_entity_name_grams'")
        assert "gin (spotcheck_name_grams(" in cursor.fetchone()[0]


def test_a_long_directory_list_is_counted_only_up_to_its_cap(client, personas, regions, monkeypatch):
    from spotcheck.directory import views
    from spotcheck.directory.models import Entity
    from tests.conftest import make_uscc

    for n in range(5):
        Entity.objects.create(uscc=make_uscc(700 + n), name=f"封顶测试{n}", entity_type="enterprise", industry="F",
                              region=regions[0], status="active")
    client.force_login(personas["coordinator"])
    monkeypatch.setattr(views, "ENTITY_COUNT_CAP", 3)
    page = client.get("/directory/entities/", {"q": "封顶测试"}).content.decode()
    assert "超过 3 个，列出前 3 个" in page and "共 5 个" not in page
    monkeypatch.setattr(views, "ENTITY_COUNT_CAP", 5)
    page = client.get("/directory/entities/", {"q": "封顶测试"}).content.decode()
    assert "共 5 个" in page and "超过" not in page


def test_the_grams_a_fragment_is_looked_up_by():
    from spotcheck.directory.name_index import grams

    assert grams("巴南") == ["巴南"]
    assert grams("南区丰盛") == ["南区丰", "区丰盛"]
    assert grams("AbC") == ["abc"]
