"""Benchmark: reading the credit feed of the REST API page by page, against one plain query (issue #10).

Sets up a fresh database (not timed): E entities and R published results (one per task,
spread over five years and four departments, bulk inserted, then numbered in the feed as
the migration numbers results published before it). Then, in one run, alternately, N times:

1. The feed: ``GET /api/v1/feed/results?cursor=…&limit=L`` through the whole Django stack
   (middleware, token, django-ninja, the response schema, JSON), in process, following
   ``next`` from the start until a page is empty: R results in R / L pages.
2. The baseline: one plain query of the same rows (the same columns, joins and order),
   serialised to JSON with Django's encoder.

Prints each side's best and median time and ``ratio: X``, the feed's median ÷ the baseline's
median. Issue #10's target: ratio ≤ 5 for R = 100,000 on PostgreSQL.

Usage: python bench/api_feed.py [--entities E] [--results R] [--limit L] [--runs N] [--database URL]

--database is ``sqlite`` (the default: a SQLite file in a temporary folder) or a ``postgres://``
URL of a server where the URL's user may create databases (the bench makes its own,
spotcheck_bench_feed, and drops it), for example:

    scripts/throwaway-postgres run sh -c '.venv/bin/python bench/api_feed.py --database "$DATABASE_URL"'
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.pgdb import fresh_database, is_postgres  # noqa: E402

DEPARTMENTS = ["SCJGJ", "WJW", "YJJ", "STHJJ"]
ITEMS = {"SCJGJ": "SCJGJ-001", "WJW": "WJW-001", "YJJ": "YJJ-001", "STHJJ": "STHJJ-001"}
PROBLEMS = ["corrected", "pending_action", "disclosure_violation", "other_violation", "no_activity"]


def setup(entities: int, results: int) -> tuple[str, int]:
    """Build the database; return the secret of a token to read the feed with, and the feed's length."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Max

    from spotcheck.accounts.models import User
    from spotcheck.api.models import ApiToken
    from spotcheck.directory import demo
    from spotcheck.directory.demo_data import entity_rows
    from spotcheck.directory.imports import insert_rows
    from spotcheck.directory.models import Department, Entity, Region
    from spotcheck.draws.models import Commitment
    from spotcheck.inspections.models import Task
    from spotcheck.plans import spec
    from spotcheck.plans.framedata import spec_context
    from spotcheck.plans.models import PlanStatus, create_plan
    from spotcheck.results.models import FeedCounter, Result

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    demo.create(entity_count=10)  # regions, departments, inspectors, items, users, one drawn plan
    regions = dict(Region.objects.values_list("code", "pk"))
    departments = dict(Department.objects.values_list("code", "pk"))
    with transaction.atomic():
        insert_rows(Entity, [
            Entity(uscc=r[0], name=r[1], entity_type=r[2], industry=r[3], region_id=regions[r[4]], status=r[5],
                   address=r[6], legal_representative=r[7], established_on=date.fromisoformat(r[8]),
                   foreign=r[9] == "是", abnormal=r[10] == "是", serious_violation=r[11] == "是",
                   complaints_12m=r[12], credit_risk=r[13])
            for r in entity_rows(entities, seed=101)])
    ids = list(Entity.objects.order_by("pk").values_list("pk", flat=True))
    template = Commitment.objects.filter(status="drawn").first()
    assert template is not None, "the demo's drawn plan is missing"
    context = spec_context()
    this_year = date.today().year
    rng = random.Random(8)
    years = [this_year - 4 + i for i in range(5)]
    per_plan = -(-results // (len(years) * len(DEPARTMENTS)))
    assert per_plan <= len(ids), "more results per plan than entities: raise --entities"
    made = 0
    with transaction.atomic():
        for year in years:
            for department in DEPARTMENTS:
                count = min(per_plan, results - made)
                if count <= 0:
                    continue
                clean, problems = spec.validate({"name": f"bench {year} {department}", "year": year,
                                                 "departments": [department], "items": [ITEMS[department]]}, context)
                assert not problems, problems.text()
                plan = create_plan(clean, "bench")
                plan.status = PlanStatus.DRAWN
                plan.save(update_fields=["status"])
                commitment = Commitment.objects.get(pk=template.pk)
                commitment.pk, commitment.plan = None, plan
                commitment.save()
                tasks, rows = [], []
                for n, entity_id in enumerate(rng.sample(ids, count)):
                    day = date(year, rng.randrange(1, 13), rng.randrange(1, 29))
                    stamp = min(datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
                                + timedelta(days=rng.randrange(1, 20), seconds=rng.randrange(86400)),
                                datetime.now(UTC))
                    tasks.append(Task(plan=plan, commitment=commitment, entity_id=entity_id, stratum="general",
                                      ticket=f"{n:064x}", order=n + 1, items=[ITEMS[department]],
                                      status="published", published_at=stamp, submitted_at=stamp,
                                      approved_at=stamp, completed_on=day))
                    category = "no_issue" if rng.random() < 0.85 else rng.choice(PROBLEMS)
                    problem = category not in ("no_issue", "no_activity")
                    rows.append((day, category, problem, stamp))
                Task.objects.bulk_create(tasks, batch_size=2000)
                Result.objects.bulk_create([
                    Result(task=t, item_code=ITEMS[department], department_id=departments[department],
                           entity_id=t.entity_id, year=year, method="onsite", inspected_on=day, checked="核查经营场所",
                           findings="发现问题" if problem else "", category=category,
                           follow_up="daily_supervision" if problem else "none", inspectors=["B00001", "B00002"],
                           entered_by="bench", published_at=stamp)
                    for t, (day, category, problem, stamp) in zip(tasks, rows, strict=True)], batch_size=2000)
                made += count
        # Numbered in the feed as the migration numbers results published before the feed existed (after
        # the demo's few, published through the service).
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE results_result SET feed_seq = numbered.n + numbered.base FROM (SELECT id, ROW_NUMBER() OVER "
                "(ORDER BY published_at, id) AS n, (SELECT COALESCE(MAX(feed_seq), 0) FROM results_result) AS base "
                "FROM results_result WHERE published_at IS NOT NULL AND feed_seq IS NULL) AS numbered "
                "WHERE results_result.id = numbered.id")
        FeedCounter.objects.update_or_create(pk=1, defaults={"last": Result.objects.aggregate(
            last=Max("feed_seq"))["last"]})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    reader = User.objects.create(username="bench-credit-system", role="coordinator")
    secret = ApiToken.issue(user=reader, name="bench", days=1)[1]
    total = Result.objects.filter(feed_seq__isnull=False).count()  # the demo's few published results too
    print(f"set up {entities:,} entities and {total:,} published results in {time.perf_counter() - started:.0f} s")
    return secret, total


def through_the_feed(secret: str, limit: int) -> tuple[float, int, int]:
    from django.test import Client

    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    count = pages = 0
    cursor = ""
    started = time.perf_counter()
    while True:
        response = client.get("/api/v1/feed/results", {"cursor": cursor, "limit": limit}, **headers)
        assert response.status_code == 200, response.content[:300]
        body = json.loads(response.content)
        pages += 1
        if not body["items"]:
            break
        count += len(body["items"])
        cursor = body["next"]
    return time.perf_counter() - started, count, pages


def one_plain_query() -> tuple[float, int]:
    from django.core.serializers.json import DjangoJSONEncoder

    from spotcheck.results import feed
    from spotcheck.results.models import Result

    started = time.perf_counter()
    rows = list(Result.objects.filter(feed_seq__isnull=False).order_by("feed_seq").values_list(*feed.FIELDS))
    keys = ("seq", "id", "task", "plan_id", "plan", "department", "entity", "name", "item", "year", "method",
            "inspected_on", "result", "follow_up", "published_at", "corrects", "correction_reason")
    text = json.dumps([dict(zip(keys, row, strict=True)) for row in rows], cls=DjangoJSONEncoder,
                      ensure_ascii=False)
    elapsed = time.perf_counter() - started
    assert text
    return elapsed, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entities", type=int, default=20_000)
    parser.add_argument("--results", type=int, default=100_000)
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database", default="sqlite")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spotcheck.settings")
    # As in production: DEBUG off (no query log kept), no HTTPS redirect for the in-process client.
    os.environ.update({"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50), "SECURE_SSL_REDIRECT": "0",
                       "ALLOWED_HOSTS": "testserver,127.0.0.1"})

    def run(url: str) -> None:
        os.environ["DATABASE_URL"] = url
        secret, total = setup(args.entities, args.results)
        feed_times, plain_times = [], []
        for n in range(args.runs):
            elapsed, count, pages = through_the_feed(secret, args.limit)
            assert count == total, (count, total)
            feed_times.append(elapsed)
            plain, rows = one_plain_query()
            assert rows == total
            plain_times.append(plain)
            print(f"run {n + 1}: feed {elapsed:.2f} s ({pages} pages of {args.limit}), plain query {plain:.2f} s")
        feed_median, plain_median = statistics.median(feed_times), statistics.median(plain_times)
        print(f"feed: best {min(feed_times):.2f} s, median {feed_median:.2f} s; "
              f"plain query + JSON: best {min(plain_times):.2f} s, median {plain_median:.2f} s")
        print(f"ratio: {feed_median / plain_median:.2f} (target ≤ 5)")

    if is_postgres(args.database):
        with fresh_database(args.database, "spotcheck_bench_feed") as url:
            run(url)
    else:
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{folder}/bench.sqlite3")


if __name__ == "__main__":
    main()
