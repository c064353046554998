"""The bundled sample feeds and their labels (models/data/samples/): what the demo and the report rely on.

Reads every feed file in the folder, whoever wrote it, so feeds added later are held to the same facts:
a label line per item, evidence and stance sentences copied exactly from the item, 12 consecutive ISO weeks,
the Euro Desk gap in 2026-W44, the `article5_guarantee` spike in 2026-W46 and the one dead feed.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from extractors.evaluate import evidence_labels
from extractors.feeds import parse_feed
from extractors.fetch import fetch
from models.domain import Article
from models.settings import DEFAULT_TAXONOMY, SAMPLE_SOURCES
from models.sources import load_sources
from models.taxonomy import load_taxonomy
from tests.quality import sample_labels

FOLDER = SAMPLE_SOURCES.parent
DEAD_FEED = "Black Sea Monitor (sample)"
GAP_FEED, GAP_WEEK = "Euro Desk (sample)", "2026-W44"
SPIKE_OPTION, SPIKE_WEEK = "article5_guarantee", "2026-W46"
SPIKE_ACTORS = {"rubio", "macron", "zelensky", "rutte", "merz"}
FIRST_DAY, LAST_DAY = date(2026, 9, 7), date(2026, 11, 29)  # Monday of 2026-W37, Sunday of 2026-W48
MORE_LANGS = {"de", "fr", "pl", "tr"}  # the second set of sample feeds
DESIGN_ACTORS = set(  # ../shared/DESIGN.md section 3: each appears in some sample item
    "ukraine russia usa uk france germany poland italy turkey japan south_korea canada romania bulgaria finland "
    "estonia latvia lithuania netherlands denmark norway sweden spain belgium hungary slovakia australia china "
    "belarus israel nato eu un coalition_of_the_willing putin trump zelensky starmer macron merz witkoff rubio "
    "radakin rutte von_der_leyen kellogg vance hegseth lavrov peskov meloni tusk erdogan umerov yermak sybiha "
    "costa kallas".split())


def _week(a: Article) -> str:
    y, w, _ = a.published_at.isocalendar()
    return f"{y}-W{w:02d}"


@pytest.fixture(scope="module")
def feeds() -> dict[str, list[Article]]:
    """Every feed file in the samples folder, parsed as the ingest flow parses it, by source name."""
    sources = {s.url: s for s in load_sources(SAMPLE_SOURCES)}
    files = sorted(p for p in FOLDER.iterdir() if p.suffix in (".xml", ".atom", ".rss"))
    unlisted = [p.name for p in files if p.resolve().as_uri() not in sources]
    assert not unlisted, f"feed files not listed in {SAMPLE_SOURCES.name}: {unlisted}"
    out = {}
    for s in sources.values():
        parsed = parse_feed(fetch(s, user_agent="t", timeout_s=5, max_bytes=10_000_000))
        assert not parsed.rejections, (s.name, parsed.rejections)
        out[s.name] = list(parsed.articles)
    return out


@pytest.fixture(scope="module")
def labels() -> dict[str, dict[str, Any]]:
    return sample_labels()


def _items(feeds: dict[str, list[Article]]) -> list[Article]:
    return [a for arts in feeds.values() for a in arts]


def test_every_item_has_exactly_one_label_line(feeds: dict[str, list[Article]], labels: dict[str, Any]) -> None:
    urls = [a.url for a in _items(feeds)]
    lines = (FOLDER / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(urls) == len(set(urls)) == len(lines) == len(labels)
    assert set(urls) == set(labels)
    assert all(u.split("/")[2].endswith(".example") for u in urls), "sample outlets are fictional (*.example)"


def test_labels_use_taxonomy_ids_and_every_actor_appears(labels: dict[str, Any]) -> None:
    t = load_taxonomy(DEFAULT_TAXONOMY)
    actors, options = {a.id for a in t.actors}, set(t.option_ids)
    for url, r in labels.items():
        assert set(r["options"]) <= options and set(r["actors"]) <= actors, url
        assert len(set(r["actors"])) == len(r["actors"]), url
    named = {a for r in labels.values() for a in r["actors"]}
    assert DESIGN_ACTORS <= actors and not DESIGN_ACTORS - named, f"never named: {sorted(DESIGN_ACTORS - named)}"


def test_evidence_and_stance_sentences_are_copied_exactly(feeds: dict[str, list[Article]],
                                                          labels: dict[str, Any]) -> None:
    for a in _items(feeds):
        r, text = labels[a.url], f"{a.title}\n{a.text}"
        assert set(r["evidence"]) == set(r["options"]), f"{a.url}: evidence for every labelled option"
        for option, sentences in evidence_labels(r["evidence"]).items():
            assert sentences and len(set(sentences)) == len(sentences), f"{a.url}: {option} evidence listed twice"
            for sentence in sentences:
                assert sentence and sentence in text, f"{a.url}: {option} evidence is not in the item: {sentence!r}"
        triples = [(s["actor"], s["option"]) for s in r["stances"]]
        assert len(triples) == len(set(triples)), f"{a.url}: one stance per actor and option"
        for s in r["stances"]:
            assert s["stance"] in ("support", "oppose"), a.url
            assert s["actor"] in r["actors"] and s["option"] in r["options"], (a.url, s)
            assert s["evidence"] and s["evidence"] in text, f"{a.url}: stance evidence is not in the item: {s}"


def test_twelve_consecutive_iso_weeks_and_nothing_later(feeds: dict[str, list[Article]]) -> None:
    items = _items(feeds)
    assert not [a.url for a in items if a.date_missing]
    days = [a.published_at.date() for a in items]
    assert min(days) == FIRST_DAY and max(days) <= LAST_DAY
    weeks = Counter(_week(a) for a in items)
    assert sorted(weeks) == [f"2026-W{w}" for w in range(37, 49)]
    assert min(weeks.values()) >= 10, weeks


def test_euro_desk_is_silent_only_in_w44(feeds: dict[str, list[Article]]) -> None:
    weeks = Counter(_week(a) for a in feeds[GAP_FEED])
    assert GAP_WEEK not in weeks
    assert len(weeks) == 11, f"{GAP_FEED} publishes every other week: {sorted(weeks)}"


def test_article5_spike_in_w46_is_driven_by_named_actors(feeds: dict[str, list[Article]],
                                                         labels: dict[str, Any]) -> None:
    items = _items(feeds)
    per_week = Counter(_week(a) for a in items if SPIKE_OPTION in labels[a.url]["options"])
    others = [per_week[f"2026-W{w}"] for w in range(37, 49) if f"2026-W{w}" != SPIKE_WEEK]
    assert per_week[SPIKE_WEEK] >= 2.5 * statistics.median(others), per_week
    spike = [a for a in items if _week(a) == SPIKE_WEEK and SPIKE_OPTION in labels[a.url]["options"]]
    outlets = {a.source_url for a in spike}
    assert len(outlets) >= 3, "the spike is spread over several outlets, not one feed's artefact"
    backers = {s["actor"] for a in spike for s in labels[a.url]["stances"] if s["option"] == SPIKE_OPTION}
    assert SPIKE_ACTORS <= backers, f"the spike's named drivers take a position: {sorted(SPIKE_ACTORS - backers)}"


def test_languages_share_without_option_and_size(feeds: dict[str, list[Article]], labels: dict[str, Any]) -> None:
    langs = Counter(r["lang"] for r in labels.values())
    assert {"en", "uk", "ru"} <= set(langs) and min(langs["uk"], langs["ru"]) >= 30, langs
    no_option = sum(1 for r in labels.values() if not r["options"])
    assert no_option >= 0.35 * len(labels), f"{no_option} of {len(labels)} items have no option"
    assert all(sum(1 for r in labels.values() if o in r["options"]) >= 15
               for o in ("troops_training", "air_sea_shield", "article5_guarantee", "bilateral_alliance"))
    if MORE_LANGS & set(langs):  # the de/fr/pl/tr feeds are in: the whole contract holds
        assert len(MORE_LANGS & set(langs)) >= 3 and len(labels) >= 220, langs
    else:  # only the en/uk/ru part
        assert len(labels) >= 140, langs


def test_the_dead_sample_feed_is_an_error_page(feeds: dict[str, list[Article]]) -> None:
    (dead,) = [s for s in load_sources(SAMPLE_SOURCES) if s.name == DEAD_FEED]
    parsed = parse_feed(fetch(dead, user_agent="t", timeout_s=5, max_bytes=1_000_000))
    assert feeds[DEAD_FEED] == [] and parsed.warning and "not a readable feed" in parsed.warning
    assert b"503 Service Unavailable" in Path(dead.url[len("file://"):]).read_bytes()
