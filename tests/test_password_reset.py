"""One-time password reset links (issue #9 §3): who may issue one, single use, expiry, what voids a
link, the hashed token, the audit, the password validators and the throttle of the public page."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from spotcheck.accounts import throttle
from spotcheck.accounts.models import FailedLogin, PasswordResetLink
from spotcheck.audit.log import verify_chain
from spotcheck.audit.models import AuditEntry
from tests.conftest import PASSWORD
from tests.test_throttle import Clock

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-Long-Passphrase-42"
REFUSED = "此链接无效或已失效，请联系管理员重新生成。"


def _issue(client: Client, user) -> str:
    """Issue a link for ``user`` through the user management page; return its path."""
    response = client.post(reverse("users:reset_link", args=[user.pk]))
    assert response.status_code == 200, response.status_code
    match = re.search(r'class="reset-link">([^<]+)</code>', response.content.decode())
    assert match, response.content.decode()
    url = urlsplit(match.group(1))
    assert url.scheme == "http" and url.netloc == "testserver"  # absolute, to be handed over as is
    return url.path


def _token(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[1]


def _set(path: str, password: str = NEW_PASSWORD, confirm: str | None = None, address: str = "10.7.7.7"):
    return Client(REMOTE_ADDR=address).post(path, {"new_password1": password,
                                                   "new_password2": password if confirm is None else confirm})


def _refused(response) -> None:
    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert 'name="new_password1"' not in response.content.decode()


def _log_in(username: str, password: str) -> Client:
    client = Client(REMOTE_ADDR="10.8.8.8")
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302, f"{username} could not log in"
    return client


def _unchanged(user) -> None:
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and not user.check_password(NEW_PASSWORD)


# --- Issue and use ----------------------------------------------------------------------------------


def test_a_link_sets_a_password_once(personas, login):
    henry = personas["henry"]
    response = login(personas["coordinator"]).post(reverse("users:reset_link", args=[henry.pk]))
    assert "no-store" in response["Cache-Control"]  # the page with the link is not kept
    page = response.content.decode()
    assert "只显示这一次" in page and "有效期至" in page and 'class="copy"' in page
    path = _issue(login(personas["coordinator"]), henry)
    _unchanged(henry)  # issuing changes no password
    # The user opens it without logging in: a form for their account.
    page = Client().get(path)
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert 'name="new_password1"' in page.content.decode() and "henry" in page.content.decode()
    browser = Client(REMOTE_ADDR="10.7.7.7")
    response = browser.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("login")  # sent to log in
    assert "新密码已设置，请用新密码登录" in browser.get(reverse("login")).content.decode()
    henry.refresh_from_db()
    assert henry.check_password(NEW_PASSWORD) and not henry.check_password(PASSWORD)
    _log_in("henry", NEW_PASSWORD)
    # Used: the same link is refused, by GET and by POST, and changes nothing.
    _refused(Client().get(path))
    _refused(_set(path, "Yet-Another-Passphrase-77"))
    henry.refresh_from_db()
    assert henry.check_password(NEW_PASSWORD)
    assert PasswordResetLink.objects.get(user=henry, revoked_at=None).used_at is not None


def test_a_link_clears_the_temporary_password_flag_and_ends_every_session(personas, login):
    henry, coordinator = personas["henry"], login(personas["coordinator"])
    session = _log_in("henry", PASSWORD)
    assert session.get(reverse("home")).status_code == 200
    coordinator.post(reverse("users:reset_password", args=[henry.pk]))  # a temporary password first
    henry.refresh_from_db()
    assert henry.must_change_password
    path = _issue(coordinator, henry)
    assert _set(path).status_code == 302
    henry.refresh_from_db()
    assert not henry.must_change_password and henry.check_password(NEW_PASSWORD)
    # The session opened before the reset is over; a new login goes straight home.
    assert session.get(reverse("home")).status_code == 302
    assert _log_in("henry", NEW_PASSWORD).get(reverse("home")).status_code == 200


def test_a_link_expires(personas, login, settings):
    henry, coordinator = personas["henry"], login(personas["coordinator"])
    before = timezone.now()
    path = _issue(coordinator, henry)
    link = PasswordResetLink.objects.get(user=henry)
    assert link.expires_at - link.created_at == timedelta(hours=24)  # the default
    assert before <= link.created_at <= timezone.now()
    PasswordResetLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _refused(Client().get(path))
    _refused(_set(path))
    _unchanged(henry)
    # The setting gives the lifetime of new links.
    settings.PASSWORD_RESET_LINK_HOURS = 2
    _issue(coordinator, henry)
    newest = PasswordResetLink.objects.filter(user=henry).latest("pk")
    assert newest.expires_at - newest.created_at == timedelta(hours=2)


def test_a_newer_link_voids_the_older(personas, login):
    henry, coordinator = personas["henry"], login(personas["coordinator"])
    older = _issue(coordinator, henry)
    other = _issue(login(personas["alice"]), personas["ian"])  # another user's link voids nothing of henry's
    assert 'name="new_password1"' in Client().get(older).content.decode()
    newer = _issue(coordinator, henry)
    assert older != newer
    _refused(Client().get(older))
    _refused(_set(older))
    _unchanged(henry)
    assert _set(newer).status_code == 302
    henry.refresh_from_db()
    assert henry.check_password(NEW_PASSWORD)
    assert _set(other).status_code == 302  # ian's link was not voided by henry's


@pytest.mark.parametrize("how", ["own change", "temporary password"])
def test_a_password_change_voids_the_link(personas, login, how):
    henry, coordinator = personas["henry"], login(personas["coordinator"])
    path = _issue(coordinator, henry)
    if how == "own change":
        response = login(henry).post(reverse("password_change"), {
            "old_password": PASSWORD, "new_password1": "Own-Choice-Passphrase-31",
            "new_password2": "Own-Choice-Passphrase-31"})
        assert response.status_code == 302
    else:
        coordinator.post(reverse("users:reset_password", args=[henry.pk]))
    henry.refresh_from_db()
    password_hash = henry.password
    _refused(Client().get(path))
    _refused(_set(path))
    henry.refresh_from_db()
    assert henry.password == password_hash and not henry.check_password(NEW_PASSWORD)


def test_a_disabled_account_cannot_use_its_link_nor_get_one(personas, login):
    henry, coordinator = personas["henry"], login(personas["coordinator"])
    path = _issue(coordinator, henry)
    coordinator.post(reverse("users:disable", args=[henry.pk]))
    _refused(Client().get(path))
    _refused(_set(path))
    _unchanged(henry)
    # No new link for a disabled account.
    response = coordinator.post(reverse("users:reset_link", args=[henry.pk]), follow=True)
    assert "账号已停用，不能生成重置链接" in response.content.decode()
    assert PasswordResetLink.objects.filter(user=henry).count() == 1
    # Enabling the account again does not revive the link issued before it was disabled.
    coordinator.post(reverse("users:enable", args=[henry.pk]))
    _refused(_set(path))
    _unchanged(henry)
    # A link whose account is disabled by any other means (the admin, the shell) is refused too.
    path = _issue(coordinator, henry)
    type(henry).objects.filter(pk=henry.pk).update(is_active=False)
    _refused(_set(path))
    _unchanged(henry)


# --- Who may issue ----------------------------------------------------------------------------------


def test_an_administrator_issues_links_for_their_own_departments_non_heads_only(personas, login):
    alice, olga = login(personas["alice"]), login(personas["olga"])
    henry, ian = personas["henry"], personas["ian"]
    # Another department's users are not found; nor is the department's head (the coordinator's).
    for client, target in ((olga, ian), (olga, henry), (alice, henry), (alice, personas["olga"]),
                           (alice, personas["coordinator"]), (alice, personas["wanda"])):
        assert client.post(reverse("users:reset_link", args=[target.pk])).status_code == 404
    assert not PasswordResetLink.objects.exists()
    assert not AuditEntry.objects.filter(action="user_reset_link_issue").exists()
    # Their own department's inspector: yes; the coordinator: anyone, a head included.
    _issue(alice, ian)
    _issue(login(personas["coordinator"]), henry)
    _issue(login(personas["coordinator"]), personas["olga"])
    assert PasswordResetLink.objects.count() == 3


@pytest.mark.parametrize("who", ["henry", "ian", "wanda"])
def test_other_roles_cannot_issue_links(personas, login, who):
    target = personas["alice"]
    assert login(personas[who]).post(reverse("users:reset_link", args=[target.pk])).status_code == 403
    assert not PasswordResetLink.objects.exists()


def test_no_one_issues_a_link_for_themselves_and_anonymous_visitors_are_sent_to_login(personas, login):
    for who in ("coordinator", "alice"):
        me = personas[who]
        assert login(me).post(reverse("users:reset_link", args=[me.pk])).status_code == 403
    response = Client().post(reverse("users:reset_link", args=[personas["henry"].pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert login(personas["coordinator"]).get(reverse("users:reset_link", args=[personas["henry"].pk])).status_code == 405
    assert not PasswordResetLink.objects.exists()


def test_the_user_list_offers_a_link_for_active_users_but_oneself(personas, login):
    henry, coordinator = personas["henry"], login(personas["coordinator"])
    page = coordinator.get(reverse("users:list")).content.decode()
    assert reverse("users:reset_link", args=[henry.pk]) in page and "生成一次性重置链接" in page
    assert reverse("users:reset_link", args=[personas["coordinator"].pk]) not in page
    coordinator.post(reverse("users:disable", args=[henry.pk]))
    assert reverse("users:reset_link", args=[henry.pk]) not in coordinator.get(reverse("users:list")).content.decode()


# --- The token and the audit ------------------------------------------------------------------------


def test_the_token_is_stored_hashed_and_never_in_the_audit(personas, login):
    henry = personas["henry"]
    path = _issue(login(personas["coordinator"]), henry)
    token = _token(path)
    assert len(token) >= 43  # 32 random bytes
    link = PasswordResetLink.objects.get(user=henry)
    row = PasswordResetLink.objects.filter(pk=link.pk).values().get()
    assert not [name for name, value in row.items() if token in str(value)]
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not PasswordResetLink.objects.filter(token_hash=token).exists()
    _set(path)
    for entry in AuditEntry.objects.all():
        assert token not in entry.payload and link.token_hash not in entry.payload


def test_issuing_and_using_a_link_are_audited(personas, login):
    henry = personas["henry"]
    path = _issue(login(personas["alice"]), personas["ian"])
    path = _issue(login(personas["coordinator"]), henry)
    issued = AuditEntry.objects.filter(action="user_reset_link_issue").order_by("seq")
    assert [(e.actor, e.object_id) for e in issued] == [("user:alice", str(personas["ian"].pk)),
                                                      ("user:coordinator", str(henry.pk))]
    link = PasswordResetLink.objects.get(user=henry)
    expires = link.expires_at.isoformat(timespec="seconds")
    assert issued[1].payload == f'{{"expires_at":"{expires}","username":"henry"}}'
    assert not AuditEntry.objects.filter(action="user_reset_link_use").exists()
    _set(path)
    used = AuditEntry.objects.get(action="user_reset_link_use")
    assert (used.actor, used.object_id, used.payload) == ("user:henry", str(henry.pk), '{"username":"henry"}')
    # Refused attempts write nothing.
    count = AuditEntry.objects.count()
    _set(path)
    _set(reverse("password_reset", args=["x" * 43]))
    assert AuditEntry.objects.count() == count
    for entry in AuditEntry.objects.all():
        for secret in (NEW_PASSWORD, PASSWORD, henry.password):
            assert secret not in entry.payload
    assert verify_chain().ok


# --- Bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize("password, confirm, reason", [
    # Too short. (Django 5.2's Chinese catalogue lacks this message's new wording: it shows in English.)
    ("Ab1-xyz", None, 'class="field-error"'),
    ("password123", None, "这个密码太常见了"),                         # a common password
    ("henry123", None, "太相似"),                                     # like the username
    ("87412369550312", None, "密码只包含数字"),                        # all digits
    (NEW_PASSWORD, "Different-Passphrase-42", "输入的两个密码不一致"),  # the two fields differ
])
def test_the_password_validators_apply_and_nothing_changes(personas, login, password, confirm, reason):
    henry = personas["henry"]
    path = _issue(login(personas["coordinator"]), henry)
    response = _set(path, password, confirm)
    assert response.status_code == 200
    page = response.content.decode()
    assert reason in page and 'name="new_password1"' in page, page
    _unchanged(henry)
    link = PasswordResetLink.objects.get(user=henry)
    assert link.used_at is None and link.revoked_at is None
    assert not AuditEntry.objects.filter(action="user_reset_link_use").exists()
    # The link still works for a good password.
    assert _set(path).status_code == 302


def test_wrong_used_and_expired_links_look_alike_and_name_no_one(personas, login):
    henry, coordinator = personas["henry"], login(personas["coordinator"])
    used = _issue(coordinator, henry)
    _set(used)
    expired = _issue(coordinator, personas["ian"])
    PasswordResetLink.objects.filter(user=personas["ian"]).update(expires_at=timezone.now() - timedelta(hours=1))
    pages = []
    for path in (reverse("password_reset", args=["not-a-token"]), used, expired):
        response = Client().get(path)
        _refused(response)
        page = response.content.decode()
        assert "henry" not in page and "ian" not in page
        pages.append(re.search(r'<div class="error" role="alert">.*?</div>', page, re.S).group(0))
    assert len(set(pages)) == 1


def test_password_fields_are_hidden_from_error_reports(personas, login):
    path = _issue(login(personas["coordinator"]), personas["henry"])
    response = _set(path, "123")
    assert set(response.wsgi_request.sensitive_post_parameters) == {"new_password1", "new_password2"}


# --- The throttle -----------------------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    frozen = Clock()
    monkeypatch.setattr(throttle, "now", frozen)
    return frozen


def test_refused_links_are_throttled_per_address_like_logins(personas, login, clock, settings):
    henry = personas["henry"]
    path = _issue(login(personas["coordinator"]), henry)
    attacker = Client(REMOTE_ADDR="10.6.6.6")
    for n in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        _refused(attacker.get(reverse("password_reset", args=[f"guess-{n}-" + "x" * 40])))
    # Counted against the address's pseudo-account, never against a real user's name.
    assert set(FailedLogin.objects.values_list("username", "address")) == {("#reset-link 10.6.6.6", "10.6.6.6")}
    # The next attempt from that address waits, even with the right link, and changes nothing.
    for response in (attacker.get(path), _set(path, address="10.6.6.6")):
        assert response.status_code == 429
        page = response.content.decode()
        assert "尝试次数过多，请在1秒后再试。" in page and 'name="new_password1"' not in page
    _unchanged(henry)
    assert FailedLogin.objects.count() == settings.LOGIN_FAILURES_PER_ACCOUNT  # a waiting attempt is not counted
    # Another address is not slowed down: the user sets the password from their own computer.
    assert _set(path, address="10.5.5.5").status_code == 302
    henry.refresh_from_db()
    assert henry.check_password(NEW_PASSWORD)
    # Once the wait is over the address may try again (and is refused, the link being used).
    clock.advance(1)
    _refused(attacker.get(path))
    clock.advance(1)
    assert attacker.get(path).status_code == 429  # the sixth failure: now 2 s
    clock.advance(2)
    _refused(attacker.get(path))
