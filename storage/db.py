"""Connections, migrations, views, and the one place where DuckDB's errors become pledgewatch's.

DuckDB allows one writing process at a time. Writers hold a read-write connection only while they write
a batch; readers open the file read-only. Either side that meets the other's lock waits and retries,
and gives up with DatabaseLocked, whose message says what to do. Whole runs (ingest, tag, the pipeline)
also take a run lock beside the file, so two runs started at once go one after the other instead of
interleaving their batches.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from models.errors import (
    ConfigError,
    DatabaseLocked,
    NotADatabase,
    PledgewatchError,
    QueryError,
    ReadOnlyQuery,
    StorageError,
)
from storage.url import connect, parse_target

LOGGER = logging.getLogger(__name__)
HERE = Path(__file__).parent
MIGRATIONS = HERE / "migrations"
VIEWS = HERE / "views"
_MIGRATION_NAME = re.compile(r"^(\d{4})_(\w+)\.sql$")
_STATEMENT = re.compile(r'statement of type "(\w+)"')


def _is_lock_error(e: duckdb.Error) -> bool:
    text = str(e)
    return "Could not set lock" in text or "Conflicting lock" in text


def _detail(e: BaseException) -> str:
    """DuckDB's first line (the rest is a caret drawing of the query)."""
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def translate(e: duckdb.Error, path: Path | None = None, sql: str | None = None) -> PledgewatchError:
    """DuckDB's error as one of models.errors. `sql` is given for a user's own query (`pledgewatch sql`),
    whose mistakes are theirs to fix; without it the error came from pledgewatch's own statements."""
    detail = _detail(e)
    where = f"database {path}" if path else "the database"
    if isinstance(e, duckdb.IOException) and _is_lock_error(e):
        return DatabaseLocked(f"{where} is locked by another process ({detail}).", path=path)
    if isinstance(e, duckdb.IOException) and ("not a valid DuckDB database" in detail or "Is a directory" in detail):
        return _not_a_database(path)
    if sql is not None:
        if "read-only mode" in detail:
            m = _STATEMENT.search(detail)
            what = f"{m.group(1)} statements" if m else "statements that write"
            return ReadOnlyQuery(
                f"pledgewatch sql is read-only and cannot run {what}: it opens the database read-only so it never "
                "disturbs a run. Write with the duckdb CLI while no run is going, or COPY (SELECT …) TO 'file.csv'.",
                sql=sql,
            )
        if isinstance(e, duckdb.ParserException):
            return QueryError(f"the query has a syntax error ({detail}). Fix the SQL and run it again.", sql=sql)
        return QueryError(
            f"the query failed: {detail}. The tables and views are listed in the README "
            "(or: pledgewatch sql \"SHOW TABLES\").",
            sql=sql,
        )
    if isinstance(e, duckdb.CatalogException):
        return ConfigError(
            f"{where} has no pledgewatch tables yet ({detail}). Run `pledgewatch run` on it first, or pass the "
            "right --db.",
            path=path,
        )
    return StorageError(f"{where}: {detail}", path=path)


def _not_a_database(path: Path | None) -> NotADatabase:
    kind = "a folder" if path is not None and path.is_dir() else "not a DuckDB database"
    return NotADatabase(f"--db {path} is {kind}: pass the path of a pledgewatch DuckDB file, or a new path to create one.",
                        path=path)


def check_file(path: Path) -> None:
    """Raise NotADatabase unless `path` is absent (to be created) or starts like a DuckDB file, before any
    side file (the run lock) is made next to it. DuckDB's header: an 8-byte checksum, then b"DUCK"."""
    if not path.exists():
        return
    try:
        with path.open("rb") as f:
            head = f.read(12)
    except OSError:
        raise _not_a_database(path) from None
    if head[8:12] != b"DUCK":
        raise _not_a_database(path)


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
        where = "" if path.parent.is_dir() else f" (the folder {path.parent} does not exist either)"
        raise ConfigError(
            f"database {path} does not exist yet{where}. Run `pledgewatch run` (or `ingest`) first, or pass --db.",
            path=path, key="db",
        )
    if not read_only:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ConfigError(f"cannot create the folder for database {path}: {e.strerror or e}. Pass another --db.",
                              path=path, key="db") from e
    started = time.monotonic()
    deadline = started + wait_s
    delay = 0.05
    told = False
    while True:
        try:
            # No replacement scans: `FROM x` must name a table or view, never a Python variable of the caller.
            con = duckdb.connect(str(path), read_only=read_only, config={"python_enable_replacements": False})
            if told:
                LOGGER.info("database %s: got in after waiting %.2fs", path, time.monotonic() - started)
            return con
        except duckdb.Error as e:
            if not _is_lock_error(e):
                raise translate(e, path) from e
            if time.monotonic() >= deadline:
                raise DatabaseLocked(
                    f"database {path} is locked by another pledgewatch process (a run in progress?). "
                    f"Waited {wait_s:.0f}s; try again when it finishes, or raise --wait.",
                    path=path, waited_s=time.monotonic() - started,
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
    except duckdb.Error as e:
        raise translate(e, path) from e
    finally:
        con.close()


@contextmanager
def reading(path: Path, wait_s: float = 60.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection; it never blocks a writer for longer than its own statements take."""
    con = open_db(path, read_only=True, wait_s=wait_s)
    try:
        yield con
    except duckdb.Error as e:
        raise translate(e, path) from e
    finally:
        con.close()


_held: dict[Path, tuple[int, int]] = {}  # lock file -> (fd, depth): re-entrant within a process
_held_guard = threading.Lock()


def _holder(lock: Path) -> str:
    try:
        pid = lock.read_text(encoding="ascii").strip()
    except OSError:
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""


@contextmanager
def run_lock(path: Path, wait_s: float = 60.0) -> Iterator[None]:
    """Hold `<db>.run-lock` for a whole run, so a second run waits (up to `wait_s`) instead of interleaving
    its batches with the first. The kernel drops the lock when its process dies, even by SIGKILL."""
    lock = path.with_name(path.name + ".run-lock").absolute()
    check_file(path)
    with _held_guard:
        if lock in _held:
            fd, depth = _held[lock]
            _held[lock] = (fd, depth + 1)
            acquired = False
        else:
            acquired = True
    if acquired:
        _acquire(lock, wait_s)
    try:
        yield
    finally:
        with _held_guard:
            fd, depth = _held[lock]
            if depth > 1:
                _held[lock] = (fd, depth - 1)
            else:
                del _held[lock]
                os.close(fd)  # closing the descriptor releases the lock


def _acquire(lock: Path, wait_s: float) -> None:
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise ConfigError(f"cannot create {lock}: {e.strerror or e}. Pass another --db.", path=lock, key="db") from e
    started = time.monotonic()
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            waited = time.monotonic() - started
            if waited >= wait_s:
                os.close(fd)
                raise DatabaseLocked(
                    f"another pledgewatch run{_holder(lock)} is writing {lock.with_suffix('')}; waited {wait_s:.0f}s. "
                    "It finishes on its own: try again later, or raise --wait.",
                    path=lock.with_suffix(""), waited_s=waited,
                ) from None
            if not told:
                LOGGER.warning("another pledgewatch run%s is writing %s; waiting up to %.0fs for it to finish…",
                               _holder(lock), lock.with_suffix(""), wait_s)
                told = True
            time.sleep(0.2)
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode("ascii"))
    with _held_guard:
        _held[lock] = (fd, 1)


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
