from datetime import datetime

from django.utils import timezone

from spotcheck.draws.service import DrawRefused, commit
from spotcheck.lib.command import Refused, SpotcheckCommand
from spotcheck.plans.lookup import plan_by_ref


def parse_time(text: str, option: str) -> datetime:
    """Read an ISO time; without an offset it is the local time (Asia/Shanghai)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise Refused(f"{option} 时间格式无效，应为 ISO 格式如 2026-12-01T10:00 / invalid time {text!r}") from None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


class Command(SpotcheckCommand):
    help = ("固定抽查对象范围、执法人员库和抽取参数，公布承诺值 / freeze the frame, pool and parameters of an "
            "approved plan and publish the commitment. Example: spotcheck draw_commit 3 "
            "--planned-at 2026-12-01T10:00 --entropy-source \"中国福利彩票3D 第2026335期开奖号码\"")

    def add_arguments(self, parser):
        parser.add_argument("plan", help="plan id or number")
        parser.add_argument("--planned-at", "--draw-at", dest="planned_at",
                            help="planned draw time, in the future (default: now), e.g. 2026-12-01T10:00")
        parser.add_argument("--entropy-source", default="",
                            help="the public random value that will give the entropy, named exactly "
                                 "(default: the witnesses present)")
        parser.add_argument("--reason", default="",
                            help="why the pool or the parameters changed (required after a failed draw)")

    def run(self, options):
        plan = plan_by_ref(options["plan"])
        planned = parse_time(options["planned_at"], "--planned-at") if options.get("planned_at") else None
        source = options["entropy_source"].strip()
        if source.lower() in ("witnesses", "见证人"):
            source = ""
        try:
            result = commit(plan, None, planned, source, options["reason"])
        except DrawRefused as exc:
            raise Refused(exc.message) from None
        c = result.commitment
        summary = c.public_summary()
        data = {k: summary[k] for k in ("commitment", "frame_digest", "pool_digest", "params_digest",
                                        "frame_count", "pool_count", "spec", "strata", "team_size",
                                        "required_departments", "capacity", "planned_draw_at",
                                        "entropy_source")}
        data["warnings"] = result.warnings
        capacity = "；".join(f"{d} {n}" for d, n in c.capacity.items())
        text = (f"已公布承诺 / committed: {c.commitment}\n"
                f"抽查对象范围 frame: {c.frame_count} ({c.frame_digest})\n"
                f"执法人员库 pool: {c.pool_count} ({c.pool_digest})\n"
                f"抽取参数 params: {c.params_digest}（检查组 {c.team_size} 人；每人上限 {capacity}）\n"
                f"计划抽取时间 planned: {timezone.localtime(c.planned_draw_at):%Y-%m-%d %H:%M}\n"
                f"随机数来源 entropy source: {c.entropy_source or '现场见证人 / the witnesses present'}"
                + "".join(f"\n提醒 / warning: {w}" for w in result.warnings))
        return self.result(data, text)
