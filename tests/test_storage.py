"""DuckDB storage: migrations recorded once, bulk idempotent writes, tags replaced per tagger version."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from models.domain import ActorMention, Article, Evidence, FeedFetch, FeedRecord, OptionTag, Source, TagResult
from storage.db import migrate, migration_files, reading, writing
from storage.writes import record_batch, upsert_sources, write_tags

AT = datetime(2026, 10, 6, 12, tzinfo=UTC)


def record_fetch(con: duckdb.DuckDBPyConnection, fetch: FeedFetch, articles: list[Article]) -> int:
    return record_batch(con, [FeedRecord(fetch, tuple(articles))])[fetch.source.url]
SRC = Source("Wire", "https://wire.example/rss", "en")


def _article(i: int, week_offset: int = 0) -> Article:
    return Article(
        id=f"a{i}", url=f"https://wire.example/{i}", source_url=SRC.url, title=f"t{i}", summary="s",
        published_at=datetime(2026, 10, 5 + 7 * week_offset, 9, tzinfo=UTC), fetched_at=AT, lang="en",
        content_hash=f"h{i}",
    )


def _result(aid: str, options: list[str], version: str = "v1") -> TagResult:
    return TagResult(
        aid, "en",
        tuple(OptionTag(o, 0.9, (Evidence(f"{o} sentence", 0.5),)) for o in options),
        (ActorMention("nato", 2, tuple(options)),), version, "tx1",
    )


def test_migrations_apply_once_and_are_recorded(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    with writing(db) as con:
        assert migrate(con) == [f"{v:04d}_{n}" for v, n, _ in migration_files()]
        assert migrate(con) == []
        names = con.execute("SELECT name FROM schema_migrations ORDER BY version").fetchall()
    assert names[0] == ("init",)


def test_ingest_writes_are_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    fetch = FeedFetch(SRC, AT, status=200)
    with writing(db) as con:
        migrate(con)
        upsert_sources(con, [SRC])
        assert record_fetch(con, fetch, [_article(i) for i in range(50)]) == 50
        later = FeedFetch(SRC, datetime(2026, 10, 6, 13, tzinfo=UTC), status=200)
        assert record_fetch(con, later, [_article(i) for i in range(55)]) == 5
        assert con.execute("SELECT count(*) FROM articles").fetchone() == (55,)
        health = con.execute("SELECT consecutive_failures, last_items, last_error FROM feed_health").fetchone()
    assert health == (0, 55, None)


def test_failures_count_up_in_feed_health(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    with writing(db) as con:
        migrate(con)
        upsert_sources(con, [SRC])
        for hour in (1, 2):
            record_fetch(con, FeedFetch(SRC, datetime(2026, 10, 6, hour, tzinfo=UTC), error="HTTP 500"), [])
        assert con.execute("SELECT consecutive_failures, last_error FROM feed_health").fetchone() == (2, "HTTP 500")


def test_retag_replaces_and_views_count_current_tags(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    with writing(db) as con:
        migrate(con)
        upsert_sources(con, [SRC])
        record_fetch(con, FeedFetch(SRC, AT), [_article(1), _article(2), _article(3, week_offset=1)])
        write_tags(con, [_result("a1", ["air_sea_shield"]), _result("a2", []), _result("a3", ["air_sea_shield"])], AT)
        write_tags(con, [_result("a1", ["air_sea_shield", "troops_training"])], AT)  # same version: replaced
        assert con.execute("SELECT count(*) FROM option_tags").fetchone() == (3,)
        rows = con.execute(
            "SELECT week, option_id, articles, total_articles, share FROM weekly_option_share "
            "WHERE option_id = 'air_sea_shield' ORDER BY week"
        ).fetchall()
        assert rows == [("2026-W41", "air_sea_shield", 1, 2, 0.5), ("2026-W42", "air_sea_shield", 1, 1, 1.0)]
        link = con.execute(
            "SELECT articles, in_evidence FROM weekly_actor_option WHERE actor_id='nato' AND option_id='troops_training'"
        ).fetchone()
        assert link == (1, 1)
        # A newer tagger version supersedes the old tags in the views without deleting them.
        write_tags(con, [_result("a1", [], version="v2")], datetime(2026, 10, 7, tzinfo=UTC))
        assert con.execute("SELECT count(*) FROM current_option_tags WHERE article_id='a1'").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM option_tags WHERE article_id='a1'").fetchone() == (2,)


def test_reader_waits_for_writer_then_reads(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    with writing(db) as con:
        migrate(con)
    with reading(db) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone() == (0,)
        try:
            con.execute("CREATE TABLE nope (x INT)")
            raise AssertionError("a read-only connection must refuse writes")
        except duckdb.Error:
            pass
