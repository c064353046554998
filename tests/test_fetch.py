"""Fetching against a real HTTP server on 127.0.0.1: what a user sees when a feed misbehaves."""

from __future__ import annotations

import gzip
import time
from http.server import BaseHTTPRequestHandler

from extractors.fetch import fetch
from models.domain import Source
from tests.conftest import Server

RSS = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>
<item><title>One</title><link>https://example.org/a</link><pubDate>Mon, 07 Sep 2026 10:00:00 +0000</pubDate></item>
</channel></rss>"""


def _fetch(url: str, **kw: object) -> object:
    opts = {"user_agent": "pledgewatch-test", "timeout_s": 2.0, "max_bytes": 100_000, "max_redirects": 3}
    opts.update(kw)
    return fetch(Source("t", url), **opts)  # type: ignore[arg-type]


def test_ok_sends_user_agent_and_keeps_validators(server: Server) -> None:
    url = server.serve_bytes("/feed", RSS, headers={"ETag": '"v1"', "Last-Modified": "Mon, 07 Sep 2026 10:00:00 GMT"})
    f = _fetch(url)
    assert f.error is None and f.status == 200 and f.body == RSS
    assert f.etag == '"v1"' and f.last_modified.startswith("Mon")
    assert server.requests[0][1]["User-Agent"] == "pledgewatch-test"


def test_conditional_get_304(server: Server) -> None:
    def route(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("If-None-Match") == '"v1"':
            h.send_response(304)
            h.end_headers()
        else:
            h.send_response(200)
            h.end_headers()
            h.wfile.write(RSS)

    server.routes["/feed"] = route
    f = _fetch(server.url("/feed"), etag='"v1"')
    assert f.not_modified and f.error is None and f.body == b""


def test_500_is_a_transient_error_with_the_status(server: Server) -> None:
    url = server.serve_bytes("/feed", b"oops", status=500)
    f = _fetch(url)
    assert f.transient and "HTTP 500" in f.error


def test_404_is_terminal(server: Server) -> None:
    f = _fetch(server.url("/missing"))
    assert not f.transient and "HTTP 404" in f.error


def test_timeout_is_reported(server: Server) -> None:
    def slow(h: BaseHTTPRequestHandler) -> None:
        time.sleep(3)
        h.send_response(200)
        h.end_headers()

    server.routes["/slow"] = slow
    t0 = time.monotonic()
    f = _fetch(server.url("/slow"), timeout_s=0.5)
    assert time.monotonic() - t0 < 2.5
    assert f.transient and "timed out" in f.error


def test_oversized_body_is_refused_without_reading_it_all(server: Server) -> None:
    def endless(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.end_headers()  # no Content-Length: the cap must hold while streaming
        try:
            for _ in range(10_000):
                h.wfile.write(b"x" * 65536)
        except (BrokenPipeError, ConnectionResetError):
            pass

    server.routes["/huge"] = endless
    f = _fetch(server.url("/huge"), max_bytes=1_000_000)
    assert "more than 1000000 bytes" in f.error


def test_gzip_bomb_is_capped(server: Server) -> None:
    bomb = gzip.compress(b"\0" * 50_000_000)
    url = server.serve_bytes("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    f = _fetch(url, max_bytes=1_000_000)
    assert f.error and "1000000" in f.error


def test_redirect_loop_ends_in_an_error(server: Server) -> None:
    def loop(h: BaseHTTPRequestHandler) -> None:
        h.send_response(302)
        h.send_header("Location", "/loop")
        h.end_headers()

    server.routes["/loop"] = loop
    f = _fetch(server.url("/loop"))
    assert "redirect" in f.error


def test_file_url_and_a_missing_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "feed.xml"
    p.write_bytes(RSS)
    assert _fetch(p.as_uri()).body == RSS
    assert "cannot read" in _fetch((tmp_path / "nope.xml").as_uri()).error
