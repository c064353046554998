"""Where the database lives, as one setting (`PLEDGEWATCH_DB` / `--db`), so moving it needs no rewrite.

    /path/to/pledgewatch.duckdb      a DuckDB file (the default); also `duckdb:///path` (SQLAlchemy style)
    md:NAME                          a MotherDuck database (needs the motherduck extension and
                                     motherduck_token in the environment)
    ducklake:CATALOG                 a DuckLake: catalog database + Parquet data files, e.g.
                                     ducklake:postgres:dbname=lake host=… or ducklake:/srv/lake.ducklake;
                                     data files go to PLEDGEWATCH_LAKE_DATA (a folder or s3://…)

Only `open_db` in storage/db.py calls `connect`; everything above it sees a DuckDB connection.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb

from models.errors import ConfigError
from models.settings import db_path

Kind = Literal["file", "motherduck", "ducklake"]


@dataclass(frozen=True)
class Target:
    kind: Kind
    location: str  # a file path, "md:NAME", or the "ducklake:…" string to ATTACH


def parse_target(db: Path | str) -> Target:
    text = str(db)
    if text.startswith("md:"):
        return Target("motherduck", text)
    if text.startswith("motherduck:"):
        return Target("motherduck", "md:" + text[len("motherduck:"):])
    if text.startswith("ducklake:"):
        return Target("ducklake", text)
    return Target("file", db_path(text))


def connect(target: Target, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A connection to a MotherDuck or DuckLake target (files are opened by storage.db.open_db)."""
    try:
        if target.kind == "motherduck":
            return duckdb.connect(target.location, read_only=read_only)
        con = duckdb.connect()
        options = ["READ_ONLY"] if read_only else []
        data = os.environ.get("PLEDGEWATCH_LAKE_DATA")
        if data:
            options.append("DATA_PATH '{}'".format(data.replace("'", "''")))
        attach = "ATTACH '{}' AS lake".format(target.location.replace("'", "''"))
        con.execute(f"{attach} ({', '.join(options)})" if options else attach)
        con.execute("USE lake")
        return con
    except duckdb.Error as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ConfigError(
            f"cannot open {target.location} ({target.kind}): {first}. This DuckDB {duckdb.__version__} needs the "
            f"{'motherduck' if target.kind == 'motherduck' else 'ducklake'} extension installed for it; "
            "see the README section 'Past one machine'."
        ) from e
