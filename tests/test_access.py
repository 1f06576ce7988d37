"""Deny by default (docs/style.md §4), roles and department scoping."""

from __future__ import annotations

import pytest
from django.urls import reverse

from spotcheck.accounts.access import FRAMEWORK_VIEWS, rule_of, view_path
from spotcheck.accounts.checks import check_access_rules, iter_views
from spotcheck.directory.models import Conflict, Inspector


def test_every_url_states_an_access_rule():
    missing = [route for route, view in iter_views()
               if rule_of(view) is None and view_path(view) not in FRAMEWORK_VIEWS]
    assert missing == []
    assert check_access_rules() == []


def test_the_system_check_refuses_a_view_without_a_rule(settings):
    from django.http import HttpResponse
    from django.urls import clear_url_caches, path

    def naked(request):
        return HttpResponse("x")

    module = type("M", (), {"urlpatterns": [path("naked/", naked)]})
    settings.ROOT_URLCONF = module
    clear_url_caches()
    try:
        errors = check_access_rules()
    finally:
        clear_url_caches()
    assert [e.id for e in errors] == ["spotcheck.E001"]


def test_a_view_without_a_rule_is_refused_at_runtime(rf):
    from django.core.exceptions import PermissionDenied
    from django.http import HttpResponse

    from spotcheck.accounts.access import AccessRuleMiddleware

    def naked(request):
        return HttpResponse("x")

    with pytest.raises(PermissionDenied):
        AccessRuleMiddleware(lambda r: HttpResponse()).process_view(rf.get("/"), naked, (), {})


PUBLIC_URLS = ["portal:index", "portal:transparency", "portal:audit_head", "login"]
STAFF_URLS = ["home", "directory:entity_list", "directory:inspector_list"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", PUBLIC_URLS)
def test_public_pages_need_no_login(client, name):
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("name", STAFF_URLS + ["audit:log"])
def test_it_sends_anonymous_visitors_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# (persona, url name, kwargs, expected status)
MATRIX = [
    ("coordinator", "audit:log", {}, 200),
    ("alice", "audit:log", {}, 403),
    ("wanda", "audit:log", {}, 403),
    ("wanda", "directory:entity_list", {}, 403),
    ("wanda", "home", {}, 200),
    ("ian", "directory:entity_list", {}, 200),
    ("henry", "directory:inspector_list", {}, 200),
    ("coordinator", "directory:import_upload", {"kind": "entities"}, 200),
    ("alice", "directory:import_upload", {"kind": "entities"}, 403),
    ("alice", "directory:import_upload", {"kind": "inspectors"}, 200),
    ("henry", "directory:import_upload", {"kind": "inspectors"}, 403),
    ("ian", "directory:import_upload", {"kind": "inspectors"}, 403),
    ("coordinator", "directory:import_upload", {"kind": "nonsense"}, 404),
]


@pytest.mark.parametrize(("who", "name", "kwargs", "status"), MATRIX)
def test_permission_matrix(personas, login, who, name, kwargs, status):
    assert login(personas[who]).get(reverse(name, kwargs=kwargs)).status_code == status


def test_another_departments_inspector_answers_404(personas, login, departments):
    other = Inspector.objects.create(cert_no="WJW-1", name="某人", department=departments["WJW"])
    url = reverse("directory:inspector_detail", args=[other.cert_no])
    assert login(personas["alice"]).get(url).status_code == 404
    assert login(personas["olga"]).get(url).status_code == 200
    assert login(personas["coordinator"]).get(url).status_code == 200


def test_the_inspector_list_shows_only_the_users_department(personas, login, departments):
    Inspector.objects.create(cert_no="WJW-1", name="卫健人员", department=departments["WJW"])
    page = login(personas["alice"]).get(reverse("directory:inspector_list")).content.decode()
    assert "伊安" in page and "卫健人员" not in page
    page = login(personas["coordinator"]).get(reverse("directory:inspector_list")).content.decode()
    assert "伊安" in page and "卫健人员" in page


def test_a_head_may_read_but_not_confirm_a_conflict(personas, login, inspector_record):
    conflict = Conflict.objects.create(inspector=inspector_record, uscc="91500113000000001X",
                                       status="pending", source="declared")
    url = reverse("directory:conflict_confirm", args=[conflict.pk])
    assert login(personas["henry"]).post(url).status_code == 403
    assert login(personas["olga"]).post(url).status_code == 404
    conflict.refresh_from_db()
    assert conflict.status == "pending"


def test_post_without_csrf_token_is_refused(personas):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(personas["ian"])
    response = client.post(reverse("directory:conflict_declare"), {"uscc": "x"})
    assert response.status_code == 403


def test_responses_carry_security_headers(client, db):
    response = client.get(reverse("portal:index"))
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_interface_is_chinese_whatever_the_browser_asks(client, db):
    page = client.get(reverse("portal:index"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "随机抽查监管平台" in page and 'lang="zh-hans"' in page


def test_the_language_switch_chooses_english(client, db):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("portal:index")).content.decode()
    assert "Random Spot-Check Platform" in page and 'lang="en"' in page
    # The request's language ends with it: what runs next in this thread (a test, a task) is Chinese again.
    from django.utils import translation

    assert translation.get_language() == "zh-hans"


def test_the_stylesheet_and_script_are_found_by_staticfiles():
    from django.contrib.staticfiles import finders

    assert finders.find("spotcheck/site.css") and finders.find("spotcheck/progress.js")


def test_no_two_urls_shadow_each_other():
    """A route listed earlier must not swallow a later one (as public plans once hid staff plans)."""
    from django.urls import resolve

    from spotcheck.accounts.checks import iter_views

    for route, view in iter_views():
        sample = "/" + route.replace("<int:pk>", "1").replace("<str:code>", "SCJGJ").replace(
            "<str:item_code>", "X-1").replace("<str:action>", "submit").replace("<str:kind>", "entities").replace(
            "<str:uscc>", "91500113000000001X").replace("<str:cert_no>", "C-1").replace("<str:fmt>", "csv").replace(
            "<int:version>", "1")
        if "<" in sample:
            continue
        assert resolve(sample).func == view, (route, resolve(sample).route)
