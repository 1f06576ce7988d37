"""The directory's search by a fragment of a name, through an index of the names' grams (PostgreSQL).

``name LIKE '%…%'`` reads every name of the directory: with a district's million
entities that is most of a page's time. On PostgreSQL an expression index holds
each name's pairs and triples of adjacent characters (no extension needed),
lower-cased so that a search ignores the case of Latin letters as ``icontains``
does. A fragment of three characters or more is the names holding all its triples
(a triple such as 南区丰 is in far fewer names than a pair such as 有限, so the
index reads short lists); a fragment of two is the names holding it as a pair
(Chinese fragments are often two characters). The LIKE then checks each candidate.
SQLite (development) reads the names.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.models import QuerySet

# IMMUTABLE: the index may use it. Its body must never change meaning, or the index must be rebuilt.
CREATE_FUNCTION = """CREATE OR REPLACE FUNCTION spotcheck_name_grams(text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS
    $$ SELECT ARRAY(SELECT substr(lower($1), k, n) FROM generate_series(1, greatest(length($1) - 1, 1)) AS k,
                    (VALUES (2), (3)) AS g(n) WHERE k + n - 1 <= length($1)) $$"""
CREATE_INDEX = ("CREATE INDEX IF NOT EXISTS directory_entity_name_grams ON directory_entity"
                " USING gin (spotcheck_name_grams(name))")
DROP = ["DROP INDEX IF EXISTS directory_entity_name_grams", "DROP FUNCTION IF EXISTS spotcheck_name_grams(text)"]


def create(apps: Any, schema_editor: Any) -> None:
    """Migration step: the function and the index, on PostgreSQL only."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_FUNCTION)
        schema_editor.execute(CREATE_INDEX)


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement)


def grams(fragment: str) -> list[str]:
    """The index's keys a name holding ``fragment`` must hold: its triples, or itself when two long."""
    text = fragment.lower()
    size = 3 if len(text) >= 3 else 2
    return [text[k:k + size] for k in range(len(text) - size + 1)]


def name_holds(queryset: QuerySet, fragment: str) -> QuerySet:
    """Filter entities whose name holds ``fragment`` (any case), by the pairs' index where there is one."""
    queryset = queryset.filter(name__icontains=fragment)
    if len(fragment) >= 2 and connections[queryset.db].vendor == "postgresql":
        table = queryset.model._meta.db_table
        queryset = queryset.extra(where=[f"spotcheck_name_grams({table}.name) @> %s::text[]"],  # noqa: S610
                                  params=[grams(fragment)])
    return queryset
