"""What the weekly report reads from the database: plain rows, one dataclass per kind of fact.

`storage.reads.report_data` fills a `ReportData`; `reports.findings` turns it into findings. Weeks are ISO week
strings such as "2026-W47"; sources are named by their display name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from models.errors import InputError


@dataclass(frozen=True)
class OptionWeek:
    """Stories tagged with one option in one week (copies are not counted)."""

    week: str
    option_id: str
    articles: int


@dataclass(frozen=True)
class SourceWeek:
    """One feed in one week, as the weekly_feed_health view defines it."""

    week: str
    source: str
    articles: int  # tagged stories published that week (copies excluded)
    fetches: int = 0
    failures: int = 0
    live: bool = True  # articles that week (stories or copies) or a successful fetch
    silent: bool = False  # no article although it had some in at least 3 of the previous 4 weeks
    last_error: str | None = None


@dataclass(frozen=True)
class SourceOptionWeek:
    week: str
    source: str
    option_id: str
    articles: int


@dataclass(frozen=True)
class ActorOptionWeek:
    """Stories tagged with an option that name an actor; `in_evidence` name it inside the option's evidence."""

    week: str
    actor_id: str
    option_id: str
    articles: int
    in_evidence: int = 0


@dataclass(frozen=True)
class EvidenceRow:
    """An option's best evidence sentence in one story."""

    week: str
    option_id: str
    sentence: str
    title: str
    url: str
    source: str
    score: float


@dataclass(frozen=True)
class WeekFacts:
    """Per report week: volume, ingest caveats and the versions that produced the tags."""

    week: str
    stories: int
    copies: int
    date_missing: dict[str, int] = field(default_factory=dict)  # option -> stories whose feed gave no date
    tagger_versions: tuple[str, ...] = ()
    taxonomy_versions: tuple[str, ...] = ()
    languages: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class ReportData:
    """Everything a set of weekly reports needs, read in a few queries."""

    weeks: tuple[str, ...]  # every ISO week from the first with data to the last, no holes
    options: tuple[tuple[str, str], ...]  # (option id, label), in taxonomy order
    stories: dict[str, int]  # week -> stories
    counts: tuple[OptionWeek, ...]
    sources: tuple[SourceWeek, ...]
    source_options: tuple[SourceOptionWeek, ...]
    actor_options: tuple[ActorOptionWeek, ...]  # from 12 weeks before the window, to tell new actors
    evidence: tuple[EvidenceRow, ...]
    facts: dict[str, WeekFacts]
    fetched_until: datetime | None = None  # the latest fetch: a week that ends after it is partial
    actor_kinds: dict[str, str] = field(default_factory=dict)  # actor -> state | org | person
    failing_now: tuple[tuple[str, int, str | None], ...] = ()  # (feed, failures in a row, last error)


# ISO weeks as strings. Small pure helpers shared by storage (zero-filled axes) and reports (baselines).
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(week: str) -> date:
    """The Monday of an ISO week such as "2026-W47"; InputError naming the value when it is not one."""
    m = _WEEK.match(week.strip())
    if not m:
        raise InputError(f"week {week!r} is not an ISO week: write it like 2026-W47")
    try:
        return date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise InputError(f"week {week!r} does not exist: ISO week numbers run from W01 to W52 (W53 in some years)") from None


def week_of(d: date) -> str:
    year, num, _ = d.isocalendar()
    return f"{year}-W{num:02d}"


def shift_week(week: str, n: int) -> str:
    return week_of(parse_week(week) + timedelta(weeks=n))


def week_range(first: str, last: str) -> tuple[str, ...]:
    """Every ISO week from `first` to `last`, both included: the zero-filled time axis."""
    start, end = parse_week(first), parse_week(last)
    return tuple(week_of(start + timedelta(weeks=i)) for i in range((end - start).days // 7 + 1))
