"""Time each trend view on a database (e.g. one built by benchmarks/synth_db.py): one week, and all weeks.

    .venv/bin/python benchmarks/views_bench.py DB [--week 2026-W47] [--repeat 5] [--explain VIEW]

Opens DB read-only, as `pledgewatch sql` and the report do. Each query is run once to warm the cache, then
--repeat times; the median wall time (fetching every row) is printed as a Markdown table. --explain prints
EXPLAIN ANALYZE of VIEW's one-week query. The week defaults to the last full week with articles.
Not a test: numbers go to BENCHMARKS.md by hand, with the machine they came from.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import duckdb

VIEWS = (
    "weekly_option_share",
    "weekly_option_change",
    "weekly_option_by_source",
    "weekly_option_by_lang",
    "weekly_actor_option",
    "weekly_feed_health",
    "weekly_coverage",
)


def _time(con: duckdb.DuckDBPyConnection, sql: str, params: list[str], repeat: int) -> tuple[float, int]:
    n = len(con.execute(sql, params).fetchall())
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        con.execute(sql, params).fetchall()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs) * 1000, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db", type=Path)
    ap.add_argument("--week")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--explain", choices=VIEWS)
    args = ap.parse_args()
    if not args.db.exists():
        sys.exit(f"{args.db} does not exist; build one with benchmarks/synth_db.py")
    con = duckdb.connect(str(args.db), read_only=True)
    week = args.week or con.execute("SELECT max(week) FROM trend_weeks WHERE week < (SELECT max(week) FROM trend_weeks)"
                                    ).fetchone()[0]  # type: ignore[index]
    if args.explain:
        plan = con.execute(f"EXPLAIN ANALYZE SELECT * FROM {args.explain} WHERE week = ?", [week]).fetchall()
        print(plan[0][1])
        return
    counts = con.execute("SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM option_tags), "
                         "(SELECT count(*) FROM actor_mentions)").fetchone()
    print(f"{args.db}: {counts[0]:,} articles, {counts[1]:,} option tags, {counts[2]:,} actor mentions; "  # type: ignore[index]
          f"week {week}; median of {args.repeat}, threads {con.execute('SELECT current_setting(?)', ['threads']).fetchone()[0]}")  # type: ignore[index]
    print("\n| view | one week (ms) | rows | all weeks (ms) | rows |\n|---|---|---|---|---|")
    for view in VIEWS:
        one, n1 = _time(con, f"SELECT * FROM {view} WHERE week = ?", [week], args.repeat)
        every, n2 = _time(con, f"SELECT * FROM {view}", [], args.repeat)
        print(f"| `{view}` | {one:.0f} | {n1:,} | {every:.0f} | {n2:,} |", flush=True)
    con.close()


if __name__ == "__main__":
    main()
