"""Licences and penalties (行政许可、行政处罚; issue #10): imports, scoping, the public page, the stratum."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import Workbook

from spotcheck.audit.models import AuditEntry
from spotcheck.directory.imports import run_import
from spotcheck.directory.models import Entity, ImportJob
from spotcheck.plans import spec
from spotcheck.plans.frame import EntityFacts, stratum
from spotcheck.plans.framedata import frame_for, spec_context
from spotcheck.plans.models import create_plan
from spotcheck.records.models import Licence, Penalty
from spotcheck.records.service import import_licences, import_penalties
from tests.conftest import csv_bytes, import_file, make_uscc, run_command

pytestmark = pytest.mark.django_db

LICENCE_HEADER = ["uscc", "licence_type", "number", "issuer", "valid_from", "valid_to", "status"]
LICENCE_ZH = ["统一社会信用代码", "许可类别", "许可证编号", "发证机关", "有效期自", "有效期至", "许可状态"]
PENALTY_HEADER = ["uscc", "decision_no", "decision_date", "department", "summary", "amount"]
PENALTY_ZH = ["统一社会信用代码", "处罚决定书文号", "处罚决定日期", "处罚机关", "处罚内容", "罚没金额"]
CITY = "重庆市市场监督管理局"  # an issuing body outside this system's departments


def licence(n=1, **changes):
    values = {"uscc": make_uscc(1), "licence_type": "食品经营许可证", "number": f"JY1500113{n:06d}",
              "issuer": "SCJGJ", "valid_from": "2024-01-01", "valid_to": "2029-12-31", "status": "有效"}
    values.update(changes)
    return values


def penalty(n=1, **changes):
    values = {"uscc": make_uscc(1), "decision_no": f"巴南市监处罚〔2026〕{n}号", "decision_date": "2026-03-02",
              "department": "SCJGJ", "summary": "销售过期食品，没收违法所得并罚款", "amount": "5000"}
    values.update(changes)
    return values


def as_rows(header, records):
    return [[r[k] for k in header] for r in records]


def licences_csv(*records, encoding="utf-8", header=LICENCE_HEADER):
    return csv_bytes(header, as_rows(LICENCE_HEADER, records), encoding)


def penalties_csv(*records, encoding="utf-8", header=PENALTY_HEADER):
    return csv_bytes(header, as_rows(PENALTY_HEADER, records), encoding)


@pytest.fixture
def entities(regions):
    return [Entity.objects.create(uscc=make_uscc(n), name=f"重庆测试{n}号商贸有限公司", entity_type="enterprise",
                                  industry="F", region=regions[0], status="active") for n in (1, 2)]


# --- File imports ------------------------------------------------------------------------------


def test_licences_import_from_a_utf8_csv_with_chinese_headers(tmp_path, departments, entities):
    data = licences_csv(licence(1), licence(2, issuer=CITY, valid_to="", status="suspended"), header=LICENCE_ZH)
    code, out = import_file(tmp_path, "import_licences", data)
    assert code == 0, out
    assert (out["created"], out["updated"], out["unchanged"]) == (2, 0, 0)
    ours = Licence.objects.get(number="JY1500113000001")
    assert (ours.issuer_name, ours.issuer, ours.status) == ("区市场监管局", departments["SCJGJ"], "valid")
    assert ours.valid_to == date(2029, 12, 31) and ours.entity == entities[0]
    city = Licence.objects.get(number="JY1500113000002")
    assert (city.issuer_name, city.issuer, city.valid_to, city.status) == (CITY, None, None, "suspended")


def test_licences_import_from_a_gb18030_csv(tmp_path, departments, entities):
    data = licences_csv(licence(1, licence_type="药品经营许可证", issuer="重庆市药品监督管理局"), encoding="gb18030")
    code, out = import_file(tmp_path, "import_licences", data)
    assert code == 0, out
    assert Licence.objects.get().licence_type == "药品经营许可证"


def test_penalties_import_from_xlsx_with_date_and_number_cells(tmp_path, departments, entities):
    book = Workbook()
    sheet = book.active
    sheet.append(PENALTY_ZH)
    sheet.append([make_uscc(2), "渝市监罚〔2026〕88号", date(2026, 2, 3), CITY, "虚假宣传", 12000.5])
    sheet.append([make_uscc(1), "巴南市监处罚〔2026〕1号", "2026-03-02", "区市场监管局", "销售过期食品", None])
    buffer = io.BytesIO()
    book.save(buffer)
    code, out = import_file(tmp_path, "import_penalties", buffer.getvalue(), "penalties.xlsx")
    assert code == 0, out
    city = Penalty.objects.get(decision_no="渝市监罚〔2026〕88号")
    assert (city.entity, city.decision_date, city.amount, city.department) == (
        entities[1], date(2026, 2, 3), Decimal("12000.50"), None)
    ours = Penalty.objects.get(decision_no="巴南市监处罚〔2026〕1号")
    assert (ours.department, ours.department_name, ours.amount) == (departments["SCJGJ"], "区市场监管局", None)


def test_each_import_is_one_audit_entry(tmp_path, departments, entities):
    import_file(tmp_path, "import_licences", licences_csv(licence(1), licence(2)))
    import_file(tmp_path, "import_penalties", penalties_csv(penalty(1)))
    entry = AuditEntry.objects.get(action="import_licences")
    assert '"created":2' in entry.payload and '"file":"file.csv"' in entry.payload
    assert AuditEntry.objects.filter(action="import_penalties").count() == 1


def test_reimport_updates_instead_of_duplicating(tmp_path, departments, entities):
    import_file(tmp_path, "import_licences", licences_csv(licence(1), licence(2)))
    code, out = import_file(tmp_path, "import_licences", licences_csv(licence(1, status="revoked"), licence(2)))
    assert code == 0 and (out["created"], out["updated"], out["unchanged"]) == (0, 1, 1)
    assert Licence.objects.count() == 2 and Licence.objects.get(number="JY1500113000001").status == "revoked"
    # The department named by its code or by its name is the same issuer: the same key.
    code, out = import_file(tmp_path, "import_licences", licences_csv(licence(2, issuer="区市场监管局")))
    assert (out["created"], out["unchanged"]) == (0, 1) and Licence.objects.count() == 2

    import_file(tmp_path, "import_penalties", penalties_csv(penalty(1)))
    code, out = import_file(tmp_path, "import_penalties", penalties_csv(penalty(1, summary="更正后的处罚内容")))
    assert (out["created"], out["updated"]) == (0, 1)
    assert Penalty.objects.get().summary == "更正后的处罚内容"


def test_the_same_number_from_two_issuers_is_two_licences(tmp_path, departments, entities):
    code, out = import_file(tmp_path, "import_licences", licences_csv(licence(1), licence(1, issuer=CITY)))
    assert code == 0 and out["created"] == 2


LICENCE_ERRORS = [
    ("unknown code", {"uscc": make_uscc(77)}, "uscc", "名录库中没有该市场主体"),
    ("bad date", {"valid_from": "2024-02-30"}, "valid_from", "日期无效"),
    ("valid_to before valid_from", {"valid_from": "2025-01-01", "valid_to": "2024-12-31"}, "valid_to", "早于"),
    ("unknown status", {"status": "作废"}, "status", "未知的许可状态"),
    ("empty required field", {"licence_type": ""}, "licence_type", "必填项为空"),
    ("empty issuer", {"issuer": ""}, "issuer", "必填项为空"),
]


@pytest.mark.parametrize("label,changes,column,reason", LICENCE_ERRORS, ids=[e[0] for e in LICENCE_ERRORS])
def test_a_bad_licence_row_is_named_and_nothing_is_written(tmp_path, departments, entities, label, changes, column,
                                                           reason):
    code, out = import_file(tmp_path, "import_licences", licences_csv(licence(1), licence(2, **changes)))
    assert code == 1 and out["error_count"] == 1, out
    error = out["errors"][0]
    assert (error["row"], error["column"]) == (3, column) and reason in error["message"]
    assert Licence.objects.count() == 0 and not AuditEntry.objects.filter(action="import_licences").exists()


def test_a_licence_number_twice_in_the_file_is_refused(tmp_path, departments, entities):
    code, out = import_file(tmp_path, "import_licences", licences_csv(licence(1), licence(2), licence(1)))
    assert code == 1 and [(e["row"], e["column"]) for e in out["errors"]] == [(4, "number")]
    assert "文件中重复" in out["errors"][0]["message"] and Licence.objects.count() == 0


PENALTY_ERRORS = [
    ("unknown code", {"uscc": "91500113MA5YD7T31X"}, "uscc", "名录库中没有该市场主体"),
    ("bad date", {"decision_date": "2026/13/01"}, "decision_date", "日期无效"),
    ("date in the future", {"decision_date": "2999-01-01"}, "decision_date", "晚于今天"),
    ("negative amount", {"amount": "-5"}, "amount", "金额无效"),
    ("amount with three decimals", {"amount": "1.005"}, "amount", "两位小数"),
    ("empty summary", {"summary": ""}, "summary", "必填项为空"),
]


@pytest.mark.parametrize("label,changes,column,reason", PENALTY_ERRORS, ids=[e[0] for e in PENALTY_ERRORS])
def test_a_bad_penalty_row_is_named_and_nothing_is_written(tmp_path, departments, entities, label, changes, column,
                                                           reason):
    code, out = import_file(tmp_path, "import_penalties", penalties_csv(penalty(1), penalty(2, **changes)))
    assert code == 1 and out["error_count"] == 1, out
    error = out["errors"][0]
    assert (error["row"], error["column"]) == (3, column) and reason in error["message"]
    assert Penalty.objects.count() == 0


def test_a_decision_number_twice_for_one_department_is_refused(tmp_path, departments, entities):
    data = penalties_csv(penalty(1), penalty(1, department="区市场监管局", uscc=make_uscc(2)))
    code, out = import_file(tmp_path, "import_penalties", data)
    assert code == 1 and [(e["row"], e["column"]) for e in out["errors"]] == [(3, "decision_no")]
    assert Penalty.objects.count() == 0


def test_every_bad_row_is_listed(tmp_path, departments, entities):
    data = licences_csv(licence(1, uscc=make_uscc(50)), licence(2), licence(3, valid_from="昨天"))
    code, out = import_file(tmp_path, "import_licences", data)
    assert [(e["row"], e["column"]) for e in out["errors"]] == [(2, "uscc"), (4, "valid_from")]


def test_an_unknown_column_is_refused(tmp_path, departments, entities):
    data = csv_bytes([*LICENCE_HEADER, "remark"], [[*as_rows(LICENCE_HEADER, [licence(1)])[0], "备注"]])
    code, out = import_file(tmp_path, "import_licences", data)
    assert code == 1 and (out["errors"][0]["row"], out["errors"][0]["column"]) == (1, "remark")


# --- The service the API calls: rows as mappings -----------------------------------------------


def test_the_service_takes_rows_as_mappings_and_counts(departments, entities, personas):
    rows = [licence(1), {**licence(2), "valid_to": None}, {"统一社会信用代码": make_uscc(2), "许可类别": "营业执照",
                                                              "许可证编号": "X-1", "发证机关": CITY,
                                                              "有效期自": "2020-05-06"}]
    report = import_licences(rows, user=personas["coordinator"], source="api")
    assert report.ok and (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert Licence.objects.get(number="X-1").status == "valid"
    entry = AuditEntry.objects.get(action="import_licences")
    assert entry.actor == "user:coordinator" and '"source":"api"' in entry.payload
    again = import_licences(rows, user=personas["coordinator"], source="api")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_the_service_names_each_bad_row_and_field_and_writes_nothing(departments, entities, personas):
    rows = [penalty(1), penalty(2, decision_date="2026-02-31"), {**penalty(3), "color": "red"},
            {**penalty(4), "amount": 12.5}, "not an object", {**penalty(5), "summary": ["a", "b"]}]
    report = import_penalties(rows, user=personas["coordinator"], source="api")
    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [
        (2, "decision_date"), (3, "color"), (5, "row"), (6, "summary")]
    assert Penalty.objects.count() == 0 and not AuditEntry.objects.filter(action="import_penalties").exists()
    assert report.as_dict()["errors"][0] == {"row": 2, "column": "decision_date",
                                             "message": report.errors[0].message}


def test_the_service_refuses_a_role_that_may_not_import(departments, entities, personas):
    for name in ("henry", "ian", "wanda"):
        with pytest.raises(PermissionDenied):
            import_licences([licence(1)], user=personas[name], source="api")
    assert Licence.objects.count() == 0


# --- Department scoping ------------------------------------------------------------------------


def test_a_department_imports_only_as_itself(departments, entities, personas):
    alice, olga, coordinator = personas["alice"], personas["olga"], personas["coordinator"]
    # Olga (WJW) records a city agency's licence: it is WJW's to change.
    assert import_licences([licence(1, issuer=CITY)], user=olga, source="api").ok
    assert Licence.objects.get().owner == departments["WJW"]
    # Alice (SCJGJ) may record her own department's and outside bodies' licences, as SCJGJ.
    report = import_licences([licence(2), licence(3, issuer="重庆市药品监督管理局")], user=alice, source="api")
    assert report.ok and set(Licence.objects.filter(owner=departments["SCJGJ"]).values_list("number", flat=True)) \
        == {"JY1500113000002", "JY1500113000003"}
    # ... but not another department's licence, nor change the one WJW recorded; nothing is written.
    report = import_licences([licence(4), licence(5, issuer="WJW"), licence(1, issuer=CITY, status="revoked")],
                             user=alice, source="api")
    assert [(e.row, e.column) for e in report.errors] == [(2, "issuer"), (3, "number")]
    assert "区卫生健康委" in report.errors[1].message
    assert not Licence.objects.filter(number="JY1500113000004").exists()
    assert Licence.objects.get(number="JY1500113000001").status == "valid"
    # The coordinator changes any record; the owner stays.
    assert import_licences([licence(1, issuer=CITY, status="revoked")], user=coordinator, source="api").ok
    changed = Licence.objects.get(number="JY1500113000001")
    assert (changed.status, changed.owner) == ("revoked", departments["WJW"])


def test_a_department_cannot_change_a_penalty_the_coordinator_recorded(departments, entities, personas):
    assert import_penalties([penalty(1, department=CITY)], user=personas["coordinator"], source="api").ok
    assert Penalty.objects.get().owner is None
    report = import_penalties([penalty(1, department=CITY, summary="改")], user=personas["alice"], source="api")
    assert [(e.row, e.column) for e in report.errors] == [(1, "decision_no")] and "区协调办" in report.errors[0].message
    assert Penalty.objects.get().summary == penalty()["summary"]


def test_the_lock_refuses_a_record_another_department_wrote_since_the_check(departments, entities, personas):
    from spotcheck.records.imports import LicenceImporter

    importer = LicenceImporter(departments["SCJGJ"])
    importer.prepare()
    values = dict(licence(1, issuer=CITY))
    values["valid_from"], values["valid_to"] = date(2024, 1, 1), None
    assert importer.check(2, values) == []
    # WJW records the same licence after SCJGJ's rows were checked.
    assert import_licences([licence(1, issuer=CITY)], user=personas["olga"], source="api").ok
    from spotcheck.directory.imports import ImportRefused

    with pytest.raises(ImportRefused) as refused:
        importer.write([values])
    assert refused.value.error.row == 2 and refused.value.error.column == "number"


def test_the_upload_page_imports_as_the_users_department(departments, entities, personas, login):
    c = login(personas["alice"])
    upload = SimpleUploadedFile("p.csv", penalties_csv(penalty(1), penalty(2, department=CITY)))
    response = c.post(reverse("directory:import_upload", args=["penalties"]), {"file": upload})
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("directory:import_job", args=[job.pk]) and job.status == "done"
    assert set(Penalty.objects.values_list("owner__code", flat=True)) == {"SCJGJ"}
    entry = AuditEntry.objects.get(action="import_penalties")
    assert entry.actor == "user:alice" and '"department":"SCJGJ"' in entry.payload
    refused = SimpleUploadedFile("p.csv", penalties_csv(penalty(3, department="WJW")))
    response = c.post(reverse("directory:import_upload", args=["penalties"]), {"file": refused})
    page = c.get(response["Location"]).content.decode()
    assert "未写入任何数据" in page and Penalty.objects.count() == 2
    assert login(personas["henry"]).get(reverse("directory:import_upload", args=["licences"])).status_code == 403


# --- The public credit record ------------------------------------------------------------------


def test_the_public_page_shows_licences_and_penalties_beside_the_results(client, departments, entities, personas):
    assert import_licences([licence(1), licence(2, issuer=CITY, valid_to="", status="expired")],
                           user=personas["coordinator"], source="api").ok
    assert import_penalties([penalty(1, amount="")], user=personas["coordinator"], source="api").ok
    page = client.get(reverse("public_results:entity", args=[make_uscc(1)])).content.decode()
    results, licences, penalties = (page.index(h) for h in ("已公示的检查结果", "行政许可</h2>", "行政处罚</h2>"))
    assert results < licences < penalties
    for text in ("食品经营许可证", "JY1500113000001", "区市场监管局", "2024-01-01 — 2029-12-31", "有效",
                 CITY, "长期", "过期", "巴南市监处罚〔2026〕1号", "2026-03-02", "销售过期食品"):
        assert text in page, text
    other = client.get(reverse("public_results:entity", args=[make_uscc(2)])).content.decode()
    assert "暂无行政许可信息" in other and "暂无行政处罚信息" in other and "JY1500113000001" not in other


def test_the_public_page_reads_each_section_in_one_query(client, departments, entities, personas):
    url = reverse("public_results:entity", args=[make_uscc(1)])
    import_licences([licence(1)], user=personas["coordinator"], source="api")
    import_penalties([penalty(1)], user=personas["coordinator"], source="api")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    import_licences([licence(n) for n in range(2, 12)], user=personas["coordinator"], source="api")
    import_penalties([penalty(n) for n in range(2, 12)], user=personas["coordinator"], source="api")
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert "JY1500113000011" in page and "巴南市监处罚〔2026〕11号" in page
    assert len(many) == len(few)
    tables = [q["sql"] for q in many if "records_" in q["sql"]]
    assert len(tables) == 2


def test_the_credit_command_lists_licences_and_penalties(departments, entities, personas):
    import_licences([licence(1)], user=personas["coordinator"], source="api")
    import_penalties([penalty(1)], user=personas["coordinator"], source="api")
    code, out = run_command("credit", make_uscc(1))
    assert code == 0
    assert out["licences"][0]["number"] == "JY1500113000001" and out["licences"][0]["status"] == "valid"
    assert out["penalties"][0] == {"decision_no": "巴南市监处罚〔2026〕1号", "decision_date": "2026-03-02",
                                   "department": "区市场监管局", "summary": penalty()["summary"],
                                   "amount": "5000.00"}


# --- The heightened stratum (rules.md R4, our addition from issue #10) -------------------------


def test_a_recent_penalty_makes_an_entity_heightened_like_a_serious_violation_mark():
    plain = EntityFacts("E1", "active", "R1", "F", "enterprise", foreign=True)
    assert stratum(plain, 3) == "foreign"
    assert stratum(plain._replace(recent_penalty=True), 3) == "heightened"
    assert stratum(plain._replace(serious_violation=True), 3) == "heightened"


@pytest.fixture
def plan(published, entities):
    clean, problems = spec.validate({"name": "p", "year": 2026, "departments": ["SCJGJ"], "items": ["SCJGJ-001"]},
                                    spec_context())
    assert not problems, problems.text()
    return create_plan(clean, None)


FRAME_DAY = date(2026, 6, 1)


@pytest.mark.parametrize("days_before,expected", [
    (0, "heightened"), (364, "heightened"), (365, "heightened"), (366, "general"), (-1, "general"),
])
def test_a_penalty_within_365_days_of_the_frame_day_makes_the_entity_heightened(plan, departments, days_before,
                                                                                   expected):
    decided = FRAME_DAY - timedelta(days=days_before)
    Penalty.objects.create(entity=Entity.objects.get(uscc=make_uscc(1)), decision_no="罚1", decision_date=decided,
                           department_name=CITY, summary="处罚")
    strata = dict(frame_for(plan, day=FRAME_DAY).rows)
    assert strata == {make_uscc(1): expected, make_uscc(2): "general"}


def test_a_penalty_imported_through_the_file_moves_the_entity_on_the_credit_page(tmp_path, client, departments,
                                                                                  entities):
    recent = (timezone.localdate() - timedelta(days=364)).isoformat()
    code, out = import_file(tmp_path, "import_penalties", penalties_csv(penalty(1, decision_date=recent)))
    assert code == 0, out
    page = client.get(reverse("public_results:entity", args=[make_uscc(1)])).content.decode()
    assert "属于加大抽查力度的重点对象" in page
    page = client.get(reverse("public_results:entity", args=[make_uscc(2)])).content.decode()
    assert "属于加大抽查力度的重点对象" not in page


def test_run_import_refuses_a_department_upload_of_an_unscoped_kind_only(departments, entities):
    # licences and penalties are department-scoped: a department's upload is taken (as that department).
    outcome = run_import("licences", io.BytesIO(licences_csv(licence(1))), "l.csv", None,
                         department=departments["SCJGJ"])
    assert outcome.ok and Licence.objects.get().owner == departments["SCJGJ"]


def test_the_oversight_census_counts_a_penalised_entity_as_heightened(departments, entities, personas):
    from spotcheck.oversight.selectors import census

    def strata():
        return {stratum: n for _region, _industry, _type, stratum, n in census()}

    assert strata() == {"general": 2}
    recent = (timezone.localdate() - timedelta(days=30)).isoformat()
    assert import_penalties([penalty(1, decision_date=recent)], user=personas["coordinator"], source="api").ok
    assert strata() == {"general": 1, "heightened": 1}


def test_the_credit_command_prints_both_sections(departments, entities, personas):
    import_licences([licence(1, valid_to="")], user=personas["coordinator"], source="api")
    import_penalties([penalty(1)], user=personas["coordinator"], source="api")
    out = io.StringIO()
    call_command("credit", make_uscc(1), stdout=out)
    text = out.getvalue()
    assert "JY1500113000001  区市场监管局  2024-01-01 — 长期" in text
    assert "2026-03-02  巴南市监处罚〔2026〕1号  区市场监管局" in text and "罚没金额 5000.00元" in text


CELLS = st.sampled_from(["", "2024-01-01", "2024-02-30", "有效", "revoked", "作废", "JY1", " x ", "5000", "-5",
                         "1.005", make_uscc(1), "区市场监管局"])


@given(st.lists(st.fixed_dictionaries({k: CELLS for k in LICENCE_HEADER}), min_size=1, max_size=5))
@hypothesis_settings(max_examples=60, deadline=None)
def test_rows_as_mappings_are_read_exactly_as_the_same_rows_in_a_file(rows):
    from spotcheck.lib.tabular import read_mappings, read_rows
    from spotcheck.records.imports import LicenceImporter, PenaltyImporter

    for importer, header in ((LicenceImporter, LICENCE_HEADER), (PenaltyImporter, PENALTY_HEADER)):
        records = [dict(zip(header, r.values(), strict=False)) for r in rows]
        from_file, _total = read_rows(io.BytesIO(csv_bytes(header, as_rows(header, records))), "f.csv",
                                      importer.columns)
        kept = [r for r in records if any(r.values())]  # a file's blank line is skipped
        numbers = [n for n, r in enumerate(records, start=2) if any(r.values())]
        from_rows = [(numbers[i], values, errors) for i, (_n, values, errors) in
                     enumerate(read_mappings(kept, importer.columns, first_row=2))]
        file_rows = list(from_file)
        assert [(n, v) for n, v, _e in file_rows] == [(n, v) for n, v, _e in from_rows]
        assert [[(e.column, e.message) for e in errs] for _n, _v, errs in file_rows] == \
            [[(e.column, e.message) for e in errs] for _n, _v, errs in from_rows]


def test_the_home_page_links_the_uploads_for_those_who_may_import(personas, login):
    url = reverse("directory:import_upload", args=["penalties"])
    for name, shown in (("coordinator", True), ("alice", True), ("henry", False), ("ian", False)):
        assert (url in login(personas[name]).get(reverse("home")).content.decode()) is shown, name


def test_a_key_written_by_another_import_meanwhile_refuses_the_file(departments, entities, monkeypatch):
    from spotcheck.records import imports as record_imports

    # Another import writes the same licence between this import's read of the existing rows and its insert.
    original = record_imports.Licence.objects.bulk_create

    def racing(objects, **kwargs):
        original([Licence(entity=entities[0], licence_type="x", number=objects[0].number,
                          issuer_name=objects[0].issuer_name, valid_from=date(2024, 1, 1))])
        return original(objects, **kwargs)

    monkeypatch.setattr(record_imports.Licence.objects, "bulk_create", racing)
    outcome = run_import("licences", io.BytesIO(licences_csv(licence(1), licence(2))), "l.csv", None)
    assert not outcome.ok and "另一导入同时写入" in outcome.errors[0].message
    monkeypatch.undo()
    assert Licence.objects.count() == 0
