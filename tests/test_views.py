"""Trend views on a real DuckDB file, written through storage.writes as the pipeline writes it.

What a user of the views would notice: weeks without gaps, copies not counted, a share that stays put when a
feed goes down, silent and failing feeds flagged, a re-tag replacing the old tags, and a comment on every view.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from models.domain import ActorMention, Article, Evidence, FeedFetch, FeedRecord, OptionTag, Source, TagResult
from storage.db import MIGRATIONS, migrate, writing
from storage.writes import iso_week, record_batch, upsert_sources, write_tags

MONDAY = datetime(2026, 10, 5, 9, tzinfo=UTC)  # 2026-W41
ALPHA = Source("Alpha", "https://alpha.example/rss", "en")
BETA = Source("Beta", "https://beta.example/rss", "uk")
GAMMA = Source("Gamma", "https://gamma.example/rss", "de")


def week(k: int) -> str:
    return iso_week(MONDAY + timedelta(weeks=k))


def art(src: Source, key: str, k: int, copy_of: str | None = None, date_missing: bool = False) -> Article:
    at = MONDAY + timedelta(weeks=k, hours=3)
    return Article(
        id=key, url=f"{src.url}/{key}", source_url=src.url, title=f"t {key}", summary="s", published_at=at,
        fetched_at=at, lang=src.lang, content_hash=f"h{key}", duplicate_of=copy_of, date_missing=date_missing,
    )


def tag(aid: str, options: list[str], version: str = "v1", actors: tuple[str, ...] = ("nato",)) -> TagResult:
    return TagResult(
        aid, "en", tuple(OptionTag(o, 0.9, (Evidence(f"{o} sentence", 0.5),)) for o in options),
        tuple(ActorMention(a, 2, tuple(options)) for a in actors), version, "tx1",
    )


def feed(src: Source, k: int, articles: list[Article], error: str | None = None) -> FeedRecord:
    at = MONDAY + timedelta(weeks=k, days=2)
    return FeedRecord(FeedFetch(src, at, status=None if error else 200, error=error), tuple(articles))


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with writing(tmp_path / "v.duckdb") as c:
        migrate(c)
        upsert_sources(c, [ALPHA, BETA, GAMMA])
        yield c


def q(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def test_every_view_has_a_comment(con: duckdb.DuckDBPyConnection) -> None:
    views = q(con, "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'")
    names = {v for v, _ in views}
    assert {"weekly_option_share", "weekly_option_change", "weekly_option_by_source", "weekly_option_by_lang",
            "weekly_actor_option", "weekly_feed_health", "weekly_coverage", "feed_health", "current_taggings"} <= names
    assert [v for v, c in views if not c] == []


def test_weeks_without_articles_are_zero_filled_for_every_option(con: duckdb.DuckDBPyConnection) -> None:
    record_batch(con, [feed(ALPHA, 0, [art(ALPHA, "a", 0)]), feed(ALPHA, 3, [art(ALPHA, "b", 3)])])
    write_tags(con, [tag("a", ["air_sea_shield"]), tag("b", ["troops_training"])], MONDAY)
    rows = q(con, "SELECT week, option_id, articles, total_articles, share FROM weekly_option_share ORDER BY 1, 2")
    assert [r[0] for r in rows] == [week(k) for k in range(4) for _ in range(2)]
    assert rows[0] == (week(0), "air_sea_shield", 1, 1, 1.0)
    assert rows[1] == (week(0), "troops_training", 0, 1, 0.0)
    assert rows[2:6] == [(week(k), o, 0, 0, 0.0) for k in (1, 2) for o in ("air_sea_shield", "troops_training")]
    assert q(con, "SELECT week FROM weekly_coverage WHERE articles = 0 ORDER BY 1") == [(week(1),), (week(2),)]


def test_copies_are_not_counted_as_stories(con: duckdb.DuckDBPyConnection) -> None:
    story, copy = art(ALPHA, "s", 0), art(BETA, "c", 0, copy_of="s")
    other = art(BETA, "o", 0, date_missing=True)
    record_batch(con, [feed(ALPHA, 0, [story]), feed(BETA, 0, [copy, other])])
    write_tags(con, [tag("s", ["air_sea_shield"]), tag("c", ["air_sea_shield"]), tag("o", [])], MONDAY)
    share = q(con, "SELECT articles, total_articles FROM weekly_option_share WHERE option_id = 'air_sea_shield'")
    assert share == [(1, 2)]
    assert q(con, "SELECT sum(articles) FROM weekly_actor_option") == [(1,)]
    by_source = q(con, "SELECT source_name, articles, total_articles FROM weekly_option_by_source "
                       "WHERE option_id = 'air_sea_shield' ORDER BY 1")
    assert by_source == [("Alpha", 1, 1), ("Beta", 0, 1)]
    assert q(con, "SELECT articles, copies, date_missing FROM weekly_coverage") == [(2, 1, 1)]
    # The copy still makes its feed live: the feed carried something that week.
    assert q(con, "SELECT source_name, articles, copies, live FROM weekly_feed_health ORDER BY 1") == [
        ("Alpha", 1, 0, True), ("Beta", 1, 1, True)]


def test_shares_by_language_are_within_the_language(con: duckdb.DuckDBPyConnection) -> None:
    record_batch(con, [feed(ALPHA, 0, [art(ALPHA, "a1", 0), art(ALPHA, "a2", 0)]), feed(BETA, 0, [art(BETA, "b1", 0)])])
    results = [tag("a1", ["air_sea_shield"]), tag("a2", []), tag("b1", ["air_sea_shield"])]
    write_tags(con, [TagResult(r.doc_id, "uk" if r.doc_id == "b1" else "en", r.options, r.actors, "v1", "tx1")
                     for r in results], MONDAY)
    assert q(con, "SELECT lang, articles, total_articles, share FROM weekly_option_by_lang "
                  "WHERE option_id = 'air_sea_shield' ORDER BY 1") == [("en", 1, 2, 0.5), ("uk", 1, 1, 1.0)]


def test_normalised_share_holds_when_a_feed_goes_down_while_the_raw_share_jumps(con: duckdb.DuckDBPyConnection) -> None:
    # Alpha writes mostly about the shield, Beta and Gamma seldom. In week 1 Alpha is down (its fetch fails).
    records, results = [], []
    for k in range(2):
        for src, on_topic in ((ALPHA, 3), (BETA, 1), (GAMMA, 1)):
            if src is ALPHA and k == 1:
                records.append(feed(src, k, [], error="HTTP 503"))
                continue
            arts = [art(src, f"{src.name}{k}-{i}", k) for i in range(4)]
            records.append(feed(src, k, arts))
            results += [tag(a.id, ["air_sea_shield"] if i < on_topic else []) for i, a in enumerate(arts)]
    record_batch(con, records)
    write_tags(con, results, MONDAY)
    row = q(con, """SELECT share, prev_share, share_change, norm_share, norm_prev_share, norm_share_change,
                           common_sources, sources_live, prev_sources_live
                    FROM weekly_option_change WHERE week = ? AND option_id = 'air_sea_shield'""", week(1))
    assert row == [(0.25, 0.4167, -0.1667, 0.25, 0.25, 0.0, 2, 2, 3)]
    health = q(con, "SELECT source_name, live, failing, failed_fetches FROM weekly_feed_health WHERE week = ? "
                    "ORDER BY 1", week(1))
    assert health == [("Alpha", False, True, 1), ("Beta", True, False, 0), ("Gamma", True, False, 0)]
    assert q(con, "SELECT sources_live, sources_failing FROM weekly_coverage WHERE week = ?", week(1)) == [(2, 1)]
    first = q(con, "SELECT prev_articles, share_change, norm_share FROM weekly_option_change WHERE week = ? "
                   "AND option_id = 'air_sea_shield'", week(0))
    assert first == [(None, None, None)]  # nothing before the first week to compare with


def test_a_feed_that_stops_publishing_is_silent(con: duckdb.DuckDBPyConnection) -> None:
    # Alpha publishes in weeks 0-3 and then nothing, though its fetches still succeed; Beta publishes only
    # in week 0, so its empty weeks are not a surprise.
    records = [feed(ALPHA, k, [art(ALPHA, f"a{k}", k)] if k < 4 else []) for k in range(6)]
    records += [feed(BETA, 0, [art(BETA, "b0", 0)]), feed(GAMMA, 5, [art(GAMMA, "g5", 5)])]
    record_batch(con, records)
    rows = q(con, "SELECT week, source_name, live, silent FROM weekly_feed_health WHERE silent OR source_name = 'Alpha' "
                  "ORDER BY 1, 2")
    assert [(w, s) for w, s, _, silent in rows if silent] == [(week(4), "Alpha"), (week(5), "Alpha")]
    assert all(live for _, _, live, _ in rows)  # a silent feed can still be live: its fetches work
    assert q(con, "SELECT week, sources_silent FROM weekly_coverage WHERE sources_silent > 0 ORDER BY 1") == [
        (week(4), 1), (week(5), 1)]


def test_retag_with_a_new_version_replaces_old_tags_in_every_view(con: duckdb.DuckDBPyConnection) -> None:
    record_batch(con, [feed(ALPHA, 0, [art(ALPHA, "a", 0), art(ALPHA, "b", 0)])])
    write_tags(con, [tag("a", ["air_sea_shield", "troops_training"], actors=("nato", "usa")),
                     tag("b", ["air_sea_shield"])], MONDAY)
    write_tags(con, [tag("a", ["troops_training"], version="v2", actors=("usa",))], MONDAY + timedelta(days=1))
    assert q(con, "SELECT article_id, tagger_version FROM current_taggings ORDER BY 1") == [("a", "v2"), ("b", "v1")]
    assert q(con, "SELECT article_id, count(*) FILTER (WHERE is_current) FROM taggings GROUP BY 1 ORDER BY 1") == [
        ("a", 1), ("b", 1)]
    assert q(con, "SELECT option_id, articles FROM weekly_option_share ORDER BY 1") == [
        ("air_sea_shield", 1), ("troops_training", 1)]
    assert q(con, "SELECT option_id, actor_id, articles FROM weekly_actor_option ORDER BY 1, 2") == [
        ("air_sea_shield", "nato", 1), ("troops_training", "usa", 1)]
    assert q(con, "SELECT option_id, articles FROM weekly_option_by_source ORDER BY 1") == [
        ("air_sea_shield", 1), ("troops_training", 1)]
    assert q(con, "SELECT sum(norm_articles) FROM weekly_option_change") == [(0,)]  # one week: nothing to compare
    # Re-tagging with the old version again makes it current again: the latest written wins.
    write_tags(con, [tag("a", [], version="v1")], MONDAY + timedelta(days=2))
    assert q(con, "SELECT sum(articles) FROM weekly_option_share") == [(1,)]
    assert q(con, "SELECT count(*) FROM taggings WHERE is_current") == [(2,)]


def test_migration_marks_the_latest_tagging_and_fills_weeks(tmp_path: Path) -> None:
    with writing(tmp_path / "old.duckdb") as c:
        c.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                  "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
        for version, name in ((1, "init"), (2, "ingest_robust")):
            c.execute((MIGRATIONS / f"{version:04d}_{name}.sql").read_text(encoding="utf-8"))
            c.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
        c.execute("INSERT INTO articles (id, url, source_url, title, summary, published_at, fetched_at, content_hash) "
                  "VALUES ('a', 'u', 's', 't', 's', '2027-01-03 23:30:00+00', now(), 'h')")
        c.execute("INSERT INTO taggings VALUES ('a', 'v1', 'tx', 'en', '2026-10-01 00:00:00+00'), "
                  "('a', 'v2', 'tx', 'en', '2026-10-02 00:00:00+00')")
        migrate(c)
        assert q(c, "SELECT tagger_version FROM current_taggings") == [("v2",)]
        assert q(c, "SELECT week FROM articles") == [("2026-W53",)]


@pytest.mark.parametrize("at", ["2026-12-31 23:59:59+00", "2027-01-04 00:00:00+00", "2027-01-03 23:30:00-05",
                                "2020-12-28 12:00:00+00"])
def test_iso_week_matches_duckdb(con: duckdb.DuckDBPyConnection, at: str) -> None:
    (ts, expected), = q(con, "SELECT ?::TIMESTAMPTZ, strftime(?::TIMESTAMPTZ AT TIME ZONE 'UTC', '%G-W%V')", at, at)
    assert iso_week(ts) == expected
