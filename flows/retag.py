"""Backfill: re-tag articles whose current tags came from an older tagger or taxonomy version, and prune
old versions' rows."""

# No `from __future__ import annotations` here: a served Prefect run builds its parameter model from these
# annotations and cannot resolve them as strings.
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from extractors.retag import RetagSummary, option_changes
from flows.runtime import flow, run_logger, threads
from flows.tag import tag_articles
from flows.tagging import build_tagger
from models.domain import TagResult
from models.settings import Settings
from storage.db import migrate, reading, run_lock, writing
from storage.versions import articles_to_retag, current_options, prune_versions

LOGGER = logging.getLogger(__name__)


@dataclass
class RetagReport:
    tagger_version: str
    taxonomy_version: str
    summary: RetagSummary


def retag(settings: Settings, since: datetime | None = None, everything: bool = False,
          progress: Callable[[str], None] | None = None) -> RetagReport:
    """Re-tag with the current tagger; old versions' rows stay until pruned. Safe to stop and rerun:
    each batch is written in one transaction, and a rerun picks up the articles still on an older version."""
    tagger = build_tagger(settings.taxonomy, settings.encoder)
    summary = RetagSummary()
    with run_lock(settings.db, settings.lock_wait_s):  # one run at a time per database file
        with writing(settings.db, settings.lock_wait_s) as con:
            migrate(con)
        with reading(settings.db, settings.lock_wait_s) as con:
            todo = articles_to_retag(con, tagger.version, tagger.taxonomy.version, since=since, everything=everything)
            before = current_options(con, [a.id for a in todo])
        run_logger(LOGGER).info("re-tagging %d articles with %s (taxonomy %s)", len(todo), tagger.version,
                                tagger.taxonomy.version)

        def written(results: list[TagResult]) -> None:
            summary.add(option_changes(before, results))

        tag_articles(settings, todo, progress, written)
    return RetagReport(tagger.version, tagger.taxonomy.version, summary)


@flow(name="retag", description="Re-tag articles tagged by an older tagger or taxonomy version.",
      task_runner=threads(1))
def retag_flow(settings: Settings, since: datetime | None = None, everything: bool = False,
               progress: Callable[[str], None] | None = None) -> RetagReport:
    return retag(settings, since, everything, progress)


def prune(settings: Settings, keep_versions: int) -> dict[str, int]:
    """Delete all but the newest `keep_versions` tagger versions' rows (never an article's current tags)."""
    with run_lock(settings.db, settings.lock_wait_s), writing(settings.db, settings.lock_wait_s) as con:
        migrate(con)
        return prune_versions(con, keep_versions)
