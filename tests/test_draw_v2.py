"""The pure draw, version 2 (spotcheck.draw.v2), against docs/draw/README.md and its vectors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections import Counter

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from spotcheck import draw
from spotcheck.draw import v2
from tests.vectors import ROOT, V1, V2, VECTOR_DIR, inputs_of

FAILED = VECTOR_DIR.parent / "examples" / "failed-draw.json"


def load(path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_v2_vectors_are_present():
    assert len(V2) >= 3 and all(load(p)["spec"] == "spotcheck-draw/2" for p in V2)


@pytest.mark.parametrize("path", V2, ids=lambda p: p.name)
def test_it_reproduces_each_v2_vector_byte_for_byte(path):
    text = path.read_text(encoding="utf-8")
    assert draw.dumps(v2.run(**inputs_of(json.loads(text)))) == text


@pytest.mark.parametrize("path", V2, ids=lambda p: p.name)
def test_the_default_capacities_of_rule_r5_are_the_vectors(path):
    record = load(path)
    inputs = {**inputs_of(record), "capacity": None}
    assert v2.run(**inputs)["capacity"] == record["capacity"]


@pytest.mark.parametrize("path", [*V1, *V2, FAILED], ids=lambda p: p.name)
def test_each_record_verifies_by_its_own_version(path):
    assert draw.verify(load(path)) is None


def test_the_params_text_is_written_as_the_spec_shows():
    strata = [{"name": "heightened", "count": 7}, {"name": "general", "ratio": "0.03"},
              {"name": "foreign", "ratio": "0.10"}]
    assert v2.params_text(strata, 3, ["SCJGJ", "WJW"], {"WJW": 16, "SCJGJ": 5}) == (
        "strata:foreign=ratio:0.10;general=ratio:0.03;heightened=count:7\n"
        "team_size:3\nrequired:SCJGJ,WJW\ncapacity:SCJGJ=5;WJW=16\n")
    assert v2.params_text([{"name": "general", "ratio": "0.03"}], 2, [], {"A": 3}) == (
        "strata:general=ratio:0.03\nteam_size:2\nrequired:\ncapacity:A=3\n")


# --- Tampering: each is named by the check that reads it ------------------------------


def _swap_members(r):
    team = r["selected"][0]["team"]
    team[0], team[1] = team[1], team[0]


TAMPERINGS = {
    "spec": lambda r: r.update(spec="spotcheck-draw/9"),
    "commitment": lambda r: r.update(commitment="0" * 64),
    "frame": lambda r: r["frame"]["rows"][0].__setitem__(1, "foreign" if r["frame"]["rows"][0][1] != "foreign"
                                                            else "general"),
    "pool": lambda r: r["pool"]["conflicts"].pop(),
    "params": lambda r: r["capacity"].update({next(iter(r["capacity"])): 99}),
    "seed": lambda r: r.update(public_entropy=r["public_entropy"] + " 0"),
    "strata": lambda r: r["strata"][0].update(sample_size=r["strata"][0]["sample_size"] + 1),
    "selection": lambda r: r["selected"].insert(0, r["selected"].pop(1)),
    "teams": _swap_members,
}


@pytest.mark.parametrize("check", v2.CHECKS)
@pytest.mark.parametrize("path", V2, ids=lambda p: p.name)
def test_verify_names_the_first_failed_check(path, check):
    record = load(path)
    TAMPERINGS[check](record)
    assert draw.verify(record) == check


@pytest.mark.parametrize("change, check", [
    (lambda r: r.update(server_secret=r["server_secret"].upper()), "commitment"),
    (lambda r: r["frame"].update(count=True), "frame"),  # a boolean is not a count
    (lambda r: r["frame"]["rows"][0].__setitem__(0, "A,B"), "frame"),
    (lambda r: r["pool"]["inspectors"][0].__setitem__(1, ""), "pool"),
    (lambda r: r.update(team_size=1), "params"),
    (lambda r: r["strata"][0].update(count=3), "params"),  # a ratio and a count
    (lambda r: r.update(required_departments=["SCJGJ", "SCJGJ"]), "params"),
    (lambda r: r["capacity"].pop(next(iter(r["capacity"]))), "params"),
    (lambda r: r["capacity"].update({next(iter(r["capacity"])): 0}), "params"),
    (lambda r: r.pop("params_digest"), "params"),
    (lambda r: r.update(public_entropy=" " + r["public_entropy"]), "seed"),  # used exactly as recorded
    (lambda r: r.update(failure={"entity": r["selected"][0]["entity"], "slot": 0, "department": None},
                        selected=[]), "teams"),
])
def test_malformed_records_fail_the_check_that_reads_them(change, check):
    record = load(V2[0])
    change(record)
    assert draw.verify(record) == check


def test_a_record_that_is_not_an_object_or_of_no_known_version_fails_spec():
    assert draw.verify([1, 2]) == "spec" and draw.verify(None) == "spec"
    assert draw.verify({"spec": "spotcheck-draw/3"}) == "spec"
    assert draw.verify({"spec": v2.SPEC}) == "commitment"  # missing fields fail the first check that reads them


def test_a_failed_record_must_fail_exactly_where_it_says():
    record = load(FAILED)
    assert record["selected"] == [] and record["failure"]["department"] == "WJW"
    for key, value in (("slot", 0), ("department", None), ("entity", load(V2[0])["frame"]["rows"][0][0])):
        bad = load(FAILED)
        bad["failure"][key] = value
        assert draw.verify(bad) == "teams", key
    bad = load(FAILED)
    bad["selected"] = load(V2[1])["selected"][:1]
    assert draw.verify(bad) == "selection"
    bad = load(FAILED)
    del bad["failure"]
    assert draw.verify(bad) == "selection"  # nobody selected, yet no failure is stated


# --- Rules of §6 and R5 -----------------------------------------------------------------

SECRET = "ab" * 32
ids = st.integers(min_value=0, max_value=10**6).map(lambda n: f"91500113{n:010d}")


def _run(rows, inspectors, conflicts=(), required=(), capacity=None, team_size=2, rules=None, entropy="1 2 3"):
    return v2.run(plan={"id": "p"}, committed_at="", drawn_at="", server_secret=SECRET, public_entropy=entropy,
                  rows=rows, inspectors=inspectors, conflicts=list(conflicts),
                  rules=rules or {"general": {"ratio": "0.5"}, "foreign": {"ratio": "0.5"},
                                  "heightened": {"count": 3}},
                  team_size=team_size, required_departments=list(required), capacity=capacity)


def _pool(sizes: dict[str, int]) -> list[tuple[str, str]]:
    return [(f"{d}{i:03d}", d) for d, n in sizes.items() for i in range(n)]


frames = st.lists(st.tuples(ids, st.sampled_from(draw.STRATA)), min_size=1, max_size=60, unique_by=lambda r: r[0])


@settings(max_examples=60, deadline=None)
@given(frames, st.integers(1, 6), st.integers(1, 6), st.integers(1, 4), st.integers(2, 4),
       st.lists(st.tuples(st.integers(0, 5), st.integers(0, 59)), max_size=40), st.booleans())
def test_teams_are_distinct_required_unconflicted_and_within_capacity(rows, a, b, cap, m, raw_conflicts, joint):
    pool = _pool({"A": a, "B": b})
    department_of = dict(pool)
    conflicts = {(pool[i % len(pool)][0], rows[j % len(rows)][0]) for i, j in raw_conflicts}
    required = ["A", "B"] if joint else []
    record = _run(rows, pool, sorted(conflicts), required, capacity=cap, team_size=m)
    assert draw.verify(record) is None
    if "failure" in record:
        assert record["selected"] == []
        return
    load: Counter[str] = Counter()
    for sel in record["selected"]:
        team = sel["team"]
        assert len(team) == len(set(team)) == m
        assert [department_of[i] for i in team[: len(required)]] == required
        assert not any((i, sel["entity"]) in conflicts for i in team)
        load.update(team)
    assert all(n <= cap for n in load.values())


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 200), st.integers(2, 4), st.data())
def test_default_capacities_never_run_out_when_every_slot_is_a_departments(selected, m, data):
    """R5: a joint plan of m departments and teams of m is always staffed by default, even with a
    department of one or two inspectors (the issue's joint case)."""
    sizes = {f"D{i}": data.draw(st.integers(1, 30), label=f"D{i}") for i in range(m)}
    rows = [(f"91500113{n:010d}", "heightened") for n in range(selected)]
    record = _run(rows, _pool(sizes), required=list(sizes), team_size=m,
                  rules={"heightened": {"count": selected}})
    assert "failure" not in record and len(record["selected"]) == selected


def test_default_capacities_can_run_out_in_a_small_single_department_pool():
    """R5 says a default draw never runs out; with open slots it can, near the end of the draw:
    5 inspectors at capacity 80 for 197 teams of 2 leave 6 places to spare, and the last team
    finds four inspectors full and one free. The failure is published, as draw-v2 §7 says
    (a spec reading noted in docs/decisions/0003)."""
    rows = [(f"91500113{n:010d}", "heightened") for n in range(197)]
    record = _run(rows, _pool({"D0": 5}), team_size=2, rules={"heightened": {"count": 197}})
    assert record["capacity"] == {"D0": 80}  # ceil(197 × 2 ÷ 5) + 1
    assert record["failure"]["slot"] == 1 and record["failure"]["department"] is None
    assert draw.verify(record) is None


def test_default_capacities_follow_rule_r5():
    pool = _pool({"SCJGJ": 14, "WJW": 2})
    # A joint plan of 2 departments, teams of 2, 29 selected: ceil(29 × 1 ÷ P_d) + 1.
    assert v2.default_capacities(29, 2, pool, ["SCJGJ", "WJW"]) == {"SCJGJ": 4, "WJW": 16}
    # A single department: ceil(S × m ÷ P) + 1.
    assert v2.default_capacities(17, 2, _pool({"SCJGJ": 8}), []) == {"SCJGJ": 6}
    # A plan's setting: one integer for all, or per department with defaults for the rest.
    assert v2.capacities(3, 29, 2, pool, ["SCJGJ", "WJW"]) == {"SCJGJ": 3, "WJW": 3}
    assert v2.capacities({"WJW": 20}, 29, 2, pool, ["SCJGJ", "WJW"]) == {"SCJGJ": 4, "WJW": 20}


def test_a_failed_draw_names_the_entity_slot_and_department():
    rows = [(f"91500113{n:010d}", "heightened") for n in range(3)]
    record = _run(rows, [("A1", "A"), ("A2", "A"), ("B1", "B")], required=["A", "B"], capacity=1,
                  rules={"heightened": {"count": 3}})
    assert record["selected"] == [] and record["failure"]["slot"] == 1
    assert record["failure"]["department"] == "B" and draw.verify(record) is None
    second = [s for s in draw.select(record["seed"], rows, {"heightened": 3})][1].entity
    assert record["failure"]["entity"] == second  # B1 is spent by the first team
    # An open slot that nobody can fill names no department.
    record = _run(rows, [("A1", "A"), ("A2", "A")], capacity=1, rules={"heightened": {"count": 3}})
    assert record["failure"]["department"] is None and draw.verify(record) is None


def test_a_slot_costs_one_hash_while_capacity_is_ample(monkeypatch):
    """§6: the teams cost about one hash per slot, whatever the size of the pool."""
    import hashlib

    calls = Counter()
    real = hashlib.sha256

    class Counting:
        def __init__(self, data=b""):
            self.state = real(data)

        def copy(self):
            clone = Counting()
            clone.state = self.state.copy()
            return clone

        def update(self, data):
            self.state.update(data)

        def digest(self):
            calls["digest"] += 1
            return self.state.digest()

    teams_seed = "cd" * 32
    entities = [f"91500113{n:010d}" for n in range(200)]
    pool = _pool({"A": 5000})
    monkeypatch.setattr(v2.hashlib, "sha256", Counting)
    v2.assign_teams(teams_seed, entities, pool, [], 2, [], {"A": 10})
    assert 400 <= calls["digest"] < 200 * 2 * 1.1  # 400 slots, a few rejections of a member already chosen


def test_each_inspector_gets_a_uniform_share_of_slots():
    """Chi-square over a fixed list of seeds: with ample capacity every pool inspector is equally likely."""
    pool = _pool({"A": 10, "B": 10})
    entities = [f"91500113{n:010d}" for n in range(400)]
    counts: Counter[str] = Counter()
    for s in range(5):
        for team in v2.assign_teams(draw.h(f"seed {s}"), entities, pool, [], 2, [], {"A": 1000, "B": 1000}):
            counts.update(team)
    total = sum(counts.values())  # 5 × 400 × 2 = 4,000 slots over 20 inspectors
    expected = total / len(pool)
    chi2 = sum((counts[i] - expected) ** 2 / expected for i, _ in pool)
    assert total == 4000
    assert chi2 < 43.8  # the 0.999 quantile of chi-square with 19 degrees of freedom


def test_the_team_rule_matches_a_direct_reading_of_the_spec():
    """An independent, literal implementation of §6 gives the same teams as the counting one."""
    record = load(V2[1])
    inspectors = [tuple(i) for i in record["pool"]["inspectors"]]
    conflicts = {tuple(c) for c in record["pool"]["conflicts"]}
    department_of = dict(inspectors)
    load_: Counter[str] = Counter()
    for sel in record["selected"]:
        team: list[str] = []
        for j in range(record["team_size"]):
            req = record["required_departments"]
            dept = req[j] if j < len(req) else None
            pool = sorted(i for i, d in inspectors if dept is None or d == dept)
            k = 0
            while True:
                x = int(draw.h(f"{record['seed']}:team:{sel['entity']}:{j}:{k}"), 16) % len(pool)
                pick = pool[x]
                if (pick not in team and (pick, sel["entity"]) not in conflicts
                        and load_[pick] < record["capacity"][department_of[pick]]):
                    team.append(pick)
                    break
                k += 1
        load_.update(team)
        assert team == sel["team"]


# --- The command-line verifiers agree with the module ---------------------------------------

ISSUE_TAMPERINGS = {  # issue #7: each named by the right check in every verifier
    "seed": lambda r: r.update(public_entropy=r["public_entropy"] + "1"),
    "teams": _swap_members,
    "params": lambda r: r["capacity"].update({next(iter(r["capacity"])): 99}),
    "pool": lambda r: r["pool"]["conflicts"].pop(),
    "spec": lambda r: r.update(spec="spotcheck-draw/9"),
}
# Version 1 has no params check (its one capacity is not hashed before the draw): the others apply.
V1_TAMPERINGS = {check: tamper for check, tamper in ISSUE_TAMPERINGS.items() if check != "params"}


def _verify_module(path, *options: str) -> subprocess.CompletedProcess:
    """Run the standalone verifier, as a notary would, on a record file."""
    return subprocess.run([sys.executable, "-m", "spotcheck.verify", str(path), *options],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_both_command_line_verifiers_name_each_tampering(tmp_path):
    from tests.conftest import run_command

    for vector in (*V1, *V2):
        version1 = vector in V1
        for check, tamper in (V1_TAMPERINGS if version1 else ISSUE_TAMPERINGS).items():
            record = load(vector)
            tamper(record)
            path = tmp_path / f"{'v1' if version1 else 'v2'}-{vector.stem}-{check}.json"
            path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
            where = f"{path.name}: {check}"
            assert draw.verify(record) == check, where
            assert run_command("verify_draw", str(path)) == (1, {"valid": False, "failed": check}), where
            result = _verify_module(path, "--json")
            assert (result.returncode, json.loads(result.stdout)) == (1, {"valid": False, "failed": check}), where
    for path in (*V1, *V2, FAILED):
        assert run_command("verify_draw", str(path)) == (0, {"valid": True}), path.name
        result = _verify_module(path, "--json")
        assert (result.returncode, json.loads(result.stdout)) == (0, {"valid": True}), path.name
        # The one-line answer names the version whose rules were applied, the same in both.
        out = io.StringIO()
        call_command("verify_draw", str(path), stdout=out)
        result = _verify_module(path)
        assert result.returncode == 0 and result.stdout == out.getvalue(), path.name  # byte for byte
        # Version 1's seven checks (draw-v1 §8), version 2's nine: as the in-browser verifier counts them.
        checks = 7 if path in V1 else 9
        assert result.stdout == (f"有效（{load(path)['spec']}）：{checks}项检查全部通过 / "
                                 f"valid: all {checks} checks passed\n"), path.name


def test_verify_draw_says_it_checks_by_the_records_spec():
    from spotcheck.draws.management.commands.verify_draw import Command

    assert "spotcheck-draw/1" in Command.help and "/2" in Command.help and "draw-v1" not in Command.help


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    | st.lists(st.tuples(st.text(max_size=3), st.text(max_size=3)), max_size=3),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_records_are_written_exactly_as_the_standard_encoder_writes_them(value):
    assert draw.dumps(value) == json.dumps(value, indent=1, ensure_ascii=False)


def test_a_huge_team_size_fails_quickly_not_by_exhausting_memory():
    record = load(V2[0])
    record["team_size"] = 10**15
    assert draw.verify(record) == "params"  # the digest no longer matches; nothing is allocated per slot
    rows = [(f"91500113{n:010d}", "heightened") for n in range(2)]
    failed = _run(rows, _pool({"A": 3}), team_size=10**15, rules={"heightened": {"count": 1}})
    assert failed["failure"]["slot"] == 3 and draw.verify(failed) is None
