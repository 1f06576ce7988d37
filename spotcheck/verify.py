"""Check a published draw record of either version by its §8, with nothing but this package.

The record's ``spec`` chooses the rules (docs/draw/README.md); a record that is
not a JSON object, or names an unknown version, fails the ``spec`` check.

Usage: python -m spotcheck.verify RECORD.json [--json]

Exit status: 0 valid; 1 invalid, or the file cannot be read as a record; 2 a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from spotcheck.draw import checks_of, verify

CHECK_NAMES_ZH = {
    "spec": "规则版本",
    "commitment": "承诺值",
    "frame": "抽查对象范围",
    "pool": "执法人员库",
    "params": "抽取参数",
    "seed": "随机种子",
    "strata": "分层与样本量",
    "selection": "抽中名单",
    "teams": "检查组",
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m spotcheck.verify",
        description="验证抽取记录 / verify a spotcheck-draw/1 or /2 record",
    )
    parser.add_argument("record", help="the record's JSON file, or - for standard input")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    return check_file(args.record, as_json=args.json)


def check_file(path: str, *, as_json: bool, out=None) -> int:
    """Verify the record in ``path`` and report; return the exit status."""
    out = out or sys.stdout
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as f:
                text = f.read()
    except OSError as exc:
        message = f"无法读取抽取记录 / cannot read the record: {exc}"
        if as_json:
            print(json.dumps({"valid": False, "error": message}, ensure_ascii=False), file=out)
        else:
            print(message, file=sys.stderr)
        return 1
    try:
        record = json.loads(text)
    except ValueError:
        record = None  # not JSON, so not a JSON object: the spec check fails
    failed = verify(record)
    if as_json:
        result: dict[str, object] = {"valid": failed is None}
        if failed:
            result["failed"] = failed
        print(json.dumps(result), file=out)
    elif failed is None:
        n = len(checks_of(record))
        print(f"有效（{record['spec']}）：{n}项检查全部通过 / valid: all {n} checks passed", file=out)
    else:
        print(f"无效：{CHECK_NAMES_ZH[failed]}（{failed}）检查未通过 / invalid: check '{failed}' failed", file=out)
    return 0 if failed is None else 1


if __name__ == "__main__":
    sys.exit(main())
