"""`spotcheck demo`: the demo district of 巴南区."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from stdnum.cn import uscc

from spotcheck.accounts.models import Role, User
from spotcheck.audit.log import verify_chain
from spotcheck.directory.demo import DEMO_USERS, demo_password
from spotcheck.directory.models import Department, Entity, Inspector, Region

pytestmark = pytest.mark.django_db


def test_demo_builds_the_district_and_is_idempotent():
    out = io.StringIO()
    call_command("demo", "--entities", "600", "--json", stdout=out)
    assert json.loads(out.getvalue())["ok"]
    assert Region.objects.filter(name="鱼洞街道").exists() and Region.objects.count() == 22
    assert Department.objects.filter(name="区市场监管局").exists() and Department.objects.count() >= 10
    assert Entity.objects.count() == 600 and Inspector.objects.count() >= 100
    assert all(uscc.is_valid(code) for code in Entity.objects.values_list("uscc", flat=True))
    assert Entity.objects.filter(foreign=True).exists() and Entity.objects.filter(abnormal=True).exists()
    assert Entity.objects.exclude(status="active").exists()
    assert set(User.objects.values_list("role", flat=True)) == {r.value for r in Role}
    out = io.StringIO()
    call_command("demo", "--entities", "600", "--json", stdout=out)
    again = json.loads(out.getvalue())["imports"]
    assert again["entities"]["unchanged"] == 600 and again["inspectors"]["unchanged"] == Inspector.objects.count()
    assert User.objects.count() == len(DEMO_USERS)
    assert verify_chain().ok


def test_the_demo_publishes_the_service_column_once():
    from spotcheck.notices.models import Notice

    call_command("demo", "--entities", "50", stdout=io.StringIO())
    call_command("demo", "--entities", "50", stdout=io.StringIO())
    assert Notice.objects.filter(status="published").count() == 3 and Notice.objects.count() == 3
    page = Client().get(reverse("public_notices:index")).content.decode()
    assert "食品经营许可办事指南" in page
    items = Client().get(reverse("portal:item_list", args=["SCJGJ"])).content.decode()
    assert "关于做好企业年度报告公示工作的通知" in items


@pytest.mark.parametrize("username", [u[0] for u in DEMO_USERS])
def test_each_demo_login_works(username):
    call_command("demo", "--entities", "50", stdout=io.StringIO())
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": demo_password()})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_the_demo_has_results_at_every_stage():
    from spotcheck.results.models import Result
    from spotcheck.results.selectors import overdue_tasks
    from spotcheck.results.service import open_problems, tasks_of

    call_command("demo", "--entities", "3000", stdout=io.StringIO())
    published = Result.objects.filter(published_at__isnull=False)
    assert published.count() >= 8 and published.filter(category="disclosure_violation").exists()
    assert list(overdue_tasks())  # one task submitted 30 days after its inspection
    followed = [t for t in {r.task for r in published} if t.follow_ups.exists()]
    assert followed and not open_problems(followed[0])
    inspector = User.objects.get(username="scjg_inspector")
    assert any(t.status == "pending" for t in tasks_of(inspector))
    client = Client()
    assert client.post(reverse("login"), {"username": "scjg_inspector", "password": demo_password()}).status_code == 302
    assert "我的任务" in client.get(reverse("results:mine")).content.decode()
    assert verify_chain().ok
