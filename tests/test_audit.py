"""The hash-chained audit log (rules.md R8)."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from spotcheck.audit.log import record, verify_chain
from spotcheck.audit.models import AuditEntry, AuditHead

pytestmark = pytest.mark.django_db


def _fill(n=5):
    return [record("user:alice", "test_action", "thing", i, {"n": i, "名": "值"}) for i in range(1, n + 1)]


def _raw(sql, params=()):
    """Change the table behind the application's back, as an attacker with database access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_auditentry_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_auditentry_append_only")


def test_entries_are_chained_and_the_head_follows():
    entries = _fill(3)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[1].prev_hash == entries[0].hash
    head = AuditHead.current()
    assert (head.seq, head.hash) == (3, entries[2].hash)
    assert verify_chain().ok


def test_the_payload_is_canonical_json():
    entry = record("cli:x", "a", "t", 1, {"b": 1, "a": "中"})
    assert entry.payload == '{"a":"中","b":1}'


def test_a_changed_payload_is_found_at_its_position():
    _fill()
    _raw("UPDATE audit_auditentry SET payload = %s WHERE seq = 3", [json.dumps({"n": 99})])
    report = verify_chain()
    assert not report.ok and report.bad_position == 3


def test_a_deleted_entry_is_found_at_its_position():
    _fill()
    _raw("DELETE FROM audit_auditentry WHERE seq = 2")
    report = verify_chain()
    assert not report.ok and report.bad_position == 2


def test_a_deleted_last_entry_is_found_against_the_head():
    _fill()
    _raw("DELETE FROM audit_auditentry WHERE seq = 5")
    report = verify_chain()
    assert not report.ok and report.bad_position == 5


def test_swapped_entries_are_found_at_the_first_of_them():
    _fill()
    a, b = AuditEntry.objects.get(seq=2), AuditEntry.objects.get(seq=3)
    # Swap everything but the sequence numbers, so the rows stay in order.
    for target, source in ((a, b), (b, a)):
        _raw("UPDATE audit_auditentry SET at=%s, actor=%s, action=%s, object_type=%s, object_id=%s,"
             " payload=%s, prev_hash=%s, hash=%s WHERE seq=%s",
             [source.at, source.actor, source.action, source.object_type, source.object_id,
              source.payload, source.prev_hash, source.hash, target.seq])
    report = verify_chain()
    assert not report.ok and report.bad_position == 2


def test_the_application_cannot_update_or_delete_entries():
    entry = _fill(1)[0]
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.update(actor="x")


def test_postgresql_refuses_update_and_delete_in_the_database():
    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL; this suite also runs there in make test")
    _fill(1)
    for sql in ("UPDATE audit_auditentry SET actor = 'x'", "DELETE FROM audit_auditentry"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEntry.objects.get(seq=1).actor == "user:alice"


def test_an_entry_rolls_back_with_its_change():
    with pytest.raises(RuntimeError), transaction.atomic():
        record("user:x", "a", "t", 1)
        raise RuntimeError
    assert AuditEntry.objects.count() == 0 and AuditHead.current().seq == 0


def test_audit_verify_command(capsys):
    _fill()
    call_command("audit_verify", "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["valid"] and out["head"]["seq"] == 5
    _raw("UPDATE audit_auditentry SET actor = 'mallory' WHERE seq = 4")
    with pytest.raises(SystemExit) as exit_:
        call_command("audit_verify", "--json")
    assert exit_.value.code == 1
    out = json.loads(capsys.readouterr().out)
    assert out == {**out, "valid": False, "bad_position": 4}


def test_the_transparency_page_shows_the_head(client):
    entries = _fill(2)
    page = client.get(reverse("portal:transparency")).content.decode()
    assert entries[-1].hash in page
    assert client.get(reverse("portal:audit_head")).json() == {"seq": 2, "hash": entries[-1].hash}


def test_the_coordinator_can_verify_from_the_web(personas, login):
    _fill(2)
    page = login(personas["coordinator"]).get(reverse("audit:log") + "?verify=1").content.decode()
    assert "哈希链完好" in page
