"""Mark failed the import jobs whose worker is gone, and remove their uploads."""

from __future__ import annotations

from typing import Any

from spotcheck.directory.jobs import fail_stale_jobs
from spotcheck.lib.command import Result, SpotcheckCommand


class Command(SpotcheckCommand):
    help = ("将处理进程已停止的导入任务标记为失败并删除其上传文件"
            " / mark failed the import jobs whose worker stopped, and remove their uploads")

    def run(self, options: dict[str, Any]) -> Result:
        count = fail_stale_jobs()
        return self.result({"ok": True, "failed": count},
                           f"已标记中断的导入任务：{count} / interrupted import jobs marked failed: {count}")
