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
            if path.stat().st_size > spec.PLAN_FILE_MAX_BYTES:  # refused before it is read
                raise Refused(f"计划文件“{path.name}”超过{spec.PLAN_FILE_MAX_BYTES // 1024}KB的上限"
                              f" / the plan file is larger than {spec.PLAN_FILE_MAX_BYTES // 1024} KB")
            data = spec.parse_file(path.read_bytes(), path.name)
        except OSError as exc:
            raise Refused(f"无法读取文件 / cannot read {path}: {exc}") from None
        except spec.PlanFileError as exc:
            raise Refused(exc.message) from None
        clean, problems = spec.validate(data, spec_context())
        if problems:
            raise Refused("计划被拒绝 / plan refused:\n" + problems.text(), {"errors": problems.as_list()})
        plan = create_plan(clean, None)
        return self.result({"plan": plan.pk, "number": plan.number},
                           f"已创建计划草稿 {plan.number}（ID {plan.pk}） / created draft plan {plan.pk}")
