"""The labelled sets the quality gate scores: the project's own sample items, and ../shared/eval/dev.jsonl."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from extractors.evaluate import Labelled, evidence_labels
from extractors.feeds import parse_feed
from extractors.fetch import fetch
from extractors.tagger import Doc
from models.settings import SAMPLE_SOURCES
from models.sources import load_sources


def sample_labels() -> dict[str, dict[str, Any]]:
    """samples/labels.jsonl by URL: one line per sample item (lang, options, actors, evidence, stances)."""
    lines = (SAMPLE_SOURCES.parent / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["url"]: r for r in map(json.loads, lines)}


def sample_items() -> list[Labelled]:
    """The bundled sample feeds joined with their hand labels (samples/labels.jsonl) by URL. The deliberately
    dead sample feed (an HTML error page) yields no items."""
    labels = sample_labels()
    items = []
    for src in load_sources(SAMPLE_SOURCES):
        fetched = fetch(src, user_agent="t", timeout_s=5, max_bytes=10_000_000)
        for a in parse_feed(fetched).articles:
            lab = labels[a.url]
            items.append(Labelled(Doc(a.id, a.title, a.text, lab["lang"]), frozenset(lab["options"]),
                                  frozenset(lab["actors"]), evidence_labels(lab.get("evidence"))))
    return items


def floors(path: Path) -> dict[str, dict[str, float]]:
    import tomllib

    return tomllib.loads(path.read_text(encoding="utf-8"))


