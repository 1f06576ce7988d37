import sys

from spotcheck.lib.command import SpotcheckCommand
from spotcheck.verify import check_file


class Command(SpotcheckCommand):
    help = "按 draw-v1 §8 验证抽取记录 / check a draw record (exit 1 if invalid)"

    def add_arguments(self, parser):
        parser.add_argument("record", help="RECORD.json")

    def handle(self, *args, **options):
        code = check_file(options["record"], as_json=options["json"], out=self.stdout)
        if code:
            sys.exit(code)
