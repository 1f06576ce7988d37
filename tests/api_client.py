"""Calling the API in tests: a token per persona, JSON in and out."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from spotcheck.api.models import ApiToken


def token_for(user, name: str = "test", days: int = 30) -> str:
    """Issue a token for ``user`` and return its secret."""
    return ApiToken.issue(user=user, name=name, days=days)[1]


class Api:
    """A JSON client of /api/v1/ acting with one token (or none)."""

    def __init__(self, token: str | None = None, client: Client | None = None, address: str = "127.0.0.1"):
        self.client = client or Client()
        self.headers: dict[str, str] = {"REMOTE_ADDR": address}
        if token:
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: Any = None, **params: Any):
        url = "/api/v1" + path
        kwargs: dict[str, Any] = dict(self.headers)
        if body is not None:
            kwargs["data"] = json.dumps(body, ensure_ascii=False)
            kwargs["content_type"] = "application/json"
        elif params:
            kwargs["data"] = params
        return getattr(self.client, method.lower())(url, **kwargs)

    def get(self, path: str, **params: Any):
        return self.call("GET", path, **params)

    def post(self, path: str, body: Any = None):
        return self.call("POST", path, body if body is not None else {})

    def put(self, path: str, body: Any = None):
        return self.call("PUT", path, body if body is not None else {})

    def delete(self, path: str):
        return self.call("DELETE", path)


def error_of(response) -> dict:
    """The error object of a failed call (asserting the one shape)."""
    data = response.json()
    assert set(data) == {"error"}, data
    error = data["error"]
    assert set(error) == {"status", "code", "message", "fields"}, error
    assert error["status"] == response.status_code
    return error
