"""The directory's search by a fragment of a name, through an index of the names' pairs (PostgreSQL).

``name LIKE '%…%'`` reads every name of the directory: with a district's million
entities that is most of a page's time. On PostgreSQL an expression index holds
each name's pairs of adjacent characters (Chinese fragments are often two
characters, fewer than a trigram; no extension needed), lower-cased so that a
search ignores the case of Latin letters as ``icontains`` does. A fragment of two
characters or more is then the names holding all its pairs, checked by the LIKE.
SQLite (development) reads the names.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.models import QuerySet

# IMMUTABLE: the index may use it. Its body must never change meaning, or the index must be rebuilt.
CREATE_FUNCTION = """CREATE OR REPLACE FUNCTION spotcheck_name_pairs(text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS
    $$ SELECT ARRAY(SELECT substr(lower($1), k, 2) FROM generate_series(1, greatest(length($1) - 1, 1)) AS k) $$"""
CREATE_INDEX = ("CREATE INDEX IF NOT EXISTS directory_entity_name_pairs ON directory_entity"
                " USING gin (spotcheck_name_pairs(name))")
DROP = ["DROP INDEX IF EXISTS directory_entity_name_pairs", "DROP FUNCTION IF EXISTS spotcheck_name_pairs(text)"]


def create(apps: Any, schema_editor: Any) -> None:
    """Migration step: the function and the index, on PostgreSQL only."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_FUNCTION)
        schema_editor.execute(CREATE_INDEX)


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement)


def pairs(fragment: str) -> list[str]:
    text = fragment.lower()
    return [text[k:k + 2] for k in range(len(text) - 1)]


def name_holds(queryset: QuerySet, fragment: str) -> QuerySet:
    """Filter entities whose name holds ``fragment`` (any case), by the pairs' index where there is one."""
    queryset = queryset.filter(name__icontains=fragment)
    if len(fragment) >= 2 and connections[queryset.db].vendor == "postgresql":
        table = queryset.model._meta.db_table
        queryset = queryset.extra(where=[f"spotcheck_name_pairs({table}.name) @> %s::text[]"],  # noqa: S610
                                  params=[pairs(fragment)])
    return queryset
