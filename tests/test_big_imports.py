"""Big imports do not lock the site (issue #12 §3).

An import checks every row first without holding the write lock, then writes in one short
transaction; its progress is written on a connection of its own; a job whose worker died is
marked failed and its upload removed; a worker killed mid-write leaves no row behind. The
threads are ordered by events (never by timing); the files are small, in batches of 50.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from spotcheck.audit.log import verify_chain
from spotcheck.audit.models import AuditEntry
from spotcheck.directory import imports, jobs
from spotcheck.directory.imports import EntityImporter
from spotcheck.directory.models import Entity, ImportJob, JobStatus
from tests.conftest import PASSWORD, approved_plan, csv_bytes, run_command
from tests.databases import file_database
from tests.test_import_entities import HEADER, row

ROWS = 300
WAIT = 60  # seconds an event may take before the test gives up (a hang, not a timing assertion)


def stored_job(tmp_path, user, rows: int = ROWS, **fields) -> ImportJob:
    path = tmp_path / "uploads" / f"{ImportJob.objects.count()}.csv"  # one file per job
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(csv_bytes(HEADER, [row(n) for n in range(1, rows + 1)]))
    return ImportJob.objects.create(kind="entities", file_name="e.csv", stored_path=str(path),
                                    created_by=user, total=rows, **fields)


class Pause:
    """Hold the import at one point until the test lets it go on."""

    def __init__(self) -> None:
        self.reached, self.resume = threading.Event(), threading.Event()

    def __call__(self) -> None:
        self.reached.set()
        assert self.resume.wait(WAIT), "the test never let the import go on"

    def wait(self) -> None:
        assert self.reached.wait(WAIT), "the import never reached the pause"


def progress_seen() -> ImportJob:
    """The job as another connection sees it (this thread's, not the import's)."""
    return ImportJob.objects.get()


@pytest.mark.django_db(transaction=True)
def test_reads_and_logins_answer_and_progress_moves_during_a_large_import(
        regions, personas, tmp_path, monkeypatch, settings):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(imports, "BATCH", 50)
    checking, writing = Pause(), Pause()
    check, write = EntityImporter.check, EntityImporter.write
    written_batches = []

    def paused_check(self, number, values):
        if number == 152:  # row 152 is the 151st data row: three batches checked
            checking()
        return check(self, number, values)

    def paused_write(self, rows):
        counts = write(self, rows)
        written_batches.append(len(rows))
        if len(written_batches) == 2:  # inside the write transaction, two batches written
            writing()
        return counts

    monkeypatch.setattr(EntityImporter, "check", paused_check)
    monkeypatch.setattr(EntityImporter, "write", paused_write)
    job = stored_job(tmp_path, personas["coordinator"])
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            jobs.execute(ImportJob.objects.select_related("created_by", "department").get(pk=job.pk))
        except BaseException as exc:  # noqa: BLE001 - reported by the test's thread
            failures.append(exc)
            checking.reached.set()
            writing.reached.set()
        finally:
            connection.close()

    with file_database(tmp_path):
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode")
                assert cursor.fetchone()[0] == "wal"
        thread = threading.Thread(target=worker)
        thread.start()
        try:
            # First pass: the import has checked 150 rows and holds no lock.
            checking.wait()
            assert not failures, failures
            seen = progress_seen()
            assert seen.status == JobStatus.RUNNING and 0 < seen.done < seen.total == ROWS
            assert 0 < seen.percent < 50 and seen.heartbeat_at is not None
            # A login writes (session, last login): it is answered, not "database is locked".
            client = Client()
            response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
            assert response.status_code == 302 and client.session.get("_auth_user_id")
            assert client.get(response["Location"]).status_code == 200
            checking.resume.set()
            # Second pass: two batches written inside the import's open transaction.
            writing.wait()
            assert not failures, failures
            assert Entity.objects.count() == 0  # a reader sees the last committed state at once
            seen = progress_seen()
            assert seen.done == ROWS
            if connection.vendor == "postgresql":
                # The rows written are committed on the writer's own connection meanwhile.
                assert 0 < seen.written < ROWS and 50 <= seen.percent < 100
            else:
                # SQLite has one write lock, the import's: the figure is written when it commits.
                assert seen.written == 0 and seen.percent == 50
        finally:
            checking.resume.set()
            writing.resume.set()
            thread.join(WAIT)
        assert not failures, failures
        job.refresh_from_db()
        assert job.status == JobStatus.DONE and job.percent == 100 and job.written == ROWS
        assert Entity.objects.count() == ROWS and not Path(job.stored_path).exists()
        assert verify_chain().ok


class Killed(BaseException):
    """What a worker killed mid-write amounts to: not an error it could handle."""


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_write_leaves_no_row_and_its_job_is_then_failed(
        regions, personas, tmp_path, monkeypatch, settings):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(imports, "BATCH", 50)
    write = EntityImporter.write
    batches = []

    def dying_write(self, rows):
        counts = write(self, rows)
        batches.append(len(rows))
        if len(batches) == 3:
            raise Killed
        return counts

    monkeypatch.setattr(EntityImporter, "write", dying_write)
    job = stored_job(tmp_path, personas["coordinator"])
    with pytest.raises(Killed):
        jobs.execute(job)
    assert batches == [50, 50, 50]  # three batches were written before it died …
    assert Entity.objects.count() == 0  # … and none of them is left
    assert not AuditEntry.objects.filter(action="import_entities").exists()
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and Path(job.stored_path).exists()  # as a dead worker leaves it
    assert jobs.fail_stale_jobs() == 0  # its heartbeat is recent: it may still be working
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(minutes=11))
    assert jobs.fail_stale_jobs() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.interrupted and not Path(job.stored_path).exists()
    assert Entity.objects.count() == 0 and verify_chain().ok


def test_a_job_whose_worker_is_gone_is_failed_on_its_page_and_its_file_removed(
        regions, personas, login, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    old = timezone.now() - dt.timedelta(minutes=settings.SPOTCHECK["import_stale_minutes"] + 1)
    lost = stored_job(tmp_path, personas["coordinator"], status=JobStatus.RUNNING, heartbeat_at=old, done=100)
    live_path = tmp_path / "uploads" / "live.csv"
    live_path.write_bytes(Path(lost.stored_path).read_bytes())
    live = ImportJob.objects.create(kind="entities", file_name="live.csv", stored_path=str(live_path),
                                    created_by=personas["coordinator"], total=ROWS, status=JobStatus.RUNNING,
                                    heartbeat_at=timezone.now())
    c = login(personas["coordinator"])
    page = c.get(reverse("directory:import_job", args=[lost.pk])).content.decode()
    assert "导入中断：处理进程已停止，未写入任何数据，请重新上传。" in page and "progress.js" in page
    lost.refresh_from_db()
    assert lost.status == JobStatus.FAILED and not Path(lost.stored_path).exists()
    status = c.get(reverse("directory:import_job_status", args=[lost.pk])).json()
    assert status["status"] == "failed" and status["finished"]
    # The live job (a recent heartbeat) is left running, its file kept.
    live.refresh_from_db()
    assert live.status == JobStatus.RUNNING and live_path.exists()
    entry = AuditEntry.objects.get(action="import_interrupted")
    assert entry.object_id == str(lost.pk) and verify_chain().ok


def test_the_cleanup_command_fails_stale_jobs_and_a_new_job_does_too(regions, personas, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    old = timezone.now() - dt.timedelta(hours=1)
    lost = stored_job(tmp_path, personas["coordinator"], status=JobStatus.RUNNING, heartbeat_at=old)
    assert run_command("import_cleanup") == (0, {"ok": True, "failed": 1})
    assert run_command("import_cleanup") == (0, {"ok": True, "failed": 0})
    lost.refresh_from_db()
    assert lost.interrupted and not Path(lost.stored_path).exists()
    # A job never heard from since it was created counts from its creation; the worker's next job fails it.
    silent = stored_job(tmp_path, personas["coordinator"], status=JobStatus.RUNNING)
    ImportJob.objects.filter(pk=silent.pk).update(created_at=old)
    fresh = stored_job(tmp_path, personas["coordinator"], rows=3)
    jobs.execute(fresh)
    silent.refresh_from_db()
    fresh.refresh_from_db()
    assert silent.status == JobStatus.FAILED and fresh.status == JobStatus.DONE


def test_a_refused_file_is_checked_whole_before_any_transaction(regions, monkeypatch):
    """Every row is checked (and every error named) with no transaction open."""
    import io

    depths = []
    check = EntityImporter.check

    def watched(self, number, values):
        depths.append(connection.in_atomic_block and len(connection.atomic_blocks))
        return check(self, number, values)

    monkeypatch.setattr(EntityImporter, "check", watched)
    start = connection.in_atomic_block and len(connection.atomic_blocks)
    data = csv_bytes(HEADER, [row(1), row(2, industry="Z"), row(3), row(4, status="gone")])
    outcome = imports.run_import("entities", io.BytesIO(data), "e.csv", "test")
    assert not outcome.ok and [(e.row, e.column) for e in outcome.errors] == [(3, "industry"), (5, "status")]
    assert set(depths) == {start} and Entity.objects.count() == 0


def test_commit_builds_the_frame_before_it_takes_the_plans_lock(monkeypatch, district):
    """Already so in draws/service.py: the frame is read with no transaction of commit's open."""
    from spotcheck.draws import service

    depths = []
    frame_for = service.frame_for

    def watched(*args, **kwargs):
        depths.append(len(connection.atomic_blocks))
        return frame_for(*args, **kwargs)

    monkeypatch.setattr(service, "frame_for", watched)
    start = len(connection.atomic_blocks)
    service.commit(approved_plan(), "test")
    assert depths == [start]
