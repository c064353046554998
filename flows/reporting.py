"""The weekly report as one plain function: reads → findings → pages → files.

`pledgewatch report` calls `build_reports` directly, so a report never starts Prefect; the Prefect report flow
(flows/report.py) calls the same function and publishes the Markdown as an artifact.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from models.errors import InputError
from models.report import parse_week, week_range
from models.settings import Settings
from models.taxonomy import load_taxonomy
from reports.findings import Sentence, index_rows, week_reports
from reports.render import render_index, render_week
from storage.db import reading
from storage.reads import report_data, week_span

FORMATS = ("md", "html")
NO_DATA = "No tagged articles yet: run `pledgewatch run` first.\n"


@dataclass(frozen=True)
class BuiltReports:
    out_dir: Path
    weeks: tuple[str, ...] = ()
    files: tuple[Path, ...] = ()
    markdown: dict[str, str] = field(default_factory=dict)  # week -> the Markdown report
    narrative: dict[str, tuple[Sentence, ...]] = field(default_factory=dict)


def default_out(db: Path) -> Path:
    """Reports go to a `reports/` folder beside the database."""
    return db.parent / "reports"


def choose_weeks(span: tuple[str, str], week: str | None, first: str | None, last: str | None) -> tuple[str, ...]:
    """The weeks to report: `week`, or `first`..`last`, or the latest; each must exist and hold data."""
    if week and (first or last):
        raise InputError("give either --week or --from/--to, not both")
    hi = (week or last or span[1]).strip()
    lo = (week or first or hi).strip()
    parse_week(lo), parse_week(hi)
    if parse_week(lo) > parse_week(hi):
        raise InputError(f"--from {lo} is after --to {hi}: swap them")
    for w in (lo, hi):
        if not span[0] <= w <= span[1]:
            raise InputError(f"no stories in {w}: the database covers {span[0]} to {span[1]}; pick a week in that range")
    return week_range(lo, hi)


def _write(path: Path, text: str) -> None:
    """Write through a temporary file and rename, so a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def build_reports(
    settings: Settings, week: str | None = None, first: str | None = None, last: str | None = None,
    formats: tuple[str, ...] = FORMATS, out: Path | None = None,
) -> BuiltReports:
    """Write `OUT/<week>.html`, `OUT/<week>.md` (charts in `OUT/<week>/`) for each week, and refresh `OUT/index.html`."""
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise InputError(f"--format must be md, html or both, not {', '.join(bad) or 'nothing'}")
    out_dir = out or default_out(settings.db)
    taxonomy = load_taxonomy(settings.taxonomy)
    with reading(settings.db, settings.lock_wait_s) as con:
        span = week_span(con)
        if span is None:
            return BuiltReports(out_dir)
        weeks = choose_weeks(span, week, first, last)
        data = report_data(con, taxonomy, weeks[0], weeks[-1])
    files: list[Path] = []
    markdown, narrative = {}, {}
    for r in week_reports(data, weeks):
        pages = render_week(r, formats, data.failing_now)
        for rel, text in pages.items():
            _write(out_dir / rel, text)
            files.append(out_dir / rel)
        markdown[r.week] = pages.get(f"{r.week}.md", "")
        narrative[r.week] = r.narrative
    present = {p.name for p in out_dir.glob("*-W*.*")}
    index = out_dir / "index.html"
    _write(index, render_index(index_rows(data), data.options, present))
    files.append(index)
    return BuiltReports(out_dir, weeks, tuple(files), markdown, narrative)
