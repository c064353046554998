"""Stances: which actor takes which position (support | oppose) on which option, with the sentence that shows it.

Input is what the tagger already computed per sentence: the sentences, the actors the gazetteer found in each,
and each option's sentence signals (cue count, sentence-head probability, prototype margin). Nothing is encoded
again. Per (actor, option, sentence) where the sentence carries the option and names the actor, or follows a
sentence whose speaker it inherits ("He added that…"), a small feature vector:

- the option's strength in the sentence and in the article;
- speech / decision verbs, support verbs, refusal and negation cues, neutral talk, unnamed-source reporting
  (per-language cue lists in models/data/stances.toml);
- the actor as subject (named before the first verb cue), as the speaker of a quote (named outside the quote),
  near a verb cue (holders after the verb: "возьмут на себя Франция"), or as a possessor ("Trump's son-in-law");
- how many sentences the actor shares with the option;
- person vs state: a state named with its own leader in the sentence ("Russia's president Putin rejects…")
  is usually the leader's position, not the state's;
- Ukraine as the subject or speaker ("Ukraine is counting on international soldiers"): Ukraine is mostly the
  object of the debate, but asking for a guarantee is a position (../shared/eval/STANCE.md).

A logistic head (models/data/heads/stance-*.json, fitted on labelled stances) scores each instance as a position;
the best instance per (actor, option) gives the score and the evidence, and a second logistic layer its polarity.
Without a fitted head, hand-set weights are used.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from extractors.options import cue_langs
from models.domain import Stance, weights_digest
from models.errors import ConfigError
from models.stances import StanceCues
from models.taxonomy import Taxonomy

FEATURES = (
    "option_cue", "sprob", "margin", "article_score", "article_tagged",
    "speech", "support", "oppose", "negated_support", "neutral", "report", "quote",
    "subject", "speaker", "inherited", "object_only", "n_actors_log", "person", "state", "org",
    "ukraine", "nato_article5", "title", "mentions_log", "n_options", "rejecter_troops", "possessor", "near_verb",
    "pair_sentences_log", "ukraine_subject",
)
POLARITY = ("oppose", "negated_oppose", "negation", "negated_support", "support", "rejecter_troops", "neutral",
            "quote", "title")
# Rules that can be switched off for the ablation (as if they were features).
RULES = ("person_not_state", "clauses", "inherit_unnamed")
# A sentence carries an option when it has one of its cues, or a sentence-head probability above this.
CARRY_SPROB = 0.3
# "Trump's son-in-law", "the Trump administration's push": the actor qualifies a noun, it does not speak.
_POSSESSOR = re.compile(r"((?:\w+\s+){0,2}\w+)['’]s\b")
# Words either side of a speech, support or refusal cue within which an actor reads as its holder.
NEAR_VERB = 40
_PRONOUN = re.compile(
    r"^\W*(he|she|they|його|він|вона|вони|он|она|они|er|sie|il|elle|lui|lei|on|ona|oni|o|hij|zij|ele)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class StanceHead:
    """Weights over FEATURES for "is a position", over POLARITY for "is oppose", and the decision threshold."""

    weights: tuple[float, ...]
    bias: float
    threshold: float
    polarity_weights: tuple[float, ...]
    polarity_bias: float
    version: str
    features: tuple[str, ...] = FEATURES

    @classmethod
    def load(cls, path: Path) -> StanceHead:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if tuple(raw["features"]) != FEATURES:
            raise ConfigError(f"{path} was fitted on other features; refit it with `pledgewatch fit-stance-head`", path=path)
        return cls(tuple(raw["weights"]), raw["bias"], raw["threshold"], tuple(raw["polarity_weights"]),
                   raw["polarity_bias"], raw["version"], tuple(raw["features"]))

    @property
    def digest(self) -> str:
        return weights_digest(self.features, self.weights, self.bias, self.threshold, self.polarity_weights,
                              self.polarity_bias)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({
            "version": self.version, "features": self.features, "weights": self.weights, "bias": self.bias,
            "threshold": self.threshold, "polarity": POLARITY, "polarity_weights": self.polarity_weights,
            "polarity_bias": self.polarity_bias}), encoding="utf-8")


def default_stance_head() -> StanceHead:
    """Hand-set: a named subject or speaker of a verb in a sentence carrying a tagged option is a position."""
    w = dict.fromkeys(FEATURES, 0.0) | {
        "option_cue": 0.8, "sprob": 1.5, "article_tagged": 1.0, "speech": 0.8, "support": 0.8, "oppose": 0.8,
        "subject": 1.2, "speaker": 1.0, "neutral": -0.8, "report": -0.3, "state_with_own_person": -1.5,
        "n_actors_log": -0.5}
    p = dict.fromkeys(POLARITY, 0.0) | {"oppose": 2.5, "negated_support": 2.0, "rejecter_troops": 2.5, "support": -0.5}
    return StanceHead(tuple(w[f] for f in FEATURES), -2.5, 0.5, tuple(p[f] for f in POLARITY), -1.5, "sh0")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


@dataclass(frozen=True)
class Instance:
    """One (actor, option, sentence) candidate with its features."""

    actor_id: str
    option_id: str
    sentence: int
    x: np.ndarray  # FEATURES
    px: np.ndarray  # POLARITY


class _Patterns:
    """Stance cue patterns compiled per language, one alternation per kind."""

    def __init__(self, cues: StanceCues) -> None:
        self.cues = cues
        self._compiled: dict[str, dict[str, re.Pattern[str] | None]] = {}
        self._objects: dict[str, re.Pattern[str] | None] = {}
        quotes = "".join(re.escape(q) for q in cues.quotes)
        self.quote_mark = re.compile(f"[{quotes}]") if quotes else None
        # A quoted span: from an opening mark to the next mark (straight quotes pair with themselves).
        self.quoted = re.compile(f"[{quotes}][^{quotes}]{{3,}}[{quotes}]") if quotes else None
        self.clause_break = re.compile("|".join(cues.clause_breaks), re.IGNORECASE) if cues.clause_breaks else None

    def get(self, lang: str) -> dict[str, re.Pattern[str] | None]:
        if lang not in self._compiled:
            kinds = {}
            for kind in ("speech", "support", "oppose", "negation", "neutral", "report"):
                # The language's own cues, its neighbours' (as for option cues: Bosnian reads Croatian's) and
                # English's, once each.
                ps = tuple(dict.fromkeys(p for lg in cue_langs(lang) for p in self.cues.for_lang(kind, lg)))
                kinds[kind] = re.compile("|".join(f"(?:{p})" for p in ps), re.IGNORECASE) if ps else None
            self._compiled[lang] = kinds
        return self._compiled[lang]

    def object_phrase(self, lang: str) -> re.Pattern[str] | None:
        """A preposition of the language and the (up to three) words it governs: "for Ukraine", "with the US"."""
        if lang not in self._objects:
            # Only one language's list: one language's preposition is another's article or pronoun.
            own = next((ws for lg in cue_langs(lang) if (ws := self.cues.object_prepositions.get(lg))), ())
            words = sorted(map(re.escape, own), key=len, reverse=True)
            self._objects[lang] = (re.compile(rf"(?<!\w)(?:{'|'.join(words)})\s+(?:\w+\s+){{0,2}}?\w+", re.IGNORECASE)
                                   if words else None)
        return self._objects[lang]


class StanceFinder:
    """Finds stance triples in one article from the tagger's per-sentence signals."""

    def __init__(self, taxonomy: Taxonomy, cues: StanceCues, head: StanceHead | None = None,
                 disabled: frozenset[str] = frozenset()) -> None:
        self.option_ids = taxonomy.option_ids
        self.kind = {a.id: a.kind for a in taxonomy.actors}
        self.state_of = {a.id: a.state for a in taxonomy.actors if a.state}
        self.cues = cues
        self.patterns = _Patterns(cues)
        self.rejecters = cues.troops_rejecters
        self.head = head or default_stance_head()
        self.version = f"{cues.version}-{self.head.version}-{self.head.digest}"
        # Ablation: feature names forced to 0 (the head should be fitted with the same set).
        self.disabled = disabled
        self._mask = np.asarray([f not in disabled for f in FEATURES], dtype=np.float32)
        self._pmask = np.asarray([f not in disabled for f in POLARITY], dtype=np.float32)

    def instances(
        self,
        lang: str,
        sentences: Sequence[str],
        actors: Sequence[Counter[str]],
        cues: np.ndarray,
        sprobs: np.ndarray,
        margins: np.ndarray,
        article_scores: Sequence[float],
        tagged: Sequence[bool],
        find: Callable[[str], Counter[str]],
        has_title: bool = True,
        option_cues: Callable[[str], list[int]] | None = None,
    ) -> list[Instance]:
        """Candidates for every (actor, option) pair the article could hold, with features.

        `find` is the gazetteer (sentence -> actor counts); `option_cues` (sentence -> cue count per option)
        lets each clause of a "refuses A but offers B" sentence take its own polarity.
        """
        carried = (cues > 0) | (sprobs >= CARRY_SPROB)
        if not len(sentences) or not carried.any():
            return []
        pats = self.patterns.get(lang)
        total: Counter[str] = Counter()
        for c in actors:
            total.update(c)
        out: list[Instance] = []
        for i, sent in enumerate(sentences):
            options = [j for j in range(len(self.option_ids)) if carried[i, j]]
            if not options:
                continue
            named = dict(actors[i])
            inherited = set()
            # Pro-drop languages ("Vyjádřil naději, že…") and quotes closed by a bare verb ("…,“ vyhlásil.") name
            # no person either, though they may name the states and bodies they talk about.
            unnamed = not named or ("inherit_unnamed" not in self.disabled
                                    and not any(self.kind.get(a) == "person" for a in named))
            hits = self._hits(pats, sent)
            # "…,” a senior official said." has a speaker of its own, unnamed: nobody is inherited.
            if (_PRONOUN.match(sent) or (unnamed and not hits["report"])) and i > 0:
                # "He added that…": the speaker of the previous sentence, when it names exactly one person.
                prev = [a for a in actors[i - 1] if self.kind.get(a) == "person"]
                if len(prev) == 1 and prev[0] not in named:
                    named[prev[0]] = 1
                    inherited.add(prev[0])
            people_states = {self.state_of.get(a) for a in named if self.kind.get(a) == "person" and a not in inherited}
            if "person_not_state" not in self.disabled:
                # STANCE.md: a person speaking is labelled as the person, not also as their state.
                named = {a: n for a, n in named.items() if not (self.kind.get(a) == "state" and a in people_states)}
            if not named:
                continue
            verb_at = min((m.start() for k, m in hits.items() if m and k in ("speech", "support", "oppose")),
                          default=-1)
            subjects = find(sent[:verb_at]) if verb_at > 0 else Counter()
            quote = bool(self.patterns.quote_mark and self.patterns.quote_mark.search(sent))
            speakers: Counter[str] = Counter()
            if quote and self.patterns.quoted is not None:
                outside = self.patterns.quoted.sub(" ", sent)
                if outside != sent:
                    speakers = find(outside)
            objects: set[str] = set()
            object_phrase = self.patterns.object_phrase(lang)
            if object_phrase is not None:
                phrases = object_phrase.findall(sent)
                in_phrases = set(find(" . ".join(phrases))) & set(named) if phrases else set()
                if in_phrases:  # the second lookup only when a candidate sits in a phrase (the gazetteer is the cost)
                    objects = in_phrases - set(find(object_phrase.sub(" . ", sent)))
            possessors = set(find(" . ".join(_POSSESSOR.findall(sent)))) if "'" in sent or "’" in sent else set()
            spans = [sent[max(0, m.start() - NEAR_VERB):m.end() + NEAR_VERB]
                     for m in (hits["speech"], hits["support"], hits["oppose"]) if m is not None]
            near = set(find(" . ".join(spans))) if spans else set()  # one gazetteer pass: it is the cost
            polar = {j: self._polarity_hits(pats, sent, j, hits, option_cues) for j in options}
            n_actors = len(actors[i])
            for a in named:
                kind = self.kind.get(a, "")
                for j in options:
                    oid = self.option_ids[j]
                    h = polar[j]
                    negated_support = bool(h["support"] and h["negation"] and not h["oppose"])
                    negated_oppose = self._negated(pats, sent, h)
                    rejecter = float(a in self.rejecters and oid == "troops_training")
                    x = [
                        min(int(cues[i, j]), 2) / 2, float(sprobs[i, j]), float(margins[i, j]),
                        float(article_scores[j]), float(tagged[j]),
                        float(bool(hits["speech"])), float(bool(h["support"])), float(bool(h["oppose"])),
                        float(negated_support), float(bool(hits["neutral"])), float(bool(hits["report"])),
                        float(quote), float(a in subjects), float(a in speakers), float(a in inherited),
                        float(a in objects), math.log1p(n_actors), float(kind == "person"), float(kind == "state"),
                        float(kind == "org"), float(a == "ukraine"), float(a == "nato" and oid == "article5_guarantee"),
                        float(i == 0 and has_title), math.log1p(total[a]), float(len(options)), rejecter,
                        float(a in possessors and a not in subjects), float(a in near),
                        0.0,  # pair_sentences_log, set below once every sentence is seen
                        float(a == "ukraine" and (a in subjects or a in speakers) and a not in objects),
                    ]
                    px = [float(bool(h["oppose"]) and not negated_oppose), float(negated_oppose),
                          float(bool(h["negation"])), float(negated_support),
                          float(bool(h["support"])), rejecter, float(bool(hits["neutral"])), float(quote),
                          float(i == 0 and has_title)]
                    out.append(Instance(a, oid, i, np.asarray(x, dtype=np.float32) * self._mask,
                                        np.asarray(px, dtype=np.float32) * self._pmask))
        # An actor that comes back to an option sentence after sentence holds a position more often than one
        # named once beside it.
        pairs = Counter((s.actor_id, s.option_id) for s in out)
        col = FEATURES.index("pair_sentences_log")
        for inst in out:
            inst.x[col] = math.log1p(pairs[(inst.actor_id, inst.option_id)]) * self._mask[col]
        return out

    @staticmethod
    def _negated(pats: dict[str, re.Pattern[str] | None], sent: str, h: dict[str, re.Match[str] | None]) -> bool:
        """A refusal that is itself negated ("did not rule out", "nie wykluczyła", "не исключил") is an opening."""
        m, neg = h["oppose"], pats["negation"]
        # "non è mai stato", "ne … jamais", "nigdy nie": a negative word after a negation is concord, not an opening.
        if m is None or neg is None or neg.fullmatch(m.group().strip()):
            return False
        before = sent[max(0, m.start() - 12):m.start()]
        return neg.search(before) is not None

    @staticmethod
    def _hits(pats: dict[str, re.Pattern[str] | None], text: str) -> dict[str, re.Match[str] | None]:
        return {k: (p.search(text) if p is not None else None) for k, p in pats.items()}

    def _polarity_hits(self, pats: dict[str, re.Pattern[str] | None], sent: str, j: int,
                       hits: dict[str, re.Match[str] | None], option_cues: Callable[[str], list[int]] | None
                       ) -> dict[str, re.Match[str] | None]:
        """Support/oppose/negation cues of the clauses that carry option j (the whole sentence if none does)."""
        if (option_cues is None or "clauses" in self.disabled or self.patterns.clause_break is None
                or not (hits["oppose"] or hits["negation"])):
            return hits
        clauses = [c for c in self.patterns.clause_break.split(sent) if c.strip()]
        if len(clauses) < 2:
            return hits
        mine = [c for c in clauses if option_cues(c)[j]]
        if not mine or len(mine) == len(clauses):
            return hits
        return self._hits(pats, " ; ".join(mine))

    def find(self, lang: str, sentences: Sequence[str], actors: Sequence[Counter[str]], cues: np.ndarray,
             sprobs: np.ndarray, margins: np.ndarray, article_scores: Sequence[float], tagged: Sequence[bool],
             find: Callable[[str], Counter[str]], has_title: bool = True,
             option_cues: Callable[[str], list[int]] | None = None) -> tuple[Stance, ...]:
        inst = self.instances(lang, sentences, actors, cues, sprobs, margins, article_scores, tagged, find,
                              has_title, option_cues)
        return decide(self.head, sentences, inst)


def decide(head: StanceHead, sentences: Sequence[str], inst: list[Instance]) -> tuple[Stance, ...]:
    """The best instance per (actor, option) above the head's threshold: its score, polarity and sentence."""
    if not inst:
        return ()
    p = _sigmoid(np.stack([s.x for s in inst]) @ np.asarray(head.weights, dtype=np.float32) + head.bias)
    po = _sigmoid(np.stack([s.px for s in inst]) @ np.asarray(head.polarity_weights, dtype=np.float32)
                  + head.polarity_bias)
    best: dict[tuple[str, str], int] = {}
    for k, s in enumerate(inst):
        key = (s.actor_id, s.option_id)
        if key not in best or p[k] > p[best[key]]:
            best[key] = k
    out = [
        Stance(a, o, "oppose" if po[k] >= 0.5 else "support", round(float(p[k]), 4), sentences[inst[k].sentence])
        for (a, o), k in best.items() if p[k] >= head.threshold
    ]
    return tuple(sorted(out, key=lambda s: (-s.score, s.actor_id, s.option_id)))


def stance_head_path(heads: Path, cues: StanceCues, encoder_name: str) -> Path:
    """Heads are per cue version and encoder: the features read the encoder's sentence signals."""
    return heads / f"stance-{cues.version}-{encoder_name}.json"


def load_finder(taxonomy: Taxonomy, cues: StanceCues, heads: Path, encoder_name: str) -> StanceFinder:
    """The fitted head for these cues and this encoder when one ships; else hand-set weights."""
    path = stance_head_path(heads, cues, encoder_name)
    return StanceFinder(taxonomy, cues, StanceHead.load(path) if path.exists() else None)
