"""Render the weekly summary with jinja2."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from models.domain import WeeklySummary

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,
)


def _delta(n: int) -> str:
    return f"{n:+d}"


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _pp(x: float) -> str:
    return f"{100 * x:+.0f} pp"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def render_markdown(summary: WeeklySummary) -> str:
    return _ENV.get_template("weekly.md.j2").render(s=summary, delta=_delta, pct=_pct, pp=_pp, n=_n)
