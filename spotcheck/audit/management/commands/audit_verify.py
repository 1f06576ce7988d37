from spotcheck.audit.log import verify_chain
from spotcheck.lib.command import SpotcheckCommand


class Command(SpotcheckCommand):
    help = "验证审计日志哈希链 / verify the audit log's hash chain (exit 1 at the first bad entry)"

    def run(self, options):
        report = verify_chain()
        if report.ok:
            text = (f"审计链完好：{report.count}条，链头 #{report.head_seq} {report.head_hash}"
                    f" / audit chain intact: {report.count} entries, head #{report.head_seq}")
        else:
            text = (f"审计链在第{report.bad_position}条处损坏：{report.reason}"
                    f" / audit chain broken at position {report.bad_position}")
        return self.result(report.as_dict(), text, ok=report.ok)
