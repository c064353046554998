"""The feed list: a TOML file of `[[sources]]` tables."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, field_validator

from models.domain import Source
from models.validation import read_toml, validate

# Bundled feed lists, usable by name (`--sources ukraine-security`): models/data/sources/NAME.toml.
BUNDLED = Path(__file__).parent / "data" / "sources"


class _Source(BaseModel):
    name: str
    url: str
    lang: str | None = None
    full_text: bool = False

    @field_validator("url")
    @classmethod
    def _scheme(cls, v: str) -> str:
        if not v.startswith(("http://", "https://", "file:")):
            raise ValueError(f"url {v!r} must start with http://, https:// or file:")
        return v


class _Sources(BaseModel):
    sources: list[_Source]


def resolve_url(url: str, base: Path) -> str:
    """`file:name.xml` (no slashes) is relative to the sources file's folder; everything else is kept as is."""
    if url.startswith("file:") and not url.startswith("file:/"):
        return (base / url[len("file:"):]).resolve().as_uri()
    return url


def bundled_names() -> list[str]:
    return sorted(p.stem for p in BUNDLED.glob("*.toml"))


def resolve_sources(path: Path) -> Path:
    """A path as given, or a bundled list's file when `path` is a bare name like `ukraine-security`."""
    bundled = BUNDLED / f"{path}.toml"
    if not path.exists() and path.parent == Path(".") and not path.suffix and bundled.exists():
        return bundled
    return path


def load_sources(path: Path) -> list[Source]:
    """Read a sources TOML file (or a bundled list by name). Raises ConfigError naming the file, the entry and key,
    and what to fix."""
    path = resolve_sources(path)
    raw = read_toml(path, "sources file",
                    f"Pass --sources FILE.toml or a bundled list: {', '.join(bundled_names())}.",
                    "Pass --sources FILE.toml.")
    parsed = validate(_Sources, raw, path, "sources file",
                      "The file holds [[sources]] tables, each with `name` and an http(s):// or file: `url`.")
    return [Source(s.name, resolve_url(s.url, path.parent), s.lang, s.full_text) for s in parsed.sources]
