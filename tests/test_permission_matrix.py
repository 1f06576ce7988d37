"""The permission matrix (issue #12 §7): every URL of the URLconf × every role, GET and POST.

The table ``EXPECTED`` below says, for each URL name, what each visitor gets: the
coordinator, a department's administrator, head and inspector (SCJGJ), a witness,
an administrator of another department (WJW) and an anonymous visitor. A URL name
the table does not state fails ``test_every_url_states_its_expectations``: a new
view must say who may use it.

The world (a small district, plans in each state, tasks, results, an import job, an
item list draft…) is built once for the module inside a transaction that is rolled
back at its end; every request runs in a savepoint rolled back after it, so that one
visitor's POST does not change what the next one meets. POSTs carry empty or minimal
data: enough to show the gate (403/404 for the wrong visitor, anything else for the
right one), not to do the work.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from spotcheck.accounts import reset
from spotcheck.accounts.access import FRAMEWORK_VIEWS, rule_of, view_path
from spotcheck.accounts.models import Role, User
from spotcheck.audit.log import verify_chain
from spotcheck.catalog import lists
from spotcheck.directory.models import Conflict, Department, Entity, ImportJob, Inspector, Region
from spotcheck.plans import spec
from spotcheck.plans.framedata import spec_context
from spotcheck.plans.models import Plan, PlanStatus, create_plan
from spotcheck.results import service
from spotcheck.results.models import PlanArchive, Result
from tests.conftest import ITEM_HEADER, PASSWORD, csv_bytes, item_row, make_uscc, run_command
from tests.test_results import GOOD, PNG, drawn, member, today_in

pytestmark = pytest.mark.django_db

VISITORS = ("coordinator", "dept_admin", "dept_head", "inspector", "witness", "other_dept", "anonymous")


# --- The world ---------------------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, User]
    departments: dict[str, Department]
    objects: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["objects"][name]
        except KeyError:
            raise AttributeError(name) from None


def _user(username: str, role: str, department=None, inspector=None) -> User:
    user = User(username=username, role=role, department=department, inspector=inspector)
    user.set_password(PASSWORD)
    user.save()
    return user


def _plan(author: User | None, **extra) -> Plan:
    clean, problems = spec.validate({"name": "矩阵计划", "year": 2026, "departments": ["SCJGJ"],
                                     "items": ["SCJGJ-001"], "starts_on": "2026-01-01", **extra}, spec_context())
    assert not problems, problems.text()
    return create_plan(clean, author)


def build_world() -> World:
    from spotcheck.directory.imports import run_import

    for code, name in (("500113001", "龙洲湾街道"), ("500113002", "鱼洞街道")):
        Region.objects.create(code=code, name=name)
    regions = list(Region.objects.order_by("code"))
    departments = {
        "SCJGJ": Department.objects.create(code="SCJGJ", name="区市场监管局", short_name="巴南市场监管"),
        "WJW": Department.objects.create(code="WJW", name="区卫生健康委", short_name="巴南卫生健康"),
    }
    scjgj, wjw = departments["SCJGJ"], departments["WJW"]
    Inspector.objects.create(cert_no="500113000001", name="伊安", department=scjgj, cert_expires_on=date(2030, 1, 1))
    data = csv_bytes(ITEM_HEADER, [item_row("SCJGJ-001"), item_row("SCJGJ-002"), item_row("WJW-001", "WJW")])
    assert run_import("items", io.BytesIO(data), "items.csv", "test").ok
    for i in range(1, 201):
        Entity.objects.create(uscc=make_uscc(i), name=f"主体{i}", entity_type="enterprise", industry="F",
                              region=regions[i % 2], status="active")
    for n in range(2, 9):
        Inspector.objects.create(cert_no=f"S{n:03d}", name=f"市场{n}", department=scjgj,
                                 cert_expires_on=date(2030, 1, 1))
    for n in range(1, 4):
        Inspector.objects.create(cert_no=f"W{n:03d}", name=f"卫健{n}", department=wjw,
                                 cert_expires_on=date(2030, 1, 1))

    coordinator = _user("coordinator", Role.COORDINATOR)
    alice = _user("alice", Role.DEPT_ADMIN, scjgj)
    henry = _user("henry", Role.DEPT_HEAD, scjgj)
    olga = _user("olga", Role.DEPT_ADMIN, wjw)
    wanda = _user("wanda", Role.WITNESS)
    world = World(users={"coordinator": coordinator, "dept_admin": alice, "dept_head": henry,
                         "witness": wanda, "other_dept": olga}, departments=departments)
    o = world.objects

    # Plans in each state, written by the department's administrator.
    o["draft"] = _plan(alice)
    o["joint"] = _plan(alice, departments=["SCJGJ", "WJW"], items=["SCJGJ-001", "WJW-001"])
    o["submitted"] = _plan(alice)
    o["submitted"].submit(alice)
    o["approved"] = _plan(None)
    call_command("plan_approve", str(o["approved"].pk), stdout=io.StringIO())
    o["committed"] = _plan(None)
    call_command("plan_approve", str(o["committed"].pk), stdout=io.StringIO())
    assert run_command("draw_commit", str(o["committed"].pk))[0] == 0
    o["drawn"] = plan = drawn(starts_on="2026-01-01")
    tasks = list(plan.tasks.order_by("order"))
    assert len(tasks) >= 4, len(tasks)

    # The inspector of the matrix leads the open task; their certificate is the one looked up.
    o["task"] = open_task = tasks[0]
    inspector = member(open_task, 0)
    world.users["inspector"] = inspector
    o["cert_no"] = inspector.inspector.cert_no
    service.save_entry(open_task, "SCJGJ-001", {**GOOD, "inspected_on": today_in(plan)}, inspector)
    o["attachment"] = service.add_attachment(open_task, "SCJGJ-001",
                                             SimpleUploadedFile("photo.png", PNG, "image/png"), inspector)
    o["sample"] = service.add_sample(open_task, "SCJGJ-001", {"product": "大米", "quantity": "2袋", "price_paid": "10",
                                                              "testing_body": "检验所"}, inspector)

    # The other tasks are chosen outside that inspector's teams (the draw sends teams at random).
    others = [t for t in tasks[1:] if not t.members.filter(inspector=inspector.inspector).exists()]
    assert len(others) >= 3, len(others)

    # A task submitted for review.
    o["entered"] = entered = others[0]
    _enter_all(entered, member(entered, 0))
    service.submit(entered, member(entered, 0))

    # A published task with a problem followed up (a document kept), and one published without.
    o["followed"] = followed = others[1]
    _enter_all(followed, member(followed, 0), category="pending_action", findings="未按规定公示年报",
               follow_up="rectification")
    service.submit(followed, member(followed, 0))
    service.approve(followed, henry)
    o["follow_up_record"] = service.record_follow_up(
        followed, alice, action="责令限期改正", done_on=timezone.localdate(),
        document=SimpleUploadedFile("notice.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"))
    o["published"] = published = others[2]
    _enter_all(published, member(published, 0))
    service.submit(published, member(published, 0))
    service.approve(published, henry)
    o["result"] = Result.objects.filter(task=published).first()

    # The plan's archive, as a finished job with its file.
    archive = PlanArchive(plan=plan, status="done", created_by=alice, created_by_name="alice",
                          finished_at=timezone.now())
    archive.file.save("archive.zip", ContentFile(b"PK\x05\x06" + b"\x00" * 18), save=False)
    archive.save()

    # An import job of the department's administrator, an item list draft, a declared conflict.
    o["job"] = ImportJob.objects.create(kind="entities", file_name="entities.csv", stored_path="",
                                        department=scjgj, created_by=alice, status="done")
    lists.draft_for(scjgj, alice)
    lists.draft_for(wjw, olga)
    o["conflict"] = Conflict.objects.create(inspector=Inspector.objects.get(cert_no="S008"), uscc=make_uscc(7),
                                            status="pending", source="declared")
    # A user of SCJGJ for the user management pages to act on.
    o["member"] = _user("ivy", Role.DEPT_ADMIN, scjgj)  # a head would be the coordinator's alone
    # A one-time reset link of that user (public: its holder cannot log in).
    o["reset_token"], _link = reset.issue(o["member"], coordinator)
    o["uscc"] = make_uscc(1)
    o["published_uscc"] = published.entity.uscc
    # A published notice of SCJGJ's service column, with a file.
    from spotcheck.catalog.models import ItemCode
    from spotcheck.notices import service as notices

    o["notice"] = notices.create(scjgj, {"kind": "guide", "title": "年报指引", "body": "按时报送。", "valid_until": None},
                                 ItemCode.objects.filter(code="SCJGJ-001"), alice)
    notices.publish(o["notice"], alice)
    o["notice_file"] = notices.add_attachment(
        o["notice"], SimpleUploadedFile("guide.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"), alice)
    return world


def _enter_all(task, user, **changes) -> None:
    for code in task.items:
        service.save_entry(task, code, {**GOOD, "inspected_on": today_in(task.plan), **changes}, user)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once in a transaction rolled back when the module ends."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    media.enable()
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            media.disable()


def clients(world: World) -> dict[str, Client]:
    found = {}
    for name in VISITORS:
        client = Client()
        if name != "anonymous":
            client.force_login(world.users[name])
        found[name] = client
    return found


def answer(client: Client, method: str, url: str, data: Any = None, *, keep: bool = False) -> int:
    """The status of one request, its changes rolled back unless ``keep`` (a logout's always)."""
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        response = client.get(url) if method == "GET" else client.post(url, data or {})
        transaction.set_rollback(not keep)
    client.cookies = cookies
    return response.status_code


# --- The URLconf -------------------------------------------------------------------------------


def url_patterns() -> dict[str, tuple[str, Any]]:
    """Every URL pattern of the URLconf by its name (``namespace:name``; the route when unnamed)."""
    found: dict[str, tuple[str, Any]] = {}

    def walk(patterns, namespace: str, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, ns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                found[f"{namespace}{p.name}" if p.name else route] = (route, p.callback)

    walk(get_resolver().url_patterns, "", "")
    return found


@dataclass
class Case:
    """What each visitor gets (in the order of VISITORS) by GET, and by POST when the view takes a form."""

    args: Callable[[World], list[Any]]
    get: str
    post: str | None = None
    data: Callable[[World], dict[str, Any]] | None = None
    label: str = ""
    query: str = ""

    def url(self, name: str, world: World) -> str:
        path = "/" + name if name.endswith(".ico") else reverse(name, args=self.args(world))
        return path + self.query


def none(world: World) -> list[Any]:
    return []


def draft_code(world: World) -> list[Any]:
    return ["SCJGJ"]


def task(key: str) -> Callable[[World], list[Any]]:
    return lambda w: [w.objects[key].pk]


def api_token(world: World) -> int:
    """An API token of SCJGJ's inspector (made on first use, kept for the module)."""
    from spotcheck.api.models import ApiToken

    if "api_token" not in world.objects:
        world.objects["api_token"] = ApiToken.issue(user=world.users["inspector"], name="矩阵", days=1)[0]
    return world.objects["api_token"].pk


# Order of each string: coordinator, dept_admin, dept_head, inspector, witness, other_dept, anonymous.
EXPECTED: dict[str, Case | list[Case]] = {}
EXPECTED.update({
    # The portal and the public record (一公开): everyone.
    "portal:index": Case(none, "200 200 200 200 200 200 200"),
    "portal:transparency": Case(none, "200 200 200 200 200 200 200"),
    "portal:audit_head": Case(none, "200 200 200 200 200 200 200"),
    "portal:items": Case(none, "200 200 200 200 200 200 200"),
    "portal:item_list": Case(draft_code, "200 200 200 200 200 200 200"),
    "portal:item_version": Case(lambda w: ["SCJGJ", 1], "200 200 200 200 200 200 200"),
    "portal:item_diff": Case(draft_code, "200 200 200 200 200 200 200", query="?from=1&to=1"),
    "portal:plans": Case(none, "200 200 200 200 200 200 200"),
    "portal:plan": Case(task("drawn"), "200 200 200 200 200 200 200"),
    "portal:record": Case(task("drawn"), "200 200 200 200 200 200 200"),
    "portal:selected": Case(lambda w: [w.drawn.pk, "csv"], "200 200 200 200 200 200 200"),
    "portal:certificate": Case(task("drawn"), "200 200 200 200 200 200 200"),
    "portal:verify": Case(none, "200 200 200 200 200 200 200"),
    "public_results:results": Case(none, "200 200 200 200 200 200 200"),
    "public_results:export": Case(lambda w: ["csv"], "200 200 200 200 200 200 200"),
    "public_results:entity": Case(lambda w: [w.published_uscc], "200 200 200 200 200 200 200"),
    "public_notices:index": Case(none, "200 200 200 200 200 200 200"),
    "public_notices:feed": Case(none, "200 200 200 200 200 200 200"),
    "public_notices:department": Case(draft_code, "200 200 200 200 200 200 200"),
    "public_notices:department_feed": Case(draft_code, "200 200 200 200 200 200 200"),
    "public_notices:detail": Case(task("notice"), "200 200 200 200 200 200 200"),
    "public_notices:attachment": Case(lambda w: [w.notice.pk, w.notice_file.pk], "200 200 200 200 200 200 200"),
    "favicon.ico": Case(none, "301 301 301 301 301 301 301"),
    "set_language": Case(none, "302 302 302 302 302 302 302", "302 302 302 302 302 302 302", lambda w: {"language": "zh-hans", "next": "/"}),
    # Logging in and out, the home page.
    "login": Case(none, "302 302 302 302 302 302 200", "302 302 302 302 302 302 200"),
    "logout": Case(none, "405 405 405 405 405 405 405", "302 302 302 302 302 302 302"),
    "home": Case(none, "200 200 200 200 200 200 302"),
    "password_change": Case(none, "200 200 200 200 200 200 302", "200 200 200 200 200 200 302"),
    # A one-time reset link: public (a wrong one is refused alike for everyone), throttled per address.
    "password_reset": [
        Case(lambda w: ["x" * 43], "200 200 200 200 200 200 200", "200 200 200 200 200 200 200", label="wrong"),
        Case(lambda w: [w.reset_token], "200 200 200 200 200 200 200", "200 200 200 200 200 200 200", label="valid"),
    ],
    # User management: the coordinator, and each department's administrator for their own users.
    "users:list": Case(none, "200 200 403 403 403 200 302"),
    "users:create": Case(none, "200 200 403 403 403 200 302", "200 200 403 403 403 200 302"),
    "users:edit": Case(task("member"), "200 200 403 403 403 404 302", "200 200 403 403 403 404 302"),
    "users:disable": Case(task("member"), "405 405 405 405 405 405 302", "302 302 403 403 403 404 302"),
    "users:enable": Case(task("member"), "405 405 405 405 405 405 302", "302 302 403 403 403 404 302"),
    "users:reset_password": Case(task("member"), "405 405 405 405 405 405 302", "200 200 403 403 403 404 302"),
    "users:reset_link": Case(task("member"), "405 405 405 405 405 405 302", "200 200 403 403 403 404 302"),
    # API tokens: the coordinator for anyone, a department's administrator for the users they manage.
    "tokens:list": Case(none, "200 200 403 403 403 200 302"),
    "tokens:create": Case(none, "200 200 403 403 403 200 302", "200 200 403 403 403 200 302"),
    "tokens:revoke": Case(lambda w: [api_token(w)], "200 200 403 403 403 404 302", "302 302 403 403 403 404 302"),
    # The directories.
    "directory:entity_list": Case(none, "200 200 200 200 403 200 302"),
    "directory:entity_export": Case(lambda w: ["csv"], "200 200 200 200 403 200 302"),
    "directory:entity_detail": Case(lambda w: [w.uscc], "200 200 200 200 403 200 302"),
    "directory:inspector_list": Case(none, "200 200 200 200 403 200 302"),
    "directory:inspector_export": Case(lambda w: ["csv"], "200 200 200 200 403 200 302"),
    "directory:inspector_detail": Case(lambda w: [w.cert_no], "200 200 200 200 403 404 302"),
    "directory:conflict_declare": Case(none, "405 405 405 405 405 405 302", "403 403 403 302 403 403 302", lambda w: {"uscc": w.uscc, "reason": "亲属"}),
    "directory:conflict_confirm": Case(task("conflict"), "405 405 405 405 405 405 302", "302 302 403 403 403 404 302"),
    "directory:import_upload": [
        Case(lambda w: ["regions"], "200 403 403 403 403 403 302", "200 403 403 403 403 403 302", label="regions"),
        Case(lambda w: ["departments"], "200 403 403 403 403 403 302", "200 403 403 403 403 403 302", label="departments"),
        Case(lambda w: ["entities"], "200 403 403 403 403 403 302", "200 403 403 403 403 403 302", label="entities"),
        Case(lambda w: ["inspectors"], "200 200 403 403 403 200 302", "200 200 403 403 403 200 302", label="inspectors"),
        Case(lambda w: ["items"], "200 200 403 403 403 200 302", "200 200 403 403 403 200 302", label="items"),
        Case(lambda w: ["history"], "200 403 403 403 403 403 302", "200 403 403 403 403 403 302", label="history"),
        Case(lambda w: ["licences"], "200 200 403 403 403 200 302", "200 200 403 403 403 200 302", label="licences"),
        Case(lambda w: ["penalties"], "200 200 403 403 403 200 302", "200 200 403 403 403 200 302", label="penalties"),
        Case(lambda w: ["nonsense"], "404 404 404 404 403 404 302", "404 404 404 404 403 404 302", label="nonsense"),
    ],
    "directory:import_job": Case(task("job"), "200 200 404 404 403 404 302"),
    "directory:import_job_status": Case(task("job"), "200 200 404 404 403 404 302"),
    "audit:log": Case(none, "200 403 403 403 403 403 302"),
    # Oversight (督促检查): the coordinator, and each department's administrator and head for their own.
    "oversight:dashboard": Case(none, "200 200 200 403 403 200 302"),
    "oversight:export": Case(lambda w: ["coverage"], "200 200 200 403 403 200 302"),
    "oversight:report": Case(none, "200 200 200 403 403 200 302"),
    # The item lists.
    "catalog:manage": Case(none, "200 200 200 200 403 200 302"),
    "catalog:draft": Case(draft_code, "200 200 403 403 403 404 302", "302 302 403 403 403 404 302"),
    "catalog:item_new": Case(draft_code, "200 200 403 403 403 404 302", "200 200 403 403 403 404 302"),
    "catalog:item_edit": Case(lambda w: ["SCJGJ", "SCJGJ-001"], "200 200 403 403 403 404 302", "200 200 403 403 403 404 302"),
    "catalog:item_remove": Case(lambda w: ["SCJGJ", "SCJGJ-002"], "405 405 405 405 405 405 302", "302 302 403 403 403 404 302"),
    "catalog:publish": Case(draft_code, "405 405 405 405 405 405 302", "302 302 403 403 403 404 302"),
    "catalog:discard": Case(draft_code, "405 405 405 405 405 405 302", "302 302 403 403 403 404 302", lambda w: {"confirm": "yes"}),
    # The service column (服务专栏): each department's administrators write, its heads and inspectors read.
    "notices:manage": Case(none, "200 200 200 200 403 200 302"),
    "notices:create": Case(draft_code, "200 200 403 403 403 404 302", "400 400 403 403 403 404 302"),
    "notices:detail": Case(task("notice"), "200 200 200 200 403 404 302"),
    "notices:edit": Case(task("notice"), "200 200 403 403 403 404 302", "400 400 403 403 403 404 302"),
    "notices:publish": Case(task("notice"), "405 405 405 405 405 405 302", "302 302 403 403 403 404 302"),
    "notices:withdraw": Case(task("notice"), "405 405 405 405 405 405 302", "302 302 403 403 403 404 302"),
    "notices:attach": Case(task("notice"), "405 405 405 405 405 405 302", "302 302 403 403 403 404 302"),
    "notices:attachment": Case(lambda w: [w.notice.pk, w.notice_file.pk], "200 200 200 200 403 404 302"),
    "notices:detach": Case(lambda w: [w.notice.pk, w.notice_file.pk], "405 405 405 405 405 405 302", "302 302 403 403 403 404 302"),
    # Plans and their workflow.
    "plans:list": Case(none, "200 200 200 200 403 200 302"),
    "plans:create": Case(none, "403 200 403 403 403 200 302", "403 200 403 403 403 200 302"),
    "plans:detail": Case(task("drawn"), "200 200 200 200 403 404 302"),
    "plans:edit": Case(task("draft"), "403 200 403 403 403 404 302", "403 200 403 403 403 404 302"),
    "plans:export": Case(task("draft"), "200 200 200 200 403 404 302"),
    "plans:action": [
        Case(lambda w: [w.draft.pk, "submit"], "405 405 405 405 405 405 302", "403 302 403 403 403 404 302", label="submit"),
        Case(lambda w: [w.joint.pk, "confirm"], "405 405 405 405 405 405 302", "404 409 409 403 403 302 302", label="confirm"),
        Case(lambda w: [w.draft.pk, "delete"], "405 405 405 405 405 405 302", "403 302 403 403 403 404 302", lambda w: {"confirm": "yes"}, label="delete"),
        Case(lambda w: [w.submitted.pk, "approve"], "405 405 405 405 405 405 302", "403 403 302 403 403 404 302", label="approve"),
        Case(lambda w: [w.submitted.pk, "return"], "405 405 405 405 405 405 302", "403 403 302 403 403 404 302", lambda w: {"reason": "范围过大"}, label="return"),
        Case(lambda w: [w.submitted.pk, "withdraw"], "405 405 405 405 405 405 302", "403 302 403 403 403 404 302", lambda w: {"confirm": "yes"}, label="withdraw"),
    ],
    # The draw.
    "draws:commit": Case(task("approved"), "405 405 405 405 405 405 302", "403 302 403 403 403 404 302"),
    "draws:ceremony": Case(task("committed"), "200 200 200 200 200 404 302", "403 200 403 403 403 404 302"),
    # Field work, review, follow-up and corrections.
    "results:mine": Case(none, "403 403 403 200 403 403 302"),
    "results:review_queue": Case(none, "403 403 200 403 403 403 302"),
    "results:overdue": Case(none, "200 200 200 403 403 200 302"),
    "results:task": Case(task("task"), "200 200 200 200 403 404 302"),
    "results:entry": Case(lambda w: [w.task.pk, "SCJGJ-001"], "405 405 405 405 405 405 302", "403 403 403 302 403 404 302"),
    "results:autosave": Case(lambda w: [w.task.pk, "SCJGJ-001"], "405 405 405 405 405 405 302", "403 403 403 200 403 404 302"),
    "results:sample": Case(lambda w: [w.task.pk, "SCJGJ-001"], "405 405 405 405 405 405 302", "403 403 403 400 403 404 302"),
    "results:attach": Case(lambda w: [w.task.pk, "SCJGJ-001"], "405 405 405 405 405 405 302", "403 403 403 400 403 404 302"),
    "results:attachment": Case(lambda w: [w.task.pk, w.attachment.pk], "200 200 200 200 403 404 302"),
    "results:attachment_remove": Case(lambda w: [w.task.pk, w.attachment.pk], "405 405 405 405 405 405 302", "403 403 403 302 403 404 302", lambda w: {"confirm": "yes"}),
    "results:sample_remove": Case(lambda w: [w.task.pk, w.sample.pk], "405 405 405 405 405 405 302", "403 403 403 302 403 404 302", lambda w: {"confirm": "yes"}),
    "results:submit": Case(task("task"), "405 405 405 405 405 405 302", "403 403 403 302 403 404 302"),
    "results:review": Case(task("entered"), "405 405 405 405 405 405 302", "403 403 302 404 403 404 302", lambda w: {"decision": "approve"}),
    "results:follow_up": Case(task("followed"), "405 405 405 405 405 405 302", "400 400 400 404 403 404 302"),
    "results:follow_up_document": Case(lambda w: [w.followed.pk, w.follow_up_record.pk], "200 200 200 404 403 404 302"),
    "results:correct": Case(lambda w: [w.published.pk, w.result.pk], "403 403 200 404 403 404 302", "403 403 400 404 403 404 302"),
    # The results sheet and the archive.
    "sheets:plan_template": Case(lambda w: [w.drawn.pk, "csv"], "200 200 200 200 403 404 302"),
    "sheets:plan_upload": Case(task("drawn"), "200 200 200 200 403 404 302", "403 200 200 200 403 404 302"),
    "sheets:task_template": Case(lambda w: [w.task.pk, "csv"], "200 200 200 200 403 404 302"),
    "sheets:task_upload": Case(task("task"), "200 200 200 200 403 404 302", "403 200 200 200 403 404 302"),
    "archive:task_pdf": Case(task("published"), "200 200 200 200 403 404 302"),
    "archive:plan": Case(task("drawn"), "200 200 200 403 403 404 302", "403 302 302 403 403 404 302"),
    "archive:plan_status": Case(task("drawn"), "200 200 200 403 403 404 302"),
    "archive:plan_zip": Case(task("drawn"), "200 200 200 403 403 404 302"),
})


def cases() -> list[tuple[str, Case]]:
    found = []
    for name, expected in EXPECTED.items():
        for case in expected if isinstance(expected, list) else [expected]:
            found.append((name, case))
    return found


def case_id(item: tuple[str, Case]) -> str:
    name, case = item
    return f"{name}[{case.label}]" if case.label else name


def statuses(text: str) -> dict[str, int]:
    return dict(zip(VISITORS, (int(code) for code in text.split()), strict=True))


# --- The URLconf against the table ------------------------------------------------------------


def test_every_url_states_its_expectations():
    """A URL name missing from EXPECTED fails here: a new view must say who may use it.

    The REST API (``api:``) has its own matrix over every operation × every role, by token:
    tests/test_api_matrix.py.
    """
    missing = sorted({name for name in url_patterns() if not name.startswith("api:")} - set(EXPECTED))
    assert not missing, f"URL names without expectations in EXPECTED: {missing}"
    stale = sorted(set(EXPECTED) - set(url_patterns()))
    assert not stale, f"EXPECTED names URLs the URLconf no longer has: {stale}"


def test_every_view_states_an_access_rule():
    """Every resolvable view carries a rule (public, authenticated, roles) or is a known framework view."""
    bare = sorted(name for name, (_route, view) in url_patterns().items()
                  if rule_of(view) is None and view_path(view) not in FRAMEWORK_VIEWS)
    assert not bare, f"views without an access rule: {bare}"


def test_the_table_is_well_formed():
    for name, case in cases():
        for text in (case.get, case.post):
            if text is not None:
                assert set(statuses(text).values()) <= {200, 301, 302, 400, 403, 404, 405, 409}, name


# --- The matrix --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def visitors(world) -> dict[str, Client]:
    return clients(world)


@pytest.mark.parametrize("item", cases(), ids=case_id)
def test_matrix(world, visitors, item):
    """Each visitor gets the table's answer, by GET and by the POST of the view's form."""
    name, case = item
    url = case.url(name, world)
    got = {v: answer(visitors[v], "GET", url) for v in VISITORS}
    assert got == statuses(case.get), f"GET {url}"
    if case.post is not None:
        data = case.data(world) if case.data else {}
        got = {v: answer(visitors[v], "POST", url, data) for v in VISITORS}
        assert got == statuses(case.post), f"POST {url}"


def test_anonymous_visitors_are_sent_to_login_from_every_staff_page(world):
    client = Client()
    for name, case in cases():
        if statuses(case.get)["anonymous"] == 302 and name not in ("set_language",):
            response = client.get(case.url(name, world))
            assert response["Location"].startswith(reverse("login")), name


def test_another_departments_user_never_writes(world, visitors):
    """No POST by another department's administrator succeeds on SCJGJ's objects."""
    # Its own plans, imports, users and tokens (the empty form answers 200) and its own session and password.
    own = {"plans:create", "directory:import_upload", "users:create", "tokens:create", "set_language", "login",
           "logout", "password_change", "password_reset"}  # the reset page: an empty form changes no one
    for name, case in cases():
        if case.post is None or name in own or case.label == "confirm":  # WJW confirms its part of a joint plan
            continue
        assert statuses(case.post)["other_dept"] in (403, 404), name


# --- Separation of duties ----------------------------------------------------------------------


def test_the_author_of_a_plan_cannot_approve_it_even_as_head(world, visitors):
    henry = world.users["dept_head"]
    plan = _plan(henry)  # a head who wrote the plan (on the command line or before a role change)
    plan.submit(world.users["dept_admin"])
    url = reverse("plans:action", args=[plan.pk, "approve"])
    assert answer(visitors["dept_head"], "POST", url, keep=True) == 403
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED
    # The administrator who wrote the submitted plan cannot approve it either; another head can.
    submitted = world.submitted
    assert answer(visitors["dept_admin"], "POST", reverse("plans:action", args=[submitted.pk, "approve"])) == 403
    assert answer(visitors["dept_head"], "POST", reverse("plans:action", args=[submitted.pk, "approve"])) == 302


def test_a_witness_changes_nothing(world, visitors):
    """Every POST by a witness is refused and writes nothing; the operator types the witnesses' entropy."""
    from spotcheck.audit.models import AuditEntry

    before = AuditEntry.objects.count()
    # The witness's own session and password; the public reset page (an empty form changes nothing).
    allowed = {"set_language", "logout", "login", "password_change", "password_reset"}
    for name, case in cases():
        if case.post is None or name in allowed:
            continue
        data = case.data(world) if case.data else {}
        if name == "draws:ceremony":
            data = {"entropy": "6 2 3 4 1 5 5 2 6 1 3 4 2 6 5 1 4 3 2 1", "w0_name": "张三", "w0_capacity": "notary"}
        status = answer(visitors["witness"], "POST", case.url(name, world), data, keep=True)
        assert status == 403, name
    assert AuditEntry.objects.count() == before
    world.committed.refresh_from_db()
    assert world.committed.status == PlanStatus.COMMITTED
    # The ceremony page itself is open to the witness, without the operator's form.
    page = visitors["witness"].get(reverse("draws:ceremony", args=[world.committed.pk]))
    assert page.status_code == 200 and b'name="entropy"' not in page.content


def test_an_inspector_changes_only_their_own_teams_results(world, visitors):
    """A team member enters results; an inspector of the department outside the team is refused."""
    task = world.task
    team = task.members.values_list("inspector_id", flat=True)
    other = Inspector.objects.filter(department__code="SCJGJ", user__isnull=True).exclude(pk__in=team).first()
    outsider = _user("outsider", Role.INSPECTOR, other.department, other)
    client = Client()
    client.force_login(outsider)
    saved = {r.pk: (r.checked, r.updated_at) for r in Result.objects.filter(task=task)}
    data = {**GOOD, "checked": "组外人员改写", "inspected_on": today_in(task.plan)}
    for name in ("results:entry", "results:autosave", "results:sample", "results:attach"):
        assert answer(client, "POST", reverse(name, args=[task.pk, "SCJGJ-001"]), data, keep=True) == 403, name
    for name, kept in (("results:sample_remove", world.sample), ("results:attachment_remove", world.attachment)):
        assert answer(client, "POST", reverse(name, args=[task.pk, kept.pk]), {"confirm": "yes"}, keep=True) == 403
    assert answer(client, "POST", reverse("results:submit", args=[task.pk]), keep=True) == 404  # unseen
    assert answer(client, "POST", reverse("sheets:task_upload", args=[task.pk]), keep=True) == 403
    assert {r.pk: (r.checked, r.updated_at) for r in Result.objects.filter(task=task)} == saved
    assert world.sample.result.samples.exists() and world.attachment.result.attachments.exists()
    # Another team's leader, whose own task is elsewhere in the plan, is refused the same way.
    leader = member(world.entered, 0)
    if not task.members.filter(inspector=leader.inspector).exists():
        client.force_login(leader)
        assert answer(client, "POST", reverse("results:entry", args=[task.pk, "SCJGJ-001"]), data) == 403
    # The team's leader changes it.
    assert answer(visitors["inspector"], "POST", reverse("results:entry", args=[task.pk, "SCJGJ-001"]), data,
                  keep=True) == 302
    assert Result.objects.get(task=task, item_code="SCJGJ-001").checked == "组外人员改写"


# --- The audit chain ----------------------------------------------------------------------------


def test_the_audit_chain_stays_valid_after_every_post(world, visitors):
    """Every POST of the table by every visitor, kept, then the chain verifies; nothing answers 500."""
    before = verify_chain()
    assert before.ok, before.reason
    for name, case in cases():
        if case.post is None or name == "logout":
            continue
        data = case.data(world) if case.data else {}
        for visitor in VISITORS:
            status = answer(visitors[visitor], "POST", case.url(name, world), data, keep=True)
            assert status < 500, (name, visitor)
    after = verify_chain()
    assert after.ok, after.reason
    assert after.count > before.count  # the allowed POSTs wrote their entries
