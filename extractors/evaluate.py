"""Evaluation on labelled JSON Lines (the shape of ../shared/eval/*.jsonl), and fitting the option head."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from extractors.tagger import FEATURES, Doc, Head, Tagger
from models.domain import TagResult
from models.errors import InputError


@dataclass(frozen=True)
class Labelled:
    doc: Doc
    options: frozenset[str]
    actors: frozenset[str]


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def p(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def r(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        return 2 * self.p * self.r / (self.p + self.r) if self.p + self.r else 0.0

    def add(self, gold: frozenset[str], pred: frozenset[str]) -> None:
        self.tp += len(gold & pred)
        self.fp += len(pred - gold)
        self.fn += len(gold - pred)


@dataclass
class Report:
    n: int
    per_option: dict[str, PRF]
    macro_f1: float
    per_lang: dict[str, tuple[int, float]]  # lang -> (docs, macro-F1)
    non_english_macro_f1: float
    actors: PRF
    errors: list[dict] = field(default_factory=list)


def load_labelled(path: Path) -> list[Labelled]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            o = json.loads(line)
            out.append(Labelled(Doc(str(o["id"]), o.get("title") or "", o.get("text") or "", o.get("lang")),
                                frozenset(o.get("options", [])), frozenset(o.get("actors", []))))
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise InputError(f"{path} line {n}: expected an object with id, title, text, options, actors ({e})") from e
    return out


def _macro(items: list[Labelled], preds: list[frozenset[str]], option_ids: tuple[str, ...]) -> float:
    """Macro-F1 over the options that occur in gold or predictions of these items."""
    scores = []
    for o in option_ids:
        prf = PRF()
        for it, p in zip(items, preds, strict=True):
            prf.add(frozenset({o}) & it.options, frozenset({o}) & p)
        if prf.tp + prf.fp + prf.fn:
            scores.append(prf.f1)
    return float(np.mean(scores)) if scores else 1.0


def evaluate(tagger: Tagger, items: list[Labelled], use_lang_hint: bool = False) -> Report:
    docs = [it.doc if use_lang_hint else Doc(it.doc.id, it.doc.title, it.doc.text) for it in items]
    results = tagger.tag_batch(docs)
    return score(tagger.option_ids, items, results)


def score(option_ids: tuple[str, ...], items: list[Labelled], results: list[TagResult]) -> Report:
    preds = [frozenset(o.option_id for o in r.options) for r in results]
    per_option = {o: PRF() for o in option_ids}
    actors = PRF()
    errors = []
    for it, r, p in zip(items, results, preds, strict=True):
        for o in option_ids:
            per_option[o].add(frozenset({o}) & it.options, frozenset({o}) & p)
        got = frozenset(a.actor_id for a in r.actors if not a.actor_id.startswith("other:"))
        actors.add(it.actors, got)
        if p != it.options:
            errors.append({
                "id": it.doc.id, "lang": it.doc.lang, "title": it.doc.title[:90],
                "missed": sorted(it.options - p), "extra": sorted(p - it.options),
                "evidence": {o.option_id: o.evidence[0].sentence[:160] for o in r.options if o.option_id in p - it.options},
            })
    langs = sorted({it.doc.lang or "?" for it in items})
    per_lang = {}
    for lang in langs:
        idx = [i for i, it in enumerate(items) if (it.doc.lang or "?") == lang]
        per_lang[lang] = (len(idx), _macro([items[i] for i in idx], [preds[i] for i in idx], option_ids))
    non_en = [i for i, it in enumerate(items) if it.doc.lang != "en"]
    return Report(
        n=len(items),
        per_option=per_option,
        macro_f1=float(np.mean([v.f1 for v in per_option.values()])),
        per_lang=per_lang,
        non_english_macro_f1=_macro([items[i] for i in non_en], [preds[i] for i in non_en], option_ids),
        actors=actors,
        errors=sorted(errors, key=lambda e: -(len(e["missed"]) + len(e["extra"]))),
    )


def fit_head(tagger: Tagger, items: list[Labelled], version: str, c: float = 1.0) -> Head:
    """Fit one logistic regression per option on article-level features; the threshold maximises train F1."""
    from sklearn.linear_model import LogisticRegression

    feats = tagger.features_batch([Doc(it.doc.id, it.doc.title, it.doc.text) for it in items])
    weights, bias, threshold = {}, {}, {}
    for j, o in enumerate(tagger.option_ids):
        x = np.stack([f[5][j] for f in feats])
        y = np.asarray([o in it.options for it in items], dtype=int)
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000).fit(x, y)
        weights[o] = [round(float(w), 5) for w in model.coef_[0]]
        bias[o] = round(float(model.intercept_[0]), 5)
        probs = model.predict_proba(x)[:, 1]
        best = max(np.arange(0.2, 0.85, 0.05), key=lambda t: _f1(y, probs >= t))
        threshold[o] = round(float(best), 3)
    assert len(weights[tagger.option_ids[0]]) == len(FEATURES)
    return Head(weights, bias, threshold, version)


def _f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = int((y & pred).sum())
    fp = int((~y.astype(bool) & pred).sum())
    fn = int((y.astype(bool) & ~pred).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0
