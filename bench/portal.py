"""Benchmark: the portal and the staff pages at district scale, served by a production-like server.

Sets up (not timed) a fresh database with E entities and R published results (the
setup of bench/results.py), then serves the project with gunicorn (DEBUG=0, W workers)
and sends, from T client threads on loopback, interleaved rounds of requests to:

- a trivial view (``/transparency/head.json``): the baseline of the same run;
- the entity directory searched by a fragment of a name (``/directory/entities/?q=…``,
  as the district coordinator, who sees every entity);
- an entity's public page (``/public/entities/<code>/``, the credit record), half of
  them entities with published results;
- the public results search by a name fragment (``/public/results/?q=…``);
- the coordinator's dashboard for last year (``/oversight/?year=…``).

Prints p50, p95, mean, requests per second and errors for each, and each p95 ÷ the
trivial view's p95. Issue #9's targets, for E = 1,000,000 and R = 100,000 on
PostgreSQL: search and entity page ≤ 10×, dashboard ≤ 20×, no errors.

Usage: python bench/portal.py [--entities E] [--results R] [--requests N] [--workers W]
                              [--threads T] [--database URL]

    scripts/throwaway-postgres run sh -c '.venv/bin/python bench/portal.py --database "$DATABASE_URL"'
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import results as bench  # noqa: E402 (bench/results.py: the setup, the server and the measuring)

ENTITY_SEARCH = "entity search /directory/entities/?q=<name fragment>"
COMMON_SEARCH = "entity search ?q=<a fragment of more than 1,000 names> (not in the ratio)"
ENTITY_PAGE = "entity page /public/entities/<code>/"
RESULTS_SEARCH = "results search /public/results/?q=<name fragment>"
DASHBOARD = "coordinator's dashboard /oversight/?year=<last year>"


def coordinator_session() -> tuple[str, str]:
    """Return (cookie name, session key) of a logged-in district coordinator (made here, no login form)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from spotcheck.accounts.models import Role, User

    user = User.objects.create(username="bench-coordinator", role=Role.COORDINATOR)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return settings.SESSION_COOKIE_NAME, session.session_key or ""


def fragments_of(names: list[str], rng: random.Random) -> dict[str, list[str]]:
    """Four characters from anywhere in a name, as a visitor looking for one business types them:
    those of at most 1,000 names (distinctive), and those of more (有限公司…), apart."""
    from spotcheck.directory.models import Entity
    from spotcheck.directory.name_index import name_holds

    found: dict[str, list[str]] = {"distinctive": [], "common": []}
    for name in names:
        start = rng.randrange(max(1, len(name) - 3))
        fragment = name[start:start + 4]
        many = name_holds(Entity.objects.all(), fragment).order_by()[:1001].count() > 1000
        found["common" if many else "distinctive"].append(fragment)
    print(f"entity name fragments: {len(found['distinctive'])} distinctive, {len(found['common'])} of more than"
          f" 1,000 names")
    return found


def run(url: str, args: argparse.Namespace) -> None:
    os.environ["DATABASE_URL"] = url
    facts = bench.setup(args.entities, args.results, 1)
    from django.db import connections

    from spotcheck.directory.models import Entity

    rng = random.Random(11)
    cookie_name, session_key = coordinator_session()
    some = list(Entity.objects.order_by("?").values_list("uscc", "name")[:400])
    published = [code for _, code in facts["names"]]
    entity_fragments = fragments_of([name for _, name in some], rng)
    connections.close_all()

    cookie = {"Cookie": f"{cookie_name}={session_key}"}
    kinds = {
        bench.TRIVIAL: lambda: "/transparency/head.json",
        ENTITY_SEARCH: lambda: "/directory/entities/?" + urllib.parse.urlencode(
            {"q": rng.choice(entity_fragments["distinctive"])}),
        COMMON_SEARCH: lambda: "/directory/entities/?" + urllib.parse.urlencode(
            {"q": rng.choice(entity_fragments["common"] or ["有限公司"])}),
        ENTITY_PAGE: lambda: f"/public/entities/{rng.choice(published) if rng.random() < 0.5 else rng.choice(some)[0]}/",
        RESULTS_SEARCH: lambda: "/public/results/?" + urllib.parse.urlencode(
            {"q": rng.choice(facts["fragments"]["distinctive"])}),
        DASHBOARD: lambda: f"/oversight/?year={facts['year']}",
    }
    headers = {ENTITY_SEARCH: cookie, COMMON_SEARCH: cookie, DASHBOARD: cookie}
    with bench.gunicorn(url, args.workers) as base:
        timings, errors = bench.measure(base, kinds, args.requests, args.workers, args.threads, headers)
    print(f"served by gunicorn ({args.workers} workers, {args.threads} client threads, {args.requests} requests"
          f" per kind, interleaved in 10 rounds), {args.entities:,} entities, {args.results:,} published results:")
    worst = bench.report(timings, errors, apart=(COMMON_SEARCH,), limits={DASHBOARD: 20})
    print(f"worst p95 ratio ÷ its target: {worst:.2f}  (≤ 1 meets issue #9's targets)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--results", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per kind of URL")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="client threads")
    parser.add_argument("--database", default="sqlite",
                        help="sqlite (default) or a postgres:// URL of a server to make a database on")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spotcheck.settings")
    # The server and this process sign sessions with one key, so that the coordinator's session holds.
    os.environ["BENCH_SECRET_KEY"] = os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    bench.on_database(parser, args.database, "portal", lambda url: run(url, args))

if __name__ == "__main__":
    main()
