"""Reads: what to tag next, the weekly report's facts from the trend views, and ad-hoc SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from models.domain import FeedState, KnownArticle
from models.errors import ReadOnlyQuery
from models.report import (
    ActorOptionWeek,
    EvidenceRow,
    OptionWeek,
    ReportData,
    SourceOptionWeek,
    SourceWeek,
    StanceRow,
    WeekFacts,
    shift_week,
    week_range,
)
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


# --- the weekly report ---------------------------------------------------------------------------------------
# Week filters compare ISO week strings ("2026-W47"): they sort like the weeks themselves.


def week_span(con: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
    """The first and last ISO week with articles (trend_weeks), or None before the first ingest."""
    row = con.execute("SELECT min(week), max(week) FROM trend_weeks").fetchone()
    return (row[0], row[1]) if row and row[0] else None


def report_data(
    con: duckdb.DuckDBPyConnection, taxonomy: Taxonomy, first: str, last: str, history: int = 12 + 12
) -> ReportData:
    """The facts for reports on weeks `first`..`last`, plus `history` weeks before (charts, baselines, new actors).

    Counts, shares, feed health, languages and actor x option come from the trend views and their rollups
    (migration 0003), which hold them already. Only what the report quotes row by row reads the raw tables:
    the best evidence sentences, stories with no feed date, tagger versions and stances; those filter on the
    stored `articles.week`, so DuckDB skips the row groups of other weeks.
    """
    span = week_span(con)
    options = tuple((o.id, o.label) for o in taxonomy.options)
    if span is None:
        return ReportData((), options, {}, (), (), (), (), (), {})
    lo = max(span[0], shift_week(first, -history))
    # The chart window of the first report reaches 11 weeks back; its evidence is all a spike there can show.
    window_lo = max(span[0], shift_week(first, -11))
    weeks = week_range(span[0], max(span[1], last))
    stories: dict[str, int] = {}
    counts = []
    for week, option_id, articles, total in con.execute(
        "SELECT week, option_id, articles, total_articles FROM weekly_option_share"
    ).fetchall():
        stories[week] = int(total)
        counts.append(OptionWeek(week, option_id, int(articles)))
    errors = dict(con.execute(
        """SELECT strftime(fetched_at AT TIME ZONE 'UTC', '%G-W%V') || '/' || source_url, arg_max(error, fetched_at)
           FROM fetches WHERE error IS NOT NULL GROUP BY source_url, 1"""
    ).fetchall())
    health = con.execute(
        """SELECT week, source_url, coalesce(source_name, 'unknown'), tagged, fetches, failed_fetches, live, silent,
                  copies
           FROM weekly_feed_health WHERE week BETWEEN ? AND ? ORDER BY week, source_url""", [lo, last],
    ).fetchall()
    sources = tuple(
        SourceWeek(w, name, int(n), int(f), int(bad), bool(live), bool(silent), errors.get(f"{w}/{url}"))
        for w, url, name, n, f, bad, live, silent, _ in health
    )
    copies: dict[str, int] = {}
    for w, *_, c in health:
        copies[w] = copies.get(w, 0) + int(c)
    source_options = tuple(
        SourceOptionWeek(w, s, o, int(n)) for w, s, o, n in con.execute(
            # weekly_source_option without the language split, for the chart window (spike outlets, normalised
            # shares); ordered so outlets tied on stories rank by name
            """SELECT c.week, coalesce(s.name, 'unknown'), c.option_id, sum(c.stories)
               FROM trend_option_stories c LEFT JOIN sources s ON s.url = c.source_url
               WHERE c.week BETWEEN ? AND ? GROUP BY ALL ORDER BY 1, 3, 2""", [window_lo, last],
        ).fetchall()
    )
    actor_options = tuple(
        ActorOptionWeek(w, a, o, int(n), int(ev)) for w, o, a, n, ev in con.execute(
            "SELECT week, option_id, actor_id, articles, in_evidence FROM weekly_actor_option WHERE week BETWEEN ? AND ?",
            [lo, last],
        ).fetchall()
    )
    # Raw rows only for the chart window, and only what the report quotes or no rollup holds: the window's
    # stories with their current tagging, then their option tags. The week filter is on the stored
    # articles.week, so the scan skips other weeks' row groups; MATERIALIZED makes the filtered articles the
    # small side of the join rather than a million taggings. Temp tables are allowed on a read-only connection.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE report_stories AS
           WITH w AS MATERIALIZED (
               SELECT id, week, date_missing, title, url, source_url, published_at FROM articles
               WHERE week BETWEEN ? AND ? AND duplicate_of IS NULL
           )
           SELECT w.*, t.tagger_version, t.taxonomy_version
           FROM w JOIN taggings t ON t.article_id = w.id AND t.is_current""", [window_lo, last],
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE report_tags AS
           SELECT s.id, s.tagger_version, s.week, s.date_missing, o.option_id, o.score
           FROM report_stories s JOIN option_tags o ON o.article_id = s.id AND o.tagger_version = s.tagger_version"""
    )
    evidence = tuple(
        EvidenceRow(w, o, sentence, title, url, source, float(score)) for w, o, sentence, title, url, source, score
        in con.execute(
            """SELECT t.week, t.option_id, e.sentence, s.title, s.url, coalesce(f.name, 'unknown'), t.score
               FROM report_tags t
               JOIN evidence e ON e.article_id = t.id AND e.tagger_version = t.tagger_version
                              AND e.option_id = t.option_id AND e.rank = 1
               JOIN report_stories s ON s.id = t.id
               LEFT JOIN sources f ON f.url = s.source_url
               QUALIFY row_number() OVER (PARTITION BY t.week, t.option_id
                                          ORDER BY t.score DESC, s.published_at DESC, s.url) <= 12"""
        ).fetchall()
    )
    undated: dict[str, dict[str, int]] = {}
    for w, o, n in con.execute(
        "SELECT week, option_id, count(*) FROM report_tags WHERE date_missing GROUP BY ALL"
    ).fetchall():
        undated.setdefault(w, {})[o] = int(n)
    versions = {
        w: (tuple(sorted(tv)), tuple(sorted(xv))) for w, tv, xv in con.execute(
            """SELECT week, list(DISTINCT tagger_version), list(DISTINCT taxonomy_version) FROM report_stories
               GROUP BY 1"""
        ).fetchall()
    }
    languages: dict[str, list[tuple[str, int]]] = {}
    for w, lang, n in con.execute(
        """SELECT week, coalesce(lang, '?'), sum(stories) FROM trend_stories WHERE week BETWEEN ? AND ?
           GROUP BY ALL ORDER BY 1, 3 DESC, 2""", [window_lo, last],
    ).fetchall():
        languages.setdefault(w, []).append((lang, int(n)))
    facts = {
        w: WeekFacts(w, stories.get(w, 0), int(copies.get(w, 0)), undated.get(w, {}),
                     *versions.get(w, ((), ())), tuple(languages.get(w, ())))
        for w in week_range(window_lo, last)
    }
    until = con.execute("SELECT max(fetched_at) FROM fetches").fetchone()
    failing = tuple(
        (n, int(f), e) for n, f, e in con.execute(
            "SELECT name, consecutive_failures, last_error FROM sources WHERE consecutive_failures > 0 ORDER BY name"
        ).fetchall()
    )
    stances = tuple(
        StanceRow(*r) for r in con.execute(
            # Every earlier position counts for a change, so this reads up to `last`, not only the window.
            # current_stances' definition with the stances as the small side of the joins
            """SELECT a.week, s.actor_id, s.option_id, s.stance, s.evidence, a.title, a.url,
                      coalesce(f.name, 'unknown'), a.published_at
               FROM stances s
               JOIN taggings t ON t.article_id = s.article_id AND t.tagger_version = s.tagger_version AND t.is_current
               JOIN articles a ON a.id = s.article_id AND a.duplicate_of IS NULL
               LEFT JOIN sources f ON f.url = a.source_url
               WHERE a.week <= ? ORDER BY a.published_at, s.article_id, s.actor_id, s.option_id""",
            [last],
        ).fetchall()
    )
    return ReportData(
        weeks=weeks, options=options, stories=stories, counts=tuple(counts), sources=sources,
        source_options=source_options, actor_options=actor_options, evidence=evidence, facts=facts,
        fetched_until=until[0] if until else None, failing_now=failing,
        actor_kinds={a.id: a.kind for a in taxonomy.actors}, stances=stances,
    )
