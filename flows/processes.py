"""CPU-bound steps (feedparser, HTML to text, MinHash) in worker processes, so a run uses every core.

Fetch tasks run in threads, and parsing in threads holds one GIL: on the 100 × 50 benchmark the second core
stayed idle while feedparser and MinHash took ~8 s of the ~12 s. `Offload` sends such a step to a process pool.

- The pool comes from a forkserver that imports the named modules once; its workers are forked from it, never
  from this multi-threaded process (forking a process with running threads can deadlock the child).
- It starts on the first `run`, so a run where every feed answers 304 never pays for it. Starting costs about
  0.5–1 s (importing feedparser, lxml and numpy), while other feeds are fetched. (Parsing in threads
  meanwhile was slower: the GIL-bound parses and the forkserver's imports fought for the same cores.)
- Workers exit when this process dies, even by SIGKILL (each watches it), and the forkserver and
  multiprocessing's resource tracker follow once no worker holds their pipes. A killed run leaves no process
  behind.
- A worker that dies (a segfault, the OOM killer) breaks the pool: the step reruns in the calling thread,
  and later steps stay there.

Work sent there must be a top-level function of picklable arguments. Copied to another process (a Dask
worker), an `Offload` runs everything inline there.
"""

from __future__ import annotations

import concurrent.futures
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, TypeVar

LOGGER = logging.getLogger(__name__)
R = TypeVar("R")
_WATCH_S = 0.2  # how often a worker checks that the run that started it is still alive


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # killed but not yet reaped by its parent: gone all the same
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rpartition(") ")[2][:1] != "Z"
    except OSError:  # no /proc (macOS): kill(0) said enough
        return True


def _exit_with(run: int) -> None:
    """Worker initializer: quit as soon as the run that started the pool is gone. (Watching the parent is not
    enough: the parent is the forkserver, which stays up as long as any worker does.)"""

    def watch() -> None:
        while _alive(run):
            time.sleep(_WATCH_S)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-run", daemon=True).start()


def _quietly(work: Callable[[], object]) -> None:
    """Background work whose caller does it again when needed, and reports a failure there."""
    try:
        work()
    except Exception:
        LOGGER.debug("background work failed; it is done again when needed", exc_info=True)


def _ready() -> bool:
    return True


class Offload:
    """Runs functions in a pool of worker processes, started on first use, or inline: with fewer than two
    workers, outside the `with` block, or when the pool could not start or broke."""

    def __init__(self, workers: int = 0, preload: Sequence[str] = (), meanwhile: Callable[[], object] | None = None) -> None:
        """`meanwhile`: work for this process, in a thread of its own, started with the pool (this process has a
        core to spare while the forkserver imports)."""
        self.workers = workers
        self._preload = list(preload)
        self._meanwhile = meanwhile
        self.offloaded = 0  # calls that ran in a worker process
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._inline = True
        self._lock = threading.Lock()
        self._counting = threading.Lock()

    def __enter__(self) -> Offload:
        self._inline = self.workers < 2
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        with self._lock:
            pool, self._pool, self._inline = self._pool, None, True
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _started(self) -> concurrent.futures.ProcessPoolExecutor | None:
        """The pool, started by the first caller; the others wait for it here (0.5–1 s: the preloaded
        imports), as they would for a worker anyway."""
        with self._lock:
            if self._pool is None and not self._inline:
                pool = None
                try:
                    ctx = multiprocessing.get_context("forkserver")
                    ctx.set_forkserver_preload(self._preload)
                    pool = concurrent.futures.ProcessPoolExecutor(
                        self.workers, mp_context=ctx, initializer=_exit_with, initargs=(os.getpid(),))
                    if self._meanwhile is not None:
                        threading.Thread(target=_quietly, args=(self._meanwhile,), name="meanwhile", daemon=True).start()
                    pool.submit(_ready).result()  # submit() itself waits for the forkserver's imports
                    self._pool = pool
                except (OSError, ValueError, RuntimeError, BrokenProcessPool) as e:
                    LOGGER.warning("worker processes could not start (%s: %s); the work runs in this process",
                                   type(e).__name__, e)
                    self._inline = True
                    if pool is not None:
                        pool.shutdown(wait=False, cancel_futures=True)
            return None if self._inline else self._pool

    def run(self, fn: Callable[..., R], *args: Any) -> R:
        pool = None if self._inline else self._started()
        if pool is None:
            return fn(*args)
        try:
            fut = pool.submit(fn, *args)
        except (RuntimeError, BrokenProcessPool):  # shut down or broken meanwhile: do it here
            return fn(*args)
        try:
            result = fut.result()
        except BrokenProcessPool:
            if not self._inline:
                LOGGER.warning("a worker process died; the work goes on in this process")
            self._inline = True
            return fn(*args)
        with self._counting:
            self.offloaded += 1
        return result

    def __reduce__(self) -> tuple[Any, ...]:
        return (Offload, ())
