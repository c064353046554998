"""Stance quality gate on ../shared/eval/dev_stance.jsonl with the real tagger and the shipped stance head."""

from __future__ import annotations

import pytest

from extractors.stance_eval import evaluate_stances, load_pairs
from flows.tagging import build_tagger
from models.settings import Settings
from tests.conftest import ROOT, shared
from tests.quality import floors

pytestmark = pytest.mark.slow
FLOOR = floors(ROOT / "tests" / "quality_floors.toml")["stance"]


def test_stance_quality_on_shared_dev() -> None:
    s = Settings()
    pairs = load_pairs(shared("eval", "dev.jsonl"), shared("eval", "dev_stance.jsonl"))
    rep, _ = evaluate_stances(build_tagger(s.taxonomy, s.encoder), pairs)
    summary = (f"position P {rep.position.p:.3f} R {rep.position.r:.3f} F1 {rep.position.f1:.3f}, polarity "
               f"{rep.polarity_accuracy:.3f}, triple F1 {rep.triple.f1:.3f}; per language "
               f"{ {k: round(v[2].f1, 2) for k, v in rep.per_lang.items()} }")
    assert rep.position.f1 >= FLOOR["position_f1"], summary
    assert rep.triple.f1 >= FLOOR["triple_f1"], summary
    assert rep.polarity_accuracy >= FLOOR["polarity_accuracy"], summary
