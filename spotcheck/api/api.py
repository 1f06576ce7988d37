"""The API object of v1, its URLs, and the helpers every router uses.

Routers live in ``spotcheck/api/routers/``, one module per area; each is added below.
Every URL of the API carries the access rule ``API`` (it authenticates each call itself),
is exempt from Django's CSRF check (a bearer token is not sent by a browser on its own),
and refuses a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` with 413 before reading it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from spotcheck.accounts.access import API
from spotcheck.api import errors
from spotcheck.api.auth import TokenAuth
from spotcheck.audit.log import api_token


class SpotcheckApi(NinjaAPI):
    def get_openapi_operation_id(self, operation: Any) -> str:
        """An operation without an explicit ``operation_id`` is named by its function (stable, short)."""
        return str(operation.view_func.__name__)


api = SpotcheckApi(
    title="Spotcheck 随机抽查监管平台 API",
    version="1",
    description=(
        "REST API v1 (互联互通). Authenticate with `Authorization: Bearer <token>`; published data "
        "is readable without a token, rate-limited per address. Every failure has one shape: "
        "`{\"error\": {\"status\", \"code\", \"message\", \"fields\": [{\"field\", \"message\"}]}}`. "
        "See docs/api.md in the repository."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)


def require_role(request: HttpRequest, *allowed: str) -> Any:
    """Return the caller (the token's user) when their role is one of ``allowed``; else 403."""
    user = request.user
    if getattr(user, "role", None) not in allowed:
        raise PermissionDenied(_("您的角色无权进行此操作"))
    return user


def _add_routers() -> None:
    from spotcheck.api.routers import ROUTERS

    for prefix, router in ROUTERS:
        api.add_router(prefix, router)


_add_routers()


def guard(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap one URL's view of the API: access rule, no CSRF, size limit, the token for the audit log."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
            return errors.error_response(413, _("请求体过大（上限 %(mb)s MB）") % {"mb": limit_mb})
        refused = nul_refusal(request)
        if refused is not None:
            return refused
        reset = api_token.set(None)
        try:
            return view(request, *args, **kwargs)
        finally:
            api_token.reset(reset)

    wrapper.access_rule = API  # type: ignore[attr-defined]
    return login_not_required(csrf_exempt(wrapper))


def nul_refusal(request: HttpRequest) -> HttpResponse | None:
    """Refuse a NUL character in the path (404), a query parameter or a JSON body (422).

    PostgreSQL can neither store nor compare a text holding one: it would reach the database as
    a server error. No value of the API holds one.
    """
    if "\x00" in request.path:
        return errors.error_response(404, _("没有这个接口"))
    message = _("含有不允许的字符（NUL）")
    fields = [{"field": name.replace("\x00", ""), "message": message}
              for name, values in request.GET.lists() if "\x00" in name or any("\x00" in v for v in values)]
    if request.method not in ("GET", "HEAD") and request.content_type == "application/json" \
            and b"\\u0000" in request.body:
        fields.append({"field": "body", "message": message})
    if fields:
        return errors.error_response(422, _("请求的数据有误"), fields=fields)
    return None


@guard
def unknown(request: HttpRequest, rest: str) -> HttpResponse:
    """Any other path under /api/v1/: the API's 404, in its shape."""
    return errors.error_response(404, _("没有这个接口"))


def urls() -> tuple[list[Any], str, str]:
    patterns, app_name, namespace = api.urls
    guarded = []
    # ninja adds a pattern per name for a path of several operations (GET and POST /conflicts): one
    # view serves them all, so they share one guarded view (the first pattern answers every method).
    by_route: dict[str, Callable[..., HttpResponse]] = {}
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            route = str(pattern.pattern)
            pattern.callback = by_route.setdefault(route, guard(pattern.callback))
        guarded.append(pattern)
    guarded.append(path("<path:rest>", unknown, name="unknown"))
    return guarded, app_name, namespace
