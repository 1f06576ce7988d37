"""Error pages in the portal's look and one language, with DEBUG=0 (issue #11)."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse

from spotcheck.portal import errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]
    return settings


def test_a_missing_page_answers_in_the_portals_look(production, client):
    response = client.get("/no/such/page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert 'class="site"' in page and "随机抽查监管平台" in page and "未找到" in page
    assert "Not found" not in page  # one language


def test_a_missing_page_in_english_is_english_only(production, client):
    client.cookies["django_language"] = "en"
    page = client.get("/no/such/page/").content.decode()
    assert "Not found" in page and "未找到" not in page


def test_a_server_error_answers_with_a_page_in_the_portals_look(production, monkeypatch, caplog):
    from spotcheck.portal import views

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "render", broken)
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR):
        response = client.get(reverse("portal:index"))
    page = response.content.decode()
    assert response.status_code == 500
    assert 'class="site"' in page and "服务器出错" in page and "boom" not in page


def test_the_500_page_falls_back_to_plain_html_when_it_cannot_be_drawn(monkeypatch, rf):
    def broken(*args, **kwargs):
        raise RuntimeError("templates gone")

    monkeypatch.setattr(errors, "render_to_string", broken)
    response = errors.server_error(rf.get("/"))
    assert response.status_code == 500 and "服务器出错" in response.content.decode()


def test_a_get_on_a_post_only_address_answers_with_a_page(production, client, personas):
    client.force_login(personas["henry"])
    url = reverse("plans:action", args=[1, "approve"])
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert "操作方式不正确" in page and 'class="site"' in page


def test_the_site_has_a_favicon(client):
    page = client.get(reverse("portal:index")).content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("spotcheck/favicon.svg")
