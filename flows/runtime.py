"""How flows run: as recorded Prefect flow runs, or, in a one-shot command with no Prefect API, as plain calls.

With no Prefect API configured, every Prefect flow run first starts a temporary API server (SQLite) in a
child process: 6–13 s here, and a SIGKILLed command leaves that ~200 MB server behind. Importing prefect
alone costs 2–5 s. So a one-shot CLI command (`ingest`, `tag`, `run`, …; flows.one_shot()) with no API
configured neither imports prefect nor starts a server; it runs the flows' plain functions:

- a flow call runs `flow.fn` (no flow run recorded);
- a task call runs `task.fn`, retried as the task's `retries` / `retry_delay_seconds` say;
- `task.submit` runs it in a thread pool sized like the flow's task runner (`threads(n)`), and returns a
  future with Prefect's `result(raise_on_failure=…)` and `wait()`; use `as_completed` from this module.

With an API configured (`PREFECT_API_URL` in the environment, the active Prefect profile or ./prefect.toml),
the same calls are real Prefect flow and task runs recorded on that server; an API that does not answer
fails at once with PrefectUnavailable. Outside the CLI (tests, `serve`, deployments, a user's own Python)
flows are always Prefect flow runs.

Flow modules take `flow`, `task`, `as_completed`, `run_logger`, `NO_CACHE` and `threads` from here, never
from prefect at module level. `flow` and `task` accept Prefect's own options. What they return becomes
Prefect's Flow or Task (a subclass) in place on first use outside plain mode, or at once when prefect is
already imported (as in a worker or a deployment loading its entrypoint), so `isinstance(…, prefect.Flow)`,
`serve`, `with_options` and deployments work unchanged.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import importlib
import logging
import os
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Generic, ParamSpec, TypeVar, overload

from flows import ONE_SHOT, one_shot
from models.errors import PledgewatchError, PrefectUnavailable

P = ParamSpec("P")
R = TypeVar("R")
LOGGER = logging.getLogger("pledgewatch.flows")
MAX_THREADS = 16  # a plain flow's pool when its task runner sets no limit
_POOL: contextvars.ContextVar[concurrent.futures.ThreadPoolExecutor | None] = contextvars.ContextVar(
    "pledgewatch_pool", default=None
)
_BECOME = threading.RLock()
__all__ = ["NO_CACHE", "PlainFuture", "api_url", "as_completed", "flow", "in_run", "one_shot", "plain", "run_logger",
           "task", "threads"]


class Deferred:
    """A Prefect object named in a decorator, built only when the flow or task becomes Prefect's."""

    def __init__(self, module: str, name: str, **kwargs: Any) -> None:
        self.module, self.name, self.kwargs = module, name, kwargs

    def build(self) -> Any:
        obj = getattr(importlib.import_module(self.module), self.name)
        return obj(**self.kwargs) if self.kwargs else obj


NO_CACHE = Deferred("prefect.cache_policies", "NO_CACHE")


def threads(max_workers: int) -> Deferred:
    """Prefect's ThreadPoolTaskRunner(max_workers), as a task_runner option; plain runs use as many threads."""
    return Deferred("prefect.task_runners", "ThreadPoolTaskRunner", max_workers=max_workers)


def _built(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v.build() if isinstance(v, Deferred) else v for k, v in options.items()}


# --- is a Prefect API configured? (without importing prefect) -----------------------------------------------


def _profile_api_url() -> str | None:
    home = Path(os.environ.get("PREFECT_HOME") or "~/.prefect").expanduser()
    profiles = Path(os.environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml").expanduser()
    try:
        data = tomllib.loads(profiles.read_text(encoding="utf-8")) if profiles.is_file() else {}
        local = tomllib.loads(Path("prefect.toml").read_text(encoding="utf-8")) if Path("prefect.toml").is_file() else {}
    except (OSError, tomllib.TOMLDecodeError):
        return None
    active = os.environ.get("PREFECT_PROFILE") or data.get("active") or "ephemeral"
    url = data.get("profiles", {}).get(active, {}).get("PREFECT_API_URL") or local.get("api", {}).get("url")
    return str(url) if url else None


def api_url() -> str | None:
    """The configured Prefect API: the environment, the active Prefect profile, or ./prefect.toml."""
    if "prefect.settings" in sys.modules:  # already paid for: ask Prefect itself
        from prefect.settings import PREFECT_API_URL

        return PREFECT_API_URL.value() or None
    return os.environ.get("PREFECT_API_URL") or _profile_api_url()


def plain() -> bool:
    """True when flows and tasks run as plain calls: a one-shot command with no Prefect API configured."""
    return ONE_SHOT.get() and not api_url()


@cache
def check_api(url: str) -> None:
    """Fail fast, with one line, when a Prefect API is configured but nothing answers there (once per process)."""
    import httpx

    key = os.environ.get("PREFECT_API_KEY")
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        resp = httpx.get(url.rstrip("/") + "/health", headers=headers, timeout=5.0)
    except httpx.HTTPError as e:
        reason = f"{type(e).__name__}: {e}"
    else:
        if resp.status_code < 400:
            return
        reason = f"HTTP {resp.status_code}"
    raise PrefectUnavailable(
        f"the Prefect API at PREFECT_API_URL={url} cannot be reached ({reason}). Start it "
        "(`prefect server start`), or unset PREFECT_API_URL to run without recording the run in Prefect.",
        api_url=url,
    )


# --- recorded runs -----------------------------------------------------------------------------------------


class _Quiet(logging.Filter):
    """Keep Prefect's console from printing a traceback for an error the CLI reports in one line.
    Prefect's API log handler still receives the record, so the Prefect UI shows the failure in full."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("prefect"):
            return True
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, PledgewatchError):
            return False
        return not (ONE_SHOT.get() and "Finished in state Failed" in record.getMessage())


def in_run() -> bool:
    """Inside a recorded Prefect flow or task run."""
    if "prefect.context" not in sys.modules:
        return False
    from prefect.context import FlowRunContext, TaskRunContext

    return FlowRunContext.get() is not None or TaskRunContext.get() is not None


def _recorded_entry() -> None:
    """Before a top-level recorded flow run: the API answers, and the console stays quiet on our errors."""
    if in_run():
        return
    url = api_url()
    if url:
        check_api(url)
    if ONE_SHOT.get():
        from prefect.logging.handlers import PrefectConsoleHandler

        for handler in (h for lg in (logging.getLogger(), logging.getLogger("prefect")) for h in lg.handlers):
            if isinstance(handler, PrefectConsoleHandler) and not any(isinstance(f, _Quiet) for f in handler.filters):
                handler.addFilter(_Quiet())


def run_logger(fallback: logging.Logger = LOGGER) -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    """Prefect's run logger inside a recorded run (its lines go to the Prefect UI); else `fallback`."""
    if not in_run():
        return fallback
    from prefect.logging import get_run_logger

    return get_run_logger()


# --- plain runs --------------------------------------------------------------------------------------------


class PlainFuture(Generic[R]):
    """A submitted plain task: the parts of PrefectFuture the flows use."""

    def __init__(self, future: concurrent.futures.Future[R]) -> None:
        self.future = future

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> R | BaseException:
        try:
            return self.future.result(timeout)
        except Exception as e:
            if raise_on_failure:
                raise
            return e

    def wait(self, timeout: float | None = None) -> None:
        concurrent.futures.wait([self.future], timeout)


def as_completed(futures: Iterable[Any]) -> Iterator[Any]:
    """Prefect's `as_completed`, or the same over plain futures."""
    futures = list(futures)
    if not all(isinstance(f, PlainFuture) for f in futures):
        from prefect.futures import as_completed as prefect_as_completed

        yield from prefect_as_completed(futures)
        return
    by_inner = {id(f.future): f for f in futures}
    for inner in concurrent.futures.as_completed([f.future for f in futures]):
        yield by_inner[id(inner)]


def _workers(task_runner: Any) -> int:
    n = task_runner.kwargs.get("max_workers") if isinstance(task_runner, Deferred) else getattr(
        task_runner, "_max_workers", None)
    return min(int(n or MAX_THREADS), MAX_THREADS)


def _plain_flow(fn: Callable[..., R], name: str, workers: int, args: Any, kwargs: Any) -> R:
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
    token = _POOL.set(pool)
    ok = False
    try:
        result = fn(*args, **kwargs)
        ok = True
        return result
    finally:
        _POOL.reset(token)
        pool.shutdown(wait=True, cancel_futures=not ok)  # a failed flow does not start its queued tasks


def _delay(spec: Any, attempt: int) -> float:
    if isinstance(spec, Sequence) and spec:
        return float(spec[min(attempt, len(spec) - 1)])
    return float(spec) if isinstance(spec, int | float) else 0.0


def _plain_task(fn: Callable[..., R], name: str, retries: int, delays: Any, args: Any, kwargs: Any) -> R:
    for attempt in range(retries + 1):
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            if attempt >= retries:
                raise
            wait = _delay(delays, attempt)
            LOGGER.info("task %s failed (%s); retry %d of %d in %.0fs", name, e, attempt + 1, retries, wait)
            time.sleep(wait)
    raise AssertionError("unreachable")


def _submit(run: Callable[..., R], *args: Any) -> PlainFuture[R]:
    pool = _POOL.get()
    f: concurrent.futures.Future[R]
    if pool is None:  # outside a flow: run now
        f = concurrent.futures.Future()
        try:
            f.set_result(run(*args))
        except Exception as e:
            f.set_exception(e)
        return PlainFuture(f)
    return PlainFuture(pool.submit(contextvars.copy_context().run, run, *args))


# --- declarations ------------------------------------------------------------------------------------------


class _Declared(Generic[P, R]):
    """A flow or task declared without importing prefect. `_become()` turns it into Prefect's object in place."""

    def __init__(self, fn: Callable[P, R], options: dict[str, Any]) -> None:
        self.fn = fn
        self.options = options
        self.name: str = options.get("name") or fn.__name__
        self.__doc__ = fn.__doc__
        if "prefect" in sys.modules:  # a worker or deployment loading this module: be Prefect's object now
            self._become()

    def _prefect_class(self) -> type:
        raise NotImplementedError

    def _become(self) -> None:
        with _BECOME:
            if not isinstance(self, _Declared):  # another thread got here first
                return
            fn, options = self.fn, _built(self.options)
            cls = self._prefect_class()
            self.__dict__.clear()
            self.__class__ = cls  # type: ignore[assignment]
            cls.__init__(self, fn=fn, **options)  # type: ignore[misc]

    def __getattr__(self, name: str) -> Any:  # anything but the plain call: Prefect's object
        if name.startswith("__") or "options" not in self.__dict__:
            raise AttributeError(name)
        self._become()
        return getattr(self, name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} (prefect not loaded yet)>"


class DeclaredFlow(_Declared[P, R]):
    def _prefect_class(self) -> type:
        return _prefect_flow_class()

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if plain():
            return _plain_flow(self.fn, self.name, _workers(self.options.get("task_runner")), args, kwargs)
        self._become()
        return self(*args, **kwargs)  # now Prefect's Flow.__call__ (below)


class DeclaredTask(_Declared[P, R]):
    def _prefect_class(self) -> type:
        return _prefect_task_class()

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if plain():
            return _plain_task(self.fn, self.name, self.options.get("retries") or 0,
                               self.options.get("retry_delay_seconds"), args, kwargs)
        self._become()
        return self(*args, **kwargs)

    def submit(self, *args: Any, **kwargs: Any) -> Any:
        if plain():
            return _submit(_plain_task, self.fn, self.name, self.options.get("retries") or 0,
                           self.options.get("retry_delay_seconds"), args, kwargs)
        self._become()
        return self.submit(*args, **kwargs)


@cache
def _prefect_flow_class() -> type:
    import prefect.flows

    class Flow(prefect.flows.Flow):  # type: ignore[type-arg]
        """Prefect's Flow; still a plain call in a one-shot command with no API (e.g. after a test imported prefect)."""

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            if plain():
                return _plain_flow(self.fn, self.name, _workers(self.task_runner), args, kwargs)
            _recorded_entry()
            return super().__call__(*args, **kwargs)

        def with_options(self, **options: Any) -> Any:
            new = super().with_options(**options)
            new.__class__ = type(self)  # Prefect builds its own Flow class there
            return new

    Flow.__module__ = __name__
    return Flow


@cache
def _prefect_task_class() -> type:
    import prefect.tasks

    class Task(prefect.tasks.Task):  # type: ignore[type-arg]
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            if plain():
                return _plain_task(self.fn, self.name, self.retries or 0, self.retry_delay_seconds, args, kwargs)
            return super().__call__(*args, **kwargs)

        def submit(self, *args: Any, **kwargs: Any) -> Any:
            if plain():
                return _submit(_plain_task, self.fn, self.name, self.retries or 0, self.retry_delay_seconds,
                               args, kwargs)
            return super().submit(*args, **kwargs)

        def with_options(self, **options: Any) -> Any:
            new = super().with_options(**options)
            new.__class__ = type(self)
            return new

    Task.__module__ = __name__
    return Task


@overload
def flow(fn: Callable[P, R], /) -> DeclaredFlow[P, R]: ...
@overload
def flow(**options: Any) -> Callable[[Callable[P, R]], DeclaredFlow[P, R]]: ...
def flow(fn: Callable[P, R] | None = None, /, **options: Any) -> Any:
    """`@flow` or `@flow(name=…, task_runner=threads(8), …)`: Prefect's options, declared lazily."""
    if fn is not None:
        return DeclaredFlow(fn, options)
    return lambda f: DeclaredFlow(f, options)


@overload
def task(fn: Callable[P, R], /) -> DeclaredTask[P, R]: ...
@overload
def task(**options: Any) -> Callable[[Callable[P, R]], DeclaredTask[P, R]]: ...
def task(fn: Callable[P, R] | None = None, /, **options: Any) -> Any:
    """`@task` or `@task(name=…, retries=2, cache_policy=NO_CACHE)`: Prefect's options, declared lazily."""
    if fn is not None:
        return DeclaredTask(fn, options)
    return lambda f: DeclaredTask(f, options)
