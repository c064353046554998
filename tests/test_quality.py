"""Quality gate on the real tagger (real encoder, real taxonomy, shipped head): floors pinned in the repo."""

from __future__ import annotations

import pytest

from extractors.evaluate import Labelled, Report, evaluate, load_labelled
from extractors.sentences import key
from extractors.tagger import Doc
from flows.tagging import build_tagger
from models.settings import Settings
from tests.conftest import ROOT, shared
from tests.quality import floors, sample_items

pytestmark = pytest.mark.slow
FLOORS = floors(ROOT / "tests" / "quality_floors.toml")


def _score(items: list[Labelled]) -> Report:
    s = Settings()
    return evaluate(build_tagger(s.taxonomy, s.encoder), items)


def _check(rep: Report, floor: dict[str, float]) -> None:
    per_option = {o: round(m.f1, 3) for o, m in rep.per_option.items()}
    summary = (f"macro-F1 {rep.macro_f1:.3f}, non-English {rep.non_english_macro_f1:.3f}, per option {per_option}, "
               f"actors {rep.actors.f1:.3f}; per language { {k: round(v[1], 2) for k, v in rep.per_lang.items()} }")
    assert rep.macro_f1 >= floor["macro_f1"], summary
    assert rep.non_english_macro_f1 >= floor["non_english_macro_f1"], summary
    assert min(per_option.values()) >= floor["min_option_f1"], summary
    assert rep.actors.f1 >= floor["actors_micro_f1"], summary


def test_quality_on_the_projects_own_samples() -> None:
    _check(_score(sample_items()), FLOORS["samples"])


def test_quality_on_shared_dev() -> None:
    _check(_score(load_labelled(shared("eval", "dev.jsonl"))), FLOORS["dev"])


def test_every_option_tag_has_one_to_three_evidence_sentences() -> None:
    items = sample_items()
    s = Settings()
    results = build_tagger(s.taxonomy, s.encoder).tag_batch([it.doc for it in items])
    tags = [o for r in results for o in r.options]
    assert tags
    for it, r in zip(items, results, strict=True):
        for o in r.options:
            assert 1 <= len(o.evidence) <= 3
            assert all(e.sentence in f"{it.doc.title}\n{it.doc.text}" for e in o.evidence)
            assert len({key(e.sentence) for e in o.evidence}) == len(o.evidence), o.evidence  # no sentence twice


def test_evidence_keeps_the_sentence_the_labels_mark() -> None:
    """Where sample labels mark the sentences that show each option on their own (`evidence`: the best one, then
    any other a reader accepts first), the tagger's first evidence sentence is a marked one for at least 95 % of
    the correct tags, and one of its 1-3 is for at least 97 % (measured 139/142 and 140/142; the issue's target
    for the first is 97 %)."""
    items = sample_items()
    if not any(it.evidence for it in items):
        pytest.skip("the bundled sample labels carry no `evidence` yet")
    rep = _score(items)
    assert rep.evidence_checked and rep.evidence_any / rep.evidence_checked >= 0.97, rep.evidence_misses[:5]
    assert rep.evidence_first / rep.evidence_checked >= 0.95, rep.evidence_misses[:5]


def test_the_topic_gate_costs_no_correct_tag() -> None:
    """The gate (no cues or embeddings for an article that names no topic actor and no topic term) is what
    makes the general stream cheap. On the labelled samples and dev, every option tag it takes away is a false
    one: a story about Ukrainian ports passes it by its words, a US–Japan treaty story does not."""
    import dataclasses

    from extractors.tagger import Tagger

    s = Settings()
    gated = build_tagger(s.taxonomy, s.encoder)
    open_ = Tagger(dataclasses.replace(gated.taxonomy, topic_actors=frozenset()), gated.encoder, gated.head,
                   gated.stance, gated.evidence)
    items = sample_items()
    if (ROOT.parent / "shared" / "eval" / "dev.jsonl").exists():  # skipped where ../shared is absent
        items += load_labelled(ROOT.parent / "shared" / "eval" / "dev.jsonl")
    with_gate, without = gated.tag_batch([it.doc for it in items]), open_.tag_batch([it.doc for it in items])
    lost = []
    for it, a, b in zip(items, with_gate, without, strict=True):
        kept = {o.option_id for o in a.options}
        lost += [(it.doc.id, o.option_id) for o in b.options if o.option_id not in kept and o.option_id in it.options]
    assert lost == []
    assert gated.on_topic([], "Turkish minesweepers would escort grain ships to Ukrainian ports after a ceasefire.")
    assert not gated.on_topic([], "Tokyo and Washington said their 1960 security treaty covers the Senkaku islands.")


def test_a_head_fitted_on_the_samples_alone_tags_unseen_real_articles() -> None:
    """`fit-head`'s fitting, run on the project's own samples and sentences only: the head it fits tags the
    real dev articles (other outlets, ten languages, never seen) about as well as the shipped one (measured
    0.90 macro-F1, 0.89 non-English). Thresholds come from out-of-fold scores, inside the searched range."""
    from extractors.encoders import CachingEncoder
    from extractors.evaluate import fit_head, load_sentences
    from extractors.tagger import Tagger

    dev = load_labelled(shared("eval", "dev.jsonl"))
    s = Settings()
    shipped = build_tagger(s.taxonomy, s.encoder)
    fresh = Tagger(shipped.taxonomy, CachingEncoder(shipped.encoder), None, shipped.stance, shipped.evidence)
    own = load_sentences(s.taxonomy.parent / "option_sentences.jsonl")
    head = fit_head(fresh, sample_items(), "samples", sentences=own)
    assert all(0.5 <= t < 0.9 for t in head.threshold.values()), head.threshold
    rep = evaluate(fresh.with_head(head), dev)
    assert rep.macro_f1 >= 0.85 and rep.non_english_macro_f1 >= 0.83, (rep.macro_f1, rep.non_english_macro_f1)


def test_articles_in_languages_without_training_articles_get_their_option() -> None:
    """Swedish, Norwegian, Finnish, Estonian, Lithuanian, Latvian, Greek, Portuguese, Georgian, Slovenian, Chinese,
    Japanese, Korean, Catalan, Indonesian and others have no labelled training article, and most no encoder
    coverage: their cues and actor aliases (taxonomy data) carry them; Chinese and Japanese names are matched
    without spaces. One short article per language and option, written by the project, gets exactly its
    option, in the language it is written in; a football result and a strike on Kharkiv get none."""
    import json

    rows = [json.loads(line) for line in (ROOT / "tests" / "data" / "unseen_languages.jsonl").open(encoding="utf-8")]
    s = Settings()
    results = build_tagger(s.taxonomy, s.encoder).tag_batch(
        [Doc(r["id"], r["title"], r["text"]) for r in rows])  # no language hint: detection must find it
    got = {r.doc_id: ({o.option_id for o in r.options}, r.lang) for r in results}
    want = {r["id"]: (set(r["options"]), r["lang"]) for r in rows}
    assert got == want


def test_a_second_option_in_its_own_words_is_tagged_beside_the_first() -> None:
    """The held-out misses were mostly an article's second option, told in other words than the textbook ones.
    Articles written by the project in 13 languages (tests/data/second_options.jsonl): a reassurance force
    backed by US air defence or intelligence, a drone wall or a shield against drones, a Black Sea role inside a
    troops story, a treaty ratified by the parliaments beside an Article 5-like pledge, each gets exactly its
    options; a Gaza force, a strike on Kharkiv and a US-Japan drill get none."""
    import json

    rows = [json.loads(line) for line in (ROOT / "tests" / "data" / "second_options.jsonl").open(encoding="utf-8")]
    s = Settings()
    results = build_tagger(s.taxonomy, s.encoder).tag_batch([Doc(r["id"], r["title"], r["text"]) for r in rows])
    got = {r.doc_id: sorted(o.option_id for o in r.options) for r in results}
    assert got == {r["id"]: sorted(r["options"]) for r in rows}
