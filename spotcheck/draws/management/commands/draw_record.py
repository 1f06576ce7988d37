from pathlib import Path

from spotcheck.draws.service import DrawRefused, record_text
from spotcheck.lib.command import Refused, SpotcheckCommand
from spotcheck.plans.lookup import plan_by_ref


class Command(SpotcheckCommand):
    help = "输出抽取记录（draw-v1 §7） / write the draw record of a drawn plan"

    def add_arguments(self, parser):
        parser.add_argument("plan", help="plan id or number")
        parser.add_argument("--out", help="FILE (standard output without it)")

    def handle(self, *args, **options):
        # Without --out the record itself is the output (one JSON object), with or without --json.
        if options.get("out"):
            return super().handle(*args, **options)
        self.as_json = options["json"]
        try:
            text = record_text(plan_by_ref(options["plan"]))
        except (Refused, DrawRefused) as exc:
            self.stderr.write(str(exc))
            raise SystemExit(1) from None
        self.stdout.write(text)

    def run(self, options):
        try:
            text = record_text(plan_by_ref(options["plan"]))
        except DrawRefused as exc:
            raise Refused(exc.message) from None
        Path(options["out"]).write_text(text, encoding="utf-8")
        return self.result({"file": options["out"]}, f"已写入 / written to {options['out']}")
