"""Deployments: what `pledgewatch serve` runs on a Prefect server, and what prefect.yaml deploys.

    ingest-and-tag   fetch every feed, tag what is new        every 30 min (PLEDGEWATCH_INGEST_EVERY_S /
                                                              PLEDGEWATCH_INGEST_CRON)
    weekly-report    write the last full week's report        Mondays 06:00 (PLEDGEWATCH_REPORT_CRON) in
                     to REPORT_DIR/WEEK.md and .html          PLEDGEWATCH_REPORT_TZ (default UTC)

Schedules are settings, not code. Each deployment runs one flow run at a time (DuckDB has one writer).
The flows take `settings=None` too: a worker started from prefect.yaml builds them from its environment.
"""

# No `from __future__ import annotations` here: a served Prefect run builds its parameter model from these
# annotations and cannot resolve them as strings.
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prefect import flow, serve
from prefect.artifacts import create_markdown_artifact
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Interval, Schedule

from flows.ingest import ingest_flow
from flows.report import artifact_key
from flows.reporting import build_reports, default_out
from flows.runtime import run_logger
from flows.tag import on_runner, tag_flow
from models.errors import ConfigError
from models.settings import Settings
from storage.db import reading
from storage.reads import week_span

LOGGER = logging.getLogger(__name__)
TAGS = ["pledgewatch"]


@dataclass
class IngestAndTag:
    feeds: int
    failed: int
    new: int
    tagged: int
    with_options: int


@flow(name="ingest-and-tag", description="Fetch every feed into DuckDB, then tag the new articles.")
def ingest_and_tag(settings: Settings | None = None) -> IngestAndTag:
    s = settings or Settings()
    ingested = ingest_flow(s)
    tagged = on_runner(tag_flow, s)(s)
    run_logger(LOGGER).info("%d feeds (%d failed), %d new articles, %d tagged (%d discuss an option)",
                            len(ingested.feeds), len(ingested.failed), ingested.new, tagged.tagged, tagged.with_options)
    return IngestAndTag(len(ingested.feeds), len(ingested.failed), ingested.new, tagged.tagged, tagged.with_options)


def report_dir(settings: Settings) -> Path:
    return settings.report_dir or default_out(Path(str(settings.db)))


def last_full_week(now: datetime, tz: str) -> str:
    """The ISO week before the one `now` falls in, in the report's timezone: on Monday 06:00, last week."""
    return (now.astimezone(ZoneInfo(tz)) - timedelta(days=7)).strftime("%G-W%V")


@flow(name="weekly-report", description="Write the weekly report of the last full week to the report folder.")
def weekly_report(settings: Settings | None = None, week: str | None = None) -> str:
    """The report on `week`, by default the latest week with stories up to the last full one; returns its path.

    Calls the same plain function as `pledgewatch report` and publishes the Markdown as a Prefect artifact.
    """
    s = settings or Settings()
    log = run_logger(LOGGER)
    if week is None:
        until = last_full_week(datetime.now(UTC), s.report_tz)
        with reading(s.db, s.lock_wait_s) as con:
            span = week_span(con)
        if span is None or span[0] > until:
            log.info("no stories up to %s yet: no report", until)
            return ""
        week = min(span[1], until)
    built = build_reports(s, week, out=report_dir(s))
    for w, md in built.markdown.items():
        create_markdown_artifact(markdown=md, key=artifact_key(w), description=f"pledgewatch weekly report {w}")
    log.info("weekly report for %s written to %s", week, built.out_dir)
    return str(built.out_dir / f"{week}.md")


def schedules(settings: Settings) -> tuple[Schedule, Schedule]:
    """(ingest-and-tag, weekly-report) schedules from the settings; a bad value is a ConfigError naming it."""
    try:
        ZoneInfo(settings.report_tz)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ConfigError(
            f"PLEDGEWATCH_REPORT_TZ={settings.report_tz!r} is not a timezone; use an IANA name like Europe/Kyiv or UTC"
        ) from e
    try:
        ingest: Schedule = (Cron(settings.ingest_cron, timezone=settings.report_tz) if settings.ingest_cron
                            else Interval(timedelta(seconds=settings.ingest_every_s)))
    except ValueError as e:
        raise ConfigError(f"PLEDGEWATCH_INGEST_CRON={settings.ingest_cron!r} is not a cron schedule: {e}") from e
    try:
        report = Cron(settings.report_cron, timezone=settings.report_tz)
    except ValueError as e:
        raise ConfigError(f"PLEDGEWATCH_REPORT_CRON={settings.report_cron!r} is not a cron schedule: {e}") from e
    return ingest, report


def deployments(settings: Settings) -> list[RunnerDeployment]:
    ingest, report = schedules(settings)
    parameters: dict[str, Any] = {"settings": settings.model_dump(mode="json")}
    return [
        cast(RunnerDeployment, ingest_and_tag.to_deployment(
            name="ingest-and-tag", schedule=ingest, parameters=parameters, concurrency_limit=1,
            tags=[*TAGS, "ingest"], description="Fetch every feed, then tag the new articles.")),
        cast(RunnerDeployment, weekly_report.to_deployment(
            name="weekly-report", schedule=report, parameters=parameters, concurrency_limit=1,
            tags=[*TAGS, "report"], description="Write the weekly summary of the last full week.")),
    ]


def serve_all(settings: Settings) -> None:
    """Serve both deployments from this process until stopped (Ctrl-C)."""
    serve(*deployments(settings), limit=2)  # type: ignore[arg-type]
