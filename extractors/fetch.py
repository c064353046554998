"""Fetch a feed over http(s) or from a file: URL, with limits on time, size and redirects.

Errors never escape `fetch`: they come back in `FeedFetch.error` as text a user can act on, so one broken
feed cannot stop the others.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from models.domain import FeedFetch, Source
from models.errors import FetchHTTPError, FetchRejected, FetchTimeout, PledgewatchError, TransientError

LOGGER = logging.getLogger(__name__)


def fetch(
    source: Source,
    *,
    user_agent: str,
    timeout_s: float,
    max_bytes: int,
    max_redirects: int = 5,
    etag: str | None = None,
    last_modified: str | None = None,
    transport: httpx.BaseTransport | None = None,
) -> FeedFetch:
    """Fetch one feed. `transport` is the test seam (httpx.MockTransport); by default real sockets are used."""
    started = time.monotonic()
    at = datetime.now(UTC)
    try:
        if source.url.startswith("file:"):
            return _fetch_file(source, at, max_bytes, started)
        return _fetch_http(
            source, at, started, user_agent, timeout_s, max_bytes, max_redirects, etag, last_modified, transport
        )
    except PledgewatchError as e:
        LOGGER.warning("fetch failed for %s: %s", source.url, e)
        return FeedFetch(source, at, error=str(e), transient=isinstance(e, TransientError), latency_ms=_ms(started))


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def _fetch_file(source: Source, at: datetime, max_bytes: int, started: float) -> FeedFetch:
    path = Path(unquote(urlsplit(source.url).path))
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise FetchRejected(f"{path} is {size} bytes, over the {max_bytes}-byte limit (raise max_bytes).")
        body = path.read_bytes()
    except OSError as e:
        raise FetchRejected(f"cannot read {path}: {e.strerror or e}. Check the url in the sources file.") from e
    return FeedFetch(source, at, status=200, body=body, latency_ms=_ms(started))


def _fetch_http(
    source: Source,
    at: datetime,
    started: float,
    user_agent: str,
    timeout_s: float,
    max_bytes: int,
    max_redirects: int,
    etag: str | None,
    last_modified: str | None,
    transport: httpx.BaseTransport | None,
) -> FeedFetch:
    headers = {"User-Agent": user_agent, "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        with httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=True,
            max_redirects=max_redirects,
            transport=transport,
        ) as client, client.stream("GET", source.url) as resp:
            if resp.status_code == 304:
                return FeedFetch(source, at, status=304, not_modified=True, etag=etag,
                                 last_modified=last_modified, latency_ms=_ms(started))
            if resp.status_code >= 400:
                kind = FetchHTTPError if resp.status_code >= 500 or resp.status_code == 429 else FetchRejected
                raise kind(f"HTTP {resp.status_code} {resp.reason_phrase} from {source.url}")
            declared = resp.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchRejected(f"{source.url} announces {declared} bytes, over the {max_bytes}-byte limit.")
            chunks, total = [], 0
            # iter_bytes decodes gzip/deflate, so the cap holds against compression bombs too.
            for chunk in resp.iter_bytes():
                total += len(chunk)
                if total > max_bytes:
                    raise FetchRejected(f"{source.url} sent more than {max_bytes} bytes; stopped reading.")
                chunks.append(chunk)
            return FeedFetch(
                source, at, status=resp.status_code, body=b"".join(chunks),
                content_type=resp.headers.get("content-type"), etag=resp.headers.get("etag"),
                last_modified=resp.headers.get("last-modified"), latency_ms=_ms(started),
            )
    except httpx.TooManyRedirects as e:
        raise FetchRejected(f"{source.url} redirected more than {max_redirects} times (a redirect loop?).") from e
    except httpx.TimeoutException as e:
        raise FetchTimeout(f"{source.url} timed out after {timeout_s:.0f}s ({type(e).__name__}).") from e
    except httpx.HTTPError as e:
        raise FetchHTTPError(f"{source.url}: {type(e).__name__}: {e}") from e
