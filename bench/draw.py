"""Benchmark: the verifiable draw, version 2 (docs/draw/README.md).

1. The pure draw (``spotcheck.draw.run``, spotcheck-draw/2) over N candidates in
   three strata, a joint plan of two departments with teams of two, with 500 and
   with 5,000 inspectors, against computing the N ticket hashes alone with hashlib
   in the same run. Issue #7's target: ratio ≤ 2.5 for both. The first line that
   starts with ``ratio:`` is the whole draw with 500 inspectors.
2. End to end: ``draw_commit`` + ``draw_run`` on a directory of E entities,
   against the pure draw of the same frozen frame and pool. Target ≤ 10.

Usage: python bench/draw.py [--candidates N] [--inspectors P,Q] [--entities E] [--database URL]

--database is ``sqlite`` (the default: a SQLite file in a temporary folder) or a
``postgres://`` URL of a server where the URL's user may create databases (the
bench makes its own, spotcheck_bench_draw, and drops it), for example:

    scripts/throwaway-postgres run sh -c 'python bench/draw.py --database "$DATABASE_URL"'
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spotcheck import draw  # noqa: E402

SECRET = "ab" * 32
RULES = {"general": {"ratio": "0.03"}, "foreign": {"ratio": "0.10"}, "heightened": {"ratio": "0.20"}}


def candidates(n: int) -> list[tuple[str, str]]:
    rng = random.Random(1)
    rows = []
    for i in range(n):
        stratum = rng.choices(["general", "foreign", "heightened"], [90, 5, 5])[0]
        rows.append((f"91500113{i:010d}", stratum))
    return rows


def pure(n: int, inspectors: int) -> float:
    rows = candidates(n)
    lead = inspectors * 4 // 5
    pool = [(f"P{i:05d}", "SCJGJ" if i < lead else "WJW") for i in range(inspectors)]
    rng = random.Random(2)
    conflicts = [(rng.choice(pool)[0], rng.choice(rows)[0]) for _ in range(inspectors)]
    seed_hex = hashlib.sha256(b"bench").hexdigest()

    def baseline_run() -> None:
        for entity, _ in rows:
            hashlib.sha256(f"{seed_hex}:{entity}".encode()).hexdigest()

    def whole_run() -> dict:
        return draw.run(plan={"id": "bench"}, committed_at="", drawn_at="", server_secret=SECRET,
                        public_entropy="1 2 3", rows=rows, inspectors=pool, conflicts=conflicts, rules=RULES,
                        team_size=2, required_departments=["SCJGJ", "WJW"])

    # Best of three, interleaved, so that a busy machine slows both sides alike.
    baseline = whole = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        baseline_run()
        baseline = min(baseline, time.perf_counter() - started)
        started = time.perf_counter()
        record = whole_run()
        whole = min(whole, time.perf_counter() - started)
    assert "failure" not in record
    print(f"pure v2 draw over {n:,} candidates, {inspectors:,} inspectors (joint plan, teams of 2):"
          f" {len(record['selected']):,} selected")
    print(f"  {n:,} ticket hashes alone (baseline, best of 3): {baseline:.2f} s")
    print(f"  whole draw with teams, best of 3 (digests, seed, sizes, selection, {len(record['selected']) * 2:,} slots):"
          f" {whole:.2f} s, ratio {whole / baseline:.2f}")
    return whole / baseline


def end_to_end(entities: int, inspectors: int, database_url: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="spotcheck-draw-"))
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{folder / 'draw.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spotcheck.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from spotcheck.directory import demo
    from spotcheck.directory.demo_data import entity_rows
    from spotcheck.directory.imports import insert_rows
    from spotcheck.directory.models import Department, Entity, Inspector, Region
    from spotcheck.draws.models import Commitment
    from spotcheck.draws.service import _inputs
    from spotcheck.plans.lookup import plan_by_ref

    call_command("migrate", verbosity=0)
    demo.create(entity_count=10)
    regions = dict(Region.objects.values_list("code", "pk"))
    scjgj = Department.objects.get(code="SCJGJ")
    with transaction.atomic():
        insert_rows(Entity, [
            Entity(uscc=r[0], name=r[1], entity_type=r[2], industry=r[3], region_id=regions[r[4]], status=r[5],
                   foreign=r[9] == "是", abnormal=r[10] == "是", serious_violation=r[11] == "是",
                   complaints_12m=r[12], credit_risk=r[13])
            for r in entity_rows(entities, seed=11)])
        insert_rows(Inspector, [Inspector(cert_no=f"B{i:05d}", name=f"检查员{i}", department=scjgj,
                                          cert_expires_on=date(2030, 1, 1)) for i in range(inspectors)])
    plan_file = folder / "plan.json"
    plan_file.write_text('{"name": "bench", "year": 2026, "departments": ["SCJGJ"], "items": ["SCJGJ-001"]}',
                         encoding="utf-8")
    out = io.StringIO()
    call_command("plan_create", str(plan_file), "--json", stdout=out)
    plan = plan_by_ref(out.getvalue().split('"plan": ')[1].split(",")[0])
    call_command("plan_approve", str(plan.pk), stdout=io.StringIO())
    started = time.perf_counter()
    call_command("draw_commit", str(plan.pk), stdout=io.StringIO())
    call_command("draw_run", str(plan.pk), "--entropy", "3 1 4 1 5 9", "--witness", "李公证:notary",
                 stdout=io.StringIO())
    e2e = time.perf_counter() - started
    c = Commitment.objects.get(plan=plan)
    inputs = _inputs(c)
    started = time.perf_counter()
    draw.run(**inputs, drawn_at="", public_entropy="3 1 4 1 5 9")
    alone = time.perf_counter() - started
    backend = "PostgreSQL" if database_url else "SQLite"
    print(f"end to end on {backend}, {entities:,} entities ({c.frame_count:,} in the frame, {c.pool_count} inspectors):")
    print(f"  draw_commit + draw_run: {e2e:.2f} s; the pure draw of the same frame: {alone:.2f} s;"
          f" ratio {e2e / alone:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", type=int, default=1_000_000)
    parser.add_argument("--inspectors", default="500,5000", help="pool sizes, comma-separated")
    parser.add_argument("--entities", type=int, default=150_000)
    parser.add_argument("--database", default="sqlite",
                        help="sqlite (default) or a postgres:// URL of a server to make a database on")
    args = parser.parse_args()
    sizes = [int(p) for p in args.inspectors.split(",")]
    ratios = [pure(args.candidates, p) for p in sizes]
    for p, ratio in zip(sizes, ratios, strict=True):
        print(f"ratio: {ratio:.2f}  (whole v2 draw, {p:,} inspectors; target ≤ 2.5)")
    if args.database == "sqlite":
        end_to_end(args.entities, sizes[0], "")
        return
    from bench.pgdb import fresh_database, is_postgres

    if not is_postgres(args.database):
        parser.error("--database: sqlite or a postgres:// URL")
    with fresh_database(args.database, "spotcheck_bench_draw") as url:
        end_to_end(args.entities, sizes[0], url)


if __name__ == "__main__":
    main()
