import json
from pathlib import Path

from spotcheck.lib.command import Refused, SpotcheckCommand
from spotcheck.plans import spec
from spotcheck.plans.framedata import spec_context
from spotcheck.plans.models import create_plan


class Command(SpotcheckCommand):
    help = "从JSON计划文件创建计划草稿 / create a draft plan from a plan file (spec/interfaces.md)"

    def add_arguments(self, parser):
        parser.add_argument("file", help="FILE.json")

    def run(self, options):
        path = Path(options["file"])
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except OSError as exc:
            raise Refused(f"无法读取文件 / cannot read {path}: {exc}") from None
        except ValueError as exc:
            raise Refused(f"不是有效的JSON / not valid JSON: {exc}") from None
        clean, problems = spec.validate(data, spec_context())
        if problems:
            raise Refused("计划被拒绝 / plan refused:\n" + problems.text(), {"errors": problems.as_list()})
        plan = create_plan(clean, None)
        return self.result({"plan": plan.pk, "number": plan.number},
                           f"已创建计划草稿 {plan.number}（ID {plan.pk}） / created draft plan {plan.pk}")
