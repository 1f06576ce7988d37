"""Benchmark: importing entities through the real import path, against a raw baseline.

Generates N entity rows as CSV, then in this one process
  1. baseline: parses the CSV with the csv module and inserts the rows into an
     equivalent SQLite table with sqlite3's executemany, no validation;
  2. the real path: ``spotcheck.directory.imports.run_import`` into a fresh
     migrated SQLite database (validation, region lookup, upsert, audit entry).
Prints rows per second, peak memory and ``ratio: X`` (real ÷ baseline time).
Targets (issue #2): ratio ≤ 6, peak memory ≤ 1.5 GB, for N = 1,000,000.

Usage: python bench/import.py [--rows N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spotcheck.directory.demo_data import REGIONS, entity_rows  # noqa: E402  (no Django needed)

HEADER = ["uscc", "name", "entity_type", "industry", "region", "status", "address",
          "legal_representative", "established_on", "foreign", "abnormal", "serious_violation",
          "complaints_12m", "credit_risk"]


def generate(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        chunk = 100_000
        for start in range(0, rows, chunk):
            writer.writerows(entity_rows(min(chunk, rows - start), seed=start + 1))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline(csv_path: Path, db_path: Path) -> tuple[float, int]:
    con = sqlite3.connect(db_path)
    con.execute("""CREATE TABLE entity (id INTEGER PRIMARY KEY, uscc TEXT UNIQUE, name TEXT,
        entity_type TEXT, industry TEXT, region_id INTEGER, status TEXT, address TEXT,
        legal_representative TEXT, established_on TEXT, "foreign" INTEGER, abnormal INTEGER,
        serious_violation INTEGER, complaints_12m INTEGER, credit_risk TEXT, updated_at TEXT)""")
    con.execute("CREATE INDEX entity_name ON entity(name)")
    con.execute("CREATE INDEX entity_scope ON entity(region_id, industry, entity_type, status)")
    region_ids = {code: i + 1 for i, (code, _) in enumerate(REGIONS)}
    yes = {"是": 1, "否": 0}
    started = time.perf_counter()
    count = 0
    with csv_path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        batch = []
        for r in reader:
            batch.append((r[0], r[1], r[2], r[3], region_ids[r[4]], r[5], r[6], r[7], r[8],
                          yes[r[9]], yes[r[10]], yes[r[11]], int(r[12]), r[13], "2026-01-01"))
            if len(batch) >= 2000:
                con.executemany("INSERT INTO entity (uscc, name, entity_type, industry, region_id, status,"
                                " address, legal_representative, established_on, \"foreign\", abnormal,"
                                " serious_violation, complaints_12m, credit_risk, updated_at)"
                                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", batch)
                count += len(batch)
                batch = []
        if batch:
            con.executemany("INSERT INTO entity (uscc, name, entity_type, industry, region_id, status,"
                            " address, legal_representative, established_on, \"foreign\", abnormal,"
                            " serious_violation, complaints_12m, credit_risk, updated_at)"
                            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", batch)
            count += len(batch)
    con.commit()
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed, count


def real(csv_path: Path, db_path: Path) -> tuple[float, object]:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spotcheck.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from spotcheck.directory.imports import run_import
    from spotcheck.directory.models import Region

    call_command("migrate", verbosity=0)
    Region.objects.bulk_create([Region(code=c, name=n) for c, n in REGIONS])
    started = time.perf_counter()
    with csv_path.open("rb") as stream:
        outcome = run_import("entities", stream, csv_path.name, "bench")
    return time.perf_counter() - started, outcome


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", help="folder for the files (default: a temporary one)")
    args = parser.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="spotcheck-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / "entities.csv"
    started = time.perf_counter()
    generate(csv_path, args.rows)
    print(f"generated {args.rows:,} rows ({csv_path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s")
    for name in ("baseline.sqlite3", "real.sqlite3"):
        (folder / name).unlink(missing_ok=True)
    base_s, base_n = baseline(csv_path, folder / "baseline.sqlite3")
    print(f"baseline (csv + sqlite3 executemany, no validation): {base_s:.1f} s, {base_n / base_s:,.0f} rows/s")
    real_s, outcome = real(csv_path, folder / "real.sqlite3")
    assert outcome.ok and outcome.created == args.rows, outcome.summary()  # type: ignore[attr-defined]
    print(f"spotcheck import_entities path: {real_s:.1f} s, {args.rows / real_s:,.0f} rows/s")
    print(f"peak memory: {peak_mb():,.0f} MB")
    print(f"ratio: {real_s / base_s:.2f}")


if __name__ == "__main__":
    main()
