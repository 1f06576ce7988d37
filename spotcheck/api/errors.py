"""One error shape for every failure of the API.

``{"error": {"status": 422, "code": "validation", "message": "…", "fields": [{"field": "entities.3.code", "message": "…"}]}}``

``code`` is stable English for programs; ``message`` is for people, in the request's language
(Chinese by default); ``fields`` names each wrong field of a validation error.
"""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Schema

logger = logging.getLogger("spotcheck.api")

CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "validation",
    429: "rate_limited",
    500: "server_error",
}


class FieldErrorOut(Schema):
    field: str
    message: str


class ErrorBody(Schema):
    status: int
    code: str
    message: str
    fields: list[FieldErrorOut]


class ErrorOut(Schema):
    """The one error shape, for the ``response=`` of the endpoints (so that the document names it)."""

    error: ErrorBody


def documented(*statuses: int) -> dict[int, type[ErrorOut]]:
    """Return ``{status: ErrorOut}`` for the error statuses an endpoint may answer."""
    return {status: ErrorOut for status in statuses}


class ApiError(Exception):
    """A failure to answer with ``status``; ``fields`` for the fields it names."""

    def __init__(self, status: int, message: str, *, code: str | None = None, fields: list[dict[str, str]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or CODES.get(status, "error")
        self.fields = fields or []


def refused(status: int, message: str, fields: list[dict[str, str]] | None = None) -> NoReturn:
    """Answer a service's refusal (a plan's WorkflowError, a result's ResultRefused…) in the API's terms:
    403 who may not, 404 what was named, 409 the wrong state, else 422 naming ``fields`` (or the body)."""
    if status == 403:
        raise PermissionDenied(message)
    if status in (404, 409):
        raise ApiError(status, message)
    raise ApiError(422, message, fields=fields or [{"field": "body", "message": message}])


def error_response(
    status: int, message: str, *, code: str | None = None, fields: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {"status": status, "code": code or CODES.get(status, "error"), "message": message}
    body["fields"] = fields or []
    response = JsonResponse({"error": body}, status=status, json_dumps_params={"ensure_ascii": False})
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def field_path(loc: Any) -> str:
    """``("body", "payload", "entities", 3, "code")`` → ``entities.3.code`` (the names a client sent)."""
    parts = [str(p) for p in loc]
    while parts and parts[0] in ("body", "query", "path", "header", "form", "file", "payload"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def install(api: Any) -> None:
    """Register the handlers that give every failure the one shape."""
    from ninja.errors import AuthenticationError, HttpError, ValidationError

    from spotcheck.api.auth import RateLimited

    @api.exception_handler(ApiError)
    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return error_response(exc.status, exc.message, code=exc.code, fields=exc.fields)

    @api.exception_handler(ValidationError)
    def validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = [{"field": field_path(e.get("loc", ())), "message": str(e.get("msg", ""))} for e in exc.errors]
        return error_response(422, _("请求的数据有误"), fields=fields)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
        message = getattr(exc, "message", "") or ""
        if not message or message == "Unauthorized":
            message = _("需要有效的接口令牌（Authorization: Bearer …）")
        return error_response(401, message, headers={"WWW-Authenticate": "Bearer"})

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return error_response(exc.status_code, str(exc.message))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return error_response(404, _("未找到"))

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
        return error_response(403, str(exc) or _("您的角色无权进行此操作"))

    @api.exception_handler(RateLimited)
    def rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
        return error_response(
            429, _("请求过于频繁，请稍后再试"), headers={"Retry-After": str(exc.retry_after)}
        )

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        from django.core.exceptions import RequestDataTooBig

        if isinstance(exc, RequestDataTooBig):
            return error_response(413, _("请求体过大"))
        logger.exception("API error on %s", request.path)
        return error_response(500, _("服务器内部错误"))
