"""Facts → findings: shares, normalised shares, spikes and their artefact checks, coverage gaps, new actors,
and the narrative. Pure functions over the dataclasses in models.report; nothing here reads a database.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import median

from models.report import EvidenceRow, ReportData, SourceWeek, StanceRow, WeekFacts, parse_week, shift_week

WINDOW = 12  # weeks on the charts
BASELINE = 8  # previous weeks a spike is measured against
MIN_BASELINE = 4  # fewer weeks of history than this: no spike is called
SPIKE_Z = 3.5  # modified z-score above which a week is a spike (Iglewicz and Hoaglin's cut-off)
SPIKE_MIN = 3  # and at least this many stories, so 0 → 1 is never a spike
ONE_OUTLET = 0.5  # an outlet carrying more than this share of a spike's stories is an artefact to flag
GAP_SHARE = 0.1  # a week is shaded as a coverage gap when the feeds down usually carry this share of stories
NEW_ACTOR_LOOKBACK = 12  # an actor is new to an option when not seen with it in this many earlier weeks

MAD_FLOOR = 0.5  # stories: counts are whole numbers, so a baseline that barely varies must not make 2 → 3 news
SPIKE_RULE = (
    f"A week is a spike when it has at least {SPIKE_MIN} stories and its modified z-score against the previous "
    f"{BASELINE} weeks exceeds {SPIKE_Z}: z = 0.6745 × (count − median) / MAD, with the MAD (median absolute "
    f"deviation) taken as at least {MAD_FLOOR} story, so a baseline that barely varies does not make a one-story "
    f"rise a spike. No spike is called with fewer than {MIN_BASELINE} weeks of history."
)

_ACRONYMS = {"usa": "USA", "uk": "UK", "eu": "EU", "nato": "NATO", "un": "UN"}


def actor_label(actor_id: str) -> str:
    """A display name from a canonical id: "von_der_leyen" → "Von der Leyen", "nato" → "NATO"."""
    if actor_id in _ACRONYMS:
        return _ACRONYMS[actor_id]
    words = actor_id.split("_")
    small = {"of", "the", "der", "von", "de"}
    return " ".join(w if i and w in small else w.capitalize() for i, w in enumerate(words))


@dataclass(frozen=True)
class Link:
    label: str
    href: str  # an http(s) URL or a "#anchor" inside the report


@dataclass(frozen=True)
class Sentence:
    """One narrative claim and the evidence it links to."""

    text: str
    links: tuple[Link, ...]


@dataclass(frozen=True)
class OptionRow:
    """One option this week against last week. `*_norm` shares count only the sources live in both weeks."""

    option_id: str
    label: str
    articles: int
    prev_articles: int
    share: float
    prev_share: float
    share_norm: float
    prev_share_norm: float

    @property
    def change(self) -> float:
        return self.share - self.prev_share

    @property
    def change_norm(self) -> float:
        return self.share_norm - self.prev_share_norm


@dataclass(frozen=True)
class Artefact:
    kind: str  # one_outlet | new_source | date_missing
    text: str


@dataclass(frozen=True)
class Spike:
    week: str
    option_id: str
    label: str
    articles: int
    baseline: tuple[int, ...]
    median: float
    z: float
    outlets: tuple[tuple[str, int], ...]  # the top 5
    n_outlets: int
    actors: tuple[tuple[str, int], ...]
    evidence: tuple[EvidenceRow, ...]
    artefacts: tuple[Artefact, ...]

    @property
    def anchor(self) -> str:
        return f"spike-{self.week}-{self.option_id}".lower()


@dataclass(frozen=True)
class Gap:
    """A week with thinner coverage than usual: feeds that fell silent or failed."""

    week: str
    silent: tuple[str, ...]
    failing: tuple[str, ...]

    @property
    def label(self) -> str:
        names = sorted(set(self.silent) | set(self.failing))
        return f"{len(names)} feed{'s' if len(names) != 1 else ''} down" if len(names) > 1 else f"{names[0]} down"


@dataclass(frozen=True)
class Series:
    option_id: str
    label: str
    shares: tuple[float, ...]  # one per window week, 0.0 where nothing was published
    counts: tuple[int, ...]


@dataclass(frozen=True)
class FeedRow:
    source: str
    articles: int
    prev_articles: int
    failures: int
    status: str  # failing | silent | new | live | quiet (no stories, not yet silent)
    last_error: str | None = None


@dataclass(frozen=True)
class NewActor:
    actor_id: str
    option_id: str
    option_label: str
    articles: int


@dataclass(frozen=True)
class HeatMap:
    actors: tuple[str, ...]
    options: tuple[tuple[str, str], ...]
    cells: dict[tuple[str, str], int]  # (actor, option) -> stories

    @property
    def peak(self) -> int:
        return max(self.cells.values(), default=0)


@dataclass(frozen=True)
class StanceChange:
    """An actor whose position on an option this week differs from its previous recorded one."""

    actor_id: str
    option_id: str
    before: StanceRow
    now: StanceRow


@dataclass(frozen=True)
class WhoStandsWhere:
    """This week's support/oppose matrix, the changes of position, and the most active actors per option."""

    actors: tuple[str, ...]  # most active first
    options: tuple[tuple[str, str], ...]
    cells: dict[tuple[str, str], tuple[int, int]]  # (actor, option) -> (support, oppose) stories this week
    changes: tuple[StanceChange, ...]
    active: dict[str, tuple[tuple[str, int, int], ...]]  # option -> (actor, support, oppose) over the window


def who_stands_where(stances: tuple[StanceRow, ...], options: tuple[tuple[str, str], ...], week: str,
                     window: tuple[str, ...], most: int = 12, top: int = 5) -> WhoStandsWhere:
    """From stances in publication order: the week's matrix, its changes (as the `stance_changes` view
    defines them) and, per option, the actors with most positions over the window."""
    cells: dict[tuple[str, str], tuple[int, int]] = {}
    for s in stances:
        if s.week == week:
            sup, opp = cells.get((s.actor_id, s.option_id), (0, 0))
            cells[(s.actor_id, s.option_id)] = (sup + (s.stance == "support"), opp + (s.stance == "oppose"))
    load: dict[str, int] = {}
    for (a, _), (sup, opp) in cells.items():
        load[a] = load.get(a, 0) + sup + opp
    actors = tuple(sorted(load, key=lambda a: (-load[a], a))[:most])
    last: dict[tuple[str, str], StanceRow] = {}
    changes = []
    for s in stances:
        key = (s.actor_id, s.option_id)
        prev = last.get(key)
        if prev is not None and prev.stance != s.stance and s.week == week:
            changes.append(StanceChange(s.actor_id, s.option_id, prev, s))
        last[key] = s
    in_window = set(window)
    active: dict[str, tuple[tuple[str, int, int], ...]] = {}
    for o, _ in options:
        counts: dict[str, list[int]] = {}
        for s in stances:
            if s.option_id == o and s.week in in_window:
                c = counts.setdefault(s.actor_id, [0, 0])
                c[s.stance == "oppose"] += 1
        ranked = sorted(counts.items(), key=lambda kv: (-(kv[1][0] + kv[1][1]), kv[0]))[:top]
        active[o] = tuple((a, c[0], c[1]) for a, c in ranked)
    return WhoStandsWhere(actors, options, cells, tuple(changes), active)


@dataclass(frozen=True)
class WeekReport:
    week: str
    prev_week: str
    partial: bool
    window: tuple[str, ...]
    window_stories: tuple[int, ...]
    series: tuple[Series, ...]
    gaps: tuple[Gap, ...]  # in the window
    rows: tuple[OptionRow, ...]
    common_sources: int  # sources live in both weeks: the normalised shares' base
    spikes: tuple[Spike, ...]  # in the window, latest first
    heat: HeatMap
    new_actors: tuple[NewActor, ...]
    feeds: tuple[FeedRow, ...]
    facts: WeekFacts
    prev_stories: int
    narrative: tuple[Sentence, ...]
    evidence: dict[str, tuple[EvidenceRow, ...]]  # option -> this week's best sentences
    top_actors: dict[str, tuple[tuple[str, int], ...]]  # option -> actors, evidence first
    spike_rule: str = SPIKE_RULE
    stances: WhoStandsWhere | None = None

    @property
    def gap_weeks(self) -> set[str]:
        return {g.week for g in self.gaps}


# --- small pure rules ----------------------------------------------------------------------------------------


def zero_filled(weeks: tuple[str, ...], values: dict[str, int]) -> tuple[int, ...]:
    """One value per week, 0 where the week has none: a quiet week is a 0, not a hole in the line."""
    return tuple(int(values.get(w, 0)) for w in weeks)


def modified_z(value: int, baseline: tuple[int, ...]) -> float:
    """Iglewicz–Hoaglin modified z-score of `value` against `baseline`, the MAD floored at MAD_FLOOR."""
    if not baseline:
        return 0.0
    m = median(baseline)
    mad = max(median(abs(x - m) for x in baseline), MAD_FLOOR)
    return 0.6745 * (value - m) / mad


def is_spike(value: int, baseline: tuple[int, ...]) -> bool:
    return len(baseline) >= MIN_BASELINE and value >= SPIKE_MIN and modified_z(value, baseline) > SPIKE_Z


def is_partial(week: str, fetched_until: datetime | None) -> bool:
    """A week is partial when the latest fetch happened before it ended (Sunday 24:00 UTC)."""
    if fetched_until is None:
        return False
    end = datetime.combine(parse_week(week) + timedelta(days=7), datetime.min.time(), tzinfo=UTC)
    until = fetched_until if fetched_until.tzinfo else fetched_until.replace(tzinfo=UTC)
    return until < end


def share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def points(x: float) -> str:
    """A change in share, in percentage points, with its sign."""
    n = round(100 * x)
    return "unchanged" if n == 0 else f"{'up' if n > 0 else 'down'} {abs(n)} point{'s' if abs(n) != 1 else ''}"


def names(items: list[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


# --- the week's findings -------------------------------------------------------------------------------------


class _Index:
    """The report data keyed for lookups by week."""

    def __init__(self, data: ReportData) -> None:
        self.data = data
        self.counts: dict[str, dict[str, int]] = defaultdict(dict)  # option -> week -> stories
        for c in data.counts:
            self.counts[c.option_id][c.week] = c.articles
        self.feeds: dict[str, dict[str, SourceWeek]] = defaultdict(dict)  # week -> source -> its health
        for s in data.sources:
            self.feeds[s.week][s.source] = s
        self.source_option: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)  # (week, option) -> source
        for so in data.source_options:
            self.source_option[(so.week, so.option_id)][so.source] += so.articles
        self.actor_option: dict[tuple[str, str], dict[str, tuple[int, int]]] = defaultdict(dict)
        for ao in data.actor_options:
            self.actor_option[(ao.week, ao.option_id)][ao.actor_id] = (ao.articles, ao.in_evidence)
        self.evidence: dict[tuple[str, str], list[EvidenceRow]] = defaultdict(list)
        for e in data.evidence:
            self.evidence[(e.week, e.option_id)].append(e)
        self.first = data.weeks[0] if data.weeks else None

    def history(self, week: str, n: int) -> tuple[str, ...]:
        """Up to `n` weeks before `week` that are inside the data."""
        back = tuple(shift_week(week, -i) for i in range(n, 0, -1))
        return tuple(w for w in back if self.first is not None and w >= self.first)

    def sources_live(self, week: str) -> set[str]:
        return {name for name, f in self.feeds.get(week, {}).items() if f.live}


def top_actors(idx: _Index, week: str, option_id: str, n: int = 5) -> tuple[tuple[str, int], ...]:
    """Actors named in most of an option's stories; ties go to those named inside its evidence."""
    found = idx.actor_option.get((week, option_id), {})
    ranked = sorted(found.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
    return tuple((a, arts) for a, (arts, _) in ranked[:n])


def pick_evidence(rows: list[EvidenceRow], n: int = 3) -> tuple[EvidenceRow, ...]:
    """The best sentences, one per outlet while other outlets have one, so one feed cannot fill the box."""
    ranked = sorted(rows, key=lambda e: (-e.score, e.url))
    chosen: list[EvidenceRow] = []
    for e in ranked:
        if len(chosen) < n and all(c.source != e.source for c in chosen):
            chosen.append(e)
    for e in ranked:
        if len(chosen) < n and e not in chosen:
            chosen.append(e)
    return tuple(chosen)


def artefacts(outlets: Counter[str], total: int, new_sources: set[str], date_missing: int) -> tuple[Artefact, ...]:
    """Ingest artefacts that could fake a spike: one outlet, a source new that week, dates the feed left out."""
    found = []
    if outlets and total:
        top, n = outlets.most_common(1)[0]
        if len(outlets) == 1 or n / total > ONE_OUTLET:
            found.append(Artefact("one_outlet", f"{n} of the {total} stories came from one outlet, {top}."))
    fresh = sorted(s for s in outlets if s in new_sources)
    if fresh:
        n = sum(outlets[s] for s in fresh)
        found.append(Artefact(
            "new_source", f"{n} of the stories came from {names(fresh)}, new this week (no stories in the baseline)."
        ))
    if date_missing:
        found.append(Artefact(
            "date_missing",
            f"{date_missing} of the stories had no date in their feed and were dated when fetched.",
        ))
    return tuple(found)


def find_spikes(idx: _Index, weeks: tuple[str, ...], facts: dict[str, WeekFacts]) -> tuple[Spike, ...]:
    found = []
    for option_id, label in idx.data.options:
        counts = idx.counts.get(option_id, {})
        for week in weeks:
            history = idx.history(week, BASELINE)
            baseline = zero_filled(history, counts)
            value = counts.get(week, 0)
            if not is_spike(value, baseline):
                continue
            outlets = idx.source_option.get((week, option_id), Counter())
            seen_before = set().union(*(idx.sources_live(w) for w in history))
            missing = facts[week].date_missing.get(option_id, 0) if week in facts else 0
            found.append(Spike(
                week=week, option_id=option_id, label=label, articles=value, baseline=baseline,
                median=float(median(baseline)), z=modified_z(value, baseline),
                outlets=tuple(outlets.most_common(5)), n_outlets=len(outlets), actors=top_actors(idx, week, option_id),
                evidence=pick_evidence(idx.evidence.get((week, option_id), [])),
                artefacts=artefacts(outlets, value, idx.sources_live(week) - seen_before, missing),
            ))
    return tuple(sorted(found, key=lambda s: (s.week, s.z), reverse=True))


def find_gaps(idx: _Index, weeks: tuple[str, ...]) -> tuple[Gap, ...]:
    """Weeks where feeds that usually carry at least GAP_SHARE of the stories fell silent or failed.

    Silent and failing are the weekly_feed_health view's; with hundreds of feeds a few small ones are quiet in
    any week, so only a loss that could move the shares is shaded (the feed table lists every feed anyway).
    """
    gaps = []
    for week in weeks:
        feeds = idx.feeds.get(week, {})
        failing = tuple(sorted(n for n, f in feeds.items() if f.failures and not f.live))
        silent = tuple(sorted(n for n, f in feeds.items() if f.silent and n not in failing))
        if not (silent or failing):
            continue
        history = idx.history(week, BASELINE)
        usual = median(idx.data.stories.get(w, 0) for w in history) if history else 0
        lost = sum(
            median(idx.feeds.get(w, {})[n].articles if n in idx.feeds.get(w, {}) else 0 for w in history)
            for n in (*failing, *silent)
        ) if history else 0
        if not usual or lost >= GAP_SHARE * usual:
            gaps.append(Gap(week, silent, failing))
    return tuple(gaps)


def option_rows(idx: _Index, week: str, prev: str) -> tuple[tuple[OptionRow, ...], int]:
    """This week against last: raw shares over all stories, and shares over the feeds live in both weeks.

    The weekly_option_change view's definition, computed from facts the report reads anyway (the view is a
    full pass of its own); tests/test_report.py checks the two agree on the samples.
    """
    stories = idx.data.stories
    common = idx.sources_live(week) & idx.sources_live(prev)

    def base(w: str) -> int:
        feeds = idx.feeds.get(w, {})
        return sum(feeds[s].articles for s in common if s in feeds)

    def norm(w: str, option_id: str) -> int:
        c = idx.source_option.get((w, option_id), Counter())
        return sum(c[s] for s in common)

    rows = []
    for option_id, label in idx.data.options:
        n, p = idx.counts.get(option_id, {}).get(week, 0), idx.counts.get(option_id, {}).get(prev, 0)
        rows.append(OptionRow(
            option_id, label, n, p, share(n, stories.get(week, 0)), share(p, stories.get(prev, 0)),
            share(norm(week, option_id), base(week)), share(norm(prev, option_id), base(prev)),
        ))
    return tuple(rows), len(common)


def heat_map(idx: _Index, week: str, max_actors: int = 15) -> HeatMap:
    cells: dict[tuple[str, str], int] = {}
    totals: Counter[str] = Counter()
    for option_id, _ in idx.data.options:
        for actor, (arts, _ev) in idx.actor_option.get((week, option_id), {}).items():
            cells[(actor, option_id)] = arts
            totals[actor] += arts
    actors = tuple(a for a, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:max_actors])
    return HeatMap(actors, idx.data.options, {k: v for k, v in cells.items() if k[0] in actors})


def new_actors(idx: _Index, week: str) -> tuple[NewActor, ...]:
    """Actors in an option's coverage this week who were not in it in the previous 12 weeks (given history)."""
    history = idx.history(week, NEW_ACTOR_LOOKBACK)
    if len(history) < MIN_BASELINE:
        return ()
    found = []
    for option_id, label in idx.data.options:
        before = set().union(*(idx.actor_option.get((w, option_id), {}).keys() for w in history))
        for actor, (arts, ev) in idx.actor_option.get((week, option_id), {}).items():
            if actor not in before and ev:  # named in the evidence: a real voice in the debate, not a mention
                found.append(NewActor(actor, option_id, label, arts))
    return tuple(sorted(found, key=lambda a: (-a.articles, a.option_id, a.actor_id)))


def feed_rows(idx: _Index, week: str, prev: str) -> tuple[FeedRow, ...]:
    """Every feed known by `week`: failing (fetches failed, nothing came), silent, new (first in 8 weeks) or live."""
    seen = set().union(*(idx.sources_live(w) for w in idx.history(week, BASELINE)))
    has_history = bool(idx.history(week, 1))
    before = idx.feeds.get(prev, {})
    rows = []
    for name, f in idx.feeds.get(week, {}).items():
        status = (
            "failing" if f.failures and not f.live else "silent" if f.silent
            else "new" if f.live and has_history and name not in seen else "live" if f.live else "quiet"
        )
        rows.append(FeedRow(name, f.articles, before[name].articles if name in before else 0, f.failures, status,
                            f.last_error))
    order = {"failing": 0, "silent": 1, "new": 2, "live": 3, "quiet": 4}
    return tuple(sorted(rows, key=lambda r: (order[r.status], -r.articles, r.source)))


# --- the narrative -------------------------------------------------------------------------------------------


def _voices(actors: tuple[tuple[str, int], ...], people: frozenset[str], lead: str = " after statements by") -> str:
    """ " after statements by Rubio and Macron" when people are among the top actors, else the most named."""
    who = [actor_label(a) for a, _ in actors if a in people][:2]
    if who:
        return f"{lead} {names(who)}"
    named = [actor_label(a) for a, _ in actors[:2]]
    return f", with {names(named)} most named" if named else ""


def _positions(cells: dict[tuple[str, str], tuple[int, int]], option_id: str) -> str:
    """ "; Macron and Starmer backed it, Lavrov opposed it" from the week's positions on the option (most
    stories first), or "" when no one took one."""
    held = {a: counts for (a, o), counts in cells.items() if o == option_id}  # actor -> (support, oppose)
    parts = []
    for verb, side in (("backed", 0), ("opposed", 1)):
        ranked = sorted((a for a, c in held.items() if c[side] > c[1 - side]), key=lambda a: (-held[a][side], a))
        if ranked:
            parts.append(f"{names([actor_label(a) for a in ranked[:2]])} {verb} it")
    return "; " + ", ".join(parts) if parts else ""


def narrative(
    week: str, rows: tuple[OptionRow, ...], spikes: tuple[Spike, ...], gaps: tuple[Gap, ...],
    new: tuple[NewActor, ...], facts: WeekFacts, prev_stories: int, partial: bool,
    evidence: dict[str, tuple[EvidenceRow, ...]], actors: dict[str, tuple[tuple[str, int], ...]],
    people: frozenset[str] = frozenset(), positions: dict[tuple[str, str], tuple[int, int]] | None = None,
) -> tuple[Sentence, ...]:
    """Three to six sentences, each built from the numbers and linked to what shows it."""

    def ev_links(option_id: str, n: int = 2) -> tuple[Link, ...]:
        return tuple(Link(e.source, e.url) for e in evidence.get(option_id, ())[:n])

    out: list[Sentence] = []
    ranked = sorted((r for r in rows if r.articles), key=lambda r: (-r.share, r.option_id))
    so_far = "; the week is not over" if partial else ""
    if not ranked:
        out.append(Sentence(f"No story in {week} discussed any of the options{' so far' if partial else ''}.",
                            (Link("table", "#week"),)))
    else:
        lead = ranked[0]
        out.append(Sentence(
            f"{lead.label} {'leads' if partial else 'led'} {week}{' so far' if partial else ''} "
            f"({pct(lead.share)} of stories, {points(lead.change)}{so_far})"
            f"{_positions(positions or {}, lead.option_id) or _voices(actors.get(lead.option_id, ()), people)}.",
            (*ev_links(lead.option_id), Link("table", "#week")),
        ))
        movers = sorted((r for r in rows if r is not lead and round(100 * r.change) != 0),
                        key=lambda r: (-abs(r.change), r.option_id))
        if movers:
            m = movers[0]
            verb = "rose" if m.change > 0 else "fell"
            out.append(Sentence(
                f"{m.label} {verb} to {pct(m.share)} ({points(m.change)}; {points(m.change_norm)} over the feeds "
                f"live in both weeks).",
                (*ev_links(m.option_id, 1), Link("table", "#week")),
            ))
    recent = [s for s in spikes if s.week == week] or list(spikes[:1])
    for s in recent[:1]:
        caveat = f" Check before quoting it: {s.artefacts[0].text[0].lower()}{s.artefacts[0].text[1:]}" if s.artefacts else ""
        size = (f"{s.articles} stories against a usual {s.median:g}, across {s.n_outlets} "
                f"outlet{'s' if s.n_outlets != 1 else ''}")
        if s.week == week and ranked and ranked[0].option_id == s.option_id:  # the lead sentence named the voices
            text = f"That is a spike: {size}.{caveat}"
        else:
            when = "this week" if s.week == week else f"in {s.week}"
            text = f"{s.label} spiked {when}: {size}{_voices(s.actors, people, ', driven by')}.{caveat}"
        out.append(Sentence(text, (Link("spike", f"#{s.anchor}"), *(Link(e.source, e.url) for e in s.evidence[:2]))))
    gap = next((g for g in gaps if g.week == week), None)
    if gap:
        down = sorted(set(gap.silent) | set(gap.failing))
        who = names(down) if len(down) <= 3 else f"{len(down)} feeds ({', '.join(down[:2])} and {len(down) - 2} more)"
        out.append(Sentence(
            f"Coverage was thinner: {who} published nothing this week, so compare the normalised shares.",
            (Link("feed health", "#feeds"),),
        ))
    if new:
        a = new[0]
        out.append(Sentence(
            f"{actor_label(a.actor_id)} entered the coverage of {a.option_label} this week.",
            (Link("heat map", "#actors"), *ev_links(a.option_id, 1)),
        ))
    volume = f"{facts.stories} stor{'y' if facts.stories == 1 else 'ies'}"
    copies = f" (plus {facts.copies} cop{'y' if facts.copies == 1 else 'ies'})" if facts.copies else ""
    diff = facts.stories - prev_stories
    trend = ", as many as the week before" if not diff else f", {abs(diff)} {'more' if diff > 0 else 'fewer'} than the week before"
    out.append(Sentence(
        f"The week counted {volume}{copies}{trend if prev_stories else ''}.", (Link("volume and versions", "#versions"),),
    ))
    return tuple(out[:6])


# --- everything for one week ---------------------------------------------------------------------------------


def _window(idx: _Index, week: str) -> tuple[str, ...]:
    """The 12 weeks ending with `week`, from the first week with data on: before it nothing was collected."""
    return (*idx.history(week, WINDOW - 1), week)


def week_report(data: ReportData, week: str, index: _Index | None = None) -> WeekReport:
    """All findings for one report week, over the 12 weeks that end with it."""
    idx = index or _Index(data)
    prev = shift_week(week, -1)
    window = _window(idx, week)
    stories = data.stories
    series = tuple(
        Series(o, label, tuple(share(idx.counts.get(o, {}).get(w, 0), stories.get(w, 0)) for w in window),
               zero_filled(window, idx.counts.get(o, {})))
        for o, label in data.options
    )
    facts = data.facts.get(week) or WeekFacts(week, stories.get(week, 0), 0)
    rows, common = option_rows(idx, week, prev)
    spikes = find_spikes(idx, tuple(w for w in window if w in stories or w == week), data.facts)
    gaps = find_gaps(idx, window)
    new = new_actors(idx, week)
    evidence = {o: pick_evidence(idx.evidence.get((week, o), [])) for o, _ in data.options}
    actors = {o: top_actors(idx, week, o) for o, _ in data.options}
    partial = is_partial(week, data.fetched_until)
    stances = who_stands_where(data.stances, data.options, week, window)
    return WeekReport(
        week=week, prev_week=prev, partial=partial, window=window,
        window_stories=zero_filled(window, stories), series=series, gaps=gaps, rows=rows,
        common_sources=common, spikes=spikes, heat=heat_map(idx, week), new_actors=new,
        feeds=feed_rows(idx, week, prev), facts=facts, prev_stories=stories.get(prev, 0),
        narrative=narrative(week, rows, spikes, gaps, new, facts, stories.get(prev, 0), partial, evidence, actors,
                            frozenset(a for a, kind in data.actor_kinds.items() if kind == "person"), stances.cells),
        evidence=evidence, top_actors=actors, stances=stances,
    )


def week_reports(data: ReportData, weeks: tuple[str, ...]) -> tuple[WeekReport, ...]:
    idx = _Index(data)
    return tuple(week_report(data, w, idx) for w in weeks)


def index_rows(data: ReportData) -> tuple[tuple[str, int, tuple[Series, ...]], ...]:
    """Every week, latest first, with each option's share over the 12 weeks ending there (for sparklines)."""
    idx = _Index(data)
    out = []
    for week in reversed(data.weeks):
        window = _window(idx, week)
        series = tuple(
            Series(o, label, tuple(share(idx.counts.get(o, {}).get(w, 0), data.stories.get(w, 0)) for w in window),
                   zero_filled(window, idx.counts.get(o, {})))
            for o, label in data.options
        )
        out.append((week, data.stories.get(week, 0), series))
    return tuple(out)
