"""Feed bytes to Articles with feedparser. Every item becomes an Article or a Rejection with a reason."""

from __future__ import annotations

import calendar
import gzip
import logging
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser

from extractors.dedup import with_signature
from extractors.text import clean_text, html_to_text
from extractors.urls import article_id, content_hash
from models.domain import Article, FeedFetch, ParsedFeed, Rejection

LOGGER = logging.getLogger(__name__)
_GZIP_MAGIC = b"\x1f\x8b"
# A date further ahead of the fetch time than this is a typo or a bad clock: use the fetch time and flag it.
_FUTURE_SLACK = timedelta(days=2)
_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)


def _inflate(data: bytes, wbits: int, max_bytes: int) -> bytes:
    d = zlib.decompressobj(wbits)
    out = d.decompress(data, max_bytes + 1)
    if len(out) > max_bytes:
        raise ValueError(f"compressed body inflates past {max_bytes} bytes")
    if not d.eof:
        raise zlib.error("the compressed stream is truncated")
    return out


def _decompress_if_needed(body: bytes, max_bytes: int) -> bytes:
    """Some servers send a compressed body without Content-Encoding; feedparser would see garbage.

    gzip and zlib bodies are known by their headers; a body that does not start like XML is tried as raw
    deflate, and kept as it is when that fails too.
    """
    if body.startswith(_GZIP_MAGIC):
        return _inflate(body, 16 + zlib.MAX_WBITS, max_bytes)  # errors surface: this is surely gzip
    if len(body) > 2 and body[0] == 0x78 and (body[0] * 256 + body[1]) % 31 == 0:
        try:
            return _inflate(body, zlib.MAX_WBITS, max_bytes)
        except zlib.error:
            return body
    head = body.lstrip()[:4]
    if body and not head.startswith((b"<", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"{")) and b"\x00" not in head:
        try:
            return _inflate(body, -zlib.MAX_WBITS, max_bytes) or body
        except zlib.error:
            return body
    return body


def _when(entry: Any, fetched_at: datetime) -> datetime | None:
    """The item's date, or None when it is missing, unreadable or implausible (far future, before 1990)."""
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        t = entry.get(key)
        if t:
            try:
                when = datetime.fromtimestamp(calendar.timegm(t), UTC)
            except (OverflowError, ValueError, TypeError, OSError):
                continue
            if _EARLIEST <= when <= fetched_at + _FUTURE_SLACK:
                return when
    return None


def _item_key(entry: Any, i: int, used: set[str]) -> str:
    """A key for the item, unique within the feed: its guid or link, else its position."""
    key = str(entry.get("id") or entry.get("link") or f"#{i}")
    if key in used:
        key = f"{key} #{i}"
    used.add(key)
    return key


def _article(fetch: FeedFetch, entry: Any, feed_lang: str | None) -> Article | str:
    """One item as an Article, or the reason it cannot be one."""
    src = fetch.source
    link = entry.get("link") or (entry.get("id") if str(entry.get("id", "")).startswith("http") else None)
    if not link:
        return "item has no link and no URL-shaped guid"
    link = clean_text(str(link)).strip()
    if not link.startswith(("http://", "https://")):
        return f"item link is not an http(s) URL: {link[:200]!r}"
    title = html_to_text(entry.get("title", ""))
    summary = html_to_text(entry.get("summary", ""))
    body_text = _body(entry)
    if body_text and summary and (body_text == summary or len(body_text) <= len(summary)):
        body_text = ""
    if not (title or summary or body_text):
        return "item has no title and no text"
    published = _when(entry, fetch.fetched_at)
    return Article(
        id=article_id(link),
        url=link,
        source_url=src.url,
        title=title,
        summary=summary,
        body=body_text,
        published_at=published or fetch.fetched_at,
        date_missing=published is None,
        fetched_at=fetch.fetched_at,
        lang=src.lang or feed_lang,
        content_hash=content_hash(title, body_text or summary),
    )


def _body(entry: Any) -> str:
    contents = entry.get("content") or []
    best = max((c.get("value", "") for c in contents), key=len, default="")
    return html_to_text(best)


def parse_feed(fetch: FeedFetch, max_bytes: int = 20_000_000) -> ParsedFeed:
    """Parse one fetched feed. Items without a usable link are rejected with a reason."""
    src = fetch.source
    try:
        body = _decompress_if_needed(fetch.body, max_bytes)
    except (ValueError, zlib.error, gzip.BadGzipFile) as e:
        return ParsedFeed((), (), warning=f"body looks compressed (gzip or zlib) but cannot be inflated: {e}")
    # With no Content-Type (file: URLs, careless servers) say application/xml: the XML declaration and the
    # bytes then decide the encoding, as for a local file, and feedparser does not call the feed bozo for it.
    headers = {"content-location": src.url, "content-type": fetch.content_type or "application/xml"}
    # Markup becomes plain text here, so rewriting its relative links (feedparser's default) is wasted work.
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False)
    feed_lang = (str(parsed.feed.get("language") or "")).split("-")[0].lower() or None
    articles: list[Article] = []
    rejections: list[Rejection] = []
    seen: dict[str, str] = {}
    used: set[str] = set()
    for i, entry in enumerate(parsed.entries):
        key = clean_text(_item_key(entry, i, used))
        try:
            made = _article(fetch, entry, feed_lang)
        except Exception as e:  # a bad item is recorded and skipped, never fatal to the feed
            LOGGER.warning("item %s of %s could not be read: %r", key, src.url, e)
            made = f"item could not be read ({type(e).__name__}: {e})"
        if isinstance(made, str):
            rejections.append(Rejection(src.url, key, made))
        elif made.id in seen:
            rejections.append(Rejection(src.url, key, f"duplicate link within the feed: {made.url}"))
        else:
            seen[made.id] = key
            articles.append(made)
    warning = notice = None
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        why = clean_text(f"{type(exc).__name__}: {exc}")[:300] if exc else "unknown problem"
        if not articles:
            warning = f"not a readable feed ({why})"
        else:
            notice = f"feed is not well-formed ({why}); {len(parsed.entries)} items recovered"
    return ParsedFeed(tuple(articles), tuple(rejections), warning, notice)


def read_feed(fetch: FeedFetch, max_bytes: int = 20_000_000, sign: bool = True) -> ParsedFeed:
    """`parse_feed`, then each article's MinHash signature (`sign`): the CPU-bound part of reading a feed, in
    one call of picklable arguments, so that ingest can run it in a worker process."""
    parsed = parse_feed(fetch, max_bytes)
    if not sign:
        return parsed
    return replace(parsed, articles=tuple(with_signature(a) for a in parsed.articles))

