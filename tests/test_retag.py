"""Backfill: `pledgewatch retag` moves articles tagged by an older tagger onto the current one, in batches, and
says what changed per option; old versions' rows stay queryable until `pledgewatch prune` removes them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.ingest import ingest_flow
from models.domain import ActorMention, Evidence, OptionTag, TagResult
from models.settings import Settings
from storage.db import writing
from storage.writes import write_tags
from tests.conftest import rows

pytestmark = pytest.mark.slow
OLD = "old-tagger-v0"
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
ROW = re.compile(r"(\w+)\s*│\s*\+(\d+)\s*│\s*-(\d+)\s*│\s*(\d+)")


def _changes(output: str) -> dict[str, tuple[int, int, int]]:
    return {m[1]: (int(m[2]), int(m[3]), int(m[4])) for m in ROW.finditer(output)}


def test_retag_since_then_all_then_prune(settings: Settings) -> None:
    s = settings.model_copy(update={"tag_batch": 16})  # several batches even on the samples
    ingest_flow(s)
    ids = [r[0] for r in rows(s.db, "SELECT id FROM articles ORDER BY published_at, id")]
    # An older tagger that put every article under air_sea_shield, with one actor.
    old = [TagResult(i, "en", (OptionTag("air_sea_shield", 0.9, (Evidence("old evidence", 0.5),)),),
                     (ActorMention("nato", 1, ("air_sea_shield",)),), OLD, "2025.01.0") for i in ids]
    with writing(s.db) as con:
        write_tags(con, old, LONG_AGO)
    since = rows(s.db, f"SELECT published_at FROM articles WHERE id = '{ids[len(ids) // 2]}'")[0][0]
    db = ["--db", str(s.db)]

    first = CliRunner().invoke(app, ["retag", "--since", since.strftime("%Y-%m-%d"), *db], env={"COLUMNS": "200"})
    assert first.exit_code == 0, first.output
    moved = rows(s.db, f"SELECT count(*) FROM articles WHERE published_at >= '{since.date()} 00:00:00+00'")[0][0]
    assert f"re-tagged {moved} articles" in first.output and 0 < moved < len(ids)
    # The summary is what the tables say: per option, tagged now and not by the old tagger, and the reverse.
    new = dict(rows(s.db, f"""SELECT option_id, count(*) FROM option_tags
                              WHERE tagger_version <> '{OLD}' GROUP BY 1"""))
    changes = _changes(first.output)
    assert changes["air_sea_shield"] == (0, moved - new.get("air_sea_shield", 0), new.get("air_sea_shield", 0))
    assert {o: a for o, (a, _, _) in changes.items() if o != "air_sea_shield"} == {
        o: n for o, n in new.items() if o != "air_sea_shield"}
    versions = dict(rows(s.db, "SELECT tagger_version, count(*) FROM current_taggings GROUP BY 1"))
    assert versions[OLD] == len(ids) - moved and sum(versions.values()) == len(ids)
    # The old version's rows are all still there.
    assert rows(s.db, f"SELECT count(*) FROM option_tags WHERE tagger_version = '{OLD}'") == [(len(ids),)]

    again = CliRunner().invoke(app, ["retag", "--since", since.strftime("%Y-%m-%d"), *db])
    assert again.exit_code == 0 and "re-tagged 0 articles" in again.output

    # Prune keeps the newest version and every article's current tags, whatever their version.
    pruned = CliRunner().invoke(app, ["prune", "--keep-versions", "1", *db])
    assert pruned.exit_code == 0, pruned.output
    assert rows(s.db, f"SELECT count(*) FROM taggings WHERE tagger_version = '{OLD}'") == [(len(ids) - moved,)]
    assert rows(s.db, "SELECT count(*) FROM current_taggings") == [(len(ids),)]

    everything = CliRunner().invoke(app, ["retag", "--all", *db])
    assert everything.exit_code == 0 and f"re-tagged {len(ids)} articles" in everything.output
    assert rows(s.db, "SELECT count(DISTINCT tagger_version) FROM current_taggings") == [(1,)]
    pruned = CliRunner().invoke(app, ["prune", "--keep-versions", "1", *db])
    assert rows(s.db, f"SELECT count(*) FROM option_tags WHERE tagger_version = '{OLD}'") == [(0,)]
    assert rows(s.db, "SELECT count(*) FROM current_taggings") == [(len(ids),)]
