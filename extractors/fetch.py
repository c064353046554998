"""Fetch a feed over http(s) or from a file: URL, with limits on time, size and redirects.

Errors never escape `fetch`: they come back in `FeedFetch.error` as text a user can act on, so one broken
feed cannot stop the others.
"""

from __future__ import annotations

import functools
import logging
import ssl
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from extractors.politeness import HostGate, parse_retry_after
from models.domain import FeedFetch, Source
from models.errors import FetchHTTPError, FetchRejected, FetchTimeout, PledgewatchError, TransientError

LOGGER = logging.getLogger(__name__)
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every request: building one costs about 20 ms (it loads the CA bundle)."""
    return httpx.create_ssl_context()


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
    gate: HostGate | None = None,
    accept: str = FEED_ACCEPT,
) -> FeedFetch:
    """Fetch one feed (or page). `transport` is the test seam (httpx.MockTransport); by default real sockets
    are used. `gate` limits requests in flight, overall and per host; the wait for it is not latency."""
    at = datetime.now(UTC)
    started = time.monotonic()
    try:
        if source.url.startswith("file:"):
            return _fetch_file(source, at, max_bytes, started)
        if not source.url.startswith(("http://", "https://")):
            raise FetchRejected(f"{source.url}: only http(s):// and file: URLs are fetched.", url=source.url)
        if gate is None:
            return _fetch_http(source, at, started, user_agent, timeout_s, max_bytes, max_redirects, etag,
                               last_modified, transport, accept)
        with gate.slot(source.url):
            at, started = datetime.now(UTC), time.monotonic()
            return _fetch_http(source, at, started, user_agent, timeout_s, max_bytes, max_redirects, etag,
                               last_modified, transport, accept)
    except PledgewatchError as e:
        err = e
    retry_after = err.retry_after_s if isinstance(err, FetchHTTPError) else None
    LOGGER.warning("fetch failed for %s: %s", source.url, err)
    return FeedFetch(source, at, error=str(err), transient=isinstance(err, TransientError), latency_ms=_ms(started),
                     retry_after_s=retry_after, conditional=bool(etag or last_modified))


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def _fetch_file(source: Source, at: datetime, max_bytes: int, started: float) -> FeedFetch:
    path = Path(unquote(urlsplit(source.url).path))
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise FetchRejected(f"{path} is {size} bytes, over the {max_bytes}-byte limit (raise max_bytes).",
                                url=source.url)
        body = path.read_bytes()
    except OSError as e:
        raise FetchRejected(f"cannot read {path}: {e.strerror or e}. Check the url in the sources file.",
                            url=source.url) from e
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
    accept: str,
) -> FeedFetch:
    headers = {"User-Agent": user_agent, "Accept": accept}
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
            verify=_ssl_context(),
        ) as client, client.stream("GET", source.url) as resp:
            if resp.status_code == 304:
                return FeedFetch(source, at, status=304, not_modified=True, etag=etag,
                                 last_modified=last_modified, latency_ms=_ms(started), conditional=True)
            if resp.status_code >= 400:
                text = f"HTTP {resp.status_code} {resp.reason_phrase} from {source.url}"
                if resp.status_code < 500 and resp.status_code != 429:
                    raise FetchRejected(text, url=source.url, status=resp.status_code)
                retry_after = (parse_retry_after(resp.headers.get("retry-after"), datetime.now(UTC))
                               if resp.status_code in (429, 503) else None)
                wait = f"; the server asks to wait {retry_after:.0f}s" if retry_after is not None else ""
                raise FetchHTTPError(text + wait, url=source.url, status=resp.status_code, retry_after_s=retry_after)
            declared = resp.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchRejected(f"{source.url} announces {declared} bytes, over the {max_bytes}-byte limit.",
                                    url=source.url, status=resp.status_code)
            chunks, total = [], 0
            # iter_bytes decodes gzip/deflate, so the cap holds against compression bombs too.
            for chunk in resp.iter_bytes():
                if time.monotonic() - started > timeout_s:
                    raise FetchTimeout(f"{source.url} took more than {timeout_s:.0f}s to send its body; stopped.",
                                       url=source.url, timeout_s=timeout_s)
                total += len(chunk)
                if total > max_bytes:
                    raise FetchRejected(f"{source.url} sent more than {max_bytes} bytes; stopped reading.",
                                        url=source.url, status=resp.status_code)
                chunks.append(chunk)
            return FeedFetch(
                source, at, status=resp.status_code, body=b"".join(chunks),
                content_type=resp.headers.get("content-type"), etag=resp.headers.get("etag"),
                last_modified=resp.headers.get("last-modified"), latency_ms=_ms(started),
                conditional=bool(etag or last_modified),
            )
    except httpx.TooManyRedirects as e:
        raise FetchRejected(f"{source.url} redirected more than {max_redirects} times (a redirect loop?).",
                            url=source.url) from e
    except httpx.TimeoutException as e:
        raise FetchTimeout(f"{source.url} timed out after {timeout_s:.0f}s ({type(e).__name__}).",
                           url=source.url, timeout_s=timeout_s) from e
    except httpx.HTTPError as e:
        raise FetchHTTPError(f"{source.url}: {type(e).__name__}: {e}", url=source.url) from e
    except (httpx.InvalidURL, ValueError) as e:
        raise FetchRejected(f"{source.url} is not a usable URL ({e}). Fix it in the sources file.", url=source.url) from e
