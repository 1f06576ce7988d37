from pathlib import Path

from spotcheck.draws.service import DrawRefused, record_text
from spotcheck.lib.command import Refused, SpotcheckCommand
from spotcheck.plans.lookup import plan_by_ref


class Command(SpotcheckCommand):
    help = ("输出抽取记录（已抽取的，或最近一次失败的） / write the draw record of a plan: the completed draw, "
            "else the latest failed one, or --attempt N")

    def add_arguments(self, parser):
        parser.add_argument("plan", help="plan id or number")
        parser.add_argument("--out", help="FILE (standard output without it)")
        parser.add_argument("--attempt", type=int, help="the commitment's attempt number")

    def _text(self, options) -> str:
        try:
            return record_text(plan_by_ref(options["plan"]), options.get("attempt"))
        except DrawRefused as exc:
            raise Refused(exc.message) from None

    def handle(self, *args, **options):
        # Without --out the record itself is the output (one JSON object), with or without --json.
        if options.get("out"):
            return super().handle(*args, **options)
        self.as_json = options["json"]
        try:
            text = self._text(options)
        except Refused as exc:
            self.stderr.write(str(exc))
            raise SystemExit(1) from None
        self.stdout.write(text)

    def run(self, options):
        text = self._text(options)
        Path(options["out"]).write_text(text, encoding="utf-8")
        return self.result({"file": options["out"]}, f"已写入 / written to {options['out']}")
