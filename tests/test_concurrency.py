"""The database under concurrent use, with real processes and a slow feed server on 127.0.0.1.

- Readers (`pledgewatch sql`, `pledgewatch report`, the duckdb module read-only) during a running
  `pledgewatch run` never see a traceback and never make the run fail; the longest wait is printed.
- A writer that cannot get the lock waits `--wait` seconds, then fails with one clear line, and never leaves
  a partial batch: each feed is stored whole or not at all.
- Two `pledgewatch run` started at once: one waits for the other, and the data ends as after one run.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, Server, cli_env, pledgewatch, rows, slow_feeds, write_sources

pytestmark = pytest.mark.slow


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "flows.cli", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _raw_reader(db: Path, timeout: float = 60) -> float:
    """What a user's own DuckDB client does: connect read-only, retrying while a batch is written; the wait
    (0 when the first try got in)."""
    started = time.monotonic()
    waited = False
    while True:
        try:
            con = duckdb.connect(str(db), read_only=True)
        except duckdb.IOException:
            waited = True
            assert time.monotonic() - started < timeout, "the duckdb reader never got in"
            time.sleep(0.02)
            continue
        try:
            con.execute("SELECT count(*) FROM articles").fetchall()
        finally:
            con.close()
        return time.monotonic() - started if waited else 0.0


def _fetches(db: Path) -> int:
    try:
        return rows(db, "SELECT count(*) FROM fetches")[0][0]
    except duckdb.Error:  # not there yet, or a batch is being written
        return 0


_WAITED = re.compile(r"got in after waiting ([\d.]+)s")


def test_readers_during_a_run_never_fail_it(server: Server, tmp_path: Path) -> None:
    sources = write_sources(tmp_path / "s.toml", slow_feeds(server, 40, items=lambda: 6, delay=lambda: 0.15))
    db = tmp_path / "pw.duckdb"
    env = cli_env(tmp_path, PLEDGEWATCH_INGEST_BATCH="4", PLEDGEWATCH_TAG_BATCH="16")
    run = _start(["run", "--db", str(db), "--sources", str(sources)], env)
    waits: dict[str, list[float]] = {"sql": [], "report": [], "duckdb": []}
    try:
        while not db.exists() and run.poll() is None:
            time.sleep(0.1)
        while run.poll() is None:
            for kind, args in (("sql", ["-v", "sql", "--db", str(db), "--wait", "60", "SELECT count(*) FROM articles"]),
                               ("report", ["-v", "report", "--db", str(db), "--wait", "60"])):
                done = pledgewatch(*args, env=env)
                assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
                waits[kind].append(max([float(w) for w in _WAITED.findall(done.stderr)], default=0.0))
            for _ in range(5):
                waits["duckdb"].append(_raw_reader(db))
        _, err = run.communicate(timeout=600)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0 and "Traceback" not in err, err[-2000:]
    assert rows(db, "SELECT count(*) FROM articles")[0][0] == 240
    assert rows(db, "SELECT count(*) FROM taggings")[0][0] == 240
    assert all(len(v) for v in waits.values()), waits
    print(f"\nreaders during a run: {sum(map(len, waits.values()))} reads; longest wait for the lock: "
          + ", ".join(f"{k} {max(v):.2f}s ({sum(w > 0 for w in v)} of {len(v)} waited)" for k, v in waits.items()))


def test_a_writer_that_cannot_get_the_lock_fails_clearly_and_whole(server: Server, tmp_path: Path) -> None:
    feeds = slow_feeds(server, 40, items=lambda: 5, delay=lambda: 0.1)
    sources = write_sources(tmp_path / "s.toml", feeds)
    db = tmp_path / "pw.duckdb"
    env = cli_env(tmp_path, PLEDGEWATCH_INGEST_BATCH="4")
    ingest = _start(["ingest", "--db", str(db), "--sources", str(sources), "--wait", "2"], env)
    holder = None
    try:
        deadline = time.monotonic() + 300
        while _fetches(db) < 8:  # two batches are written; then someone else takes the file
            assert ingest.poll() is None and time.monotonic() < deadline, "the ingest ended before the lock was taken"
            time.sleep(0.3)  # seldom: each look is a reader the ingest (--wait 2) must wait for
        holder = subprocess.Popen(
            [sys.executable, "-c",
             "import duckdb, sys, time\n"
             "while True:\n"
             "    try:\n        con = duckdb.connect(sys.argv[1]); break\n"
             "    except duckdb.IOException:\n        time.sleep(0.01)\n"
             "print('holding', flush=True); time.sleep(8); con.close()", str(db)],
            stdout=subprocess.PIPE, text=True)
        assert holder.stdout and holder.stdout.readline().strip() == "holding"
        _, err = ingest.communicate(timeout=120)
    finally:
        for p in (ingest, holder):
            if p is not None and p.poll() is None:
                p.wait(timeout=30)
    assert ingest.returncode == 75, err  # TransientError: a scheduler may retry
    last = err.strip().splitlines()[-1]
    assert "Traceback" not in err and last.startswith("error: ") and "locked" in last and "--wait" in last, err
    per_feed = dict(rows(db, "SELECT s.name, count(f.article_id) FROM sources s "
                             "LEFT JOIN feed_items f ON f.source_url = s.url GROUP BY 1"))
    fetched = {n for (n,) in rows(db, "SELECT DISTINCT s.name FROM sources s JOIN fetches f ON f.source_url = s.url")}
    stored = {n for n, c in per_feed.items() if c}
    assert set(per_feed.values()) <= {0, 5}, "a feed was stored in part"
    assert 0 < len(stored) < 40 and fetched == stored
    assert rows(db, "SELECT count(*) FROM articles")[0][0] == 5 * len(stored)


def test_two_runs_at_once_end_as_one(server: Server, tmp_path: Path) -> None:
    sources = write_sources(tmp_path / "s.toml", slow_feeds(server, 10, items=lambda: 6, delay=lambda: 0.05))
    env = cli_env(tmp_path, PLEDGEWATCH_LOCK_WAIT_S="600")  # the second waits for the whole first run
    pair, alone = tmp_path / "pair.duckdb", tmp_path / "alone.duckdb"
    procs = [_start(["run", "--db", str(db), "--sources", str(sources)], env) for db in (pair, pair, alone)]
    results = [p.communicate(timeout=600) for p in procs]
    for p, (_, err) in zip(procs, results, strict=True):
        assert p.returncode == 0 and "Traceback" not in err, err[-2000:]
    assert sum("another pledgewatch run" in err for _, err in results[:2]) == 1, "neither run waited for the other"

    def data(db: Path) -> tuple[list[tuple], ...]:
        return (rows(db, "SELECT id, url, title, duplicate_of FROM articles ORDER BY id"),
                rows(db, "SELECT article_id, option_id FROM option_tags ORDER BY ALL"),
                rows(db, "SELECT article_id, actor_id, mentions FROM actor_mentions ORDER BY ALL"),
                rows(db, "SELECT article_id, count(*) FROM taggings GROUP BY 1 ORDER BY 1"),
                rows(db, "SELECT source_url, article_id FROM feed_items ORDER BY ALL"))

    assert data(pair) == data(alone)
    assert len(data(pair)[0]) == 60
