"""SIGKILL in the middle of an ingest, then a rerun: no partial rows, no duplicates, no article lost.

A real `pledgewatch ingest` subprocess fetches 40 feeds x 50 items from a slow server on 127.0.0.1 and is
killed once about half the feeds have been served. Writes go in batches of 4 feeds, one transaction each.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from flows.ingest import ingest_flow
from models.settings import Settings
from tests.conftest import ROOT, Server, rows, write_sources

pytestmark = pytest.mark.slow
FEEDS, ITEMS = 40, 50


def _feed(i: int) -> bytes:
    items = "".join(
        f"<item><title>Feed {i} story {j}</title><link>https://f{i}.example/news/{j}</link><guid>f{i}-{j}</guid>"
        f"<description>Story {j} of feed {i}: ministers discussed guarantees, patrols and training.</description></item>"
        for j in range(ITEMS)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>f{i}</title>{items}</channel></rss>'.encode()



def test_sigkill_mid_ingest_then_rerun_converges(server: Server, tmp_path: Path) -> None:
    delay = [0.25]
    bodies = {f"/f{i}.xml": _feed(i) for i in range(FEEDS)}

    def route(h: BaseHTTPRequestHandler) -> None:
        time.sleep(delay[0])
        body = bodies[h.path]
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    for path in bodies:
        server.routes[path] = route
    sources = write_sources(tmp_path / "s.toml", [(f"f{i}", server.url(f"/f{i}.xml")) for i in range(FEEDS)])
    db = tmp_path / "pw.duckdb"
    env = {**os.environ, "PLEDGEWATCH_INGEST_BATCH": "4", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "ingest", "--db", str(db), "--sources", str(sources)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while len(server.requests) < FEEDS // 2:
            assert proc.poll() is None, "the ingest ended before it could be killed"
            assert time.monotonic() < deadline, "the ingest never got going"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL

    # After the kill: every feed is either wholly stored (its batch committed) or not at all.
    per_feed = dict(rows(db, "SELECT s.name, count(f.article_id) FROM sources s "
                              "LEFT JOIN feed_items f ON f.source_url = s.url GROUP BY 1"))
    fetched = {n for (n,) in rows(db, "SELECT s.name FROM sources s JOIN fetches f ON f.source_url = s.url")}
    assert set(per_feed.values()) <= {0, ITEMS}
    stored = {n for n, c in per_feed.items() if c == ITEMS}
    assert 0 < len(stored) < FEEDS, f"kill was not mid-run: {len(stored)} feeds stored"
    assert fetched == stored
    assert rows(db, "SELECT count(*) FROM articles")[0][0] == ITEMS * len(stored)

    delay[0] = 0.0
    report = ingest_flow(Settings(db=db, sources=sources, lock_wait_s=30))
    assert report.new == ITEMS * (FEEDS - len(stored)) and not report.failed
    assert rows(db, "SELECT count(*), count(DISTINCT id), count(DISTINCT url) FROM articles")[0] == (FEEDS * ITEMS,) * 3
    assert rows(db, "SELECT count(*) FROM feed_items")[0][0] == FEEDS * ITEMS
    assert rows(db, "SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL")[0][0] == 0
