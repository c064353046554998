"""Option evidence per sentence: cue patterns, similarity to the taxonomy's prototypes, and a sentence head.

A sentence's margin for an option is its best cosine to the option's prototypes minus its best cosine
to the background prototypes (on-topic talk that names no option, and off-topic news).
"""

from __future__ import annotations

import re

import numpy as np

from extractors.encoders import Encoder
from models.taxonomy import Taxonomy


class CueMatcher:
    """All languages' cues apply to every text: a misdetected language must not hide a clear cue."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.patterns: list[re.Pattern[str]] = []
        for o in taxonomy.options:
            cues = [c for lang in o.cues.values() for c in lang]
            self.patterns.append(re.compile("|".join(f"(?:{c})" for c in cues), re.I) if cues else re.compile(r"(?!)"))

    def count(self, sentence: str) -> list[int]:
        return [len(p.findall(sentence)) for p in self.patterns]


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
