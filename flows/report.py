"""Report: the weekly reports as a Prefect flow, for scheduled runs; it publishes each Markdown report as an artifact."""

# No `from __future__ import annotations` here: a served Prefect run builds its parameter model from these
# annotations and cannot resolve them as strings.
from flows.reporting import NO_DATA, build_reports
from flows.runtime import flow, plain
from models.settings import Settings


def artifact_key(week: str) -> str:
    """A stable Prefect artifact key per week ("weekly-report-2026-w47": lowercase letters, digits, dashes)."""
    return f"weekly-report-{week.lower()}"


@flow(name="report")
def report_flow(settings: Settings, week: str | None = None, first: str | None = None, last: str | None = None) -> str:
    """Write the reports (the same function `pledgewatch report` calls) and publish them; return the last Markdown."""
    built = build_reports(settings, week, first, last)
    if plain():  # a one-shot command with no Prefect API: nowhere to publish
        return built.markdown[built.weeks[-1]] if built.weeks else NO_DATA
    from prefect.artifacts import create_markdown_artifact

    for w, md in built.markdown.items():
        create_markdown_artifact(
            markdown=md, key=artifact_key(w),
            description=f"pledgewatch weekly report {w}; HTML with charts: {built.out_dir / (w + '.html')}",
        )
    return built.markdown[built.weeks[-1]] if built.weeks else NO_DATA
