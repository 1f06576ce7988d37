"""Benchmark: the REST API against the paths it stands beside (issue #10, "Speed").

Part 1, directory sync: N entities (100,000) created through ``POST /api/v1/entities/bulk``
in batches of B (10,000) records, against the file import of the same rows (a CSV through
``spotcheck.directory.imports.run_import``, the function the web upload and
``spotcheck import_entities`` call), in one run on one fresh database: the file import first,
then every entity deleted (not timed), then the API. The API is called in this process
through Django's test client (the whole request path: middleware, the API's guard, token
authentication, JSON parsing, the import's checks and writes, the audit entry); the
request bodies are encoded before the clock starts (that is the client's work). Prints
both times in seconds and ``ratio: X`` (API ÷ file). Target: ratio ≤ 2.

Usage: python bench/api.py [--entities N] [--batch B] [--database URL]

--database is ``sqlite`` (the default: a SQLite file in a temporary folder) or a
``postgres://`` URL of a server where the URL's user may create databases (the bench
makes its own, spotcheck_bench_api, and drops it), for example:

    scripts/throwaway-postgres run sh -c '.venv/bin/python bench/api.py --database "$DATABASE_URL"'
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from spotcheck.directory.demo_data import REGIONS, entity_rows  # noqa: E402  (no Django needed)

HEADER = ["uscc", "name", "entity_type", "industry", "region", "status", "address",
          "legal_representative", "established_on", "foreign", "abnormal", "serious_violation",
          "complaints_12m", "credit_risk"]
YES = {"是": True, "否": False}


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spotcheck.settings")
    # As in production: DEBUG off (no query log), served on a host of ALLOWED_HOSTS.
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 60)
    os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def csv_file(rows: list[list[object]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return text.getvalue().encode()


def records(rows: list[list[object]]) -> list[dict[str, object]]:
    """The same rows as the API's records: JSON types where the file has yes/no and numbers."""
    out = []
    for row in rows:
        record = dict(zip(HEADER, row, strict=True))
        for key in ("foreign", "abnormal", "serious_violation"):
            record[key] = YES[str(record[key])]
        record["complaints_12m"] = int(record["complaints_12m"])  # type: ignore[call-overload]
        out.append(record)
    return out


def directory_sync(count: int, batch: int) -> tuple[float, float]:
    """Part 1: return (file import seconds, API seconds) for the same ``count`` rows."""
    from django.test import Client

    from spotcheck.accounts.models import Role, User
    from spotcheck.api.models import ApiToken
    from spotcheck.directory.imports import run_import
    from spotcheck.directory.models import Entity, Region

    Region.objects.bulk_create([Region(code=c, name=n) for c, n in REGIONS])
    coordinator = User.objects.create(username="bench-coordinator", role=Role.COORDINATOR)
    secret = ApiToken.issue(user=coordinator, name="bench", days=1)[1]
    rows = entity_rows(count, seed=1)

    data = csv_file(rows)
    started = time.perf_counter()
    outcome = run_import("entities", io.BytesIO(data), "entities.csv", coordinator)
    file_s = time.perf_counter() - started
    assert outcome.ok and outcome.created == count, outcome.summary()
    print(f"file import (CSV, run_import): {count:,} rows in {file_s:.2f} s, {count / file_s:,.0f} rows/s")

    Entity.objects.all().delete()
    bodies = [json.dumps({"entities": records(rows[i:i + batch])}, ensure_ascii=False).encode()
              for i in range(0, count, batch)]
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/me").status_code == 200  # a warm server: URLs and the API loaded
    created = 0
    started = time.perf_counter()
    for body in bodies:
        answer = client.generic("POST", "/api/v1/entities/bulk", body, content_type="application/json")
        assert answer.status_code == 200, answer.content[:2000]
        created += answer.json()["created"]
    api_s = time.perf_counter() - started
    assert created == count == Entity.objects.count(), (created, count)
    biggest = max(len(b) for b in bodies) / 1e6
    print(f"API (POST /api/v1/entities/bulk, {len(bodies)} requests of ≤ {batch:,}, ≤ {biggest:.1f} MB each): "
          f"{count:,} rows in {api_s:.2f} s, {count / api_s:,.0f} rows/s")
    print(f"ratio: {api_s / file_s:.2f}  (target ≤ 2)")
    return file_s, api_s


def run(database_url: str, args: argparse.Namespace) -> None:
    setup_django(database_url)
    load = os.getloadavg()
    print(f"database: {database_url.split('@')[-1]}; load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
          f" on {os.cpu_count()} CPUs")
    directory_sync(args.entities, args.batch)
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--database", default="sqlite",
                        help="sqlite (default) or a postgres:// URL of a server to make databases on")
    args = parser.parse_args()
    if args.database == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="spotcheck-bench-api-"))
        run(f"sqlite:///{folder / 'api.sqlite3'}", args)
        return
    from bench.pgdb import fresh_database, is_postgres

    if not is_postgres(args.database):
        parser.error("--database: sqlite or a postgres:// URL")
    with fresh_database(args.database, "spotcheck_bench_api") as url:
        run(url, args)


if __name__ == "__main__":
    main()
