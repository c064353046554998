"""Where tag batches run, from settings: threads in this process (default) or a Dask cluster.

Fetches always run on threads: they wait on the network, and one politeness gate per process keeps the
per-host limits. Tagging is CPU-bound, so that is what a cluster speeds up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models.errors import ConfigError
from models.settings import Settings

if TYPE_CHECKING:  # prefect is imported only when a recorded run needs a runner (flows/runtime.py)
    from prefect.task_runners import TaskRunner


def task_runner(settings: Settings) -> TaskRunner[Any]:
    from prefect.task_runners import ThreadPoolTaskRunner

    if settings.task_runner == "dask":
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError as e:
            raise ConfigError(
                "PLEDGEWATCH_TASK_RUNNER=dask needs the dask extra: pip install -e '.[dask]' (or set it to thread)"
            ) from e
        if settings.dask_address:
            return DaskTaskRunner(address=settings.dask_address)
        # A local cluster of worker processes, one thread each: torch already uses every core it is given.
        return DaskTaskRunner(cluster_kwargs={
            "n_workers": settings.dask_workers, "threads_per_worker": 1, "processes": True, "dashboard_address": None,
        })
    # One batch at a time: the encoder uses all cores itself; the next batch is tagged while one is written.
    return ThreadPoolTaskRunner(max_workers=1)


def in_flight(settings: Settings) -> int:
    """Batches submitted ahead of the one being written, so a long backfill does not sit in memory at once."""
    return 2 * settings.dask_workers if settings.task_runner == "dask" else 2
