"""Benchmark: publishing results, and the public results search served by a production-like server.

Sets up a fresh database (not timed): E entities, R published results (one per
task, spread over five years and four departments, bulk inserted), and 2 × P
tasks whose results are entered and submitted (``entered``). Then in one run:

1. Publication: the P tasks of one plan through the service's publication path
   (``service.approve_many`` as the department head: ``approve`` per task, with its
   lock, review, audit entries for approval and publication and the results'
   publication date, in transactions of 500 tasks), against
   a baseline of the same row changes on the other P tasks by three bulk SQL
   statements (no lock, no review, no audit).
2. The public search: ``gunicorn spotcheck.wsgi`` with W workers on 127.0.0.1 and
   a free port (DEBUG=0, as in production, without the HTTPS redirect), and a
   pool of T threads sending a bounded number of requests, in interleaved
   rounds, to ``/transparency/head.json`` (a trivial view: the baseline) and to
   ``/public/results/`` searched by a name fragment (four characters from a
   published entity's name that are in at most 1,000 names), by a code, by two
   of those characters with filters, and by filters alone; and, shown apart, by a
   fragment of more than 1,000 names (巴南区龙…, 有限, 重庆, 公司).

Prints each kind's p50/p95 in milliseconds, the error count, and
``ratio: X``: the slowest search's p95 ÷ the trivial view's p95. Issue #8's
target: ratio ≤ 10, no errors, for R = 100,000 and P = 10,000.

Usage: python bench/results.py [--entities E] [--results R] [--publish P] [--requests N]
                               [--workers W] [--threads T] [--database URL]

--database is ``sqlite`` (the default: a SQLite file in a temporary folder) or a
``postgres://`` URL of a server where the URL's user may create databases (the
bench makes its own, spotcheck_bench_results, and drops it), for example:

    scripts/throwaway-postgres run sh -c 'python bench/results.py --database "$DATABASE_URL"'
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEPARTMENTS = ["SCJGJ", "WJW", "YJJ", "STHJJ"]
ITEMS = {"SCJGJ": "SCJGJ-001", "WJW": "WJW-001", "YJJ": "YJJ-001", "STHJJ": "STHJJ-001"}
PROBLEMS = ["corrected", "pending_action", "disclosure_violation", "other_violation", "no_activity"]


def is_postgres(url: str) -> bool:
    return urlparse(url).scheme in ("postgres", "postgresql", "pgsql")


@contextmanager
def fresh_database(url: str, name: str):
    """Create an empty database ``name`` on the server of ``url``, yield its URL, drop it afterwards."""
    import psycopg
    from psycopg import sql

    parsed = urlparse(url)
    scheme = "postgresql" if parsed.scheme == "pgsql" else parsed.scheme

    def on(database: str) -> str:
        return urlunparse(parsed._replace(scheme=scheme, path=f"/{database}"))

    def run(statement: str) -> None:
        with psycopg.connect(on("postgres"), autocommit=True) as con:
            con.execute(sql.SQL(statement).format(sql.Identifier(name)))

    run("DROP DATABASE IF EXISTS {}")
    run("CREATE DATABASE {}")
    try:
        yield on(name)
    finally:
        from django.db import connections

        connections.close_all()
        run("DROP DATABASE IF EXISTS {} WITH (FORCE)")


# --- Setting up (not timed) ----------------------------------------------------------------


def setup(entities: int, results: int, publish: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from spotcheck.accounts.models import Role, User
    from spotcheck.directory import demo
    from spotcheck.directory.demo_data import entity_rows
    from spotcheck.directory.imports import insert_rows
    from spotcheck.directory.models import Department, Entity, Region
    from spotcheck.draws.models import Commitment
    from spotcheck.inspections.models import Task
    from spotcheck.plans import spec
    from spotcheck.plans.framedata import spec_context
    from spotcheck.plans.models import PlanStatus, create_plan
    from spotcheck.results.models import Result

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    demo.create(entity_count=10)  # regions, departments, inspectors, items, users, one drawn plan
    regions = dict(Region.objects.values_list("code", "pk"))
    departments = dict(Department.objects.values_list("code", "pk"))
    with transaction.atomic():
        chunk = 100_000
        for start in range(0, entities, chunk):
            insert_rows(Entity, [
                Entity(uscc=r[0], name=r[1], entity_type=r[2], industry=r[3], region_id=regions[r[4]], status=r[5],
                       address=r[6], legal_representative=r[7], established_on=date.fromisoformat(r[8]),
                       foreign=r[9] == "是", abnormal=r[10] == "是", serious_violation=r[11] == "是",
                       complaints_12m=r[12], credit_risk=r[13])
                for r in entity_rows(min(chunk, entities - start), seed=start + 101)])
    ids = list(Entity.objects.order_by("pk").values_list("pk", flat=True))
    template = Commitment.objects.filter(status="drawn").first()
    assert template is not None, "the demo's drawn plan is missing"
    context = spec_context()
    this_year = date.today().year
    rng = random.Random(8)

    def plan_with_tasks(year: int, department: str, count: int) -> tuple[object, list[Task]]:
        clean, problems = spec.validate({"name": f"bench {year} {department}", "year": year,
                                         "departments": [department], "items": [ITEMS[department]]}, context)
        assert not problems, problems.text()
        plan = create_plan(clean, "bench")
        plan.status = PlanStatus.DRAWN
        plan.save(update_fields=["status"])
        commitment = Commitment.objects.get(pk=template.pk)
        commitment.pk, commitment.plan = None, plan
        commitment.save()
        tasks = [Task(plan=plan, commitment=commitment, entity_id=entity_id, stratum="general",
                      ticket=f"{n:064x}", order=n + 1, items=[ITEMS[department]])
                 for n, entity_id in enumerate(rng.sample(ids, count))]
        return plan, tasks

    def result_for(task: Task, year: int, department: str, published: datetime | None) -> Result:
        category = "no_issue" if rng.random() < 0.85 else rng.choice(PROBLEMS)
        problem = category not in ("no_issue", "no_activity")
        day = min(date(year, rng.randrange(1, 13), rng.randrange(1, 29)), date.today())
        return Result(task=task, item_code=ITEMS[department], department_id=departments[department],
                      entity_id=task.entity_id, year=year, method="onsite", inspected_on=day, checked="核查经营场所",
                      findings="发现问题" if problem else "", category=category,
                      follow_up="daily_supervision" if problem else "none", inspectors=["B00001", "B00002"],
                      entered_by="bench", published_at=published)

    years = [this_year - 4 + i for i in range(5)]
    per_plan = -(-results // (len(years) * len(DEPARTMENTS)))
    made = 0
    with transaction.atomic():
        for year in years:
            for department in DEPARTMENTS:
                count = min(per_plan, results - made)
                if count <= 0:
                    continue
                plan, tasks = plan_with_tasks(year, department, count)
                stamps = []
                for task in tasks:
                    inspected = date(year, rng.randrange(1, 13), rng.randrange(1, 29))
                    stamp = datetime(inspected.year, inspected.month, inspected.day, 9, tzinfo=UTC)
                    stamp = min(stamp + timedelta(days=rng.randrange(1, 20), seconds=rng.randrange(86400)),
                                datetime.now(UTC))
                    task.status, task.published_at = "published", stamp
                    task.submitted_at = task.approved_at = stamp
                    task.completed_on = inspected
                    stamps.append(stamp)
                Task.objects.bulk_create(tasks, batch_size=2000)
                Result.objects.bulk_create([result_for(t, year, department, s) for t, s in zip(tasks, stamps)],
                                           batch_size=2000)
                made += count
        entered = []
        for name in ("service", "baseline"):
            plan, tasks = plan_with_tasks(this_year, "SCJGJ", publish)
            for task in tasks:
                task.status, task.submitted_at, task.submitted_by = "entered", datetime.now(UTC), "bench"
                task.completed_on = date.today()
            Task.objects.bulk_create(tasks, batch_size=2000)
            Result.objects.bulk_create([result_for(t, this_year, "SCJGJ", None) for t in tasks], batch_size=2000)
            entered.append(plan)
    head = User.objects.create(username="bench-head", role=Role.DEPT_HEAD, department_id=departments["SCJGJ"])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"set up {entities:,} entities, {made:,} published results and 2 × {publish:,} entered tasks"
          f" in {time.perf_counter() - started:.0f} s")
    names = list(Entity.objects.filter(results__published_at__isnull=False).order_by("?")
                 .values_list("name", "uscc")[:400])
    # Four characters from anywhere in a published entity's name: distinctive ones (what a visitor
    # looking for one business types), and those of more than 1,000 names (巴南区龙…, 有限公司), apart.
    from spotcheck.results import name_search
    from spotcheck.results.public import ID_LIST_LIMIT

    fragments: dict[str, list[str]] = {"distinctive": [], "common": []}
    for name, _ in names:
        start = rng.randrange(max(1, len(name) - 3))
        fragment = name[start:start + 4]
        ids = name_search.entity_ids(fragment, ID_LIST_LIMIT + 1) or []
        fragments["distinctive" if len(ids) <= ID_LIST_LIMIT else "common"].append(fragment)
    print(f"name fragments: {len(fragments['distinctive'])} distinctive, {len(fragments['common'])} of more than"
          f" {ID_LIST_LIMIT:,} names")
    return {"service_plan": entered[0], "baseline_plan": entered[1], "head": head, "names": names,
            "fragments": fragments, "year": this_year - 1}


# --- 1. Publication ----------------------------------------------------------------------------


def publication(service_plan, baseline_plan, head) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from spotcheck.inspections.models import Task
    from spotcheck.results import service
    from spotcheck.results.models import Result, Review

    tasks = list(Task.objects.filter(plan=service_plan).order_by("pk"))
    started = time.perf_counter()
    service.approve_many(tasks, head)
    through_service = time.perf_counter() - started
    assert Result.objects.filter(task__plan=service_plan, published_at__isnull=True).count() == 0

    ids = list(Task.objects.filter(plan=baseline_plan).values_list("pk", flat=True))
    started = time.perf_counter()
    with transaction.atomic():
        now = timezone.now()
        Review.objects.bulk_create([Review(task_id=pk, decision="approved", reviewer="bench") for pk in ids],
                                   batch_size=2000)
        Task.objects.filter(pk__in=ids).update(status="published", approved_at=now, approved_by="bench",
                                               published_at=now)
        Result.objects.filter(task_id__in=ids).update(published_at=now)
    baseline = time.perf_counter() - started
    backend = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    print(f"publication on {backend}: {len(tasks):,} tasks through service.approve_many in {through_service:.1f} s"
          f" ({len(tasks) / through_service:,.0f} tasks/s, {2 * len(tasks):,} audit entries);"
          f" the same row changes by bulk SQL (baseline): {baseline:.2f} s;"
          f" service ÷ baseline {through_service / baseline:.1f}")


# --- 2. The search, served --------------------------------------------------------------------


# Shown, but not in the ratio: a fragment of more than 1,000 names (巴南区龙…, 有限) lists many
# results, and counting them tests each published result's entity name.
COMMON = "search ?q=<a fragment of more than 1,000 names> (not in the ratio)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[float, int]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError:
        status = 0
    return (time.perf_counter() - started) * 1000, status


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


@contextmanager
def gunicorn(database_url: str, workers: int):
    """Serve the project with gunicorn (DEBUG=0, as in production) on a free port; yield its base URL."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "0",
           "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
           "SECURE_SSL_REDIRECT": "0", "ALLOWED_HOSTS": "127.0.0.1", "PYTHONPATH": str(ROOT),
           "DJANGO_SETTINGS_MODULE": "spotcheck.settings"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "spotcheck.wsgi", "--bind", f"127.0.0.1:{port}",
                               "--workers", str(workers), "--log-level", "warning"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while fetch(f"{base}/transparency/head.json")[1] != 200:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("gunicorn did not start")
            time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


TRIVIAL = "trivial /transparency/head.json"


def measure(base: str, kinds: dict, requests: int, workers: int, threads: int,
            headers: dict[str, dict[str, str]] | None = None, rounds: int = 10) -> tuple[dict, dict]:
    """Send ``requests`` of each kind (a function making a path), interleaved in rounds, by ``threads``.

    ``headers`` by kind (a session cookie for a staff page). Returns (timings in ms, errors) by kind.
    """
    headers = headers or {}
    timings: dict[str, list[float]] = {k: [] for k in kinds}
    errors: dict[str, int] = dict.fromkeys(kinds, 0)

    def get(kind: str, path: str) -> tuple[float, int]:
        return fetch(base + path, headers.get(kind))

    with ThreadPoolExecutor(max_workers=threads) as pool:
        for kind, make in kinds.items():  # warm every worker up
            list(pool.map(lambda path, kind=kind: get(kind, path), [make() for _ in range(workers * 3)]))
        for _ in range(rounds):
            for kind, make in kinds.items():
                paths = [make() for _ in range(requests // rounds)]
                for elapsed, status in pool.map(lambda path, kind=kind: get(kind, path), paths):
                    timings[kind].append(elapsed)
                    errors[kind] += status != 200
    return timings, errors


def report(timings: dict, errors: dict, *, apart: tuple[str, ...] = (), limits: dict[str, float] | None = None,
           default_limit: float = 10) -> float:
    """Print p50, p95, mean, requests per second and errors of each kind, and each p95 ÷ the trivial p95.

    Returns the largest ratio of a kind not ``apart``, each measured against its limit
    (``limits`` by kind, else ``default_limit``): the figure printed last is that ratio ÷ limit.
    """
    limits = limits or {}
    trivial_p95 = percentile(timings[TRIVIAL], 95)
    worst = 0.0
    for kind, values in timings.items():
        p50, p95 = percentile(values, 50), percentile(values, 95)
        line = (f"  {kind}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, mean {statistics.fmean(values):.1f} ms,"
                f" {1000 / statistics.fmean(values):.0f} req/s per client thread")
        if kind != TRIVIAL:
            ratio = p95 / trivial_p95
            limit = limits.get(kind, default_limit)
            if kind not in apart:
                worst = max(worst, ratio / limit)
            line += f", p95 ÷ trivial p95 {ratio:.2f} (target ≤ {limit:g})"
        print(line + f", errors {errors[kind]}")
    print(f"errors: {sum(errors.values())}")
    return worst


def serve_and_measure(database_url: str, names: list[tuple[str, str]], fragments: dict[str, list[str]], year: int,
                      requests: int, workers: int, threads: int) -> None:
    rng = random.Random(5)

    def fragment() -> str:
        return rng.choice(fragments["distinctive"])

    kinds = {
        TRIVIAL: lambda: "/transparency/head.json",
        "search ?q=<name fragment>": lambda: "/public/results/?" + urllib.parse.urlencode({"q": fragment()}),
        "search ?q=<code>": lambda: "/public/results/?" + urllib.parse.urlencode({"q": rng.choice(names)[1]}),
        "search ?q=<fragment>&year&department&category": lambda: "/public/results/?" + urllib.parse.urlencode(
            {"q": fragment()[:2], "year": year, "department": "SCJGJ", "category": "no_issue"}),
        "search ?year&department&category": lambda: "/public/results/?" + urllib.parse.urlencode(
            {"year": year, "department": rng.choice(DEPARTMENTS), "category": rng.choice(["no_issue", ""])}),
        COMMON: lambda: "/public/results/?" + urllib.parse.urlencode(
            {"q": rng.choice([*fragments["common"], "有限", "重庆", "公司"])}),
    }
    with gunicorn(database_url, workers) as base:
        timings, errors = measure(base, kinds, requests, workers, threads)
    print(f"served by gunicorn ({workers} workers, {threads} client threads, {requests} requests per kind,"
          f" interleaved in 10 rounds):")
    worst = report(timings, errors, apart=(COMMON,))
    print(f"ratio: {worst * 10:.2f}  (slowest search p95 ÷ trivial p95; target ≤ 10)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=200_000)
    parser.add_argument("--results", type=int, default=100_000)
    parser.add_argument("--publish", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300, help="requests per kind of URL")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="client threads")
    parser.add_argument("--database", default="sqlite",
                        help="sqlite (default) or a postgres:// URL of a server to make a database on")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spotcheck.settings")

    def run(url: str) -> None:
        os.environ["DATABASE_URL"] = url
        facts = setup(args.entities, args.results, args.publish)
        publication(facts["service_plan"], facts["baseline_plan"], facts["head"])
        from django.db import connections

        connections.close_all()
        serve_and_measure(url, facts["names"], facts["fragments"], facts["year"], args.requests, args.workers,
                          args.threads)

    on_database(parser, args.database, "results", run)


def on_database(parser: argparse.ArgumentParser, database: str, name: str, run) -> None:
    """Run ``run(url)`` on a SQLite file in a temporary folder, or on a fresh PostgreSQL database
    spotcheck_bench_<name> made on the server of ``database`` (a postgres:// URL) and dropped after."""
    if database == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix=f"spotcheck-{name}-"))
        run(f"sqlite:///{folder / (name + '.sqlite3')}")
        return
    if not is_postgres(database):
        parser.error("--database: sqlite or a postgres:// URL")
    with fresh_database(database, f"spotcheck_bench_{name}") as url:
        run(url)


if __name__ == "__main__":
    main()
