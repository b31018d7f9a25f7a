"""Server-rendered SVG charts (bar, line, donut) with an accessible title/description, a <title>
on every mark (a tooltip and a screen-reader label), and a data table as the fallback.

Every label is escaped; no script, no external resource."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from markupsafe import Markup, escape

Number = int | float | Decimal
PALETTE = ("#0b5cad", "#a4161a", "#1e7b34", "#9a6700", "#6f42c1", "#0f766e", "#b45309", "#475569")


@dataclass
class Chart:
    """What a template renders: the SVG, plus the same figures as a table."""

    key: str
    title: str
    desc: str
    svg: Markup
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)


def _svg_open(key: str, title: str, desc: str, width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="{key}-title {key}-desc" class="chart-svg" preserveAspectRatio="xMinYMin meet">'
        f'<title id="{key}-title">{escape(title)}</title><desc id="{key}-desc">{escape(desc)}</desc>'
    )


def _f(value: Number) -> float:
    return float(value)


def bar_chart(
    key: str,
    title: str,
    desc: str,
    bars: Sequence[tuple[str, Number, str]],
    *,
    max_value: Number | None = None,
    width: int = 520,
) -> Markup:
    """Horizontal bars: (label, value, text shown at the bar's end and in its <title>)."""
    row, label_w, pad = 28, 150, 8
    height = max(1, len(bars)) * row + 2 * pad
    top = max([_f(v) for _, v, _ in bars] + [_f(max_value or 0), 0.0]) or 1.0
    plot_w = width - label_w - 100
    parts = [_svg_open(key, title, desc, width, height)]
    for i, (label, value, text) in enumerate(bars):
        y = pad + i * row
        w = max(0.0, _f(value) / top * plot_w)
        parts.append(
            f'<g class="bar"><title>{escape(label)}: {escape(text)}</title>'
            f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end" class="chart-label">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" fill="{PALETTE[0]}" rx="2"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 17}" class="chart-value">{escape(text)}</text></g>'
        )
    if not bars:
        parts.append(f'<text x="{width / 2}" y="{height / 2 + 5}" text-anchor="middle" class="chart-empty">—</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label above is escaped


def line_chart(key: str, title: str, desc: str, points: Sequence[tuple[str, Number]], *, width: int = 520) -> Markup:
    """A line over evenly spaced points (label, value), each point with its own <title>."""
    height, left, right, top_pad, bottom = 240, 48, 16, 16, 40
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = max([_f(v) for _, v in points] + [1.0])
    nice = 10 ** math.floor(math.log10(top)) if top >= 1 else 1
    top = math.ceil(top / nice) * nice
    parts = [_svg_open(key, title, desc, width, height)]
    for frac in (0, 0.5, 1):
        y = top_pad + plot_h * (1 - frac)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="chart-grid" stroke="#d7dbe3"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="chart-axis">{_short(top * frac)}</text>'
        )
    n = len(points)
    coords = []
    for i, (label, value) in enumerate(points):
        x = left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)
        y = top_pad + plot_h * (1 - _f(value) / top)
        coords.append((x, y, label, value))
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
    step = max(1, n // 8)
    for i, (x, y, label, value) in enumerate(coords):
        parts.append(
            f'<g class="point"><title>{escape(label)}: {escape(_short(value))}</title>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{PALETTE[0]}"/></g>'
        )
        if i % step == 0 or i == n - 1:
            parts.append(
                f'<text x="{x:.1f}" y="{height - bottom + 18}" text-anchor="middle" class="chart-axis">'
                f"{escape(label[5:] if len(label) == 10 else label)}</text>"
            )
    if not points:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" class="chart-empty">—</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - labels escaped


def donut_chart(key: str, title: str, desc: str, slices: Sequence[tuple[str, Number]], *, size: int = 220) -> Markup:
    """Slices of a whole, drawn as stroked circle segments, with a legend beside them."""
    legend_w = 220
    width, r, stroke = size + legend_w, size / 2 - 24, 28
    cx = cy = size / 2
    circumference = 2 * math.pi * r
    total = sum(_f(v) for _, v in slices)
    parts = [_svg_open(key, title, desc, int(width), size)]
    parts.append(f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="none" stroke="#eef0f4" stroke-width="{stroke}"/>')
    offset = 0.0
    for i, (label, value) in enumerate(slices):
        share = _f(value) / total if total else 0.0
        length = share * circumference
        colour = PALETTE[i % len(PALETTE)]
        text = f"{escape(label)}: {escape(_short(value))} ({share * 100:.1f}%)"
        if length > 0:
            parts.append(
                f'<g class="slice"><title>{text}</title><circle cx="{cx}" cy="{cy}" r="{r}" fill="none" '
                f'stroke="{colour}" stroke-width="{stroke}" stroke-dasharray="{length:.2f} {circumference:.2f}" '
                f'stroke-dashoffset="{-offset:.2f}" transform="rotate(-90 {cx} {cy})"/></g>'
            )
        offset += length
        y = 24 + i * 22
        parts.append(
            f'<rect x="{size + 8}" y="{y - 11}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{size + 26}" y="{y}" class="chart-label">{text}</text>'
        )
    parts.append(
        f'<text x="{cx}" y="{cy + 6}" text-anchor="middle" class="chart-total">{escape(_short(total))}</text></svg>'
    )
    return Markup("".join(parts))  # noqa: S704 - labels escaped


def _short(value: Number) -> str:
    number = _f(value)
    if number.is_integer():
        return f"{int(number):,}"
    return f"{number:,.2f}"
