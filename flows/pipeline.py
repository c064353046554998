"""The main job: ingest, tag, then the weekly summary."""

# No `from __future__ import annotations` here: a served Prefect run builds its parameter model from these
# annotations and cannot resolve them as strings.
from collections.abc import Callable
from dataclasses import dataclass

from prefect import flow

from flows.ingest import IngestReport, ingest_flow
from flows.report import report_flow
from flows.tag import TagReport, on_runner, tag_flow
from models.settings import Settings


@dataclass
class RunReport:
    ingest: IngestReport
    tag: TagReport
    summary: str


@flow(name="pipeline")
def pipeline_flow(
    settings: Settings, week: str | None = None, progress: Callable[[str], None] | None = None
) -> RunReport:
    ingested = ingest_flow(settings, progress)
    tagged = on_runner(tag_flow, settings)(settings, progress)
    summary = report_flow(settings, week)
    return RunReport(ingested, tagged, summary)
