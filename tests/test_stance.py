"""Stance finding: candidate features from the real gazetteer and option cues (no encoder), the cue file's
validation, the eval's arithmetic, and, with the real tagger, stances in tag results and their evidence."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from extractors.actors import Gazetteer
from extractors.evaluate import Labelled
from extractors.options import CueMatcher
from extractors.stance import FEATURES, POLARITY, Instance, StanceFinder
from extractors.stance_eval import GoldStance, load_pairs, load_stances, score_stances
from extractors.tagger import Doc
from models.domain import Stance
from models.errors import ConfigError, InputError
from models.settings import DATA, DEFAULT_TAXONOMY
from models.stances import load_stance_cues
from models.taxonomy import load_taxonomy

TAX = load_taxonomy(DEFAULT_TAXONOMY)
GAZ = Gazetteer(TAX)
CUES = CueMatcher(TAX)
FINDER = StanceFinder(TAX, load_stance_cues())


def _instances(sentences: list[str], lang: str = "en", finder: StanceFinder = FINDER) -> list[Instance]:
    """Signals as the tagger gives them, with the cue counts real and the embedding signals left at zero."""
    cues = np.asarray([CUES.count(s, lang) for s in sentences], dtype=np.int32)
    zeros = np.zeros(cues.shape, dtype=np.float32)
    k = len(TAX.option_ids)
    return finder.instances(lang, sentences, [GAZ.find(s) for s in sentences], cues, zeros, zeros, [0.9] * k,
                            [True] * k, GAZ.find, True, lambda c: CUES.count(c, lang))


def _f(inst: Instance, name: str) -> float:
    return float(inst.x[FEATURES.index(name)])


def _p(inst: Instance, name: str) -> float:
    return float(inst.px[POLARITY.index(name)])


def _one(inst: list[Instance], actor: str, option: str) -> Instance:
    found = [s for s in inst if s.actor_id == actor and s.option_id == option]
    assert found, f"no candidate {actor} × {option} in {[(s.actor_id, s.option_id) for s in inst]}"
    return found[0]


def test_subject_of_a_speech_verb_and_the_object_of_a_preposition() -> None:
    inst = _instances(["Keir Starmer said Britain is ready to deploy British troops to Ukraine after a ceasefire."])
    starmer = _one(inst, "starmer", "troops_training")
    assert _f(starmer, "subject") == 1 and _f(starmer, "speech") == 1 and _f(starmer, "support") == 1
    assert _f(_one(inst, "ukraine", "troops_training"), "object_only") == 1


def test_a_person_speaking_is_not_also_their_state() -> None:
    inst = _instances(["Italian Prime Minister Giorgia Meloni said Italy would not send soldiers to Ukraine."])
    assert {s.actor_id for s in inst} == {"meloni", "ukraine"}
    kept = StanceFinder(TAX, load_stance_cues(), disabled=frozenset({"person_not_state"}))
    assert "italy" in {s.actor_id for s in _instances(["Italian Prime Minister Giorgia Meloni said Italy would "
                                                       "not send soldiers to Ukraine."], finder=kept)}


def test_each_clause_takes_its_own_polarity() -> None:
    inst = _instances(["Donald Trump ruled out deploying US troops on the ground in Ukraine but said he is willing "
                       "to provide air policing over Ukraine."])
    assert _p(_one(inst, "trump", "troops_training"), "oppose") == 1
    air = _one(inst, "trump", "air_sea_shield")
    assert _p(air, "oppose") == 0 and _p(air, "support") == 1


def test_refusals_in_several_languages_and_a_refusal_that_is_negated() -> None:
    pl = _one(_instances(["Donald Tusk wykluczył wysłanie polskich żołnierzy na Ukrainę."], "pl"), "tusk", "troops_training")
    assert _p(pl, "oppose") == 1
    uk = _one(_instances(["Туск заявив, що Польща не буде відправляти іноземні війська в Україну."], "uk"),
              "tusk", "troops_training")
    assert _p(uk, "oppose") == 1
    opening = _one(_instances(["Szefowa dyplomacji Szwecji nie wykluczyła wysłania szwedzkich wojsk na Ukrainę."], "pl"),
                   "sweden", "troops_training")
    assert _p(opening, "negated_oppose") == 1 and _p(opening, "oppose") == 0


def test_russian_officials_on_foreign_troops() -> None:
    inst = _instances(["Dmitry Peskov said any foreign troops deployed in Ukraine would be legitimate targets."])
    peskov = _one(inst, "peskov", "troops_training")
    assert _p(peskov, "rejecter_troops") == 1 and _p(peskov, "oppose") == 1


def test_the_speaker_of_the_previous_sentence_is_inherited() -> None:
    inst = _instances(["Andrii Sybiha met his US counterpart on Monday.",
                       "He added that a bilateral security treaty with the United States must be ratified by Congress."])
    assert _f(_one(inst, "sybiha", "bilateral_alliance"), "inherited") == 1


def test_no_option_no_candidates() -> None:
    assert _instances(["Zelensky visited the front near Pokrovsk on Tuesday, his office said."]) == []


def test_a_bad_cue_file_names_the_file_and_the_pattern(tmp_path: Path) -> None:
    bad = tmp_path / "stances.toml"
    bad.write_text('version = "x"\n[oppose]\nen = ["(unclosed"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"(?s)stances\.toml.*unclosed"):
        load_stance_cues(bad)


def test_eval_counts_positions_polarity_and_triples() -> None:
    doc = Labelled(Doc("x", "t", "", "en"), frozenset(), frozenset())
    gold = (GoldStance("macron", "troops_training", "support", "e"), GoldStance("putin", "troops_training", "oppose", "e"),
            GoldStance("usa", "air_sea_shield", "oppose", "e"))
    pred = (Stance("macron", "troops_training", "support", 0.9, "e"), Stance("putin", "troops_training", "support", 0.8, "e"),
            Stance("nato", "article5_guarantee", "support", 0.7, "e"))
    rep = score_stances([(doc, gold)], [pred])
    assert (rep.position.tp, rep.position.fp, rep.position.fn) == (2, 1, 1)
    assert rep.polarity_matched == 2 and rep.polarity_accuracy == 0.5
    assert (rep.triple.tp, rep.triple.fp, rep.triple.fn) == (1, 2, 2)
    assert rep.per_lang["en"][0] == 1 and rep.errors[0]["id"] == "x"


def test_stance_files_are_checked(tmp_path: Path) -> None:
    bad = tmp_path / "s.jsonl"
    bad.write_text(json.dumps({"id": "a", "stances": [{"actor": "x", "option": "y", "stance": "maybe"}]}) + "\n",
                   encoding="utf-8")
    with pytest.raises(InputError, match=r"line 1.*support or oppose"):
        load_stances(bad)


def test_own_examples_name_actors_the_gazetteer_finds() -> None:
    own = load_pairs(DATA / "stance_sentences.jsonl")
    assert len(own) >= 30 and len({it.doc.lang for it, _ in own}) >= 6
    for it, gold in own:
        text = f"{it.doc.title}\n{it.doc.text}"
        for g in gold:
            assert g.evidence in text, it.doc.id
            assert g.actor in GAZ.find(g.evidence) or g.actor in GAZ.find(text), (it.doc.id, g.actor)


@pytest.mark.slow
def test_the_tagger_reports_stances_with_their_sentence() -> None:
    from flows.tagging import build_tagger
    from models.settings import Settings

    s = Settings()
    tagger = build_tagger(s.taxonomy, s.encoder)
    docs = [
        Doc("a", "Macron offers French soldiers for Ukraine",
            "Emmanuel Macron said France is ready to deploy French troops to Ukraine as part of a reassurance force "
            "once a ceasefire is signed. Russia's war went on in the east."),
        Doc("b", "Kremlin: Western troops would be targets",
            "Sergei Lavrov said any Western troops sent to Ukraine would be legitimate targets for Russia."),
        Doc("c", "Chelsea win again", "Chelsea beat Leicester 2-0 on Saturday."),
    ]
    a, b, c = tagger.tag_batch(docs)
    assert ("macron", "troops_training", "support") in {(x.actor_id, x.option_id, x.stance) for x in a.stances}
    assert ("lavrov", "troops_training", "oppose") in {(x.actor_id, x.option_id, x.stance) for x in b.stances}
    assert c.stances == ()
    for r, d in ((a, docs[0]), (b, docs[1])):
        for x in r.stances:
            assert x.evidence in f"{d.title}\n{d.text}" and 0 < x.score <= 1


@pytest.mark.parametrize(("row", "oppose"), [("zh1", "lavrov"), ("ja1", "peskov"), ("he1", None), ("ko1", None)])
def test_leaders_offering_troops_and_russia_refusing_them_are_found_in_unspaced_and_new_languages(
        row: str, oppose: str | None) -> None:
    """Own-written articles (tests/data/unseen_languages.jsonl) in Chinese, Japanese, Hebrew and Korean: Starmer
    and Macron offering a force are support, the Russian official warning against it is oppose; the stance head
    never saw these languages, their stance cues and aliases (data) carry them."""
    from flows.tagging import build_tagger
    from models.settings import Settings

    line = next(r for r in map(json.loads, (Path(__file__).parent / "data" / "unseen_languages.jsonl").open(
        encoding="utf-8")) if r["id"] == row)
    s = Settings()
    (result,) = build_tagger(s.taxonomy, s.encoder).tag_batch([Doc(row, line["title"], line["text"])])
    got = {(x.actor_id, x.option_id, x.stance) for x in result.stances}
    assert {("macron", "troops_training", "support"), ("starmer", "troops_training", "support")} <= got
    if oppose:
        assert (oppose, "troops_training", "oppose") in got
    assert all(x.stance == "support" for x in result.stances if x.actor_id in ("macron", "starmer"))


def test_tag_file_lines_carry_stances() -> None:
    from extractors.filetag import result_json
    from models.domain import TagResult

    r = TagResult("a", "en", (), (), "v", "tx", (Stance("macron", "troops_training", "support", 0.83, "…"),))
    assert result_json(r, TAX)["stances"] == [
        {"actor": "macron", "option": "troops_training", "stance": "support", "score": 0.83, "evidence": "…"}]


def test_a_sentence_naming_no_person_inherits_the_speaker() -> None:
    """Pro-drop: the Czech verb carries the speaker; the sentence names only a state, so Zelensky is inherited."""
    sents = ["Volodymyr Zelenskyj jednal v Paříži.", "Vyjádřil naději, že na Ukrajinu brzy dorazí mnohonárodní síly."]
    names = {s.actor_id for s in _instances(sents, "cs") if s.sentence == 1}
    assert "zelensky" in names and _f(_one(_instances(sents, "cs"), "zelensky", "troops_training"), "inherited") == 1
    off = StanceFinder(TAX, load_stance_cues(), disabled=frozenset({"inherit_unnamed"}))
    assert "zelensky" not in {s.actor_id for s in _instances(sents, "cs", finder=off) if s.sentence == 1}


def test_ukraine_asking_is_marked_apart_from_ukraine_as_the_object() -> None:
    asking = _instances(["Ukraine is asking its allies for a guarantee modelled on NATO's Article 5."])
    assert _f(_one(asking, "ukraine", "article5_guarantee"), "ukraine_subject") == 1
    talked_about = _instances(["Britain and France offered Ukraine a guarantee modelled on NATO's Article 5."])
    assert _f(_one(talked_about, "ukraine", "article5_guarantee"), "ukraine_subject") == 0


def test_a_refitted_stance_head_is_a_new_version_and_a_stale_one_says_how_to_refit(tmp_path: Path) -> None:
    """Stored stances are re-computed when the tagger version changes: refitted weights under the same name
    must change it. A head file fitted on other features names itself and the command that refits it."""
    import dataclasses

    from extractors.stance import StanceHead, default_stance_head

    head = default_stance_head()
    moved = dataclasses.replace(head, threshold=head.threshold + 0.05)
    assert StanceFinder(TAX, load_stance_cues(), head).version != StanceFinder(TAX, load_stance_cues(), moved).version
    path = tmp_path / "stance.json"
    head.save(path)
    raw = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(raw | {"features": raw["features"][:-1]}), encoding="utf-8")
    with pytest.raises(ConfigError, match="fit-stance-head") as e:
        StanceHead.load(path)
    assert e.value.path == path


@pytest.mark.parametrize(("sentence", "lang", "actor", "option", "oppose", "neutral"), [
    # German splits the refusing verb around its object.
    ("Merz lehnte einen schnellen NATO-Beitritt der Ukraine ab.", "de", "merz", "article5_guarantee", 1, 0),
    # "non … mai" is one negation (concord), not a negated refusal.
    ("«L'invio di soldati italiani in Ucraina dopo il cessate il fuoco non è mai stato all'ordine del giorno», ha "
     "dichiarato Giorgia Meloni.", "it", "meloni", "troops_training", 1, 0),
    ("Członkostwo Ukrainy w NATO nie wchodzi w grę – powiedział Donald Trump.", "pl", "trump", "article5_guarantee", 1, 0),
    # Turkish negates inside the verb: "dışlamadı" (did not rule out) is an opening.
    ("Macron, ateşkesin ardından Ukrayna'ya asker gönderilmesini dışlamadı.", "tr", "macron", "troops_training", 0, 0),
    # Declining to confirm or comment is no refusal of the option.
    ("Marco Rubio declined to confirm the report about a bilateral defence treaty between the US and Ukraine.", "en",
     "rubio", "bilateral_alliance", 0, 1),
    ("Marco Rubio se negó a confirmar el tratado bilateral de defensa entre Estados Unidos y Ucrania.", "es", "rubio",
     "bilateral_alliance", 0, 1),
])
def test_refusal_cues_read_each_language_s_grammar(sentence: str, lang: str, actor: str, option: str, oppose: int,
                                                    neutral: int) -> None:
    inst = _one(_instances([sentence], lang), actor, option)
    assert (_p(inst, "oppose"), _f(inst, "neutral")) == (oppose, neutral)
