"""The verifiable draw, ``spotcheck-draw/1`` (shared/spec/draw-v1.md).

Standard library only: the web app, the command line, the standalone verifier
and the tests all use this one implementation. Every function takes and returns
plain data.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

SPEC = "spotcheck-draw/1"
STRATA = ("heightened", "foreign", "general")
CHECKS = ("commitment", "frame", "pool", "seed", "strata", "selection", "teams")

Row = tuple[str, str]  # (entity id, stratum)


class DrawError(ValueError):
    """A draw that cannot be made; ``reason`` is Chinese and English."""


class TeamError(DrawError):
    """A team that cannot be formed (draw-v1 §6 step 5): the whole draw fails."""

    def __init__(self, entity: str, department: str | None, message: str):
        super().__init__(message)
        self.entity = entity
        self.department = department


def h(data: bytes | str) -> str:
    """Return SHA-256 of ``data`` (text as UTF-8 NFC) as 64 lowercase hex digits."""
    if isinstance(data, str):
        data = unicodedata.normalize("NFC", data).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def _sorted_text(lines: Iterable[str]) -> str:
    # Python orders text by code point, which is exactly the order of its UTF-8 bytes.
    return "".join(sorted(lines))


def frame_text(rows: Iterable[Sequence[str]]) -> str:
    """Return the frame text of §1: sorted lines ``id,stratum``."""
    return _sorted_text(f"{entity},{stratum}\n" for entity, stratum in rows)


def frame_digest(rows: Iterable[Sequence[str]]) -> str:
    return h(frame_text(rows))


def pool_text(
    inspectors: Iterable[Sequence[str]], conflicts: Iterable[Sequence[str]]
) -> str:
    """Return the pool text of §2: sorted inspector and conflict lines."""
    lines = [f"I,{inspector},{department}\n" for inspector, department in inspectors]
    lines += [f"C,{inspector},{entity}\n" for inspector, entity in conflicts]
    return _sorted_text(lines)


def pool_digest(
    inspectors: Iterable[Sequence[str]], conflicts: Iterable[Sequence[str]]
) -> str:
    return h(pool_text(inspectors, conflicts))


def new_secret() -> str:
    """Return a fresh server secret: 32 bytes from the OS's secure source, as hex."""
    return secrets.token_hex(32)


def commitment(server_secret: str) -> str:
    """Return H(raw bytes of the secret), published before the draw (§3)."""
    raw = bytes.fromhex(server_secret)
    if len(raw) != 32:
        raise DrawError("服务器密钥必须是32字节 / the server secret must be 32 bytes")
    return h(raw)


def normalize_entropy(text: str) -> str:
    """Return the witnesses' entropy as hashed: NFC, outer white space removed."""
    value = unicodedata.normalize("NFC", text).strip()
    if not value:
        raise DrawError("公开随机数不能为空 / the public entropy must not be empty")
    return value


def seed(server_secret: str, public_entropy: str, frame_digest: str, pool_digest: str) -> str:
    """Return the seed of §3."""
    entropy = normalize_entropy(public_entropy)
    return h(f"{SPEC}\n{server_secret}\n{entropy}\n{frame_digest}\n{pool_digest}")


def sample_size(population: int, rule: Mapping[str, Any]) -> int:
    """Return n_s of §4, exactly: min(N, ceil(N × ratio)) or min(N, count)."""
    if ("ratio" in rule) == ("count" in rule):
        raise DrawError("每层须给出比例或数量之一 / give a stratum a ratio or a count, not both")
    if "count" in rule:
        count = rule["count"]
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise DrawError(f"数量无效 / invalid count: {count!r}")
        return min(population, count)
    ratio = parse_ratio(rule["ratio"])
    return min(population, math.ceil(population * ratio))


RATIO_FORM = re.compile(r"[0-9]+(\.[0-9]+)?")


def parse_ratio(text: Any) -> Fraction:
    """Return a ratio given as a plain decimal string ("0.03"), exactly; refuse floats and junk.

    Only digits with an optional fraction are accepted (no sign, exponent, spaces or
    underscores), so that every verifier, in any language, reads a ratio alike.
    """
    if not isinstance(text, str) or not RATIO_FORM.fullmatch(text):
        raise DrawError(f"比例须为小数字符串，如“0.03” / a ratio must be a decimal string like \"0.03\": {text!r}")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise DrawError(f"比例无效 / invalid ratio: {text!r}") from None
    if not value.is_finite() or value < 0 or value > 1:
        raise DrawError(f"比例须在0到1之间 / a ratio must be between 0 and 1: {text!r}")
    return Fraction(value)


def _ticket_digests(seed_hex: str, ids: Sequence[str]) -> list[bytes]:
    """Return the raw ticket digests of ``ids``, in order (hex text and raw bytes sort alike)."""
    copy = hashlib.sha256(f"{seed_hex}:".encode()).copy
    digests: list[bytes] = []
    append = digests.append
    for entity in ids:
        state = copy()
        state.update(entity.encode("utf-8"))
        append(state.digest())
    return digests


def ticket(seed_hex: str, entity: str) -> str:
    """Return ticket(id) = H(seed + ":" + id) of §5."""
    return h(f"{seed_hex}:{entity}")


@dataclass(frozen=True)
class Selected:
    entity: str
    stratum: str
    ticket: str


def strata_table(rows: Sequence[Row], rules: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return the record's strata entries: name, population, sample size, rule.

    Strata are listed by name; a stratum with no candidate is omitted (§1).
    """
    populations: dict[str, int] = {}
    for _, stratum in rows:
        populations[stratum] = populations.get(stratum, 0) + 1
    table = []
    for name in sorted(populations):
        if name not in STRATA:
            raise DrawError(f"未知分层 / unknown stratum: {name!r}")
        if name not in rules:
            raise DrawError(f"分层“{name}”缺少比例或数量 / stratum {name!r} has no ratio or count")
        rule = rules[name]
        entry: dict[str, Any] = {
            "name": name,
            "population": populations[name],
            "sample_size": sample_size(populations[name], rule),
        }
        entry.update({k: rule[k] for k in ("ratio", "count") if k in rule})
        table.append(entry)
    return table


def select(seed_hex: str, rows: Sequence[Row], sizes: Mapping[str, int]) -> list[Selected]:
    """Return the selected entities in draw order (§5)."""
    by_stratum: dict[str, list[str]] = {}
    for entity, stratum in rows:
        by_stratum.setdefault(stratum, []).append(entity)
    chosen: list[tuple[bytes, str, str]] = []
    for stratum, ids in by_stratum.items():
        n = sizes.get(stratum, 0)
        if n <= 0:
            continue
        digests = _ticket_digests(seed_hex, ids)
        # The n-th smallest ticket bounds the selection (tickets of distinct ids differ).
        bound = heapq.nsmallest(n, digests)[-1]
        chosen.extend((d, entity, stratum) for d, entity in zip(digests, ids, strict=True) if d <= bound)
    chosen.sort()
    return [Selected(entity, stratum, digest.hex()) for digest, entity, stratum in chosen]


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


def dumps(record: Mapping[str, Any]) -> str:
    """Serialize a record as published: UTF-8 JSON, one-space indent, no final newline."""
    return json.dumps(record, indent=1, ensure_ascii=False)


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
    if r.get("spec") != SPEC:
        return False
    return bool(commitment(r["server_secret"]) == r["commitment"])


def _pairs(value: Any) -> list[tuple[str, str]]:
    pairs = []
    for item in value:
        a, b = item
        if not isinstance(a, str) or not isinstance(b, str):
            raise TypeError("ids are text")
        pairs.append((a, b))
    return pairs


def _check_frame(r: Mapping[str, Any], state: dict[str, Any]) -> bool:
    rows = _pairs(r["frame"]["rows"])
    state["rows"] = rows
    return (
        bool(rows)
        and frame_digest(rows) == r["frame"]["digest"]
        and r["frame"]["count"] == len(rows)
        and len({e for e, _ in rows}) == len(rows)
    )


def _check_pool(r: Mapping[str, Any], state: dict[str, Any]) -> bool:
    state["inspectors"] = _pairs(r["pool"]["inspectors"])
    state["conflicts"] = _pairs(r["pool"]["conflicts"])
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
    given = r["strata"]
    rules = {}
    for entry in given:
        rule = {k: entry[k] for k in ("ratio", "count") if k in entry}
        if entry["name"] in rules:
            return False
        rules[entry["name"]] = rule
    expected = strata_table(state["rows"], rules)
    state["sizes"] = {s["name"]: s["sample_size"] for s in expected}
    return len(expected) == len(given) and all(
        dict(g) == e for g, e in zip(sorted(given, key=lambda s: s["name"]), expected, strict=True)
    )


def _check_selection(r: Mapping[str, Any], state: dict[str, Any]) -> bool:
    chosen = select(r["seed"], state["rows"], state["sizes"])
    state["chosen"] = chosen
    given = r["selected"]
    return len(given) == len(chosen) and all(
        (g["entity"], g["stratum"], g["ticket"]) == (c.entity, c.stratum, c.ticket)
        for g, c in zip(given, chosen, strict=True)
    )


def _check_teams(r: Mapping[str, Any], state: dict[str, Any]) -> bool:
    team_size, capacity = r["team_size"], r["capacity"]
    required = r["required_departments"]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (team_size, capacity)):
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
