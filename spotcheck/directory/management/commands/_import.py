"""The shared shape of the ``import_*`` commands."""

from __future__ import annotations

from pathlib import Path

from spotcheck.directory.imports import IMPORTERS, run_import
from spotcheck.lib.command import Refused, SpotcheckCommand


class ImportCommand(SpotcheckCommand):
    kind = ""

    def add_arguments(self, parser):
        parser.add_argument("file", help=".csv (UTF-8 or GB18030) or .xlsx")

    def run(self, options):
        path = Path(options["file"])
        if not path.is_file():
            raise Refused(f"找不到文件 / no such file: {path}")
        with path.open("rb") as stream:
            outcome = run_import(self.kind, stream, path.name, None, progress=self.progress)
        return self.result(outcome.as_dict(), outcome.summary(), ok=outcome.ok)


def make_help(kind: str) -> str:
    return f"导入{IMPORTERS[kind].label} / import {kind} (all or nothing; see spec/interfaces.md)"
