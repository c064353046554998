"""Errors: one tree. Each class carries its facts as attributes, and its branch says whether retrying can help.

    PledgewatchError                 message, exit_code (1)
    ├── TransientError               retrying later may succeed (exit 75, EX_TEMPFAIL: a scheduler may retry)
    │   ├── FetchTimeout             url, timeout_s
    │   ├── FetchHTTPError           url, status, retry_after_s   5xx, 429, a connection that failed
    │   ├── DatabaseLocked           path, waited_s               another process holds the DuckDB lock
    │   └── PrefectUnavailable       api_url                      PREFECT_API_URL is set but does not answer
    └── TerminalError                retrying will not help until the input or configuration changes (exit 1)
        ├── ConfigError              path, key                    a bad sources file, taxonomy or database
        │   ├── SettingError         setting, value, expected     a malformed PLEDGEWATCH_* value
        │   ├── EncoderUnavailable   encoder                      an encoder that cannot be loaded offline
        │   └── NotADatabase         path                         --db names a file that is not a DuckDB database
        ├── StorageError             path                         any other DuckDB error, translated in storage/db.py
        ├── UsageError               option, value                a bad command-line argument (exit 2)
        │   └── QueryError           sql                          a user's SQL failed: syntax, unknown table…
        │       └── ReadOnlyQuery    sql                          a write statement on a read-only connection
        ├── FetchRejected            url, status                  4xx, bad scheme, too large, redirect loop
        └── InputError               path, line                   a malformed input line or file

The message says what is wrong and what to do; the attributes let code (and tests) act on the facts without
parsing text. Every fact is keyword-only and optional, so `ConfigError("…")` stays valid, and every error
pickles with its facts (task runners may move exceptions between processes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar


def _rebuild(cls: type[PledgewatchError], message: str, facts: dict[str, Any]) -> PledgewatchError:
    e = cls.__new__(cls)
    PledgewatchError.__init__(e, message)
    e.__dict__.update(facts)
    return e


class PledgewatchError(Exception):
    """Root of every error pledgewatch raises on purpose."""

    exit_code: ClassVar[int] = 1

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    @property
    def facts(self) -> dict[str, Any]:
        """The attributes beside the message, e.g. {"url": …, "status": 503, "retry_after_s": 120.0}."""
        return {k: v for k, v in vars(self).items() if k != "message" and not k.startswith("_")}

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.facts))


class TransientError(PledgewatchError):
    """Retrying later may succeed."""

    exit_code = 75


class TerminalError(PledgewatchError):
    """Retrying will not help until the input or configuration changes."""


class FetchTimeout(TransientError):
    def __init__(self, message: str = "", *, url: str | None = None, timeout_s: float | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.timeout_s = timeout_s


class FetchHTTPError(TransientError):
    """A 5xx or 429 answer (`status`), or a connection that failed (`status` None)."""

    def __init__(self, message: str = "", *, url: str | None = None, status: int | None = None,
                 retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.retry_after_s = retry_after_s


class DatabaseLocked(TransientError):
    def __init__(self, message: str = "", *, path: Path | None = None, waited_s: float | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.waited_s = waited_s


class PrefectUnavailable(TransientError):
    def __init__(self, message: str = "", *, api_url: str | None = None) -> None:
        super().__init__(message)
        self.api_url = api_url


class ConfigError(TerminalError):
    """A file or setting that needs fixing: `path` is the file, `key` the entry in it, where known."""

    def __init__(self, message: str = "", *, path: Path | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.key = key


class SettingError(ConfigError):
    """`setting` is what the user typed it as: `PLEDGEWATCH_TIMEOUT_S` or `--wait`."""

    def __init__(self, message: str = "", *, setting: str | None = None, value: Any = None,
                 expected: str | None = None) -> None:
        super().__init__(message, key=setting)
        self.setting = setting
        self.value = value
        self.expected = expected


class EncoderUnavailable(ConfigError):
    def __init__(self, message: str = "", *, encoder: str | None = None) -> None:
        super().__init__(message, key="encoder")
        self.encoder = encoder


class NotADatabase(ConfigError):
    def __init__(self, message: str = "", *, path: Path | None = None) -> None:
        super().__init__(message, path=path)


class StorageError(TerminalError):
    def __init__(self, message: str = "", *, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


class UsageError(TerminalError):
    """A bad command-line argument: `option` as typed (`--week`), and the `value` given."""

    exit_code = 2

    def __init__(self, message: str = "", *, option: str | None = None, value: Any = None) -> None:
        super().__init__(message)
        self.option = option
        self.value = value


class QueryError(UsageError):
    def __init__(self, message: str = "", *, sql: str | None = None) -> None:
        super().__init__(message, option="SQL", value=sql)
        self.sql = sql


class ReadOnlyQuery(QueryError):
    pass


class FetchRejected(TerminalError):
    def __init__(self, message: str = "", *, url: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class InputError(TerminalError):
    def __init__(self, message: str = "", *, path: Path | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
