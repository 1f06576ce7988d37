"""Commit, draw, record and verification through the system (issues #4 and #7, docs/draw/README.md)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from spotcheck import draw
from spotcheck.audit.models import AuditEntry, AuditHead
from spotcheck.directory.models import Conflict, Entity, Inspector
from spotcheck.draws.models import Commitment
from spotcheck.draws.service import DrawRefused, run
from spotcheck.inspections.models import Task
from spotcheck.plans import spec
from spotcheck.plans.framedata import frame_for, spec_context
from spotcheck.plans.models import Plan, create_plan
from tests.conftest import ENTROPY, approved_plan, draw_run, make_uscc, run_command
from tests.vectors import V2, inputs_of

command = run_command
pytestmark = pytest.mark.django_db


def test_commit_freezes_frame_and_pool_and_hides_the_secret(district, capsys):
    plan = approved_plan()
    code, out = command("draw_commit", str(plan.pk))
    assert code == 0 and {"commitment", "frame_digest", "pool_digest", "params_digest", "frame_count"} <= set(out)
    c = Commitment.objects.get()
    # The parameters are published beside their digest, fixed before the entropy is known.
    assert out["params_digest"] == c.params_digest == draw.v2.params_digest(
        draw.strata_table(sorted(frame_for(plan).rows), plan.strata), plan.team_size, [], c.capacity)
    assert out["capacity"] == c.capacity == {"SCJGJ": c.capacity["SCJGJ"]} and out["team_size"] == 2
    assert out["entropy_source"] == "witnesses" and out["spec"] == "spotcheck-draw/2"
    frame = frame_for(plan)
    assert out["frame_count"] == len(frame.rows) == c.frame_count
    assert out["frame_digest"] == draw.frame_digest(frame.rows)
    assert out["commitment"] == draw.commitment(c.server_secret)
    plan.refresh_from_db()
    assert plan.status == "committed"
    # The secret appears nowhere before the draw: not in the audit log, the output, or any page.
    assert not AuditEntry.objects.filter(payload__contains=c.server_secret).exists()
    assert c.server_secret not in json.dumps(out)
    from django.test import Client

    public = Client().get(reverse("portal:plan", args=[plan.pk])).content.decode()
    assert c.commitment in public and c.server_secret not in public and c.params_digest in public
    assert f"SCJGJ {c.capacity['SCJGJ']}" in public and "现场监督见证人提供" in public
    details = json.loads(AuditEntry.objects.get(action="draw_commit").payload)
    assert details["params_digest"] == c.params_digest and details["capacity"] == c.capacity
    assert Client().get(reverse("portal:record", args=[plan.pk])).status_code == 404


def test_only_an_approved_plan_is_committed(district):
    clean, _ = spec.validate({"name": "n", "year": 2026, "departments": ["SCJGJ"], "items": ["SCJGJ-001"]},
                             spec_context())
    plan = create_plan(clean, None)
    code, out = command("draw_commit", str(plan.pk))
    assert code == 1 and "只有已批准的计划" in out["error"]
    assert Commitment.objects.count() == 0


def test_a_count_below_the_floor_is_refused(district):
    plan = approved_plan(strata={"general": {"count": 1}})
    code, out = command("draw_commit", str(plan.pk))
    assert code == 1 and "低于最低比例要求" in out["error"]


def test_the_draw_makes_tasks_and_a_record_that_verifies(district, tmp_path):
    plan = approved_plan()
    command("draw_commit", str(plan.pk))
    # A directory change after the commitment does not touch the frozen frame.
    Entity.objects.filter(uscc=make_uscc(1)).update(status="revoked")
    code, out = draw_run(plan, f"  {ENTROPY}\n")
    assert code == 0
    c = Commitment.objects.get()
    record = json.loads(c.record)
    assert out == {"seed": record["seed"], "selected": len(record["selected"])}
    assert record["public_entropy"] == ENTROPY and record["server_secret"] == c.server_secret
    assert [r[0] for r in record["frame"]["rows"]].count(make_uscc(1)) == 1
    assert draw.verify(record) is None
    tasks = list(Task.objects.filter(plan=plan).order_by("order"))
    assert [t.entity.uscc for t in tasks] == [s["entity"] for s in record["selected"]]
    assert all(t.items == ["SCJGJ-001"] for t in tasks)
    assert [i.cert_no for i in tasks[0].team()] == record["selected"][0]["team"]
    assert not any(s["entity"] == make_uscc(5) and "S002" in s["team"] for s in record["selected"])
    entry = AuditEntry.objects.get(action="draw_run")
    assert record["audit_anchor"] == {"seq": entry.seq, "hash": entry.hash} == {"seq": AuditHead.current().seq,
                                                                               "hash": AuditHead.current().hash}
    assert (c.witnesses.get().name, c.witnesses.get().organisation) == ("张三", "巴南公证处")
    # draw_record writes exactly the stored record; both verifiers accept it.
    code, _ = command("draw_record", str(plan.pk), "--out", str(tmp_path / "r.json"))
    assert (tmp_path / "r.json").read_text(encoding="utf-8") == c.record
    assert command("verify_draw", str(tmp_path / "r.json")) == (0, {"valid": True})
    result = subprocess.run([sys.executable, "-m", "spotcheck.verify", str(tmp_path / "r.json"), "--json"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and json.loads(result.stdout) == {"valid": True}


def test_a_version_1_commitment_made_before_the_upgrade_is_drawn_by_version_1(district, tmp_path):
    """A commitment stored under spotcheck-draw/1 keeps its rules: drawn by v1, its record verifies as v1."""
    plan = approved_plan()
    command("draw_commit", str(plan.pk))
    c = Commitment.objects.get()
    # As migration 0002 leaves a commitment made before it: spec v1, no params_digest, and the one
    # capacity of version 1's default (the same number as version 2's for a single department).
    selected = sum(s["sample_size"] for s in draw.strata_table(sorted(frame_for(plan).rows), plan.strata))
    capacity = draw.v1.default_capacity(selected, plan.team_size, c.pool_count)
    assert c.capacity == {"SCJGJ": capacity}
    Commitment.objects.update(spec=draw.v1.SPEC, params_digest="", capacity=capacity)
    code, out = draw_run(plan)
    assert code == 0
    c.refresh_from_db()
    record = json.loads(c.record)
    assert record["spec"] == "spotcheck-draw/1" and "params_digest" not in record and record["capacity"] == capacity
    # Exactly the record version 1 makes from the committed inputs (version 2 sends other teams).
    inputs = inputs_of(record)
    assert draw.dumps({**draw.v1.run(**inputs), "audit_anchor": record["audit_anchor"]}) == c.record
    assert [s["team"] for s in record["selected"]] != [
        s["team"] for s in draw.v2.run(**{**inputs, "capacity": {"SCJGJ": capacity}})["selected"]]
    assert record["seed"] == c.seed == out["seed"] and record["frame"]["digest"] == c.frame_digest
    tasks = list(Task.objects.filter(plan=plan).order_by("order"))
    assert [[i.cert_no for i in t.team()] for t in tasks] == [s["team"] for s in record["selected"]]
    path = tmp_path / "v1.json"
    path.write_text(c.record, encoding="utf-8")
    assert draw.verify(record) is None and command("verify_draw", str(path)) == (0, {"valid": True})
    text = io.StringIO()
    call_command("verify_draw", str(path), stdout=text)
    assert text.getvalue().startswith("有效（spotcheck-draw/1）")


def test_draw_record_prints_the_record_to_standard_output(district, capsys):
    plan = approved_plan()
    command("draw_commit", str(plan.pk))
    draw_run(plan)
    capsys.readouterr()
    call_command("draw_record", str(plan.pk))
    assert json.loads(capsys.readouterr().out)["spec"] == "spotcheck-draw/2"


def test_a_second_draw_is_refused(district):
    plan = approved_plan()
    command("draw_commit", str(plan.pk))
    assert draw_run(plan)[0] == 0
    code, out = draw_run(plan, "other")
    assert code == 1 and "没有待抽取的承诺" in out["error"]
    assert Task.objects.count() == len(json.loads(Commitment.objects.get().record)["selected"])


def test_empty_entropy_is_refused(district):
    plan = approved_plan()
    command("draw_commit", str(plan.pk))
    code, out = draw_run(plan, "   ")
    assert code == 1 and "公开随机数不能为空" in out["error"]
    assert Commitment.objects.get().status == "committed"


def test_an_impossible_team_publishes_a_failure_record_and_the_next_commitment_says_why(
        district, departments, tmp_path, client):
    # A joint plan whose second department has one inspector, who declared a conflict with everyone.
    Inspector.objects.filter(department=departments["WJW"]).exclude(cert_no="W001").delete()
    w001 = Inspector.objects.get(cert_no="W001")
    for entity in Entity.objects.all():
        Conflict.objects.create(inspector=w001, uscc=entity.uscc, status="confirmed")
    plan = approved_plan(departments=("SCJGJ", "WJW"), items=("SCJGJ-001", "WJW-001"),
                         strata={"general": {"ratio": "0.5"}})
    command("draw_commit", str(plan.pk))
    code, out = draw_run(plan)
    assert code == 1 and out["entity"] and "WJW" in out["error"]
    c = Commitment.objects.get()
    assert c.status == "void" and out["entity"] in c.void_reason
    assert Task.objects.count() == 0
    plan.refresh_from_db()
    assert plan.status == "approved"
    # The failure is published: secret, entropy and witnesses revealed, the record verifies as a failure.
    record = json.loads(c.record)
    assert record["selected"] == [] and record["failure"] == {"entity": out["entity"], "slot": 1,
                                                              "department": "WJW"}
    assert record["server_secret"] == c.server_secret and record["public_entropy"] == ENTROPY
    assert draw.verify(record) is None and c.witnesses.get().name == "张三"
    assert json.loads(AuditEntry.objects.get(action="draw_void").payload)["server_secret"] == c.server_secret
    page = client.get(reverse("portal:plan", args=[plan.pk])).content.decode()
    assert "抽取失败" in page and c.server_secret in page and "张三" in page
    assert client.get(reverse("portal:record", args=[plan.pk]) + "?attempt=1").content.decode() == c.record
    (tmp_path / "failed.json").write_text(c.record, encoding="utf-8")
    assert command("verify_draw", str(tmp_path / "failed.json")) == (0, {"valid": True})
    # The next commitment needs a reason, which is public beside the failed record.
    for n in range(2, 40):
        Inspector.objects.create(cert_no=f"W{n:03d}", name=f"卫健{n}", department=departments["WJW"])
    code, out = command("draw_commit", str(plan.pk))
    assert code == 1 and "上一次抽取失败" in out["error"] and plan.commitments.count() == 1
    assert command("draw_commit", str(plan.pk), "--reason", "增加卫健委执法人员38名")[0] == 0
    assert "增加卫健委执法人员38名" in client.get(reverse("portal:plan", args=[plan.pk])).content.decode()
    assert draw_run(plan)[0] == 0
    assert list(plan.commitments.values_list("attempt", "status")) == [(1, "void"), (2, "drawn")]
    record = json.loads(plan.commitments.get(attempt=2).record)
    assert record["required_departments"] == ["SCJGJ", "WJW"]
    assert all(Inspector.objects.get(cert_no=s["team"][0]).department.code == "SCJGJ" for s in record["selected"])
    assert draw.verify(record) is None


def test_tasks_of_a_drawn_plan_count_for_later_frames(district):
    first = approved_plan()
    command("draw_commit", str(first.pk))
    draw_run(first)
    drawn = set(Task.objects.values_list("entity__uscc", flat=True))
    second = approved_plan(items=("SCJGJ-001", "SCJGJ-002"))
    exclusions = dict(frame_for(second).exclusions)
    assert all(exclusions.get(code) == "already_inspected" for code in drawn)
    other_item = approved_plan(items=("SCJGJ-002",))
    assert not any(code in dict(frame_for(other_item).exclusions) for code in drawn)


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_draws_make_one(district):
    plan = approved_plan()
    command("draw_commit", str(plan.pk))
    outcomes: list[str] = []

    def attempt(text):
        try:
            run(Plan.objects.get(pk=plan.pk), text, None, [("张三", "notary", "")])
            outcomes.append("drawn")
        except DrawRefused:
            outcomes.append("refused")
        except Exception as exc:  # a database lock error is a refusal too
            outcomes.append(f"error:{type(exc).__name__}")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(f"{ENTROPY} {i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("drawn") == 1, outcomes
    c = Commitment.objects.get()
    assert c.status == "drawn" and draw.verify(json.loads(c.record)) is None
    assert Task.objects.count() == len(json.loads(c.record)["selected"])
    assert AuditEntry.objects.filter(action="draw_run").count() == 1


def test_public_downloads_of_a_drawn_plan(district, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # the certificate is stored on its first request
    plan = approved_plan()
    command("draw_commit", str(plan.pk))
    draw_run(plan)
    c = Commitment.objects.get()
    assert client.get(reverse("portal:record", args=[plan.pk])).content.decode() == c.record
    page = client.get(reverse("portal:plan", args=[plan.pk])).content.decode()
    assert c.server_secret in page and c.seed in page and ENTROPY in page
    csv_text = b"".join(client.get(reverse("portal:selected", args=[plan.pk, "csv"])).streaming_content)
    lines = csv_text.decode("utf-8-sig").splitlines()
    assert lines[0] == "抽取顺序,统一社会信用代码,名称,分层,签号,检查组执法证号,检查组姓名"
    assert len(lines) == len(json.loads(c.record)["selected"]) + 1 and any(",一般," in line for line in lines[1:])
    english = b"".join(client.get(reverse("portal:selected", args=[plan.pk, "csv"]), {"lang": "en"}).streaming_content)
    assert english.decode("utf-8-sig").splitlines()[0] == "order,uscc,name,stratum,ticket,team,team_names"
    xlsx = b"".join(client.get(reverse("portal:selected", args=[plan.pk, "xlsx"])).streaming_content)
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet.max_row == len(json.loads(c.record)["selected"]) + 1 and sheet.title == "抽取结果"
    pdf = client.get(reverse("portal:certificate", args=[plan.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages).replace("\n", "")
    record = json.loads(c.record)
    for expected in (plan.number, c.commitment, c.seed, c.params_digest, ENTROPY, "随机抽查抽取证明", "spotcheck-draw/2",
                     record["selected"][0]["entity"]):
        assert expected in text, expected


def test_the_web_ceremony(district, personas, login):
    plan = approved_plan()
    alice = login(personas["alice"])
    assert login(personas["henry"]).post(reverse("draws:commit", args=[plan.pk])).status_code == 403
    soon = timezone.localtime() + timedelta(minutes=5)
    response = alice.post(reverse("draws:commit", args=[plan.pk]),
                          {"planned_draw_at": soon.strftime("%Y-%m-%dT%H:%M:%S"), "source": "witnesses"})
    assert response["Location"] == reverse("draws:ceremony", args=[plan.pk])
    page = alice.get(response["Location"]).content.decode()
    c = Commitment.objects.get()
    assert c.commitment in page and c.server_secret not in page and "开始抽取" in page
    assert '<body class="present">' in alice.get(response["Location"] + "?present=1").content.decode()
    Commitment.objects.update(planned_draw_at=timezone.now())  # the announced time has come
    response = alice.post(reverse("draws:ceremony", args=[plan.pk]), {
        "entropy": ENTROPY, "w0_name": "李公证", "w0_capacity": "notary", "w0_org": "巴南公证处",
        "w1_name": "王代表", "w1_capacity": "deputy"})
    page = alice.get(reverse("draws:ceremony", args=[plan.pk])).content.decode()
    c.refresh_from_db()
    assert c.status == "drawn" and c.seed in page and "李公证" in page and "王代表" in page
    assert json.loads(c.record)["selected"][0]["ticket"] in page


def test_verify_module_runs_without_django(tmp_path):
    vector = V2[0]
    code = (f"import sys, runpy; sys.modules['django'] = None; sys.argv = ['verify', {str(vector)!r}, '--json'];"
            " runpy.run_module('spotcheck.verify', run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and json.loads(result.stdout) == {"valid": True}
    record = json.loads(vector.read_text(encoding="utf-8"))
    record["seed"] = "0" * 64
    (tmp_path / "bad.json").write_text(json.dumps(record), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "spotcheck.verify", str(tmp_path / "bad.json"), "--json"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and json.loads(result.stdout) == {"valid": False, "failed": "seed"}
    (tmp_path / "junk.json").write_text("{", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "spotcheck.verify", str(tmp_path / "junk.json")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1


def test_witnesses_watch_ceremonies_and_inspectors_see_their_tasks(district, personas, login, client):
    plan = approved_plan()
    command("draw_commit", str(plan.pk))
    wanda = login(personas["wanda"])
    assert plan.number in wanda.get(reverse("home")).content.decode()
    page = wanda.get(reverse("draws:ceremony", args=[plan.pk])).content.decode()
    assert "等待牵头部门管理员现场抽取" in page and Commitment.objects.get().server_secret not in page
    assert wanda.post(reverse("draws:ceremony", args=[plan.pk]), {"entropy": "1"}).status_code == 403
    draw_run(plan)
    assert "暂无检查任务" in login(personas["ian"]).get(reverse("home")).content.decode() or Task.objects.filter(
        members__inspector=personas["ian"].inspector).exists()
    task = Task.objects.order_by("order").first()
    ian = personas["ian"]
    ian.inspector = task.members.get(position=0).inspector  # the leader of the first team logs in
    ian.save()
    home = login(ian).get(reverse("home")).content.decode()
    assert task.entity.name in home and task.plan.number in home
    assert plan.number in client.get(reverse("portal:index")).content.decode()
