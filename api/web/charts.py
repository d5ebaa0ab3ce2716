"""Bar charts drawn on the server as inline SVG (no JavaScript, no chart library), each
with a text alternative: the SVG is `role="img"` with a title and a description listing
every bar, and the same numbers follow as a table for screen readers and copying.

Only labels (escaped) and counts go into the markup."""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 320, 180, 16, 44, 8


def _ticks(label: str, width: float) -> str:
    """A bar's label, shortened to fit under it (the full one is in the title)."""
    room = max(3, int(width / 6.5))
    return label if len(label) <= room else label[: room - 1] + "…"


def bar_chart(chart_id: str, title: str, bars: tuple[tuple[str, int], ...],
              unit: str = "") -> Markup:
    """One chart: a figure with the SVG, its caption and the data table."""
    head = (f'<figure class="hist chart"><figcaption id="{escape(chart_id)}-t">'
            f"{escape(title)}</figcaption>")
    if not bars:
        return Markup(head + '<p class="muted">No data yet.</p></figure>')
    top = max(n for _, n in bars) or 1
    slot = (WIDTH - 2 * LEFT) / len(bars)
    desc = "; ".join(f"{label}: {n}{unit}" for label, n in bars)
    parts = [f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
             f'aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d" '
             f'class="svgchart"><desc id="{escape(chart_id)}-d">{escape(desc)}</desc>',
             f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - LEFT}" '
             f'y2="{HEIGHT - BOTTOM}" class="axis"/>']
    plot = HEIGHT - TOP - BOTTOM
    for i, (label, n) in enumerate(bars):
        h = plot * n / top
        x = LEFT + i * slot + slot * 0.1
        w = slot * 0.8
        y = HEIGHT - BOTTOM - h
        parts.append(f'<g><title>{escape(label)}: {n}</title>'
                     f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}"/>'
                     f'<text x="{x + w / 2:.1f}" y="{y - 3:.1f}" class="n">{n}</text>'
                     f'<text x="{x + w / 2:.1f}" y="{HEIGHT - BOTTOM + 14}" class="l">'
                     f"{escape(_ticks(label, slot))}</text></g>")
    parts.append("</svg>")
    rows = "".join(f'<tr><th scope="row">{escape(label)}</th><td class="num">{n}</td></tr>'
                   for label, n in bars)
    table = (f'<table class="sr"><caption>{escape(title)}</caption><thead><tr>'
             f'<th scope="col">Value</th><th scope="col">Count</th></tr></thead>'
             f"<tbody>{rows}</tbody></table>")
    return Markup(head + "".join(parts) + table + "</figure>")
