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


@pytest.mark.parametrize("username", [u[0] for u in DEMO_USERS])
def test_each_demo_login_works(username):
    call_command("demo", "--entities", "50", stdout=io.StringIO())
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": demo_password()})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
