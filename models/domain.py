"""Dataclasses passed between stages. Plain data, no behaviour beyond small derivations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


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
class TagResult:
    """What the tagger decided about one document."""

    doc_id: str
    lang: str
    options: tuple[OptionTag, ...]
    actors: tuple[ActorMention, ...]
    tagger_version: str
    taxonomy_version: str


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


@dataclass(frozen=True)
class ParsedFeed:
    articles: tuple[Article, ...]
    rejections: tuple[Rejection, ...]
    warning: str | None = None


@dataclass
class WeeklyOption:
    option_id: str
    label: str
    articles: int
    share: float
    prev_articles: int
    prev_share: float
    top_actors: list[tuple[str, int]] = field(default_factory=list)
    evidence: list[tuple[str, str, str]] = field(default_factory=list)  # (sentence, title, url)


@dataclass
class WeeklySummary:
    week: str
    total_articles: int
    prev_total_articles: int
    options: list[WeeklyOption]
    languages: list[tuple[str, int]]
    sources: list[tuple[str, int]]
