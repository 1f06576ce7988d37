"""Licences and penalties in bulk, for the API and any other caller with rows instead of a file.

``import_licences`` and ``import_penalties`` take a list of objects keyed like the file
columns (docs/formats.md: English keys or Chinese headers) and apply the same checks and
the same all-or-nothing rule as the file import: the report either counts what was
created, updated and left unchanged, or lists every bad row as (row, field, reason) and
nothing was written. Row 1 is the first object (``first_row`` changes that). One audit
entry names the user and the source.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from spotcheck.accounts.models import Role
from spotcheck.directory.imports import Outcome, run_rows
from spotcheck.directory.models import Department

# The report of an import: ``ok``, ``created``/``updated``/``unchanged``, or ``errors``
# (``RowError``: row, column, message) and ``error_count``; ``as_dict()`` for JSON.
ImportReport = Outcome

# Who may import licences and penalties (the upload page reads it too).
IMPORT_ROLES = (Role.COORDINATOR, Role.DEPT_ADMIN)


def importing_department(user: Any) -> Department | None:
    """Return the department a user imports as (None: any, the coordinator or the command line).

    Deny by default: a role that may not import, or an administrator without a department, is refused.
    """
    if user is None:  # the command line: the operator of the system
        return None
    role = getattr(user, "role", None)
    if role == Role.COORDINATOR:
        return None
    if role == Role.DEPT_ADMIN and getattr(user, "department_id", None) is not None:
        return user.department
    raise PermissionDenied(_("您的角色不能导入行政许可或行政处罚信息"))


def import_licences(rows: Iterable[Mapping[str, Any]], *, user: Any, source: str,
                    first_row: int = 1) -> ImportReport:
    """Create or update licences from rows (all or nothing); return the report."""
    return run_rows("licences", rows, source, user, department=importing_department(user), first_row=first_row)


def import_penalties(rows: Iterable[Mapping[str, Any]], *, user: Any, source: str,
                     first_row: int = 1) -> ImportReport:
    """Create or update penalties from rows (all or nothing); return the report."""
    return run_rows("penalties", rows, source, user, department=importing_department(user), first_row=first_row)
