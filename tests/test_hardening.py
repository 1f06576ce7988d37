"""Hardening (issue #12 §6): no secret in error reports, the certificate stored once, DATABASE_URL parsed."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils.log import AdminEmailHandler
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from spotcheck.draws import certificate as certificate_module
from spotcheck.draws.models import Commitment
from spotcheck.draws.service import commit
from spotcheck.settings import database_from_url
from tests.conftest import ENTROPY, PASSWORD, approved_plan, draw_run, run_command

CLEANSED_SUBSTITUTE = SafeExceptionReporterFilter.cleansed_substitute

# --- No secret in an error report --------------------------------------------------------------


@pytest.fixture
def committed(district, personas):
    """An approved plan committed by its lead department's administrator, due now."""
    plan = approved_plan()
    commit(plan, personas["alice"])
    return plan, Commitment.objects.get(plan=plan)


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.ADMINS = [("运维", "ops@example.gov.cn")]


def _reports(record: logging.LogRecord) -> str:
    """Return everything the error's report shows: the log line, the reporter's text and HTML, the admins' mail."""
    request = record.request  # type: ignore[attr-defined]
    reporter = ExceptionReporter(request, *record.exc_info, is_email=True)
    mail.outbox.clear()
    AdminEmailHandler(include_html=True).emit(record)
    (message,) = mail.outbox
    html = "".join(str(content) for content, _ in message.alternatives)
    return "\n".join([record.getMessage(), reporter.get_traceback_text(), reporter.get_traceback_html(),
                      message.subject, message.body, html])


def _variables(record: logging.LogRecord, function: str, module: str) -> dict:
    """Return the variables the error's report gives for the frame of ``function`` in ``module``."""
    reporter = ExceptionReporter(record.request, *record.exc_info)  # type: ignore[attr-defined]
    for frame in reporter.get_traceback_frames():
        if frame["function"] == function and frame["filename"].endswith(module):
            return dict(frame["vars"])
    raise AssertionError(f"no frame of {function} in {module}")


def _hidden(variables: dict) -> bool:
    return bool(variables) and all(value == CLEANSED_SUBSTITUTE for value in variables.values())


def _draw_that_fails(personas, plan, caplog) -> tuple[object, logging.LogRecord]:
    client = Client(raise_request_exception=False)
    client.force_login(personas["alice"])
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.post(reverse("draws:ceremony", args=[plan.pk]), {
            "entropy": ENTROPY, "w0_name": "李公证", "w0_capacity": "notary", "w0_org": "巴南公证处"})
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    return response, record


def test_an_error_after_the_draw_shows_no_secret(committed, personas, production, caplog, monkeypatch):
    plan, c = committed

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("spotcheck.draws.service._create_tasks", fail)
    response, record = _draw_that_fails(personas, plan, caplog)
    assert response.status_code == 500
    assert c.server_secret not in response.content.decode()
    reports = _reports(record) + caplog.text
    # The report is the real one: the failing frame is there, its variables hidden.
    assert "the database went away" in reports and "_create_tasks" in reports and "********" in reports
    assert c.server_secret not in reports
    # Every frame from the service down hides its variables (a long record is trimmed in the
    # report, which can hide the secret by luck: these do not count on it).
    assert _hidden(_variables(record, "run", "draws/service.py"))
    assert _hidden(_variables(record, "fail", "tests/test_hardening.py"))
    c.refresh_from_db()
    assert c.status == "committed" and not c.record  # rolled back: the secret is still unrevealed


def test_an_error_inside_the_pure_draw_shows_no_secret(committed, personas, production, caplog, monkeypatch):
    plan, c = committed

    def fail(*args, **kwargs):
        raise RuntimeError("no team today")

    monkeypatch.setattr("spotcheck.draw.v2.assign_teams", fail)
    response, record = _draw_that_fails(personas, plan, caplog)
    assert response.status_code == 500
    reports = _reports(record) + caplog.text
    assert "no team today" in reports and "assign_teams" in reports and "server_secret" in reports
    assert c.server_secret not in reports and c.server_secret not in response.content.decode()
    assert _hidden(_variables(record, "run", "draw/v2.py")) and _hidden(_variables(record, "_make_record",
                                                                                    "draws/service.py"))


def test_an_error_during_commit_shows_no_secret(district, personas, production, caplog, monkeypatch):
    plan = approved_plan()
    secrets_made = []
    from spotcheck import draw

    real = draw.new_secret

    def remember():
        secrets_made.append(real())
        return secrets_made[-1]

    def fail(*args, **kwargs):
        raise RuntimeError("the plan could not be saved")

    monkeypatch.setattr(draw, "new_secret", remember)
    monkeypatch.setattr("spotcheck.draws.service.record", fail)
    client = Client(raise_request_exception=False)
    client.force_login(personas["alice"])
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.post(reverse("draws:commit", args=[plan.pk]), {"source": "witnesses",
                               "planned_draw_at": "2099-01-01T09:00"})
    assert response.status_code == 500 and secrets_made
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    reports = _reports(record) + caplog.text
    assert "the plan could not be saved" in reports and "********" in reports
    assert secrets_made[0] not in reports and secrets_made[0] not in response.content.decode()
    assert _hidden(_variables(record, "commit", "draws/service.py"))
    assert not Commitment.objects.exists()


def test_an_error_during_login_shows_no_password(personas, production, caplog, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("the throttle's table is locked")

    monkeypatch.setattr("spotcheck.accounts.throttle.record_failure", fail)
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.post(reverse("login"), {"username": "alice", "password": "Wrong-Secret-77"})
    assert response.status_code == 500
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    reports = _reports(record)
    assert "the throttle's table is locked" in reports and "Wrong-Secret-77" not in reports
    assert PASSWORD not in reports
    assert _hidden(_variables(record, "clean", "accounts/forms.py"))


# --- The certificate, rendered once per draw ---------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


@pytest.fixture
def drawn(district, media):
    plan = approved_plan()
    run_command("draw_commit", str(plan.pk))
    draw_run(plan)
    return plan, Commitment.objects.get(plan=plan)


def test_the_certificate_is_rendered_once_and_served_from_storage(drawn, media, monkeypatch):
    plan, c = drawn
    calls = []

    def render(plan_, c_):
        calls.append(c_.pk)
        return b"%PDF-1.7 rendered for " + c_.commitment.encode()

    monkeypatch.setattr(certificate_module, "render_certificate", render)
    url = reverse("portal:certificate", args=[plan.pk])
    first = Client().get(url)
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf" and calls == [c.pk]
    name = certificate_module.certificate_name(c)
    assert default_storage.exists(name) and Path(default_storage.path(name)).is_relative_to(media)
    assert first.content == default_storage.open(name).read()
    # The stored file is what is served from now on: change it, and the next request shows the change.
    Path(default_storage.path(name)).write_bytes(b"%PDF-1.7 the stored copy")
    second = Client().get(url)
    assert second.content == b"%PDF-1.7 the stored copy" and calls == [c.pk]
    assert Client().get(url).content == b"%PDF-1.7 the stored copy" and calls == [c.pk]


def test_the_stored_certificate_is_the_real_pdf(drawn):
    plan, c = drawn
    content = Client().get(reverse("portal:certificate", args=[plan.pk])).content
    assert content.startswith(b"%PDF") and default_storage.open(certificate_module.certificate_name(c)).read() == content


def test_a_certificate_stored_for_another_draw_with_the_same_id_is_not_served(drawn, monkeypatch):
    plan, c = drawn
    # A database made again beside old files: the same id, another draw.
    stale = f"certificates/draw-{c.pk}-{'0' * 64}.pdf"
    default_storage.save(stale, io.BytesIO(b"%PDF another draw"))
    monkeypatch.setattr(certificate_module, "render_certificate", lambda plan_, c_: b"%PDF this draw")
    assert Client().get(reverse("portal:certificate", args=[plan.pk])).content == b"%PDF this draw"


def test_a_second_render_that_lost_the_race_leaves_no_copy(drawn, monkeypatch):
    plan, c = drawn
    name = certificate_module.certificate_name(c)

    def render(plan_, c_):
        # Another request stores the certificate while this one renders.
        default_storage.save(name, io.BytesIO(b"%PDF first"))
        return b"%PDF second"

    monkeypatch.setattr(certificate_module, "render_certificate", render)
    assert certificate_module.certificate_pdf(plan, c) == b"%PDF second"
    assert default_storage.listdir("certificates")[1] == [Path(name).name]
    assert default_storage.open(name).read() == b"%PDF first"


# --- DATABASE_URL ------------------------------------------------------------------------------


def test_sqlite_urls_relative_absolute_and_in_memory(tmp_path):
    relative = database_from_url("sqlite:///data/x.sqlite3")
    assert relative["ENGINE"] == "django.db.backends.sqlite3" and relative["NAME"] == "data/x.sqlite3"
    assert relative["OPTIONS"] == {"transaction_mode": "IMMEDIATE", "timeout": 20,
                                   "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    target = tmp_path / "new folder" / "x.sqlite3"
    absolute = database_from_url(f"sqlite:///{target.as_posix()}")
    assert absolute["NAME"] == target.as_posix() and target.parent.is_dir()  # the folder is made
    memory = database_from_url("sqlite:///:memory:")
    assert memory["NAME"] == ":memory:" and "init_command" not in memory["OPTIONS"]  # no WAL in memory


def test_postgres_urls_with_password_host_and_port():
    for scheme in ("postgres", "postgresql", "pgsql"):
        db = database_from_url(f"{scheme}://u:p%40ss@db.example:5433/spot")
        assert db["ENGINE"] == "django.db.backends.postgresql"
        assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
            "u", "p@ss", "db.example", "5433", "spot")
        assert db["OPTIONS"] == {} and db["CONN_MAX_AGE"] == 60


def test_postgres_url_of_a_unix_socket_as_the_throwaway_cluster_writes_it():
    db = database_from_url("postgres://postgres@/spotcheck?host=/tmp/spotcheck-pg.abc123")
    assert (db["USER"], db["HOST"], db["PORT"], db["NAME"]) == ("postgres", "/tmp/spotcheck-pg.abc123", "",
                                                                  "spotcheck")
    assert db["OPTIONS"] == {}
    with_port = database_from_url("postgres://u@/spot?host=/run/pg&port=5433&sslmode=disable")
    assert (with_port["HOST"], with_port["PORT"]) == ("/run/pg", "5433")
    assert with_port["OPTIONS"] == {"sslmode": "disable"}
    encoded = database_from_url("postgresql://%2Frun%2Fpg/spot")
    assert encoded["HOST"] == "/run/pg" and encoded["NAME"] == "spot"


def test_other_databases_and_junk_are_refused():
    from django.core.exceptions import ImproperlyConfigured

    for url in ("mysql://x/y", "oracle://u@h/db", "nonsense://x", "x"):
        with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
            database_from_url(url)
