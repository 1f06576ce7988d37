"""The oversight pages (督促检查): the dashboard, each figure as XLSX, and the yearly report as PDF.

The coordinator sees the district and may pick any department; a department's
administrator and head see their own department only (another department: 404).
Inspectors and witnesses: 403.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from spotcheck.accounts.access import AuthedRequest, roles, sees_all_departments
from spotcheck.accounts.models import Role
from spotcheck.directory.exports import download, safe_cell
from spotcheck.directory.models import Department
from spotcheck.oversight import selectors
from spotcheck.oversight.dashboard import Dashboard, build, cached_build
from spotcheck.oversight.report import report_pdf

READERS = (Role.COORDINATOR, Role.DEPT_ADMIN, Role.DEPT_HEAD)
FIRST_YEAR, LAST_YEAR = 1990, 2100


class BadChoice(Exception):
    """A year or department in the address that cannot be shown; the message names the field."""


def _subject(request: AuthedRequest) -> tuple[int, Department | None]:
    """Return the year and the department the request asks for and the user may see.

    No department: the district for the coordinator, one's own for a department's
    staff. Another department's figures are not theirs: 404.
    """
    raw = request.GET.get("year", "").strip()
    if not raw:
        year = timezone.localdate().year
    elif raw.isascii() and raw.isdigit() and FIRST_YEAR <= int(raw) <= LAST_YEAR:
        year = int(raw)
    else:
        raise BadChoice(_("年度（year）应为 %(first)s 至 %(last)s 之间的整数，收到“%(raw)s”") % {
            "first": FIRST_YEAR, "last": LAST_YEAR, "raw": raw[:20]})
    code = request.GET.get("department", "").strip()
    user = request.user
    if sees_all_departments(user):
        if not code:
            return year, None
        department = Department.objects.filter(code=code).first()
    else:
        department = user.department
        if code and (department is None or code != department.code):
            department = None
    if department is None:
        raise Http404(_("未找到该部门"))
    return year, department


def _refused(request: AuthedRequest, error: BadChoice) -> HttpResponse:
    return render(request, "results/conflict.html", {"title": _("无法显示"), "message": str(error)}, status=400)


def _query(board: Dashboard) -> str:
    return urlencode({"year": board.year, **({"department": board.department.code} if board.department else {})})


@roles(*READERS)
def dashboard(request: AuthedRequest) -> HttpResponseBase:
    """The figures of a year for a department or the district, each chart with its table."""
    try:
        year, department = _subject(request)
    except BadChoice as error:
        return _refused(request, error)
    board = cached_build(year, department)
    return render(request, "oversight/dashboard.html", {
        "board": board, "query": _query(board), "years": selectors.years(),
        "district": sees_all_departments(request.user), "days": settings.SPOTCHECK["publish_within_days"],
    })


def cell(value: object) -> object:
    """A cell of an export: numbers stay numbers; text cannot run as a formula (``safe_cell``)."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    return safe_cell(value)


@roles(*READERS)
def export(request: AuthedRequest, key: str) -> HttpResponseBase:
    """One figure's table as XLSX, with the page's Chinese headers."""
    try:
        year, department = _subject(request)
    except BadChoice as error:
        return _refused(request, error)
    board = build(year, department)
    table = board.tables.get(key)
    if table is None:
        raise Http404(_("没有这个图表"))
    who = department.code if department else "district"
    return download("xlsx", f"oversight-{year}-{who}-{key}", table.headers,
                    [[cell(v) for v in row] for row in table.rows])


@roles(*READERS)
def report(request: AuthedRequest) -> HttpResponseBase:
    """The yearly report (年度总结) of a department or the district, as a printable PDF."""
    try:
        year, department = _subject(request)
    except BadChoice as error:
        return _refused(request, error)
    response = HttpResponse(report_pdf(build(year, department)), content_type="application/pdf")
    who = department.code if department else "district"
    response["Content-Disposition"] = f'inline; filename="oversight-report-{year}-{who}.pdf"'
    return response
