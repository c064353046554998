"""Findings → pages: one week's report as HTML (one self-contained file) and Markdown (with SVG files beside
it), and the index of every week.

Web text (titles, sentences, outlet names) is escaped: jinja2 autoescapes the HTML templates, `md` escapes
Markdown, and `http_url` links a URL only when it is http(s).
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from reports import charts
from reports.findings import WINDOW, Link, Series, WeekReport, actor_label, pct

TEMPLATES = Path(__file__).parent / "templates"


def http_url(url: str | None) -> str | None:
    """The URL when it is http(s) with a host, else None: a javascript: or data: link is never emitted."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()


def md(text: object) -> str:
    """Text for Markdown: HTML-escaped, then Markdown punctuation backslash-escaped, on one line."""
    s = escape(" ".join(str(text).split()), quote=False)
    return "".join("\\" + c if c in "\\`*_[]#|~" else c for c in s)


def md_url(url: str) -> str:
    """A URL inside Markdown's (...): characters that would end or break the link are percent-encoded."""
    return "".join({" ": "%20", "(": "%28", ")": "%29", "<": "%3C", ">": "%3E"}.get(c, c) for c in url)


def signed_pp(x: float) -> str:
    n = round(100 * x)
    return "±0" if n == 0 else f"{n:+d}".replace("-", "−")


def signed(n: int) -> str:
    return "±0" if n == 0 else f"{n:+d}".replace("-", "−")


def external(links: tuple[Link, ...]) -> list[Link]:
    """Links that leave the page: Markdown has no anchors of its own to point at."""
    return [link for link in links if not link.href.startswith("#")]


def few(names: tuple[str, ...] | list[str], most: int = 3) -> str:
    """ "a, b, c" or "a, b and 7 more": a long list of feeds must not swamp a sentence."""
    names = list(names)
    return ", ".join(names) if len(names) <= most else f"{', '.join(names[:most - 1])} and {len(names) - most + 1} more"


def zscore(z: float) -> str:
    return "∞" if math.isinf(z) else f"{z:.1f}"


def num(x: float) -> str:
    return f"{x:g}"


def _env(autoescape: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, keep_trailing_newline=True,
        autoescape=select_autoescape(["html.j2"]) if autoescape else False, trim_blocks=True, lstrip_blocks=True,
    )
    env.filters.update(pct=pct, pp=signed_pp, signed=signed, actor=actor_label, md=md, md_url=md_url, http_url=http_url,
                       z=zscore, num=num, external=external, few=few)
    return env


_HTML, _MD = _env(True), _env(False)


def week_charts(r: WeekReport) -> dict[str, str]:
    """The week's SVG charts by file stem: one share chart per option, and the actor × option heat map."""
    y_max = charts.nice_max(max((v for s in r.series for v in s.shares), default=0.0))
    gaps = {g.week: g.label for g in r.gaps}
    out = {}
    for i, s in enumerate(r.series):
        spikes = frozenset(sp.week for sp in r.spikes if sp.option_id == s.option_id)
        out[f"share-{s.option_id}"] = charts.share_chart(
            s.label, r.window, s.shares, y_max=y_max, color=charts.PALETTE[i % len(charts.PALETTE)], gaps=gaps,
            partial=r.week if r.partial else None, spikes=spikes, counts=s.counts,
        )
    out["actors"] = charts.heat_map(
        tuple((a, actor_label(a)) for a in r.heat.actors), r.heat.options, r.heat.cells,
        f"Actors × options, {r.week}: stories naming the actor",
    )
    return out


def render_html(r: WeekReport, svgs: dict[str, str], failing_now: tuple[tuple[str, int, str | None], ...] = ()) -> str:
    # Markup: the charts escape their own text (reports.charts), so they go in as markup.
    return _HTML.get_template("report.html.j2").render(
        r=r, svg={k: Markup(v) for k, v in svgs.items()}, failing_now=failing_now,
    )


def render_markdown(r: WeekReport, svg_files: dict[str, str],
                    failing_now: tuple[tuple[str, int, str | None], ...] = ()) -> str:
    return _MD.get_template("report.md.j2").render(r=r, svg=svg_files, failing_now=failing_now)


def render_week(r: WeekReport, formats: tuple[str, ...] = ("md", "html"),
                failing_now: tuple[tuple[str, int, str | None], ...] = ()) -> dict[str, str]:
    """Relative path → text for one week: `2026-W47.html`, `2026-W47.md` and `2026-W47/<chart>.svg`."""
    svgs = week_charts(r)
    pages: dict[str, str] = {}
    if "html" in formats:
        pages[f"{r.week}.html"] = render_html(r, svgs, failing_now)
    if "md" in formats:
        files = {k: f"{r.week}/{k}.svg" for k in svgs}
        pages[f"{r.week}.md"] = render_markdown(r, files, failing_now)
        pages.update({files[k]: v for k, v in svgs.items()})
    return pages


def render_index(data_rows: tuple[tuple[str, int, tuple[Series, ...]], ...], options: tuple[tuple[str, str], ...],
                 present: set[str]) -> str:
    """`index.html`: every week with data, latest first, with a sparkline per option; linked where a report exists."""
    rows = []
    peak = max((v for _, _, series in data_rows for s in series for v in s.shares), default=0.0)
    for week, stories, series in data_rows:
        sparks = [
            Markup(charts.sparkline(s.shares, charts.PALETTE[i % len(charts.PALETTE)],
                                    f"{s.label}: {pct(s.shares[-1])} in {week}", peak=peak, slots=WINDOW))
            for i, s in enumerate(series)
        ]
        shares = [s.shares[-1] for s in series]
        rows.append({"week": week, "stories": stories, "sparks": list(zip(sparks, shares, strict=True)),
                     "html": f"{week}.html" if f"{week}.html" in present else None,
                     "md": f"{week}.md" if f"{week}.md" in present else None})
    return _HTML.get_template("index.html.j2").render(rows=rows, options=options, palette=charts.PALETTE)
