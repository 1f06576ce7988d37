"""The published test vectors of the draw, kept in the repository (docs/draw/vectors/)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VECTOR_DIR = ROOT / "docs" / "draw" / "vectors"
V1 = sorted(VECTOR_DIR.glob("*.json"))
V2 = sorted((VECTOR_DIR / "v2").glob("*.json"))
# The specification's own copy, where a checkout has it beside the repository.
SHARED_DIR = ROOT.parent / "shared" / "spec" / "vectors"
