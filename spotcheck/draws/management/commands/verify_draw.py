import io
import sys

from spotcheck.lib.command import SpotcheckCommand
from spotcheck.verify import check_file


class Command(SpotcheckCommand):
    help = ("按记录的规则版本（spec：spotcheck-draw/1 或 /2）验证抽取记录 / "
            "check a draw record by the rules of its spec, version 1 or 2 (exit 1 if invalid)")

    def add_arguments(self, parser):
        parser.add_argument("record", help="RECORD.json")

    def handle(self, *args, **options):
        # The standalone verifier's own output, byte for byte (Django's wrapper would end each print twice).
        out = io.StringIO()
        code = check_file(options["record"], as_json=options["json"], out=out)
        self.stdout.write(out.getvalue(), ending="")
        if code:
            sys.exit(code)
