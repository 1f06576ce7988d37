"""Find entities with published results by a fragment of their name, through an index.

The public search (``public.search``) asks for a fragment of a name, anywhere in
it: ``LIKE '%…%'`` over the whole directory reads every name, and with a
district's directory that costs more than the rest of the page together. So the
names of the entities that have a published result (the only ones the search can
show) are kept in a table of their own with an index of each name's pairs of
adjacent characters (Chinese fragments are often two characters, fewer than a
trigram): an FTS5 table on SQLite, an array with a GIN index on PostgreSQL. A
fragment is then the names holding all its pairs, checked by LIKE. Database triggers keep it current, so that no code path can forget
it: publishing a result adds its entity's name, renaming such an entity renames
it. The directory's imports pay nothing, as new entities have no result yet.

On PostgreSQL each published result also carries a copy of its entity's name
(``results_result.public_name``, kept by the same triggers), for a search within
one department's results of a year (``holds``).

The table, its index, the copy and the triggers are not a model: ``ensure`` creates them
after every ``migrate`` (a migration that rebuilds a table on SQLite drops its
triggers) and refills the names. Without them (a SQLite built without FTS5),
``entity_ids`` answers None and the search reads the directory.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from typing import Any

from django.db import DatabaseError, connections, transaction

log = logging.getLogger(__name__)

# The index's tokens on SQLite: every pair of adjacent characters of the name ("重庆和圣" → "重庆 庆和 和圣"),
# so that a fragment of two characters or more is a phrase of consecutive pairs. Names longer than
# this are indexed up to it (and still found by LIKE when the index is missing).
LONGEST_NAME = 120


def _pairs(column: str) -> str:
    """SQL for the overlapping pairs of characters of ``column``, separated by spaces."""
    return " || ' ' || ".join(f"substr({column}, {k}, 2)" for k in range(1, LONGEST_NAME))


# How many published results an entity has: the search's total for a fragment of many names is then
# a sum over the names, not a test of every published result's name.
_PUBLISHED = ("(SELECT COUNT(*) FROM results_result WHERE results_result.entity_id = directory_entity.id"
              " AND results_result.published_at IS NOT NULL)")


def _add(entity: str) -> str:
    return ("INSERT INTO results_public_name(rowid, name, published, pairs) "  # noqa: S608 (constant SQL)
            f"SELECT id, name, {_PUBLISHED}, {_pairs('name')} FROM directory_entity WHERE id = {entity};")


SQLITE = [
    # Derived data, rebuilt whole: dropping it also replaces a table of an older shape.
    "DROP TABLE IF EXISTS results_public_name",
    # Columns in this order: the plain content table results_public_name_content has them as c0, c1, c2.
    "CREATE VIRTUAL TABLE results_public_name USING fts5(name UNINDEXED, published UNINDEXED, pairs,"
    " tokenize='unicode61')",
    "DROP TRIGGER IF EXISTS results_public_name_insert",
    "DROP TRIGGER IF EXISTS results_public_name_publish",
    "DROP TRIGGER IF EXISTS results_public_name_rename",
    f"""CREATE TRIGGER results_public_name_insert AFTER INSERT ON results_result WHEN new.published_at IS NOT NULL BEGIN
        DELETE FROM results_public_name WHERE rowid = new.entity_id;
        {_add("new.entity_id")}
    END""",  # noqa: S608 (constant SQL)
    f"""CREATE TRIGGER results_public_name_publish AFTER UPDATE OF published_at ON results_result
        WHEN new.published_at IS NOT NULL AND old.published_at IS NULL BEGIN
        DELETE FROM results_public_name WHERE rowid = new.entity_id;
        {_add("new.entity_id")}
    END""",  # noqa: S608 (constant SQL)
    f"""CREATE TRIGGER results_public_name_rename AFTER UPDATE OF name ON directory_entity WHEN old.name IS NOT new.name
        BEGIN
        UPDATE results_public_name SET name = new.name, pairs = {_pairs("new.name")} WHERE rowid = new.id;
    END""",  # noqa: S608 (constant SQL)
    f"""INSERT INTO results_public_name(rowid, name, published, pairs)
        SELECT id, name, {_PUBLISHED}, {_pairs("name")} FROM directory_entity
        WHERE id IN (SELECT entity_id FROM results_result WHERE published_at IS NOT NULL)""",  # noqa: S608
]

# The same pairs on PostgreSQL, as an array with a GIN index (built in: no extension to install).
_PG_PAIRS = "ARRAY(SELECT substr(name, k, 2) FROM generate_series(1, greatest(length(name) - 1, 1)) AS k)"

POSTGRESQL = [
    "DROP TABLE IF EXISTS results_public_name",
    "CREATE TABLE results_public_name (entity_id bigint PRIMARY KEY, name text NOT NULL,"
    " published integer NOT NULL, pairs text[] NOT NULL)",
    f"""CREATE OR REPLACE FUNCTION results_public_name_add() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        INSERT INTO results_public_name (entity_id, name, published, pairs)
        SELECT id, name, {_PUBLISHED}, {_PG_PAIRS} FROM directory_entity WHERE id = NEW.entity_id
        ON CONFLICT (entity_id) DO UPDATE SET name = EXCLUDED.name, published = EXCLUDED.published,
            pairs = EXCLUDED.pairs;
        RETURN NULL;
    END $$""",  # noqa: S608 (constant SQL)
    """CREATE OR REPLACE FUNCTION results_public_name_rename() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        UPDATE results_public_name SET name = NEW.name,
            pairs = ARRAY(SELECT substr(NEW.name, k, 2) FROM generate_series(1, greatest(length(NEW.name) - 1, 1)) AS k)
        WHERE entity_id = NEW.id;
        UPDATE results_result SET public_name = NEW.name WHERE entity_id = NEW.id AND published_at IS NOT NULL;
        RETURN NULL;
    END $$""",
    # Each published result carries its entity's name as well (a column the model does not know): a search
    # by a fragment within one department's results of a year then tests the name on the row it reads,
    # rather than looking each row's entity up in the index (3 µs a row: 15 ms for a few thousand rows).
    # (Only when missing: an ALTER TABLE, even one that changes nothing, is refused in a transaction that has
    # written rows of the table with constraints still to check.)
    """DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                       AND table_name = 'results_result' AND column_name = 'public_name') THEN
            ALTER TABLE results_result ADD COLUMN public_name text;
        END IF;
    END $$""",
    """CREATE OR REPLACE FUNCTION results_public_name_copy() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        NEW.public_name := (SELECT name FROM directory_entity WHERE id = NEW.entity_id);
        RETURN NEW;
    END $$""",
    "DROP TRIGGER IF EXISTS results_public_name_copy ON results_result",
    """CREATE TRIGGER results_public_name_copy BEFORE INSERT OR UPDATE OF published_at, entity_id ON results_result
        FOR EACH ROW WHEN (NEW.published_at IS NOT NULL) EXECUTE FUNCTION results_public_name_copy()""",
    "DROP TRIGGER IF EXISTS results_public_name_add ON results_result",
    """CREATE TRIGGER results_public_name_add AFTER INSERT OR UPDATE OF published_at ON results_result
        FOR EACH ROW WHEN (NEW.published_at IS NOT NULL) EXECUTE FUNCTION results_public_name_add()""",
    "DROP TRIGGER IF EXISTS results_public_name_rename ON directory_entity",
    """CREATE TRIGGER results_public_name_rename AFTER UPDATE OF name ON directory_entity
        FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION results_public_name_rename()""",
    f"""INSERT INTO results_public_name (entity_id, name, published, pairs) SELECT id, name, {_PUBLISHED}, {_PG_PAIRS}
        FROM directory_entity WHERE id IN (SELECT entity_id FROM results_result WHERE published_at IS NOT NULL)""",  # noqa: S608
    # Built after the rows are in (faster), and without a pending list: rows would otherwise wait in it, up to
    # 4 MB of them read through by every search until a vacuum merges them (1 ms a search became 7 ms).
    "CREATE INDEX results_public_name_pairs ON results_public_name USING gin (pairs) WITH (fastupdate = off)",
    """UPDATE results_result r SET public_name = e.name FROM directory_entity e
        WHERE e.id = r.entity_id AND r.published_at IS NOT NULL AND r.public_name IS DISTINCT FROM e.name""",
]


def ensure(using: str = "default", **_: Any) -> bool:
    """Create (or re-create) the name index, its triggers and its content; return whether it is in place."""
    connection = connections[using]
    statements = {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(connection.vendor)
    if statements is None:
        return False
    try:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    except DatabaseError as error:
        log.warning("公示检索的名称索引未建立，检索将逐条比对名称 / name index not created: %s", error)
        return False
    return True


def _like(fragment: str) -> str:
    return "%" + fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def query(fragment: str, vendor: str) -> tuple[str, list[Any]]:
    """Return the SQL (and its parameters) that selects the ids of the entities whose name holds ``fragment``."""
    if vendor == "sqlite" and len(fragment) >= 2:
        # The fragment's pairs as a phrase find the candidates; LIKE keeps the exact substrings
        # (a pair split by a space or a bracket is tokenized loosely).
        pairs = " ".join(fragment[k:k + 2] for k in range(len(fragment) - 1))
        return ("SELECT rowid FROM results_public_name WHERE results_public_name MATCH %s"
                " AND name LIKE %s ESCAPE '\\'", ['"' + pairs.replace('"', '""') + '"', _like(fragment)])
    if vendor == "sqlite":
        # One character: read the names from the FTS5 table's plain content table (``<table>_content``,
        # column c0 the name), faster than a scan of the virtual table.
        return "SELECT id FROM results_public_name_content WHERE c0 LIKE %s ESCAPE '\\'", [_like(fragment)]
    if len(fragment) == 2:
        # Exact: a name holds two characters exactly when they are one of its pairs. Without a LIKE the
        # planner also estimates the names' number from the index (a LIKE's guess is far too low).
        return "SELECT entity_id FROM results_public_name WHERE pairs @> %s", [[fragment]]
    if len(fragment) > 2:
        pairs_of = [fragment[k:k + 2] for k in range(len(fragment) - 1)]
        return "SELECT entity_id FROM results_public_name WHERE pairs @> %s AND name LIKE %s", [pairs_of, _like(fragment)]
    return "SELECT entity_id FROM results_public_name WHERE name LIKE %s", [_like(fragment)]


def holds(fragment: str) -> tuple[str, list[Any]]:
    """Return a PostgreSQL condition (and its parameters): the published result's entity name holds ``fragment``.

    Tested on the result's own copy of the name, row by row: for a few thousand
    filtered results that is cheaper than reading the tens of thousands of names
    a common fragment is in (which a join would do).
    """
    return '"results_result"."public_name" LIKE %s', [_like(fragment)]


def published_count(fragment: str, using: str = "default") -> int | None:
    """Return how many published results the entities whose name holds ``fragment`` have (None: no index).

    For a fragment of many names: the names are read in the plain table (c0 the name, c1 the count).
    """
    connection = connections[using]
    if connection.vendor == "sqlite":
        sql = "SELECT SUM(c1) FROM results_public_name_content WHERE c0 LIKE %s ESCAPE '\\'"
    elif connection.vendor == "postgresql":
        sql = "SELECT SUM(published) FROM results_public_name WHERE name LIKE %s"
    else:
        return None
    rows = _read(connection, using, sql, [_like(fragment)])
    return None if rows is None else int(rows[0][0] or 0)


def _read(connection: Any, using: str, sql: str, params: list[Any]) -> list[tuple] | None:
    # No transaction of its own: on SQLite one would take the write lock (transaction_mode IMMEDIATE).
    # Inside one, a savepoint keeps a missing table from spoiling it.
    try:
        with (transaction.atomic(using=using) if connection.in_atomic_block else nullcontext()), \
                connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    except DatabaseError:
        return None


def entity_ids(fragment: str, limit: int, using: str = "default") -> list[int] | None:
    """Return up to ``limit`` ids of entities with published results whose name holds ``fragment``.

    None when the index is not there (the caller then searches the directory).
    """
    connection = connections[using]
    if connection.vendor not in ("sqlite", "postgresql"):
        return None
    sql, params = query(fragment, connection.vendor)
    rows = _read(connection, using, f"{sql} LIMIT %s", [*params, limit])
    return None if rows is None else [row[0] for row in rows]
