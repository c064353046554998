"""Scheduled runs, for real: a Prefect server on 127.0.0.1 and `pledgewatch serve` running the pipeline on it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.quality import sample_labels

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tagged(db: Path) -> int:
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return 0  # not created yet, or the run holds the write lock
    try:
        return int(con.execute("SELECT count(*) FROM taggings").fetchone()[0])  # type: ignore[index]
    except duckdb.Error:
        return 0
    finally:
        con.close()


def _stop(p: subprocess.Popen[bytes]) -> None:
    os.killpg(p.pid, signal.SIGTERM)
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)


def test_serve_without_a_server_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 1 and "prefect server start" in result.output and "PREFECT_API_URL" in result.output


def test_serve_runs_the_pipeline_on_schedule(tmp_path: Path) -> None:
    port = _port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_UI_ENABLED": "false",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    server = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    served = None
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{api}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail("the Prefect server did not start within 90 s")
        db = tmp_path / "pw.duckdb"
        served = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "serve", "--db", str(db), "--every", "5"],
            env={**env, "PREFECT_API_URL": api}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + 300  # 150+ sample items; the machine's 2 cores are shared
        expected = len(sample_labels())
        while time.monotonic() < deadline and _tagged(db) < expected:
            assert served.poll() is None, served.stderr.read().decode()[-2000:] if served.stderr else ""
            time.sleep(1)
        assert _tagged(db) == expected, "no scheduled run tagged the sample articles within 300 s"
    finally:
        if served is not None:
            _stop(served)
        _stop(server)
