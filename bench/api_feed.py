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
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import results as bench_results  # noqa: E402 (bench/results.py: the same published results)

from bench.pgdb import fresh_database, is_postgres  # noqa: E402


def setup(entities: int, results: int) -> tuple[str, int]:
    """Build the database; return the secret of a token to read the feed with, and the feed's length."""
    bench_results.setup(entities, results, 1)
    from django.db import connection, transaction
    from django.db.models import Max

    from spotcheck.accounts.models import User
    from spotcheck.api.models import ApiToken
    from spotcheck.results.models import FeedCounter, Result

    started = time.perf_counter()
    with transaction.atomic():
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
    print(f"numbered {total:,} published results in the feed in {time.perf_counter() - started:.0f} s")
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
