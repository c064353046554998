"""Build the tagger once per process from settings."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from extractors.encoders import load_encoder
from extractors.tagger import Head, Tagger
from models.settings import DATA
from models.taxonomy import Taxonomy, load_taxonomy

HEADS = DATA / "heads"


@lru_cache(maxsize=2)
def build_tagger(taxonomy_path: Path, encoder: str) -> Tagger:
    """The shipped head is used when one was fitted for this encoder and taxonomy; else hand-set weights."""
    taxonomy = load_taxonomy(taxonomy_path)
    enc = load_encoder(encoder)
    path = head_path(taxonomy, enc.name)
    head = Head.load(path) if path.exists() else None
    return Tagger(taxonomy, enc, head)


def head_path(taxonomy: Taxonomy, encoder_name: str) -> Path:
    return HEADS / f"{taxonomy.name}-{taxonomy.version}-{encoder_name}.json"
