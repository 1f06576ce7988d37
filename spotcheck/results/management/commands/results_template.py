"""Write a plan's results sheet (检查结果表), one row per task and item, results empty.

Example::

    spotcheck results_template 巴南市场监管抽查〔2026〕3号 --out 检查结果表.xlsx
    spotcheck results_template 12 --out results.csv --english --json
    {"plan": "巴南市场监管抽查〔2026〕3号", "file": "results.csv", "rows": 24, "tasks": 12}
"""

from pathlib import Path

from spotcheck.lib.command import Refused, SpotcheckCommand
from spotcheck.plans.lookup import plan_by_ref
from spotcheck.results.sheet import write_template


class Command(SpotcheckCommand):
    help = ("写出计划的检查结果表（每个任务每个事项一行，结果留空；.xlsx 或 .csv） / write the plan's results "
            "sheet: one row per task and item, results empty (.xlsx or .csv by the file's ending)")

    def add_arguments(self, parser):
        parser.add_argument("plan", help="plan id or number")
        parser.add_argument("--out", required=True, help="FILE.xlsx or FILE.csv")
        parser.add_argument("--english", action="store_true", help="English keys as header (default: Chinese)")

    def run(self, options):
        plan = plan_by_ref(options["plan"])
        path = Path(options["out"])
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in ("xlsx", "csv"):
            raise Refused("输出文件须以 .xlsx 或 .csv 结尾 / the output must end in .xlsx or .csv")
        if not plan.tasks.exists():
            raise Refused(f"计划 {plan.number} 尚未抽取，没有检查任务 / plan {plan.pk} has no tasks yet")
        try:
            with path.open("wb") as out:
                rows, tasks = write_template(out, fmt, plan, english=options["english"])
        except OSError as exc:
            raise Refused(f"无法写入 / cannot write {path}: {exc}") from None
        return self.result({"plan": plan.number, "file": str(path), "rows": rows, "tasks": tasks},
                           f"已写出{tasks}个任务的{rows}行到 {path} / wrote {rows} rows of {tasks} tasks to {path}")
