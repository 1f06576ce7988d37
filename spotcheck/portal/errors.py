"""Error pages in the portal's look and the user's language: 403, 404, 405 and 500."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext

log = logging.getLogger(__name__)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else gettext("您无权进行此操作。")
    return render(request, "403.html", {"message": message}, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


# The last resort when even the error page cannot be drawn (the database is down, a template is broken).
PLAIN_500 = ('<!DOCTYPE html><html lang="zh-Hans"><meta charset="utf-8"><title>500</title>'
             '<h1>服务器出错</h1><p>请稍后再试；问题已记录。</p></html>')


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page: drawn without the database (no user, no context processors that read it)."""
    try:
        return HttpResponse(render_to_string("500.html"), status=500)
    except Exception:  # noqa: BLE001 (the error page must not fail in turn)
        log.exception("500 page could not be rendered")
        return HttpResponse(PLAIN_500, status=500)


class MethodNotAllowedPageMiddleware:
    """Answer a wrong method (a GET on a form's POST-only address) with a page rather than a blank 405."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if isinstance(response, HttpResponseNotAllowed) and not response.content:
            page = render(request, "405.html", {"allowed": response["Allow"]}, status=405)
            page["Allow"] = response["Allow"]
            return page
        return response
