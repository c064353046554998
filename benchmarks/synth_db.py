"""Build a synthetic pledgewatch database at scale, through the project's own migrations and write path.

    .venv/bin/python benchmarks/synth_db.py DB --articles N [--weeks 104] [--sources 200] [--seed 7]
                                          [--retag-weeks 4] [--force]

Every table, marker and index a real run maintains is there, because the rows go in through
storage.db.migrate, storage.writes.record_batch and storage.writes.write_tags, one ISO week per batch
(about N / weeks articles and 2 fetches per feed), as dataclasses from models.domain.

Proportions: N articles over --weeks weeks (ending 2026-W48) and --sources feeds of uneven size in seven
languages; 5 % copies (duplicate_of), 1 % without a feed date; every article tagged, about 30 % with an option
tag (1-3 evidence sentences each) and 2-4 actor mentions (3 on average); 3 % of fetches fail and about 1 % of
feed-weeks are outages (every fetch fails, no articles). The last --retag-weeks weeks are tagged a second time
with a newer tagger version, so the current-tagging marker has work to do.
Not a test: numbers go to BENCHMARKS.md by hand, with the machine they came from.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.domain import (  # noqa: E402
    ActorMention,
    Article,
    Evidence,
    FeedFetch,
    FeedRecord,
    OptionTag,
    Source,
    TagResult,
)
from models.taxonomy import load_taxonomy  # noqa: E402
from storage.db import migrate, writing  # noqa: E402
from storage.writes import record_batch, upsert_sources, write_tags  # noqa: E402

LAST_MONDAY = datetime(2026, 11, 23, tzinfo=UTC)  # 2026-W48
LANGS = ("en", "en", "en", "uk", "ru", "de", "fr", "pl", "tr")
TAXONOMY = ROOT / "models" / "data" / "taxonomy.toml"


def _sources(n: int) -> list[Source]:
    return [Source(f"Synthetic {i:03d}", f"https://s{i:03d}.example/rss", LANGS[i % len(LANGS)]) for i in range(n)]


def _week_records(
    rng: random.Random, k: int, monday: datetime, n: int, sources: list[Source], weights: list[float]
) -> tuple[list[FeedRecord], list[Article]]:
    """One week: the feeds' fetches (2 each) with the articles they carried; outage feeds carry nothing."""
    days = (1, 4)
    failed = {(s.url, d) for s in sources for d in days if rng.random() < 0.03}
    down = {s.url for s in sources if rng.random() < 0.01 or all((s.url, d) in failed for d in days)}
    live = [(s, w) for s, w in zip(sources, weights, strict=True) if s.url not in down]
    picks = rng.choices([s for s, _ in live], weights=[w for _, w in live], k=n)
    by_source: dict[str, list[Article]] = {}
    canon: list[Article] = []
    for i, src in enumerate(picks):
        url = f"{src.url[:-4]}/{k}/{i}"
        aid = hashlib.sha1(url.encode()).hexdigest()[:20]
        published = monday + timedelta(seconds=rng.randrange(7 * 86400))
        copy_of = canon[rng.randrange(len(canon))].id if canon and rng.random() < 0.05 else None
        a = Article(
            id=aid, url=url, source_url=src.url, title=f"Synthetic story {k}-{i}", summary="A synthetic summary.",
            published_at=published, fetched_at=published + timedelta(hours=1), lang=src.lang, content_hash=aid,
            date_missing=rng.random() < 0.01, duplicate_of=copy_of,
        )
        if copy_of is None:
            canon.append(a)
        by_source.setdefault(src.url, []).append(a)
    records = []
    for s in sources:
        pending = tuple(by_source.get(s.url, ()))
        for day in days:
            at = monday + timedelta(days=day, hours=6)
            bad = s.url in down or (s.url, day) in failed
            carried = () if bad else pending  # the first fetch that succeeds carries the week's articles
            pending = pending if bad else ()
            records.append(FeedRecord(FeedFetch(s, at, status=None if bad else 200,
                                                error="HTTP 503" if bad else None, latency_ms=120.0), carried))
    return records, [a for arts in by_source.values() for a in arts]


def _tags(
    rng: random.Random, articles: list[Article], k: int, weeks: int, options: list[str], actors: list[str],
    actor_weights: list[float], version: str,
) -> list[TagResult]:
    # Option mix drifts over time, so the trends have something to show.
    phase = k / max(weeks - 1, 1)
    opt_weights = [1 + 0.8 * ((j + 1) * phase % 1.0) for j in range(len(options))]
    results = []
    for a in articles:
        opts: tuple[OptionTag, ...] = ()
        if rng.random() < 0.30:
            o = rng.choices(options, weights=opt_weights)[0]
            ev = tuple(Evidence(f"Sentence {r} about {o} in {a.id}.", 0.9 - 0.1 * r) for r in range(rng.randint(1, 3)))
            opts = (OptionTag(o, round(rng.uniform(0.5, 1.0), 3), ev),)
        chosen = set(rng.choices(actors, weights=actor_weights, k=rng.randint(2, 4)))
        while len(chosen) < 2:
            chosen.add(rng.choice(actors))
        ments = tuple(
            ActorMention(x, rng.randint(1, 5), (opts[0].option_id,) if opts and rng.random() < 0.5 else ())
            for x in sorted(chosen)
        )
        results.append(TagResult(a.id, a.lang or "en", opts, ments, version, "synth"))
    return results


def build(db: Path, n: int, weeks: int, n_sources: int, seed: int, retag_weeks: int) -> dict[str, float]:
    rng = random.Random(seed)
    taxonomy = load_taxonomy(TAXONOMY)
    options = [o.id for o in taxonomy.options]
    actors = [a.id for a in taxonomy.actors]
    actor_weights = [1 / (i + 1) for i in range(len(actors))]
    sources = _sources(n_sources)
    weights = [1 / (i + 1) ** 0.8 for i in range(n_sources)]
    first = LAST_MONDAY - timedelta(weeks=weeks - 1)
    timings = {"ingest (record_batch)": 0.0, "tag (write_tags)": 0.0, "generate": 0.0}
    t_all = time.perf_counter()
    with writing(db) as con:
        migrate(con)
        upsert_sources(con, sources)
        for k in range(weeks):
            monday = first + timedelta(weeks=k)
            t0 = time.perf_counter()
            count = n * (k + 1) // weeks - n * k // weeks
            records, articles = _week_records(rng, k, monday, count, sources, weights)
            results = _tags(rng, articles, k, weeks, options, actors, actor_weights, "synth-1")
            t1 = time.perf_counter()
            record_batch(con, records)
            t2 = time.perf_counter()
            write_tags(con, results, monday + timedelta(days=7))
            if k >= weeks - retag_weeks:  # a newer tagger re-tags the recent weeks
                write_tags(con, _tags(rng, articles, k, weeks, options, actors, actor_weights, "synth-2"),
                           LAST_MONDAY + timedelta(days=8))
            t4 = time.perf_counter()
            timings["generate"] += t1 - t0
            timings["ingest (record_batch)"] += t2 - t1
            timings["tag (write_tags)"] += t4 - t2  # the re-tag's generation included
            if k % 8 == 7 or k == weeks - 1:
                print(f"  week {k + 1}/{weeks}: {time.perf_counter() - t_all:.0f} s", flush=True)
        con.execute("CHECKPOINT")
        for table in ("articles", "taggings", "option_tags", "evidence", "actor_mentions", "fetches"):
            print(f"  {table}: {con.execute(f'SELECT count(*) FROM {table}').fetchone()[0]:,}")  # type: ignore[index]
    timings["total"] = time.perf_counter() - t_all
    return timings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db", type=Path)
    ap.add_argument("--articles", type=int, required=True)
    ap.add_argument("--weeks", type=int, default=104)
    ap.add_argument("--sources", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--retag-weeks", type=int, default=4)
    ap.add_argument("--force", action="store_true", help="replace DB if it exists")
    args = ap.parse_args()
    if args.db.exists():
        if not args.force:
            sys.exit(f"{args.db} exists; pass --force to replace it")
        args.db.unlink()
        Path(f"{args.db}.wal").unlink(missing_ok=True)
    print(f"building {args.db}: {args.articles:,} articles, {args.weeks} weeks, {args.sources} sources")
    timings = build(args.db, args.articles, args.weeks, args.sources, args.seed, args.retag_weeks)
    for name, s in timings.items():
        print(f"{name}: {s:.1f} s")


if __name__ == "__main__":
    main()
