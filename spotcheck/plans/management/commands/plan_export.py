import json
from pathlib import Path

from spotcheck.lib.command import SpotcheckCommand
from spotcheck.plans.lookup import plan_by_ref


class Command(SpotcheckCommand):
    help = "导出计划为JSON计划文件 / export a plan as its plan file"

    def add_arguments(self, parser):
        parser.add_argument("plan", help="plan id or number")
        parser.add_argument("--out", help="FILE.json (standard output without it)")

    def run(self, options):
        plan = plan_by_ref(options["plan"])
        text = json.dumps(plan.to_file(), ensure_ascii=False, indent=2)
        if options["out"]:
            Path(options["out"]).write_text(text + "\n", encoding="utf-8")
            return self.result({"plan": plan.pk, "file": options["out"]}, f"已导出 / written to {options['out']}")
        return self.result(plan.to_file(), text)
