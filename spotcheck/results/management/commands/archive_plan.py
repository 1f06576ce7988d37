import shutil

from spotcheck.lib.command import Refused, SpotcheckCommand
from spotcheck.plans.lookup import plan_by_ref
from spotcheck.results.archive import archive_plan
from spotcheck.results.service import ResultRefused


class Command(SpotcheckCommand):
    help = ("归档计划：生成包含各任务随机抽查情况记录表、抽取记录和证明、检查结果的ZIP，并办结计划 / "
            "archive a plan whose tasks are all done: build its ZIP (record forms, draw record and "
            "certificate, results CSV), store it, archive the tasks and close the plan. "
            "Example: spotcheck archive_plan 12 --out plan-12.zip --json")

    def add_arguments(self, parser):
        parser.add_argument("plan", help="plan id or number")
        parser.add_argument("--out", help="also copy the ZIP to FILE")

    def run(self, options):
        plan = plan_by_ref(options["plan"])
        try:
            archive = archive_plan(plan, None, progress=self.progress)
        except ResultRefused as refused:
            raise Refused(refused.message) from None
        path = archive.file.name
        if options.get("out"):
            with archive.file.open("rb") as source, open(options["out"], "wb") as target:
                shutil.copyfileobj(source, target)
            path = options["out"]
        else:
            try:
                path = archive.file.path
            except NotImplementedError:  # object storage: the name within it
                pass
        tasks = plan.tasks.filter(status="archived").count()
        return self.result({"archive": path, "sha256": archive.sha256, "tasks": tasks},
                           f"已归档 {plan.number}：{tasks} 个任务 / archived {tasks} tasks\n"
                           f"{path}\nSHA-256 {archive.sha256}")
