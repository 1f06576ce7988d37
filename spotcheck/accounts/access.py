"""Who may use which view, and which department's objects a user sees.

Deny by default: every view carries an access rule, set by one of the
decorators below. ``AccessRuleMiddleware`` refuses any view without one, and
the system check in ``checks.py`` refuses to start when a URL lacks one.
Department scoping happens here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext

from spotcheck.accounts.models import STAFF_ROLES, Role, User

View = Callable[..., HttpResponseBase]
M = TypeVar("M", bound=Model)



class AuthedRequest(HttpRequest):
    """A request whose user has logged in (for type checking views behind a rule)."""

    user: User


PUBLIC = "public"
AUTHENTICATED = "authenticated"
# The REST API (spotcheck.api) authenticates each call itself, by token, deny by default.
API = "api"

# Views of Django itself that carry no rule of ours but are safe for everyone.
FRAMEWORK_VIEWS = {
    "django.views.i18n.set_language",
    "django.views.static.serve",
    "django.contrib.staticfiles.views.serve",
}


def public(view: View) -> View:
    """Mark a view as open to everyone, logged in or not (一公开)."""
    view = login_not_required(view)
    view.access_rule = PUBLIC  # type: ignore[attr-defined]
    return view


def authenticated(view: View) -> View:
    """Mark a view as open to any logged-in user, whatever the role."""
    view.access_rule = AUTHENTICATED  # type: ignore[attr-defined]
    return view


def roles(*allowed: str) -> Callable[[View], View]:
    """Allow only users with one of ``allowed`` roles; others get 403."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if getattr(request.user, "role", None) not in allowed:
                raise PermissionDenied(gettext("您的角色无权访问此页面"))
            return view(request, *args, **kwargs)

        wrapper.access_rule = tuple(allowed)  # type: ignore[attr-defined]
        return wrapper

    return decorate


staff = roles(*STAFF_ROLES)


def rule_of(view: Any) -> Any:
    """Return the access rule of a view function or class-based view, or None."""
    rule = getattr(view, "access_rule", None)
    if rule is None and hasattr(view, "view_class"):
        rule = getattr(view.view_class, "access_rule", None)
    return rule


def view_path(view: Any) -> str:
    return f"{getattr(view, '__module__', '')}.{getattr(view, '__name__', '')}"


class AccessRuleMiddleware:
    """Refuse (403) any view that states no access rule."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> HttpResponseBase | None:
        rule = rule_of(view)
        if rule is None and view_path(view) not in FRAMEWORK_VIEWS:
            raise PermissionDenied(gettext("此页面未声明访问规则"))
        return must_change_password_first(request, view, rule)


def must_change_password_first(request: HttpRequest, view: Any, rule: Any) -> HttpResponseBase | None:
    """Send a user holding a temporary password to the password change page before any other page.

    Public pages (the portal, logging in and out) stay open; the change page says so itself.
    """
    if (rule is not None and rule not in (PUBLIC, API) and getattr(request.user, "must_change_password", False)
            and not getattr(view, "allowed_before_password_change", False)):
        return redirect("password_change")
    return None


# --- Department scoping -------------------------------------------------------------


def sees_all_departments(user: Any) -> bool:
    return getattr(user, "role", None) == Role.COORDINATOR


def scope(queryset: QuerySet[M], user: Any, field: str = "department") -> QuerySet[M]:
    """Return the part of ``queryset`` the user's department may see."""
    if sees_all_departments(user):
        return queryset
    department_id = getattr(user, "department_id", None)
    if department_id is None:
        return queryset.none()
    return queryset.filter(**{f"{field}_id": department_id})


def may_write_department(user: Any, department_id: int | None) -> bool:
    """Return whether the user may change the directory records of a department."""
    if sees_all_departments(user):
        return True
    return (
        getattr(user, "role", None) == Role.DEPT_ADMIN
        and department_id is not None
        and user.department_id == department_id
    )


def get_for_user(
    queryset: QuerySet[M], user: Any, *, write: bool = False, field: str = "department", **lookup: Any
) -> M:
    """Return one object the user may see: 404 when it is not theirs, 403 when read-only."""
    try:
        obj = scope(queryset, user, field).get(**lookup)
    except ObjectDoesNotExist:
        raise Http404(gettext("未找到")) from None
    if write and not may_write_department(user, _department_id(obj, field)):
        raise PermissionDenied(gettext("您只能查看，不能修改"))
    return obj


def _department_id(obj: Any, field: str) -> int | None:
    """Follow ``a__b__department`` from obj to the department's id."""
    *path, last = field.split("__")
    for name in path:
        obj = getattr(obj, name)
    return getattr(obj, f"{last}_id")


def role_names(allowed: Iterable[str]) -> str:
    return "、".join(str(Role(r).label) for r in allowed)
