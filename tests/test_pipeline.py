"""The whole job, for real: Prefect flow runs, feeds over HTTP on 127.0.0.1 and file:, a DuckDB file, the tagger."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows.ingest import ingest_flow
from flows.pipeline import pipeline_flow
from flows.tag import tag_flow
from models.settings import SAMPLE_SOURCES, Settings
from models.sources import load_sources
from tests.conftest import Server, rows, write_sources
from tests.quality import sample_labels

pytestmark = pytest.mark.slow
DEAD_FEED = "Black Sea Monitor (sample)"  # its file is an HTML 503 page: every run records a fetch error


def _counts(db: Path) -> tuple[int, ...]:
    tables = ("articles", "taggings", "option_tags", "evidence", "actor_mentions")
    return rows(db, "SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in tables))[0]


def test_sample_pipeline_runs_and_reruns_without_duplicates(settings: Settings) -> None:
    first = pipeline_flow(settings)
    # Every labelled sample item is new; the one dead sample feed (an HTML 503 page) is recorded as failing.
    assert first.ingest.new == len(sample_labels())
    assert [f.name for f in first.ingest.failed] == [DEAD_FEED]
    assert first.tag.tagged == first.ingest.new
    counts = _counts(settings.db)
    second = pipeline_flow(settings)
    assert second.ingest.new == 0 and second.tag.tagged == 0
    assert _counts(settings.db) == counts
    summary = second.summary
    for option in ("troops_training", "air_sea_shield", "article5_guarantee", "bilateral_alliance"):
        assert f"`{option}`" in summary
    assert "2026-W48" in summary and "Top actors" in summary and "](https://" in summary

    weeks = rows(settings.db, "SELECT count(DISTINCT week) FROM weekly_option_share")[0][0]
    versions = rows(settings.db, "SELECT DISTINCT tagger_version, taxonomy_version FROM option_tags")
    assert weeks >= 12
    assert len(versions) == 1 and all(versions[0])

    # The CLI reads the same database read-only: an earlier week's summary, and SQL as CSV.
    from typer.testing import CliRunner

    from flows.cli import app

    week = CliRunner().invoke(app, ["report", "--db", str(settings.db), "--week", "2026-W44"])
    assert week.exit_code == 0 and "weekly summary: 2026-W44" in week.output and "2026-W43" in week.output
    csv_out = CliRunner().invoke(app, ["sql", "--db", str(settings.db), "--format", "csv",
                                       "SELECT count(*) AS n FROM articles"])
    assert csv_out.exit_code == 0 and csv_out.output.splitlines() == ["n", str(counts[0])]

    # Another tagger version (here another encoder, loaded through sentence-transformers) re-tags every
    # article, and the trend views switch to the newer tags without losing the old ones.
    retag = tag_flow(settings.model_copy(update={"encoder": "minilm"}))
    assert retag.tagged == counts[0] and "minilm" in retag.tagger_version
    current = rows(settings.db, "SELECT DISTINCT tagger_version FROM tagged_articles")
    stored = rows(settings.db, "SELECT count(DISTINCT tagger_version) FROM taggings")
    assert current == [(retag.tagger_version,)] and stored == [(2,)]


def test_one_broken_feed_does_not_stop_the_others(server: Server, tmp_path: Path) -> None:
    good = (SAMPLE_SOURCES.parent / "kyiv-wire.xml").read_bytes()
    feeds = [
        ("good", server.serve_bytes("/good.xml", good)),
        ("broken", server.serve_bytes("/broken.xml", b"<rss><channel><item><title>x")),
        ("down", server.serve_bytes("/down.xml", b"", status=500)),
        ("missing", server.url("/missing.xml")),
    ]
    s = Settings(db=tmp_path / "pw.duckdb", sources=write_sources(tmp_path / "s.toml", feeds))
    report = ingest_flow(s)
    by_name = {f.name: f for f in report.feeds}
    assert by_name["good"].new == good.count(b"<item>") and by_name["good"].error is None
    assert "HTTP 500" in by_name["down"].error
    assert "HTTP 404" in by_name["missing"].error
    assert by_name["broken"].error is not None
    health = dict(rows(s.db, "SELECT name, consecutive_failures FROM feed_health"))
    assert health == {"good": 0, "broken": 1, "down": 1, "missing": 1}


def test_cli_sql_reads_while_another_process_writes(settings: Settings, tmp_path: Path) -> None:
    """A user's query waits for the writer's lock and then answers; it never crashes with a traceback."""
    pipeline_flow(settings)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb,sys,time; c=duckdb.connect(sys.argv[1]); print('locked', flush=True); time.sleep(3); c.close()",
         str(settings.db)],
        stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout and holder.stdout.readline().strip() == "locked"
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "sql", "--db", str(settings.db), "--format", "json", "--wait", "30",
         "SELECT option_id, sum(articles) AS n FROM weekly_option_share GROUP BY 1 ORDER BY 1"],
        capture_output=True, text=True, timeout=120,
    )
    holder.wait()
    assert done.returncode == 0, done.stderr
    assert "busy" in done.stderr and "Traceback" not in done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["option_id"] for r in rows] == sorted(
        ["air_sea_shield", "article5_guarantee", "bilateral_alliance", "troops_training"]
    )


def test_sample_sources_resolve_to_existing_files() -> None:
    sources = load_sources(SAMPLE_SOURCES)
    assert len(sources) >= 5
    for s in sources:
        assert s.url.startswith("file:///") and Path(s.url[len("file://"):]).exists()


def test_the_demo_job_runs_with_no_network(tmp_path: Path) -> None:
    """Offline by design: in a network namespace with only loopback, the whole job still runs."""
    import shutil

    if not (shutil.which("unshare") and shutil.which("ip")) or subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode:
        pytest.skip("needs `unshare -n` (root or user namespaces) and `ip` to cut the network")
    db = tmp_path / "offline.duckdb"
    done = subprocess.run(
        ["unshare", "-n", "sh", "-c", f'ip link set lo up && exec "{sys.executable}" -m flows.cli run --db "{db}"'],
        capture_output=True, text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"{len(sample_labels())} new articles" in done.stderr and "weekly summary" in done.stdout
    assert f"feed {DEAD_FEED} failed" in done.stderr
