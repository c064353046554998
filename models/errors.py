"""Errors. One root, with a marker for whether retrying can help.

    PledgewatchError
    ├── TransientError          retrying later may succeed
    │   ├── FetchTimeout
    │   ├── FetchHTTPError      5xx, 429
    │   └── DatabaseLocked      another process holds the DuckDB write lock
    └── TerminalError           retrying will not help; fix the input
        ├── ConfigError         bad sources file, taxonomy or setting
        ├── FetchRejected       4xx, bad scheme, too large, redirect loop
        └── InputError          a malformed input line or file
"""


class PledgewatchError(Exception):
    """Root of every error pledgewatch raises on purpose."""


class TransientError(PledgewatchError):
    """Retrying later may succeed."""


class TerminalError(PledgewatchError):
    """Retrying will not help until the input or configuration changes."""


class FetchTimeout(TransientError):
    pass


class FetchHTTPError(TransientError):
    pass


class DatabaseLocked(TransientError):
    pass


class ConfigError(TerminalError):
    pass


class FetchRejected(TerminalError):
    pass


class InputError(TerminalError):
    pass
