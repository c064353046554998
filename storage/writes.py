"""Idempotent bulk writes. Each function writes one batch inside one transaction.

Rows go in as columns through `INSERT … SELECT unnest(?) …`, never row by row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

import duckdb

from models.domain import Article, FeedRecord, Source, TagResult


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.execute("BEGIN")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, list], conflict: str = "DO NOTHING") -> None:
    if not next(iter(columns.values())):
        return
    names = ", ".join(columns)
    selects = ", ".join(f"unnest(${i + 1})" for i in range(len(columns)))
    con.execute(f"INSERT INTO {table} ({names}) SELECT {selects} ON CONFLICT {conflict}", list(columns.values()))


def upsert_sources(con: duckdb.DuckDBPyConnection, sources: Sequence[Source]) -> None:
    _insert(
        con,
        "sources",
        {"url": [s.url for s in sources], "name": [s.name for s in sources], "lang": [s.lang for s in sources]},
        conflict="DO UPDATE SET name = excluded.name, lang = excluded.lang",
    )


def iso_week(at: datetime) -> str:
    """The ISO week of a time in UTC, e.g. '2026-W47': the same string as DuckDB's strftime(…, '%G-W%V')."""
    year, week, _ = at.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


def _article_columns(articles: Sequence[Article]) -> dict[str, list]:
    return {
        "id": [a.id for a in articles],
        "url": [a.url for a in articles],
        "source_url": [a.source_url for a in articles],
        "title": [a.title for a in articles],
        "summary": [a.summary for a in articles],
        "body": [a.body for a in articles],
        "published_at": [a.published_at for a in articles],
        "date_missing": [a.date_missing for a in articles],
        "fetched_at": [a.fetched_at for a in articles],
        "lang": [a.lang for a in articles],
        "content_hash": [a.content_hash for a in articles],
        "duplicate_of": [a.duplicate_of for a in articles],
        "minhash": [list(a.minhash) or None for a in articles],
        "full_text_status": [a.full_text_status for a in articles],
        "week": [iso_week(a.published_at) for a in articles],
    }


def _existing_ids(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> set[str]:
    if not ids:
        return set()
    rows = con.execute("SELECT a.id FROM articles a JOIN (SELECT unnest(?) AS id) u ON u.id = a.id", [list(ids)])
    return {r[0] for r in rows.fetchall()}


def record_batch(con: duckdb.DuckDBPyConnection, records: Sequence[FeedRecord]) -> dict[str, int]:
    """Store several feeds' outcomes in one transaction; return the new-article count per feed URL.

    Idempotent: articles are keyed by id, sightings by (feed, article), rejections by (feed, item key),
    fetches by (feed, time). A crash before COMMIT leaves none of the batch behind.
    """
    new: dict[str, int] = {r.fetch.source.url: 0 for r in records}
    if not records:
        return new
    with transaction(con):
        all_articles = [a for r in records for a in r.articles]
        existing = _existing_ids(con, [a.id for a in all_articles])
        fresh: dict[str, Article] = {}
        for r in records:
            for a in r.articles:
                if a.id not in existing and a.id not in fresh:
                    fresh[a.id] = a
                    new[r.fetch.source.url] += 1
        _insert(con, "articles", _article_columns(list(fresh.values())))
        seen = {(a.source_url, a.id): a.fetched_at for a in all_articles}
        _insert(
            con,
            "feed_items",
            {
                "source_url": [k[0] for k in seen],
                "article_id": [k[1] for k in seen],
                "first_seen_at": list(seen.values()),
            },
        )
        rejected = {(j.source_url, j.item_key): (j.reason, r.fetch.fetched_at) for r in records for j in r.rejections}
        _insert(
            con,
            "rejections",
            {
                "source_url": [k[0] for k in rejected],
                "item_key": [k[1] for k in rejected],
                "reason": [v[0] for v in rejected.values()],
                "seen_at": [v[1] for v in rejected.values()],
            },
            conflict="DO UPDATE SET reason = excluded.reason, seen_at = excluded.seen_at",
        )
        fetches = [r.fetch for r in records]
        _insert(
            con,
            "fetches",
            {
                "source_url": [f.source.url for f in fetches],
                "fetched_at": [f.fetched_at for f in fetches],
                "status": [f.status for f in fetches],
                "items": [len(r.articles) for r in records],
                "new_items": [new[r.fetch.source.url] for r in records],
                "rejected": [len(r.rejections) for r in records],
                "latency_ms": [f.latency_ms for f in fetches],
                "error": [f.error for f in fetches],
                "conditional": [f.conditional for f in fetches],
                "warning": [r.warning for r in records],
            },
        )
        _update_sources(con, records)
    return new


def _update_sources(con: duckdb.DuckDBPyConnection, records: Sequence[FeedRecord]) -> None:
    """Per-feed health after a fetch; validators are kept from the last successful full response."""
    latest = {r.fetch.source.url: r for r in sorted(records, key=lambda r: r.fetch.fetched_at)}
    rs = list(latest.values())
    ok = [r.fetch.error is None for r in rs]
    full = [r.fetch.error is None and not r.fetch.not_modified for r in rs]
    columns = {
        "url": [r.fetch.source.url for r in rs],
        "at": [r.fetch.fetched_at for r in rs],
        "ok": ok,
        "full": full,
        "error": [r.fetch.error for r in rs],
        "status": [r.fetch.status for r in rs],
        "items": [len(r.articles) for r in rs],
        "latency": [r.fetch.latency_ms for r in rs],
        "etag": [r.fetch.etag for r in rs],
        "lm": [r.fetch.last_modified for r in rs],
        "warning": [r.warning for r in rs],
        "has_health": [r.health is not None for r in rs],
        "c304": [r.health.consecutive_304 if r.health else 0 for r in rs],
        "last_200": [r.health.last_200_at if r.health else None for r in rs],
        "next_after": [r.health.next_fetch_after if r.health else None for r in rs],
    }
    selects = ", ".join(f"unnest(${i + 1}) AS {name}" for i, name in enumerate(columns))
    con.execute(
        f"""
        UPDATE sources SET
            last_fetch_at = u.at,
            last_success_at = CASE WHEN u.ok THEN u.at ELSE sources.last_success_at END,
            last_error = CASE WHEN u.ok THEN NULL ELSE u.error END,
            last_status = u.status,
            consecutive_failures = CASE WHEN u.ok THEN 0 ELSE sources.consecutive_failures + 1 END,
            last_items = CASE WHEN u.full THEN u.items ELSE sources.last_items END,
            last_latency_ms = u.latency,
            last_warning = u.warning,
            -- A full response replaces both validators: a server that drops its ETag must not keep an old one.
            etag = CASE WHEN u.full THEN u.etag ELSE sources.etag END,
            last_modified = CASE WHEN u.full THEN u.lm ELSE sources.last_modified END,
            consecutive_304 = CASE WHEN u.has_health THEN u.c304
                                   WHEN u.full THEN 0 ELSE coalesce(sources.consecutive_304, 0) END,
            last_200_at = CASE WHEN u.has_health THEN u.last_200
                               WHEN u.full THEN u.at ELSE sources.last_200_at END,
            next_fetch_after = CASE WHEN u.has_health THEN u.next_after ELSE NULL END
        FROM (SELECT {selects}) AS u
        WHERE sources.url = u.url
        """,
        list(columns.values()),
    )


def write_tags(con: duckdb.DuckDBPyConnection, results: Sequence[TagResult], tagged_at: datetime) -> None:
    """Replace the tags of these articles for their tagger version, in one transaction."""
    if not results:
        return
    ids = [r.doc_id for r in results]
    version = results[0].tagger_version
    with transaction(con):
        for table in ("taggings", "option_tags", "evidence", "actor_mentions"):
            con.execute(
                f"DELETE FROM {table} USING (SELECT unnest(?) AS id) u WHERE article_id = u.id AND tagger_version = ?",
                [ids, version],
            )
        # The tagging written now becomes each article's one current tagging; older versions stay, not current.
        con.execute(
            "UPDATE taggings SET is_current = false FROM (SELECT unnest(?) AS id) u "
            "WHERE taggings.article_id = u.id AND taggings.is_current",
            [ids],
        )
        _insert(
            con,
            "taggings",
            {
                "article_id": ids,
                "tagger_version": [r.tagger_version for r in results],
                "taxonomy_version": [r.taxonomy_version for r in results],
                "lang": [r.lang for r in results],
                "tagged_at": [tagged_at for _ in results],
                "is_current": [True for _ in results],
            },
        )
        opts = [(r, o) for r in results for o in r.options]
        _insert(
            con,
            "option_tags",
            {
                "article_id": [r.doc_id for r, _ in opts],
                "tagger_version": [r.tagger_version for r, _ in opts],
                "taxonomy_version": [r.taxonomy_version for r, _ in opts],
                "option_id": [o.option_id for _, o in opts],
                "score": [o.score for _, o in opts],
            },
        )
        ev = [(r, o, i, e) for r, o in opts for i, e in enumerate(o.evidence, start=1)]
        _insert(
            con,
            "evidence",
            {
                "article_id": [r.doc_id for r, _, _, _ in ev],
                "tagger_version": [r.tagger_version for r, _, _, _ in ev],
                "option_id": [o.option_id for _, o, _, _ in ev],
                "rank": [i for _, _, i, _ in ev],
                "sentence": [e.sentence for _, _, _, e in ev],
                "score": [e.score for _, _, _, e in ev],
            },
        )
        acts = [(r, a) for r in results for a in r.actors]
        _insert(
            con,
            "actor_mentions",
            {
                "article_id": [r.doc_id for r, _ in acts],
                "tagger_version": [r.tagger_version for r, _ in acts],
                "taxonomy_version": [r.taxonomy_version for r, _ in acts],
                "actor_id": [a.actor_id for _, a in acts],
                "mentions": [a.mentions for _, a in acts],
                "evidence_options": [list(a.evidence_options) for _, a in acts],
            },
        )
