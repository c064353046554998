"""The `tag-file` contract: JSON Lines in, JSON Lines out, one line per input line."""

from __future__ import annotations

import json
from typing import Any

from extractors.tagger import Doc
from models.domain import TagResult
from models.taxonomy import Taxonomy


def parse_lines(lines: list[str]) -> list[Doc | str]:
    """A Doc per good line; for a bad line, an error text naming its line number."""
    out: list[Doc | str] = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            out.append(f"line {n}: empty line; expected a JSON object with id, title and text")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            out.append(f"line {n}: not valid JSON ({e.msg} at column {e.colno})")
            continue
        if not isinstance(obj, dict) or "id" not in obj or not isinstance(obj.get("text", ""), str):
            out.append(f"line {n}: expected an object with id, title and text")
            continue
        out.append(Doc(str(obj["id"]), str(obj.get("title") or ""), obj.get("text") or "", obj.get("lang") or None))
    return out


def result_json(r: TagResult, taxonomy: Taxonomy) -> dict[str, Any]:
    return {
        "id": r.doc_id,
        "lang": r.lang,
        "options": [
            {"id": o.option_id, "score": o.score, "evidence": [e.sentence for e in o.evidence],
             "evidence_scores": [e.score for e in o.evidence]}
            for o in r.options
        ],
        "actors": [{"id": a.actor_id, "mentions": a.mentions} for a in r.actors],
        "stances": [{"actor": s.actor_id, "option": s.option_id, "stance": s.stance, "score": s.score,
                     "evidence": s.evidence} for s in r.stances],
        "tagger_version": r.tagger_version,
        "taxonomy_version": taxonomy.version,
    }
