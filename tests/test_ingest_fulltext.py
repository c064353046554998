"""Full text behind `full_text = true`: article pages from 127.0.0.1, trafilatura, and the reasons kept."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from extractors.fulltext import apply_full_text, extract_main_text
from flows.ingest import ingest_flow
from models.settings import Settings
from tests.conftest import Server

PARAGRAPHS = [
    "Defence ministers from the coalition of the willing met in London on Thursday to agree how many instructors "
    "each country would send to western Ukraine after a ceasefire.",
    "Officials said the training mission would be based far from the front line and would rotate every six months, "
    "with air cover provided by allied jets patrolling from bases in Poland and Romania.",
    "Ukraine's defence minister welcomed the plan but said written security guarantees were still needed, "
    "adding that Kyiv expected a binding commitment before the summit in the spring.",
]


def _page(title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head><title>{title}</title></head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
            f"<article><h1>{title}</h1>{body}</article><footer>© Wire 2026. All rights reserved.</footer></body></html>"
            ).encode()


INDEX = _page("Latest news", ["Sign in to read more of our coverage of world news, business and sport every day, "
                              "with analysis and opinion from our correspondents around the world and at home."] * 1
              + ["Subscribe today for unlimited access to every article, newsletter and podcast on any device you own, "
                 "and cancel at any time from your account page."])


def test_extraction_keeps_the_article_and_drops_the_chrome() -> None:
    text = extract_main_text(_page("Coalition agrees training plan", PARAGRAPHS), "https://wire.example/a")
    assert "instructors" in text and "binding commitment" in text
    assert "All rights reserved" not in text and "Home" not in text.split("\n")[0]
    assert len(extract_main_text(b"\x00\xff not html", "https://wire.example/b")) < 20  # junk in: no crash
    assert apply_full_text([], {}) == []


@pytest.mark.slow
def test_full_text_source_stores_teaser_and_body_and_says_why_not(server: Server, tmp_path: Path) -> None:
    pages = {"/good": _page("Coalition agrees training plan", PARAGRAPHS), "/short": _page("Brief", ["Too short."]),
             "/paywall-1": INDEX, "/paywall-2": INDEX}
    for path, html in pages.items():
        server.serve_bytes(path, html, content_type="text/html; charset=utf-8")
    links = [*pages, "/gone"]
    items = "".join(f"<item><title>Story {p}</title><link>{server.url(p)}</link><description>Teaser for {p}.</description></item>"
                    for p in links)
    feed = server.serve_bytes("/feed.xml", f'<rss version="2.0"><channel><title>w</title>{items}</channel></rss>'.encode())
    sources = tmp_path / "s.toml"
    sources.write_text(f'[[sources]]\nname = "wire"\nurl = "{feed}"\nlang = "en"\nfull_text = true\n', encoding="utf-8")
    s = Settings(db=tmp_path / "pw.duckdb", sources=sources)

    report = ingest_flow(s)
    assert report.new == 5 and "full text: 4 of 5 pages kept the feed text" in (report.feeds[0].warning or "")
    con = duckdb.connect(str(s.db), read_only=True)
    rows = {u.rsplit("/", 1)[1]: (summary, body, why) for u, summary, body, why in
            con.execute("SELECT url, summary, body, full_text_status FROM articles").fetchall()}
    con.close()
    summary, body, why = rows["good"]
    assert why == "ok" and summary == "Teaser for /good." and "binding commitment" in body
    assert rows["short"][2].startswith("boilerplate: the page's main text is only") and rows["short"][1] == ""
    assert rows["paywall-1"][2].startswith("boilerplate: 2 pages give the same main text")
    assert rows["gone"][2].startswith("page fetch failed: HTTP 404")

    page_hits = len([p for p, _ in server.requests if p != "/feed.xml"])
    assert ingest_flow(s).new == 0
    assert len([p for p, _ in server.requests if p != "/feed.xml"]) == page_hits  # pages are fetched once
