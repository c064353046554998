"""Pydantic's validation errors as one line a user can act on: which entry of the file, which key, what is wrong."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from models.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def where(loc: tuple[int | str, ...], raw: Any) -> str:
    """('sources', 2, 'url') → "[[sources]] #3 ('Kyiv Wire') key `url`": an entry is named by its name or id."""
    parts: list[str] = []
    node = raw
    for i, step in enumerate(loc):
        if isinstance(step, int):
            entry = node[step] if isinstance(node, list) and step < len(node) else None
            label = (entry.get("name") or entry.get("id")) if isinstance(entry, dict) else None
            parts.append(f"#{step + 1}" + (f" ({label!r})" if label else ""))
            node = entry
        else:
            array = i + 1 < len(loc) and isinstance(loc[i + 1], int)
            parts.append(f"[[{step}]]" if array else f"key `{step}`")
            node = node.get(step) if isinstance(node, dict) else None
    return " ".join(parts) or "the top level"


def first_problem(e: ValidationError, raw: Any) -> tuple[str, str]:
    """(key, message) for the first error: a key like `sources.3.url`, and a message naming the entry."""
    first = e.errors()[0]
    loc = tuple(first["loc"])
    key = ".".join(str(p + 1) if isinstance(p, int) else p for p in loc)
    if first["type"] == "missing":
        what = f"{where(loc[:-1], raw)} is missing key `{loc[-1]}`" if len(loc) > 1 else f"has no `{loc[0]}`"
    else:
        msg = str(first["msg"]).removeprefix("Value error, ")
        got = "" if repr(first.get("input")) in msg else f" (got {first.get('input')!r})"
        what = f"{where(loc, raw)}: {msg}{got}"
    more = f" ({len(e.errors()) - 1} more problem(s) after this one)" if len(e.errors()) > 1 else ""
    return key, what + more


def read_toml(path: Path, kind: str, not_found: str, fix: str) -> Any:
    """The parsed TOML file `path` (a "sources file", a "taxonomy file"), or ConfigError naming it and what to do."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ConfigError(f"{kind} not found: {path}. {not_found}", path=path) from e
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read {kind} {path} ({e}). {fix}", path=path) from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{kind} {path} is not valid TOML: {e}. Fix the syntax.", path=path) from e


def validate(model: type[M], raw: Any, path: Path, kind: str, layout: str) -> M:
    """`raw` as `model`, or ConfigError naming the file, the entry and key, and the expected layout."""
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        key, what = first_problem(e, raw)
        raise ConfigError(f"{kind} {path}: {what}. {layout}", path=path, key=key) from e
