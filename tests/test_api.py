"""The API's frame: tokens, the one error shape, limits, the documentation, the audit of writes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from spotcheck.api.models import ApiToken, token_digest
from spotcheck.audit.log import record
from spotcheck.audit.models import AuditEntry
from tests.api_client import Api, error_of, token_for

pytestmark = pytest.mark.django_db


def test_a_token_acts_as_its_user(personas):
    secret = token_for(personas["alice"], name="登记系统")
    answer = Api(secret).get("/me")
    assert answer.status_code == 200
    body = answer.json()
    assert body["username"] == "alice" and body["role"] == "dept_admin" and body["department"] == "SCJGJ"
    token = ApiToken.objects.get()
    assert body["token"] == token.key and secret.startswith(token.key)
    assert token.last_used_at is not None and token.last_used_from == "127.0.0.1"


def test_the_token_is_stored_only_as_its_digest(personas):
    token, secret = ApiToken.issue(user=personas["alice"], name="x", days=1)
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert secret not in {str(v) for v in row.values()}
    assert row["digest"] == token_digest(secret)


@pytest.mark.parametrize("header", [None, "Bearer ", "Bearer sc1_not-a-token", "Basic YWxpY2U6eA=="])
def test_no_valid_token_is_401_in_the_one_shape(personas, header):
    api = Api()
    if header is not None:
        api.headers["HTTP_AUTHORIZATION"] = header
    answer = api.get("/me")
    assert answer.status_code == 401
    assert error_of(answer)["code"] == "unauthenticated"
    assert answer["WWW-Authenticate"] == "Bearer"


def test_expired_revoked_and_disabled_tokens_are_refused(personas):
    alice = personas["alice"]
    expired, revoked, disabled = token_for(alice), token_for(alice), token_for(personas["ian"])
    ApiToken.objects.filter(digest=token_digest(expired)).update(expires_at=timezone.now() - timedelta(seconds=1))
    ApiToken.objects.filter(digest=token_digest(revoked)).update(revoked_at=timezone.now())
    personas["ian"].is_active = False
    personas["ian"].save()
    for secret in (expired, revoked, disabled):
        assert Api(secret).get("/me").status_code == 401


def test_published_data_needs_no_token_but_a_bad_token_is_still_refused(personas, regions):
    assert Api().get("/regions").status_code == 200
    assert [r["name"] for r in Api().get("/regions").json()] == ["龙洲湾街道", "鱼洞街道"]
    assert Api("sc1_wrong").get("/regions").status_code == 401


@override_settings(SPOTCHECK={**__import__("django.conf").conf.settings.SPOTCHECK, "api_anonymous_per_minute": 3})
def test_anonymous_reads_are_rate_limited_per_address(personas, regions):
    for _ in range(3):
        assert Api(address="10.0.0.1").get("/regions").status_code == 200
    answer = Api(address="10.0.0.1").get("/regions")
    assert answer.status_code == 429
    assert error_of(answer)["code"] == "rate_limited"
    assert 1 <= int(answer["Retry-After"]) <= 60
    # Another address has its own count; a token is not counted by address.
    assert Api(address="10.0.0.2").get("/regions").status_code == 200
    assert Api(token_for(personas["alice"]), address="10.0.0.1").get("/regions").status_code == 200


def test_an_unknown_path_is_404_in_the_one_shape(personas):
    answer = Api(token_for(personas["alice"])).get("/no-such-thing")
    assert answer.status_code == 404
    assert error_of(answer)["code"] == "not_found"


def test_a_body_over_the_limit_is_413_before_it_is_read(personas):
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024):
        answer = Api(token_for(personas["alice"])).post("/me", {"x": "y" * 2000})
    assert answer.status_code == 413
    assert error_of(answer)["code"] == "too_large"


def test_the_openapi_document_and_its_page_are_served_without_a_cdn(client):
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200
    spec = document.json()
    assert spec["openapi"].startswith("3.") and "/api/v1/regions" in spec["paths"]
    assert "BearerAuth" in str(spec["components"]["securitySchemes"]) or spec["components"]["securitySchemes"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html


def test_every_audit_entry_written_during_a_call_names_the_token(personas):
    from spotcheck.audit.log import api_token

    reset = api_token.set("sc1_abcd1234 登记系统")
    try:
        entry = record(personas["alice"], "test.write", "thing", 1, {"a": 1})
    finally:
        api_token.reset(reset)
    assert entry.actor == "user:alice"
    assert '"api_token":"sc1_abcd1234 登记系统"' in entry.payload
    # Outside a call, entries are as before.
    assert "api_token" not in record(personas["alice"], "test.write", "thing", 2, {}).payload
    assert AuditEntry.objects.count() == 2


def test_every_operation_has_a_unique_stable_id(client):
    """Clients look operations up by ``operationId`` (tests/test_api_client_cycle.py): none twice."""
    spec = client.get("/api/v1/openapi.json").json()
    ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert not [i for i in ids if i.startswith("spotcheck_")]


def test_a_nul_character_is_refused_before_it_reaches_the_database(personas):
    """PostgreSQL cannot hold a NUL: found by schemathesis as server errors (tests/test_api_schema.py)."""
    api = Api(token_for(personas["coordinator"]))
    answer = api.get("/entities", status="active\x00")
    assert answer.status_code == 422
    assert error_of(answer)["fields"] == [{"field": "status", "message": "含有不允许的字符（NUL）"}]
    answer = api.post("/entities/bulk", {"entities": [{"uscc": "x\x00", "name": "y"}]})
    assert answer.status_code == 422 and [f["field"] for f in error_of(answer)["fields"]] == ["body"]
    answer = api.get("/entities/91500113%00")
    assert answer.status_code == 404 and error_of(answer)["code"] == "not_found"
    assert Api().get("/public/results", q="重庆\x00").status_code == 422  # published data too
