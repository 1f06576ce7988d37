"""The repository carries the draw's test vectors itself (docs/draw/vectors/), equal to the specification's."""

from __future__ import annotations

import pytest

from tests.vectors import SHARED_DIR, V1, V2, VECTOR_DIR


def test_the_repository_holds_both_versions_vectors():
    assert V1 and V2
    assert all(p.parent == VECTOR_DIR for p in V1) and all(p.parent == VECTOR_DIR / "v2" for p in V2)


@pytest.mark.skipif(not SHARED_DIR.is_dir(), reason="the specification's folder is not beside this checkout")
def test_every_published_vector_is_byte_for_byte_one_of_the_repositorys():
    ours = {p.read_bytes() for p in V1} | {p.read_bytes() for p in V2}
    theirs = sorted(SHARED_DIR.glob("*.json")) + sorted((SHARED_DIR / "v2").glob("*.json"))
    assert theirs, "the specification's vector folder is empty"
    for path in theirs:
        mine = VECTOR_DIR / path.relative_to(SHARED_DIR)
        assert mine.is_file() and mine.read_bytes() == path.read_bytes(), path.name
        assert path.read_bytes() in ours
