"""Stance evaluation on labelled `*_stance.jsonl` files (../shared/eval/STANCE.md), and fitting the stance head.

Scores: position P/R/F1 on (actor, option) pairs; polarity accuracy on the matched positions; triple P/R/F1 on
(actor, option, stance); the same per language; the worst articles with their sentences.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from extractors.evaluate import PRF, Labelled, load_labelled
from extractors.stance import Instance, StanceFinder, StanceHead, decide
from extractors.tagger import Doc, Signals, Tagger
from models.domain import Stance, TagResult
from models.errors import InputError

Triple = tuple[str, str, str]


@dataclass(frozen=True)
class GoldStance:
    actor: str
    option: str
    stance: str
    evidence: str


def load_stances(path: Path) -> dict[str, tuple[GoldStance, ...]]:
    """id -> labelled positions. Each line: {"id", "stances": [{"actor", "option", "stance", "evidence"}]}."""
    out: dict[str, tuple[GoldStance, ...]] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            o = json.loads(line)
            rows = tuple(GoldStance(s["actor"], s["option"], s["stance"], s.get("evidence", "")) for s in o["stances"])
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise InputError(f"{path} line {n}: expected {{\"id\", \"stances\": [{{actor, option, stance, "
                             f"evidence}}]}} ({e})") from e
        bad = [s.stance for s in rows if s.stance not in ("support", "oppose")]
        if bad:
            raise InputError(f"{path} line {n}: stance must be support or oppose, not {bad[0]!r}")
        out[str(o["id"])] = rows
    return out


def merge(items: list[Labelled], stances: dict[str, tuple[GoldStance, ...]]) -> list[tuple[Labelled, tuple[GoldStance, ...]]]:
    """The labelled articles that have a stance line, in file order. An id without its article is an error."""
    ids = {it.doc.id for it in items}
    missing = sorted(set(stances) - ids)
    if missing:
        raise InputError(f"stance file names articles that are not in the labelled file: {missing[:5]}; "
                         "pass the matching pair (e.g. dev.jsonl with dev_stance.jsonl)")
    return [(it, stances[it.doc.id]) for it in items if it.doc.id in stances]


@dataclass
class StanceReport:
    n: int
    position: PRF
    triple: PRF
    polarity_correct: int
    polarity_matched: int
    per_lang: dict[str, tuple[int, PRF, PRF, float]]  # lang -> (articles, position, triple, polarity accuracy)
    errors: list[dict] = field(default_factory=list)

    @property
    def polarity_accuracy(self) -> float:
        return self.polarity_correct / self.polarity_matched if self.polarity_matched else 0.0


def _triples(rows: tuple[GoldStance, ...] | tuple[Stance, ...]) -> set[Triple]:
    return {(s.actor, s.option, s.stance) if isinstance(s, GoldStance) else (s.actor_id, s.option_id, s.stance)
            for s in rows}


def _add(prf: PRF, gold: set[Any], pred: set[Any]) -> None:
    prf.tp += len(gold & pred)
    prf.fp += len(pred - gold)
    prf.fn += len(gold - pred)


def score_stances(pairs: list[tuple[Labelled, tuple[GoldStance, ...]]], predicted: list[tuple[Stance, ...]]) -> StanceReport:
    position, triple = PRF(), PRF()
    correct = matched = 0
    by_lang: dict[str, list[int]] = defaultdict(list)
    errors = []
    for k, ((it, gold), pred) in enumerate(zip(pairs, predicted, strict=True)):
        g, p = _triples(gold), _triples(pred)
        gpos, ppos = {t[:2] for t in g}, {t[:2] for t in p}
        _add(position, gpos, ppos)
        _add(triple, g, p)
        both = gpos & ppos
        matched += len(both)
        correct += len({t for t in g if t[:2] in both} & p)
        by_lang[it.doc.lang or "?"].append(k)
        if g != p:
            ev = {(s.actor_id, s.option_id, s.stance): s.evidence for s in pred}
            gev = {(s.actor, s.option, s.stance): s.evidence for s in gold}
            errors.append({
                "id": it.doc.id, "lang": it.doc.lang, "title": it.doc.title[:90],
                "missed": [(*t, gev[t][:200]) for t in sorted(g - p)],
                "extra": [(*t, ev[t][:200]) for t in sorted(p - g)],
            })
    per_lang = {}
    for lang, idx in sorted(by_lang.items()):
        sub = score_stances([pairs[i] for i in idx], [predicted[i] for i in idx]) if len(idx) < len(pairs) else None
        if sub is None:
            per_lang[lang] = (len(idx), position, triple, correct / matched if matched else 0.0)
        else:
            per_lang[lang] = (len(idx), sub.position, sub.triple, sub.polarity_accuracy)
    return StanceReport(len(pairs), position, triple, correct, matched, per_lang,
                        sorted(errors, key=lambda e: -(len(e["missed"]) + len(e["extra"]))))


def evaluate_stances(tagger: Tagger, pairs: list[tuple[Labelled, tuple[GoldStance, ...]]]) -> tuple[StanceReport, list[TagResult]]:
    results = tagger.tag_batch([Doc(it.doc.id, it.doc.title, it.doc.text) for it, _ in pairs])
    return score_stances(pairs, [r.stances for r in results]), results


# ------------------------------------------------------------------ fitting
_TOKEN = re.compile(r"\w+")


def _overlaps(sentence: str, evidence: str) -> bool:
    """Whether a sentence is (part of) the labelled evidence: containment either way, or most words shared."""
    if not evidence:
        return False
    if evidence in sentence or sentence in evidence:
        return True
    a, b = set(_TOKEN.findall(sentence.lower())), set(_TOKEN.findall(evidence.lower()))
    return bool(a and b) and len(a & b) / min(len(a), len(b)) >= 0.7


@dataclass
class Collected:
    """Per article: its sentences and candidate instances (signals computed once, for fitting and ablation)."""

    sentences: list[str]
    instances: list[Instance]


def collect(tagger: Tagger, finder: StanceFinder, docs: list[Doc], signals: list[Signals] | None = None) -> list[Collected]:
    """Candidate instances per article; pass `signals` (Tagger.signals of the same docs) to skip encoding."""
    out = []
    for d, sig in zip(docs, signals if signals is not None else tagger.signals(docs), strict=True):
        scores = [tagger.head.score(o, sig.features[j]) for j, o in enumerate(tagger.option_ids)]
        tagged = [s >= tagger.head.threshold[o] for s, o in zip(scores, tagger.option_ids, strict=True)]
        inst = finder.instances(sig.lang, sig.sentences, sig.actors, sig.cues, sig.sprobs, sig.margins, scores,
                                tagged, tagger.gazetteer.find, bool(d.title.strip()),
                                partial(tagger.cues.count, lang=sig.lang))
        out.append(Collected(sig.sentences, inst))
    return out


def _labels(col: Collected, gold: tuple[GoldStance, ...]) -> tuple[list[int], list[int], list[int]]:
    """Per instance: 1 (the labelled position, in its evidence sentence), 0 (not a position), -1 (unknown: a
    labelled pair in another sentence); and, for positives, 1 when the labelled stance is oppose."""
    by_pair = {(g.actor, g.option): g for g in gold}
    y, yo, keep = [], [], []
    for s in col.instances:
        g = by_pair.get((s.actor_id, s.option_id))
        if g is None:
            y.append(0)
        elif _overlaps(col.sentences[s.sentence], g.evidence):
            y.append(1)
        else:
            y.append(-1)
        yo.append(int(g is not None and g.stance == "oppose"))
        keep.append(int(g is not None))
    return y, yo, keep


def fit_stance_head(collected: list[Collected], gold: list[tuple[GoldStance, ...]], version: str,
                    cs: tuple[float, ...] = (0.3, 1.0, 3.0, 10.0)) -> StanceHead:
    """Logistic layers for "is a position" (over FEATURES) and "is oppose" (over POLARITY). The regularisation
    strength and the threshold maximise triple F1 on 5-fold out-of-fold decisions, folds grouped by article."""
    folds = np.arange(len(collected)) % 5
    best = (-1.0, 1.0, 0.5)  # (F1, C, threshold)
    for c in cs:
        heads = [_fit([collected[i] for i in np.flatnonzero(folds != f)], [gold[i] for i in np.flatnonzero(folds != f)],
                      version, c) for f in range(5)]
        for t in np.arange(0.3, 0.95, 0.025):
            prf = PRF()
            for f, head in enumerate(heads):
                for i in np.flatnonzero(folds == f):
                    _add(prf, _triples(gold[i]), _triples(_decide(head, float(t), collected[i])))
            if prf.f1 > best[0]:
                best = (prf.f1, c, float(t))
    return replace(_fit(collected, gold, version, best[1]), threshold=round(best[2], 3))


def _fit(cols: list[Collected], golds: list[tuple[GoldStance, ...]], version: str, c: float) -> StanceHead:
    from sklearn.linear_model import LogisticRegression

    xs, ys, pxs, pys = [], [], [], []
    for col, g in zip(cols, golds, strict=True):
        y, yo, keep = _labels(col, g)
        for s, a, b, k in zip(col.instances, y, yo, keep, strict=True):
            if a >= 0:
                xs.append(s.x)
                ys.append(a)
            if k:
                pxs.append(s.px)
                pys.append(b)
    m = LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(np.stack(xs), ys)
    pm = LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(np.stack(pxs), pys)
    return StanceHead(tuple(round(float(w), 5) for w in m.coef_[0]), round(float(m.intercept_[0]), 5), 0.5,
                      tuple(round(float(w), 5) for w in pm.coef_[0]), round(float(pm.intercept_[0]), 5), version)


def _decide(head: StanceHead, threshold: float, col: Collected) -> tuple[Stance, ...]:
    return decide(replace(head, threshold=threshold), col.sentences, col.instances)


def decide_all(head: StanceHead, collected: list[Collected]) -> list[tuple[Stance, ...]]:
    return [decide(head, c.sentences, c.instances) for c in collected]


def load_pairs(labelled: Path, stances: Path | None = None) -> list[tuple[Labelled, tuple[GoldStance, ...]]]:
    """Labelled articles with their positions, from two files (dev.jsonl and dev_stance.jsonl) or from one that
    carries both (the project's own examples, models/data/stance_sentences.jsonl)."""
    return merge(load_labelled(labelled), load_stances(stances or labelled))


# ------------------------------------------------------------------ evidence ranking
def evidence_cases(tagger: Tagger, pairs: list[tuple[Labelled, tuple[GoldStance, ...]]]) -> list[tuple[np.ndarray, set[int]]]:
    """Training cases for the evidence ranker: per labelled option of an article, the features of its sentences
    and the ones a labelled position on that option quotes (a stance's evidence shows its option)."""
    from extractors.evidence import features

    docs = [Doc(it.doc.id, it.doc.title, it.doc.text) for it, _ in pairs]
    out = []
    for (it, gold), sig in zip(pairs, tagger.signals(docs), strict=True):
        quoted: dict[str, list[str]] = defaultdict(list)
        for g in gold:
            if g.option in it.options and g.evidence:
                quoted[g.option].append(g.evidence)
        for option, evidence in quoted.items():
            shows = {i for i, s in enumerate(sig.sentences) if any(_overlaps(s, e) for e in evidence)}
            if shows:
                j = tagger.option_ids.index(option)
                out.append((features(sig.sentences, sig.sprobs, sig.margins, sig.cues, sig.actors, j), shows))
    return out
