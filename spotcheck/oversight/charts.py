"""Charts as inline SVG, drawn on the server: bars, a line and a donut.

No JavaScript and no style attributes (only SVG presentation attributes), so the
Content-Security-Policy stays ``script-src 'self'; style-src 'self'`` and the
yearly report's PDF (WeasyPrint) draws the same markup. Each chart is an
``<svg role="img">`` whose ``aria-label`` says what it shows; the page puts the
chart's table beside it for screen readers and for the numbers themselves.

Plain numbers in, markup out: no database here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Okabe–Ito colours (told apart with the common kinds of colour blindness), then two more.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#882255",
           "#44AA99", "#999999")
BAR = "#0072B2"
SHORT = "#D55E00"  # a bar below its floor
MARKER = "#B3261E"
INK = "#1D2733"
MUTED = "#5B6775"
GRID = "#D6DDE5"
FONT = "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"
SIZE = 12


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value, and optionally the floor it is read against."""

    label: str
    value: float
    text: str = ""  # the value as shown beside the bar; the number itself when empty
    marker: float | None = None  # e.g. the R4 floor of this bar, drawn as a red tick


def text_width(text: str, size: float = SIZE) -> float:
    """Return the width a label takes: a full em for CJK characters, about half for others."""
    return sum(size if ord(c) > 0x2E80 else size * 0.6 for c in text)


def clip(text: str, width: float, size: float = SIZE) -> str:
    """Return ``text`` shortened with "…" to fit ``width`` (the table beside has it whole)."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def number(value: float) -> str:
    """Return a value as shown on a chart: no decimals for whole numbers, else one or two."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _svg(width: float, height: float, label: str, body: list[str]) -> SafeString:
    label = escape(label)
    return mark_safe(  # noqa: S308 - every text inside went through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{label}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'font-family="{FONT}" font-size="{SIZE}" fill="{INK}"><title>{label}</title>'
        + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, anchor: str = "start", fill: str = INK, size: int = SIZE,
          weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}" font-size="{size}" '
            f'font-weight="{weight}">{escape(text)}</text>')


def bar_chart(bars: Sequence[Bar], *, label: str, unit: str = "", scale_max: float | None = None,
              width: int = 560, marker_label: str = "") -> SafeString:
    """Return horizontal bars, one per row, each with its value; a red tick marks a bar's floor.

    A bar below its marker is drawn in orange. ``scale_max`` fixes the scale (100 for
    percentages); otherwise the largest value or marker sets it.
    """
    row, top = 26, 8
    label_width = min(240.0, max([text_width(b.label) for b in bars] + [24.0]) + 8)
    value_width = max([text_width(b.text or number(b.value) + unit) for b in bars] + [24.0]) + 10
    plot = max(120.0, width - label_width - value_width)
    biggest = max([b.value for b in bars] + [b.marker or 0 for b in bars] + [0.0])
    top_value = scale_max if scale_max is not None else (biggest or 1.0)
    legend = 18 if marker_label and any(b.marker is not None for b in bars) else 0
    height = top + row * max(1, len(bars)) + 6 + legend
    body = [f'<line x1="{label_width:.1f}" y1="{top}" x2="{label_width:.1f}" y2="{top + row * max(1, len(bars))}" '
            f'stroke="{GRID}"/>']
    for i, b in enumerate(bars):
        y = top + i * row
        length = plot * min(max(b.value, 0.0), top_value) / top_value if top_value else 0.0
        short = b.marker is not None and b.value < b.marker
        body.append(_text(label_width - 6, y + row / 2 + 4, clip(b.label, label_width - 8), "end"))
        body.append(f'<rect x="{label_width:.1f}" y="{y + 4}" width="{length:.1f}" height="{row - 8}" '
                    f'fill="{SHORT if short else BAR}"/>')
        body.append(_text(label_width + length + 4, y + row / 2 + 4, b.text or number(b.value) + unit))
        if b.marker is not None and top_value:
            x = label_width + plot * min(b.marker, top_value) / top_value
            body.append(f'<line x1="{x:.1f}" y1="{y + 1}" x2="{x:.1f}" y2="{y + row - 1}" stroke="{MARKER}" '
                        f'stroke-width="2" stroke-dasharray="3 2"/>')
    if legend:
        y = height - 6
        body.append(f'<line x1="{label_width:.1f}" y1="{y - 8}" x2="{label_width:.1f}" y2="{y + 2}" '
                    f'stroke="{MARKER}" stroke-width="2" stroke-dasharray="3 2"/>')
        body.append(_text(label_width + 6, y, marker_label, fill=MUTED, size=11))
    return _svg(width, height, label, body)


def line_chart(points: Sequence[tuple[str, float]], *, label: str, unit: str = "",
               scale_max: float | None = None, width: int = 560, height: int = 220) -> SafeString:
    """Return a line through ``points`` (x label, value), with the value at each point."""
    left, right, top, bottom = 44, 20, 16, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, v in points]
    top_value = scale_max if scale_max is not None else _nice(max(values + [0.0]))
    body = []
    for k in range(5):
        v = top_value * k / 4
        y = top + plot_h - plot_h * k / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(_text(left - 6, y + 4, number(round(v, 2)) + unit, "end", MUTED, 11))
    n = len(points)
    xy = []
    for i, (name, value) in enumerate(points):
        x = left + (plot_w * (i + 0.5) / n if n else 0)
        y = top + plot_h - (plot_h * min(max(value, 0.0), top_value) / top_value if top_value else 0)
        xy.append((x, y))
        body.append(_text(x, height - 8, name, "middle", MUTED, 11))
    if len(xy) > 1:
        body.append('<polyline fill="none" stroke="{}" stroke-width="2.5" points="{}"/>'.format(
            BAR, " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)))
    for (x, y), (_, value) in zip(xy, points, strict=True):
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{BAR}"/>')
        body.append(_text(x, y - 8, number(value) + unit, "middle"))
    return _svg(width, height, label, body)


def _nice(value: float) -> float:
    """Return a round number at or above ``value`` for the top of a scale (1, 2, 5 × 10ⁿ)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def donut_chart(parts: Sequence[tuple[str, float]], *, label: str, centre: str = "",
                width: int = 560) -> SafeString:
    """Return a donut of ``parts`` (label, value) with a legend of each part's value and share."""
    radius, stroke = 64.0, 30.0
    cx = cy = radius + stroke / 2 + 6
    total = sum(max(v, 0.0) for _, v in parts)
    circumference = 2 * math.pi * radius
    legend_row = 22
    height = max(2 * cy, 12 + legend_row * len(parts))
    body = [f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius:.1f}" fill="none" stroke="{GRID}" '
            f'stroke-width="{stroke:.0f}"/>']
    offset = 0.0
    for i, (_, value) in enumerate(parts):
        if total <= 0 or value <= 0:
            continue
        length = circumference * value / total
        # Each part is a dash of the circle's stroke, turned to start at twelve o'clock.
        body.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius:.1f}" fill="none" '
                    f'stroke="{PALETTE[i % len(PALETTE)]}" stroke-width="{stroke:.0f}" '
                    f'stroke-dasharray="{length:.2f} {circumference - length:.2f}" '
                    f'stroke-dashoffset="{-offset:.2f}" transform="rotate(-90 {cx:.1f} {cy:.1f})"/>')
        offset += length
    if centre:
        body.append(_text(cx, cy + 6, centre, "middle", size=16, weight="bold"))
    x = 2 * cx + 16
    for i, (name, value) in enumerate(parts):
        y = 12 + i * legend_row
        share = f"{100 * value / total:.1f}%" if total > 0 else "—"
        body.append(f'<rect x="{x:.1f}" y="{y}" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>')
        body.append(_text(x + 18, y + 11, clip(f"{name}  {number(value)}（{share}）", width - x - 24)))
    return _svg(width, height, label, body)
