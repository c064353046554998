"""The command line a user meets: help for every command, documentation, tag-file's contract and errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import ROOT

runner = CliRunner()
COMMANDS = sorted(c.name or c.callback.__name__ for c in app.registered_commands)  # type: ignore[union-attr]


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("run", "ingest", "tag", "report", "sql", "tag-file", "eval"):
        assert name in COMMANDS and name in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_has_help_and_is_in_the_readme(name: str) -> None:
    result = runner.invoke(app, [name, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"pledgewatch {re.escape(name)}\b", readme), f"README does not document `pledgewatch {name}`"


def test_sql_on_a_missing_database_says_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sql", "--db", str(tmp_path / "none.duckdb"), "SELECT 1"])
    assert result.exit_code == 1
    assert "does not exist yet" in result.output and "pledgewatch run" in result.output


@pytest.mark.parametrize("args", [["fit-head", "{missing}"], ["fit-evidence", "{missing}", "{missing}"],
                                  ["fit-stance-head", "{missing}", "{missing}"], ["cv", "{missing}"],
                                  ["eval", "{missing}"], ["tag-file", "{missing}"]])
def test_a_missing_input_file_is_one_line_naming_it(tmp_path: Path, args: list[str]) -> None:
    missing = str(tmp_path / "train.jsonl")
    result = runner.invoke(app, [a.format(missing=missing) for a in args])
    assert result.exit_code == 1
    assert result.output.strip() == f"error: {missing}: No such file or directory"


def test_a_malformed_evidence_label_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "labels.jsonl"
    bad.write_text('{"id": "a", "title": "T", "text": "X.", "options": [], "actors": [], "evidence": {"troops_training": 5}}\n',
                   encoding="utf-8")
    result = runner.invoke(app, ["eval", str(bad)])
    assert result.exit_code == 1
    assert f"{bad} line 1" in result.output and "a sentence or a list of sentences" in result.output


def test_bad_sources_file_names_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "s.toml"
    bad.write_text('[[sources]]\nname = "x"\nurl = "ftp://example.org/feed"\n', encoding="utf-8")
    result = runner.invoke(app, ["ingest", "--db", str(tmp_path / "x.duckdb"), "--sources", str(bad)])
    assert result.exit_code == 1
    assert "ftp://example.org/feed" in result.output and "http" in result.output


@pytest.mark.slow
def test_tag_file_contract(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    lines = [
        {"id": "a", "title": "Jets to police Ukrainian skies",
         "text": "British and French fighter jets would patrol the skies over western Ukraine under an air policing "
                 "mission, while navies clear mines from the Black Sea. Zelensky welcomed the plan."},
        "{not json",
        {"id": "b", "title": "Футбол", "text": "Київське «Динамо» виграло матч чемпіонату з рахунком 2:0.", "lang": "uk"},
    ]
    src.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n",
                   encoding="utf-8")
    dst = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["tag-file", str(src), "-o", str(dst)])
    assert result.exit_code == 1
    assert "line 2" in result.output
    out = [json.loads(line) for line in dst.read_text(encoding="utf-8").splitlines()]
    assert [o["id"] for o in out] == ["a", None, "b"]
    a, _, b = out
    assert a["lang"] == "en" and "air_sea_shield" in [o["id"] for o in a["options"]]
    shield = next(o for o in a["options"] if o["id"] == "air_sea_shield")
    assert 0 < shield["score"] <= 1 and 1 <= len(shield["evidence"]) <= 3
    assert {"ukraine", "zelensky"} <= {x["id"] for x in a["actors"]}
    assert b["lang"] == "uk" and b["options"] == []


def test_output_cut_short_by_a_pager_is_not_an_error(tmp_path: Path) -> None:
    """`pledgewatch sql … | head -1`: the reader leaves early; the command says nothing about it on stderr."""
    import subprocess
    import sys

    import duckdb

    from tests.conftest import cli_env

    duckdb.connect(str(tmp_path / "pw.duckdb")).close()
    proc = subprocess.Popen([sys.executable, "-m", "flows.cli", "sql", "SELECT range FROM range(200000)", "--format", "csv"],
                            cwd=ROOT, env=cli_env(tmp_path, PLEDGEWATCH_DB=str(tmp_path / "pw.duckdb")),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline()
    proc.stdout.close()  # as `head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) in (0, 141)
    assert err == ""
