"""Export: the stored tables as Parquet, partitioned by ISO week, for any engine (DuckDB, polars, Spark).

Layout: DIR/TABLE/week=2026-W45/data_0.parquet (Hive partitions). Read it back with, e.g.,
`SELECT * FROM read_parquet('DIR/option_tags/**/*.parquet', hive_partitioning = true)`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

WEEK = "strftime(a.published_at AT TIME ZONE 'UTC', '%G-W%V')"
# Table → its rows with the week of their article. MinHash signatures are dedup state, not data to share;
# articles' own stored `week` (migration 0003) is the same value, computed here for every table alike.
# `stances` is exported once the stance migration has created it.
EXPORTS = {
    "articles": f"SELECT COLUMNS(lambda c: c NOT IN ('minhash', 'week')), {WEEK} AS week FROM articles a",
    "taggings": f"SELECT t.*, {WEEK} AS week FROM taggings t JOIN articles a ON a.id = t.article_id",
    "option_tags": f"SELECT t.*, {WEEK} AS week FROM option_tags t JOIN articles a ON a.id = t.article_id",
    "evidence": f"SELECT t.*, {WEEK} AS week FROM evidence t JOIN articles a ON a.id = t.article_id",
    "actor_mentions": f"SELECT t.*, {WEEK} AS week FROM actor_mentions t JOIN articles a ON a.id = t.article_id",
    "stances": f"SELECT t.*, {WEEK} AS week FROM stances t JOIN articles a ON a.id = t.article_id",
}


def export_parquet(con: duckdb.DuckDBPyConnection, out: Path) -> dict[str, int]:
    """Write each table under `out/TABLE/`, replacing an earlier export of it; return rows per table.

    Works on a read-only connection: COPY writes files, not the database.
    """
    present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for table, select in EXPORTS.items():
        if table not in present:
            continue
        target = str(out / table).replace("'", "''")
        row = con.execute(f"COPY ({select}) TO '{target}' (FORMAT parquet, PARTITION_BY (week), OVERWRITE)").fetchone()
        written[table] = int(row[0]) if row else 0
    return written
