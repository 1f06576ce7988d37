"""Approve and publish every entered task of a plan, as the lead department's head (the command-line operator).

Example::

    spotcheck review_results 巴南市场监管抽查〔2026〕3号 --approve --json
    {"published": 12}
"""

from django.db import transaction

from spotcheck.inspections.models import TaskStatus
from spotcheck.lib.command import Refused, SpotcheckCommand
from spotcheck.plans.lookup import plan_by_ref
from spotcheck.results import service


class Command(SpotcheckCommand):
    help = ("以牵头部门负责人身份审核通过并公示计划中所有已录入的任务 / approve and publish every entered task "
            "of the plan, as the lead department's head")

    def add_arguments(self, parser):
        parser.add_argument("plan", help="plan id or number")
        parser.add_argument("--approve", action="store_true", required=True,
                            help="approve and publish (required: the command does nothing else)")

    def run(self, options):
        plan = plan_by_ref(options["plan"])
        tasks = list(plan.tasks.filter(status=TaskStatus.ENTERED).order_by("order"))
        try:
            with transaction.atomic():
                for task in tasks:
                    service.approve(task, None)
        except service.ResultRefused as refused:
            raise Refused(refused.message) from None
        return self.result({"published": len(tasks)},
                           f"计划 {plan.number}：已审核公示{len(tasks)}个任务 / published {len(tasks)} tasks")
