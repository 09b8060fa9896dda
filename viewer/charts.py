"""Server-rendered SVG charts: stacked bars and lines, each with a title and a text description.

Series differ by pattern or marker shape as well as by colour, so the charts read without
colour vision and in black-and-white print. Every number is also in a table beside them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 340
PHONE_WIDTH, PHONE_MONTHS = 360, 6  # a phone's chart: the latest months, readable text
# BOTTOM holds a month's label turned -55°, "Dec 2026 (so far)" included.
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 120
LABEL_ANGLE = -55


@dataclass(frozen=True)
class Series:
    label: str
    colour: str
    values: list[float | None]
    pattern: str = "solid"  # bars: solid, stripes, dots, cross, none; lines: solid, dashed
    marker: str = "circle"  # lines: circle, square, triangle, diamond


MAX_TICKS = 5  # gridlines above zero


def ticks(value: float, *, whole: bool) -> list[float]:
    """Gridline values from 0 to at least `value`, a round step apart (1, 2 or 5 times a
    power of ten), at most MAX_TICKS above zero; whole numbers only where the values are
    counts (no 62.5 incidents)."""
    if value <= 0:
        return [0.0, 1.0]
    raw = value / MAX_TICKS
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    if whole:
        step = max(1.0, math.ceil(step))
    count = math.ceil(value / step - 1e-9)
    return [round(step * n, 10) for n in range(count + 1)]


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _frame(
    chart_id: str, title: str, description: str, body: list[str], width: int = WIDTH
) -> Markup:
    head = Markup(
        '<svg class="chart" id="{0}" viewBox="0 0 {1} {2}" width="{1}" height="{2}" '
        'role="img" aria-labelledby="{0}-title {0}-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{0}-title">{3}</title><desc id="{0}-desc">{4}</desc>'
    ).format(chart_id, width, HEIGHT, title, description)
    return head + Markup("".join(body)) + Markup("</svg>")


def _patterns(chart_id: str, series: list[Series]) -> str:
    defs = []
    for index, s in enumerate(series):
        pid = f"{chart_id}-p{index}"
        shapes = {
            "stripes": '<path d="M0,8 L8,0" stroke="#fff" stroke-width="2"/>',
            "dots": '<circle cx="4" cy="4" r="1.6" fill="#fff"/>',
            "cross": '<path d="M0,4 H8 M4,0 V8" stroke="#fff" stroke-width="1.5"/>',
        }.get(s.pattern, "")
        defs.append(
            f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" fill="{s.colour}"/>{shapes}</pattern>'
        )
    return "<defs>" + "".join(defs) + "</defs>"


def _axes(
    labels: list[str], marks: list[float], unit: str, width: int = WIDTH
) -> tuple[list[str], float, float]:
    plot_w, plot_h = width - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(labels))
    top_value = marks[-1]
    out = []
    for value in marks:
        y = TOP + plot_h - plot_h * value / top_value
        out.append(
            f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#b1b4b6" stroke-width="1"/>'
            f'<text x="{LEFT - 8}" y="{y + 5:.1f}" text-anchor="end" font-size="14" '
            f'fill="#0b0c0c">{_number(value)}</text>'
        )
    out.append(
        f'<text x="14" y="{TOP + plot_h / 2:.1f}" font-size="14" fill="#0b0c0c" '
        f'text-anchor="middle" transform="rotate(-90 14 {TOP + plot_h / 2:.1f})">'
        f"{escape(unit)}</text>"
    )
    every = max(1, math.ceil(len(labels) / 12))
    for index, label in enumerate(labels):
        if index % every:
            continue
        x = LEFT + step * (index + 0.5)
        y = HEIGHT - BOTTOM + 18
        out.append(
            f'<text x="{x:.1f}" y="{y}" font-size="13" fill="#0b0c0c" text-anchor="end" '
            f'transform="rotate({LABEL_ANGLE} {x:.1f} {y})">{escape(label)}</text>'
        )
    out.append(
        f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" '
        f'stroke="#0b0c0c" stroke-width="2"/>'
    )
    return out, step, plot_h


def stacked_bars(
    chart_id: str,
    title: str,
    description: str,
    labels: list[str],
    series: list[Series],
    unit: str,
    width: int = WIDTH,
) -> Markup:
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    marks = ticks(max(totals, default=0), whole=True)
    top_value = marks[-1]
    body, step, plot_h = _axes(labels, marks, unit, width)
    body.insert(0, _patterns(chart_id, series))
    bar_w = max(2.0, step * 0.7)
    for index in range(len(labels)):
        x = LEFT + step * index + (step - bar_w) / 2
        base = TOP + plot_h
        for number, s in enumerate(series):
            value = s.values[index] or 0
            if not value:
                continue
            height = plot_h * value / top_value
            base -= height
            body.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{height:.1f}" '
                f'fill="url(#{chart_id}-p{number})" stroke="#fff" stroke-width="1">'
                f"<title>{escape(labels[index])}: {escape(s.label)} {_number(value)}</title></rect>"
            )
    return _frame(chart_id, title, description, body, width)


MARKERS = {
    "circle": '<circle cx="{x}" cy="{y}" r="5" fill="{c}"/>',
    "square": '<rect x="{x0}" y="{y0}" width="10" height="10" fill="{c}"/>',
    "triangle": '<path d="M{x},{y0} L{x1},{y1} L{x0},{y1} Z" fill="{c}"/>',
    "diamond": '<path d="M{x},{y0} L{x1},{y} L{x},{y1} L{x0},{y} Z" fill="{c}"/>',
}


def lines(
    chart_id: str,
    title: str,
    description: str,
    labels: list[str],
    series: list[Series],
    unit: str,
    width: int = WIDTH,
) -> Markup:
    values = [v for s in series for v in s.values if v is not None]
    # Whole minutes and hours too: a 58-minute resolve reads against 0 and 1 hour.
    marks = ticks(max(values, default=0), whole=True)
    top_value = marks[-1]
    body, step, plot_h = _axes(labels, marks, unit, width)
    for s in series:
        points = []
        for index, value in enumerate(s.values):
            if value is None:
                continue
            x = LEFT + step * (index + 0.5)
            y = TOP + plot_h - plot_h * value / top_value
            points.append((x, y, labels[index], value))
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
            dash = ' stroke-dasharray="8 5"' if s.pattern == "dashed" else ""
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{s.colour}" '
                f'stroke-width="3"{dash}/>'
            )
        for x, y, label, value in points:
            shape = MARKERS.get(s.marker, MARKERS["circle"]).format(
                x=f"{x:.1f}",
                y=f"{y:.1f}",
                x0=f"{x - 5:.1f}",
                y0=f"{y - 5:.1f}",
                x1=f"{x + 5:.1f}",
                y1=f"{y + 5:.1f}",
                c=s.colour,
            )
            body.append(
                f"<g>{shape}<title>{escape(label)}: {escape(s.label)} "
                f"{_number(value)} {escape(unit)}</title></g>"
            )
    return _frame(chart_id, title, description, body, width)


def legend_swatch(chart_id: str, index: int, s: Series, kind: str) -> Markup:
    """A small SVG key for one series, matching its pattern or marker."""
    if kind == "bars":
        return Markup(
            '<svg width="18" height="18" aria-hidden="true" focusable="false">'
            '<rect width="18" height="18" fill="url(#{0}-p{1})" stroke="#0b0c0c"/></svg>'
        ).format(chart_id, index)
    dash = ' stroke-dasharray="5 3"' if s.pattern == "dashed" else ""
    return Markup(
        '<svg width="30" height="18" aria-hidden="true" focusable="false">'
        '<line x1="0" x2="30" y1="9" y2="9" stroke="{0}" stroke-width="3"'
        + dash
        + "/>"
        + MARKERS.get(s.marker, MARKERS["circle"]).format(
            x="15", y="9", x0="10", y0="4", x1="20", y1="14", c="{0}"
        )
        + "</svg>"
    ).format(s.colour)


def latest(series: list[Series], months: int) -> list[Series]:
    """The same series, their latest `months` values only (a phone's chart)."""
    return [Series(s.label, s.colour, s.values[-months:], s.pattern, s.marker) for s in series]
