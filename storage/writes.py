"""Idempotent bulk writes. Each function writes one batch inside one transaction.

Rows go in as columns through `INSERT … SELECT unnest(?) …`, never row by row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

import duckdb

from models.domain import Article, FeedFetch, Rejection, Source, TagResult


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


def insert_articles(con: duckdb.DuckDBPyConnection, articles: Sequence[Article]) -> int:
    """Insert articles whose id is new; return how many were new."""
    before = con.execute("SELECT count(*) FROM articles").fetchone()[0]  # type: ignore[index]
    _insert(
        con,
        "articles",
        {
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
        },
    )
    after = con.execute("SELECT count(*) FROM articles").fetchone()[0]  # type: ignore[index]
    return int(after - before)


def record_fetch(
    con: duckdb.DuckDBPyConnection,
    fetch: FeedFetch,
    articles: Sequence[Article],
    rejections: Sequence[Rejection],
) -> int:
    """Store one feed's outcome in one transaction: its articles, rejections, fetch log and health."""
    with transaction(con):
        new = insert_articles(con, articles)
        _insert(
            con,
            "rejections",
            {
                "source_url": [r.source_url for r in rejections],
                "item_key": [r.item_key for r in rejections],
                "reason": [r.reason for r in rejections],
                "seen_at": [fetch.fetched_at for _ in rejections],
            },
            conflict="DO UPDATE SET reason = excluded.reason, seen_at = excluded.seen_at",
        )
        con.execute(
            "INSERT INTO fetches VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [fetch.source.url, fetch.fetched_at, fetch.status, len(articles), new, len(rejections),
             fetch.latency_ms, fetch.error],
        )
        ok = fetch.error is None
        con.execute(
            """
            UPDATE sources SET
                last_fetch_at = $at,
                last_success_at = CASE WHEN $ok THEN $at ELSE last_success_at END,
                last_error = CASE WHEN $ok THEN NULL ELSE $error END,
                consecutive_failures = CASE WHEN $ok THEN 0 ELSE consecutive_failures + 1 END,
                last_items = CASE WHEN $ok THEN $items ELSE last_items END,
                last_latency_ms = $latency,
                etag = CASE WHEN $ok THEN coalesce($etag, etag) ELSE etag END,
                last_modified = CASE WHEN $ok THEN coalesce($lm, last_modified) ELSE last_modified END
            WHERE url = $url
            """,
            {
                "at": fetch.fetched_at, "ok": ok, "error": fetch.error, "items": len(articles),
                "latency": fetch.latency_ms, "etag": fetch.etag, "lm": fetch.last_modified, "url": fetch.source.url,
            },
        )
    return new


def write_tags(con: duckdb.DuckDBPyConnection, results: Sequence[TagResult], tagged_at: datetime) -> None:
    """Replace the tags of these articles for their tagger version, in one transaction."""
    if not results:
        return
    ids = [r.doc_id for r in results]
    version = results[0].tagger_version
    with transaction(con):
        for table in ("taggings", "option_tags", "evidence", "actor_mentions"):
            con.execute(f"DELETE FROM {table} WHERE tagger_version = ? AND list_contains(?, article_id)", [version, ids])
        _insert(
            con,
            "taggings",
            {
                "article_id": ids,
                "tagger_version": [r.tagger_version for r in results],
                "taxonomy_version": [r.taxonomy_version for r in results],
                "lang": [r.lang for r in results],
                "tagged_at": [tagged_at for _ in results],
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
