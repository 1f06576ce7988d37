"""What both versions of the draw share (docs/draw/README.md §§1, 2, 4, 5).

Frame and pool texts and digests, the secret and its commitment, sample sizes
and the selection by tickets are the same in ``spotcheck-draw/1`` and ``/2``.
Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from operator import itemgetter
from typing import Any, NamedTuple

STRATA = ("heightened", "foreign", "general")

Row = Sequence[str]  # (entity id, stratum), a tuple or a list


class DrawError(ValueError):
    """A draw that cannot be made; ``reason`` is Chinese and English."""


class TeamError(DrawError):
    """A team that cannot be formed: the whole draw fails (v1 §6 step 5, v2 §6 step 3).

    ``slot`` is the team slot that could not be filled (version 2; None in version 1).
    """

    def __init__(self, entity: str, department: str | None, message: str, slot: int | None = None):
        super().__init__(message)
        self.entity = entity
        self.department = department
        self.slot = slot


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
    return _sorted_text([f"{entity},{stratum}\n" for entity, stratum in rows])


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


class Selected(NamedTuple):
    entity: str
    stratum: str
    ticket: str


def strata_table(rows: Sequence[Row], rules: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return the record's strata entries: name, population, sample size, rule.

    Strata are listed by name; a stratum with no candidate is omitted (§1).
    """
    populations = Counter(map(itemgetter(1), rows))
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


EVERY = b"\xff" * 33  # above every digest: the whole stratum is kept


def _bound(n: int, total: int) -> bytes:
    """Return a bound that the n smallest of ``total`` uniform tickets lie below, all but certainly.

    A few standard deviations above the n/N quantile, compared with the digest's
    first bytes (a digest below it starts below it).
    """
    p = n / total
    margin = 8 * math.sqrt(p * (1 - p) / total) + 64 / total
    return int((p + margin) * 2**64).to_bytes(8, "big") if p + margin < 0.5 else EVERY


def select(seed_hex: str, rows: Sequence[Row], sizes: Mapping[str, int],
           populations: Mapping[str, int] | None = None) -> list[Selected]:
    """Return the selected entities in draw order (§5).

    One pass hashes every candidate and keeps, per stratum, only the tickets below
    that stratum's bound; those are sorted. Should a stratum keep fewer than its
    sample size (the bound is many standard deviations wide, so practically never),
    every ticket of that stratum is ranked instead: the answer is exact either way.
    """
    if populations is None:  # the strata table counted them already, where the caller has it
        populations = Counter(map(itemgetter(1), rows))
    want = {s: min(sizes.get(s, 0), total) for s, total in populations.items()}
    bounds = {s: _bound(n, populations[s]) for s, n in want.items() if n > 0}
    kept: dict[str, list[tuple[bytes, str]]] = {s: [] for s in bounds}
    copy = hashlib.sha256(f"{seed_hex}:".encode()).copy
    for entity, stratum in rows:
        bound = bounds.get(stratum)
        if bound is not None:
            state = copy()
            state.update(entity.encode("utf-8"))
            digest = state.digest()
            if digest < bound:
                kept[stratum].append((digest, entity))
    chosen: list[tuple[bytes, str, str]] = []
    for stratum, tickets in kept.items():
        n = want[stratum]
        if len(tickets) < n:
            ids = [e for e, s in rows if s == stratum]
            tickets = list(zip(_ticket_digests(seed_hex, ids), ids, strict=True))
        tickets.sort()
        chosen.extend((digest, entity, stratum) for digest, entity in tickets[:n])
    chosen.sort()
    return [Selected(entity, stratum, digest.hex()) for digest, entity, stratum in chosen]


def dumps(record: Mapping[str, Any]) -> str:
    """Serialize a record as published: UTF-8 JSON, one-space indent, no final newline.

    The text is exactly ``json.dumps(record, indent=1, ensure_ascii=False)``
    (a property test holds them equal); it is written here because the standard
    encoder, once indented, runs in pure Python and takes seconds for the
    frame of a district.
    """
    parts: list[str] = []
    _dump(record, 0, parts.append)
    return "".join(parts)


_encode = json.encoder.encode_basestring  # the C function where there is one


def _dump(value: Any, level: int, out: Any) -> None:
    if isinstance(value, str):
        out(_encode(value))
    elif isinstance(value, dict) and all(isinstance(k, str) for k in value):
        if not value:
            out("{}")
            return
        inner = "\n" + " " * (level + 1)
        separator = "{"
        for key, item in value.items():
            out(f"{separator}{inner}{_encode(key)}: ")
            separator = ","
            _dump(item, level + 1, out)
        out("\n" + " " * level + "}")
    elif isinstance(value, list | tuple):
        if not value:
            out("[]")
            return
        inner = "\n" + " " * (level + 1)
        if all(type(pair) in (list, tuple) and len(pair) == 2 and type(pair[0]) is str and type(pair[1]) is str
               for pair in value):
            # Frame rows, pool lines: a pair of texts each, the bulk of a record.
            deeper = inner + " "
            out("[" + ",".join(f"{inner}[{deeper}{_encode(a)},{deeper}{_encode(b)}{inner}]" for a, b in value)
                + "\n" + " " * level + "]")
            return
        separator = "["
        for item in value:
            out(separator + inner)
            separator = ","
            _dump(item, level + 1, out)
        out("\n" + " " * level + "]")
    else:
        out(json.dumps(value, ensure_ascii=False))  # numbers, true, false, null (and anything else)


def is_int(value: Any) -> bool:
    """True for a JSON integer (not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool)


def pairs(value: Any) -> list[tuple[str, str]]:
    """Return a record's list of two-text lists as tuples; TypeError/ValueError when malformed."""
    result = []
    for item in value:
        a, b = item
        if not isinstance(a, str) or not isinstance(b, str):
            raise TypeError("ids are text")
        result.append((a, b))
    return result


def strata_match(given: Any, rows: Sequence[Row]) -> dict[str, int] | None:
    """Return the sample sizes when the record's strata entries are right for ``rows`` (§4), else None.

    Every stratum of the frame has exactly one entry, no entry names an empty
    stratum, and each entry's population and sample size are recomputed.
    """
    rules = {}
    for entry in given:
        rule = {k: entry[k] for k in ("ratio", "count") if k in entry}
        if entry["name"] in rules:
            return None
        rules[entry["name"]] = rule
    expected = strata_table(rows, rules)
    if len(expected) != len(given) or not all(
        dict(g) == e for g, e in zip(sorted(given, key=lambda s: s["name"]), expected, strict=True)
    ):
        return None
    return {s["name"]: s["sample_size"] for s in expected}


def selection_matches(given: Any, chosen: Sequence[Selected]) -> bool:
    """True when the record's ``selected`` lists exactly ``chosen``, in draw order (§5)."""
    return len(given) == len(chosen) and all(
        (g["entity"], g["stratum"], g["ticket"]) == (c.entity, c.stratum, c.ticket)
        for g, c in zip(given, chosen, strict=True)
    )
