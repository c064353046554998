"""The main job: ingest, tag, then the weekly summary."""

# No `from __future__ import annotations` here: a served Prefect run builds its parameter model from these
# annotations and cannot resolve them as strings.
from collections.abc import Callable
from dataclasses import dataclass

from flows.ingest import IngestReport, ingest_flow
from flows.report import report_flow
from flows.runtime import flow
from flows.tag import TagReport, on_runner, tag_flow
from flows.tagging import build_tagger
from models.settings import Settings
from models.sources import load_sources
from storage.db import run_lock


@dataclass
class RunReport:
    ingest: IngestReport
    tag: TagReport
    summary: str


@flow(name="pipeline")
def pipeline_flow(
    settings: Settings, week: str | None = None, progress: Callable[[str], None] | None = None
) -> RunReport:
    # Bad input (sources, taxonomy, encoder) fails here, before anything is locked or written.
    load_sources(settings.sources)
    build_tagger(settings.taxonomy, settings.encoder)  # cached: tag_flow gets the same tagger
    with run_lock(settings.db, settings.lock_wait_s):  # one run at a time per database file
        ingested = ingest_flow(settings, progress)
        tagged = on_runner(tag_flow, settings)(settings, progress)
    summary = report_flow(settings, week)
    return RunReport(ingested, tagged, summary)
