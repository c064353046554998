"""Report findings on small hand-built facts: the spike rule, artefact checks, gaps, normalised shares, narrative."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from models.errors import InputError
from models.report import (
    ActorOptionWeek,
    EvidenceRow,
    OptionWeek,
    ReportData,
    SourceOptionWeek,
    SourceWeek,
    WeekFacts,
    parse_week,
    week_range,
)
from reports.charts import share_chart
from reports.findings import is_partial, is_spike, modified_z, week_report
from reports.render import http_url, md, render_week

OPTIONS = (("article5_guarantee", "Article 5-like guarantee"), ("troops_training", "European troops"))
WEEKS = week_range("2026-W37", "2026-W48")


@dataclass(frozen=True)
class Story:
    week: str
    source: str
    options: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    undated: bool = False


def facts(stories: list[Story], failures: dict[tuple[str, str], int] | None = None,
          fetched_until: datetime | None = None) -> ReportData:
    """Aggregate stories the way the SQL views do (weekly_feed_health, weekly_option_share, ...) into the
    dataclasses storage.reads fills."""
    per_week = Counter(s.week for s in stories)
    opt = Counter((s.week, o) for s in stories for o in s.options)
    src = Counter((s.week, s.source) for s in stories)
    src_opt = Counter((s.week, s.source, o) for s in stories for o in s.options)
    act = Counter((s.week, a, o) for s in stories for o in s.options for a in s.actors)
    failures = failures or {}
    feeds = sorted({s.source for s in stories} | {s for _, s in failures})
    sources = []
    for name in feeds:
        first = min(w for w in WEEKS if src.get((w, name)) or (w, name) in failures)
        for i, w in enumerate(WEEKS):
            if w < first:
                continue
            n = src.get((w, name), 0)
            silent = not n and sum(1 for p in WEEKS[max(0, i - 4):i] if src.get((p, name))) >= 3
            bad = failures.get((w, name), 0)
            sources.append(SourceWeek(w, name, n, bad, bad, n > 0, silent, "HTTP 503" if bad else None))
    undated: dict[str, dict[str, int]] = {}
    for s in stories:
        for o in s.options if s.undated else ():
            undated.setdefault(s.week, {}).setdefault(o, 0)
            undated[s.week][o] += 1
    return ReportData(
        weeks=WEEKS, options=OPTIONS, stories=dict(per_week),
        counts=tuple(OptionWeek(w, o, n) for (w, o), n in opt.items()),
        sources=tuple(sources),
        source_options=tuple(SourceOptionWeek(w, s, o, n) for (w, s, o), n in src_opt.items()),
        actor_options=tuple(ActorOptionWeek(w, a, o, n, n) for (w, a, o), n in act.items()),
        evidence=tuple(
            EvidenceRow(s.week, o, f"{o} sentence {i}", f"title {i}", f"https://{s.source}.example/{i}", s.source, 0.9)
            for i, s in enumerate(stories) for o in s.options
        ),
        facts={w: WeekFacts(w, per_week.get(w, 0), 0, undated.get(w, {}), ("tagger-1",), ("tax-1",)) for w in WEEKS},
        fetched_until=fetched_until or datetime(2026, 12, 1, tzinfo=UTC),
        actor_kinds={"rubio": "person", "macron": "person", "usa": "state", "merz": "person"},
    )


def steady(weeks: tuple[str, ...] = WEEKS, sources: tuple[str, ...] = ("a", "b", "c")) -> list[Story]:
    """Each source: 2 stories a week, one about Article 5 every other week per source, one about troops."""
    out = []
    for i, w in enumerate(weeks):
        for j, s in enumerate(sources):
            out.append(Story(w, s, ("article5_guarantee",) if (i + j) % 2 else ("troops_training",), ("usa",)))
            out.append(Story(w, s))
    return out


def _a5(stories: list[Story], week: str) -> int:
    return sum(1 for s in stories if s.week == week and "article5_guarantee" in s.options)


def test_the_spike_rule_is_a_modified_z_over_the_previous_weeks() -> None:
    baseline = (2, 3, 2, 1, 3, 2, 2, 3)
    assert modified_z(9, baseline) == pytest.approx(0.6745 * 7 / 0.5)
    assert is_spike(9, baseline) and not is_spike(4, baseline)
    assert not is_spike(4, (2,) * 8) and is_spike(5, (2,) * 8)  # a flat baseline: MAD taken as half a story
    assert not is_spike(2, (0,) * 8)  # too few stories to call anything
    assert not is_spike(9, (2, 2, 3))  # too little history


def test_a_spike_is_found_and_explained_by_outlets_actors_and_evidence() -> None:
    stories = steady()
    w46 = "2026-W46"
    stories += [Story(w46, s, ("article5_guarantee",), ("rubio", "macron", "usa")) for s in ("a", "b", "c") * 3]
    r = week_report(facts(stories), "2026-W48")
    [spike] = r.spikes
    assert (spike.week, spike.option_id, spike.articles) == (w46, "article5_guarantee", _a5(steady(), w46) + 9)
    assert {name for name, _ in spike.outlets} == {"a", "b", "c"} and spike.artefacts == ()
    assert [a for a, _ in spike.actors][:3] == ["usa", "macron", "rubio"]
    assert len(spike.evidence) == 3 and len({e.source for e in spike.evidence}) == 3  # one per outlet first
    said = next(x for x in r.narrative if x.text.startswith("Article 5-like guarantee spiked in 2026-W46: "))
    assert said.text.endswith("driven by Macron and Rubio.") and said.links[0].href == f"#{spike.anchor}"
    html = render_week(r, ("html",))["2026-W48.html"]
    assert f'id="{spike.anchor}"' in html and "Artefact checks passed" in html and "modified z" in html


def test_artefact_checks_flag_one_outlet_a_new_source_and_missing_dates() -> None:
    base = steady()
    one_outlet = base + [Story("2026-W46", "a", ("article5_guarantee",), undated=True) for _ in range(9)]
    [s] = week_report(facts(one_outlet), "2026-W46").spikes
    kinds = {a.kind: a.text for a in s.artefacts}
    assert set(kinds) == {"one_outlet", "date_missing"}
    assert "came from one outlet, a" in kinds["one_outlet"] and kinds["date_missing"].startswith("9 of the stories")
    new_source = base + [Story("2026-W46", "fresh", ("article5_guarantee",)) for _ in range(5)]
    new_source += [Story("2026-W46", s, ("article5_guarantee",)) for s in ("a", "b", "c")]
    [s] = week_report(facts(new_source), "2026-W46").spikes
    assert [a.kind for a in s.artefacts] == ["new_source"] and "fresh, new this week" in s.artefacts[0].text
    r = week_report(facts(new_source), "2026-W46")
    assert "Check before quoting it" in " ".join(x.text for x in r.narrative)


def test_a_silent_feed_is_a_coverage_gap_and_does_not_move_the_normalised_share() -> None:
    # Feed "c" carries only Article 5 stories and goes silent in W44; the raw share falls, the normalised share does not.
    stories = [s for s in steady(sources=("a", "b")) if not (s.week == "2026-W44" and s.source == "c")]
    stories += [Story(w, "c", ("article5_guarantee",)) for w in WEEKS if w != "2026-W44"]
    data = facts(stories, failures={("2026-W44", "c"): 3})
    r = week_report(data, "2026-W44")
    assert [(g.week, g.failing) for g in r.gaps] == [("2026-W44", ("c",))]
    a5 = next(o for o in r.rows if o.option_id == "article5_guarantee")
    assert a5.share < a5.prev_share - 0.1
    assert a5.share_norm == pytest.approx(a5.prev_share_norm, abs=0.13) and r.common_sources == 2
    assert {f.source: f.status for f in r.feeds}["c"] == "failing"
    assert any("c published nothing this week" in s.text for s in r.narrative)
    svg = render_week(r, ("md",))["2026-W44/share-article5_guarantee.svg"]
    assert svg.count(">gap</text>") == 1 and "coverage gap, c down" in svg


def test_weeks_with_no_stories_are_zeros_on_a_continuous_axis() -> None:
    stories = [s for s in steady() if s.week not in ("2026-W41", "2026-W42")]
    r = week_report(facts(stories), "2026-W48")
    assert r.window == WEEKS and r.window_stories[4:6] == (0, 0)
    assert all(s.shares[4:6] == (0.0, 0.0) for s in r.series)
    svg = share_chart("x", r.window, r.series[0].shares, y_max=0.5)
    assert svg.count("<circle") == 12  # a point for each of the 12 weeks, the empty ones at 0


def test_the_partial_current_week_is_marked() -> None:
    monday_noon = datetime(2026, 11, 23, 12, tzinfo=UTC)  # inside 2026-W48
    assert is_partial("2026-W48", monday_noon) and not is_partial("2026-W47", monday_noon)
    r = week_report(facts(steady(), fetched_until=monday_noon), "2026-W48")
    assert r.partial and "so far" in r.narrative[0].text
    svg = render_week(r, ("md",))["2026-W48/share-troops_training.svg"]
    assert ">partial</text>" in svg and "stroke-dasharray" in svg


def test_the_narrative_has_three_to_six_linked_sentences_from_the_numbers() -> None:
    stories = steady()
    stories += [Story("2026-W48", s, ("article5_guarantee",), ("rubio", "macron")) for s in ("a", "b", "c") * 3]
    r = week_report(facts(stories), "2026-W48")
    texts = [s.text for s in r.narrative]
    assert 3 <= len(texts) <= 6 and all(s.links for s in r.narrative)
    lead = next(o for o in r.rows if o.option_id == "article5_guarantee")
    assert texts[0] == (f"Article 5-like guarantee led 2026-W48 ({round(100 * lead.share)} % of stories, up "
                        f"{round(100 * lead.change)} points) after statements by Macron and Rubio.")
    assert f"That is a spike: {_a5(stories, '2026-W48')} stories against a usual 1.5, across 3 outlets." in texts
    assert any("Rubio entered the coverage of Article 5-like guarantee" in t or "Macron entered" in t for t in texts)
    assert any(link.href.startswith("https://") for s in r.narrative for link in s.links)


def test_the_lead_sentence_says_who_backed_and_who_opposed_the_option() -> None:
    """With stored positions, the narrative names who took one on the leading option (most stories first),
    not merely who was named near it."""
    from dataclasses import replace

    from models.report import StanceRow

    stories = steady() + [Story("2026-W48", s, ("article5_guarantee",), ("rubio", "macron")) for s in "abc" * 3]
    at = datetime(2026, 11, 25, tzinfo=UTC)

    def said(actor: str, stance: str, week: str = "2026-W48") -> StanceRow:
        return StanceRow(week, actor, "article5_guarantee", stance, f"{actor} spoke", "t", "https://a.example/1", "a", at)

    data = replace(facts(stories), stances=(
        said("zelensky", "support"), said("zelensky", "support"), said("merz", "support"), said("lavrov", "oppose"),
        said("rubio", "support", "2026-W47"),  # another week: not this week's position
    ))
    first = week_report(data, "2026-W48").narrative[0].text
    assert first.endswith("; Zelensky and Merz backed it, Lavrov opposed it.")
    assert "statements by" not in first


@pytest.mark.parametrize("bad", ["garbage", "2031-W99", "2026-W00", "2026-47"])
def test_a_bad_week_is_an_input_error_naming_it(bad: str) -> None:
    with pytest.raises(InputError, match=bad):
        parse_week(bad)


def test_only_http_links_and_escaped_markdown() -> None:
    assert http_url("javascript:alert(1)") is None and http_url("data:text/html,x") is None
    assert http_url(" JAVASCRIPT:alert(1)") is None and http_url("https://a.example/x") == "https://a.example/x"
    assert md("<script>alert(1)</script> [x](javascript:y)") == "&lt;script&gt;alert(1)&lt;/script&gt; \\[x\\](javascript:y)"
