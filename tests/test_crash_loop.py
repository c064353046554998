"""The kill loop: `pledgewatch run` against 40 feeds on 127.0.0.1, SIGKILLed at random moments 20 times in a row,
then one clean run. The invariants are SQL over the database, checked after every kill and at the end:

- no duplicate articles (by id and by URL);
- no orphans: every tagging's article exists, every option tag / actor mention has its tagging, every
  evidence sentence its option tag;
- every fetch record and feed item belongs to a source;
- no article stored before a kill is missing afterwards;
- after the clean run, every article has exactly one tagging (tagging finished), and all items are stored;
- no process is left behind by any killed run (no child, e.g. a Prefect server, carries on).

Each run sees more items than the last (the feeds grow by one item per run), so kills land in every phase:
start-up, migration, fetching, batch writes, tagging. Writes are small (batches of 4 feeds, 16 articles).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import ROOT, Server, cli_env, leftover_processes, rows, slow_feeds, write_sources

pytestmark = pytest.mark.slow
FEEDS, BASE, KILLS, MAX_RUNS = 40, 3, 20, 40


def _broken(db: Path) -> dict[str, int]:
    """Each invariant as a count of violating rows: all must be 0."""
    checks = {
        "duplicate article ids": "SELECT count(*) - count(DISTINCT id) FROM articles",
        "duplicate article urls": "SELECT count(*) - count(DISTINCT url) FROM articles",
        "taggings without article": "SELECT count(*) FROM taggings t ANTI JOIN articles a ON a.id = t.article_id",
        "option tags without tagging": "SELECT count(*) FROM option_tags o ANTI JOIN taggings t "
                                       "USING (article_id, tagger_version)",
        "evidence without option tag": "SELECT count(*) FROM evidence e ANTI JOIN option_tags o "
                                       "USING (article_id, tagger_version, option_id)",
        "mentions without tagging": "SELECT count(*) FROM actor_mentions m ANTI JOIN taggings t "
                                    "USING (article_id, tagger_version)",
        "two taggings of one article and version": "SELECT count(*) - count(DISTINCT (article_id, tagger_version)) "
                                                   "FROM taggings",
        "fetches without source": "SELECT count(*) FROM fetches f ANTI JOIN sources s ON s.url = f.source_url",
        "feed items without source": "SELECT count(*) FROM feed_items f ANTI JOIN sources s ON s.url = f.source_url",
        "feed items without article": "SELECT count(*) FROM feed_items f ANTI JOIN articles a ON a.id = f.article_id",
    }
    return {name: rows(db, sql)[0][0] for name, sql in checks.items()}


def test_sigkill_loop_then_a_clean_run(server: Server, tmp_path: Path) -> None:
    generation = [0]
    feeds = slow_feeds(server, FEEDS, items=lambda: BASE + generation[0], delay=lambda: 0.05)
    sources = write_sources(tmp_path / "s.toml", feeds)
    db = tmp_path / "pw.duckdb"
    marker = f"PLEDGEWATCH_KILL_LOOP={uuid.uuid4().hex}"
    key, value = marker.split("=")
    env = cli_env(tmp_path, PLEDGEWATCH_INGEST_BATCH="4", PLEDGEWATCH_TAG_BATCH="16", **{key: value})
    args = [sys.executable, "-m", "flows.cli", "run", "--db", str(db), "--sources", str(sources)]
    rng = random.Random(20261201)

    # One uncut run first: how long start-up (imports, the tagger) and the work take on this machine. Both
    # estimates follow what later runs show, so kills keep landing inside runs however loaded the machine is.
    t0 = time.monotonic()
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not server.requests and proc.poll() is None:
        time.sleep(0.02)
    startup = time.monotonic() - t0
    assert proc.wait(timeout=600) == 0
    work = time.monotonic() - t0 - startup
    stored = {i for (i,) in rows(db, "SELECT id FROM articles")}

    kills: list[tuple[str, float, int, int]] = []  # (phase, seconds into it, articles, taggings) after each kill
    completed = 0
    for _ in range(MAX_RUNS):
        if len(kills) >= KILLS:
            break
        generation[0] += 1
        seen = len(server.requests)
        t0 = time.monotonic()
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            if rng.random() < 0.2:  # now and then during start-up and migration
                phase, at = "start-up", rng.uniform(0.2, startup)
            else:  # mostly once the run is at work: fetching, writing batches, tagging
                phase, at = "work", rng.uniform(0.0, 0.9 * work)
                while len(server.requests) == seen and proc.poll() is None:
                    time.sleep(0.02)
                startup = time.monotonic() - t0
            proc.wait(timeout=at)
            completed += 1
            work = max(0.5, time.monotonic() - t0 - startup)  # it was quicker than thought
            assert proc.returncode == 0, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        finally:
            if proc.stderr:
                err = proc.stderr.read().decode()
                proc.stderr.close()
                assert "Traceback" not in err, err[-2000:]
        broken = _broken(db)
        assert broken == dict.fromkeys(broken, 0), broken
        now = {i for (i,) in rows(db, "SELECT id FROM articles")}
        assert stored <= now, f"{len(stored - now)} articles stored before a kill are gone"
        stored = now
        if proc.returncode == -signal.SIGKILL:
            kills.append((phase, round(at, 1), len(now), rows(db, "SELECT count(*) FROM taggings")[0][0]))
    assert len(kills) >= KILLS, f"only {len(kills)} runs were still going when killed ({completed} completed)"
    time.sleep(0.5)
    assert leftover_processes(marker) == [], "a killed run left processes behind"

    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    broken = _broken(db)
    assert broken == dict.fromkeys(broken, 0)
    final = {i for (i,) in rows(db, "SELECT id FROM articles")}
    assert stored <= final
    assert len(final) == FEEDS * (BASE + generation[0])  # every item of the last generation is stored
    untagged = rows(db, "SELECT count(*) FROM articles a ANTI JOIN taggings t ON t.article_id = a.id")[0][0]
    versions = rows(db, "SELECT count(DISTINCT tagger_version) FROM taggings")[0][0]
    assert untagged == 0 and versions == 1
    assert rows(db, "SELECT count(*) FROM taggings")[0][0] == len(final)
    assert leftover_processes(marker) == []
    print(f"\nkill loop: {len(kills)} kills ({sum(k[0] == 'work' for k in kills)} at work), {completed} runs "
          f"finished before their kill time; start-up {startup:.1f}s, work {work:.1f}s; {len(final)} articles at "
          f"the end, no invariant broken; after each kill (phase, s, articles, taggings): {kills}")
    assert os.environ.get(key) is None  # the marker never leaked into this process
