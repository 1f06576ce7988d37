"""Enter results from a filled results sheet (检查结果表), all or nothing.

Every row is checked first; any bad row refuses the whole file (exit 1) and
every bad row is listed as ``row N, column: reason``. The command-line operator
acts as the team: each task's results are entered and submitted for review.

Example::

    spotcheck import_results 巴南市场监管抽查〔2026〕3号 检查结果表.xlsx --json
    {"entered": 24, "tasks": 12}
"""

from pathlib import Path

from spotcheck.lib.command import Refused, SpotcheckCommand
from spotcheck.plans.lookup import plan_by_ref
from spotcheck.results.sheet import import_sheet


class Command(SpotcheckCommand):
    help = ("从填好的检查结果表录入检查结果并提交审核（全部成功或全部不录入） / enter results from a filled "
            "results sheet and submit them for review, all or nothing")

    def add_arguments(self, parser):
        parser.add_argument("plan", help="plan id or number")
        parser.add_argument("file", help=".xlsx or .csv (UTF-8 or GB18030)")

    def run(self, options):
        plan = plan_by_ref(options["plan"])
        path = Path(options["file"])
        if not path.is_file():
            raise Refused(f"找不到文件 / no such file: {path}")
        outcome = import_sheet(plan, path, None)
        return self.result(outcome.as_dict(), outcome.summary(), ok=outcome.ok)
