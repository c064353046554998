"""Build the tagger once per process from settings."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from extractors.encoders import load_encoder
from extractors.tagger import Head, Tagger
from models.settings import DATA
from models.taxonomy import load_taxonomy

HEADS = DATA / "heads"


@lru_cache(maxsize=2)
def build_tagger(taxonomy_path: Path, encoder: str) -> Tagger:
    """The shipped head is used when one was fitted for this encoder and taxonomy; else hand-set weights."""
    taxonomy = load_taxonomy(taxonomy_path)
    enc = load_encoder(encoder)
    head_path = HEADS / f"{taxonomy.name}-{taxonomy.version}-{enc.name}.json"
    head = Head.load(head_path) if head_path.exists() else None
    return Tagger(taxonomy, enc, head)
