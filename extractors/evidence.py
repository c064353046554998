"""Evidence: the 1–3 sentences that best show an option in an article, best first, never one twice.

Each sentence is scored for option j by a small logistic ranker over signals the tagger already has (the
sentence head's probability and prototype margin for j, its cues, how strongly it reads as another option, the
actors it names, its length). Fitted on labelled positions: a stance's evidence sentence shows its option
(`pledgewatch fit-evidence`, train split only). Measured on data it was not fitted on, the first sentence is a
marked one for 59 % of dev's tags (one marked sentence each, 50 % with the hand-set ranking it replaced) and
98 % of the samples' (every sentence a reader accepts marked; README, "Evidence check").

Without a fitted ranker the hand-set weights below rank as before: the option's probability and margin, a
lift for its cues, a push down for a sentence that reads as another option more than this one.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from extractors.sentences import key
from models.domain import weights_digest
from models.errors import ConfigError

MAX_EVIDENCE = 3
# Second and third sentences are kept while they score at least this share of the best one.
KEEP_RATIO = 0.5
FEATURES = ("own", "margin", "cue", "cues", "other", "other_gap", "title", "position", "actors_log", "words_log",
            "other_cue", "short", "question", "quote")
_QUOTES = ('"', "“", "«", "„")


def features(sentences: list[str], sprobs: np.ndarray, margins: np.ndarray, cues: np.ndarray,
             actors: list[Counter[str]], j: int) -> np.ndarray:
    """One row of FEATURES per sentence, for option j."""
    n = len(sentences)
    own = sprobs[:, j]
    rest = np.delete(sprobs, j, axis=1)
    other = rest.max(axis=1) if rest.shape[1] else np.zeros_like(own)
    rest_cues = np.delete(cues, j, axis=1)
    other_cue = rest_cues.max(axis=1) if rest_cues.shape[1] else np.zeros(n)
    rows = []
    for i, s in enumerate(sentences):
        words = len(s.split())
        rows.append([
            own[i], margins[i, j], float(cues[i, j] > 0), min(int(cues[i, j]), 2) / 2, other[i],
            max(0.0, float(other[i] - own[i])), float(i == 0), i / max(1, n - 1), np.log1p(len(actors[i])),
            np.log1p(words), float(other_cue[i] > 0), float(words < 8), float(s.rstrip().endswith("?")),
            float(any(q in s for q in _QUOTES)),
        ])
    return np.asarray(rows, dtype=np.float32).reshape(n, len(FEATURES))


@dataclass(frozen=True)
class EvidenceRanker:
    weights: tuple[float, ...]
    bias: float
    version: str

    @classmethod
    def default(cls) -> EvidenceRanker:
        w = dict.fromkeys(FEATURES, 0.0) | {"own": 1.0, "margin": 1.0, "cue": 0.3, "cues": 0.2, "other_gap": -0.5}
        return cls(tuple(w[f] for f in FEATURES), 0.0, "ev0")

    @classmethod
    def load(cls, path: Path) -> EvidenceRanker:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if tuple(raw["features"]) != FEATURES:
            raise ConfigError(f"{path} was fitted on other features; refit it with `pledgewatch fit-evidence`", path=path)
        return cls(tuple(raw["weights"]), raw["bias"], raw["version"])

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"version": self.version, "features": FEATURES, "weights": self.weights,
                                    "bias": self.bias}), encoding="utf-8")

    @property
    def digest(self) -> str:
        return weights_digest(FEATURES, self.weights, self.bias)

    def scores(self, x: np.ndarray) -> np.ndarray:
        """Per sentence, in (0, 1): how well it shows the option."""
        z = x @ np.asarray(self.weights, dtype=np.float32) + np.float32(self.bias)
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def ranker_path(heads: Path, encoder_name: str) -> Path:
    """Per encoder: the features read the encoder's sentence signals."""
    return heads / f"evidence-{encoder_name}.json"


def load_ranker(heads: Path, encoder_name: str) -> EvidenceRanker:
    """The fitted ranker for this encoder when one ships; else the hand-set weights."""
    path = ranker_path(heads, encoder_name)
    return EvidenceRanker.load(path) if path.exists() else EvidenceRanker.default()


def pick(ranker: EvidenceRanker, sentences: list[str], x: np.ndarray) -> list[tuple[int, float]]:
    """The 1–3 best sentences (index, score), best first; a sentence repeated is kept once, also when one copy
    is the other cut short (a headline opens the text with the attribution dropped: "…, the Post reports")."""
    p = ranker.scores(x)
    picked: list[tuple[int, float]] = []
    seen: list[str] = []
    for i in (int(i) for i in np.argsort(-p, kind="stable")):
        k = key(sentences[i])
        if any(k in s or s in k for s in seen):
            continue
        if picked and p[i] < KEEP_RATIO * picked[0][1]:
            break
        seen.append(k)
        picked.append((i, round(float(p[i]), 4)))
        if len(picked) == MAX_EVIDENCE:
            break
    return picked


def fit(cases: Iterable[tuple[np.ndarray, set[int]]], version: str, c: float = 0.1) -> EvidenceRanker:
    """Logistic ranker from (features of an article's sentences for an option, the sentences that show it)."""
    from sklearn.linear_model import LogisticRegression

    xs: list[np.ndarray] = []
    ys: list[int] = []
    for x, positive in cases:
        xs.append(x)
        ys.extend(int(i in positive) for i in range(len(x)))
    m = LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(np.vstack(xs), ys)
    return EvidenceRanker(tuple(round(float(w), 5) for w in m.coef_[0]), round(float(m.intercept_[0]), 5), version)
