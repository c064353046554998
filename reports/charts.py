"""SVG charts, written by hand: a line chart of shares, a heat map and a sparkline.

Each function returns one self-contained `<svg>` string with a viewBox, so it scales to the page (and a phone)
and works with no JavaScript, no fonts to fetch and no network. Every piece of text is escaped here, because
the HTML template inlines the result as markup.
"""

from __future__ import annotations

from html import escape

PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9")  # Okabe–Ito, colour-blind safe
INK, GRID, MUTED, GAP, SPIKE = "#222", "#ddd", "#666", "#fbe3b4", "#c0392b"
FONT = "font-family=\"system-ui,-apple-system,'Segoe UI',Roboto,sans-serif\""


def _n(x: float) -> str:
    """Coordinates with one decimal and no trailing zeros: small, stable output."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" {FONT} font-size="11">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def nice_max(peak: float) -> float:
    """The top of a share axis: the next 10 % step above the peak, at least 10 %."""
    steps = int(peak * 10 + 0.9999)
    return max(0.1, min(1.0, steps / 10))


def week_tick(week: str, first: bool) -> str:
    """ "2026-W47" → "W47", with the year on the first tick and at week 1."""
    year, num = week.split("-")
    return f"{num} ’{year[2:]}" if first or num == "W01" else num


def share_chart(
    title: str, weeks: tuple[str, ...], shares: tuple[float, ...], *, y_max: float, color: str = PALETTE[0],
    gaps: dict[str, str] | None = None, partial: str | None = None, spikes: frozenset[str] = frozenset(),
    counts: tuple[int, ...] | None = None,
) -> str:
    """One option's weekly share as a line over a zero-filled week axis.

    Shaded bands mark coverage gaps (label per week in `gaps`); the `partial` week's point is hollow with a
    dashed segment; `spikes` get a red ring. y starts at 0 so a small change does not look like a cliff.
    """
    w, h, left, right, top, bottom = 400, 190, 34, 10, 38, 30
    pw, ph = w - left - right, h - top - bottom
    n = len(weeks)
    step = pw / max(n, 1)
    x = [left + step * (i + 0.5) for i in range(n)]

    def y(v: float) -> float:
        return top + ph * (1 - min(v, y_max) / y_max)

    body = [  # two lines kept for the title in every chart, so side-by-side charts line up
        f'<text x="{left}" y="{13 + 13 * k}" font-weight="600" fill="{INK}">{escape(line)}</text>'
        for k, line in enumerate(_wrap(title, 52, 2))
    ]
    for i, week in enumerate(weeks):
        if gaps and week in gaps:
            body.append(
                f'<rect x="{_n(left + step * i)}" y="{top}" width="{_n(step)}" height="{ph}" fill="{GAP}">'
                f"<title>{escape(week)}: coverage gap, {escape(gaps[week])}</title></rect>"
                f'<text x="{_n(x[i])}" y="{top + 10}" text-anchor="middle" font-size="9" fill="#8a5a00">gap</text>'
            )
    for frac in (0.0, 0.5, 1.0):
        gy = y(y_max * frac)
        body.append(
            f'<line x1="{left}" x2="{w - right}" y1="{_n(gy)}" y2="{_n(gy)}" stroke="{GRID}"/>'
            f'<text x="{left - 4}" y="{_n(gy + 4)}" text-anchor="end" fill="{MUTED}">{round(100 * y_max * frac)}%</text>'
        )
    label_every = 1 if n <= 8 else 2
    for i, week in enumerate(weeks):
        if (n - 1 - i) % label_every == 0:
            body.append(
                f'<text x="{_n(x[i])}" y="{h - bottom + 14}" text-anchor="middle" fill="{MUTED}">'
                f"{escape(week_tick(week, i == 0 or i == (n - 1) % label_every))}</text>"
            )
    if n:
        solid = [i for i in range(n) if weeks[i] != partial]
        pts = " ".join(f"{_n(x[i])},{_n(y(shares[i]))}" for i in solid)
        body.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2.2" stroke-linejoin="round"/>')
        if partial in weeks and n > 1:
            i = weeks.index(partial)
            if i:
                body.append(
                    f'<line x1="{_n(x[i - 1])}" y1="{_n(y(shares[i - 1]))}" x2="{_n(x[i])}" y2="{_n(y(shares[i]))}" '
                    f'stroke="{color}" stroke-width="2" stroke-dasharray="4 3"/>'
                )
        for i, week in enumerate(weeks):
            tip = f"{week}: {100 * shares[i]:.0f}%" + (f" ({counts[i]} stories)" if counts else "")
            hollow = week == partial
            fill = "#fff" if hollow else color
            body.append(
                f'<circle cx="{_n(x[i])}" cy="{_n(y(shares[i]))}" r="3" fill="{fill}" stroke="{color}" '
                f'stroke-width="1.5"><title>{escape(tip + (", partial week" if hollow else ""))}</title></circle>'
            )
            if week in spikes:
                body.append(
                    f'<circle cx="{_n(x[i])}" cy="{_n(y(shares[i]))}" r="7" fill="none" stroke="{SPIKE}" '
                    f'stroke-width="1.5"/><text x="{_n(x[i] - 10)}" y="{_n(y(shares[i]) + 3)}" '
                    f'text-anchor="end" font-size="9" fill="{SPIKE}">spike</text>'
                )
            if hollow:
                body.append(
                    f'<text x="{_n(x[i])}" y="{h - 4}" text-anchor="middle" font-size="9" fill="{MUTED}">partial</text>'
                )
    return _svg(w, h, f"{title}: share of stories per week", body)


def _wrap(text: str, width: int, most: int = 3) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines[:most]


def heat_map(
    rows: tuple[tuple[str, str], ...], cols: tuple[tuple[str, str], ...], cells: dict[tuple[str, str], int],
    title: str,
) -> str:
    """Rows (id, label) × columns (id, label); each cell's colour and number is its story count."""
    cw, rh, left, top = 84, 22, 150, 62
    w, h = left + cw * len(cols) + 4, top + rh * max(len(rows), 1) + 4
    peak = max(cells.values(), default=0) or 1
    body = []
    for j, (_, label) in enumerate(cols):
        for k, line in enumerate(_wrap(label, 15, 4)):
            body.append(
                f'<text x="{_n(left + cw * (j + 0.5))}" y="{12 + 12 * k}" text-anchor="middle" font-size="10" '
                f'fill="{INK}">{escape(line)}</text>'
            )
    if not rows:
        body.append(f'<text x="{left}" y="{top + 15}" fill="{MUTED}">No actor named in this week\'s option stories.</text>')
    for i, (rid, rlabel) in enumerate(rows):
        ry = top + rh * i
        body.append(f'<text x="{left - 6}" y="{ry + 15}" text-anchor="end" fill="{INK}">{escape(rlabel)}</text>')
        for j, (cid, clabel) in enumerate(cols):
            v = cells.get((rid, cid), 0)
            alpha = 0.08 + 0.92 * v / peak if v else 0.0
            fill = f"rgba(0,114,178,{alpha:.2f})" if v else "#f5f5f5"
            text = "#fff" if alpha > 0.55 else INK
            body.append(
                f'<rect x="{left + cw * j + 1}" y="{ry + 1}" width="{cw - 2}" height="{rh - 2}" fill="{fill}">'
                f"<title>{escape(f'{rlabel} × {clabel}: {v} stories')}</title></rect>"
            )
            if v:
                body.append(
                    f'<text x="{_n(left + cw * (j + 0.5))}" y="{ry + 15}" text-anchor="middle" fill="{text}">{v}</text>'
                )
    return _svg(w, h, title, body)


def sparkline(values: tuple[float, ...], color: str = PALETTE[0], title: str = "", *, peak: float | None = None,
              slots: int | None = None) -> str:
    """A small line with no axes, y from 0 to `peak` (shared, so rows compare) in `slots` right-aligned places
    (so a short history is short, not stretched); the last point is a dot."""
    w, h, pad = 84, 22, 3
    top = peak or max(values, default=0.0) or 1.0
    n = len(values)
    k = max(slots or n, n)
    xs = [pad + (w - 2 * pad) * ((k - n + i) / max(k - 1, 1)) for i in range(n)]
    ys = [h - pad - (h - 2 * pad) * min(v, top) / top for v in values]
    body = []
    if n:
        pts = " ".join(f"{_n(a)},{_n(b)}" for a, b in zip(xs, ys, strict=True))
        body.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="1.5"/>')
        body.append(f'<circle cx="{_n(xs[-1])}" cy="{_n(ys[-1])}" r="2" fill="{color}"/>')
    return _svg(w, h, title or "trend", body)
