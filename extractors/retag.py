"""What a re-tag changed: per option, how many articles gained or lost it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from models.domain import TagResult


@dataclass
class OptionChange:
    added: int = 0  # articles tagged with the option now that were not before
    removed: int = 0  # articles tagged with it before that are not now
    kept: int = 0


@dataclass
class RetagSummary:
    articles: int = 0
    changed: int = 0  # articles whose option set changed
    options: dict[str, OptionChange] = field(default_factory=dict)

    def add(self, other: RetagSummary) -> None:
        self.articles += other.articles
        self.changed += other.changed
        for o, c in other.options.items():
            mine = self.options.setdefault(o, OptionChange())
            mine.added += c.added
            mine.removed += c.removed
            mine.kept += c.kept


def option_changes(before: Mapping[str, frozenset[str]], after: Sequence[TagResult]) -> RetagSummary:
    """Compare each article's options before (absent: untagged) with its new tagging."""
    summary = RetagSummary(articles=len(after))
    for r in after:
        old = before.get(r.doc_id, frozenset())
        new = frozenset(o.option_id for o in r.options)
        summary.changed += old != new
        for o in old | new:
            c = summary.options.setdefault(o, OptionChange())
            if o in new and o in old:
                c.kept += 1
            elif o in new:
                c.added += 1
            else:
                c.removed += 1
    return summary
