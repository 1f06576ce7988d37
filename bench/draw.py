"""Benchmark: the verifiable draw (spec/draw-v1.md).

1. The pure draw (``spotcheck.draw.run``) over N candidates in three strata with
   P inspectors, against computing the N ticket hashes alone with hashlib in the
   same run. Printed twice: the selection (digests, seed, sample sizes,
   selection) and the whole draw with teams. Issue #4's target: ratio ≤ 2.5.
2. End to end: ``draw_commit`` + ``draw_run`` on a directory of E entities
   (SQLite), against the pure draw of the same frozen frame and pool. Target ≤ 10.

Usage: python bench/draw.py [--candidates N] [--inspectors P] [--entities E]
Ends with ``ratio: X`` for the whole pure draw (the figure the issue names).
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
    pool = [(f"P{i:04d}", "SCJGJ") for i in range(inspectors)]
    rng = random.Random(2)
    conflicts = [(rng.choice(pool)[0], rng.choice(rows)[0]) for _ in range(inspectors)]
    seed_hex = hashlib.sha256(b"bench").hexdigest()

    started = time.perf_counter()
    for entity, _ in rows:
        hashlib.sha256(f"{seed_hex}:{entity}".encode()).hexdigest()
    baseline = time.perf_counter() - started

    started = time.perf_counter()
    f_digest = draw.frame_digest(rows)
    p_digest = draw.pool_digest(pool, conflicts)
    s = draw.seed(SECRET, "1 2 3", f_digest, p_digest)
    table = draw.strata_table(rows, RULES)
    chosen = draw.select(s, rows, {t["name"]: t["sample_size"] for t in table})
    selection = time.perf_counter() - started

    started = time.perf_counter()
    record = draw.run(plan={"id": "bench"}, committed_at="", drawn_at="", server_secret=SECRET,
                      public_entropy="1 2 3", rows=rows, inspectors=pool, conflicts=conflicts, rules=RULES,
                      team_size=2, required_departments=[])
    whole = time.perf_counter() - started
    teams = len(record["selected"]) * inspectors
    print(f"pure draw over {n:,} candidates, {inspectors} inspectors: {len(chosen):,} selected")
    print(f"  {n:,} ticket hashes alone (baseline): {baseline:.2f} s")
    print(f"  selection (digests, seed, sizes, selection): {selection:.2f} s, ratio {selection / baseline:.2f}")
    print(f"  whole draw with teams ({teams:,} rank hashes, draw-v1 §6): {whole:.2f} s,"
          f" ratio {whole / baseline:.2f}")
    return whole / baseline


def end_to_end(entities: int, inspectors: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="spotcheck-draw-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'draw.sqlite3'}"
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
    call_command("draw_run", str(plan.pk), "--entropy", "3 1 4 1 5 9", stdout=io.StringIO())
    e2e = time.perf_counter() - started
    c = Commitment.objects.get(plan=plan)
    inputs = _inputs(c)
    started = time.perf_counter()
    draw.run(**inputs, drawn_at="", public_entropy="3 1 4 1 5 9")
    alone = time.perf_counter() - started
    print(f"end to end on {entities:,} entities ({c.frame_count:,} in the frame, {c.pool_count} inspectors):")
    print(f"  draw_commit + draw_run: {e2e:.2f} s; the pure draw of the same frame: {alone:.2f} s;"
          f" ratio {e2e / alone:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", type=int, default=1_000_000)
    parser.add_argument("--inspectors", type=int, default=500)
    parser.add_argument("--entities", type=int, default=150_000)
    args = parser.parse_args()
    ratio = pure(args.candidates, args.inspectors)
    end_to_end(args.entities, args.inspectors)
    print(f"ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
