"""Ingest: feeds → feedparser → Articles → DuckDB, one task per feed fetch."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from dataclasses import dataclass, field

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from extractors.feeds import parse_feed
from extractors.fetch import fetch
from models.domain import FeedFetch, ParsedFeed, Source
from models.errors import TransientError
from models.settings import Settings
from models.sources import load_sources
from storage.db import migrate, writing
from storage.writes import record_fetch, upsert_sources

LOGGER = logging.getLogger(__name__)


@dataclass
class FeedOutcome:
    name: str
    url: str
    items: int = 0
    new: int = 0
    rejected: int = 0
    error: str | None = None


@dataclass
class IngestReport:
    feeds: list[FeedOutcome] = field(default_factory=list)

    @property
    def new(self) -> int:
        return sum(f.new for f in self.feeds)

    @property
    def failed(self) -> list[FeedOutcome]:
        return [f for f in self.feeds if f.error]


@task(name="fetch-feed", retries=2, retry_delay_seconds=[1, 4], cache_policy=NO_CACHE)
def fetch_feed(source: Source, settings: Settings, etag: str | None, last_modified: str | None) -> FeedFetch:
    result = fetch(
        source,
        user_agent=settings.user_agent,
        timeout_s=settings.timeout_s,
        max_bytes=settings.max_bytes,
        max_redirects=settings.max_redirects,
        etag=etag,
        last_modified=last_modified,
    )
    if result.error and result.transient:
        raise TransientError(result.error)  # Prefect retries I/O failures only
    return result


def _store(settings: Settings, fetched: FeedFetch) -> FeedOutcome:
    parsed = parse_feed(fetched, settings.max_bytes) if fetched.error is None and not fetched.not_modified else ParsedFeed((), ())
    if parsed.warning and fetched.error is None:
        fetched = replace(fetched, error=parsed.warning)
    with writing(settings.db, settings.lock_wait_s) as con:
        new = record_fetch(con, fetched, parsed.articles, parsed.rejections)
    return FeedOutcome(fetched.source.name, fetched.source.url, len(parsed.articles), new, len(parsed.rejections),
                       fetched.error)


@flow(name="ingest", log_prints=True)
def ingest_flow(settings: Settings) -> IngestReport:
    sources = load_sources(settings.sources)
    with writing(settings.db, settings.lock_wait_s) as con:
        migrate(con)
        upsert_sources(con, sources)
        validators = dict(
            (url, (etag, lm)) for url, etag, lm in con.execute("SELECT url, etag, last_modified FROM sources").fetchall()
        )
    futures = [fetch_feed.submit(s, settings, *validators.get(s.url, (None, None))) for s in sources]
    report = IngestReport()
    for source, fut in zip(sources, futures, strict=True):
        outcome = fut.result(raise_on_failure=False)
        if isinstance(outcome, BaseException):
            outcome = FeedFetch(source, datetime.now(UTC), error=str(outcome), transient=True)
        report.feeds.append(_store(settings, outcome))
    for f in report.failed:
        LOGGER.warning("feed %s failed: %s", f.name, f.error)
    return report
