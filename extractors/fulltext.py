"""Full text: the main text of an article page, extracted with trafilatura.

Used for sources with `full_text = true`. When extraction fails or looks like boilerplate (too short,
or the same text on several pages, as an index or paywall page gives), the feed text is kept and the
reason is recorded in `Article.full_text_status`; "ok" means `body` came from the page.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace

import trafilatura

from extractors.text import clean_text
from extractors.urls import content_hash
from models.domain import Article, FeedFetch

LOGGER = logging.getLogger(__name__)
OK = "ok"


def extract_main_text(page: bytes, url: str) -> str:
    """The main text of an HTML page ('' when trafilatura finds none). Never raises on a bad page."""
    try:
        text = trafilatura.extract(page, url=url, include_comments=False, include_tables=False, favor_precision=True)
    except Exception as e:  # trafilatura can fail deep inside lxml on hostile markup; a bad page is skipped
        LOGGER.warning("full text: extraction crashed on %s: %r", url, e)
        return ""
    return clean_text(text or "").strip()


def _digest(text: str) -> str:
    return hashlib.sha1(" ".join(text.lower().split()).encode("utf-8")).hexdigest()


def apply_full_text(articles: Sequence[Article], pages: Mapping[str, FeedFetch], min_chars: int = 300) -> list[Article]:
    """Put each page's main text in `body` where it is usable; otherwise keep the feed text and say why.

    `pages` maps article id → the fetch of its page; articles without a page are returned unchanged.
    """
    texts: dict[str, str] = {}
    status: dict[str, str] = {}
    for a in articles:
        page = pages.get(a.id)
        if page is None:
            continue
        if page.error:
            status[a.id] = f"page fetch failed: {page.error}"
            continue
        text = extract_main_text(page.body, a.url)
        if not text:
            status[a.id] = "no main text found on the page"
        elif len(text) < min_chars:
            status[a.id] = f"boilerplate: the page's main text is only {len(text)} characters (under {min_chars})"
        elif len(text) <= len(a.body or a.summary):
            status[a.id] = "the feed text is as long as the page's main text"
        else:
            texts[a.id] = text
    repeated = Counter(_digest(t) for t in texts.values())
    out = []
    for a in articles:
        kept = texts.get(a.id)
        if kept is not None and repeated[_digest(kept)] > 1:
            status[a.id] = (f"boilerplate: {repeated[_digest(kept)]} pages give the same main text "
                            "(an index or paywall page?)")
            kept = None
        if kept is not None:
            out.append(replace(a, body=kept, full_text_status=OK, content_hash=content_hash(a.title, kept)))
        elif a.id in status:
            out.append(replace(a, full_text_status=status[a.id]))
        else:
            out.append(a)
    return out
