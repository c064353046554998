"""The tagger: language → sentences → actors and option evidence → an article-level decision per option.

Embeddings are the expensive part, so only sentences that name an actor or carry a cue are encoded,
and an article with neither is not encoded at all.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from extractors.actors import Gazetteer
from extractors.encoders import Encoder
from extractors.language import detect
from extractors.options import CueMatcher, PrototypeScorer
from extractors.sentences import split_sentences
from models.domain import ActorMention, Evidence, OptionTag, TagResult
from models.taxonomy import Taxonomy

LOGGER = logging.getLogger(__name__)
TAGGER_NAME = "pw-tagger-v1"
MAX_EVIDENCE = 3
FEATURES = ("cue_log", "title_cue", "max_margin", "top2_margin", "n_relevant_log")


@dataclass(frozen=True)
class Doc:
    id: str
    title: str
    text: str
    lang: str | None = None


@dataclass(frozen=True)
class Head:
    """Per-option logistic weights over FEATURES, a bias and a decision threshold."""

    weights: dict[str, list[float]]
    bias: dict[str, float]
    threshold: dict[str, float]
    version: str

    @classmethod
    def load(cls, path: Path) -> Head:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(raw["weights"], raw["bias"], raw["threshold"], raw["version"])

    def save(self, path: Path) -> None:
        path.write_text(
            json.dumps(
                {"version": self.version, "features": FEATURES, "weights": self.weights, "bias": self.bias,
                 "threshold": self.threshold},
                indent=1,
            ),
            encoding="utf-8",
        )

    def score(self, option_id: str, x: np.ndarray) -> float:
        z = float(np.dot(self.weights[option_id], x) + self.bias[option_id])
        return 1.0 / (1.0 + math.exp(-z))


def default_head(option_ids: tuple[str, ...]) -> Head:
    """Hand-set weights: a cue decides, a strong prototype margin can decide alone."""
    w = [3.0, 1.0, 25.0, 10.0, 0.0]
    return Head({o: w for o in option_ids}, {o: -3.5 for o in option_ids}, {o: 0.5 for o in option_ids}, "h0")


def features(cues: np.ndarray, margins: np.ndarray, title_cues: np.ndarray, n_relevant: int) -> np.ndarray:
    """Article-level features, one row per option."""
    rows = []
    for j in range(cues.shape[1]):
        m = np.sort(margins[:, j])[::-1] if len(margins) else np.zeros(1)
        top2 = float(m[:2].mean()) if len(m) else 0.0
        rows.append([math.log1p(cues[:, j].sum()), float(title_cues[j] > 0), float(m[0]) if len(m) else 0.0, top2,
                     math.log1p(n_relevant)])
    return np.asarray(rows, dtype=np.float32)


class Tagger:
    def __init__(self, taxonomy: Taxonomy, encoder: Encoder, head: Head | None = None) -> None:
        self.taxonomy = taxonomy
        self.option_ids = taxonomy.option_ids
        self.gazetteer = Gazetteer(taxonomy)
        self.cues = CueMatcher(taxonomy)
        self.protos = PrototypeScorer(taxonomy, encoder)
        self.head = head or default_head(self.option_ids)
        self.version = f"{TAGGER_NAME}+{encoder.name}+{self.head.version}"

    def features_batch(self, docs: list[Doc]) -> list[tuple[str, list[str], list[Counter[str]], np.ndarray, np.ndarray, np.ndarray]]:
        """Per doc: lang, sentences, actor counts per sentence, cue matrix, margin matrix, feature rows."""
        prepared = []
        to_embed: list[str] = []
        for d in docs:
            lang = d.lang or detect(f"{d.title}\n{d.text}")
            sents = split_sentences(d.title, d.text)
            actors = [self.gazetteer.find(s) for s in sents]
            cues = np.asarray([self.cues.count(s) for s in sents], dtype=np.int32).reshape(len(sents), len(self.option_ids))
            relevant = [i for i, s in enumerate(sents) if actors[i] or cues[i].any()]
            prepared.append((d, lang, sents, actors, cues, relevant, len(to_embed)))
            to_embed.extend(sents[i] for i in relevant)
        all_margins = self.protos.margins(to_embed)
        out = []
        for d, lang, sents, actors, cues, relevant, offset in prepared:
            margins = np.zeros((len(sents), len(self.option_ids)), dtype=np.float32)
            if relevant:
                margins[relevant] = all_margins[offset:offset + len(relevant)]
            title_cues = cues[0] if d.title.strip() and len(cues) else np.zeros(len(self.option_ids))
            feats = features(cues[relevant] if relevant else cues[:0], margins[relevant] if relevant else margins[:0],
                             title_cues, len(relevant))
            out.append((lang, sents, actors, cues, margins, feats))
        return out

    def tag_batch(self, docs: list[Doc]) -> list[TagResult]:
        results = []
        for d, (lang, sents, actors, cues, margins, feats) in zip(docs, self.features_batch(docs), strict=True):
            options = []
            for j, oid in enumerate(self.option_ids):
                score = self.head.score(oid, feats[j])
                if score < self.head.threshold[oid]:
                    continue
                per_sent = margins[:, j] + 0.15 * np.minimum(cues[:, j], 2)
                order = [i for i in np.argsort(-per_sent) if per_sent[i] > 0][:MAX_EVIDENCE] or [int(np.argmax(per_sent))]
                ev = tuple(Evidence(sents[i], round(float(per_sent[i]), 4)) for i in order)
                options.append((OptionTag(oid, round(score, 4), ev), order))
            total: Counter[str] = Counter()
            for c in actors:
                total.update(c)
            mentions = tuple(
                ActorMention(
                    a, n, tuple(o.option_id for o, order in options if any(a in actors[i] for i in order))
                )
                for a, n in sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))
            )
            results.append(
                TagResult(d.id, lang, tuple(o for o, _ in options), mentions, self.version, self.taxonomy.version)
            )
        return results
