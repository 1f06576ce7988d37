"""Logging in: hashed passwords, expiring sessions (the throttle's delays: test_throttle.py)."""

from __future__ import annotations

from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD


def _attempt(username, password, address="10.9.9.9"):
    return Client(REMOTE_ADDR=address).post(reverse("login"), {"username": username, "password": password})


def test_passwords_are_hashed_with_argon2(personas):
    assert personas["alice"].password.startswith("argon2")


def test_a_right_password_logs_in(personas):
    response = _attempt("alice", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_a_wrong_password_is_refused_in_one_language(personas):
    response = _attempt("alice", "nope")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    assert "wrong username or password" not in response.content.decode()
    assert " / " not in response.content.decode()


def test_sessions_expire():
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_logout_needs_post_and_ends_the_session(personas):
    client = Client()
    client.force_login(personas["alice"])
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_createsuperuser_makes_a_coordinator(db):
    import os

    from django.core.management import call_command

    from spotcheck.accounts.models import User

    os.environ["DJANGO_SUPERUSER_PASSWORD"] = PASSWORD
    try:
        call_command("createsuperuser", "--noinput", "--username", "root", "--email", "root@example.gov.cn")
    finally:
        del os.environ["DJANGO_SUPERUSER_PASSWORD"]
    root = User.objects.get(username="root")
    assert root.role == "coordinator" and root.department is None
    client = Client()
    client.force_login(root)
    assert client.get(reverse("directory:entity_list")).status_code == 200
