"""Prefect flows and the CLI. Flows only orchestrate: logic lives in extractors/, storage/ and models/."""

import os

# Before prefect is imported anywhere: no telemetry, no model hub, and room for a slow first start.
for _key, _value in {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_key, _value)

from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from contextvars import ContextVar  # noqa: E402

# Set by the CLI around each command, without importing prefect: in a one-shot command with no Prefect API
# configured, flows/runtime.py runs flows and tasks as plain calls (no temporary Prefect server).
ONE_SHOT: ContextVar[bool] = ContextVar("pledgewatch_one_shot", default=False)


@contextmanager
def one_shot() -> Iterator[None]:
    """Mark a one-shot command (the CLI): flows in it run plainly unless a Prefect API is configured."""
    token = ONE_SHOT.set(True)
    try:
        yield
    finally:
        ONE_SHOT.reset(token)
