"""`pledgewatch export parquet DIR`: the tables as Parquet partitioned by week, read back by another engine."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.ingest import ingest_flow
from models.domain import ActorMention, Evidence, OptionTag, TagResult
from models.settings import Settings
from storage.db import writing
from storage.writes import write_tags
from tests.conftest import rows

pytestmark = pytest.mark.slow  # one ingest of the samples (Prefect flow run)
TABLES = ("articles", "taggings", "option_tags", "evidence", "actor_mentions")


def _tagged_db(s: Settings) -> None:
    ingest_flow(s)
    ids = [r[0] for r in rows(s.db, "SELECT id FROM articles ORDER BY id")]
    results = [TagResult(i, "en", tuple(OptionTag(o, 0.8, (Evidence(f"{o} in {i}", 0.4),)) for o in
                                        (("article5_guarantee",) if n % 3 == 0 else ())),
                         (ActorMention("rutte", 1 + n % 2),), "t-export", "2026.11.2") for n, i in enumerate(ids)]
    with writing(s.db) as con:
        write_tags(con, results, datetime(2026, 12, 1, tzinfo=UTC))


def test_export_round_trip(settings: Settings, tmp_path: Path) -> None:
    _tagged_db(settings)
    out = tmp_path / "lake"
    done = CliRunner().invoke(app, ["export", "parquet", str(out), "--db", str(settings.db)])
    assert done.exit_code == 0, done.output
    con = duckdb.connect()  # another engine's view: only the files, no database
    def read(table: str) -> str:
        return f"read_parquet('{out}/{table}/**/*.parquet', hive_partitioning = true)"

    for table in TABLES:
        assert f"{table}: " in done.output
        n = con.execute(f"SELECT count(*) FROM {read(table)}").fetchone()
        assert n == rows(settings.db, f"SELECT count(*) FROM {table}")[0], table
    weeks = sorted(p.name for p in (out / "articles").iterdir())
    assert weeks[0].startswith("week=2026-W") and len(weeks) == rows(
        settings.db, "SELECT count(DISTINCT strftime(published_at AT TIME ZONE 'UTC', '%G-W%V')) FROM articles")[0][0]
    # The weekly option count from the files equals the database's own view.
    from_files = con.execute(f"""
        SELECT o.week, o.option_id, count(*) FROM {read('option_tags')} o
        JOIN {read('articles')} a ON a.id = o.article_id WHERE a.duplicate_of IS NULL
        GROUP BY ALL ORDER BY ALL""").fetchall()
    from_db = rows(settings.db, """SELECT week, option_id, articles FROM weekly_option_share
                                   WHERE articles > 0 ORDER BY ALL""")
    assert from_files == from_db and from_files
    # A second export replaces the first, it does not add to it.
    again = CliRunner().invoke(app, ["export", "parquet", str(out), "--db", str(settings.db)])
    assert again.exit_code == 0
    assert con.execute(f"SELECT count(*) FROM {read('evidence')}").fetchone() == rows(settings.db, "SELECT count(*) FROM evidence")[0]
