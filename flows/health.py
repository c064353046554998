"""Feed health as a rich table, for `pledgewatch sources`."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from rich.table import Table

LOGGER = logging.getLogger(__name__)
_STYLE = {"ok": "green", "failing": "red", "backing off": "yellow", "never fetched": "dim"}


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else "—"


def _num(value: Any, unit: str = "") -> str:
    return "—" if value is None else f"{value:g}{unit}"


def health_table(columns: list[str], rows: list[tuple[Any, ...]]) -> Table:
    """A rich table of the feed_health rows: one line per feed, worst first."""
    t = Table(title="feed health", show_lines=False)
    for name, justify in (("feed", "left"), ("status", "left"), ("last success", "left"), ("fails", "right"),
                          ("items/fetch", "right"), ("latency", "right"), ("backoff until", "left"),
                          ("articles", "right"), ("copies", "right"), ("rejected", "right"), ("last error / warning", "left")):
        t.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        r = dict(zip(columns, row, strict=True))
        status = str(r["status"])
        problem = r["last_error"] or r["last_warning"] or ""
        t.add_row(
            str(r["name"]), f"[{_STYLE.get(status, 'white')}]{status}[/]", _when(r["last_success_at"]),
            str(r["consecutive_failures"]), _num(r["items_per_fetch"]), _num(r["avg_latency_ms"], " ms"),
            _when(r["backoff_until"]), str(r["articles"]), str(r["copies"]), str(r["rejected"]),
            f"[red]{problem}[/]" if r["last_error"] else problem,
        )
    return t
