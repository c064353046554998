"""Option evidence per sentence: cue patterns, similarity to the taxonomy's prototypes, and a sentence head.

A sentence's margin for an option is its best cosine to the option's prototypes minus its best cosine
to the background prototypes (on-topic talk that names no option, and off-topic news).
"""

from __future__ import annotations

import re

import numpy as np

from extractors.encoders import Encoder
from models.taxonomy import Taxonomy

_NEVER = re.compile(r"(?!)")


def _join(cues: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{c})" for c in cues), re.I) if cues else _NEVER


# A close neighbour whose cues also serve a language (on top of its own, if it has any): Serbian in Latin
# script reads like Croatian (Bosnian reads Serbian first, then Croatian), Turkmen and Azerbaijani like Turkish.
CUE_LANG = {"ca": "es", "bs": "sr", "sr": "hr", "sl": "hr", "sk": "cs", "be": "ru", "mk": "bg", "tk": "az", "az": "tr", "uz": "tr"}


def cue_langs(lang: str) -> tuple[str, ...]:
    """The language and the neighbours whose cues also serve it, closest first: tk -> tk, az, tr."""
    chain = [lang]
    while chain[-1] in CUE_LANG and CUE_LANG[chain[-1]] not in chain:
        chain.append(CUE_LANG[chain[-1]])
    return tuple(chain)


class CueMatcher:
    """A text's own language's cues plus the English ones (English terms turn up in every language).

    Cues anchored with `^` (whole-sentence guards) are tried once, at the start; joined with the
    others they would be tried at every position.
    """

    def __init__(self, taxonomy: Taxonomy) -> None:
        self._cues = [o.cues for o in taxonomy.options]
        self._compiled: dict[str, list[tuple[re.Pattern[str], re.Pattern[str]]]] = {}
        self._seen: dict[tuple[str, str], list[int]] = {}  # fitting and cross-validation count a sentence often

    def _patterns(self, lang: str) -> list[tuple[re.Pattern[str], re.Pattern[str]]]:
        if lang not in self._compiled:
            per_option = []
            langs = dict.fromkeys(("en", *cue_langs(lang)))
            for cues in self._cues:
                chosen = [c for lg in langs for c in cues.get(lg, ())]
                per_option.append((_join([c for c in chosen if c.startswith("^")]),
                                   _join([c for c in chosen if not c.startswith("^")])))
            self._compiled[lang] = per_option
        return self._compiled[lang]

    def count(self, sentence: str, lang: str) -> list[int]:
        hit = self._seen.get((sentence, lang))
        if hit is None:
            if len(self._seen) > 50_000:
                self._seen.clear()
            hit = self._seen[(sentence, lang)] = [int(anchored.match(sentence) is not None) + len(free.findall(sentence))
                                                 for anchored, free in self._patterns(lang)]
        return list(hit)


class PrototypeScorer:
    def __init__(self, taxonomy: Taxonomy, encoder: Encoder) -> None:
        self.option_vecs = [
            encoder.encode([s for lang in o.prototypes.values() for s in lang]) for o in taxonomy.options
        ]
        self.background = encoder.encode([s for lang in taxonomy.background.values() for s in lang])

    def margins(self, vecs: np.ndarray) -> np.ndarray:
        """Rows = sentences, columns = options."""
        if not len(vecs):
            return np.zeros((0, len(self.option_vecs)), dtype=np.float32)
        bg = (vecs @ self.background.T).max(axis=1) if len(self.background) else np.zeros(len(vecs))
        cols = [(vecs @ p.T).max(axis=1) if len(p) else np.full(len(vecs), -1.0) for p in self.option_vecs]
        return (np.stack(cols, axis=1) - bg[:, None]).astype(np.float32)


def sentence_probs(vecs: np.ndarray, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Per-option logistic sentence head: rows = sentences, columns = options."""
    if not len(vecs):
        return np.zeros((0, len(bias)), dtype=np.float32)
    return (1.0 / (1.0 + np.exp(-(vecs @ weights.T + bias)))).astype(np.float32)
