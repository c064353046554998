"""Tag: untagged or out-of-date articles → tagger (in batches) → tags in DuckDB."""

# No `from __future__ import annotations` here: a served Prefect run builds its parameter model from these
# annotations and cannot resolve them as strings.
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from extractors.tagger import Doc, Tagger
from flows.runtime import NO_CACHE, flow, task
from flows.tagging import build_tagger
from models.domain import TagResult
from models.settings import Settings
from storage.db import migrate, reading, run_lock, writing
from storage.reads import Untagged, articles_to_tag
from storage.writes import write_tags


@dataclass
class TagReport:
    tagged: int
    with_options: int
    tagger_version: str


@task(name="tag-batch", cache_policy=NO_CACHE)
def tag_batch(settings: Settings, batch: list[Untagged]) -> list[TagResult]:
    tagger = build_tagger(settings.taxonomy, settings.encoder)
    return tagger.tag_batch([Doc(a.id, a.title, a.text, None) for a in batch])


@flow(name="tag")
def tag_flow(settings: Settings, progress: Callable[[str], None] | None = None) -> TagReport:
    tagger = build_tagger(settings.taxonomy, settings.encoder)  # a bad taxonomy or encoder fails before any lock
    with run_lock(settings.db, settings.lock_wait_s):  # one run at a time per database file
        return _tag(settings, tagger, progress)


def _tag(settings: Settings, tagger: Tagger, progress: Callable[[str], None] | None) -> TagReport:
    with writing(settings.db, settings.lock_wait_s) as con:
        migrate(con)
    with reading(settings.db, settings.lock_wait_s) as con:
        todo = articles_to_tag(con, tagger.version, tagger.taxonomy.version)
    done = with_options = 0
    for start in range(0, len(todo), settings.tag_batch):
        results = tag_batch(settings, todo[start:start + settings.tag_batch])
        with writing(settings.db, settings.lock_wait_s) as con:
            write_tags(con, results, datetime.now(UTC))
        done += len(results)
        with_options += sum(1 for r in results if r.options)
        if progress:
            progress(f"tagged {done}/{len(todo)} articles…")
    return TagReport(done, with_options, tagger.version)
