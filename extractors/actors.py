"""Actor gazetteer compiled from the taxonomy: aliases, capitals used for governments, metonyms.

Alias rules (the taxonomy file repeats them for its authors):
- whole words, case-insensitive; an all-caps alias of at most 5 letters (US, EU, НАТО) is case-sensitive;
- a trailing `*` makes a stem that takes any inflection (Зеленськ* -> Зеленського);
- a capital preceded by a venue preposition ("in Paris", "у Парижі") or used as a dateline is a place, not an actor.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from models.taxonomy import Taxonomy

_DATELINE_AFTER = re.compile(r"\s*(\(|,|—|–|-|:)")


def alias_pattern(alias: str) -> str:
    stem = alias.endswith("*")
    core = alias[:-1] if stem else alias
    body = r"\s+".join(re.escape(w) for w in core.split())
    tail = r"\w*" if stem else ""
    return rf"(?<!\w){body}{tail}(?!\w)"


def _case_sensitive(alias: str) -> bool:
    letters = [c for c in alias if c.isalpha()]
    return 0 < len(letters) <= 5 and all(c.isupper() for c in letters)


def _compile(aliases: list[str]) -> list[re.Pattern[str]]:
    sensitive = [alias_pattern(a) for a in aliases if _case_sensitive(a)]
    folded = [alias_pattern(a) for a in aliases if not _case_sensitive(a)]
    out = []
    if sensitive:
        out.append(re.compile("|".join(sensitive)))
    if folded:
        out.append(re.compile("|".join(folded), re.IGNORECASE))
    return out


@dataclass(frozen=True)
class _ActorPatterns:
    actor_id: str
    names: list[re.Pattern[str]]
    capitals: list[re.Pattern[str]]


class Gazetteer:
    """Finds canonical actor ids in sentences."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.actors: list[_ActorPatterns] = []
        for a in taxonomy.actors:
            names = sorted({n for lang in (a.aliases, a.metonyms) for ns in lang.values() for n in ns})
            caps = sorted({n for ns in a.capitals.values() for n in ns})
            self.actors.append(_ActorPatterns(a.id, _compile(names), _compile(caps)))
        preps = sorted({p.lower() for ps in taxonomy.venue_prepositions.values() for p in ps}, key=len, reverse=True)
        self._venue = re.compile(rf"(?<!\w)({'|'.join(map(re.escape, preps))})\s+$", re.IGNORECASE) if preps else None

    def _is_venue(self, sentence: str, start: int, end: int) -> bool:
        before = sentence[max(0, start - 30):start]
        if self._venue is not None and self._venue.search(before):
            return True
        return not sentence[:start].strip() and bool(_DATELINE_AFTER.match(sentence[end:]))

    def find(self, sentence: str) -> Counter[str]:
        counts: Counter[str] = Counter()
        for a in self.actors:
            n = sum(len(p.findall(sentence)) for p in a.names)
            for p in a.capitals:
                n += sum(1 for m in p.finditer(sentence) if not self._is_venue(sentence, m.start(), m.end()))
            if n:
                counts[a.actor_id] += n
        return counts
