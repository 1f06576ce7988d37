"""schemathesis against the served OpenAPI document (issue #10): no server error, every response as documented.

The document is read from the application itself (``/api/v1/openapi.json`` through WSGI), so
every operation it lists when the tests run is covered. Calls carry the coordinator's token
(who may read everything) in the permission matrix's world; each operation gets a bounded
number of generated examples, without deadlines, so that the run stays short.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from spotcheck.api.models import ApiToken
from tests import test_permission_matrix as web

pytestmark = pytest.mark.django_db

world = web.world  # the web matrix's world, as a fixture of this module

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture(scope="module")
def one_connection():
    """Keep the test's database connection across calls, as Django's test client does.

    The WSGI handler closes old connections when a request starts and ends; on PostgreSQL
    that would close the connection holding the test's transaction.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def coordinator_token(world) -> str:
    return ApiToken.issue(user=world.users["coordinator"], name="schemathesis", days=1)[1]


@schema.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_the_api_answers_as_its_document_says(case, world, coordinator_token, one_connection):
    case.call_and_validate(headers={"Authorization": f"Bearer {coordinator_token}"},
                           checks=[not_a_server_error, response_schema_conformance])
