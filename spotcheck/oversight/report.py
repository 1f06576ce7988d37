"""The yearly report (年度总结): a department's, or the district's for the coordinating office, as PDF.

The same figures, tables and SVG charts as the dashboard, the plans with their
numbers, and the problems found with their follow-up, printed on A4 with CJK
fonts by WeasyPrint (as the draw certificate and the record forms are).
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from spotcheck.oversight import selectors
from spotcheck.oversight.dashboard import Dashboard

OPEN_SHOWN = 200  # the open follow-ups listed by name; the rest are counted
NUMERALS = "一二三四五六七八九十"


def numeral(n: int) -> str:
    """Return 1–99 as a Chinese section number: 一, 十, 十二, 二十三."""
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else NUMERALS[tens - 1]) + "十" if tens else "") + (NUMERALS[ones - 1] if ones else "")


def report_context(board: Dashboard) -> dict[str, Any]:
    department_id = board.department.pk if board.department else None
    open_tasks, open_count = selectors.open_follow_up_tasks(board.year, department_id, OPEN_SHOWN)
    tables = list(board.tables.values())
    return {"board": board, "sections": [(numeral(n), t) for n, t in enumerate(tables, 2)],
            "last_section": numeral(len(tables) + 2), "open_tasks": open_tasks, "open_count": open_count,
            "printed_at": timezone.localtime()}


def report_pdf(board: Dashboard) -> bytes:
    """Render the yearly report of ``board`` as an A4 PDF."""
    html = render_to_string("oversight/report.html", report_context(board))
    from weasyprint import HTML

    return HTML(string=html).write_pdf()
