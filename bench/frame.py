"""Benchmark: building a plan's frame (rules.md R3/R4) over a large directory.

Sets up a database with N entities and H history records (not timed), then in
one process times (the better of two runs each)
  1. baseline: reading the same entity rows with one plain SQL query (fetchall);
  2. ``spotcheck.plans.framedata.frame_for(plan)``: the query, history, pool and
     the pure frame rules.
Prints seconds and ``ratio: X`` (frame ÷ baseline). Target (issue #3, issue #7
§5): ≤ 4 for N = 1,000,000 and H = 100,000, on SQLite and on PostgreSQL.

Usage: python bench/frame.py [--entities N] [--history H] [--database URL]

--database is ``sqlite`` (the default: a SQLite file in a temporary folder) or a
``postgres://`` URL of a server where the URL's user may create databases; the
bench makes its own database there (spotcheck_bench_frame, dropped afterwards).
With a throwaway cluster:

    scripts/throwaway-postgres run sh -c 'python bench/frame.py --database "$DATABASE_URL"'
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def setup(database_url: str, entities: int, history: int):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spotcheck.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from spotcheck.catalog.models import HistoryRecord
    from spotcheck.directory import demo
    from spotcheck.directory.demo_data import entity_rows
    from spotcheck.directory.imports import insert_rows
    from spotcheck.directory.models import Entity, Region
    from spotcheck.plans import spec
    from spotcheck.plans.framedata import spec_context
    from spotcheck.plans.models import create_plan

    call_command("migrate", verbosity=0)
    demo.create(entity_count=10)  # regions, departments, inspectors, items
    regions = dict(Region.objects.values_list("code", "pk"))
    started = time.perf_counter()
    with transaction.atomic():
        chunk = 100_000
        codes: list[str] = []
        for start in range(0, entities, chunk):
            batch = []
            for r in entity_rows(min(chunk, entities - start), seed=start + 7):
                batch.append(Entity(uscc=r[0], name=r[1], entity_type=r[2], industry=r[3], region_id=regions[r[4]],
                                    status=r[5], address=r[6], legal_representative=r[7],
                                    established_on=date.fromisoformat(r[8]), foreign=r[9] == "是",
                                    abnormal=r[10] == "是", serious_violation=r[11] == "是",
                                    complaints_12m=r[12], credit_risk=r[13]))
                codes.append(r[0])
            insert_rows(Entity, batch)
        ids = dict(Entity.objects.values_list("uscc", "pk"))
        rng = random.Random(4)
        year = 2026
        records = []
        seen = set()
        while len(records) < history:
            code = rng.choice(codes)
            y = rng.choice([year, year - 1, year - 2, year - 3])
            item = rng.choice(["SCJGJ-001", "SCJGJ-002", "SCJGJ-003"])
            day = date(y, rng.randrange(1, 13), rng.randrange(1, 28))
            key = (code, item, day)
            if key in seen:
                continue
            seen.add(key)
            records.append(HistoryRecord(entity_id=ids[code], inspected_by="SCJGJ", item_code=item,
                                         inspected_on=day, result="no_issue" if rng.random() < 0.9 else "corrected"))
        insert_rows(HistoryRecord, records)
    with connection.cursor() as cursor:
        # As autovacuum would leave a loaded PostgreSQL table (statistics, visibility map).
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    clean, problems = spec.validate({"name": "bench", "year": 2026, "departments": ["SCJGJ"],
                                     "items": ["SCJGJ-001", "SCJGJ-002"]}, spec_context())
    assert not problems, problems.text()
    print(f"set up {entities:,} entities and {history:,} history records in {time.perf_counter() - started:.1f} s")
    return create_plan(clean, "bench")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--history", type=int, default=100_000)
    parser.add_argument("--database", default="sqlite",
                        help="sqlite (default) or a postgres:// URL of a server to make a database on")
    args = parser.parse_args()
    if args.database == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="spotcheck-frame-"))
        run(f"sqlite:///{folder / 'frame.sqlite3'}", args.entities, args.history)
        return
    from bench.pgdb import fresh_database, is_postgres

    if not is_postgres(args.database):
        parser.error("--database: sqlite or a postgres:// URL")
    with fresh_database(args.database, "spotcheck_bench_frame") as url:
        run(url, args.entities, args.history)


def run(database_url: str, entities: int, history: int) -> None:
    plan = setup(database_url, entities, history)
    from django.db import connection

    from spotcheck.plans.framedata import frame_for

    def baseline() -> float:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute('SELECT uscc, status, region_id, industry, entity_type, "foreign", abnormal,'
                           " serious_violation, complaints_12m FROM directory_entity")
            rows = cursor.fetchall()
        assert len(rows) >= entities
        return time.perf_counter() - started

    def frame() -> float:
        started = time.perf_counter()
        result = frame_for(plan, day=date(2026, 12, 1))
        elapsed = time.perf_counter() - started
        frame.result = result  # type: ignore[attr-defined]
        return elapsed

    baseline()  # warm the page cache for both
    base = min(baseline() for _ in range(2))
    built = min(frame() for _ in range(2))
    result = frame.result  # type: ignore[attr-defined]
    print(f"baseline (one plain query of the entity rows): {base:.2f} s")
    print(f"frame_for(plan): {built:.2f} s — {len(result.rows):,} in the frame, exclusions "
          f"{result.exclusion_counts()}, pool {len(result.inspectors)}")
    print(f"ratio: {built / base:.2f}")


if __name__ == "__main__":
    main()
