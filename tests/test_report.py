"""The weekly report for real: the bundled samples through the real pipeline into a DuckDB file, the CLI,
the Prefect artifact, hostile feed text, and the HTML in a real headless Chromium."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.pipeline import pipeline_flow
from models.settings import Settings
from tests.conftest import Server, rows, write_sources

pytestmark = pytest.mark.slow
SECTIONS = ("summary", "trends", "week", "spikes", "actors", "feeds", "versions")


@pytest.fixture(scope="module")
def sample_reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path]:
    """The bundled samples through the real pipeline (Prefect flow runs included), then every week's report."""
    root = tmp_path_factory.mktemp("samples")
    s = Settings(db=root / "pw.duckdb", lock_wait_s=30)
    pipeline_flow(s)
    first = rows(s.db, "SELECT min(week) FROM tagged_articles")[0][0]
    done = CliRunner().invoke(app, ["report", "--db", str(s.db), "--from", first])
    assert done.exit_code == 0, done.output
    return s, root / "reports"


class _Markup(HTMLParser):
    """Every tag and attribute of a page, to look for anything a browser would run."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def executable_markup(page: str) -> list[str]:
    p = _Markup()
    p.feed(page)
    found = []
    for tag, attrs in p.tags:
        if tag in ("script", "iframe", "object", "embed", "img", "link", "base", "form", "foreignobject"):
            found.append(f"<{tag}>")
        for name, value in attrs:
            v = (value or "").strip().lower()
            if name.startswith("on") or (name in ("href", "src", "xlink:href", "action") and not v.startswith(("http://", "https://", "#")) and v not in ("index.html",) and not v.endswith((".html", ".md"))):
                found.append(f"<{tag} {name}={value!r}>")
    return found


def test_reports_for_every_sample_week_index_and_artifact(sample_reports: tuple[Settings, Path]) -> None:
    s, out = sample_reports
    weeks = [w for (w,) in rows(s.db, "SELECT DISTINCT week FROM tagged_articles ORDER BY 1")]
    latest = weeks[-1]
    for w in weeks:
        html = (out / f"{w}.html").read_text(encoding="utf-8")
        md = (out / f"{w}.md").read_text(encoding="utf-8")
        assert all(f'id="{sec}"' in html for sec in SECTIONS) and html.count("<svg") >= 5
        assert executable_markup(html) == [], w  # self-contained: nothing fetched, nothing run
        for chart in ("share-troops_training", "share-article5_guarantee", "actors"):
            assert f"]({w}/{chart}.svg)" in md and (out / w / f"{chart}.svg").read_text().startswith("<svg")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{w}.html"' in index for w in weeks) and index.count("<svg") == 4 * len(weeks)

    # The latest report: its narrative, the spike explained, the versions used.
    html = (out / f"{latest}.html").read_text(encoding="utf-8")
    versions = rows(s.db, "SELECT DISTINCT tagger_version, taxonomy_version FROM tagged_articles")[0]
    assert versions[0] in html and versions[1] in html
    assert html.count("<p>", html.index('id="summary"'), html.index('id="trends"')) >= 3

    # The normalised shares the report computes are the weekly_option_change view's.
    from models.taxonomy import load_taxonomy
    from reports.findings import week_reports
    from storage.db import reading
    from storage.reads import report_data

    with reading(s.db) as con:
        reports = week_reports(report_data(con, load_taxonomy(s.taxonomy), weeks[1], latest), tuple(weeks[1:]))
    view = {(w, o): (float(a), float(b or 0), int(c)) for w, o, a, b, c in rows(
        s.db, "SELECT week, option_id, coalesce(norm_share, 0), norm_prev_share, common_sources FROM weekly_option_change")}
    for r in reports:
        for o in r.rows:
            assert view[(r.week, o.option_id)] == (pytest.approx(o.share_norm, abs=1e-4),
                                                   pytest.approx(o.prev_share_norm, abs=1e-4), r.common_sources)

    # The report flow (run by the pipeline) published the latest week's Markdown under a stable key.
    from prefect.artifacts import Artifact

    art = Artifact.get(f"weekly-report-{latest.lower()}")
    assert art is not None and f"weekly summary: {latest}" in str(art.data)


def test_the_cli_report_starts_no_prefect_and_rejects_bad_weeks(sample_reports: tuple[Settings, Path], tmp_path: Path) -> None:
    s, _ = sample_reports
    probe = (
        "import sys; from flows.cli import app\n"
        "try: app(sys.argv[1:])\n"
        "except SystemExit as e: code = e.code\n"
        "print('PREFECT_IMPORTED' if 'prefect' in sys.modules else 'no prefect', code, file=sys.stderr)\n"
    )
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, "-c", probe, "report", "--db", str(s.db), "--out", str(tmp_path), "--format", "html"],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"})
    print(f"pledgewatch report, one week, in {time.monotonic() - t0:.2f}s (process start included)")
    assert done.returncode == 0 and "no prefect 0" in done.stderr, done.stderr
    latest = rows(s.db, "SELECT max(week) FROM tagged_articles")[0][0]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{latest}.html", "index.html"]  # --format html: no .md
    # A malformed or impossible week is a bad argument (exit 2); a real week with no stories is bad input (exit 1).
    for bad, code, says in (("garbage", 2, "is not an ISO week"), ("2031-W99", 2, "is not an ISO week"),
                            ("2031-W01", 1, "no stories in 2031-W01")):
        r = subprocess.run([sys.executable, "-m", "flows.cli", "report", "--db", str(s.db), "--week", bad],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == code and says in r.stderr and "Traceback" not in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1


def _hostile_feed() -> bytes:
    # Double-escaped in the XML, so after feed parsing and HTML-to-text the stored text carries the markup itself.
    payload_title = "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;"
    img = "&amp;lt;img src=x onerror=alert(1)&amp;gt;"
    items = [
        ("javascript:alert(1)", payload_title, "NATO allies offered Ukraine an Article 5-style guarantee."),
        ("https://evil.example/a5?q=%22%3E%3Cscript%3E", f"{payload_title} Allies weigh an Article 5-style pledge for Ukraine",
         f"NATO allies agreed to offer Ukraine an Article 5-style collective defence guarantee {img} after a ceasefire, "
         "officials said. Under the pledge an attack on Ukraine would be treated as an attack on all signatories, "
         "and the allies would be bound to come to its defence. Rubio and Macron backed the mutual-defence clause."),
    ]
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>Tue, 17 Nov 2026 10:00:00 GMT</pubDate><description>{d}</description></item>"
        for link, t, d in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{entries}</channel></rss>'.encode()


def test_hostile_feed_text_is_escaped_and_only_http_links_are_made(server: Server, tmp_path: Path) -> None:
    from flows.ingest import ingest_flow
    from flows.reporting import build_reports
    from flows.tag import tag_flow

    url = server.serve_bytes("/evil.xml", _hostile_feed())
    s = Settings(db=tmp_path / "pw.duckdb", sources=write_sources(tmp_path / "s.toml", [("<b onmouseover=alert(1)>Evil</b>", url)]))
    ingest_flow(s)
    tag_flow(s)
    assert rows(s.db, "SELECT reason FROM rejections")[0][0].startswith("item link is not an http(s) URL")
    stored = rows(s.db, "SELECT a.title, a.summary FROM articles a")
    assert stored[0][0].startswith("<script>alert(1)</script>") and "<img src=x onerror=alert(1)>" in stored[0][1]
    assert rows(s.db, "SELECT count(*) FROM option_tags")[0][0] >= 1, "the hostile story must reach the report"

    built = build_reports(s, out=tmp_path / "reports")
    html = (tmp_path / "reports" / f"{built.weeks[0]}.html").read_text(encoding="utf-8")
    md = (tmp_path / "reports" / f"{built.weeks[0]}.md").read_text(encoding="utf-8")
    assert executable_markup(html) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b onmouseover=alert(1)&gt;Evil&lt;/b&gt;" in html
    for page in (html, md, (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")):
        assert "<script" not in page and "<img" not in page and "javascript:" not in page and "<b on" not in page
    assert "&lt;script&gt;" in md and "&lt;img src=x onerror=alert(1)&gt;" in md


# --- a real browser ------------------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
MEASURE = """JSON.stringify({
  charts: [...document.querySelectorAll('svg')].map(s => { const r = s.getBoundingClientRect(); return [r.width, r.height]; }),
  sections: [...document.querySelectorAll('section[id]')].map(s => s.id),
  narrative: document.querySelectorAll('#summary p').length,
  scrollWidth: document.documentElement.scrollWidth,
  height: document.documentElement.scrollHeight,
})"""


async def _cdp_session(ws_url: str, page_url: str, width: int, height: int, mobile: bool) -> tuple[dict[str, Any], list[str], bytes]:
    import websockets

    errors: list[str] = []
    async with websockets.connect(ws_url, max_size=None) as ws:
        next_id = 0

        async def call(method: str, **params: Any) -> dict[str, Any]:
            nonlocal next_id
            next_id += 1
            await ws.send(json.dumps({"id": next_id, "method": method, "params": params}))
            while True:
                msg = json.loads(await ws.recv())
                if msg.get("method") in ("Runtime.exceptionThrown",):
                    errors.append(json.dumps(msg["params"])[:300])
                elif msg.get("method") == "Runtime.consoleAPICalled" and msg["params"]["type"] in ("error", "assert"):
                    errors.append(json.dumps(msg["params"])[:300])
                elif msg.get("method") == "Log.entryAdded" and msg["params"]["entry"]["level"] == "error":
                    errors.append(msg["params"]["entry"].get("text", "")[:300])
                if msg.get("id") == next_id:
                    return msg.get("result", {})

        for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
            await call(domain)
        await call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=mobile)
        await call("Page.navigate", url=page_url)
        for _ in range(50):  # the page is local and small: wait until it has loaded
            state = await call("Runtime.evaluate", expression="document.readyState", returnByValue=True)
            if state["result"]["value"] == "complete":
                break
            await asyncio.sleep(0.1)
        measured = json.loads((await call("Runtime.evaluate", expression=MEASURE, returnByValue=True))["result"]["value"])
        shot = await call("Page.captureScreenshot", format="png",
                          clip={"x": 0, "y": 0, "width": width, "height": min(measured["height"], 2600), "scale": 1},
                          captureBeyondViewport=True)
    return measured, errors, base64.b64decode(shot["data"])


def render_in_chromium(page: Path, profile: Path, width: int = 1000, height: int = 900, mobile: bool = False) -> tuple[dict[str, Any], list[str], bytes]:
    """Open `page` in headless Chromium through the DevTools protocol; measure it, collect errors, screenshot it."""
    proc = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
        stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 60
        browser_ws = ""
        while time.monotonic() < deadline and not browser_ws:
            line = proc.stderr.readline()
            if "DevTools listening on " in line:
                browser_ws = line.split("DevTools listening on ", 1)[1].strip()
        assert browser_ws, "chromium did not open its DevTools port"
        import httpx

        port = browser_ws.split(":")[2].split("/")[0]
        targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        page_ws = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        return asyncio.run(_cdp_session(page_ws, page.as_uri(), width, height, mobile))
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt-get install -y chromium; .ci/run installs it)")
def test_the_report_renders_in_a_real_browser(sample_reports: tuple[Settings, Path], tmp_path: Path) -> None:
    _, out = sample_reports
    page = max(out.glob("*-W*.html"))
    measured, errors, png = render_in_chromium(page, tmp_path / "profile")
    assert errors == []
    assert set(SECTIONS) <= set(measured["sections"]) and measured["narrative"] >= 3
    assert len(measured["charts"]) >= 5 and all(w > 50 and h > 20 for w, h in measured["charts"]), measured["charts"]
    shot = tmp_path / "report.png"
    shot.write_bytes(png)
    print(f"screenshot: {shot}")
    assert png.startswith(b"\x89PNG")

    phone, errors, png = render_in_chromium(page, tmp_path / "profile-phone", width=390, height=800, mobile=True)
    (tmp_path / "report-phone.png").write_bytes(png)
    print(f"phone screenshot: {tmp_path / 'report-phone.png'}")
    assert errors == [] and phone["scrollWidth"] <= 390, "the page must not scroll sideways on a phone"
    assert all(w > 50 and h > 20 for w, h in phone["charts"])
