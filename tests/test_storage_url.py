"""The connection-URL seam: PLEDGEWATCH_DB takes a path or a duckdb:/// , md: or ducklake: URL."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from models.errors import ConfigError
from models.settings import Settings
from storage.db import migrate, open_db, writing
from storage.url import Target, parse_target


def test_urls_name_their_target() -> None:
    assert parse_target(Path("/srv/pw.duckdb")) == Target("file", "/srv/pw.duckdb")
    assert parse_target("md:pledgewatch") == Target("motherduck", "md:pledgewatch")
    assert parse_target("motherduck:pledgewatch") == Target("motherduck", "md:pledgewatch")
    assert parse_target("ducklake:postgres:dbname=lake host=db") == Target("ducklake", "ducklake:postgres:dbname=lake host=db")


def test_a_duckdb_url_in_the_environment_is_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PLEDGEWATCH_DB", f"duckdb:///{tmp_path}/pw.duckdb")  # four slashes: an absolute path
    s = Settings()
    assert s.db == tmp_path / "pw.duckdb"
    with writing(s.db) as con:
        migrate(con)
    assert (tmp_path / "pw.duckdb").exists()
    monkeypatch.setenv("PLEDGEWATCH_DB", "duckdb:///rel/pw.duckdb")
    assert Settings().db == Path("rel/pw.duckdb")


def test_a_lake_without_its_extension_is_one_clear_error() -> None:
    installed = {n for n, i in duckdb.sql("SELECT extension_name, installed FROM duckdb_extensions()").fetchall() if i}
    if "ducklake" in installed:
        pytest.skip("the ducklake extension is installed here, so the lake would open")
    with pytest.raises(ConfigError) as e:
        open_db(Path("ducklake:/nonexistent/lake.ducklake"), read_only=False)
    message = str(e.value)
    assert "ducklake" in message and "README" in message and "\n" not in message
