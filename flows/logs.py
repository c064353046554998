"""The logger a flow or task writes to: Prefect's run logger inside a run (its lines appear in the Prefect UI
with the run), this module's logger when the same function is called outside one."""

from __future__ import annotations

import logging
from typing import Any

from prefect.exceptions import MissingContextError
from prefect.logging import get_run_logger


def run_logger(fallback: logging.Logger) -> logging.Logger | logging.LoggerAdapter[Any]:
    try:
        return get_run_logger()
    except MissingContextError:
        return fallback
