"""Personas and helpers shared by the tests.

Personas (one per role of docs/mission.md): ``coordinator``; ``alice`` the
administrator, ``henry`` the head and ``ian`` the inspector of SCJGJ; ``olga``
the administrator of another department (WJW); ``wanda`` a witness.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.core.management import call_command
from django.test import Client
from stdnum.cn import uscc as uscc_check

from spotcheck.accounts.models import Role, User
from spotcheck.directory.models import Conflict, Department, Entity, Inspector, Region
from spotcheck.plans import spec
from spotcheck.plans.framedata import spec_context
from spotcheck.plans.models import create_plan

PASSWORD = "Correct-Horse-9"


def make_uscc(serial: int, prefix: str = "91500113") -> str:
    """Return a valid unified social credit code with a serial number in it."""
    body = f"{prefix}{serial:09d}"
    return body + uscc_check.calc_check_digit(body)


def run_command(name: str, *args: str) -> tuple[int, dict]:
    """Run a spotcheck command with --json; return (exit status, the JSON object it printed)."""
    import json

    out, code = io.StringIO(), 0
    try:
        call_command(name, *args, "--json", stdout=out)
    except SystemExit as exit_:
        code = exit_.code
    return code, json.loads(out.getvalue())


def import_file(tmp_path, command: str, data: bytes, name: str = "file.csv") -> tuple[int, dict]:
    """Write ``data`` to a file and run an import command on it."""
    path = tmp_path / name
    path.write_bytes(data)
    return run_command(command, str(path))


def csv_bytes(header: list[str], rows: list[list[object]], encoding: str = "utf-8") -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode(encoding)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty cache: the database is rolled back between tests, and with it
    the versions (the audit head, the newest entity) that the cached figures are keyed on."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def regions(db):
    return [Region.objects.create(code="500113001", name="龙洲湾街道"),
            Region.objects.create(code="500113002", name="鱼洞街道")]


@pytest.fixture
def departments(db):
    return {
        "SCJGJ": Department.objects.create(code="SCJGJ", name="区市场监管局", short_name="巴南市场监管"),
        "WJW": Department.objects.create(code="WJW", name="区卫生健康委", short_name="巴南卫生健康"),
    }


def _user(username: str, role: str, department=None, inspector=None) -> User:
    user = User(username=username, role=role, department=department, inspector=inspector)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def inspector_record(departments):
    return Inspector.objects.create(cert_no="500113000001", name="伊安", department=departments["SCJGJ"],
                                    cert_expires_on=date(2030, 1, 1))


@pytest.fixture
def personas(departments, inspector_record):
    return {
        "coordinator": _user("coordinator", Role.COORDINATOR),
        "alice": _user("alice", Role.DEPT_ADMIN, departments["SCJGJ"]),
        "henry": _user("henry", Role.DEPT_HEAD, departments["SCJGJ"]),
        "ian": _user("ian", Role.INSPECTOR, departments["SCJGJ"], inspector_record),
        "olga": _user("olga", Role.DEPT_ADMIN, departments["WJW"]),
        "wanda": _user("wanda", Role.WITNESS),
    }


@pytest.fixture
def login(client):
    """Return a function that logs a persona in on a fresh client."""

    def as_user(user: User) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return as_user


@pytest.fixture
def entity(regions):
    return Entity.objects.create(uscc=make_uscc(1), name="重庆测试商贸有限公司", entity_type="enterprise",
                                 industry="F", region=regions[0], status="active")


ITEM_HEADER = ["code", "department", "name", "basis", "subject", "content", "methods", "category", "target"]


def item_row(code, department="SCJGJ", **changes):
    values = {"code": code, "department": department, "name": f"事项{code}", "basis": "《某法》第十条",
              "subject": "区某局", "content": "检查内容", "methods": "onsite;written", "category": "general",
              "target": "经营者"}
    values.update(changes)
    return [values[k] for k in ITEM_HEADER]


@pytest.fixture
def published(departments):
    """Publish SCJGJ-001, SCJGJ-002 and WJW-001 through the real import path."""
    from spotcheck.directory.imports import run_import

    data = csv_bytes(ITEM_HEADER, [item_row("SCJGJ-001"), item_row("SCJGJ-002"), item_row("WJW-001", "WJW")])
    outcome = run_import("items", io.BytesIO(data), "items.csv", "test")
    assert outcome.ok, outcome.summary()
    return outcome


# --- A small district to plan and draw in (the draw tests) ---------------------------------

ENTROPY = "6 2 3 4 1 5 5 2 6 1 3 4 2 6 5 1 4 3 2 1"  # twenty dice rolls
WITNESS = ("--witness", "张三:notary:巴南公证处")


def draw_run(plan, entropy=ENTROPY, *extra):
    return run_command("draw_run", str(plan.pk), "--entropy", entropy, *WITNESS, *extra)


@pytest.fixture
def district(regions, published, departments, inspector_record):
    for i in range(1, 201):
        Entity.objects.create(uscc=make_uscc(i), name=f"主体{i}", entity_type="enterprise", industry="F",
                              region=regions[i % 2], status="active" if i % 20 else "revoked",
                              foreign=i % 17 == 0, abnormal=i % 23 == 0)
    for n in range(2, 9):
        Inspector.objects.create(cert_no=f"S{n:03d}", name=f"市场{n}", department=departments["SCJGJ"],
                                 cert_expires_on=date(2030, 1, 1))
    for n in range(1, 4):
        Inspector.objects.create(cert_no=f"W{n:03d}", name=f"卫健{n}", department=departments["WJW"],
                                 cert_expires_on=date(2030, 1, 1))
    Conflict.objects.create(inspector=Inspector.objects.get(cert_no="S002"), uscc=make_uscc(5), status="confirmed")


def approved_plan(departments=("SCJGJ",), items=("SCJGJ-001",), **extra):
    clean, problems = spec.validate({"name": "测试计划", "year": 2026, "departments": list(departments),
                                     "items": list(items), **extra}, spec_context())
    assert not problems, problems.text()
    plan = create_plan(clean, None)
    call_command("plan_approve", str(plan.pk), stdout=io.StringIO())
    plan.refresh_from_db()
    return plan
