"""Parsing feeds into articles: the fields a user later queries."""

from __future__ import annotations

from datetime import UTC, datetime

from extractors.feeds import parse_feed
from extractors.urls import article_id, canonical_url
from models.domain import FeedFetch, Source

AT = datetime(2026, 11, 1, tzinfo=UTC)


def _parse(body: bytes, url: str = "https://feeds.example/rss"):  # type: ignore[no-untyped-def]
    return parse_feed(FeedFetch(Source("s", url, "en"), AT, status=200, body=body))


def test_atom_relative_links_html_and_dates() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://news.example/world/">
 <title>x</title>
 <entry><title>Air &amp; sea</title><link href="story-1?utm_source=rss"/><id>1</id>
  <updated>2026-10-05T10:00:00+03:00</updated>
  <content type="html">&lt;p&gt;Jets would patrol &lt;b&gt;Ukrainian&lt;/b&gt; skies.&lt;/p&gt;&lt;script&gt;evil()&lt;/script&gt;</content></entry>
 <entry><title>No date</title><link href="/story-2"/><id>2</id><summary>Undated.</summary></entry>
</feed>"""
    parsed = _parse(body)
    a, b = parsed.articles
    assert a.url == "https://news.example/world/story-1?utm_source=rss"
    assert a.published_at == datetime(2026, 10, 5, 7, 0, tzinfo=UTC)
    assert "Jets would patrol Ukrainian skies." in a.text and "evil" not in a.text and "<" not in a.text
    assert b.url == "https://news.example/story-2"
    assert b.date_missing and b.published_at == AT


def test_items_without_links_are_rejected_with_a_reason() -> None:
    body = b"""<rss version="2.0"><channel><title>x</title>
<item><title>Has no link</title><description>text</description></item>
<item><title>ok</title><link>https://e.example/1</link></item>
<item><title>again</title><link>https://e.example/1#comments</link></item>
</channel></rss>"""
    parsed = _parse(body)
    assert [a.url for a in parsed.articles] == ["https://e.example/1"]
    reasons = sorted(r.reason for r in parsed.rejections)
    assert reasons[0].startswith("duplicate link") and "no link" in reasons[1]


def test_windows_1251_is_decoded() -> None:
    body = '<?xml version="1.0" encoding="windows-1251"?><rss version="2.0"><channel><title>т</title><item><title>Зеленський і Путін</title><link>https://e.example/x</link></item></channel></rss>'.encode("cp1251")
    assert _parse(body).articles[0].title == "Зеленський і Путін"


def test_garbage_is_a_warning_not_a_crash() -> None:
    parsed = _parse(b"\x00\x01 this is not xml <<<")
    assert parsed.articles == () and parsed.warning and "not a readable feed" in parsed.warning


def test_canonical_url_ignores_tracking_scheme_and_www() -> None:
    a = "http://www.Example.com/news/1/?utm_source=x&fbclid=abc#top"
    b = "https://m.example.com/news/1"
    assert canonical_url(a) == canonical_url(b) == "https://example.com/news/1"
    assert article_id(a) == article_id(b)
    assert article_id("https://example.com/news/1?id=2") != article_id(b)


def test_compressed_bodies_without_content_encoding_are_read() -> None:
    import gzip
    import zlib

    body = b'<rss version="2.0"><channel><title>x</title><item><title>ok</title><link>https://e.example/z</link></item></channel></rss>'
    raw = zlib.compressobj(wbits=-15)
    for packed in (gzip.compress(body), zlib.compress(body), raw.compress(body) + raw.flush()):
        assert [a.url for a in _parse(packed).articles] == ["https://e.example/z"]
    broken = gzip.compress(body)[:-12]
    assert "cannot be inflated" in (_parse(broken[:20] + b"\x00" * 20).warning or "")
