"""Reads: what to tag next, the weekly summary from the trend views, and ad-hoc SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from models.domain import FeedState, KnownArticle, WeeklyOption, WeeklySummary
from models.errors import ReadOnlyQuery
from models.taxonomy import Taxonomy
from storage.db import translate

# What `pledgewatch sql` runs; everything else (INSERT, CREATE, ATTACH, INSTALL, …) is refused up front.
READ_STATEMENTS = frozenset({
    duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN, duckdb.StatementType.PRAGMA,
    duckdb.StatementType.CALL, duckdb.StatementType.COPY, duckdb.StatementType.SET,
    duckdb.StatementType.VARIABLE_SET,
})


@dataclass(frozen=True)
class Untagged:
    id: str
    title: str
    text: str
    lang: str | None


def articles_to_tag(
    con: duckdb.DuckDBPyConnection, tagger_version: str, taxonomy_version: str, limit: int | None = None
) -> list[Untagged]:
    """Articles with no tagging by this tagger and taxonomy version, oldest first."""
    sql = """
        SELECT a.id, a.title, CASE WHEN a.body <> '' THEN a.body ELSE a.summary END, a.lang
        FROM articles a
        WHERE NOT EXISTS (
            SELECT 1 FROM taggings t
            WHERE t.article_id = a.id AND t.tagger_version = ? AND t.taxonomy_version = ?
        )
        ORDER BY a.published_at, a.id
    """
    params: list[Any] = [tagger_version, taxonomy_version]
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [Untagged(*row) for row in con.execute(sql, params).fetchall()]


def latest_week(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute("SELECT max(week) FROM tagged_articles").fetchone()
    return row[0] if row else None


def previous_week(con: duckdb.DuckDBPyConnection, week: str) -> str:
    """The ISO week before `week`, computed by DuckDB so week 1 and week 53 come out right."""
    row = con.execute(
        "SELECT strftime(strptime(? || '-1', '%G-W%V-%u') - INTERVAL 7 DAY, '%G-W%V')", [week]
    ).fetchone()
    return str(row[0]) if row else week


def weekly_summary(
    con: duckdb.DuckDBPyConnection, week: str, taxonomy: Taxonomy, top_actors: int = 5, evidence: int = 2,
    trend_weeks: int = 8,
) -> WeeklySummary:
    prev = previous_week(con, week)

    def totals(w: str) -> int:
        return int(con.execute("SELECT count(*) FROM tagged_articles WHERE week = ?", [w]).fetchone()[0])  # type: ignore[index]

    total, prev_total = totals(week), totals(prev)
    counts = dict(
        con.execute(
            "SELECT week || '/' || option_id, articles FROM weekly_option_share WHERE week IN (?, ?)", [week, prev]
        ).fetchall()
    )
    options = []
    for opt in taxonomy.options:
        n = int(counts.get(f"{week}/{opt.id}", 0))
        p = int(counts.get(f"{prev}/{opt.id}", 0))
        actors = con.execute(
            """SELECT actor_id, articles FROM weekly_actor_option WHERE week = ? AND option_id = ?
               ORDER BY in_evidence DESC, articles DESC, mentions DESC, actor_id LIMIT ?""",
            [week, opt.id, top_actors],
        ).fetchall()
        ev = con.execute(
            """SELECT e.sentence, ta.title, ta.url FROM evidence e
               JOIN tagged_articles ta ON ta.article_id = e.article_id AND ta.tagger_version = e.tagger_version
               JOIN option_tags o ON o.article_id = e.article_id AND o.tagger_version = e.tagger_version
                                  AND o.option_id = e.option_id
               WHERE ta.week = ? AND e.option_id = ? AND e.rank = 1
               ORDER BY o.score DESC, ta.published_at DESC LIMIT ?""",
            [week, opt.id, evidence],
        ).fetchall()
        options.append(
            WeeklyOption(
                option_id=opt.id,
                label=opt.label,
                articles=n,
                share=n / total if total else 0.0,
                prev_articles=p,
                prev_share=p / prev_total if prev_total else 0.0,
                top_actors=[(a, int(c)) for a, c in actors],
                evidence=[(s, t, u) for s, t, u in ev],
            )
        )
    languages = con.execute(
        "SELECT lang, count(*) FROM tagged_articles WHERE week = ? GROUP BY lang ORDER BY 2 DESC, 1", [week]
    ).fetchall()
    sources = con.execute(
        "SELECT source_name, count(*) FROM tagged_articles WHERE week = ? GROUP BY 1 ORDER BY 2 DESC, 1", [week]
    ).fetchall()
    trend: dict[str, tuple[int, dict[str, float]]] = {}
    for w, option_id, total_w, share in con.execute(
        """SELECT week, option_id, total_articles, share FROM weekly_option_share
           WHERE week IN (SELECT DISTINCT week FROM weekly_option_share WHERE week <= ? ORDER BY week DESC LIMIT ?)
           ORDER BY week""",
        [week, trend_weeks],
    ).fetchall():
        trend.setdefault(w, (int(total_w), {}))[1][option_id] = float(share)
    return WeeklySummary(week, total, prev_total, options, [tuple(r) for r in languages], [tuple(r) for r in sources],
                         [(w, n, shares) for w, (n, shares) in trend.items()])


def query(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run a user's SQL on a read-only connection; return column names and rows. Its mistakes (syntax, an
    unknown table) raise QueryError; a statement that would write, attach or install raises ReadOnlyQuery."""
    try:
        for statement in duckdb.extract_statements(sql):
            if statement.type not in READ_STATEMENTS:
                kind = statement.type.name
                raise ReadOnlyQuery(
                    f"pledgewatch sql is read-only and does not run {kind} statements: it opens the database "
                    "read-only so it never disturbs a run. Write with the duckdb CLI while no run is going, or "
                    "export with COPY (SELECT …) TO 'file.csv'.",
                    sql=sql,
                )
        return _table(con, sql)
    except duckdb.Error as e:
        raise translate(e, sql=sql) from e


def _table(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    rel = con.execute(sql)
    columns = [d[0] for d in rel.description] if rel.description else []
    return columns, rel.fetchall()


def feed_states(con: duckdb.DuckDBPyConnection) -> dict[str, FeedState]:
    """What the ingest needs to plan each feed's fetch: validators, failures, 304 streak, backoff."""
    rows = con.execute(
        """SELECT url, etag, last_modified, consecutive_failures, coalesce(consecutive_304, 0), last_200_at,
                  next_fetch_after FROM sources"""
    ).fetchall()
    return {r[0]: FeedState(*r) for r in rows}


def known_articles(con: duckdb.DuckDBPyConnection, since: datetime) -> list[KnownArticle]:
    """Canonical articles fetched since `since`, with content hash and MinHash signature, oldest first."""
    rows = con.execute(
        """SELECT id, content_hash, coalesce(minhash, []) FROM articles
           WHERE duplicate_of IS NULL AND fetched_at >= ? ORDER BY fetched_at, id""",
        [since],
    ).fetchall()
    return [KnownArticle(i, h, tuple(m)) for i, h, m in rows]


def existing_ids(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> set[str]:
    """Which of these article ids are stored already."""
    if not ids:
        return set()
    rows = con.execute("SELECT a.id FROM articles a JOIN (SELECT unnest(?) AS id) u ON u.id = a.id", [list(ids)])
    return {r[0] for r in rows.fetchall()}


def feed_health(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The feed_health view, worst feeds first: columns and rows."""
    return _table(con, "SELECT * FROM feed_health ORDER BY consecutive_failures DESC, name")


def feed_article_ids(con: duckdb.DuckDBPyConnection, source_urls: list[str]) -> dict[str, frozenset[str]]:
    """The ids of the articles each of these feeds has carried."""
    if not source_urls:
        return {}
    rows = con.execute(
        "SELECT source_url, list(article_id) FROM feed_items WHERE list_contains(?, source_url) GROUP BY 1",
        [source_urls],
    ).fetchall()
    return {u: frozenset(ids) for u, ids in rows}
