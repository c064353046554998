"""Shared fixtures: a real HTTP server on 127.0.0.1, settings on a temporary DuckDB file, paths to ../shared."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import flows  # noqa: F401  (Prefect environment defaults)
from models.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def shared(*parts: str) -> Path:
    """A path under ../shared, or skip the test with the reason when it is absent (as for a user's clone)."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"{p} is absent: ../shared is only beside the repository in the project's workspace")
    return p


Route = Callable[[BaseHTTPRequestHandler], None]


class Server:
    """A real threaded HTTP server on 127.0.0.1; tests register a handler per path."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path.split("?")[0])
                if route is None:
                    self.send_error(404)
                    return
                route(self)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def serve_bytes(self, path: str, body: bytes, content_type: str = "application/rss+xml", status: int = 200,
                    headers: dict[str, str] | None = None) -> str:
        def route(h: BaseHTTPRequestHandler) -> None:
            h.send_response(status)
            h.send_header("Content-Type", content_type)
            h.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(body)

        self.routes[path] = route
        return self.url(path)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db=tmp_path / "pw.duckdb", lock_wait_s=30)


def rows(db: Path, sql: str) -> list[tuple]:
    """Run one query on a read-only connection to a test database, closing it again."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def write_sources(path: Path, feeds: list[tuple[str, str]]) -> Path:
    path.write_text("".join(f'[[sources]]\nname = "{n}"\nurl = "{u}"\n\n' for n, u in feeds), encoding="utf-8")
    return path


def cli_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of a real `pledgewatch` process in a test: offline, no PLEDGEWATCH_* from the caller,
    and no Prefect API or profile (PREFECT_HOME in `tmp`), unless `extra` sets one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLEDGEWATCH_", "PREFECT_API", "PREFECT_PROFILE"))}
    env.update(PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", PREFECT_HOME=str(tmp / "prefect-home"))
    env.update(extra)
    return env


def pledgewatch(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run `pledgewatch ARGS…` as its own process (python -m flows.cli) and capture its output."""
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def rss(feed: int, items: int) -> bytes:
    """An RSS feed of `items` distinct stories; every third one is on the topic (names Zelensky and NATO)."""
    parts = []
    for j in range(items):
        about = ("Zelensky and NATO ministers discussed European troops and air patrols to guarantee a ceasefire."
                 if j % 3 == 0 else f"The council of town {feed} approved budget line {j} for roads and schools.")
        parts.append(f"<item><title>Feed {feed} story {j}</title><link>https://f{feed}.example/news/{j}</link>"
                     f"<guid>f{feed}-{j}</guid><description>{about} Item {j} of feed {feed}.</description></item>")
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>f{feed}</title>{"".join(parts)}'
            "</channel></rss>").encode()


def slow_feeds(server: Server, feeds: int, items: Callable[[], int], delay: Callable[[], float]) -> list[tuple[str, str]]:
    """Serve `feeds` RSS feeds from `server`, each answer after `delay()` seconds with `items()` stories."""
    import time

    def route(h: BaseHTTPRequestHandler) -> None:
        time.sleep(delay())
        body = rss(int(h.path.split("?")[0][2:-4]), items())
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    for i in range(feeds):
        server.routes[f"/f{i}.xml"] = route
    return [(f"f{i}", server.url(f"/f{i}.xml")) for i in range(feeds)]


def leftover_processes(marker: str) -> list[str]:
    """Processes still alive whose environment holds `marker` (children of a killed run, e.g. a Prefect server)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if marker.encode() in (proc / "environ").read_bytes():
                state = (proc / "stat").read_text().split(") ")[-1][:1]
                if state != "Z":  # a zombie holds nothing; its parent (us) reaps it
                    cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                    found.append(f"{proc.name}: {cmdline[:120]}")
        except OSError:
            continue
    return found
