from django.db import transaction

from spotcheck.lib.command import Refused, SpotcheckCommand
from spotcheck.plans.lookup import plan_by_ref
from spotcheck.plans.models import PlanStatus, WorkflowError


class Command(SpotcheckCommand):
    help = ("以命令行操作员身份提交并批准计划（联合计划同时确认各参与部门） / submit and approve a plan "
            "as the command-line operator (confirming every participating department of a joint plan)")

    def add_arguments(self, parser):
        parser.add_argument("plan", help="plan id or number")

    def run(self, options):
        plan = plan_by_ref(options["plan"])
        try:
            with transaction.atomic():
                if plan.status == PlanStatus.DRAFT:
                    plan.submit(None)
                for department in plan.unconfirmed():
                    plan.confirm(None, department)
                plan.approve(None)
        except WorkflowError as exc:
            raise Refused(exc.message) from None
        return self.result({"plan": plan.pk, "number": plan.number, "status": plan.status},
                           f"计划 {plan.number} 已批准 / plan {plan.pk} approved")
