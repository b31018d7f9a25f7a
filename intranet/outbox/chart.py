"""Server-rendered SVG: sent / failed / deferred messages per day as stacked columns, with a
<title> on every segment and the same figures as a table beside it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

SERIES = (("sent", "#1e7b34"), ("failed", "#a4161a"), ("deferred", "#9a6700"))


def daily_chart(
    rows: Sequence[tuple[date, int, int, int]], *, title: str, desc: str, labels: dict[str, str], width: int = 640
) -> Markup:
    height, left, right, top_pad, bottom = 220, 44, 12, 14, 46
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = max([sent + failed + deferred for _, sent, failed, deferred in rows] + [1])
    slot = plot_w / max(1, len(rows))
    bar = max(4.0, slot * 0.62)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="outbox-chart-title outbox-chart-desc" class="chart-svg">'
        f'<title id="outbox-chart-title">{escape(title)}</title><desc id="outbox-chart-desc">{escape(desc)}</desc>',
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - right}" y2="{top_pad + plot_h}" stroke="#98a2b3"/>',
        f'<text x="{left - 6}" y="{top_pad + 4}" text-anchor="end" class="chart-label">{top}</text>',
        f'<text x="{left - 6}" y="{top_pad + plot_h}" text-anchor="end" class="chart-label">0</text>',
    ]
    for index, (day, *values) in enumerate(rows):
        x = left + index * slot + (slot - bar) / 2
        y: float = top_pad + plot_h
        for (name, color), value in zip(SERIES, values, strict=True):
            if not value:
                continue
            h = value / top * plot_h
            y -= h
            parts.append(
                f'<rect class="seg seg-{name}" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{color}"><title>{day.isoformat()} {escape(labels[name])}: {value}</title></rect>'
            )
        if index % max(1, len(rows) // 7) == 0 or index == len(rows) - 1:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{top_pad + plot_h + 16}" text-anchor="middle" '
                f'class="chart-label">{day.strftime("%m-%d")}</text>'
            )
    for index, (name, color) in enumerate(SERIES):
        lx = left + index * 120
        parts.append(
            f'<rect x="{lx}" y="{height - 16}" width="12" height="12" fill="{color}"/>'
            f'<text x="{lx + 16}" y="{height - 6}" class="chart-label">{escape(labels[name])}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label above is escaped
