"""Write published results (已公示检查结果): the sheet's columns, plus department, plan number and publication date.

Corrections are included and marked (更正情况); every cell is safe against
spreadsheet formulas. Chinese headers and texts unless ``--english`` (keys and codes).

Example::

    spotcheck export_results --year 2026 --out 2026年检查结果.xlsx
    spotcheck export_results --plan 12 --entity 91500113MA5U000001 --out results.csv --json
    {"file": "results.csv", "rows": 2}
"""

from pathlib import Path

from spotcheck.lib.command import Refused, SpotcheckCommand
from spotcheck.plans.lookup import plan_by_ref
from spotcheck.results.sheet import published_results, write_export


class Command(SpotcheckCommand):
    help = ("导出已公示的检查结果（含更正记录；.xlsx 或 .csv） / write published results, corrections "
            "included and marked (.xlsx or .csv by the file's ending)")

    def add_arguments(self, parser):
        parser.add_argument("--plan", help="plan id or number")
        parser.add_argument("--entity", help="unified social credit code")
        parser.add_argument("--year", type=int, help="the plan's year")
        parser.add_argument("--out", required=True, help="FILE.xlsx or FILE.csv")
        parser.add_argument("--english", action="store_true", help="English keys and codes (default: Chinese)")

    def run(self, options):
        path = Path(options["out"])
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in ("xlsx", "csv"):
            raise Refused("输出文件须以 .xlsx 或 .csv 结尾 / the output must end in .xlsx or .csv")
        plan = plan_by_ref(options["plan"]) if options.get("plan") else None
        results = published_results(plan=plan, entity=options.get("entity") or "", year=options.get("year"))
        try:
            with path.open("wb") as out:
                count = write_export(out, fmt, results.iterator(chunk_size=2000), english=options["english"])
        except OSError as exc:
            raise Refused(f"无法写入 / cannot write {path}: {exc}") from None
        return self.result({"file": str(path), "rows": count},
                           f"已导出{count}条已公示的检查结果到 {path} / exported {count} published results to {path}")
