import sys

from spotcheck.draws.models import Witness
from spotcheck.draws.service import DrawRefused, run
from spotcheck.lib.command import Refused, SpotcheckCommand
from spotcheck.plans.lookup import plan_by_ref


def parse_witness(text: str) -> tuple[str, str, str]:
    """Read NAME:CAPACITY[:ORGANISATION]."""
    name, _, rest = text.partition(":")
    capacity, _, organisation = rest.partition(":")
    if not name.strip() or capacity.strip() not in Witness.Capacity.values:
        raise Refused(f"见证人格式应为 姓名:身份[:单位]，身份为 {'、'.join(Witness.Capacity.values)}"
                      f" / a witness is NAME:CAPACITY[:ORGANISATION], got {text!r}")
    return name.strip(), capacity.strip(), organisation.strip()


class Command(SpotcheckCommand):
    help = ("以公开随机数进行抽取并生成检查任务 / run the draw with the public entropy. Example: spotcheck "
            "draw_run 3 --entropy \"3 1 4 1 5 …\" --witness 李公证:notary:重庆市巴南公证处")

    def add_arguments(self, parser):
        parser.add_argument("plan", help="plan id or number")
        parser.add_argument("--entropy", required=True, help="the public entropy, e.g. twenty dice rolls")
        parser.add_argument("--witness", action="append", default=[],
                            help="NAME:CAPACITY[:ORGANISATION] (notary, deputy, cppcc, press, public); repeatable")

    def run(self, options):
        plan = plan_by_ref(options["plan"])
        witnesses = [parse_witness(text) for text in options["witness"]]
        try:
            result = run(plan, options["entropy"], None, witnesses)
        except DrawRefused as exc:
            raise Refused(exc.message, {"entity": exc.entity} if exc.entity else {}) from None
        if not self.as_json:
            for warning in result.warnings:
                sys.stderr.write(f"注意 / warning: {warning}\n")
        n = len(result.record["selected"])
        data = {"seed": result.record["seed"], "selected": n}
        if result.warnings:
            data["warnings"] = result.warnings
        return self.result(data, f"抽取完成：种子 {result.record['seed']}，抽中 {n} 个市场主体 / drawn: {n} selected")
