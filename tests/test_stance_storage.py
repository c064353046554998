"""Stances in DuckDB: written with the tags and replaced with them, the weekly and change views, and the
network export (GraphML that networkx parses back, weights equal to SQL), through the real CLI."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import networkx as nx
from typer.testing import CliRunner

from flows.cli import app
from models.domain import Article, FeedFetch, FeedRecord, Source, Stance, TagResult
from storage.db import migrate, writing
from storage.network import one_mode, two_mode
from storage.writes import record_batch, upsert_sources, write_tags
from tests.conftest import rows

SRC = Source("Wire", "https://wire.example/rss", "en")
AT = datetime(2026, 11, 30, 12, tzinfo=UTC)
runner = CliRunner()


def _article(i: int, day: int) -> Article:
    return Article(id=f"a{i}", url=f"https://wire.example/{i}", source_url=SRC.url, title=f"t{i}", summary="s",
                   published_at=datetime(2026, 11, day, 9, tzinfo=UTC), fetched_at=AT, lang="en", content_hash=f"h{i}")


def _tag(aid: str, stances: list[tuple[str, str, str]], version: str = "v1") -> TagResult:
    return TagResult(aid, "en", (), (), version, "tx1",
                     tuple(Stance(a, o, s, 0.8, f"{a} {s}s {o} in {aid}") for a, o, s in stances))


def _db(tmp_path: Path) -> Path:
    db = tmp_path / "pw.duckdb"
    # Week 2026-W46 (Nov 9-15) and 2026-W47 (Nov 16-22).
    articles = [_article(1, 10), _article(2, 11), _article(3, 17), _article(4, 18)]
    with writing(db) as con:
        migrate(con)
        upsert_sources(con, [SRC])
        record_batch(con, [FeedRecord(FeedFetch(SRC, AT, status=200), tuple(articles))])
        write_tags(con, [
            _tag("a1", [("macron", "troops_training", "support"), ("putin", "troops_training", "oppose")]),
            _tag("a2", [("starmer", "troops_training", "support"), ("merz", "troops_training", "oppose")]),
            _tag("a3", [("merz", "troops_training", "support"), ("macron", "air_sea_shield", "support")]),
            _tag("a4", [("starmer", "air_sea_shield", "support"), ("lavrov", "troops_training", "oppose")]),
        ], AT)
    return db


def test_stances_are_stored_and_replaced_with_the_tags(tmp_path: Path) -> None:
    db = _db(tmp_path)
    assert rows(db, "SELECT count(*) FROM stances") == [(8,)]
    with writing(db) as con:
        write_tags(con, [_tag("a1", [("macron", "troops_training", "support")])], AT)
    assert rows(db, "SELECT actor_id FROM stances WHERE article_id = 'a1'") == [("macron",)]
    # A new tagger version becomes the current tagging; the views follow it, the old rows stay for comparison.
    with writing(db) as con:
        write_tags(con, [_tag("a1", [("rutte", "article5_guarantee", "support")], version="v2")],
                   datetime(2026, 12, 1, tzinfo=UTC))
    assert rows(db, "SELECT actor_id FROM current_stances WHERE article_id = 'a1'") == [("rutte",)]
    assert rows(db, "SELECT count(*) FROM stances WHERE article_id = 'a1'") == [(2,)]


def test_weekly_actor_stance_and_stance_changes(tmp_path: Path) -> None:
    db = _db(tmp_path)
    weekly = rows(db, "SELECT week, actor_id, option_id, support, oppose, net, position FROM weekly_actor_stance "
                      "WHERE actor_id = 'merz' ORDER BY week")
    assert weekly == [("2026-W46", "merz", "troops_training", 0, 1, -1, -1.0),
                      ("2026-W47", "merz", "troops_training", 1, 0, 1, 1.0)]
    changes = rows(db, "SELECT actor_id, option_id, prev_stance, stance, prev_evidence, evidence, prev_url, url "
                       "FROM stance_changes")
    assert changes == [("merz", "troops_training", "oppose", "support", "merz opposes troops_training in a2",
                        "merz supports troops_training in a3", "https://wire.example/2", "https://wire.example/3")]
    comments = rows(db, "SELECT view_name FROM duckdb_views() WHERE comment IS NOT NULL AND view_name IN "
                        "('weekly_actor_stance', 'stance_changes', 'current_stances') ORDER BY 1")
    assert [c[0] for c in comments] == ["current_stances", "stance_changes", "weekly_actor_stance"]


def test_networks_from_stances() -> None:
    from storage.network import StanceCount

    counts = [StanceCount("macron", "troops_training", 2, 0), StanceCount("starmer", "troops_training", 1, 0),
              StanceCount("putin", "troops_training", 0, 3), StanceCount("merz", "troops_training", 1, 1)]
    g = two_mode(counts)
    assert g.edges["putin", "troops_training"] == {"support": 0, "oppose": 3, "weight": 3, "net": -3}
    agree, clash = one_mode(counts)
    assert agree.edges["macron", "starmer"]["weight"] == 1 and agree.has_edge("merz", "putin")
    assert clash.edges["macron", "putin"]["options"] == "troops_training"
    # Merz said both: he agrees and conflicts with Putin, and conflicts with himself nowhere.
    assert clash.has_edge("merz", "putin") and not clash.has_edge("merz", "merz")
    assert not agree.has_edge("macron", "putin")


def test_export_network_writes_graphml_whose_weights_match_sql(tmp_path: Path) -> None:
    db = _db(tmp_path)
    out = tmp_path / "net"
    result = runner.invoke(app, ["export", "network", "--db", str(db), "--from", "2026-W46", "--to", "2026-W47",
                                 "-o", str(out)])
    assert result.exit_code == 0, result.output
    g = nx.read_graphml(out / "actor_option.graphml")
    sql = rows(db, "SELECT actor_id, option_id, sum(support), sum(oppose) FROM weekly_actor_stance GROUP BY ALL")
    assert len(sql) == g.number_of_edges() == 7
    for actor, option, support, oppose in sql:
        assert (g.edges[actor, option]["support"], g.edges[actor, option]["oppose"]) == (support, oppose)
    assert g.nodes["troops_training"]["mode"] == "option"
    agree = nx.read_graphml(out / "congruence.graphml")
    assert agree.edges["macron", "starmer"]["weight"] == 2  # both back troops and the air shield
    clash = nx.read_graphml(out / "conflict.graphml")
    assert clash.has_edge("macron", "putin") and clash.has_edge("lavrov", "merz")
    # A week range keeps only its stances; CSV edge lists read actor -> option.
    result = runner.invoke(app, ["export", "network", "--db", str(db), "--from", "2026-W47", "--format", "csv",
                                 "-o", str(out / "w47")])
    assert result.exit_code == 0, result.output
    lines = (out / "w47" / "actor_option.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "source,target,net,oppose,support,weight"
    assert lines[1:] == ["lavrov,troops_training,-1,1,0,1", "macron,air_sea_shield,1,0,1,1",
                         "merz,troops_training,1,0,1,1", "starmer,air_sea_shield,1,0,1,1"]


def test_export_network_rejects_a_bad_week(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "network", "--db", str(_db(tmp_path)), "--from", "W46"])
    assert result.exit_code == 1 and "2026-W47" in result.output
