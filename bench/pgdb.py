"""PostgreSQL helpers shared by the benches: a fresh database of their own on a given server."""

from __future__ import annotations

from contextlib import contextmanager
from urllib.parse import urlparse, urlunparse


def is_postgres(url: str) -> bool:
    return urlparse(url).scheme in ("postgres", "postgresql", "pgsql")


def _with_database(url: str, name: str) -> str:
    parsed = urlparse(url)
    scheme = "postgresql" if parsed.scheme == "pgsql" else parsed.scheme
    return urlunparse(parsed._replace(scheme=scheme, path=f"/{name}"))


@contextmanager
def fresh_database(url: str, name: str):
    """Create an empty database ``name`` on the server of ``url`` (dropping one left over),
    yield its URL, and drop it afterwards. The URL's user needs CREATEDB; the maintenance
    database ``postgres`` is used to create and drop it."""
    import psycopg
    from psycopg import sql

    admin = _with_database(url, "postgres")

    def run(statement: str) -> None:
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(sql.SQL(statement).format(sql.Identifier(name)))

    run("DROP DATABASE IF EXISTS {}")
    run("CREATE DATABASE {}")
    try:
        yield _with_database(url, name)
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django not set up
            pass
        run("DROP DATABASE IF EXISTS {} WITH (FORCE)")
