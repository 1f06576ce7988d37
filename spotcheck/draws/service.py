"""Commit and draw (docs/draw/README.md, rules.md R5): the orchestration around the pure draw.

``commit`` freezes the frame, pool and parameters of an approved plan and
publishes the commitment with the planned time and the entropy source; ``run``
holds the ceremony to that promise, takes the public entropy, makes the draw,
creates the tasks and publishes the record. A draw that cannot form every team
publishes its failure record, voids the commitment and changes nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_variables

from spotcheck import draw
from spotcheck.audit.log import actor_name, record
from spotcheck.directory.imports import insert_rows
from spotcheck.directory.models import Entity, Inspector
from spotcheck.draws.models import Commitment, CommitmentStatus, Witness
from spotcheck.inspections.models import Task, TaskMember
from spotcheck.plans.frame import scopes_overlap
from spotcheck.plans.framedata import floor_problem, frame_for
from spotcheck.plans.models import Plan, PlanStatus


class DrawRefused(Exception):
    """A commit or draw refused; the message is Chinese and English."""

    def __init__(self, message: str, entity: str | None = None):
        super().__init__(message)
        self.message = message
        self.entity = entity


def _lines(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"{a},{b}\n" for a, b in pairs)


def _pairs(text: str) -> list[tuple[str, str]]:
    return [tuple(line.split(",", 1)) for line in text.splitlines() if line]  # type: ignore[misc]


def pool_from_text(text: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    inspectors: list[tuple[str, str]] = []
    conflicts: list[tuple[str, str]] = []
    for line in text.splitlines():
        kind, a, b = line.split(",", 2)
        (inspectors if kind == "I" else conflicts).append((a, b))
    return inspectors, conflicts


def check_floor(strata_table: list[dict[str, Any]]) -> None:
    """Refuse a count below ceil(min_ratio × population) (rules.md R4)."""
    for entry in strata_table:
        rule: dict[str, Any] = {k: entry[k] for k in ("ratio", "count") if k in entry}
        if problem := floor_problem(entry["name"], entry["population"], rule):
            raise DrawRefused(problem)


def entropy_warning(entropy: str, by_witnesses: bool) -> str | None:
    """Say when the witnesses' entropy is shorter than twenty dice rolls (rules.md R5), else None."""
    if not by_witnesses:
        return None
    rolls = sum(1 for ch in entropy if ch in "123456")
    if rolls >= MIN_DICE_ROLLS:
        return None
    return (gettext("公开随机数只有%(rolls)s个骰子点数，少于%(least)s次（建议至少掷%(least)s次）")
            % {"rolls": rolls, "least": MIN_DICE_ROLLS})


MIN_DICE_ROLLS = 20

# The key of the PostgreSQL advisory lock that makes the commitments of one year take turns.
COMMIT_LOCK = 0x5C07


@dataclass
class CommitResult:
    commitment: Commitment
    warnings: list[str]


def _commits_take_turns(year: int) -> None:
    """Wait for any other commitment of the year to finish, so that each sees the ones before it.

    On SQLite every write transaction starts by taking the database's write lock, which does
    it already; on PostgreSQL a transaction-level advisory lock keyed by the year does.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [COMMIT_LOCK, year])


def overlapping_plans(plan: Plan) -> list[tuple[Plan, list[str]]]:
    """Return the other plans of the year committed and not yet drawn that share an item and scope with
    ``plan``, each with the items in common.

    R3 counts drawn tasks only (``already_inspected``, ``frequency_cap``): until one of two such
    plans is drawn, neither frame excludes the other's selections, and one entity can be
    drawn by both for the same item (docs/rules.md R3, "Plans committed at the same time").
    """
    items = set(plan.items)
    found = []
    others = (Plan.objects.filter(year=plan.year, status=PlanStatus.COMMITTED).exclude(pk=plan.pk)
              .only("number", "name", "items", "scope").order_by("pk"))
    for other in others:
        common = sorted(items & set(other.items))
        if common and scopes_overlap(plan.scope or {}, other.scope or {}):
            found.append((other, common))
    return found


def overlap_warning(other: Plan, items: Sequence[str]) -> str:
    return gettext(
        "提醒：计划“%(number)s”（%(name)s）已固定抽取范围但尚未抽取，与本计划年度相同、有相同的抽查事项"
        "（%(items)s）且抽查范围重叠。两次抽取互不知道对方抽中的市场主体，同一市场主体可能就同一事项被两个计划"
        "抽中；抽取后请核对两个计划的抽中名单，避免重复检查。"
    ) % {"number": other.number, "name": other.name, "items": "、".join(items)}


@sensitive_variables()  # the server secret: hidden, with the frames it calls, in error reports
def commit(plan: Plan, actor: Any, planned_draw_at: datetime | None = None, entropy_source: str = "",
           reason: str = "") -> CommitResult:
    """Freeze frame, pool and parameters, make the secret, publish the commitment. Side effect: audit entry.

    The commitment names the planned draw time (in the future; now when not given)
    and the entropy source: the witnesses present (``entropy_source`` empty) or a
    named public random value (rules.md R5). After a failed draw the new
    commitment must say why the pool or the parameters changed (``reason``).
    The secret comes from ``secrets`` (draw.new_secret) and is stored for the draw
    only; the audit entry, the page and the command output carry the commitment.
    The warnings name the other plans committed and not yet drawn that could draw the
    same entity for the same item (``overlapping_plans``); the audit entry keeps them.
    """
    now = timezone.now()
    if planned_draw_at is not None and planned_draw_at <= now:
        raise DrawRefused(gettext("计划抽取时间须晚于现在（%(time)s已过）")
                          % {"time": f"{timezone.localtime(planned_draw_at):%Y-%m-%d %H:%M}"})
    entropy_source, reason = entropy_source.strip(), reason.strip()
    # The frame is built before the plan's row is locked: reading the directory takes a while.
    frame = frame_for(plan, day=timezone.localdate())
    with transaction.atomic():
        _commits_take_turns(plan.year)
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        if plan.status != PlanStatus.APPROVED:
            raise DrawRefused(gettext("只有已批准的计划才能固定抽取范围（当前：%(status)s）")
                              % {"status": plan.get_status_display()})
        if plan.commitments.filter(status=CommitmentStatus.VOID).exists() and not reason:
            raise DrawRefused(gettext("上一次抽取失败：请说明执法人员库或抽取参数为何改变（将与失败记录一同公布）"))
        if not frame.rows:
            raise DrawRefused(gettext("抽查对象范围为空，不能抽取"))
        rows = sorted(frame.rows)
        table = draw.strata_table(rows, plan.strata)
        check_floor(table)
        selected = sum(s["sample_size"] for s in table)
        departments = plan.department_codes
        required = departments if len(departments) > 1 else []
        capacity = draw.v2.capacities(plan.capacity, selected, plan.team_size, frame.inspectors, required)
        secret = draw.new_secret()
        attempt = (plan.commitments.aggregate(n=Max("attempt"))["n"] or 0) + 1
        commitment = Commitment.objects.create(
            plan=plan, attempt=attempt, spec=draw.SPEC, committed_at=now, committed_by=actor_name(actor),
            planned_draw_at=planned_draw_at or now, entropy_source=entropy_source, reason=reason,
            server_secret=secret, commitment=draw.commitment(secret),
            frame_digest=draw.frame_digest(rows), pool_digest=draw.pool_digest(frame.inspectors, frame.conflicts),
            params_digest=draw.v2.params_digest(table, plan.team_size, required, capacity),
            frame_count=len(rows), pool_count=len(frame.inspectors),
            frame_text=draw.frame_text(rows), pool_text=draw.pool_text(frame.inspectors, frame.conflicts),
            exclusions_text=_lines(sorted(frame.exclusions)), strata=plan.strata, team_size=plan.team_size,
            required_departments=required, capacity=capacity,
        )
        plan.status = PlanStatus.COMMITTED
        plan.save(update_fields=["status", "updated_at"])
        summary = commitment.public_summary()
        details = {
            k: summary[k] for k in ("attempt", "spec", "commitment", "frame_digest", "pool_digest", "params_digest",
                                    "frame_count", "pool_count", "strata", "team_size", "required_departments",
                                    "capacity", "planned_draw_at", "entropy_source", "reason")
        }
        overlaps = overlapping_plans(plan)
        warnings = [overlap_warning(other, items) for other, items in overlaps]
        if overlaps:
            details["overlapping_plans"] = [other.number for other, _ in overlaps]
            details["warnings"] = warnings
        record(actor, "draw_commit", "plan", plan.number, details)
    return CommitResult(commitment, warnings)


def live_commitment(plan: Plan) -> Commitment | None:
    return plan.commitments.exclude(status=CommitmentStatus.VOID).first()


@dataclass
class DrawResult:
    commitment: Commitment
    record: dict[str, Any]
    warnings: list[str]


@sensitive_variables()  # the server secret: hidden, with the frames it calls, in error reports
def _inputs(c: Commitment) -> dict[str, Any]:
    inspectors, conflicts = pool_from_text(c.pool_text)
    plan = c.plan
    return {
        "plan": {"id": str(plan.pk), "name": plan.name, "departments": plan.department_codes,
                 "items": list(plan.items)},
        "committed_at": timezone.localtime(c.committed_at).isoformat(timespec="seconds"),
        "server_secret": c.server_secret,
        "rows": _pairs(c.frame_text),
        "inspectors": inspectors,
        "conflicts": conflicts,
        "rules": c.strata,
        "team_size": c.team_size,
        "required_departments": c.required_departments,
        "capacity": c.capacity,
        "exclusions": [{"entity": e, "reason": r} for e, r in _pairs(c.exclusions_text)],
    }


@sensitive_variables()  # the server secret: hidden, with the frames it calls, in error reports
def _make_record(c: Commitment, entropy: str, drawn_at: str) -> dict[str, Any]:
    """Draw by the version the commitment was made under; a failed draw gives a failure record."""
    inputs = _inputs(c)
    if c.spec == draw.v1.SPEC:
        try:
            return draw.v1.run(**inputs, drawn_at=drawn_at, public_entropy=entropy)
        except draw.TeamError as failure:
            # Version 1 has no failure record: the commitment is void, its entropy kept.
            return {"failure": {"entity": failure.entity, "slot": None, "department": failure.department},
                    "message": str(failure)}
    return draw.run(**inputs, drawn_at=drawn_at, public_entropy=entropy)


def check_ceremony(c: Commitment, witnesses: Sequence[tuple[str, str, str]], now: datetime) -> None:
    """Refuse a draw that breaks the ceremony's promise (rules.md R5): too early, or unwitnessed."""
    if c.planned_draw_at and now < c.planned_draw_at:
        raise DrawRefused(gettext("未到公布的抽取时间（%(time)s），不能抽取")
                          % {"time": f"{timezone.localtime(c.planned_draw_at):%Y-%m-%d %H:%M}"})
    least = settings.SPOTCHECK["min_witnesses"]
    if c.by_witnesses and len(witnesses) < least:
        raise DrawRefused(gettext("承诺公布的随机数来源是现场见证人：至少需要%(least)s名见证人（姓名、身份、单位）")
                          % {"least": least})


@sensitive_variables()  # the server secret: hidden, with the frames it calls, in error reports
def run(plan: Plan, entropy: str, actor: Any, witnesses: Sequence[tuple[str, str, str]] = ()) -> DrawResult:
    """Draw with the public entropy: one draw per commitment, all or nothing.

    Refused before the announced time, or without the witnesses the commitment
    promised (rules.md R5). A draw that cannot form every team is published as a
    failure record (secret, entropy and witnesses revealed), the commitment is
    void, the plan returns to approved, and DrawRefused names the entity; nothing
    is selected or assigned.
    """
    try:
        entropy = draw.normalize_entropy(entropy)
    except draw.DrawError as exc:
        raise DrawRefused(str(exc)) from None
    with transaction.atomic():
        c = live_commitment(plan)
        if c is not None and c.status == CommitmentStatus.COMMITTED:
            check_ceremony(c, witnesses, timezone.now())
        # The conditional update lets exactly one of two simultaneous draws through.
        if c is None or not Commitment.objects.filter(pk=c.pk, status=CommitmentStatus.COMMITTED).update(
            status=CommitmentStatus.DRAWN, drawn_at=timezone.now()
        ):
            raise DrawRefused(gettext("该计划没有待抽取的承诺（已抽取，或尚未固定范围）"))
        c.refresh_from_db()
        for name, capacity, organisation in witnesses:
            Witness.objects.create(commitment=c, name=name, capacity=capacity, organisation=organisation)
        result = _make_record(c, entropy, timezone.localtime(c.drawn_at).isoformat(timespec="seconds"))
        c.public_entropy = entropy
        c.seed = result.get("seed", "")
        c.drawn_by = actor_name(actor)
        witness_names = [f"{n}（{Witness.Capacity(cap).label}）" for n, cap, _ in witnesses]
        if "failure" in result:
            reason = result.pop("message", None) or draw.v2.failure_message(result)
            entry = record(actor, "draw_void", "plan", plan.number, {
                "attempt": c.attempt, "commitment": c.commitment, "server_secret": c.server_secret,
                "public_entropy": entropy, "seed": c.seed, "witnesses": witness_names, **result["failure"],
                "reason": reason,
            })
            if "spec" in result:  # a version-2 failure record is published like a completed draw's
                result["audit_anchor"] = {"seq": entry.seq, "hash": entry.hash}
                c.record = draw.dumps(result)
            c.status, c.void_reason, c.voided_at = CommitmentStatus.VOID, reason, timezone.now()
            c.save()
            Plan.objects.filter(pk=plan.pk).update(status=PlanStatus.APPROVED)
            refused = DrawRefused(gettext("抽取失败，承诺已作废，失败记录已公布；请调整执法人员库或参数后重新固定范围：%(reason)s")
                                  % {"reason": reason}, entity=result["failure"]["entity"])
        else:
            _create_tasks(plan, c, result, actor)
            plan.status = PlanStatus.DRAWN
            plan.save(update_fields=["status", "updated_at"])
            entry = record(actor, "draw_run", "plan", plan.number, {
                "attempt": c.attempt, "commitment": c.commitment, "server_secret": c.server_secret,
                "public_entropy": entropy, "seed": result["seed"], "selected": len(result["selected"]),
                "witnesses": witness_names,
            })
            result["audit_anchor"] = {"seq": entry.seq, "hash": entry.hash}
            c.record = draw.dumps(result)
            c.save()
            warning = entropy_warning(entropy, c.by_witnesses)
            return DrawResult(c, result, [warning] if warning else [])
    plan.refresh_from_db()
    raise refused


def _create_tasks(plan: Plan, c: Commitment, result: dict[str, Any], actor: Any) -> None:
    """Create one task per selected entity, with its team (leader first), in the draw's transaction."""
    codes = [s["entity"] for s in result["selected"]]
    entities = dict(Entity.objects.filter(uscc__in=codes).values_list("uscc", "pk"))
    certs = {m for s in result["selected"] for m in s["team"]}
    inspectors = dict(Inspector.objects.filter(cert_no__in=certs).values_list("cert_no", "pk"))
    # One prepared INSERT each (bulk_create compiles its SQL every few dozen rows on SQLite).
    insert_rows(Task, [
        Task(plan=plan, commitment=c, entity_id=entities[s["entity"]], stratum=s["stratum"], ticket=s["ticket"],
             order=i + 1, items=list(plan.items))
        for i, s in enumerate(result["selected"])
    ])
    task_of = dict(Task.objects.filter(commitment=c).values_list("entity_id", "pk"))
    insert_rows(TaskMember, [
        TaskMember(task_id=task_of[entities[s["entity"]]], inspector_id=inspectors[cert], position=p)
        for s in result["selected"] for p, cert in enumerate(s["team"])
    ])
    record(actor, "tasks_create", "plan", plan.number, {"tasks": len(codes), "attempt": c.attempt})


def drawn_commitment(plan: Plan) -> Commitment | None:
    return plan.commitments.filter(status=CommitmentStatus.DRAWN).first()


def published_record(plan: Plan, attempt: int | None = None) -> Commitment | None:
    """Return the commitment whose record is public: the given attempt, else the drawn one, else the
    latest failed one."""
    published = plan.commitments.exclude(record="")
    if attempt is not None:
        return published.filter(attempt=attempt).first()
    return drawn_commitment(plan) or published.order_by("-attempt").first()


def record_text(plan: Plan, attempt: int | None = None) -> str:
    c = published_record(plan, attempt)
    if c is None:
        raise DrawRefused(gettext("该计划尚无公布的抽取记录"))
    return c.record

