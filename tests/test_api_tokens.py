"""API tokens (issue #10): made by an administrator on a page or a command, shown once, stored hashed, revocable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from spotcheck.accounts.models import Role, User
from spotcheck.api.models import ApiToken, token_digest
from spotcheck.audit.log import verify_chain
from spotcheck.audit.models import AuditEntry
from tests.api_client import Api
from tests.conftest import run_command

pytestmark = pytest.mark.django_db

LIST, CREATE = reverse("tokens:list"), reverse("tokens:create")


def create(client, user: User, name: str = "登记系统同步", days: int | str = 90):
    return client.post(CREATE, {"user": user.pk, "name": name, "days": days})


def secret_of(response) -> str:
    return response.context["secret"]


def test_the_coordinator_creates_a_token_shown_once_and_stored_hashed(personas, login):
    client = login(personas["coordinator"])
    system = User.objects.create(username="credit_system", role=Role.COORDINATOR)
    answer = create(client, system, "信用平台推送", 30)
    assert answer.status_code == 200
    assert answer["Cache-Control"].startswith("max-age=0") or "no-cache" in answer["Cache-Control"]
    secret = secret_of(answer)
    token = ApiToken.objects.get()
    assert secret in answer.content.decode() and 'class="copy"' in answer.content.decode()
    assert token.digest == token_digest(secret) and secret not in {str(v) for v in
                                                                  ApiToken.objects.values().get().values()}
    assert token.user == system and token.created_by == personas["coordinator"] and token.name == "信用平台推送"
    assert timedelta(days=29, hours=23) < token.expires_at - timezone.now() <= timedelta(days=30)
    # The list shows it, but never the secret again.
    listing = client.get(LIST).content.decode()
    assert token.key in listing and "信用平台推送" in listing and secret not in listing and "有效" in listing
    # The token works for the API, as its user.
    assert Api(secret).get("/me").json()["username"] == "credit_system"
    entry = AuditEntry.objects.get(action="api_token_create")
    assert entry.actor == "user:coordinator" and token.key in entry.payload and secret not in entry.payload
    assert verify_chain().ok


def test_the_default_expiry_is_90_days(personas, login):
    form = login(personas["alice"]).get(CREATE).context["form"]
    assert form["days"].value() == 90
    create(login(personas["alice"]), personas["ian"], days="")
    assert not ApiToken.objects.exists()  # a days field left empty is an error, not a silent default


@pytest.mark.parametrize("days", [0, -1, 366, "abc"])
def test_an_expiry_out_of_bounds_is_refused_naming_the_field(personas, login, days):
    answer = create(login(personas["coordinator"]), personas["ian"], days=days)
    assert answer.status_code == 200 and "days" in answer.context["form"].errors
    assert not ApiToken.objects.exists()


def test_a_name_is_required(personas, login):
    answer = create(login(personas["coordinator"]), personas["ian"], name="  ")
    assert "name" in answer.context["form"].errors and not ApiToken.objects.exists()


@pytest.mark.parametrize("target", ["henry", "coordinator", "olga", "wanda"])
def test_a_department_administrator_gives_tokens_only_to_the_users_they_manage(personas, login, target):
    answer = create(login(personas["alice"]), personas[target])
    assert answer.status_code == 200 and "user" in answer.context["form"].errors
    assert not ApiToken.objects.exists()


def test_a_department_administrator_gives_a_token_to_their_inspector(personas, login):
    answer = create(login(personas["alice"]), personas["ian"])
    assert answer.status_code == 200 and ApiToken.objects.get().user == personas["ian"]


def test_the_list_shows_each_administrators_own_users_tokens_and_their_state(personas, login):
    mine, _ = ApiToken.issue(user=personas["ian"], name="巡检终端", days=10)
    expired, _ = ApiToken.issue(user=personas["ian"], name="旧终端", days=10)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    revoked, _ = ApiToken.issue(user=personas["ian"], name="停用终端", days=10)
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    ApiToken.objects.filter(pk=mine.pk).update(last_used_at=timezone.now(), last_used_from="10.1.2.3")
    head, _ = ApiToken.issue(user=personas["henry"], name="负责人的令牌", days=10)
    other, _ = ApiToken.issue(user=personas["olga"], name="卫健委系统", days=10)
    page = login(personas["alice"]).get(LIST)
    shown = {t.pk: t.status for t in page.context["tokens"]}
    assert shown == {mine.pk: "有效", expired.pk: "已过期", revoked.pk: "已撤销"}
    assert "10.1.2.3" in page.content.decode()
    assert set(t.pk for t in login(personas["coordinator"]).get(LIST).context["tokens"]) == {
        mine.pk, expired.pk, revoked.pk, head.pk, other.pk}


def test_revoking_asks_first_then_stops_the_token_and_is_audited(personas, login):
    token, secret = ApiToken.issue(user=personas["ian"], name="巡检终端", days=10)
    client = login(personas["alice"])
    url = reverse("tokens:revoke", args=[token.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and "确认撤销" in confirm.content.decode()
    assert Api(secret).get("/me").status_code == 200  # asking changed nothing
    answer = client.post(url)
    assert answer.status_code == 302 and answer["Location"] == LIST
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Api(secret).get("/me").status_code == 401
    entry = AuditEntry.objects.get(action="api_token_revoke")
    assert entry.actor == "user:alice" and token.key in entry.payload and secret not in entry.payload
    client.post(url)  # again: nothing more
    assert AuditEntry.objects.filter(action="api_token_revoke").count() == 1


def test_revoking_needs_a_post_with_the_csrf_token(personas):
    from django.test import Client

    token, _ = ApiToken.issue(user=personas["ian"], name="巡检终端", days=10)
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas["alice"])
    assert client.post(reverse("tokens:revoke", args=[token.pk])).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_another_departments_administrator_cannot_revoke(personas, login):
    token, secret = ApiToken.issue(user=personas["ian"], name="巡检终端", days=10)
    assert login(personas["olga"]).post(reverse("tokens:revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


# --- The command -------------------------------------------------------------------------------


def test_the_command_creates_lists_and_revokes(personas):
    code, out = run_command("api_token", "create", "--user", "ian", "--name", "巡检终端", "--days", "7")
    assert code == 0 and out["user"] == "ian" and out["token"].startswith(out["key"])
    token = ApiToken.objects.get(key=out["key"])
    assert token.digest == token_digest(out["token"]) and token.created_by is None
    assert Api(out["token"]).get("/me").status_code == 200
    code, listed = run_command("api_token", "list")
    assert code == 0 and [(t["key"], t["status"]) for t in listed["tokens"]] == [(out["key"], "active")]
    assert "token" not in listed["tokens"][0]
    code, revoked = run_command("api_token", "revoke", out["key"])
    assert code == 0 and revoked == {"key": out["key"], "revoked": True, "already": False}
    assert Api(out["token"]).get("/me").status_code == 401
    assert run_command("api_token", "list")[1]["tokens"][0]["status"] == "revoked"
    entries = AuditEntry.objects.filter(action__startswith="api_token").order_by("seq")
    assert [e.action for e in entries] == ["api_token_create", "api_token_revoke"]
    assert all(e.actor.startswith("cli:") and out["token"] not in e.payload for e in entries)


@pytest.mark.parametrize("args", [
    ("create", "--user", "nobody", "--name", "x"),
    ("create", "--user", "ian", "--name", "x", "--days", "0"),
    ("create", "--user", "ian", "--name", "x", "--days", "400"),
    ("create", "--user", "ian"),
    ("revoke", "sc1_nothere"),
    ("revoke",),
])
def test_the_command_refuses_bad_input_and_changes_nothing(personas, args):
    code, out = run_command("api_token", *args)
    assert code == 1 and out["ok"] is False and out["error"]
    assert not ApiToken.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="api_token").exists()


def test_the_command_refuses_a_disabled_user(personas):
    personas["ian"].is_active = False
    personas["ian"].save()
    assert run_command("api_token", "create", "--user", "ian", "--name", "x")[0] == 1
