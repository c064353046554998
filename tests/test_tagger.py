"""The tagger's parts on small texts written for the tests: actors, the topic gate, evidence, encoders."""

from __future__ import annotations

import numpy as np
import pytest

from extractors.actors import Gazetteer
from extractors.encoders import Encoder, load_encoder
from extractors.language import detect
from extractors.tagger import Doc
from flows.tagging import build_tagger
from models.settings import Settings
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
    ],
)
def test_inflected_forms_and_metonyms(gazetteer: Gazetteer, sentence: str, expected: dict[str, int]) -> None:
    assert dict(gazetteer.find(sentence)) == expected


def test_a_city_as_venue_or_dateline_is_not_the_state(gazetteer: Gazetteer) -> None:
    assert "france" not in gazetteer.find("Leaders met in Paris on Tuesday.")
    assert "ukraine" not in gazetteer.find("KYIV, Oct 3 (Reuters) - Talks went on.")
    assert gazetteer.find("Paris says it is ready to lead the mission.")["france"] == 1


def test_short_all_caps_aliases_are_case_sensitive(gazetteer: Gazetteer) -> None:
    assert "usa" not in gazetteer.find("Let us talk about the weather.")
    assert gazetteer.find("The US will not send troops.")["usa"] == 1


def test_ukrainian_and_russian_are_told_apart() -> None:
    assert detect("Україна отримає гарантії безпеки від партнерів.") == "uk"
    assert detect("Россия отвергла идею размещения иностранных войск.") == "ru"
    assert detect("Die Bundesregierung lehnt eine Entsendung von Soldaten ab.") == "de"


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
