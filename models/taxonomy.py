"""The taxonomy file: options and actors, versioned. Validated with pydantic at the edge, used as dataclasses inside."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, field_validator

from models.errors import ConfigError
from models.validation import read_toml, validate


class _Option(BaseModel):
    id: str
    label: str
    description: str
    cues: dict[str, list[str]] = {}
    prototypes: dict[str, list[str]] = {}


class _Actor(BaseModel):
    id: str
    kind: Literal["state", "org", "person"]
    wikidata: str = ""
    state: str | None = None
    aliases: dict[str, list[str]]
    capitals: dict[str, list[str]] = {}
    metonyms: dict[str, list[str]] = {}

    @field_validator("aliases")
    @classmethod
    def _non_empty(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        if not any(v.values()):
            raise ValueError("an actor needs at least one alias")
        return v


class _Background(BaseModel):
    prototypes: dict[str, list[str]] = {}


class _Taxonomy(BaseModel):
    name: str
    version: str
    topic_actors: list[str] = []
    topic_terms: dict[str, list[str]] = {}
    venue_prepositions: dict[str, list[str]] = {}
    venue_suffixes: dict[str, list[str]] = {}
    options: list[_Option]
    actors: list[_Actor]
    background: _Background = _Background()


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    description: str
    cues: dict[str, tuple[str, ...]]
    prototypes: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Actor:
    id: str
    kind: str
    wikidata: str
    state: str | None
    aliases: dict[str, tuple[str, ...]]
    capitals: dict[str, tuple[str, ...]]
    metonyms: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Taxonomy:
    name: str
    version: str
    options: tuple[Option, ...]
    actors: tuple[Actor, ...]
    background: dict[str, tuple[str, ...]]
    venue_prepositions: dict[str, tuple[str, ...]]
    topic_actors: frozenset[str] = frozenset()
    venue_suffixes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    topic_terms: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.options)

    def label(self, option_id: str) -> str:
        return next((o.label for o in self.options if o.id == option_id), option_id)


def _tuples(d: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    return {k: tuple(v) for k, v in d.items()}


def load_taxonomy(path: Path) -> Taxonomy:
    """Read and validate a taxonomy TOML file. Raises ConfigError naming the file and the problem."""
    raw = read_toml(path, "taxonomy file", "Pass --taxonomy or set PLEDGEWATCH_TAXONOMY.", "Pass --taxonomy FILE.toml.")
    t = validate(_Taxonomy, raw, path, "taxonomy file", "See models/data/taxonomy.toml for the layout.")
    ids = [a.id for a in t.actors] + [o.id for o in t.options]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    unknown = sorted(set(t.topic_actors) - {a.id for a in t.actors})
    if unknown:
        raise ConfigError(f"taxonomy file {path}: topic_actors names unknown actors {unknown}.", path=path,
                          key="topic_actors")
    for table, per_lang in (("topic_terms", t.topic_terms), ("venue_suffixes", t.venue_suffixes)):
        for lang, terms in per_lang.items():
            for term in terms:
                try:
                    re.compile(term)
                except re.error as e:
                    raise ConfigError(f"taxonomy file {path}: {table}.{lang} {term!r} is not a valid regular "
                                      f"expression ({e}).", path=path, key=f"{table}.{lang}") from e
    if dupes:
        raise ConfigError(f"taxonomy file {path} repeats ids {dupes}; every option and actor id must be unique.",
                          path=path, key="id")
    return Taxonomy(
        name=t.name,
        version=t.version,
        options=tuple(Option(o.id, o.label, o.description, _tuples(o.cues), _tuples(o.prototypes)) for o in t.options),
        actors=tuple(
            Actor(a.id, a.kind, a.wikidata, a.state, _tuples(a.aliases), _tuples(a.capitals), _tuples(a.metonyms))
            for a in t.actors
        ),
        background=_tuples(t.background.prototypes),
        venue_prepositions=_tuples(t.venue_prepositions),
        venue_suffixes=_tuples(t.venue_suffixes),
        topic_actors=frozenset(t.topic_actors),
        topic_terms=_tuples(t.topic_terms),
    )
