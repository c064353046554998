"""Report: trend views → weekly Markdown summary."""

# No `from __future__ import annotations` here: a served Prefect run builds its parameter model from these
# annotations and cannot resolve them as strings.
from flows.runtime import flow
from models.render import render_markdown
from models.settings import Settings
from models.taxonomy import load_taxonomy
from storage.db import reading
from storage.reads import latest_week, weekly_summary


@flow(name="report")
def report_flow(settings: Settings, week: str | None = None) -> str:
    taxonomy = load_taxonomy(settings.taxonomy)
    with reading(settings.db, settings.lock_wait_s) as con:
        week = week or latest_week(con)
        if week is None:
            return "No tagged articles yet: run `pledgewatch run` first.\n"
        return render_markdown(weekly_summary(con, week, taxonomy))
