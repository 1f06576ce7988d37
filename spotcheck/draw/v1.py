"""The verifiable draw, version 1 (``spotcheck-draw/1``, docs/draw/README.md).

Kept so that records published under version 1 stay verifiable, and so that a
commitment made under version 1 is drawn by the rules it was committed to. New
draws use version 2 (``spotcheck.draw.v2``). Standard library only.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from spotcheck.draw.common import (
    DrawError,
    TeamError,
    commitment,
    frame_digest,
    h,
    is_int,
    normalize_entropy,
    pairs,
    pool_digest,
    select,
    selection_matches,
    strata_match,
    strata_table,
)

SPEC = "spotcheck-draw/1"
CHECKS = ("commitment", "frame", "pool", "seed", "strata", "selection", "teams")


def seed(server_secret: str, public_entropy: str, frame_digest: str, pool_digest: str) -> str:
    """Return the seed of v1 §3 (the entropy trimmed of outer white space)."""
    entropy = normalize_entropy(public_entropy)
    return h(f"{SPEC}\n{server_secret}\n{entropy}\n{frame_digest}\n{pool_digest}")


def assign_teams(
    seed_hex: str,
    entities: Sequence[str],
    inspectors: Sequence[Sequence[str]],
    conflicts: Iterable[Sequence[str]],
    team_size: int,
    required_departments: Sequence[str],
    capacity: int,
) -> list[list[str]]:
    """Return one team per entity, in the given (draw) order, by §6.

    Raises TeamError naming the first entity whose team cannot be formed.
    """
    if team_size < 2:
        raise DrawError("检查组人数至少为2 / team size must be at least 2")
    if capacity < 1:
        raise DrawError("每人承担上限至少为1 / capacity must be at least 1")
    department_of = {inspector: department for inspector, department in inspectors}
    forbidden: dict[str, set[str]] = {}
    for inspector, entity in conflicts:
        forbidden.setdefault(entity, set()).add(inspector)
    load = dict.fromkeys(department_of, 0)
    # Inspectors below capacity, with their ids as bytes; rebuilt when one reaches capacity.
    available = [(inspector, inspector.encode("utf-8")) for inspector in department_of]
    teams = []
    for entity in entities:
        blocked = forbidden.get(entity, ())
        copy = hashlib.sha256(f"{seed_hex}:team:{entity}:".encode()).copy
        ranked: list[tuple[bytes, str]] = []
        append = ranked.append
        for inspector, raw in available:
            if inspector in blocked:
                continue
            state = copy()
            state.update(raw)
            append((state.digest(), inspector))  # raw digests sort like their hex text
        if required_departments:
            ranked.sort()
            order = [i for _, i in ranked]
        else:
            order = [i for _, i in heapq.nsmallest(team_size, ranked)]
        team: list[str] = []
        for department in required_departments:
            member = next((i for i in order if department_of[i] == department and i not in team), None)
            if member is None:
                raise TeamError(
                    entity,
                    department,
                    f"无法为 {entity} 组成检查组：部门 {department} 没有可派的检查人员（回避或已达上限）"
                    f" / no eligible inspector of department {department} for {entity}"
                    " (conflicts or capacity)",
                )
            team.append(member)
        for inspector in order:
            if len(team) >= team_size:
                break
            if inspector not in team:
                team.append(inspector)
        if len(team) < team_size:
            raise TeamError(
                entity,
                None,
                f"无法为 {entity} 组成{team_size}人检查组：可派人员只有{len(team)}名（回避或已达上限）"
                f" / only {len(team)} eligible inspectors for {entity}, team size {team_size}"
                " (conflicts or capacity)",
            )
        full = False
        for member in team:
            load[member] += 1
            full = full or load[member] >= capacity
        if full:
            available = [(i, raw) for i, raw in available if load[i] < capacity]
        teams.append(team)
    return teams


def default_capacity(selected: int, team_size: int, pool_size: int) -> int:
    """Return ceil(selected × team size ÷ pool size) + 1 (rules.md R5)."""
    if pool_size <= 0:
        return 1
    return -(-selected * team_size // pool_size) + 1


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
    capacity: int | None = None,
    exclusions: Sequence[Mapping[str, str]] = (),
    audit_anchor: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Make the draw and return its record (§7). Nothing is partial: any failure raises."""
    frame_rows = [(e, s) for e, s in rows]
    if not frame_rows:
        raise DrawError("抽查对象范围为空，不能抽取 / the frame is empty and cannot be drawn")
    if len({e for e, _ in frame_rows}) != len(frame_rows):
        raise DrawError("抽查对象范围中有重复的主体 / an entity appears twice in the frame")
    pool_inspectors = [(str(i), str(d)) for i, d in inspectors]
    pool_conflicts = [(str(i), str(e)) for i, e in conflicts]
    f_digest = frame_digest(frame_rows)
    p_digest = pool_digest(pool_inspectors, pool_conflicts)
    entropy = normalize_entropy(public_entropy)
    seed_hex = seed(server_secret, entropy, f_digest, p_digest)
    strata = strata_table(frame_rows, rules)
    chosen = select(seed_hex, frame_rows, {s["name"]: s["sample_size"] for s in strata})
    if capacity is None:
        capacity = default_capacity(len(chosen), team_size, len(pool_inspectors))
    teams = assign_teams(
        seed_hex,
        [c.entity for c in chosen],
        pool_inspectors,
        pool_conflicts,
        team_size,
        required_departments,
        capacity,
    )
    record: dict[str, Any] = {
        "spec": SPEC,
        "plan": dict(plan),
        "committed_at": committed_at,
        "drawn_at": drawn_at,
        "commitment": commitment(server_secret),
        "server_secret": server_secret,
        "public_entropy": entropy,
        "seed": seed_hex,
        "frame": {"digest": f_digest, "count": len(frame_rows), "rows": frame_rows},
        "pool": {
            "digest": p_digest,
            "inspectors": [list(i) for i in pool_inspectors],
            "conflicts": [list(c) for c in pool_conflicts],
        },
        "strata": strata,
        "team_size": team_size,
        "required_departments": list(required_departments),
        "capacity": capacity,
        "selected": [
            {"entity": c.entity, "stratum": c.stratum, "ticket": c.ticket, "team": team}
            for c, team in zip(chosen, teams, strict=True)
        ],
        "exclusions": [dict(x) for x in exclusions],
    }
    if audit_anchor is not None:
        record["audit_anchor"] = dict(audit_anchor)
    return record


def verify(record: Mapping[str, Any]) -> str | None:
    """Check a record by §8; return None when valid, else the first failed check's name."""
    state: dict[str, Any] = {}
    for name in CHECKS:
        try:
            ok = _CHECKERS[name](record, state)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            ok = False
        if not ok:
            return name
    return None


def _check_commitment(r: Mapping[str, Any], state: dict[str, Any]) -> bool:
    return bool(commitment(r["server_secret"]) == r["commitment"])


def _check_frame(r: Mapping[str, Any], state: dict[str, Any]) -> bool:
    rows = pairs(r["frame"]["rows"])
    state["rows"] = rows
    return (
        bool(rows)
        and frame_digest(rows) == r["frame"]["digest"]
        and r["frame"]["count"] == len(rows)
        and len({e for e, _ in rows}) == len(rows)
    )


def _check_pool(r: Mapping[str, Any], state: dict[str, Any]) -> bool:
    state["inspectors"] = pairs(r["pool"]["inspectors"])
    state["conflicts"] = pairs(r["pool"]["conflicts"])
    ids = [i for i, _ in state["inspectors"]]
    return len(set(ids)) == len(ids) and (
        pool_digest(state["inspectors"], state["conflicts"]) == r["pool"]["digest"]
    )


def _check_seed(r: Mapping[str, Any], state: dict[str, Any]) -> bool:
    return bool(
        r["public_entropy"] == normalize_entropy(r["public_entropy"])
        and seed(r["server_secret"], r["public_entropy"], r["frame"]["digest"], r["pool"]["digest"])
        == r["seed"]
    )


def _check_strata(r: Mapping[str, Any], state: dict[str, Any]) -> bool:
    state["sizes"] = strata_match(r["strata"], state["rows"])
    return state["sizes"] is not None


def _check_selection(r: Mapping[str, Any], state: dict[str, Any]) -> bool:
    state["chosen"] = select(r["seed"], state["rows"], state["sizes"])
    return selection_matches(r["selected"], state["chosen"])


def _check_teams(r: Mapping[str, Any], state: dict[str, Any]) -> bool:
    team_size, capacity = r["team_size"], r["capacity"]
    required = r["required_departments"]
    if not (is_int(team_size) and is_int(capacity)):
        return False
    if len(set(required)) != len(required):
        return False
    try:
        teams = assign_teams(
            r["seed"],
            [c.entity for c in state["chosen"]],
            state["inspectors"],
            state["conflicts"],
            team_size,
            required,
            capacity,
        )
    except DrawError:
        return False
    return all(g["team"] == t for g, t in zip(r["selected"], teams, strict=True))


_CHECKERS = {
    "commitment": _check_commitment,
    "frame": _check_frame,
    "pool": _check_pool,
    "seed": _check_seed,
    "strata": _check_strata,
    "selection": _check_selection,
    "teams": _check_teams,
}
