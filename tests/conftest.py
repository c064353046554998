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
