"""Feeds parsed in worker processes (flows/processes.py): the same articles as parsing in the run's own
threads, and a worker that dies costs a retry, not the run. (That a killed run leaves no worker behind is
checked by tests/test_crash_loop.py, whose runs have more feeds than OFFLOAD_MIN_FEEDS.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import flows.ingest
from flows.ingest import OFFLOAD_MIN_FEEDS, ingest_flow
from flows.processes import Offload
from models.settings import Settings
from tests.conftest import Server, rows, write_sources

STORED = "SELECT id, title, summary, minhash, content_hash, duplicate_of, date_missing FROM articles ORDER BY id"


def _feed(i: int, items: int) -> bytes:
    """A dated RSS feed; its last item is the same wire story under this outlet's own URL."""
    stories = [(f"https://f{i}.example/news/{j}", f"Feed {i} story {j}",
                f"Council {i} approved budget line {j} for {['roads', 'schools', 'ports'][j % 3]} in district {i * 7 + j}.")
               for j in range(items)]
    stories.append((f"https://f{i}.example/wire", "Allies discuss guarantees",
                    "Zelensky and NATO ministers discussed European troops and air patrols to guarantee a ceasefire."))
    body = "".join(f"<item><title>{t}</title><link>{u}</link><description>{d}</description>"
                   f"<pubDate>Mon, {2 + j % 20:02d} Nov 2026 {i % 24:02d}:00:00 GMT</pubDate></item>"
                   for j, (u, t, d) in enumerate(stories))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>f{i}</title>{body}</channel></rss>'.encode()


def _ingest(tmp: Path, name: str, feeds: list[tuple[str, str]]) -> list[tuple]:
    # One batch: which copy is canonical then follows publication times, not the order feeds finish in.
    s = Settings(db=tmp / f"{name}.duckdb", sources=write_sources(tmp / f"{name}.toml", feeds), lock_wait_s=30,
                 ingest_batch=len(feeds))
    report = ingest_flow(s)
    assert not report.failed
    return rows(s.db, STORED)


def test_worker_processes_store_exactly_what_threads_store(
    tmp_path: Path, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    feeds = [(f"f{i}", server.serve_bytes(f"/f{i}.xml", _feed(i, 12))) for i in range(OFFLOAD_MIN_FEEDS + 4)]
    made: list[Offload] = []

    class Seen(Offload):  # seam: the run's Offload, to see where its feeds were parsed
        def __enter__(self) -> Offload:
            made.append(self)
            return super().__enter__()

    monkeypatch.setattr(flows.ingest, "Offload", Seen)
    in_workers = _ingest(tmp_path, "workers", feeds)
    assert made[0].offloaded == len(feeds)  # they really went to worker processes

    monkeypatch.setattr(flows.ingest, "OFFLOAD_MIN_FEEDS", 10**6)  # seam: parse in the run's threads
    in_threads = _ingest(tmp_path, "threads", feeds)

    assert len(in_workers) == len(feeds) * 13
    assert in_workers == in_threads
    assert sum(r[5] is not None for r in in_workers) == len(feeds) - 1  # the wire story: one canonical, 19 copies


def _die_in_a_worker(run: int) -> int:
    if os.getpid() != run:
        os._exit(3)  # as a segfault or the OOM killer would end it
    return os.getpid()


def test_a_worker_that_dies_costs_a_retry_in_this_process_not_the_run() -> None:
    me = os.getpid()
    with Offload(2) as offload:
        assert offload.run(os.getpid) != me  # a worker did it
        assert offload.run(_die_in_a_worker, me) == me  # the worker died: done again here
        assert offload.run(os.getpid) == me  # and the rest stays here
        assert offload.offloaded == 1
    assert Offload(2).run(os.getpid) == me  # outside `with`, inline
