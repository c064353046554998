"""Connections, migrations and views.

DuckDB allows one writing process at a time. Writers hold a read-write connection only while they write
a batch; readers open the file read-only. Either side that meets the other's lock waits and retries,
and gives up with DatabaseLocked, whose message says what to do.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from models.errors import ConfigError, DatabaseLocked
from storage.url import connect, parse_target

LOGGER = logging.getLogger(__name__)
HERE = Path(__file__).parent
MIGRATIONS = HERE / "migrations"
VIEWS = HERE / "views"
_MIGRATION_NAME = re.compile(r"^(\d{4})_(\w+)\.sql$")


def _is_lock_error(e: duckdb.Error) -> bool:
    text = str(e)
    return "lock" in text.lower() or "Conflicting lock" in text


def open_db(
    path: Path,
    *,
    read_only: bool,
    wait_s: float = 60.0,
) -> duckdb.DuckDBPyConnection:
    """Open the database, retrying while another process holds a conflicting lock."""
    target = parse_target(path)
    if target.kind != "file":  # MotherDuck and DuckLake take several writers; no file lock to wait for
        return connect(target, read_only=read_only)
    path = Path(target.location)
    if read_only and not path.exists():
        raise ConfigError(f"database {path} does not exist yet. Run `pledgewatch run` (or `ingest`) first, or pass --db.")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_s
    delay = 0.05
    told = False
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as e:
            if not _is_lock_error(e):
                raise
            if time.monotonic() >= deadline:
                raise DatabaseLocked(
                    f"database {path} is locked by another pledgewatch process (a run in progress?). "
                    f"Waited {wait_s:.0f}s; try again when it finishes, or raise --wait."
                ) from e
            if not told:  # every caller, reader or writer, tells the user why it is not moving
                LOGGER.warning("database %s is busy (another process has it open); waiting up to %.0fs…", path, wait_s)
                told = True
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


@contextmanager
def writing(path: Path, wait_s: float = 60.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-write connection for one batch of writes."""
    con = open_db(path, read_only=False, wait_s=wait_s)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def reading(path: Path, wait_s: float = 60.0) -> Iterator[duckdb.DuckDBPyConnection]:
    con = open_db(path, read_only=True, wait_s=wait_s)
    try:
        yield con
    finally:
        con.close()


def migration_files() -> list[tuple[int, str, Path]]:
    found = []
    for p in sorted(MIGRATIONS.glob("*.sql")):
        m = _MIGRATION_NAME.match(p.name)
        if not m:
            raise ConfigError(f"migration file {p.name} must be named NNNN_name.sql")
        found.append((int(m.group(1)), m.group(2), p))
    return found


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations, each with its record in one transaction; then re-create the views."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )
    done = {v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, path in migration_files():
        if version in done:
            continue
        con.execute("BEGIN")
        try:
            con.execute(path.read_text(encoding="utf-8"))
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        LOGGER.info("applied migration %04d_%s", version, name)
        applied.append(f"{version:04d}_{name}")
    for view in sorted(VIEWS.glob("*.sql")):
        con.execute(view.read_text(encoding="utf-8"))
    return applied
