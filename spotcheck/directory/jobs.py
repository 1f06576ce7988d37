"""Uploaded imports: stored, then run at once (small) or as a background task (large).

A running job writes its progress, with a heartbeat, on a database connection of its own:
committed at once, so the job page sees it move while the import runs. A job still
"running" whose heartbeat is older than ``SPOTCHECK["import_stale_minutes"]`` lost its
worker (killed mid-import; the import's one write transaction was rolled back, so nothing
was written): it is marked failed and its upload removed, by the next job a worker starts,
by the job's page, or by ``spotcheck import_cleanup``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Field, Q
from django.utils import timezone
from django.utils.translation import gettext
from django_tasks import task

from spotcheck.audit.log import record
from spotcheck.directory.imports import run_import
from spotcheck.directory.models import Department, ImportJob, JobStatus
from spotcheck.lib.tabular import count_rows

log = logging.getLogger(__name__)

# Shown on the job's page (translated there); kept in the job's result for the command line.
INTERRUPTED = "导入中断：处理进程已停止，未写入任何数据，请重新上传。"


def store_upload(upload: UploadedFile) -> Path:
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".xlsx" if upload.name and upload.name.lower().endswith(".xlsx") else ".csv"
    path = folder / f"{uuid.uuid4().hex}{suffix}"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return path


def estimate_rows(path: Path, name: str, stop: int | None = None) -> int:
    """Estimate a stored file's data rows without parsing it (an .xlsx is not opened by openpyxl
    here: its rows are counted up to ``stop``, and read only by the import itself)."""
    with path.open("rb") as stream:
        return count_rows(stream, name, stop)


def start_import(kind: str, upload: UploadedFile, user, department: Department | None) -> ImportJob:
    """Store the upload and run it now, or queue it when it is large.

    The request only counts rows up to the background threshold; the import (in the worker,
    for a large file) counts them as it reads them and refuses a file above the row limit.
    """
    path = store_upload(upload)
    threshold = settings.SPOTCHECK["import_background_rows"]
    job = ImportJob.objects.create(
        kind=kind, file_name=upload.name or path.name, stored_path=str(path),
        department=department, created_by=user,
        total=estimate_rows(path, upload.name or "", stop=threshold + 2),
    )
    if job.total > threshold:
        run_import_job.enqueue(job.pk)
    else:
        execute(job)
    return job


class ProgressWriter:
    """Write a job's progress and heartbeat so that other connections see them at once.

    On a connection of its own (autocommit), outside the import's transaction. When the
    caller already holds a transaction (a test, a caller's atomic block) another connection
    could not see the job's row, so the caller's own connection is used.
    """

    def __init__(self, job: ImportJob):
        self.job = job
        self.own = None if connection.in_atomic_block else connections.create_connection(DEFAULT_DB_ALIAS)
        self.last: dict[str, float] = {}  # per figure: its first report is always written

    def save(self, force: bool = False, **values: Any) -> None:
        now, figure = time.monotonic(), next(iter(values))
        if not force and figure in self.last and now - self.last[figure] < 0.5:
            return
        self.last[figure] = now
        values["heartbeat_at"] = timezone.now()
        if self.own is None:
            ImportJob.objects.filter(pk=self.job.pk).update(**values)
            return
        meta = ImportJob._meta
        quote = self.own.ops.quote_name
        fields = [field for name in values if isinstance(field := meta.get_field(name), Field)]
        # Identifiers come from the model's own metadata, quoted; values are parameters.
        sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
            quote(meta.db_table), ", ".join(f"{quote(str(f.column))} = %s" for f in fields), quote("id"))
        params = [f.get_db_prep_save(values[f.name], self.own) for f in fields]
        with self.own.cursor() as cursor:
            cursor.execute(sql, [*params, self.job.pk])

    def checked(self, done: int, total: int) -> None:
        self.save(done >= total, done=done, total=max(total, self.job.total))

    def written(self, written: int, total: int) -> None:
        self.save(written >= total, written=written)

    def close(self) -> None:
        if self.own is not None:
            self.own.close()


def stale_before() -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=settings.SPOTCHECK["import_stale_minutes"])


def fail_stale_jobs() -> int:
    """Mark failed every running job whose worker is gone; remove its upload. Return how many."""
    cutoff = stale_before()
    stale = Q(status=JobStatus.RUNNING) & (
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff))
    count = 0
    for job in ImportJob.objects.filter(stale):
        with transaction.atomic():
            # Only if it is still stale now (its worker may have finished meanwhile).
            if not ImportJob.objects.filter(stale, pk=job.pk).update(
                status=JobStatus.FAILED, result={"ok": False, "error": INTERRUPTED, "interrupted": True},
            ):
                continue
            record(None, "import_interrupted", "import", job.pk, {
                "kind": job.kind, "file": job.file_name, "done": job.done, "total": job.total,
                "heartbeat_at": job.heartbeat_at.isoformat() if job.heartbeat_at else None,
            })
        Path(job.stored_path).unlink(missing_ok=True)
        count += 1
    return count


def execute(job: ImportJob) -> ImportJob:
    """Run a stored import job, saving progress as it goes (after failing the stale ones)."""
    fail_stale_jobs()
    job.status = JobStatus.RUNNING
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["status", "heartbeat_at"])
    writer = ProgressWriter(job)
    # On SQLite the write transaction holds the database's only write lock: another
    # connection cannot write the rows written until it commits.
    writing = None if connection.vendor == "sqlite" else writer.written
    try:
        with open(job.stored_path, "rb") as stream:
            outcome = run_import(job.kind, stream, job.file_name, job.created_by,
                                 department=job.department, progress=writer.checked, writing=writing)
    except Exception:
        log.exception("import job %s failed", job.pk)
        job.status = JobStatus.FAILED
        job.result = {"ok": False, "error": gettext("导入出错，请联系管理员")}
        job.save(update_fields=["status", "result"])
        Path(job.stored_path).unlink(missing_ok=True)
        raise
    finally:
        writer.close()
    job.refresh_from_db(fields=["done", "total"])
    job.status = JobStatus.DONE if outcome.ok else JobStatus.REFUSED
    job.result = outcome.as_dict()
    job.done = outcome.rows
    job.written = outcome.rows if outcome.ok else 0
    job.total = max(job.total, outcome.rows)
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["status", "result", "done", "written", "total", "heartbeat_at"])
    Path(job.stored_path).unlink(missing_ok=True)
    return job


@task()
def run_import_job(job_id: int) -> None:
    execute(ImportJob.objects.select_related("created_by", "department").get(pk=job_id))
