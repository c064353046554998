"""Politeness and conditional GET, against a real HTTP server on 127.0.0.1 and a real DuckDB file."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import duckdb
import pytest

from extractors.fetch import fetch
from extractors.politeness import HostGate, backoff_s, parse_retry_after, plan_fetch
from flows.ingest import ingest_flow
from models.domain import FeedState, Source
from models.settings import Settings
from tests.conftest import Server, write_sources

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)


def _rss(*titles: str) -> bytes:
    items = "".join(f"<item><title>{t}</title><link>https://e.example/{t}</link></item>" for t in titles)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>{items}</channel></rss>'.encode()


def test_backoff_doubles_honours_retry_after_and_is_capped() -> None:
    assert [backoff_s(n, base_s=300, cap_s=86_400) for n in (0, 1, 2, 3)] == [0, 300, 600, 1200]
    assert backoff_s(40, base_s=300, cap_s=86_400) == 86_400
    assert backoff_s(1, base_s=300, cap_s=86_400, retry_after_s=7200) == 7200
    assert backoff_s(1, base_s=300, cap_s=86_400, retry_after_s=10**9) == 86_400


def test_retry_after_seconds_or_http_date() -> None:
    assert parse_retry_after("120", NOW) == 120
    assert parse_retry_after("Mon, 02 Nov 2026 12:10:00 GMT", NOW) == 600
    assert parse_retry_after("soon", NOW) is None and parse_retry_after(None, NOW) is None


def test_plan_skips_backing_off_feeds_and_drops_validators_for_stale_304s() -> None:
    kw = {"refetch_after_304s": 3, "refetch_max_age_s": 86_400}
    backing = FeedState("u", consecutive_failures=2, next_fetch_after=NOW + timedelta(minutes=5))
    assert "backing off until 2026-11-02 12:05:00" in (plan_fetch(backing, NOW, **kw).skip or "")
    fresh = FeedState("u", etag='"e"', last_modified="x", consecutive_304=1, last_200_at=NOW - timedelta(hours=1))
    assert plan_fetch(fresh, NOW, **kw).etag == '"e"'
    many = FeedState("u", etag='"e"', consecutive_304=3, last_200_at=NOW - timedelta(hours=1))
    old = FeedState("u", etag='"e"', consecutive_304=0, last_200_at=NOW - timedelta(days=2))
    for state in (many, old):
        plan = plan_fetch(state, NOW, **kw)
        assert plan.etag is None and plan.last_modified is None and plan.note


def test_429_retry_after_is_reported_and_bad_schemes_are_refused(server: Server) -> None:
    url = server.serve_bytes("/busy", b"slow down", status=429, headers={"Retry-After": "120"})
    f = fetch(Source("t", url), user_agent="pw", timeout_s=2, max_bytes=1000)
    assert f.transient and f.retry_after_s == 120 and "wait 120s" in (f.error or "")
    f = fetch(Source("t", "ftp://example.org/feed"), user_agent="pw", timeout_s=2, max_bytes=1000)
    assert not f.transient and "only http(s)" in (f.error or "")


def test_host_gate_allows_one_request_per_host_and_n_overall() -> None:
    gate = HostGate(total=2, per_host=1)
    active: dict[str, int] = {}
    peak: dict[str, int] = {}
    total_peak = [0]
    lock = threading.Lock()

    def hit(url: str) -> None:
        host = url.split("/")[2].split(":")[0]  # the gate ignores ports: one machine is one host
        with gate.slot(url):
            with lock:
                active[host] = active.get(host, 0) + 1
                peak[host] = max(peak.get(host, 0), active[host])
                total_peak[0] = max(total_peak[0], sum(active.values()))
            time.sleep(0.02)
            with lock:
                active[host] -= 1

    threads = [threading.Thread(target=hit, args=(f"http://h{i % 3}.example:{8000 + i}/f",)) for i in range(18)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == {"h0.example": 1, "h1.example": 1, "h2.example": 1}
    assert total_peak[0] == 2


@pytest.mark.slow
def test_flow_backs_off_after_503_with_retry_after_and_skips_next_run(server: Server, tmp_path: Path) -> None:
    feeds = [("busy", server.serve_bytes("/busy.xml", b"", status=503, headers={"Retry-After": "3600"})),
             ("fine", server.serve_bytes("/fine.xml", _rss("a", "b")))]
    s = Settings(db=tmp_path / "pw.duckdb", sources=write_sources(tmp_path / "s.toml", feeds))
    first = {f.name: f for f in ingest_flow(s).feeds}
    assert "HTTP 503" in (first["busy"].error or "") and "wait 3600s" in (first["busy"].error or "")
    assert [p for p, _ in server.requests].count("/busy.xml") == 1  # Retry-After: no immediate Prefect retry
    second = {f.name: f for f in ingest_flow(s).feeds}
    assert second["busy"].skipped and "backing off until" in second["busy"].skipped
    assert [p for p, _ in server.requests].count("/busy.xml") == 1
    con = duckdb.connect(str(s.db), read_only=True)
    row = con.execute("SELECT status, consecutive_failures, backoff_until - last_fetch_at FROM feed_health "
                      "WHERE name = 'busy'").fetchone()
    con.close()
    assert row is not None and row[0] == "backing off" and row[1] == 1
    assert timedelta(seconds=3590) < row[2] < timedelta(seconds=3700)


@pytest.mark.slow
def test_flow_falls_back_to_a_full_fetch_when_a_304_feed_never_changes(server: Server, tmp_path: Path) -> None:
    """The server keeps one ETag although the feed changed: after N 304s the flow fetches without validators."""
    body = [_rss("first")]

    def route(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("If-None-Match") == '"same"':
            h.send_response(304)
            h.end_headers()
            return
        h.send_response(200)
        h.send_header("ETag", '"same"')
        h.send_header("Content-Length", str(len(body[0])))
        h.end_headers()
        h.wfile.write(body[0])

    server.routes["/stuck.xml"] = route
    s = Settings(db=tmp_path / "pw.duckdb", sources=write_sources(tmp_path / "s.toml", [("stuck", server.url("/stuck.xml"))]),
                 refetch_after_304s=2)
    assert ingest_flow(s).new == 1
    body[0] = _rss("first", "second")
    assert ingest_flow(s).new == 0 and ingest_flow(s).new == 0  # two 304s: cheap, nothing read
    third = ingest_flow(s)
    assert third.new == 1 and "fetching without validators" in (third.feeds[0].warning or "")
    sent = [h.get("If-None-Match") for p, h in server.requests if p == "/stuck.xml"]
    assert sent == [None, '"same"', '"same"', None]
    con = duckdb.connect(str(s.db), read_only=True)
    assert con.execute("SELECT consecutive_304, last_200_at IS NOT NULL FROM feed_health").fetchone() == (0, True)
    con.close()


@pytest.mark.slow
def test_sources_table_shows_health(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    monkeypatch.setenv("COLUMNS", "300")

    feeds = [("fine", server.serve_bytes("/fine.xml", _rss("a", "b"))), ("gone", server.url("/gone.xml"))]
    s = Settings(db=tmp_path / "pw.duckdb", sources=write_sources(tmp_path / "s.toml", feeds))
    ingest_flow(s)
    result = CliRunner().invoke(app, ["sources", "--db", str(s.db), "--wait", "5"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "feed health" in out and "fine" in out and "ok" in out and "backing off" in out and "HTTP 404" in out
