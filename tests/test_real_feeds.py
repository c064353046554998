"""The bundled list of real feeds (`--sources ukraine-security`): it parses, its URLs are well-formed web URLs,
it covers the languages and kinds of outlet in this debate, and with no network a run fails feed by feed."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from courlan import validate_url

from flows.ingest import ingest_flow
from models.errors import ConfigError
from models.settings import Settings
from models.sources import BUNDLED, load_sources
from tests.conftest import rows

LANGS = {"uk", "ru", "en", "de", "fr", "pl", "tr", "es", "it", "ro"}
WIRES = {"Ukrinform", "UNIAN", "TASS", "RIA Novosti", "Anadolu Ajansı", "PAP", "ANSA", "EFE", "Agerpres"}


def test_the_list_parses_and_covers_the_debate() -> None:
    sources = load_sources(Path("ukraine-security"))  # a bundled name, as `--sources ukraine-security` passes it
    assert len(sources) >= 40
    langs = Counter(s.lang for s in sources)
    assert LANGS <= set(langs) and len(langs) >= 10, langs
    names = [s.name for s in sources]
    assert len(set(names)) == len(names) and len({s.url for s in sources}) == len(sources)
    assert WIRES <= set(names)
    for s in sources:
        # courlan's validate_url (its check_url and domain_filter are crawl heuristics: they drop .rss paths, www.pap.pl).
        ok, parts = validate_url(s.url)
        assert ok and parts and parts.scheme in ("http", "https"), f"{s.name}: {s.url} is not a well-formed URL"
        host = parts.hostname or ""
        assert "." in host and host.rsplit(".", 1)[1].isalpha() and parts.netloc == host, f"{s.name}: {host}"
    # Several outlets per kind: Ukrainian, Russian, US, Turkish (by the feed's host).
    hosts = {urlsplit(s.url).hostname or "" for s in sources}
    for suffix, at_least in ((".ua", 4), (".ru", 4), (".tr", 3), ("nytimes.com", 1), ("washingtonpost.com", 1)):
        assert sum(h.endswith(suffix) for h in hosts) >= at_least, suffix


def test_a_path_still_works_and_an_unknown_name_lists_the_bundled_ones(tmp_path: Path) -> None:
    assert load_sources(BUNDLED / "ukraine-security.toml") == load_sources(Path("ukraine-security"))
    with pytest.raises(ConfigError, match="ukraine-security"):
        load_sources(Path("no-such-list"))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when this returns: connections are refused


@pytest.mark.slow
def test_unreachable_feeds_fail_one_by_one(tmp_path: Path) -> None:
    """Twelve of the real feeds, their hosts swapped for a closed port on 127.0.0.1: each fails on its own."""
    port = _closed_port()
    real = load_sources(Path("ukraine-security"))[:12]
    text = "".join(
        f'[[sources]]\nname = "{s.name}"\nurl = "http://127.0.0.1:{port}/{i}{urlsplit(s.url).path}"\nlang = "{s.lang}"\n\n'
        for i, s in enumerate(real)  # distinct URLs: two feeds may share a path (/rss.xml)
    )
    s = Settings(db=tmp_path / "pw.duckdb", sources=tmp_path / "unreachable.toml", lock_wait_s=30)
    s.sources.write_text(text, encoding="utf-8")
    report = ingest_flow(s)
    assert [f.name for f in report.feeds] == [x.name for x in real]
    assert all(f.error and f"127.0.0.1:{port}" in f.error and "ConnectError" in f.error for f in report.feeds)
    assert rows(s.db, "SELECT count(*), min(consecutive_failures) FROM sources") == [(12, 1)]
    assert rows(s.db, "SELECT count(*) FROM fetches WHERE error IS NOT NULL") == [(12,)]


@pytest.mark.slow
def test_the_real_list_with_no_network_fails_per_feed(tmp_path: Path) -> None:
    """`pledgewatch ingest --sources ukraine-security` in a network namespace with only loopback."""
    if not (shutil.which("unshare") and shutil.which("ip")) or subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode:
        pytest.skip("needs `unshare -n` (root or user namespaces) and `ip` to cut the network")
    db = tmp_path / "offline.duckdb"
    done = subprocess.run(
        ["unshare", "-n", "sh", "-c",
         f'ip link set lo up && exec "{sys.executable}" -m flows.cli ingest --sources ukraine-security --db "{db}"'],
        capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "400"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    sources = load_sources(Path("ukraine-security"))
    failed = dict(rows(db, "SELECT name, last_error FROM sources WHERE consecutive_failures = 1"))
    assert set(failed) == {s.name for s in sources}, "every feed is recorded as failed, none is lost"
    assert rows(db, "SELECT count(*) FROM articles") == [(0,)]
    for s in sources:  # one readable line per feed, naming it and what went wrong
        line = next((x for x in done.stderr.splitlines() if f"feed {s.name} failed:" in x), None)
        assert line and urlsplit(s.url).hostname in line, f"no clear line for {s.name}"
    assert "0 new articles" in done.stderr
