"""Ingest: feeds → fetch (polite, conditional) → feedparser → full text → dedup → DuckDB.

One task per feed: fetch, parse, full text (for `full_text = true` sources) and MinHash signatures run
there, in parallel. The flow plans each fetch from the stored feed state, dedups across feeds, and
writes finished feeds in batches, one transaction per batch, so a crash loses at most the batch in flight.
"""

# No `from __future__ import annotations` here: a served Prefect run builds its parameter model from these
# annotations and cannot resolve them as strings.
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from extractors.dedup import DedupIndex, with_signature
from extractors.feeds import read_feed
from extractors.fetch import PAGE_ACCEPT, fetch
from extractors.fulltext import OK, apply_full_text
from extractors.politeness import HostGate, health_after, plan_fetch
from flows.processes import Offload
from flows.runtime import NO_CACHE, as_completed, flow, run_logger, task, threads
from models.domain import Article, FeedFetch, FeedRecord, FeedState, FetchPlan, ParsedFeed, Source
from models.settings import Settings
from models.sources import load_sources
from storage.db import migrate, run_lock, writing
from storage.reads import feed_article_ids, feed_states, known_articles
from storage.writes import record_batch, upsert_sources

LOGGER = logging.getLogger(__name__)
# Threads for fetch tasks; requests in flight are limited separately by Settings.concurrency and per_host.
WORKERS = 16
# From this many feeds due, parsing and MinHash go to worker processes (flows/processes.py); below it, starting
# them (0.5–1 s of imports) costs more than the second core gives back.
OFFLOAD_MIN_FEEDS = 16
OFFLOAD_PRELOAD = ("extractors.feeds",)


@dataclass
class FeedOutcome:
    name: str
    url: str
    items: int = 0
    new: int = 0
    rejected: int = 0
    error: str | None = None
    skipped: str | None = None  # why the feed was not fetched this run (backing off)
    copies: int = 0  # new articles that are copies of a canonical one
    warning: str | None = None


@dataclass
class IngestReport:
    feeds: list[FeedOutcome] = field(default_factory=list)

    @property
    def new(self) -> int:
        return sum(f.new for f in self.feeds)

    @property
    def failed(self) -> list[FeedOutcome]:
        return [f for f in self.feeds if f.error]

    @property
    def skipped(self) -> list[FeedOutcome]:
        return [f for f in self.feeds if f.skipped]


@dataclass(frozen=True)
class FeedResult:
    """What a fetch task hands back: the fetch without its body, and the parsed feed."""

    fetch: FeedFetch
    parsed: ParsedFeed
    note: str | None = None


def _read(
    fetched: FeedFetch, settings: Settings, seen_ids: frozenset[str], gate: HostGate, offload: Offload
) -> FeedResult:
    """Parse and sign for dedup (in a worker process when `offload` has one), fetch full text where asked. A bad
    document is logged and kept as an error."""
    if fetched.error is not None or fetched.not_modified:
        return FeedResult(replace(fetched, body=b""), ParsedFeed((), ()))
    full_text = fetched.source.full_text
    try:
        parsed = offload.run(read_feed, fetched, settings.max_bytes, not full_text)
    except Exception as e:  # feedparser on hostile input: record it, never stop the other feeds
        LOGGER.exception("parsing %s crashed", fetched.source.url)
        parsed = ParsedFeed((), (), warning=f"the parser crashed on this feed ({type(e).__name__}: {e})")
    articles = list(parsed.articles)
    note = None
    if full_text and articles:
        articles, note = _full_text(articles, settings, seen_ids, gate)
        articles = [with_signature(a) for a in articles]  # signed on the text they end with
    return FeedResult(replace(fetched, body=b""), replace(parsed, articles=tuple(articles)), note)


def _full_text(
    articles: list[Article], settings: Settings, seen_ids: frozenset[str], gate: HostGate
) -> tuple[list[Article], str | None]:
    """Fetch the pages of articles this feed has not carried before, and take their main text."""
    todo = [a for a in articles if a.id not in seen_ids]
    pages = {
        a.id: fetch(Source(a.source_url, a.url), user_agent=settings.user_agent, timeout_s=settings.timeout_s,
                    max_bytes=settings.max_bytes, max_redirects=settings.max_redirects, gate=gate, accept=PAGE_ACCEPT)
        for a in todo
    }
    done = {a.id: a for a in apply_full_text(todo, pages, settings.full_text_min_chars)}
    kept = [a.full_text_status for a in done.values() if a.full_text_status not in (None, OK)]
    note = f"full text: {len(kept)} of {len(todo)} pages kept the feed text (e.g. {kept[0]})" if kept else None
    return [done.get(a.id, a) for a in articles], note


FETCH_RETRIES = 2
RETRY_DELAYS_S = (1.0, 4.0)


# No task tags: a tagged task run asks the API for concurrency slots, and on a busy API (2,000 feeds against the
# temporary server) that 503 crashed the whole ingest.
@task(name="fetch-feed", task_run_name="fetch {source.name}", cache_policy=NO_CACHE)
def fetch_feed(
    source: Source, settings: Settings, plan: FetchPlan, seen_ids: frozenset[str], gate: HostGate, offload: Offload
) -> FeedResult:
    """Fetch and read one feed. I/O failures (timeouts, 5xx, 429) are retried here, never a bad document, and
    not when the server said when to come back (Retry-After). The last failure is the feed's outcome, one line
    in the report and in `sources`, not an exception for Prefect to log with a traceback."""
    for attempt in range(FETCH_RETRIES + 1):
        fetched = fetch(
            source,
            user_agent=settings.user_agent,
            timeout_s=settings.timeout_s,
            max_bytes=settings.max_bytes,
            max_redirects=settings.max_redirects,
            etag=plan.etag,
            last_modified=plan.last_modified,
            gate=gate,
        )
        if not (fetched.error and fetched.transient and fetched.retry_after_s is None) or attempt == FETCH_RETRIES:
            break
        run_logger(LOGGER).info("feed %s: %s; retry %d of %d", source.name, fetched.error, attempt + 1, FETCH_RETRIES)
        time.sleep(RETRY_DELAYS_S[attempt])
    return _read(fetched, settings, seen_ids, gate, offload)


def _plan(sources: Sequence[Source], states: dict[str, FeedState], settings: Settings, now: datetime) -> dict[str, FetchPlan]:
    return {
        s.url: plan_fetch(states.get(s.url), now, refetch_after_304s=settings.refetch_after_304s,
                          refetch_max_age_s=settings.refetch_max_age_s)
        for s in sources
    }


def _unique(sources: Sequence[Source]) -> list[Source]:
    out: dict[str, Source] = {}
    for s in sources:
        if s.url in out:
            LOGGER.warning("sources file lists %s twice (as %r and %r); fetching it once", s.url, out[s.url].name, s.name)
            continue
        out[s.url] = s
    return list(out.values())


def _warning(*parts: str | None) -> str | None:
    text = "; ".join(p for p in parts if p)
    return text or None


def _store(
    settings: Settings, results: Sequence[FeedResult], plans: dict[str, FetchPlan],
    states: dict[str, FeedState], index: DedupIndex,
) -> list[FeedOutcome]:
    """Dedup a batch of finished feeds against everything seen so far, write it in one transaction, log it."""
    order = sorted(
        (a for r in results for a in r.parsed.articles), key=lambda a: (a.published_at, a.source_url, a.id)
    )
    deduped = {(a.source_url, a.id): a for a in index.assign(order)}
    records = []
    for r in results:
        f = r.fetch
        if r.parsed.warning and f.error is None:
            f = replace(f, error=r.parsed.warning)
        health = health_after(states.get(f.source.url), f, f.error is not None,
                              base_s=settings.backoff_base_s, cap_s=settings.backoff_cap_s)
        records.append(FeedRecord(
            f, tuple(deduped[(a.source_url, a.id)] for a in r.parsed.articles), r.parsed.rejections, health,
            _warning(plans[f.source.url].note, r.parsed.notice, r.note),
        ))
    with writing(settings.db, settings.lock_wait_s) as con:
        new = record_batch(con, records)
    outcomes = [
        FeedOutcome(rec.fetch.source.name, rec.fetch.source.url, len(rec.articles), new[rec.fetch.source.url],
                    len(rec.rejections), rec.fetch.error, copies=sum(a.duplicate_of is not None for a in rec.articles),
                    warning=rec.warning)
        for rec in records
    ]
    _log_feeds(outcomes)
    return outcomes


def _log_feeds(outcomes: Sequence[FeedOutcome]) -> None:
    """One line per feed in the run's log (the Prefect UI shows them with the run)."""
    log = run_logger(LOGGER)
    for f in outcomes:
        if f.error:
            log.warning("feed %s failed: %s", f.name, f.error)
        else:
            log.info("feed %s: %d items, %d new, %d copies, %d rejected%s", f.name, f.items, f.new, f.copies,
                     f.rejected, f"; {f.warning}" if f.warning else "")


@flow(name="ingest", description="Fetch every feed in the sources file and store new articles.",
      log_prints=True, task_runner=threads(WORKERS))
def ingest_flow(settings: Settings, progress: Callable[[str], None] | None = None) -> IngestReport:
    sources = _unique(load_sources(settings.sources))  # a bad file fails before anything is locked or written
    with run_lock(settings.db, settings.lock_wait_s):  # one run at a time per database file
        return _ingest(settings, sources, progress)


def _ingest(settings: Settings, sources: list[Source], progress: Callable[[str], None] | None) -> IngestReport:
    now = datetime.now(UTC)
    with writing(settings.db, settings.lock_wait_s) as con:
        migrate(con)
        upsert_sources(con, sources)
        states = feed_states(con)
        known = known_articles(con, now - timedelta(days=settings.dedup_window_days))
        # Full-text feeds: the articles each has carried before, so their pages are not fetched again.
        seen = feed_article_ids(con, [s.url for s in sources if s.full_text])
    index = DedupIndex(known, settings.dedup_threshold)
    plans = _plan(sources, states, settings, now)
    gate = HostGate(settings.concurrency, settings.per_host)
    report = IngestReport()
    due = []
    for s in sources:
        if plans[s.url].skip:
            run_logger(LOGGER).warning("skipping feed %s: %s", s.name, plans[s.url].skip)
            report.feeds.append(FeedOutcome(s.name, s.url, skipped=plans[s.url].skip))
        else:
            due.append(s)
    workers = (os.cpu_count() or 1) if len(due) >= OFFLOAD_MIN_FEEDS else 0
    with Offload(workers, OFFLOAD_PRELOAD, meanwhile=index.build) as offload:
        futures = [fetch_feed.submit(s, settings, plans[s.url], seen.get(s.url, frozenset()), gate, offload) for s in due]
        by_future: dict[int, Source] = {id(f): s for f, s in zip(futures, due, strict=True)}
        batch: list[FeedResult] = []
        for done, fut in enumerate(as_completed(futures), start=1):
            batch.append(_result(by_future[id(fut)], fut))
            if progress:
                progress(f"fetched {done}/{len(futures)} feeds…")
            if len(batch) >= settings.ingest_batch:
                report.feeds.extend(_store(settings, batch, plans, states, index))
                batch = []
    if batch:
        report.feeds.extend(_store(settings, batch, plans, states, index))
    if offload.offloaded:
        run_logger(LOGGER).info("%d feeds parsed in %d worker processes", offload.offloaded, workers)
    position = {s.url: i for i, s in enumerate(sources)}
    report.feeds.sort(key=lambda f: position[f.url])
    return report


def _result(source: Source, fut: Any) -> FeedResult:
    """The task's result, or its final exception (after retries) as a failed fetch."""
    outcome = fut.result(raise_on_failure=False)
    if isinstance(outcome, FeedResult):
        return outcome
    error = str(outcome) if isinstance(outcome, BaseException) else f"fetch task ended without a result: {outcome!r}"
    return FeedResult(FeedFetch(source, datetime.now(UTC), error=error, transient=True), ParsedFeed((), ()))
