"""The shape every ``spotcheck`` command shares (spec/interfaces.md, Command line).

``--json`` prints exactly one JSON object on standard output; without it the
command prints Chinese-and-English text. Exit 0 on success, 1 for a refused
input, 2 for a usage error (argparse's own).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand


class Refused(Exception):
    """An input the command refuses: exit 1, nothing written."""

    def __init__(self, message: str, data: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.data = data or {}


@dataclass
class Result:
    data: dict[str, Any]
    text: str
    ok: bool = True


class SpotcheckCommand(BaseCommand):
    """A command with ``--json`` output and the project's exit codes."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        return parser

    def result(self, data: dict[str, Any], text: str, ok: bool = True) -> Result:
        return Result(data, text, ok)

    def run(self, options: dict[str, Any]) -> Result:  # pragma: no cover - abstract
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        self.as_json = options["json"]
        try:
            outcome = self.run(options)
        except Refused as refused:
            outcome = Result({"ok": False, "error": refused.message, **refused.data},
                             refused.message, ok=False)
        if self.as_json:
            self.stdout.write(json.dumps(outcome.data, ensure_ascii=False))
        elif outcome.ok:
            self.stdout.write(outcome.text)
        else:
            self.stderr.write(outcome.text)
        if not outcome.ok:
            self.stdout.flush()
            sys.exit(1)

    def progress(self, done: int, total: int) -> None:
        """Show progress on a terminal (never in --json mode or when piped)."""
        if self.as_json or not sys.stderr.isatty() or total <= 0:
            return
        percent = min(100, done * 100 // total)
        sys.stderr.write(f"\r{done}/{total} ({percent}%)")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()
