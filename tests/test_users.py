"""User management (issue #9 §3): who manages whom, disabled accounts, temporary passwords, the audit."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from spotcheck.accounts.models import Role, User
from spotcheck.audit.log import verify_chain
from spotcheck.audit.models import AuditEntry
from spotcheck.directory.models import Inspector
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-Long-Passphrase-42"


def _login(username: str, password: str) -> tuple[Client, object]:
    client = Client(REMOTE_ADDR="10.8.8.8")
    response = client.post(reverse("login"), {"username": username, "password": password})
    return client, response


def _form(**values) -> dict:
    data = {"username": "newbie", "display_name": "新人", "role": "dept_head", "department": "", "inspector": ""}
    data.update(values)
    return {k: ("" if v is None else v) for k, v in data.items()}


def _payloads(action: str) -> list[str]:
    return list(AuditEntry.objects.filter(action=action).values_list("payload", flat=True))


def _temporary_password(response) -> str:
    text = response.content.decode()
    start = text.index('class="temporary-password">') + len('class="temporary-password">')
    return text[start:text.index("</code>", start)]


@pytest.fixture
def wjw_inspector(departments):
    return Inspector.objects.create(cert_no="W0001", name="卫健一", department=departments["WJW"],
                                    cert_expires_on=date(2030, 1, 1))


@pytest.fixture
def free_inspector(departments):
    return Inspector.objects.create(cert_no="S0002", name="市场二", department=departments["SCJGJ"],
                                    cert_expires_on=date(2030, 1, 1))


# --- Who may --------------------------------------------------------------------------------------


def test_the_coordinator_sees_everyone_an_administrator_only_their_department(personas, login):
    page = login(personas["coordinator"]).get(reverse("users:list")).content.decode()
    for name in ("coordinator", "alice", "henry", "ian", "olga", "wanda"):
        assert f">{name}</a>" in page
    page = login(personas["alice"]).get(reverse("users:list")).content.decode()
    assert ">ian</a>" in page and ">alice</a>" in page
    # Not the department's head: the head approves what the administrator writes (separation of duties).
    for name in ("coordinator", "olga", "wanda", "henry"):
        assert f">{name}</a>" not in page


@pytest.mark.parametrize("who", ["henry", "ian", "wanda"])
def test_other_roles_are_refused_everything(personas, login, who):
    client = login(personas[who])
    target = personas["henry"] if who != "henry" else personas["ian"]
    before = AuditEntry.objects.count()
    assert client.get(reverse("users:list")).status_code == 403
    assert client.get(reverse("users:create")).status_code == 403
    assert client.post(reverse("users:create"), _form(department=personas["alice"].department_id)).status_code == 403
    assert client.get(reverse("users:edit", args=[target.pk])).status_code == 403
    assert client.post(reverse("users:edit", args=[target.pk]), _form(username="x")).status_code == 403
    for name in ("disable", "reset_password"):
        assert client.post(reverse(f"users:{name}", args=[target.pk])).status_code == 403
    target.refresh_from_db()
    assert target.is_active and target.username != "x" and not target.must_change_password
    assert not User.objects.filter(username="newbie").exists()
    assert AuditEntry.objects.count() == before


def test_anonymous_visitors_are_sent_to_login(personas):
    response = Client().get(reverse("users:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert Client().get(reverse("password_change")).status_code == 302


def test_the_navigation_links_user_management_for_administrators_only(personas, login):
    link = f'href="{reverse("users:list")}"'
    assert link in login(personas["coordinator"]).get(reverse("home")).content.decode()
    assert link in login(personas["alice"]).get(reverse("home")).content.decode()
    assert link not in login(personas["henry"]).get(reverse("home")).content.decode()


# --- Creating -------------------------------------------------------------------------------------


def test_the_coordinator_creates_a_user_of_any_department(personas, login, departments):
    client = login(personas["coordinator"])
    response = client.post(reverse("users:create"), _form(department=departments["WJW"].pk))
    assert response.status_code == 200
    user = User.objects.get(username="newbie")
    assert (user.role, user.department, user.display_name) == ("dept_head", departments["WJW"], "新人")
    password = _temporary_password(response)
    assert len(password) >= 16 and user.check_password(password) and user.must_change_password
    [payload] = _payloads("user_create")
    assert '"department":"WJW"' in payload and '"role":"dept_head"' in payload
    assert password not in payload and "password" not in payload and user.password not in payload
    # A coordinator and a witness belong to no department.
    response = client.post(reverse("users:create"), _form(username="w2", role="witness",
                                                            department=departments["WJW"].pk))
    assert "区协调办和监督见证人不属于任何部门" in response.content.decode()
    assert client.post(reverse("users:create"), _form(username="c2", role="coordinator")).status_code == 200
    assert User.objects.get(username="c2").role == Role.COORDINATOR


def test_a_department_role_needs_a_department(personas, login):
    response = login(personas["coordinator"]).post(reverse("users:create"), _form())
    assert "该角色须选择所属部门" in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()


def test_an_administrator_creates_users_of_their_own_department_only(personas, login, departments):
    client = login(personas["alice"])
    for data in (_form(department=departments["WJW"].pk),                                  # another department
                 _form(role="coordinator"), _form(role="witness"),                          # not a department role
                 _form(role="coordinator", department=departments["SCJGJ"].pk),
                 _form(role="dept_head", department=departments["SCJGJ"].pk)):              # a head: the coordinator's
        response = client.post(reverse("users:create"), data)
        assert response.status_code == 200 and "未能保存" in response.content.decode(), data
        assert not User.objects.filter(username="newbie").exists()
    assert not _payloads("user_create")
    response = client.post(reverse("users:create"), _form(role="dept_admin", department=departments["SCJGJ"].pk))
    assert User.objects.get(username="newbie").department == departments["SCJGJ"]
    assert "temporary-password" in response.content.decode()


def test_an_inspector_login_links_an_inspector_record_of_the_same_department(
        personas, login, departments, wjw_inspector, free_inspector):
    client = login(personas["coordinator"])
    scjgj = departments["SCJGJ"].pk
    response = client.post(reverse("users:create"), _form(role="inspector", department=scjgj))
    assert "执法检查人员账号须关联执法检查人员档案" in response.content.decode()
    response = client.post(reverse("users:create"), _form(role="inspector", department=scjgj,
                                                          inspector=wjw_inspector.pk))
    assert "关联的执法检查人员档案须属于同一部门" in response.content.decode()
    response = client.post(reverse("users:create"), _form(role="dept_head", department=scjgj,
                                                          inspector=free_inspector.pk))
    assert "只有执法检查人员账号关联执法检查人员档案" in response.content.decode()
    # A record already linked to another login (ian's) is refused too.
    response = client.post(reverse("users:create"), _form(role="inspector", department=scjgj,
                                                          inspector=personas["ian"].inspector_id))
    assert "未能保存" in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()
    # A department's administrator cannot even choose another department's record.
    response = login(personas["alice"]).post(reverse("users:create"), _form(role="inspector", department=scjgj,
                                                                              inspector=wjw_inspector.pk))
    assert "未能保存" in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()
    client.post(reverse("users:create"), _form(role="inspector", department=scjgj, inspector=free_inspector.pk))
    assert User.objects.get(username="newbie").inspector == free_inspector


# --- Editing --------------------------------------------------------------------------------------


def test_an_edit_records_the_changed_fields(personas, login, free_inspector):
    henry = personas["henry"]
    client = login(personas["coordinator"])
    response = client.post(reverse("users:edit", args=[henry.pk]), _form(
        username="henry", display_name="亨利", role="inspector", department=henry.department_id,
        inspector=free_inspector.pk))
    assert response.status_code == 302
    henry.refresh_from_db()
    assert (henry.role, henry.display_name, henry.inspector) == ("inspector", "亨利", free_inspector)
    [payload] = _payloads("user_update")
    assert '"role":["dept_head","inspector"]' in payload and '"inspector":[null,"S0002"]' in payload
    assert '"display_name":["","亨利"]' in payload and "department" not in payload
    # Saving without a change writes no entry.
    client.post(reverse("users:edit", args=[henry.pk]), _form(
        username="henry", display_name="亨利", role="inspector", department=henry.department_id,
        inspector=free_inspector.pk))
    assert len(_payloads("user_update")) == 1


def test_an_administrator_does_not_see_other_departments_users(personas, login):
    client = login(personas["olga"])
    henry = personas["henry"]
    assert client.get(reverse("users:edit", args=[henry.pk])).status_code == 404
    assert client.post(reverse("users:edit", args=[henry.pk]),
                       _form(username="hacked", department=henry.department_id)).status_code == 404
    for name in ("disable", "enable", "reset_password"):
        assert client.post(reverse(f"users:{name}", args=[henry.pk])).status_code == 404
    # Nor the coordinator or a witness, who belong to no department.
    for other in ("coordinator", "wanda"):
        assert login(personas["alice"]).get(reverse("users:edit", args=[personas[other].pk])).status_code == 404
    henry.refresh_from_db()
    assert henry.username == "henry" and henry.is_active and henry.check_password(PASSWORD)


def test_an_administrator_cannot_raise_anyone_to_coordinator(personas, login):
    ian = personas["ian"]
    response = login(personas["alice"]).post(reverse("users:edit", args=[ian.pk]), _form(
        username="ian", role="coordinator", department=""))
    assert response.status_code == 200 and "未能保存" in response.content.decode()
    ian.refresh_from_db()
    assert ian.role == Role.INSPECTOR and ian.department_id is not None
    # Nor move them to another department.
    olga = personas["olga"]
    response = login(personas["alice"]).post(reverse("users:edit", args=[ian.pk]), _form(
        username="ian", role="inspector", department=olga.department_id, inspector=ian.inspector_id))
    ian.refresh_from_db()
    assert response.status_code == 200 and ian.department_id == personas["alice"].department_id


def test_an_administrator_cannot_make_or_manage_a_head(personas, login):
    """Separation of duties: the head approves what the administrator writes, so an administrator who
    could create a head's login, or reset its password, could approve their own plan."""
    henry, client = personas["henry"], login(personas["alice"])
    assert client.get(reverse("users:edit", args=[henry.pk])).status_code == 404
    for name in ("disable", "reset_password"):
        assert client.post(reverse(f"users:{name}", args=[henry.pk])).status_code == 404
    ian = personas["ian"]
    response = client.post(reverse("users:edit", args=[ian.pk]), _form(
        username="ian", role="dept_head", department=ian.department_id))
    assert response.status_code == 200 and "未能保存" in response.content.decode()
    henry.refresh_from_db()
    ian.refresh_from_db()
    assert henry.is_active and henry.check_password(PASSWORD) and ian.role == Role.INSPECTOR
    assert not _payloads("user_update") and not _payloads("user_password_reset")


@pytest.mark.parametrize("who, role", [("coordinator", "witness"), ("alice", "dept_head")])
def test_no_one_edits_their_own_role(personas, login, departments, who, role):
    me = personas[who]
    client = login(me)
    response = client.post(reverse("users:edit", args=[me.pk]), _form(
        username=me.username, display_name="我自己", role=role, department=departments["WJW"].pk))
    assert response.status_code == 302
    me.refresh_from_db()
    assert me.display_name == "我自己"
    assert me.role == (Role.COORDINATOR if who == "coordinator" else Role.DEPT_ADMIN)
    assert me.department_id == (None if who == "coordinator" else departments["SCJGJ"].pk)
    assert "role" not in _payloads("user_update")[0]


# --- Disabling ------------------------------------------------------------------------------------


def test_a_disabled_user_cannot_log_in_and_is_kept(personas, login):
    henry = personas["henry"]
    session, _ = _login("henry", PASSWORD)
    assert session.get(reverse("home")).status_code == 200
    client = login(personas["coordinator"])
    assert client.get(reverse("users:disable", args=[henry.pk])).status_code == 405
    assert client.post(reverse("users:disable", args=[henry.pk])).status_code == 302
    henry.refresh_from_db()
    assert not henry.is_active  # kept, not deleted
    assert _payloads("user_disable") == ['{"username":"henry"}']
    _, response = _login("henry", PASSWORD)
    assert response.status_code == 200 and "用户名或密码不正确" in response.content.decode()
    assert session.get(reverse("home")).status_code == 302  # the open session ends too
    # Disabling again writes nothing; enabling lets them back in.
    client.post(reverse("users:disable", args=[henry.pk]))
    assert len(_payloads("user_disable")) == 1
    assert client.post(reverse("users:enable", args=[henry.pk])).status_code == 302
    assert _payloads("user_enable") == ['{"username":"henry"}']
    _, response = _login("henry", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_no_one_disables_or_resets_themselves(personas, login):
    for who in ("coordinator", "alice"):
        me = personas[who]
        client = login(me)
        assert client.post(reverse("users:disable", args=[me.pk])).status_code == 403
        assert client.post(reverse("users:reset_password", args=[me.pk])).status_code == 403
        me.refresh_from_db()
        assert me.is_active and me.check_password(PASSWORD)
    assert not AuditEntry.objects.filter(action__startswith="user_").exists()


# --- Passwords ------------------------------------------------------------------------------------


def test_a_temporary_password_must_be_changed_at_the_next_login(personas, login):
    henry = personas["henry"]
    assert login(personas["coordinator"]).get(reverse("users:reset_password", args=[henry.pk])).status_code == 405
    response = login(personas["coordinator"]).post(reverse("users:reset_password", args=[henry.pk]))
    temporary = _temporary_password(response)
    assert "no-store" in response["Cache-Control"]  # the page with the password is not kept
    henry.refresh_from_db()
    assert henry.must_change_password and henry.check_password(temporary) and not henry.check_password(PASSWORD)
    # The next login lands on the change page, and every staff page sends them back to it.
    client, response = _login("henry", temporary)
    assert response.status_code == 302
    assert client.get(reverse("home"))["Location"] == reverse("password_change")
    assert client.get(reverse("plans:list"))["Location"] == reverse("password_change")
    assert client.get(reverse("portal:index")).status_code == 200  # public pages stay open
    page = client.get(reverse("password_change"))
    assert page.status_code == 200 and "临时密码" in page.content.decode()
    # A weak new password or a wrong old one is refused, and changes nothing.
    for data in ({"old_password": temporary, "new_password1": "123", "new_password2": "123"},
                 {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}):
        assert client.post(reverse("password_change"), data).status_code == 200
        henry.refresh_from_db()
        assert henry.must_change_password and henry.check_password(temporary)
    response = client.post(reverse("password_change"), {
        "old_password": temporary, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200  # same session, now free
    henry.refresh_from_db()
    assert not henry.must_change_password
    assert _login("henry", NEW_PASSWORD)[1]["Location"] == reverse("home")
    assert _login("henry", temporary)[1].status_code == 200  # the temporary password is spent
    # The audit: a reset by the coordinator, a change by henry, and no password anywhere in the log.
    reset = AuditEntry.objects.get(action="user_password_reset")
    change = AuditEntry.objects.get(action="user_password_change")
    assert (reset.actor, change.actor) == ("user:coordinator", "user:henry")
    for entry in AuditEntry.objects.all():
        for secret in (temporary, NEW_PASSWORD, PASSWORD, henry.password):
            assert secret not in entry.payload
    assert verify_chain().ok


def test_every_user_may_change_their_own_password(personas, login):
    client = login(personas["wanda"])
    assert client.get(reverse("password_change")).status_code == 200
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    personas["wanda"].refresh_from_db()
    assert personas["wanda"].check_password(NEW_PASSWORD)
    assert _payloads("user_password_change") == ['{"username":"wanda"}']


def test_the_coordinator_resets_any_users_password(personas, login):
    olga = personas["olga"]
    response = login(personas["coordinator"]).post(reverse("users:reset_password", args=[olga.pk]))
    olga.refresh_from_db()
    assert olga.check_password(_temporary_password(response)) and olga.must_change_password
    # The temporary passwords differ each time.
    again = login(personas["coordinator"]).post(reverse("users:reset_password", args=[olga.pk]))
    assert _temporary_password(again) != _temporary_password(response)


def test_password_fields_are_hidden_from_error_reports(personas, login):
    response = login(personas["wanda"]).post(reverse("password_change"), {"old_password": "x"})
    assert set(response.wsgi_request.sensitive_post_parameters) == {"old_password", "new_password1", "new_password2"}
