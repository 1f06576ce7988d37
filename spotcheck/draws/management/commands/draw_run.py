from spotcheck.draws.service import DrawRefused, run
from spotcheck.lib.command import Refused, SpotcheckCommand
from spotcheck.plans.lookup import plan_by_ref


class Command(SpotcheckCommand):
    help = "以见证人提供的公开随机数进行抽取并生成检查任务 / run the draw with the witnesses' entropy"

    def add_arguments(self, parser):
        parser.add_argument("plan", help="plan id or number")
        parser.add_argument("--entropy", required=True, help="the public entropy, e.g. twenty dice rolls")
        parser.add_argument("--witness", action="append", default=[],
                            help="NAME:CAPACITY (notary, deputy, cppcc, press, public); repeatable")

    def run(self, options):
        plan = plan_by_ref(options["plan"])
        witnesses = []
        for text in options["witness"]:
            name, _, capacity = text.partition(":")
            if capacity not in ("notary", "deputy", "cppcc", "press", "public") or not name.strip():
                raise Refused(f"见证人格式应为 姓名:身份 / a witness is NAME:CAPACITY, got {text!r}")
            witnesses.append((name.strip(), capacity, ""))
        try:
            result = run(plan, options["entropy"], None, witnesses)
        except DrawRefused as exc:
            raise Refused(exc.message, {"entity": exc.entity} if exc.entity else {}) from None
        n = len(result.record["selected"])
        return self.result({"seed": result.record["seed"], "selected": n},
                           f"抽取完成：种子 {result.record['seed']}，抽中 {n} 个市场主体 / drawn: {n} selected")
