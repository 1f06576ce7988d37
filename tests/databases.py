"""A test database that several connections share, for tests that run threads."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, connections

from spotcheck.settings import database_from_url


@contextmanager
def file_database(tmp_path) -> Iterator[None]:
    """Point every connection (this thread's, other threads', the progress writer's) at one file.

    PostgreSQL gives every connection the same database already. The SQLite test database is in
    memory with a shared cache (table locks, no WAL): copy it to a file opened with the options
    the settings give a file database (WAL, busy timeout) until the block ends.
    """
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    path = tmp_path / "shared.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    # Into WAL once, here: the threads' connections then find it so. Two connections turning a file into WAL at
    # the same moment may fail at once with "database is locked" (SQLite does not wait on that lock upgrade).
    target.execute("PRAGMA journal_mode=WAL")
    target.close()
    memory_settings = connections.settings["default"]
    memory_connection = connections["default"]
    options = database_from_url(f"sqlite:///{path.as_posix()}")["OPTIONS"]
    connections.settings["default"] = {**memory_settings, "NAME": str(path), "OPTIONS": options}
    del connections["default"]  # this thread opens the file on its next query
    try:
        yield
    finally:
        connections["default"].close()
        connections.settings["default"] = memory_settings
        connections["default"] = memory_connection
