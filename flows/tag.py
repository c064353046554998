"""Tag: untagged or out-of-date articles → tagger (in batches) → tags in DuckDB."""

# No `from __future__ import annotations` here: a served Prefect run builds its parameter model from these
# annotations and cannot resolve them as strings.
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from extractors.tagger import Doc, Tagger
from flows.runners import in_flight, task_runner
from flows.runtime import NO_CACHE, flow, in_run, plain, run_logger, task, threads
from flows.tagging import build_tagger
from models.domain import TagResult
from models.settings import Settings
from storage.db import migrate, reading, run_lock, writing
from storage.reads import Untagged, articles_to_tag
from storage.writes import write_tags

LOGGER = logging.getLogger(__name__)


@dataclass
class TagReport:
    tagged: int
    with_options: int
    tagger_version: str


@task(name="tag-batch", cache_policy=NO_CACHE)
def tag_batch(settings: Settings, batch: list[Untagged]) -> list[TagResult]:
    tagger = build_tagger(settings.taxonomy, settings.encoder)
    return tagger.tag_batch([Doc(a.id, a.title, a.text, a.lang) for a in batch])


def tag_articles(
    settings: Settings, todo: Sequence[Untagged], progress: Callable[[str], None] | None = None,
    on_written: Callable[[list[TagResult]], None] | None = None,
) -> tuple[int, int]:
    """Tag in batches on the flow's task runner, a few batches ahead; write each in its own transaction, in order.

    Returns (articles tagged, of which discuss an option). Outside a flow run the batches run inline.
    """
    log = run_logger(LOGGER)
    chunks = [list(todo[i:i + settings.tag_batch]) for i in range(0, len(todo), settings.tag_batch)]
    inside = plain() or in_run()  # plain tasks submit to the plain flow's threads, or run at once outside one
    queued = iter(chunks)
    pending: deque[tuple[list[Untagged], Any]] = deque()

    def submit() -> None:
        chunk = next(queued, None)
        if chunk is not None:
            pending.append((chunk, tag_batch.submit(settings, chunk) if inside else None))

    for _ in range(in_flight(settings)):
        submit()
    done = with_options = batch = 0
    while pending:
        chunk, future = pending.popleft()
        results: list[TagResult] = future.result() if future is not None else tag_batch.fn(settings, chunk)
        submit()
        with writing(settings.db, settings.lock_wait_s) as con:
            write_tags(con, results, datetime.now(UTC))
        if on_written:
            on_written(results)
        batch += 1
        done += len(results)
        n_opts = sum(1 for r in results if r.options)
        with_options += n_opts
        log.info("tag batch %d/%d: %d articles, %d discuss an option", batch, len(chunks), len(results), n_opts)
        if progress:
            progress(f"tagged {done}/{len(todo)} articles…")
    return done, with_options


@flow(name="tag", description="Tag articles not yet tagged by this tagger and taxonomy version.",
      task_runner=threads(1))
def tag_flow(settings: Settings, progress: Callable[[str], None] | None = None) -> TagReport:
    tagger = build_tagger(settings.taxonomy, settings.encoder)  # a bad taxonomy or encoder fails before any lock
    with run_lock(settings.db, settings.lock_wait_s):  # one run at a time per database file
        return _tag(settings, tagger, progress)


def _tag(settings: Settings, tagger: Tagger, progress: Callable[[str], None] | None) -> TagReport:
    with writing(settings.db, settings.lock_wait_s) as con:
        migrate(con)
    with reading(settings.db, settings.lock_wait_s) as con:
        todo = articles_to_tag(con, tagger.version, tagger.taxonomy.version)
    done, with_options = tag_articles(settings, todo, progress)
    return TagReport(done, with_options, tagger.version)


F = TypeVar("F")


def on_runner(f: F, settings: Settings) -> F:
    """The flow with the task runner the settings ask for (PLEDGEWATCH_TASK_RUNNER)."""
    if settings.task_runner == "thread":
        return f
    return cast(F, f.with_options(task_runner=task_runner(settings)))  # type: ignore[attr-defined]
