"""The tagger: language → sentences → actors and option evidence → an article-level decision per option.

Per sentence, three signals: cue patterns, the prototype margin and a sentence head (a logistic layer over the
sentence embedding). Per article, a small logistic head over their maxima decides each option, with a
threshold fitted on labelled data. Cues and embeddings are the expensive part, so an article that names none of the taxonomy's
topic actors is not matched or encoded at all; its actors are still counted.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from extractors.actors import Gazetteer
from extractors.encoders import Encoder
from extractors.evidence import EvidenceRanker, load_ranker, pick
from extractors.evidence import features as evidence_features
from extractors.language import detect
from extractors.options import CueMatcher, PrototypeScorer, sentence_probs
from extractors.sentences import split_sentences
from extractors.stance import StanceFinder, load_finder
from models.domain import ActorMention, Evidence, OptionTag, TagResult, weights_digest
from models.errors import ConfigError
from models.settings import DATA
from models.stances import load_stance_cues
from models.taxonomy import Taxonomy

LOGGER = logging.getLogger(__name__)
TAGGER_NAME = "pw-tagger-v2"
FEATURES = ("cue_log", "title_cue", "max_margin", "top2_margin", "max_sprob", "top2_sprob", "n_relevant_log",
            "max_window_sprob", "max_window_margin")
WINDOW = 2  # sentences per window: a short passage can show an option that no single sentence shows alone


@dataclass(frozen=True)
class Doc:
    id: str
    title: str
    text: str
    lang: str | None = None


@dataclass(frozen=True)
class Head:
    """Learned weights: a sentence head over embeddings, and per-option article weights over FEATURES."""

    weights: dict[str, list[float]]
    bias: dict[str, float]
    threshold: dict[str, float]
    version: str
    sentence_weights: dict[str, list[float]] | None = None
    sentence_bias: dict[str, float] | None = None

    @classmethod
    def load(cls, path: Path) -> Head:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if tuple(raw["features"]) != FEATURES:
            raise ConfigError(f"{path} was fitted on other features; refit it with `pledgewatch fit-head`", path=path)
        return cls(raw["weights"], raw["bias"], raw["threshold"], raw["version"],
                   raw.get("sentence_weights"), raw.get("sentence_bias"))

    def save(self, path: Path) -> None:
        path.write_text(
            json.dumps(
                {"version": self.version, "features": FEATURES, "weights": self.weights, "bias": self.bias,
                 "threshold": self.threshold, "sentence_weights": self.sentence_weights,
                 "sentence_bias": self.sentence_bias},
                indent=None,
            ),
            encoding="utf-8",
        )

    @property
    def digest(self) -> str:
        return weights_digest(self.weights, self.bias, self.threshold, self.sentence_weights, self.sentence_bias)

    def score(self, option_id: str, x: np.ndarray) -> float:
        z = float(np.dot(self.weights[option_id], x) + self.bias[option_id])
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def default_head(option_ids: tuple[str, ...]) -> Head:
    """Hand-set weights for a taxonomy nobody has fitted yet: a cue decides, a strong margin can decide alone."""
    w = [3.0, 1.0, 25.0, 10.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    return Head({o: w for o in option_ids}, {o: -3.5 for o in option_ids}, {o: 0.5 for o in option_ids}, "h0")


@dataclass(frozen=True)
class Signals:
    """What the tagger saw in one document; rows = sentences, columns = options."""

    lang: str
    sentences: list[str]
    actors: list[Counter[str]]
    cues: np.ndarray
    margins: np.ndarray
    sprobs: np.ndarray
    features: np.ndarray  # rows = options, columns = FEATURES


def _top(col: np.ndarray) -> tuple[float, float]:
    if not len(col):
        return 0.0, 0.0
    s = np.sort(col)[::-1]
    return float(s[0]), float(s[:2].mean())


def article_features(cues: np.ndarray, margins: np.ndarray, sprobs: np.ndarray, title_cues: np.ndarray,
                     relevant: list[int], wmargins: np.ndarray, wsprobs: np.ndarray) -> np.ndarray:
    rows = []
    for j in range(cues.shape[1]):
        m1, m2 = _top(margins[relevant, j])
        p1, p2 = _top(sprobs[relevant, j])
        w1, _ = _top(wsprobs[:, j])
        wm, _ = _top(wmargins[:, j])
        rows.append([math.log1p(int(cues[:, j].sum())), float(title_cues[j] > 0), m1, m2, p1, p2,
                     math.log1p(len(relevant)), w1, wm])
    return np.asarray(rows, dtype=np.float32)


def windows(vecs: np.ndarray, size: int = WINDOW) -> np.ndarray:
    """Mean embedding of each run of `size` consecutive sentences, re-normalised (one row if fewer)."""
    if len(vecs) < 2:
        return vecs
    n = min(size, len(vecs))
    w = np.sum([vecs[k:len(vecs) - n + 1 + k] for k in range(n)], axis=0)  # sums: the norm makes them means
    return (w / np.maximum(np.linalg.norm(w, axis=1, keepdims=True), 1e-9)).astype(np.float32)


class Tagger:
    def __init__(self, taxonomy: Taxonomy, encoder: Encoder, head: Head | None = None,
                 stance: StanceFinder | None = None, evidence: EvidenceRanker | None = None) -> None:
        self.taxonomy = taxonomy
        self.encoder = encoder
        self.option_ids = taxonomy.option_ids
        self.gazetteer = Gazetteer(taxonomy)
        terms = [t for ts in taxonomy.topic_terms.values() for t in ts]
        self._topic_terms = re.compile("|".join(f"(?:{t})" for t in terms), re.IGNORECASE) if terms else None
        self.cues = CueMatcher(taxonomy)
        self.protos = PrototypeScorer(taxonomy, encoder)
        self._sw: np.ndarray | None = None
        self._sb: np.ndarray | None = None
        self.stance = stance or load_finder(taxonomy, load_stance_cues(), DATA / "heads", encoder.name)
        self.evidence = evidence or load_ranker(DATA / "heads", encoder.name)
        self._set_head(head)

    def with_head(self, head: Head) -> Tagger:
        """The same tagger with another head, sharing the compiled gazetteer, cues and prototype vectors."""
        other = copy.copy(self)
        Tagger._set_head(other, head)
        return other

    def _set_head(self, head: Head | None) -> None:
        self.head = head or default_head(self.option_ids)
        self._sw = self._sb = None
        if self.head.sentence_weights and self.head.sentence_bias:
            self._sw = np.asarray([self.head.sentence_weights[o] for o in self.option_ids], dtype=np.float32)
            self._sb = np.asarray([self.head.sentence_bias[o] for o in self.option_ids], dtype=np.float32)
        self.version = (f"{TAGGER_NAME}+{self.encoder.name}+{self.head.version}-{self.head.digest}"
                        f"+st{self.stance.version}+{self.evidence.version}-{self.evidence.digest}")

    def on_topic(self, actors: list[Counter[str]], text: str = "") -> bool:
        """The topic gate: a topic actor named, or a topic term ("Ukrainian ports") in the text."""
        gate = self.taxonomy.topic_actors
        if not gate or any(gate.intersection(c) for c in actors):
            return True
        return bool(self._topic_terms and self._topic_terms.search(text))

    def _sprobs(self, vecs: np.ndarray) -> np.ndarray:
        if self._sw is None or self._sb is None:
            return np.zeros((len(vecs), len(self.option_ids)), dtype=np.float32)
        return sentence_probs(vecs, self._sw, self._sb)

    def signals(self, docs: list[Doc]) -> list[Signals]:
        prepared = []
        to_embed: list[str] = []
        k = len(self.option_ids)
        for d in docs:
            lang = detect(f"{d.title}\n{d.text}", d.lang)
            sents = split_sentences(d.title, d.text)
            actors = [self.gazetteer.find(s) for s in sents]
            cues = np.zeros((len(sents), k), dtype=np.int32)
            relevant: list[int] = []
            if self.on_topic(actors, f"{d.title}\n{d.text}"):
                cues = np.asarray([self.cues.count(s, lang) for s in sents], dtype=np.int32).reshape(len(sents), k)
                # Option talk often names no one, so every sentence of an on-topic article is encoded.
                relevant = list(range(len(sents)))
            prepared.append((d, lang, sents, actors, cues, relevant, len(to_embed)))
            to_embed.extend(sents[i] for i in relevant)
        vecs = self.encoder.encode(to_embed)
        all_margins, all_sprobs = self.protos.margins(vecs), self._sprobs(vecs)
        out = []
        for d, lang, sents, actors, cues, relevant, offset in prepared:
            margins = np.zeros((len(sents), k), dtype=np.float32)
            sprobs = np.zeros((len(sents), k), dtype=np.float32)
            wmargins = wsprobs = np.zeros((0, k), dtype=np.float32)
            if relevant:
                margins[relevant] = all_margins[offset:offset + len(relevant)]
                sprobs[relevant] = all_sprobs[offset:offset + len(relevant)]
                wvecs = windows(vecs[offset:offset + len(relevant)])
                wmargins, wsprobs = self.protos.margins(wvecs), self._sprobs(wvecs)
            title_cues = cues[0] if d.title.strip() and len(cues) else np.zeros(k)
            feats = article_features(cues, margins, sprobs, title_cues, relevant, wmargins, wsprobs)
            out.append(Signals(lang, sents, actors, cues, margins, sprobs, feats))
        return out

    def tag_batch(self, docs: list[Doc]) -> list[TagResult]:
        results = []
        for d, sig in zip(docs, self.signals(docs), strict=True):
            options = []
            for j, oid in enumerate(self.option_ids):
                score = self.head.score(oid, sig.features[j])
                if score < self.head.threshold[oid]:
                    continue
                picked = pick(self.evidence, sig.sentences,
                              evidence_features(sig.sentences, sig.sprobs, sig.margins, sig.cues, sig.actors, j))
                ev = tuple(Evidence(sig.sentences[i], sc) for i, sc in picked)
                options.append((OptionTag(oid, round(score, 4), ev), [i for i, _ in picked]))
            total: Counter[str] = Counter()
            for c in sig.actors:
                total.update(c)
            mentions = tuple(
                ActorMention(a, n, tuple(o.option_id for o, order in options if any(a in sig.actors[i] for i in order)))
                for a, n in sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))
            )
            scores = [self.head.score(o, sig.features[j]) for j, o in enumerate(self.option_ids)]
            stances = self.stance.find(sig.lang, sig.sentences, sig.actors, sig.cues, sig.sprobs, sig.margins, scores,
                                       [s >= self.head.threshold[o] for s, o in zip(scores, self.option_ids, strict=True)],
                                       self.gazetteer.find, bool(d.title.strip()),
                                       partial(self.cues.count, lang=sig.lang))
            results.append(TagResult(d.id, sig.lang, tuple(o for o, _ in options), mentions, self.version,
                                     self.taxonomy.version, stances))
        return results
