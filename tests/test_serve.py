"""Scheduled runs, for real: one Prefect server on 127.0.0.1 for every test here; `pledgewatch serve` serving
ingest-and-tag and weekly-report on it, each triggered and run to completion; then prefect.yaml deployed to
a process work pool and run by a worker."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.deploy import last_full_week, schedules
from models.domain import Article, FeedFetch, FeedRecord, Source, TagResult
from models.errors import ConfigError
from models.settings import Settings
from storage.db import migrate, writing
from storage.writes import record_batch, upsert_sources, write_tags
from tests.conftest import ROOT, rows

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(p: subprocess.Popen[bytes]) -> None:
    os.killpg(p.pid, signal.SIGTERM)
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(timeout=10)


class Prefect:
    """A real `prefect server start` on a free port, and its REST API."""

    def __init__(self, home: Path) -> None:
        port = _port()
        self.api = f"http://127.0.0.1:{port}/api"
        self.env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_UI_ENABLED": "false",
                    "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
                    "PREFECT_API_URL": self.api, "PREFECT_RUNNER_POLL_FREQUENCY": "2"}
        self.proc = subprocess.Popen(
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env={k: v for k, v in self.env.items() if k != "PREFECT_API_URL"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.api}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.5)
        _stop(self.proc)
        pytest.fail("the Prefect server did not start within 90 s")

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._send("POST", path, body or {})

    def _send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """As Prefect's own client does: the server answers 503 for errors worth a retry (its SQLite database
        busy while `pledgewatch serve` writes schedules), so those are retried with a backoff."""
        for attempt in range(8):
            r = httpx.request(method, f"{self.api}{path}", json=body, timeout=10)
            if r.status_code not in (429, 502, 503) or attempt == 7:
                break
            time.sleep(0.25 * 2 ** attempt)
        r.raise_for_status()
        return r.json()

    def deployments(self) -> dict[str, dict[str, Any]]:
        return {d["name"]: d for d in self.post("/deployments/filter")}

    def wait_run(self, run_id: str, timeout_s: float, alive: subprocess.Popen[bytes] | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            run = self._send("GET", f"/flow_runs/{run_id}")
            if run["state_type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                return run
            if alive is not None and alive.poll() is not None:
                pytest.fail(f"the serving process exited ({alive.returncode}) before run {run_id} finished")
            time.sleep(1)
        pytest.fail(f"flow run {run_id} did not finish within {timeout_s:.0f} s")


@pytest.fixture(scope="module")
def prefect(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prefect]:
    server = Prefect(tmp_path_factory.mktemp("prefect"))
    yield server
    _stop(server.proc)


def test_serve_without_a_server_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 1 and "prefect server start" in result.output and "PREFECT_API_URL" in result.output


def test_schedules_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    ingest, report = schedules(Settings())
    assert ingest.interval.total_seconds() == 1800  # type: ignore[attr-defined]
    assert (report.cron, report.timezone) == ("0 6 * * 1", "UTC")  # type: ignore[attr-defined]
    monkeypatch.setenv("PLEDGEWATCH_INGEST_CRON", "*/10 * * * *")
    monkeypatch.setenv("PLEDGEWATCH_REPORT_TZ", "Europe/Kyiv")
    ingest, report = schedules(Settings())
    assert ingest.cron == "*/10 * * * *" and report.timezone == "Europe/Kyiv"  # type: ignore[attr-defined]
    assert last_full_week(datetime(2026, 12, 7, 4, 30, tzinfo=UTC), "Europe/Kyiv") == "2026-W49"
    for name, value in [("PLEDGEWATCH_REPORT_TZ", "Mars/Olympus"), ("PLEDGEWATCH_REPORT_CRON", "every monday")]:
        with pytest.raises(ConfigError, match=name):
            schedules(Settings(**{name.removeprefix("PLEDGEWATCH_").lower(): value}))
    result = CliRunner().invoke(app, ["serve", "--report-tz", "Mars/Olympus"], env={"PREFECT_API_URL": "http://127.0.0.1:9/api"})
    assert result.exit_code == 1 and "PLEDGEWATCH_REPORT_TZ" in result.output and "Traceback" not in result.output


def test_serve_runs_both_deployments(prefect: Prefect, tmp_path: Path) -> None:
    db = tmp_path / "pw.duckdb"
    env = {**prefect.env, "PLEDGEWATCH_INGEST_EVERY_S": "3600", "PLEDGEWATCH_REPORT_TZ": "Europe/Kyiv"}
    served = subprocess.Popen([sys.executable, "-m", "flows.cli", "serve", "--db", str(db)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(found := prefect.deployments()) < 2:
            assert served.poll() is None, "pledgewatch serve exited before registering its deployments"
            time.sleep(1)
        assert set(found) == {"ingest-and-tag", "weekly-report"}
        ingest, report = found["ingest-and-tag"], found["weekly-report"]
        assert [s["schedule"]["interval"] for s in ingest["schedules"]] == [3600.0]
        assert [(s["schedule"]["cron"], s["schedule"]["timezone"]) for s in report["schedules"]] == [("0 6 * * 1", "Europe/Kyiv")]
        assert {"pledgewatch", "ingest"} <= set(ingest["tags"])
        assert (ingest.get("global_concurrency_limit") or {}).get("limit") == 1  # one run at a time

        # ingest-and-tag through the API, weekly-report through the CLI.
        t0 = time.monotonic()
        run = prefect.post(f"/deployments/{ingest['id']}/create_flow_run")
        done = prefect.wait_run(run["id"], 600, served)  # 230+ sample items on 2 shared cores
        wall = time.monotonic() - t0
        assert done["state_type"] == "COMPLETED", done["state"]
        articles, tagged = rows(db, "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM taggings)")[0]
        assert articles >= 60 and tagged == articles
        print(f"\ningest-and-tag on the samples: {done['total_run_time']:.1f} s run time, {wall:.1f} s from trigger to done")

        cli = subprocess.run([str(BIN / "prefect"), "deployment", "run", "weekly-report/weekly-report"], env=prefect.env,
                             capture_output=True, text=True, timeout=60)
        assert cli.returncode == 0, cli.stdout + cli.stderr
        run_id = re.search(r"UUID: ([0-9a-f-]{36})", cli.stdout)
        assert run_id, cli.stdout
        done = prefect.wait_run(run_id.group(1), 300, served)
        assert done["state_type"] == "COMPLETED", done["state"]
        reports = list((tmp_path / "reports").glob("*.md"))
        assert len(reports) == 1 and "weekly summary" in reports[0].read_text(encoding="utf-8")
        assert reports[0].stem <= last_full_week(datetime.now(UTC), "Europe/Kyiv")
    finally:
        _stop(served)


def test_prefect_yaml_deploys_to_a_process_pool(prefect: Prefect, tmp_path: Path) -> None:
    """`prefect deploy --all` from the committed prefect.yaml; a process worker runs weekly-report from this
    checkout (local pull step, nothing cloned), with its settings from the worker's environment."""
    db = tmp_path / "pool.duckdb"
    src = Source("Wire (test)", "https://wire.example/rss", "en")
    at = datetime(2026, 11, 10, 9, tzinfo=UTC)
    articles = [Article(f"a{i}", f"https://wire.example/{i}", src.url, f"Story {i}", "text", at, at, "en", f"h{i}")
                for i in range(3)]
    with writing(db) as con:  # three tagged stories in 2026-W46, written directly: no tagger needed here
        migrate(con)
        upsert_sources(con, [src])
        record_batch(con, [FeedRecord(FeedFetch(src, at, status=200), tuple(articles))])
        write_tags(con, [TagResult(a.id, "en", (), (), "t-test", "2026.11.2") for a in articles], at)

    def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(BIN / "prefect"), *args], env={**prefect.env, **env}, cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        return done

    cli("work-pool", "create", "pledgewatch", "--type", "process")
    cli("--no-prompt", "deploy", "--all", PWD=str(ROOT))
    found = prefect.deployments()
    report = found["weekly-report"]
    assert report["work_pool_name"] == "pledgewatch" and found["ingest-and-tag"]["work_pool_name"] == "pledgewatch"
    assert report["pull_steps"] == [{"prefect.deployments.steps.set_working_directory": {"directory": str(ROOT)}}]
    run_id = re.search(r"UUID: ([0-9a-f-]{36})", cli("deployment", "run", "weekly-report/weekly-report").stdout)
    assert run_id
    worker_env = {"PLEDGEWATCH_DB": str(db), "PLEDGEWATCH_REPORT_DIR": str(tmp_path / "out")}
    cli("worker", "start", "--pool", "pledgewatch", "--run-once", **worker_env)
    done = prefect.wait_run(run_id.group(1), 300)
    assert done["state_type"] == "COMPLETED", done["state"]
    assert [p.name for p in (tmp_path / "out").glob("*.md")] == ["2026-W46.md"], "the worker's run wrote no report"
