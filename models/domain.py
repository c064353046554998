"""Dataclasses passed between stages. Plain data, no behaviour beyond small derivations."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime


def weights_digest(*parts: object) -> str:
    """Short hash of a fitted stage's weights: a refit is a new tagger version, even under the same name."""
    return hashlib.sha1(json.dumps(list(parts), sort_keys=True).encode("utf-8")).hexdigest()[:8]


@dataclass(frozen=True)
class Source:
    """One feed from a sources file."""

    name: str
    url: str
    lang: str | None = None
    full_text: bool = False


@dataclass(frozen=True)
class Article:
    """A feed item, normalised. `id` is a hash of the canonical URL."""

    id: str
    url: str
    source_url: str
    title: str
    summary: str
    published_at: datetime
    fetched_at: datetime
    lang: str | None
    content_hash: str
    date_missing: bool = False
    body: str = ""
    # Dedup: the canonical article this one copies (same content hash, or a near-duplicate), else None.
    duplicate_of: str | None = None
    # MinHash signature of title + text (extractors/dedup.py); empty when the text is too short to compare.
    minhash: tuple[int, ...] = ()
    # Full text: None when the source does not ask for it, "ok" when `body` came from the page, else why not.
    full_text_status: str | None = None

    @property
    def text(self) -> str:
        """The best text available: the full body when there is one, else the feed summary."""
        return self.body or self.summary


@dataclass(frozen=True)
class Rejection:
    """A feed item that did not become an Article, with a reason a user can read."""

    source_url: str
    item_key: str
    reason: str


@dataclass(frozen=True)
class Evidence:
    sentence: str
    score: float


@dataclass(frozen=True)
class OptionTag:
    option_id: str
    score: float
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class ActorMention:
    actor_id: str
    mentions: int
    evidence_options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stance:
    """A position the text attributes to an actor on an option, with the sentence that shows it."""

    actor_id: str
    option_id: str
    stance: str  # "support" | "oppose"
    score: float
    evidence: str


@dataclass(frozen=True)
class TagResult:
    """What the tagger decided about one document."""

    doc_id: str
    lang: str
    options: tuple[OptionTag, ...]
    actors: tuple[ActorMention, ...]
    tagger_version: str
    taxonomy_version: str
    stances: tuple[Stance, ...] = ()


@dataclass(frozen=True)
class FeedFetch:
    """The outcome of one fetch of one feed, successful or not."""

    source: Source
    fetched_at: datetime
    status: int | None = None
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    error: str | None = None
    transient: bool = False  # a retry later may succeed (timeout, 5xx, 429)
    latency_ms: float = 0.0
    retry_after_s: float | None = None  # the server's Retry-After on 429/503, in seconds
    conditional: bool = False  # the request carried If-None-Match / If-Modified-Since


@dataclass(frozen=True)
class FeedState:
    """What storage knows about a feed before fetching it: validators, failures, backoff."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    consecutive_failures: int = 0
    consecutive_304: int = 0
    last_200_at: datetime | None = None
    next_fetch_after: datetime | None = None


@dataclass(frozen=True)
class FetchPlan:
    """How to fetch a feed this run: skip it (with the reason), or fetch with or without validators."""

    skip: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    note: str | None = None  # e.g. why validators were dropped


@dataclass(frozen=True)
class FeedHealthUpdate:
    """The per-feed state written after a fetch: counters and when the next fetch may happen."""

    consecutive_304: int
    last_200_at: datetime | None
    next_fetch_after: datetime | None
    warning: str | None = None


@dataclass(frozen=True)
class KnownArticle:
    """A stored canonical article, as dedup needs it."""

    id: str
    content_hash: str
    minhash: tuple[int, ...] = ()


@dataclass(frozen=True)
class ParsedFeed:
    articles: tuple[Article, ...]
    rejections: tuple[Rejection, ...]
    warning: str | None = None  # the feed could not be read at all: stored as the fetch's error
    notice: str | None = None  # readable, but something is off (e.g. malformed XML, items recovered)


@dataclass(frozen=True)
class FeedRecord:
    """Everything one fetch of one feed writes: the fetch log, articles, rejections and the feed's health."""

    fetch: FeedFetch
    articles: tuple[Article, ...] = ()
    rejections: tuple[Rejection, ...] = ()
    health: FeedHealthUpdate | None = None
    warning: str | None = None
