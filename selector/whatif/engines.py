"""Task engines: run a batch of independent solves serially, on a process pool or on Dask.

Each what-if study (:mod:`~selector.whatif.budget_frontier`,
:mod:`~selector.whatif.montecarlo`, :mod:`~selector.whatif.sweeps`) is a batch of
independent solves that :func:`run_tasks` runs in this process, on a local process pool
or on a Dask cluster, with the same numbers whichever runs them.

Engines (``engine=``): ``None`` -- a local process pool with one worker per CPU this
process may use; an int ``N`` -- a local process pool with ``N`` workers, at most those
CPUs (or ``$SELECTOR_MAX_WORKERS``, to allow more); ``"serial"`` -- this process; a
``dask.distributed.Client`` or a scheduler address such as ``"tcp://host:8786"``. With
Dask the scenario is scattered once to every worker, tasks carry only a run index or
an override table, results are kept as each task completes, and a task lost with its
worker is retried (``retries=2``).

Every task is a pure function of (scenario, task description): a Monte Carlo run
draws from its own stream ``SeedSequence(seed).spawn(runs)[i]``, and the solver runs
with a fixed seed on one thread. Exact solves that stop at their time limit, and the
heuristic's time-bounded local search on large scenarios, can still depend on machine
speed; results are identical between engines when the solves finish by their gap.

Ctrl-C or SIGTERM (a ``KeyboardInterrupt`` in this process) ends a study at once: the
pool's worker processes are terminated (they ignore Ctrl-C themselves, so they never
print half a traceback), queued tasks are dropped, and Dask futures are cancelled.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import as_completed as futures_completed
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from selector.errors import ScenarioError, SelectorError
from selector.inputs.scenario import Scenario

__all__ = ["WORKERS_ENV", "Progress", "max_workers", "run_tasks"]

#: Environment variable: the most local worker processes a study may start.
WORKERS_ENV = "SELECTOR_MAX_WORKERS"

#: How long a scheduler address gets to answer.
SCHEDULER_TIMEOUT = "30s"

Progress = Callable[[int, int], None]
"""A progress callback ``(done, total) -> None``."""

T = TypeVar("T")
P = TypeVar("P")


def max_workers() -> int:
    """The most local worker processes: ``$SELECTOR_MAX_WORKERS``, else the CPUs this
    process may use (its CPU affinity, which a container limits, not the host's count)."""
    raw = os.environ.get(WORKERS_ENV, "").strip()
    if raw:
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 4096:
            raise ScenarioError(f"{WORKERS_ENV} is {raw!r}; accepted: a whole number from 1 to 4096")
        return int(raw)
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _check_engine(engine: Any) -> None:
    accepted = (
        "accepted: None (one worker per CPU), a number of local workers >= 1, 'serial', "
        "a dask.distributed.Client or a scheduler address such as 'tcp://host:8786'"
    )
    if engine is None or isinstance(engine, str):
        return
    if isinstance(engine, bool) or (isinstance(engine, int) and engine < 1):
        raise ScenarioError(f"engine is {engine!r}; {accepted}")
    if not isinstance(engine, int) and not hasattr(engine, "submit"):
        raise ScenarioError(f"engine is {engine!r}; {accepted}")
    if isinstance(engine, int) and engine > (limit := max_workers()):
        raise ScenarioError(
            f"{engine:,} local worker processes asked for; accepted: at most {limit}, the "
            f"CPUs this process may use (each worker is a whole solver; set {WORKERS_ENV} "
            "to allow more)"
        )


def run_tasks(
    task: Callable[[Scenario, P], T],
    scenario: Scenario,
    payloads: Sequence[P],
    *,
    engine: Any = None,
    progress: Progress | None = None,
) -> list[T]:
    """Run ``task(scenario, payload)`` for every payload on an engine; results in order.

    Parameters
    ----------
    task
        A module-level (importable) function; with Dask also a local function.
    scenario
        Shared by every task: sent once per worker with Dask, with each task with the
        process pool.
    payloads
        One small, picklable description per task.
    engine
        ``None`` (process pool, one worker per CPU), an int (process pool with that
        many workers), ``"serial"``, a ``dask.distributed.Client`` or a scheduler
        address.
    progress
        Called with ``(done, total)`` once before the first task and after each result
        arrives.

    Returns
    -------
    list
        ``task``'s results in the order of ``payloads``.

    Raises
    ------
    SelectorError
        A task failed (with Dask: after its retries); the message says how many tasks
        had completed.
    """
    _check_engine(engine)
    total = len(payloads)
    results: list[T | None] = [None] * total
    if progress is not None:
        progress(0, total)
    if total == 0:
        return []
    done = 0

    def keep(index: int, value: T) -> None:
        nonlocal done
        results[index] = value
        done += 1
        if progress is not None:
            progress(done, total)

    if engine == "serial":
        for i, payload in enumerate(payloads):
            keep(i, task(scenario, payload))
    elif engine is None or isinstance(engine, int):
        workers = min(int(engine or max_workers()), total)
        # spawn: never fork a parent that may run threads (a Dask client, HiGHS)
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                   initializer=_ignore_interrupts)
        try:
            with _interrupts_held():  # workers start with Ctrl-C blocked, not mid-import
                futures = {pool.submit(task, scenario, p): i for i, p in enumerate(payloads)}
            for fut in futures_completed(futures):
                keep(futures[fut], fut.result())
        except BaseException as exc:
            _stop(pool)
            if isinstance(exc, Exception) and not isinstance(exc, SelectorError):
                raise SelectorError(
                    f"a task failed after {done} of {total} completed: {exc}"
                ) from exc
            raise
        pool.shutdown(wait=True)
    else:
        _run_dask(task, scenario, payloads, engine, keep, lambda: done)
    return cast("list[T]", results)


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C back while worker processes are started: they inherit the blocked
    signal (so one pressed while they import is not a traceback in each), and this
    process receives it as soon as they are started."""
    held = hasattr(signal, "pthread_sigmask")
    if held:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        if held:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _ignore_interrupts() -> None:
    """In a pool worker: leave Ctrl-C to the parent, which ends the workers itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(pool: ProcessPoolExecutor) -> None:
    """End a pool at once: drop queued tasks and terminate the workers mid-solve (a
    worker's solve has nothing to keep once the study is abandoned)."""
    # The executor has no public way to end running tasks before Python 3.14.
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        proc.join(timeout=5)
        if proc.is_alive():  # pragma: no cover - a worker stuck in a system call
            proc.kill()
            proc.join(timeout=5)


def _run_dask(
    task: Callable[[Scenario, P], T],
    scenario: Scenario,
    payloads: Sequence[P],
    engine: Any,
    keep: Callable[[int, T], None],
    done: Callable[[], int],
) -> None:
    try:
        import distributed
    except ImportError:  # pragma: no cover - dask is an optional dependency
        raise ScenarioError(
            "engine is a Dask client or scheduler address, but dask.distributed is not "
            "installed; install selector[distributed] or use engine='serial'"
        ) from None
    as_completed: Any = distributed.as_completed
    make_client: Any = distributed.Client
    own = isinstance(engine, str)
    try:
        client = (make_client(engine, timeout=SCHEDULER_TIMEOUT, set_as_default=False)
                  if own else engine)
    except (OSError, ValueError, TypeError) as exc:
        raise SelectorError(
            f"cannot reach the Dask scheduler {engine!r}: {' '.join(str(exc).split())}; "
            "accepted: the address of a running scheduler, such as 'tcp://host:8786'"
        ) from None
    try:
        shared = client.scatter(scenario, broadcast=True, hash=False)
        tag = uuid.uuid4().hex[:8]
        name = getattr(task, "__name__", "task").strip("_")
        pending: dict[Any, tuple[int, Any]] = {}
        for i, p in enumerate(payloads):
            fut = client.submit(task, shared, p, retries=2, pure=False, key=f"{name}-{tag}-{i}")
            pending[fut.key] = (i, fut)
        queue = as_completed([f for _, f in pending.values()], with_results=True)
        attempts = [0] * len(payloads)
        try:
            for fut, value in queue:
                i, _ = pending.pop(fut.key)
                if fut.status != "finished" or isinstance(value, BaseException):
                    # Cancelled or lost with its worker beyond Dask's own retries:
                    # submit it again (a task is a pure function of its payload).
                    attempts[i] += 1
                    if attempts[i] > 3:
                        raise SelectorError(
                            f"task {i} failed {attempts[i]} times: {value!r}"
                        )
                    # The shared scenario may have gone with the lost worker: send it
                    # again before resubmitting (cheap next to a lost run).
                    shared = client.scatter(scenario, broadcast=True, hash=False)
                    again = client.submit(
                        task, shared, payloads[i], retries=2, pure=False,
                        key=f"{name}-{tag}-{i}-again{attempts[i]}",
                    )
                    pending[again.key] = (i, again)
                    queue.add(again)
                    continue
                keep(i, value)
                # Drop the future once its result is here: the cluster forgets the task,
                # so a worker lost later does not make it compute this one again.
                del fut, value
        except BaseException as exc:  # Ctrl-C too: nothing may run on for a study abandoned
            client.cancel([f for _, f in pending.values()])
            if isinstance(exc, SelectorError) or not isinstance(exc, Exception):
                raise
            raise SelectorError(
                f"a task failed after {done()} of {len(payloads)} completed: {exc}"
            ) from exc
    finally:
        if own:
            client.close()
