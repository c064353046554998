"""Politeness: when to fetch a feed, how long to back off, and how many requests may run at once.

- `plan_fetch`: skip a feed that is still backing off; drop the validators (If-None-Match,
  If-Modified-Since) when a feed has answered 304 too many times in a row or its last full response is
  too old, because some servers send the same ETag for changed content.
- `health_after`: the state to store after a fetch: 304 streak, last full response, next allowed fetch.
- `backoff_s`: exponential per-feed backoff, at least the server's Retry-After, capped.
- `HostGate`: at most N requests in flight overall and `per_host` to any one host.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from models.domain import FeedFetch, FeedHealthUpdate, FeedState, FetchPlan

LOGGER = logging.getLogger(__name__)


def plan_fetch(
    state: FeedState | None, now: datetime, *, refetch_after_304s: int, refetch_max_age_s: float
) -> FetchPlan:
    """Decide how to fetch one feed this run. Pure: `now` and the stored state in, a plan out."""
    if state is None:
        return FetchPlan()
    if state.next_fetch_after is not None and state.next_fetch_after > now:
        return FetchPlan(
            skip=f"backing off until {state.next_fetch_after:%Y-%m-%d %H:%M:%S %Z} after "
            f"{state.consecutive_failures} failure(s) in a row"
        )
    if not (state.etag or state.last_modified):
        return FetchPlan()
    if state.consecutive_304 >= refetch_after_304s:
        return FetchPlan(note=f"{state.consecutive_304} 304s in a row: fetching without validators to check")
    if state.last_200_at is None or (now - state.last_200_at).total_seconds() > refetch_max_age_s:
        return FetchPlan(note="last full response is too old: fetching without validators to check")
    return FetchPlan(etag=state.etag, last_modified=state.last_modified)


def backoff_s(failures: int, *, base_s: float, cap_s: float, retry_after_s: float | None = None) -> float:
    """Seconds to wait after `failures` failures in a row: base · 2^(failures-1), at least Retry-After, capped."""
    if failures <= 0:
        return 0.0
    wait = base_s * 2 ** min(failures - 1, 30)
    if retry_after_s is not None:
        wait = max(wait, retry_after_s)
    return min(wait, cap_s)


def health_after(
    state: FeedState | None, fetch: FeedFetch, failed: bool, *, base_s: float, cap_s: float
) -> FeedHealthUpdate:
    """The per-feed counters to store after this fetch (`failed` includes unreadable feeds)."""
    state = state or FeedState(fetch.source.url)
    if failed:
        wait = backoff_s(state.consecutive_failures + 1, base_s=base_s, cap_s=cap_s, retry_after_s=fetch.retry_after_s)
        return FeedHealthUpdate(state.consecutive_304, state.last_200_at, fetch.fetched_at + timedelta(seconds=wait))
    if fetch.not_modified:
        return FeedHealthUpdate(state.consecutive_304 + 1, state.last_200_at, None)
    return FeedHealthUpdate(0, fetch.fetched_at, None)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date. None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def host_of(url: str) -> str:
    """The host a request goes to (port ignored: one machine is one host). file: URLs share one key."""
    parts = urlsplit(url)
    return (parts.hostname or parts.scheme or "").lower()


class HostGate:
    """At most `total` requests in flight, and at most `per_host` to any one host. Thread-safe."""

    def __init__(self, total: int = 8, per_host: int = 1) -> None:
        self._total = threading.BoundedSemaphore(max(1, total))
        self._per_host = max(1, per_host)
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    def _host(self, host: str) -> threading.BoundedSemaphore:
        with self._lock:
            sem = self._hosts.get(host)
            if sem is None:
                sem = self._hosts[host] = threading.BoundedSemaphore(self._per_host)
            return sem

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        """Hold a request slot for `url`: the host's first, then one of the overall ones."""
        host_sem = self._host(host_of(url))
        with host_sem, self._total:
            yield
