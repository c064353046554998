"""Build the tagger once per process from settings."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from extractors.encoders import load_encoder
from extractors.evidence import EvidenceRanker
from extractors.stance import StanceFinder
from extractors.tagger import Head, Tagger
from models.settings import DATA
from models.stances import load_stance_cues
from models.taxonomy import Taxonomy, load_taxonomy

HEADS = DATA / "heads"


@lru_cache(maxsize=2)
def build_tagger(taxonomy_path: Path, encoder: str, refitting: bool = False) -> Tagger:
    """The shipped head is used when one was fitted for this encoder and taxonomy; else hand-set weights.

    `refitting`: the stance head and evidence ranker are the hand-set ones, for the commands that refit them
    (a file fitted on other features must not stop its own refit)."""
    taxonomy = load_taxonomy(taxonomy_path)
    enc = load_encoder(encoder)
    path = head_path(taxonomy, enc.name)
    head = Head.load(path) if path.exists() else None
    if refitting:
        return Tagger(taxonomy, enc, head, StanceFinder(taxonomy, load_stance_cues()), EvidenceRanker.default())
    return Tagger(taxonomy, enc, head)


def head_path(taxonomy: Taxonomy, encoder_name: str) -> Path:
    return HEADS / f"{taxonomy.name}-{taxonomy.version}-{encoder_name}.json"
