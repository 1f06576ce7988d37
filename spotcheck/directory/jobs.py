"""Uploaded imports: stored, then run at once (small) or as a background task (large)."""

from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django_tasks import task

from spotcheck.directory.imports import run_import
from spotcheck.directory.models import Department, ImportJob, JobStatus
from spotcheck.lib.tabular import count_rows

log = logging.getLogger(__name__)


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


def execute(job: ImportJob) -> ImportJob:
    """Run a stored import job, saving progress as it goes."""
    job.status = JobStatus.RUNNING
    job.save(update_fields=["status"])
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5 or done >= total:
            last[0] = now
            ImportJob.objects.filter(pk=job.pk).update(done=done, total=max(total, job.total))

    try:
        with open(job.stored_path, "rb") as stream:
            outcome = run_import(job.kind, stream, job.file_name, job.created_by,
                                 department=job.department, progress=progress)
    except Exception:
        log.exception("import job %s failed", job.pk)
        job.status = JobStatus.FAILED
        job.result = {"ok": False, "error": "导入出错，请联系管理员 / the import failed unexpectedly"}
        job.save(update_fields=["status", "result"])
        raise
    job.refresh_from_db(fields=["done", "total"])
    job.status = JobStatus.DONE if outcome.ok else JobStatus.REFUSED
    job.result = outcome.as_dict()
    job.done = outcome.rows
    job.total = max(job.total, outcome.rows)
    job.save(update_fields=["status", "result", "done", "total"])
    Path(job.stored_path).unlink(missing_ok=True)
    return job


@task()
def run_import_job(job_id: int) -> None:
    execute(ImportJob.objects.select_related("created_by", "department").get(pk=job_id))
