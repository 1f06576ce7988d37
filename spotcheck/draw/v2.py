"""The verifiable draw, version 2 (``spotcheck-draw/2``, docs/draw/README.md).

What differs from version 1: the parameters (strata rules, team size, required
departments, capacities) are fixed by ``params_digest``, which enters the seed;
each team slot is one uniform choice by rejection sampling, so the teams cost
about one hash per slot whatever the size of the pool; ``capacity`` is a map per
department; a draw that fails is itself a record. Standard library only.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from spotcheck.draw.common import (
    RATIO_FORM,
    STRATA,
    DrawError,
    TeamError,
    commitment,
    frame_digest,
    h,
    is_int,
    normalize_entropy,
    pairs,
    parse_ratio,
    pool_digest,
    select,
    selection_matches,
    strata_match,
    strata_table,
)

SPEC = "spotcheck-draw/2"
CHECKS = ("spec", "commitment", "frame", "pool", "params", "seed", "strata", "selection", "teams")
HEX64 = frozenset("0123456789abcdef")


def params_text(
    strata: Iterable[Mapping[str, Any]],
    team_size: int,
    required_departments: Sequence[str],
    capacity: Mapping[str, int],
) -> str:
    """Return the parameters' text of §3: strata rules, team size, required departments, capacities."""
    rules = []
    for entry in sorted(strata, key=lambda s: s["name"]):
        if ("ratio" in entry) == ("count" in entry):
            raise DrawError("每层须给出比例或数量之一 / give a stratum a ratio or a count, not both")
        kind = "ratio" if "ratio" in entry else "count"
        rules.append(f"{entry['name']}={kind}:{entry[kind]}")
    return (
        "strata:" + ";".join(rules) + "\n"
        + f"team_size:{team_size}\n"
        + "required:" + ",".join(required_departments) + "\n"
        + "capacity:" + ";".join(f"{d}={capacity[d]}" for d in sorted(capacity)) + "\n"
    )


def params_digest(
    strata: Iterable[Mapping[str, Any]],
    team_size: int,
    required_departments: Sequence[str],
    capacity: Mapping[str, int],
) -> str:
    return h(params_text(strata, team_size, required_departments, capacity))


def seed(server_secret: str, public_entropy: str, frame_digest: str, pool_digest: str,
         params_digest: str) -> str:
    """Return the seed of §3. The entropy is used exactly as recorded (the caller trims it first)."""
    return h(f"{SPEC}\n{server_secret}\n{public_entropy}\n{frame_digest}\n{pool_digest}\n{params_digest}")


def default_capacities(
    selected: int, team_size: int, inspectors: Iterable[Sequence[str]], required_departments: Sequence[str]
) -> dict[str, int]:
    """Return R5's default capacity of every department of the pool.

    A single-department plan: ceil(S × m ÷ P) + 1. A joint plan of k departments:
    ceil(S × (m − k + 1) ÷ P_d) + 1 for each department d, the most that d can be
    asked for (one required member and every open slot), so that, conflicts
    aside, a default draw never runs out of inspectors.
    """
    per_department = Counter(department for _, department in inspectors)
    total = sum(per_department.values())
    k = len(required_departments)
    capacities = {}
    for department, count in per_department.items():
        if k == 0:
            need, among = selected * team_size, total
        else:
            need, among = selected * (team_size - k + 1), count
        capacities[department] = -(-need // among) + 1
    return capacities


def capacities(
    setting: int | Mapping[str, int] | None,
    selected: int,
    team_size: int,
    inspectors: Sequence[Sequence[str]],
    required_departments: Sequence[str],
) -> dict[str, int]:
    """Return the capacity of every pool department: the plan's setting where given, else R5's default.

    ``setting`` is a plan file's ``capacity``: one integer for every department, a
    map per department code (departments left out take the default), or None.
    """
    result = default_capacities(selected, team_size, inspectors, required_departments)
    if isinstance(setting, int) and is_int(setting):
        return dict.fromkeys(result, setting)
    if isinstance(setting, Mapping):
        result.update({d: c for d, c in setting.items() if d in result})
    return result


def assign_teams(
    seed_hex: str,
    entities: Sequence[str],
    inspectors: Sequence[Sequence[str]],
    conflicts: Iterable[Sequence[str]],
    team_size: int,
    required_departments: Sequence[str],
    capacity: Mapping[str, int],
) -> list[list[str]]:
    """Return one team per entity, in the given (draw) order, by §6.

    Raises TeamError naming the first entity and slot that no inspector can take.
    Availability is found by counting, per department, the inspectors below
    capacity, so a slot costs one hash while capacity is ample.
    """
    if not is_int(team_size) or team_size < 2:
        raise DrawError("检查组人数至少为2 / team size must be at least 2")
    required = list(required_departments)
    if len(set(required)) != len(required) or len(required) > team_size:
        raise DrawError("必需部门不得重复，且不得多于检查组人数 / required departments must be distinct "
                        "and no more than the team size")
    department_of = {inspector: department for inspector, department in inspectors}
    for code in set(department_of.values()):
        cap = capacity.get(code)
        if not isinstance(cap, int) or not is_int(cap) or cap < 1:
            raise DrawError(f"部门{code}的承担上限须为正整数 / capacity of {code} must be a positive whole number")
    everyone = sorted(department_of)
    members_of: dict[str | None, list[str]] = {None: everyone}
    for inspector in everyone:
        members_of.setdefault(department_of[inspector], []).append(inspector)
    # Inspectors below capacity, counted per department (None: the whole pool).
    below = {key: len(members) for key, members in members_of.items()}
    forbidden: dict[str, set[str]] = {}  # entity -> its conflicted pool inspectors
    for inspector, entity in conflicts:
        if inspector in department_of:
            forbidden.setdefault(entity, set()).add(inspector)
    load = dict.fromkeys(department_of, 0)
    cap_of = {inspector: capacity[department] for inspector, department in department_of.items()}
    teams = []
    nobody: frozenset[str] = frozenset()
    base = hashlib.sha256(f"{seed_hex}:team:".encode())
    n_required = len(required)
    for entity in entities:
        blocked = forbidden.get(entity, nobody)
        per_entity = base.copy()
        per_entity.update(f"{entity}:".encode())
        prefix = per_entity.copy
        team: list[str] = []
        for slot in range(team_size):  # lazily: a hostile record may state a huge team size
            department = required[slot] if slot < n_required else None
            candidates = members_of.get(department, [])
            # Available: below capacity, not yet on the team, no conflict with the entity.
            free = below.get(department, 0)
            if free - len(team) - len(blocked) <= 0:  # else surely some are: no need to count
                free -= sum(1 for i in team if department is None or department_of[i] == department)
                free -= sum(1 for i in blocked if i not in team and load[i] < cap_of[i]
                            and (department is None or department_of[i] == department))
            if free <= 0:
                who = f"部门{department}" if department else "全部门"
                raise TeamError(
                    entity, department,
                    f"无法为 {entity} 组成检查组：第{slot + 1}名组员（{who}）没有可派的检查人员（回避或已达上限）"
                    f" / no inspector {'of ' + department if department else 'of any department'} is "
                    f"available for slot {slot} of {entity} (conflicts or capacity)",
                    slot=slot,
                )
            n = len(candidates)
            k = 0
            while True:
                state = prefix()
                state.update(f"{slot}:{k}".encode())
                pick = candidates[int.from_bytes(state.digest(), "big") % n]
                if pick not in team and pick not in blocked and load[pick] < cap_of[pick]:
                    team.append(pick)
                    break
                k += 1
        for member in team:
            load[member] += 1
            if load[member] == cap_of[member]:
                below[None] -= 1
                below[department_of[member]] -= 1
        teams.append(team)
    return teams


def run(
    *,
    plan: Mapping[str, Any],
    committed_at: str,
    drawn_at: str,
    server_secret: str,
    public_entropy: str,
    rows: Sequence[Sequence[str]],
    inspectors: Sequence[Sequence[str]],
    conflicts: Sequence[Sequence[str]],
    rules: Mapping[str, Mapping[str, Any]],
    team_size: int,
    required_departments: Sequence[str],
    capacity: int | Mapping[str, int] | None = None,
    exclusions: Sequence[Mapping[str, str]] = (),
    audit_anchor: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Make the draw and return its record (§7).

    A draw whose teams cannot be formed returns the failure record (``"selected": []``
    and ``"failure"``), which is published like any other; anything else that makes
    the draw impossible raises DrawError. ``capacity`` is the plan's setting, resolved
    against R5's defaults (``capacities``).
    """
    frame_rows = rows if isinstance(rows, list) else list(rows)  # pairs, as lists or tuples
    if not frame_rows:
        raise DrawError("抽查对象范围为空，不能抽取 / the frame is empty and cannot be drawn")
    if len(set(map(itemgetter(0), frame_rows))) != len(frame_rows):
        raise DrawError("抽查对象范围中有重复的主体 / an entity appears twice in the frame")
    try:
        f_digest = frame_digest(frame_rows)
    except ValueError:
        raise DrawError("抽查对象范围的每一行应为（主体代码，分层） / each frame row is (entity, stratum)") from None
    pool_inspectors = [(str(i), str(d)) for i, d in inspectors]
    pool_conflicts = [(str(i), str(e)) for i, e in conflicts]
    p_digest = pool_digest(pool_inspectors, pool_conflicts)
    strata = strata_table(frame_rows, rules)
    selected_count = sum(s["sample_size"] for s in strata)
    caps = capacities(capacity, selected_count, team_size, pool_inspectors, required_departments)
    pr_digest = params_digest(strata, team_size, required_departments, caps)
    entropy = normalize_entropy(public_entropy)
    seed_hex = seed(server_secret, entropy, f_digest, p_digest, pr_digest)
    chosen = select(seed_hex, frame_rows, {s["name"]: s["sample_size"] for s in strata},
                    {s["name"]: s["population"] for s in strata})
    failure = None
    try:
        teams = assign_teams(seed_hex, [c.entity for c in chosen], pool_inspectors, pool_conflicts,
                             team_size, required_departments, caps)
    except TeamError as error:
        failure = {"entity": error.entity, "slot": error.slot, "department": error.department}
        teams = []
    record: dict[str, Any] = {
        "spec": SPEC,
        "plan": dict(plan),
        "committed_at": committed_at,
        "drawn_at": drawn_at,
        "commitment": commitment(server_secret),
        "server_secret": server_secret,
        "public_entropy": entropy,
        "seed": seed_hex,
        "params_digest": pr_digest,
        "frame": {"digest": f_digest, "count": len(frame_rows), "rows": frame_rows},
        "pool": {
            "digest": p_digest,
            "inspectors": [list(i) for i in pool_inspectors],
            "conflicts": [list(c) for c in pool_conflicts],
        },
        "strata": strata,
        "team_size": team_size,
        "required_departments": list(required_departments),
        "capacity": caps,
        "selected": [
            {"entity": c.entity, "stratum": c.stratum, "ticket": c.ticket, "team": team}
            for c, team in zip(chosen, teams, strict=True)
        ] if failure is None else [],
    }
    if failure is not None:
        record["failure"] = failure
    record["exclusions"] = [dict(x) for x in exclusions]
    if audit_anchor is not None:
        record["audit_anchor"] = dict(audit_anchor)
    return record


def failure_message(record: Mapping[str, Any]) -> str:
    """Return why a failed record's teams could not be formed, in Chinese and English."""
    f = record["failure"]
    who = f"部门{f['department']}" if f["department"] else "全部门"
    return (f"无法为 {f['entity']} 组成检查组：第{f['slot'] + 1}名组员（{who}）没有可派的检查人员"
            f"（回避或已达上限） / no inspector available for slot {f['slot']} of {f['entity']}"
            f"{' (department ' + f['department'] + ')' if f['department'] else ''}")


# --- Verification (§8) ---------------------------------------------------------------


def verify(record: Any) -> str | None:
    """Check a record by §8; return None when valid, else the first failed check's name."""
    state: dict[str, Any] = {}
    for name in CHECKS:
        try:
            ok = _CHECKERS[name](record, state)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError):
            ok = False
        if not ok:
            return name
    return None


def _clean_id(value: str) -> bool:
    return bool(value) and not any(c in value for c in ",\n\r")


def _check_spec(r: Any, state: dict[str, Any]) -> bool:
    return isinstance(r, Mapping) and r.get("spec") == SPEC


def _check_commitment(r: Mapping[str, Any], state: dict[str, Any]) -> bool:
    secret = r["server_secret"]
    if not isinstance(secret, str) or len(secret) != 64 or not set(secret) <= HEX64:
        return False
    return bool(commitment(secret) == r["commitment"])


def _check_frame(r: Mapping[str, Any], state: dict[str, Any]) -> bool:
    frame = r["frame"]
    rows = pairs(frame["rows"])
    state["rows"] = rows
    return (
        bool(rows)
        and all(_clean_id(e) and _clean_id(s) for e, s in rows)
        and is_int(frame["count"]) and frame["count"] == len(rows)
        and len({e for e, _ in rows}) == len(rows)
        and frame_digest(rows) == frame["digest"]
    )


def _check_pool(r: Mapping[str, Any], state: dict[str, Any]) -> bool:
    pool = r["pool"]
    state["inspectors"] = pairs(pool["inspectors"])
    state["conflicts"] = pairs(pool["conflicts"])
    ids = [i for i, _ in state["inspectors"]]
    return (
        len(set(ids)) == len(ids)
        and all(_clean_id(a) and _clean_id(b) for a, b in state["inspectors"] + state["conflicts"])
        and pool_digest(state["inspectors"], state["conflicts"]) == pool["digest"]
    )


def _well_formed_rule(entry: Mapping[str, Any]) -> bool:
    if not isinstance(entry["name"], str) or ("ratio" in entry) == ("count" in entry):
        return False
    if "ratio" in entry:
        ratio = entry["ratio"]
        if not isinstance(ratio, str) or not RATIO_FORM.fullmatch(ratio):
            return False
        parse_ratio(ratio)  # at most 1, else DrawError (a ValueError): the check fails
        return True
    return is_int(entry["count"]) and entry["count"] >= 0


def _check_params(r: Mapping[str, Any], state: dict[str, Any]) -> bool:
    strata, team_size = r["strata"], r["team_size"]
    required, capacity = r["required_departments"], r["capacity"]
    if not isinstance(strata, list) or not all(isinstance(s, Mapping) and _well_formed_rule(s) for s in strata):
        return False
    if not is_int(team_size) or team_size < 2:
        return False
    if (not isinstance(required, list) or not all(isinstance(d, str) for d in required)
            or len(set(required)) != len(required) or len(required) > team_size):
        return False
    if not isinstance(capacity, Mapping) or not all(
        isinstance(d, str) and is_int(c) and c >= 1 for d, c in capacity.items()
    ):
        return False
    if any(department not in capacity for _, department in state["inspectors"]):
        return False
    return bool(params_digest(strata, team_size, required, capacity) == r["params_digest"])


def _check_seed(r: Mapping[str, Any], state: dict[str, Any]) -> bool:
    entropy = r["public_entropy"]
    if not isinstance(entropy, str):
        return False
    return bool(seed(r["server_secret"], entropy, r["frame"]["digest"], r["pool"]["digest"],
                     r["params_digest"]) == r["seed"])


def _check_strata(r: Mapping[str, Any], state: dict[str, Any]) -> bool:
    if any(s["name"] not in STRATA for s in r["strata"]):
        return False
    state["sizes"] = strata_match(r["strata"], state["rows"])
    return state["sizes"] is not None


def _check_selection(r: Mapping[str, Any], state: dict[str, Any]) -> bool:
    state["chosen"] = select(r["seed"], state["rows"], state["sizes"])
    if "failure" in r:
        # A failed draw selects nobody; the teams check proves where it failed.
        return r["selected"] == []
    return selection_matches(r["selected"], state["chosen"])


def _check_teams(r: Mapping[str, Any], state: dict[str, Any]) -> bool:
    try:
        teams = assign_teams(r["seed"], [c.entity for c in state["chosen"]], state["inspectors"],
                             state["conflicts"], r["team_size"], r["required_departments"], r["capacity"])
    except TeamError as error:
        failure = r.get("failure")
        return (isinstance(failure, Mapping) and set(failure) == {"entity", "slot", "department"}
                and is_int(failure["slot"])
                and (failure["entity"], failure["slot"], failure["department"])
                == (error.entity, error.slot, error.department))
    if "failure" in r:
        return False
    return all(isinstance(g["team"], list) and g["team"] == t
               for g, t in zip(r["selected"], teams, strict=True))


_CHECKERS = {
    "spec": _check_spec,
    "commitment": _check_commitment,
    "frame": _check_frame,
    "pool": _check_pool,
    "params": _check_params,
    "seed": _check_seed,
    "strata": _check_strata,
    "selection": _check_selection,
    "teams": _check_teams,
}
