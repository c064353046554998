"""Stance cues (models/data/stances.toml): speech, support, oppose, negation, neutral and report patterns per
language. Validated with pydantic at the edge (every pattern must compile), used as a frozen dataclass inside."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError, field_validator

from models.errors import ConfigError

STANCE_CUES = Path(__file__).parent / "data" / "stances.toml"
KINDS = ("speech", "support", "oppose", "negation", "neutral", "report")


class _Cues(BaseModel):
    version: str
    troops_rejecters: list[str] = []
    quotes: list[str] = []
    clause_breaks: list[str] = []
    object_prepositions: dict[str, list[str]] = {}
    speech: dict[str, list[str]] = {}
    support: dict[str, list[str]] = {}
    oppose: dict[str, list[str]] = {}
    negation: dict[str, list[str]] = {}
    neutral: dict[str, list[str]] = {}
    report: dict[str, list[str]] = {}

    @field_validator(*KINDS)
    @classmethod
    def _compiles(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for lang, patterns in v.items():
            for p in patterns:
                try:
                    re.compile(p)
                except re.error as e:
                    raise ValueError(f"{lang} pattern {p[:60]!r} does not compile: {e}") from e
        return v


@dataclass(frozen=True)
class StanceCues:
    version: str
    troops_rejecters: frozenset[str]
    quotes: tuple[str, ...]
    clause_breaks: tuple[str, ...]
    object_prepositions: dict[str, tuple[str, ...]]  # lang -> words
    patterns: dict[str, dict[str, tuple[str, ...]]]  # kind -> lang -> regular expressions

    def for_lang(self, kind: str, lang: str) -> tuple[str, ...]:
        """The language's own patterns plus the English ones (English terms turn up in every language)."""
        per_lang = self.patterns.get(kind, {})
        return tuple(p for lg in dict.fromkeys((lang, "en")) for p in per_lang.get(lg, ()))


def load_stance_cues(path: Path = STANCE_CUES) -> StanceCues:
    """Read and validate a stance cue file. Raises ConfigError naming the file and the problem."""
    try:
        c = _Cues.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as e:
        raise ConfigError(f"stance cue file not found: {path}; it ships as models/data/stances.toml.") from e
    except (tomllib.TOMLDecodeError, ValidationError) as e:
        raise ConfigError(f"stance cue file {path} is invalid: {e}") from e
    return StanceCues(
        c.version,
        frozenset(c.troops_rejecters),
        tuple(c.quotes),
        tuple(c.clause_breaks),
        {lang: tuple(ws) for lang, ws in c.object_prepositions.items()},
        {k: {lang: tuple(ps) for lang, ps in getattr(c, k).items()} for k in KINDS},
    )
