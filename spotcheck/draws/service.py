"""Commit and draw (spec/draw-v1.md; issue #4): the orchestration around the pure draw.

``commit`` freezes the frame and pool of an approved plan and publishes the
commitment; ``run`` takes the witnesses' entropy, makes the draw, creates the
tasks and publishes the record. A draw that cannot form every team voids the
commitment and changes nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from spotcheck import draw
from spotcheck.audit.log import actor_name, record
from spotcheck.directory.models import Entity, Inspector
from spotcheck.draws.models import Commitment, CommitmentStatus, Witness
from spotcheck.inspections.models import Task, TaskMember
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


def commit(plan: Plan, actor: Any, planned_draw_at: datetime | None = None) -> Commitment:
    """Freeze frame and pool, make the secret, publish the commitment. Side effects: audit entry.

    The secret comes from ``secrets`` (draw.new_secret) and is stored for the draw
    only; the audit entry, the page and the command output carry the commitment.
    """
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        if plan.status != PlanStatus.APPROVED:
            raise DrawRefused(f"只有已批准的计划才能固定抽取范围（当前：{plan.get_status_display()}）"
                              f" / only an approved plan can be committed (it is {plan.status})")
        frame = frame_for(plan, day=timezone.localdate())
        if not frame.rows:
            raise DrawRefused("抽查对象范围为空，不能抽取 / the frame is empty and cannot be drawn")
        rows = sorted(frame.rows)
        table = draw.strata_table(rows, plan.strata)
        check_floor(table)
        selected = sum(s["sample_size"] for s in table)
        departments = plan.department_codes
        secret = draw.new_secret()
        attempt = (plan.commitments.aggregate(n=Max("attempt"))["n"] or 0) + 1
        commitment = Commitment.objects.create(
            plan=plan, attempt=attempt, committed_at=timezone.now(), committed_by=actor_name(actor),
            planned_draw_at=planned_draw_at, server_secret=secret, commitment=draw.commitment(secret),
            frame_digest=draw.frame_digest(rows), pool_digest=draw.pool_digest(frame.inspectors, frame.conflicts),
            frame_count=len(rows), pool_count=len(frame.inspectors),
            frame_text=draw.frame_text(rows), pool_text=draw.pool_text(frame.inspectors, frame.conflicts),
            exclusions_text=_lines(sorted(frame.exclusions)), strata=plan.strata, team_size=plan.team_size,
            required_departments=departments if len(departments) > 1 else [],
            capacity=draw.default_capacity(selected, plan.team_size, len(frame.inspectors)),
        )
        plan.status = PlanStatus.COMMITTED
        plan.save(update_fields=["status", "updated_at"])
        record(actor, "draw_commit", "plan", plan.number, {
            "attempt": attempt, "commitment": commitment.commitment, "frame_digest": commitment.frame_digest,
            "pool_digest": commitment.pool_digest, "frame_count": commitment.frame_count,
            "pool_count": commitment.pool_count, "capacity": commitment.capacity,
            "planned_draw_at": planned_draw_at.isoformat() if planned_draw_at else None,
        })
    return commitment


def live_commitment(plan: Plan) -> Commitment | None:
    return plan.commitments.exclude(status=CommitmentStatus.VOID).first()


@dataclass
class DrawResult:
    commitment: Commitment
    record: dict[str, Any]


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


def run(plan: Plan, entropy: str, actor: Any, witnesses: Sequence[tuple[str, str, str]] = ()) -> DrawResult:
    """Draw with the witnesses' entropy: one draw per commitment, all or nothing.

    On a team that cannot be formed the commitment is voided (kept on the public
    record with its reason), the plan returns to approved, and DrawRefused names
    the entity; nothing is selected or assigned.
    """
    try:
        entropy = draw.normalize_entropy(entropy)
    except draw.DrawError as exc:
        raise DrawRefused(str(exc)) from None
    with transaction.atomic():
        c = live_commitment(plan)
        # The conditional update lets exactly one of two simultaneous draws through.
        if c is None or not Commitment.objects.filter(pk=c.pk, status=CommitmentStatus.COMMITTED).update(
            status=CommitmentStatus.DRAWN, drawn_at=timezone.now()
        ):
            raise DrawRefused("该计划没有待抽取的承诺（已抽取，或尚未固定范围） / this plan has no open "
                              "commitment: it was drawn already, or is not committed")
        c.refresh_from_db()
        drawn_at = timezone.localtime(c.drawn_at)
        try:
            result = draw.run(**_inputs(c), drawn_at=drawn_at.isoformat(timespec="seconds"),
                              public_entropy=entropy)
        except draw.TeamError as failure:
            # Nothing was selected or assigned; the void commitment stays on the public record.
            Commitment.objects.filter(pk=c.pk).update(
                status=CommitmentStatus.VOID, void_reason=str(failure), voided_at=timezone.now(),
                public_entropy=entropy, drawn_at=None)
            Plan.objects.filter(pk=plan.pk).update(status=PlanStatus.APPROVED)
            record(actor, "draw_void", "plan", plan.number, {
                "attempt": c.attempt, "commitment": c.commitment, "public_entropy": entropy,
                "entity": failure.entity, "department": failure.department, "reason": str(failure),
            })
            refused = DrawRefused(f"抽取失败，承诺已作废，需重新固定范围：{failure} / the draw failed and the "
                                  "commitment is void; fix the pool and commit again", entity=failure.entity)
        else:
            for name, capacity, organisation in witnesses:
                Witness.objects.create(commitment=c, name=name, capacity=capacity, organisation=organisation)
            _create_tasks(plan, c, result, actor)
            c.public_entropy = entropy
            c.seed = result["seed"]
            c.drawn_by = actor_name(actor)
            plan.status = PlanStatus.DRAWN
            plan.save(update_fields=["status", "updated_at"])
            entry = record(actor, "draw_run", "plan", plan.number, {
                "attempt": c.attempt, "commitment": c.commitment, "server_secret": c.server_secret,
                "public_entropy": entropy, "seed": result["seed"], "selected": len(result["selected"]),
                "witnesses": [f"{n}（{cap}）" for n, cap, _ in witnesses],
            })
            result["audit_anchor"] = {"seq": entry.seq, "hash": entry.hash}
            c.record = draw.dumps(result)
            c.save()
            return DrawResult(c, result)
    plan.refresh_from_db()
    raise refused


def _create_tasks(plan: Plan, c: Commitment, result: dict[str, Any], actor: Any) -> None:
    codes = [s["entity"] for s in result["selected"]]
    entities = dict(Entity.objects.filter(uscc__in=codes).values_list("uscc", "pk"))
    certs = {m for s in result["selected"] for m in s["team"]}
    inspectors = dict(Inspector.objects.filter(cert_no__in=certs).values_list("cert_no", "pk"))
    tasks = Task.objects.bulk_create([
        Task(plan=plan, commitment=c, entity_id=entities[s["entity"]], stratum=s["stratum"], ticket=s["ticket"],
             order=i + 1, items=list(plan.items))
        for i, s in enumerate(result["selected"])
    ], batch_size=500)
    tasks_by_entity = {t.entity_id: t for t in tasks}
    if any(t.pk is None for t in tasks):  # backends that do not return ids from bulk inserts
        tasks_by_entity = {t.entity_id: t for t in Task.objects.filter(plan=plan)}
    TaskMember.objects.bulk_create([
        TaskMember(task=tasks_by_entity[entities[s["entity"]]], inspector_id=inspectors[cert], position=p)
        for s in result["selected"] for p, cert in enumerate(s["team"])
    ], batch_size=500)
    record(actor, "tasks_create", "plan", plan.number, {"tasks": len(tasks), "attempt": c.attempt})


def drawn_commitment(plan: Plan) -> Commitment | None:
    return plan.commitments.filter(status=CommitmentStatus.DRAWN).first()


def record_text(plan: Plan) -> str:
    c = drawn_commitment(plan)
    if c is None:
        raise DrawRefused("该计划尚未抽取 / this plan has not been drawn")
    return c.record

