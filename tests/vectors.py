"""The published test vectors of the draw, kept in the repository (docs/draw/vectors/)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VECTOR_DIR = ROOT / "docs" / "draw" / "vectors"
V1 = sorted(VECTOR_DIR.glob("*.json"))
V2 = sorted((VECTOR_DIR / "v2").glob("*.json"))
# The specification's own copy, where a checkout has it beside the repository.
SHARED_DIR = ROOT.parent / "shared" / "spec" / "vectors"


def inputs_of(record: dict) -> dict:
    """Return the draw inputs that a record states (to draw it again)."""
    return {
        "plan": record["plan"],
        "committed_at": record["committed_at"],
        "drawn_at": record["drawn_at"],
        "server_secret": record["server_secret"],
        "public_entropy": record["public_entropy"],
        "rows": record["frame"]["rows"],
        "inspectors": record["pool"]["inspectors"],
        "conflicts": record["pool"]["conflicts"],
        "rules": {s["name"]: {k: s[k] for k in ("ratio", "count") if k in s} for s in record["strata"]},
        "team_size": record["team_size"],
        "required_departments": record["required_departments"],
        "capacity": record["capacity"],
        "exclusions": record["exclusions"],
    }
