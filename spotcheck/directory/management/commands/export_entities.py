from pathlib import Path

from spotcheck.directory.exports import write_entities
from spotcheck.lib.command import Refused, SpotcheckCommand


class Command(SpotcheckCommand):
    help = ("导出市场主体名录库为CSV（UTF-8带BOM）或XLSX / export the entity directory as CSV or "
            ".xlsx (by the file's ending)")

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="FILE.csv or FILE.xlsx")

    def run(self, options):
        path = Path(options["out"])
        if path.suffix.lower() not in (".csv", ".xlsx"):
            raise Refused("输出文件须以 .csv 或 .xlsx 结尾 / the output must end in .csv or .xlsx")
        try:
            with path.open("wb") as out:
                count = write_entities(out, path.suffix.lower().lstrip("."))
        except OSError as exc:
            raise Refused(f"无法写入 / cannot write {path}: {exc}") from None
        return self.result({"ok": True, "file": str(path), "rows": count},
                           f"已导出{count}个市场主体到 {path} / exported {count} entities to {path}")
