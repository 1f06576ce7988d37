"""The verifiable draw (docs/draw/README.md): version 2 for new draws, version 1 kept for its records.

Standard library only: the web app, the command line, the standalone verifier
and the tests all use this one implementation. Every function takes and returns
plain data. ``verify`` reads a record's ``spec`` and checks it by the rules of
that version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spotcheck.draw import v1, v2
from spotcheck.draw.common import (
    RATIO_FORM,
    STRATA,
    DrawError,
    Row,
    Selected,
    TeamError,
    commitment,
    dumps,
    frame_digest,
    frame_text,
    h,
    new_secret,
    normalize_entropy,
    parse_ratio,
    pool_digest,
    pool_text,
    sample_size,
    select,
    strata_table,
    ticket,
)

SPEC = v2.SPEC  # what new draws use
SPECS = {v1.SPEC: v1, v2.SPEC: v2}
CHECKS = v2.CHECKS
run = v2.run

__all__ = [
    "CHECKS", "RATIO_FORM", "SPEC", "SPECS", "STRATA", "DrawError", "Row", "Selected", "TeamError",
    "checks_of", "commitment", "dumps", "frame_digest", "frame_text", "h", "new_secret",
    "normalize_entropy", "parse_ratio", "pool_digest", "pool_text", "run", "sample_size", "select",
    "strata_table", "ticket", "v1", "v2", "verify",
]


def verify(record: Any) -> str | None:
    """Check a record by the rules of the version its ``spec`` names; None when valid, else the check.

    A record that is not a JSON object, or names no known version, fails ``spec``.
    """
    version = _version(record)
    if version is None:
        return "spec"
    return version.verify(record)


def _version(record: Any) -> Any:
    """Return the module of the version a record names, or None (not an object, or no known text)."""
    spec = record.get("spec") if isinstance(record, Mapping) else None
    return SPECS.get(spec) if isinstance(spec, str) else None


def checks_of(record: Any) -> tuple[str, ...]:
    """Return the checks of this record's rules, in order: version 1's seven (draw-v1 §8), version 2's
    nine (its first the spec), and version 2's for a record of no known version (it fails ``spec``).

    The same lists as the in-browser verifier's, so that both count the checks of a valid record alike.
    """
    version = _version(record)
    if version is None or version is v2:
        return v2.CHECKS
    return version.CHECKS
