"""Feed bytes to Articles with feedparser. Every item becomes an Article or a Rejection with a reason."""

from __future__ import annotations

import calendar
import gzip
import logging
import zlib
from datetime import UTC, datetime
from typing import Any

import feedparser

from extractors.text import html_to_text
from extractors.urls import article_id, content_hash
from models.domain import Article, FeedFetch, ParsedFeed, Rejection

LOGGER = logging.getLogger(__name__)
_GZIP_MAGIC = b"\x1f\x8b"


def _gunzip_if_needed(body: bytes, max_bytes: int) -> bytes:
    """Some servers send a gzipped body without Content-Encoding; feedparser would see garbage."""
    if not body.startswith(_GZIP_MAGIC):
        return body
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = d.decompress(body, max_bytes + 1)
    if len(out) > max_bytes:
        raise ValueError(f"gzipped body inflates past {max_bytes} bytes")
    return out


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        t = entry.get(key)
        if t:
            try:
                return datetime.fromtimestamp(calendar.timegm(t), UTC)
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def _body(entry: Any) -> str:
    contents = entry.get("content") or []
    best = max((c.get("value", "") for c in contents), key=len, default="")
    return html_to_text(best)


def parse_feed(fetch: FeedFetch, max_bytes: int = 20_000_000) -> ParsedFeed:
    """Parse one fetched feed. Items without a usable link are rejected with a reason."""
    src = fetch.source
    try:
        body = _gunzip_if_needed(fetch.body, max_bytes)
    except (ValueError, zlib.error, gzip.BadGzipFile) as e:
        return ParsedFeed((), (), warning=f"body looks gzipped but cannot be inflated: {e}")
    headers = {"content-location": src.url}
    if fetch.content_type:
        headers["content-type"] = fetch.content_type
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False)
    feed_lang = (parsed.feed.get("language") or "").split("-")[0].lower() or None
    articles: list[Article] = []
    rejections: list[Rejection] = []
    seen: set[str] = set()
    for i, entry in enumerate(parsed.entries):
        key = entry.get("id") or entry.get("link") or f"#{i}"
        link = entry.get("link") or (entry.get("id") if str(entry.get("id", "")).startswith("http") else None)
        title = html_to_text(entry.get("title", ""))
        if not link:
            rejections.append(Rejection(src.url, key, "item has no link and no URL-shaped guid"))
            continue
        summary = html_to_text(entry.get("summary", ""))
        body_text = _body(entry)
        if body_text and summary and (body_text == summary or len(body_text) <= len(summary)):
            body_text = ""
        if not (title or summary or body_text):
            rejections.append(Rejection(src.url, key, "item has no title and no text"))
            continue
        aid = article_id(link)
        if aid in seen:
            rejections.append(Rejection(src.url, key, f"duplicate link within the feed: {link}"))
            continue
        seen.add(aid)
        published = _when(entry)
        articles.append(
            Article(
                id=aid,
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
        )
    warning = None
    if parsed.get("bozo") and not articles:
        exc = parsed.get("bozo_exception")
        warning = f"not a readable feed ({type(exc).__name__}: {exc})" if exc else "not a readable feed"
    return ParsedFeed(tuple(articles), tuple(rejections), warning)
