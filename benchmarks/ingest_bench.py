"""Ingest benchmark: N feeds x M items served from 127.0.0.1, wall time and peak RSS.

    .venv/bin/python benchmarks/ingest_bench.py [--feeds 100] [--items 50]

What it does:
1. writes N RSS files of M items each (distinct ~120-word texts, so parsing and MinHash do real work)
   to a temporary folder and serves them with `python -m http.server` in its own process on 127.0.0.1;
2. cold: runs `pledgewatch ingest` (python -m flows.cli ingest) as a subprocess on a fresh DuckDB file and
   reports its wall time, CPU time and peak RSS (os.wait4). With no PREFECT_API_URL this is the one-shot
   mode (flows/runtime.py: no Prefect import, no temporary Prefect server); set it to measure recorded runs;
3. rerun: the same command again (http.server answers If-Modified-Since with 304);
4. warm flow: in this process, after one warm-up flow run, times `ingest_flow` alone on a fresh DuckDB file
   (what a long-lived `pledgewatch serve` pays per run).
Not a test: numbers go to BENCHMARKS.md by hand, with the machine they came from.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = (
    "ukraine security guarantees coalition troops training air shield sea patrol article five alliance ceasefire "
    "minister said talks europe nato partners weapons border reconstruction summit agreement parliament defence "
    "budget drones missiles brigade instructors kyiv london paris berlin warsaw washington monitoring mission "
    "sanctions energy grain port black corridor frontline negotiations envoy statement allies pledge deterrence"
).split()


def make_feed(i: int, items: int, rng: random.Random) -> bytes:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Bench feed {i}</title>'
             f"<link>https://bench{i}.example/</link><language>en</language>"]
    for j in range(items):
        text = " ".join(rng.choice(WORDS) for _ in range(120))
        when = format_datetime(start + timedelta(minutes=7 * (i * items + j)))
        parts.append(
            f"<item><title>Feed {i} story {j}: {' '.join(rng.choice(WORDS) for _ in range(8))}</title>"
            f"<link>https://bench{i}.example/news/{j}?utm_source=rss</link><guid>bench-{i}-{j}</guid>"
            f"<pubDate>{when}</pubDate><description>&lt;p&gt;{text}&lt;/p&gt;</description></item>"
        )
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_cli(db: Path, sources: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + sys) and peak RSS (MB) of one `pledgewatch ingest` subprocess.
    CPU time is reported because wall time on a shared machine depends on what else runs."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.monotonic()
    p = subprocess.Popen([sys.executable, "-m", "flows.cli", "ingest", "--db", str(db), "--sources", str(sources)],
                         cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    if status != 0:
        raise SystemExit(f"ingest failed ({status}): {p.stderr.read().decode() if p.stderr else ''}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--feeds", type=int, default=100)
    ap.add_argument("--items", type=int, default=50)
    args = ap.parse_args()
    load = os.getloadavg()[0]
    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        www = root / "www"
        www.mkdir()
        for i in range(args.feeds):
            (www / f"feed{i}.xml").write_bytes(make_feed(i, args.items, rng))
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                                  cwd=www, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(0.5)
            sources = root / "sources.toml"
            sources.write_text("".join(
                f'[[sources]]\nname = "feed{i}"\nurl = "http://127.0.0.1:{port}/feed{i}.xml"\n\n'
                for i in range(args.feeds)), encoding="utf-8")
            cold, cold_cpu, cold_rss = run_cli(root / "cold.duckdb", sources)
            rerun, rerun_cpu, rerun_rss = run_cli(root / "cold.duckdb", sources)

            import flows  # noqa: F401  (Prefect environment defaults)
            from flows.ingest import ingest_flow
            from models.settings import Settings

            empty = root / "empty.toml"
            empty.write_text("[[sources]]\nname = \"one\"\n" f'url = "http://127.0.0.1:{port}/feed0.xml"\n', encoding="utf-8")
            ingest_flow(Settings(db=root / "warmup.duckdb", sources=empty))
            t0 = time.monotonic()
            report = ingest_flow(Settings(db=root / "warm.duckdb", sources=sources))
            warm = time.monotonic() - t0
        finally:
            server.terminate()
            server.wait()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cpus, Python {platform.python_version()}")
    print(f"feeds x items: {args.feeds} x {args.items}; new articles in warm run: {report.new}")
    mode = f"recorded on {os.environ['PREFECT_API_URL']}" if os.environ.get("PREFECT_API_URL") else "one-shot, no Prefect API"
    print(f"load average at start: {load:.1f}; CLI mode: {mode}")
    print(f"cold CLI run (fresh db): {cold:.1f} s wall, {cold_cpu:.1f} s CPU, peak RSS {cold_rss:.0f} MB")
    print(f"rerun CLI (304s, nothing new): {rerun:.1f} s wall, {rerun_cpu:.1f} s CPU, peak RSS {rerun_rss:.0f} MB")
    print(f"warm flow in a running process (fresh db): {warm:.1f} s")


if __name__ == "__main__":
    main()
