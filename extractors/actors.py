"""Actor gazetteer compiled from the taxonomy: aliases, capitals used for governments, metonyms.

Alias rules (the taxonomy file repeats them for its authors):
- whole words, case-insensitive; an all-caps alias of at most 5 letters (US, EU, НАТО) is case-sensitive;
- a trailing `*` makes a stem that takes any inflection (Зеленськ* -> Зеленського);
- a capital preceded by a venue preposition ("in Paris", "у Парижі"), followed by a venue suffix ("Paris'te") or
  used as a dateline is a place, not an actor.

Matching works on word tokens with dictionary lookups, not one regular expression per alias: thousands of
aliases then cost a few lookups per word. Only the n-gram lengths some alias starting with a word has are tried
at that word, and single-word lookups are cached, since news repeats its words.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from extractors.text import UNSPACED, WORD
from models.taxonomy import Taxonomy

_DATELINE_AFTER = re.compile(r"\s*(\(|,|—|–|-|:)")
_SPACED_WORD = re.compile(r"\w+")  # WORD's result, faster, on text with no Han or kana character


def _case_sensitive(alias: str) -> bool:
    letters = [c for c in alias if c.isalpha()]
    return 0 < len(letters) <= 5 and all(c.isupper() for c in letters)


@dataclass(frozen=True)
class _Entry:
    actor_id: str
    capital: bool


class Gazetteer:
    """Finds canonical actor ids in sentences."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        # Keyed by the alias's token tuple (case-folded unless case-sensitive); stems by their token tuple too.
        self._exact: dict[tuple[bool, tuple[str, ...]], set[_Entry]] = defaultdict(set)
        self._stems: dict[tuple[bool, tuple[str, ...]], set[_Entry]] = defaultdict(set)
        self._max_tokens = 1
        self._stem_lengths: set[int] = set()
        # (case-sensitive?, first token) -> lengths of the aliases (n >= 2) that start with it
        self._starts: dict[tuple[bool, str], set[int]] = defaultdict(set)
        self._single: dict[str, tuple[tuple[int, ...], frozenset[_Entry]]] = {}
        for a in taxonomy.actors:
            for group, capital in ((a.aliases, False), (a.metonyms, False), (a.capitals, True)):
                for aliases in group.values():
                    for alias in aliases:
                        self._add(alias, _Entry(a.id, capital))
        preps = sorted({p.lower() for ps in taxonomy.venue_prepositions.values() for p in ps}, key=len, reverse=True)
        self._venue = re.compile(rf"(?<!\w)({'|'.join(map(re.escape, preps))})\s+$", re.IGNORECASE) if preps else None
        suffixes = [x for xs in taxonomy.venue_suffixes.values() for x in xs]
        self._venue_suffix = re.compile("|".join(f"(?:{x})" for x in suffixes), re.IGNORECASE) if suffixes else None

    def _add(self, alias: str, entry: _Entry) -> None:
        stem = alias.endswith("*")
        sensitive = _case_sensitive(alias)
        tokens = tuple(t if sensitive else t.casefold() for t in WORD.findall(alias.rstrip("*")))
        if not tokens:
            return
        self._max_tokens = max(self._max_tokens, len(tokens))
        if len(tokens) > 1:
            self._starts[(sensitive, tokens[0])].add(len(tokens))
        if stem:
            self._stems[(sensitive, tokens)].add(entry)
            self._stem_lengths.add(len(tokens[-1]))
        else:
            self._exact[(sensitive, tokens)].add(entry)

    def _is_venue(self, sentence: str, start: int, end: int) -> bool:
        before = sentence[max(0, start - 30):start]
        if self._venue is not None and self._venue.search(before):
            return True
        if self._venue_suffix is not None and self._venue_suffix.match(sentence, end):
            return True
        return not sentence[:start].strip() and bool(_DATELINE_AFTER.match(sentence[end:]))

    def _lookup(self, raw: list[str], folded: list[str]) -> set[_Entry]:
        found: set[_Entry] = set()
        for sensitive, toks in ((True, tuple(raw)), (False, tuple(folded))):
            found |= self._exact.get((sensitive, toks), set())
            last = toks[-1]
            for n in self._stem_lengths:
                if n <= len(last):
                    found |= self._stems.get((sensitive, (*toks[:-1], last[:n])), set())
        return found

    def _word(self, word: str) -> tuple[tuple[int, ...], frozenset[_Entry]]:
        """For a word: the lengths (n >= 2, longest first) of aliases starting with it, and its own matches."""
        hit = self._single.get(word)
        if hit is None:
            if len(self._single) > 200_000:
                self._single.clear()
            folded = word.casefold()
            ns = self._starts.get((True, word), set()) | self._starts.get((False, folded), set())
            hit = self._single[word] = (tuple(sorted(ns, reverse=True)), frozenset(self._lookup([word], [folded])))
        return hit

    def find(self, sentence: str) -> Counter[str]:
        unspaced_text = UNSPACED.search(sentence) is not None
        spans = list((WORD if unspaced_text else _SPACED_WORD).finditer(sentence))
        raw = [m.group() for m in spans]
        counts: Counter[str] = Counter()
        taken: dict[str, int] = {}  # actor -> first token after its last match: "Donald Trump" counts once
        inside = 0  # first token after the last name written in characters: 俄罗斯 inside 白俄罗斯 is not Russia
        for i, word in enumerate(raw):
            lengths, single = self._word(word)
            if not lengths and not single:
                continue
            for n in (*(n for n in lengths if n <= len(raw) - i), 1):
                found = single if n == 1 else self._lookup(raw[i:i + n], [w.casefold() for w in raw[i:i + n]])
                unspaced = unspaced_text and n > 1 and all(len(w) == 1 for w in raw[i:i + n])
                if found and unspaced and i < inside:
                    continue
                for e in found:
                    if taken.get(e.actor_id, 0) > i:
                        continue
                    if e.capital and self._is_venue(sentence, spans[i].start(), spans[i + n - 1].end()):
                        continue
                    counts[e.actor_id] += 1
                    taken[e.actor_id] = i + n
                    if unspaced:
                        inside = max(inside, i + n)
        return counts
