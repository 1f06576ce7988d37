"""The pure draw, version 1 (spotcheck.draw.v1), against docs/draw/README.md and its vectors.

Version 1 is kept so that published version-1 records stay verifiable; the
shared pieces (frame, pool, sample sizes, selection) are tested here once.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spotcheck import draw
from spotcheck.draw import v1
from tests.vectors import V1 as VECTORS
from tests.vectors import inputs_of


def test_the_published_vectors_are_present():
    assert len(VECTORS) >= 2


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.name)
def test_it_reproduces_each_vector_byte_for_byte(path):
    text = path.read_text(encoding="utf-8")
    record = json.loads(text)
    assert draw.dumps(v1.run(**inputs_of(record))) == text


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.name)
def test_each_vector_verifies(path):
    assert draw.verify(json.loads(path.read_text(encoding="utf-8"))) is None


def _tamper(record, check):
    r = json.loads(json.dumps(record))
    if check == "commitment":
        r["commitment"] = "0" * 64
    elif check == "frame":
        r["frame"]["rows"][0][1] = "foreign" if r["frame"]["rows"][0][1] != "foreign" else "general"
    elif check == "pool":
        r["pool"]["conflicts"].pop()
    elif check == "seed":
        r["public_entropy"] = r["public_entropy"] + " 0"
    elif check == "strata":
        r["strata"][0]["sample_size"] += 1
    elif check == "selection":
        r["selected"][0], r["selected"][1] = r["selected"][1], r["selected"][0]
    elif check == "teams":
        t = r["selected"][0]["team"]
        t[0], t[1] = t[1], t[0]
    return r


@pytest.mark.parametrize("check", v1.CHECKS)
def test_verify_names_the_first_failed_check(check):
    record = json.loads(VECTORS[0].read_text(encoding="utf-8"))
    assert draw.verify(_tamper(record, check)) == check


def test_a_frame_with_a_repeated_id_fails_the_frame_check():
    record = json.loads(VECTORS[0].read_text(encoding="utf-8"))
    record["frame"]["rows"].append(record["frame"]["rows"][0])
    record["frame"]["count"] += 1
    assert draw.verify(record) == "frame"


def test_a_record_missing_keys_is_invalid_not_a_crash():
    assert draw.verify({"spec": v1.SPEC}) == "commitment"


def test_sample_size_uses_exact_arithmetic():
    # 0.03 × 100 is exactly 3 (a float would give 3.0000000000000004 and ceil to 4).
    assert draw.sample_size(100, {"ratio": "0.03"}) == 3
    assert draw.sample_size(101, {"ratio": "0.03"}) == 4
    assert draw.sample_size(5, {"count": 12}) == 5
    with pytest.raises(draw.DrawError):
        draw.sample_size(5, {"ratio": 0.03})
    for odd in ("3e-2", " 0.03", "+0.03", "0.0_3", ".03", "NaN", "1.5"):
        with pytest.raises(draw.DrawError):
            draw.sample_size(5, {"ratio": odd})


def test_entropy_is_trimmed_and_must_not_be_empty():
    assert draw.normalize_entropy("  1 2 3\n") == "1 2 3"
    with pytest.raises(draw.DrawError):
        draw.normalize_entropy("   ")


def test_commitment_hashes_the_raw_secret_bytes():
    secret = "00" * 32
    assert draw.commitment(secret) == draw.h(bytes(32))


# --- Properties ---------------------------------------------------------------------

ids = st.integers(min_value=0, max_value=10**6).map(lambda n: f"91500113{n:010d}")
frames = st.lists(st.tuples(ids, st.sampled_from(draw.STRATA)), min_size=1, max_size=60,
                  unique_by=lambda r: r[0])
RULES = {"general": {"ratio": "0.1"}, "foreign": {"ratio": "0.5"}, "heightened": {"count": 3}}
SECRET = "ab" * 32


def _pool(n_per_dept=4, departments=("A", "B")):
    return [(f"P{d}{i}", d) for d in departments for i in range(n_per_dept)]


def _run(rows, entropy="1 2 3", inspectors=None, conflicts=(), required=(), capacity=None, team_size=2):
    return v1.run(plan={"id": "p"}, committed_at="", drawn_at="", server_secret=SECRET,
                    public_entropy=entropy, rows=rows, inspectors=inspectors or _pool(),
                    conflicts=list(conflicts), rules=RULES, team_size=team_size,
                    required_departments=list(required), capacity=capacity)


@settings(max_examples=40, deadline=None)
@given(frames, st.randoms())
def test_row_order_does_not_matter(rows, rnd):
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    a, b = _run(rows, capacity=100), _run(shuffled, capacity=100)
    assert a["seed"] == b["seed"] and a["selected"] == b["selected"]


@settings(max_examples=25, deadline=None)
@given(frames)
def test_the_same_inputs_give_the_same_record(rows):
    assert draw.dumps(_run(rows, capacity=100)) == draw.dumps(_run(rows, capacity=100))


@settings(max_examples=25, deadline=None)
@given(frames, st.text(min_size=1).filter(lambda t: t.strip()))
def test_changing_the_entropy_changes_the_seed(rows, entropy):
    other = entropy.strip() + "x"
    assert _run(rows, entropy, capacity=100)["seed"] != _run(rows, other, capacity=100)["seed"]


@settings(max_examples=25, deadline=None)
@given(frames, frames)
def test_a_stratums_selection_depends_only_on_that_stratum(rows, extra):
    seed = "cd" * 32
    general = [r for r in rows if r[1] == "general"]
    known = {e for e, _ in general}
    others = [(e, s) for e, s in extra if s != "general" and e not in known]
    sizes = {"general": 3, "foreign": 2, "heightened": 2}
    alone = [c for c in draw.select(seed, general, sizes) if c.stratum == "general"]
    mixed = [c for c in draw.select(seed, general + others, sizes) if c.stratum == "general"]
    assert alone == mixed


@settings(max_examples=40, deadline=None)
@given(frames, st.lists(st.tuples(st.sampled_from([i for i, _ in _pool(3, ("A", "B", "C"))]), ids), max_size=30),
       st.integers(min_value=1, max_value=6))
def test_teams_respect_conflicts_capacity_and_departments(rows, conflicts, capacity):
    pool = _pool(3, ("A", "B", "C"))
    department_of = dict(pool)
    try:
        record = _run(rows, inspectors=pool, conflicts=conflicts, required=["A", "B"],
                      capacity=capacity, team_size=3)
    except draw.TeamError:
        return  # impossible teams fail as a whole (tested below)
    forbidden = set(map(tuple, conflicts))
    load: dict[str, int] = {}
    for sel in record["selected"]:
        team = sel["team"]
        assert len(team) == len(set(team)) == 3
        assert department_of[team[0]] == "A" and {"A", "B"} <= {department_of[i] for i in team}
        assert not any((i, sel["entity"]) in forbidden for i in team)
        for i in team:
            load[i] = load.get(i, 0) + 1
    assert all(n <= capacity for n in load.values())
    assert draw.verify(record) is None


def test_an_impossible_team_fails_the_whole_draw_and_names_the_entity():
    rows = [(f"91500113{n:010d}", "heightened") for n in range(3)]
    pool = [("P1", "A"), ("P2", "A")]
    conflicted = rows[0][0]
    with pytest.raises(draw.TeamError) as failure:
        _run(rows, inspectors=pool, conflicts=[("P1", conflicted)], capacity=10)
    assert failure.value.entity == conflicted


def test_a_required_department_without_eligible_inspectors_fails():
    rows = [("91500113" + "0" * 10, "heightened")]
    with pytest.raises(draw.TeamError) as failure:
        _run(rows, inspectors=[("P1", "A"), ("P2", "A")], required=["A", "B"], capacity=5)
    assert failure.value.department == "B"


def test_capacity_limits_how_often_an_inspector_is_sent():
    rows = [(f"91500113{n:010d}", "heightened") for n in range(3)]
    with pytest.raises(draw.TeamError):
        _run(rows, inspectors=[("P1", "A"), ("P2", "A"), ("P3", "A")], capacity=1)
    assert len(_run(rows, inspectors=[("P1", "A"), ("P2", "A"), ("P3", "A")], capacity=2)["selected"]) == 3


def test_the_default_capacity_follows_rule_r5():
    assert v1.default_capacity(selected=10, team_size=2, pool_size=8) == 4  # ceil(20/8)+1


def test_the_empty_frame_is_not_drawable():
    with pytest.raises(draw.DrawError):
        _run([])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(exclude_categories=("Cs",)), max_size=8)))
def test_code_point_order_is_utf8_byte_order(lines):
    # draw-v1 sorts lines by their UTF-8 bytes; the implementation sorts text directly.
    assert sorted(lines) == sorted(lines, key=lambda line: line.encode("utf-8"))


def test_frame_text_sorts_non_ascii_ids_by_utf8_bytes():
    rows = [("执法Z", "general"), ("ZZ", "general"), ("é1", "foreign"), ("\U00010000x", "general")]
    lines = [f"{e},{s}\n" for e, s in rows]
    assert draw.frame_text(rows) == "".join(sorted(lines, key=lambda t: t.encode("utf-8")))
