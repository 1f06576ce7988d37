from datetime import datetime

from django.utils import timezone

from spotcheck.draws.service import DrawRefused, commit
from spotcheck.lib.command import Refused, SpotcheckCommand
from spotcheck.plans.lookup import plan_by_ref


class Command(SpotcheckCommand):
    help = ("固定抽查对象范围和执法人员库，公布承诺值 / freeze the frame and pool of an approved plan and "
            "publish the commitment")

    def add_arguments(self, parser):
        parser.add_argument("plan", help="plan id or number")
        parser.add_argument("--draw-at", help="planned draw time, e.g. 2026-12-01T10:00")

    def run(self, options):
        plan = plan_by_ref(options["plan"])
        planned = None
        if options.get("draw_at"):
            try:
                planned = timezone.make_aware(datetime.fromisoformat(options["draw_at"]))
            except ValueError:
                raise Refused("抽取时间格式无效 / invalid --draw-at time") from None
        try:
            c = commit(plan, None, planned)
        except DrawRefused as exc:
            raise Refused(exc.message) from None
        data = {"commitment": c.commitment, "frame_digest": c.frame_digest, "pool_digest": c.pool_digest,
                "frame_count": c.frame_count}
        text = (f"已公布承诺 / committed: {c.commitment}\n抽查对象范围 frame: {c.frame_count} "
                f"({c.frame_digest})\n执法人员库 pool: {c.pool_count} ({c.pool_digest})")
        return self.result(data, text)
