"""Task engines: run a batch of independent solves serially, on a process pool or on Dask.

Each what-if study (:mod:`~selector.whatif.budget_frontier`,
:mod:`~selector.whatif.montecarlo`, :mod:`~selector.whatif.sweeps`) is a batch of
independent solves that :func:`run_tasks` runs in this process, on a local process pool
or on a Dask cluster, with the same numbers whichever runs them. Every engine goes
through the same loop: results are kept (and handed to a :class:`TaskLog`) as each
arrives, and a failure says how many had finished.

Engines (``engine=``): ``None`` -- a local process pool with one worker per CPU this
process may use; an int ``N`` -- a local process pool with ``N`` workers, at most those
CPUs (or ``$SELECTOR_MAX_WORKERS``, to allow more); ``"serial"`` -- this process; a
``dask.distributed.Client`` or a scheduler address such as ``"tcp://host:8786"``. With
Dask the scenario is scattered once to every worker, tasks carry only a run index or
an override table, results are gathered as each task completes, and a task lost with
its worker runs again elsewhere. A client made from an address is this function's own
(never the process's default client) and is closed when the tasks are done.

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

import asyncio
import contextlib
import dataclasses
import logging
import multiprocessing as mp
import os
import re
import signal
import uuid
from collections.abc import Callable, Generator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import as_completed as futures_completed
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from selector.errors import ScenarioError, SelectorError
from selector.inputs.scenario import Scenario

__all__ = ["EngineError", "Progress", "Study", "TaskLog", "run_tasks", "scheduler_gone"]

#: The environment variable that allows more workers than this process's CPUs.
WORKERS_ENV = "SELECTOR_MAX_WORKERS"

Progress = Callable[[int, int], None]
"""A progress callback ``(done, total) -> None``."""

T = TypeVar("T")
P = TypeVar("P")

ACCEPTED_ENGINES = (
    "accepted: None (one worker per CPU), a number of local workers >= 1, 'serial', "
    "a dask.distributed.Client or a scheduler address such as 'tcp://host:8786'"
)

LOST_TASK_ATTEMPTS = 3
"""How often a task cancelled on a running cluster (not failed) is submitted again."""

_ADDRESS = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$|^[\w.-]+:\d+$|^\[[0-9A-Fa-f:.]+\]:\d+$")


class EngineError(SelectorError, RuntimeError):
    """The tasks could not all run: a task failed, a worker pool broke, or the Dask
    scheduler could not be reached or went away.

    Attributes
    ----------
    done, total
        How many tasks had finished, of how many.
    results
        The finished tasks' results by task index (results a :class:`TaskLog` already
        held included), so that nothing that finished is lost with the error.
    """

    def __init__(
        self, message: str, *, done: int = 0, total: int = 0,
        results: Mapping[int, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.done = done
        self.total = total
        self.results: dict[int, Any] = dict(results or {})


@dataclass(frozen=True)
class Study:
    """What names a batch of tasks in a :class:`TaskLog`.

    ``kind`` is the study (``"robust"``, ``"frontier"``, ``"sweep"``); ``spec`` holds,
    as JSON-able values, everything a task's result depends on besides its index (the
    scenario's fingerprint, the seed, the options); ``result`` is the dataclass every
    task returns, rebuilt from the log's JSON.
    """

    kind: str
    spec: Mapping[str, Any]
    result: type


class TaskLog(Protocol):
    """Where a study's results are kept as they arrive (``selector.store.StudyLog``
    keeps them in the workspace)."""

    def start(self, kind: str, spec: Mapping[str, Any]) -> Mapping[int, Mapping[str, Any]]:
        """Begin the study; return results kept earlier (by task index) to reuse, or
        nothing to run every task."""
        ...

    def keep(self, index: int, result: Mapping[str, Any]) -> None:
        """Keep one task's result (JSON-able), as soon as it arrives."""
        ...


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
    if engine is None:
        return
    if isinstance(engine, str):
        if engine == "serial" or _ADDRESS.match(engine):
            return
        raise ScenarioError(f"engine is {engine!r}; {ACCEPTED_ENGINES}")
    if isinstance(engine, bool) or (isinstance(engine, int) and engine < 1):
        raise ScenarioError(f"engine is {engine!r}; {ACCEPTED_ENGINES}")
    if not isinstance(engine, int) and not hasattr(engine, "submit"):
        raise ScenarioError(f"engine is {engine!r}; {ACCEPTED_ENGINES}")


def _to_json(value: Any) -> dict[str, Any]:
    return dataclasses.asdict(value)


def _from_json(cls: type, data: Mapping[str, Any]) -> Any | None:
    """The dataclass ``cls`` from a log's JSON (lists back to tuples), or None when the
    record does not fit (written by another version: the task simply runs again)."""
    try:
        return cls(**{
            f.name: tuple(data[f.name]) if isinstance(data[f.name], list) else data[f.name]
            for f in dataclasses.fields(cls)
        })
    except (KeyError, TypeError, ValueError):
        return None


def run_tasks(
    task: Callable[[Scenario, P], T],
    scenario: Scenario,
    payloads: Sequence[P],
    *,
    engine: Any = None,
    progress: Progress | None = None,
    log: TaskLog | None = None,
    study: Study | None = None,
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
        address (reached within Dask's ``distributed.comm.timeouts.connect``, 30 s
        unless configured).
    progress
        Called with ``(done, total)`` once before the first task (``done`` counts the
        results taken from ``log``) and after each result arrives.
    log, study
        With a ``log``: ``study`` names the batch; results the log gives back for it are
        not run again, and every new result is handed to ``log.keep`` as it arrives.

    Returns
    -------
    list
        ``task``'s results in the order of ``payloads``.

    Raises
    ------
    EngineError
        A task failed (with Dask: also after its worker died too often), the process
        pool broke, or the Dask scheduler could not be reached or was lost; the message
        says how many tasks had finished, and ``results`` holds them.
    SelectorError
        A task raised one (bad input found while solving): passed on as it is.
    """
    _check_engine(engine)
    if log is not None and study is None:
        raise ScenarioError("run_tasks got a log but no study to name the tasks in it")
    total = len(payloads)
    results: dict[int, T] = {}
    if log is not None and study is not None:
        for i, data in log.start(study.kind, study.spec).items():
            value = _from_json(study.result, data)
            if 0 <= i < total and value is not None:
                results[i] = value
    if progress is not None:
        progress(len(results), total)
    todo = [(i, p) for i, p in enumerate(payloads) if i not in results]
    if not todo:
        return [results[i] for i in range(total)]

    runner: Generator[tuple[int, T], None, None]
    if engine == "serial":
        runner = ((i, task(scenario, p)) for i, p in todo)
    elif engine is None or isinstance(engine, int):
        runner = _pool_results(task, scenario, todo, int(engine or os.cpu_count() or 1))
    else:
        runner = _dask_results(task, scenario, todo, engine)
    try:
        with contextlib.closing(runner):
            for i, value in runner:
                results[i] = value
                if log is not None:
                    log.keep(i, _to_json(value))
                if progress is not None:
                    progress(len(results), total)
    except SelectorError as exc:
        if not isinstance(exc, EngineError):
            raise
        raise EngineError(
            f"{exc}{_finished(len(results), total)}",
            done=len(results), total=total, results=results,
        ) from exc.__cause__
    except Exception as exc:
        raise EngineError(
            f"a task failed: {type(exc).__name__}: {exc}{_finished(len(results), total)}",
            done=len(results), total=total, results=results,
        ) from exc
    return [results[i] for i in range(total)]


def _finished(done: int, total: int) -> str:
    return f"; {done} of {total} tasks had finished" if done else ""


def _pool_results(
    task: Callable[[Scenario, P], T],
    scenario: Scenario,
    todo: Sequence[tuple[int, P]],
    workers: int,
) -> Generator[tuple[int, T], None, None]:
    # spawn: never fork a parent that may run threads (a Dask client, HiGHS)
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(todo)), mp_context=mp.get_context("spawn"),
        initializer=_ignore_interrupts,
    )
    try:
        with _interrupts_held():  # workers start with Ctrl-C blocked, not mid-import
            futures = {pool.submit(task, scenario, p): i for i, p in todo}
        for fut in futures_completed(futures):
            yield futures[fut], fut.result()
    except BaseException:  # an interrupt, SIGTERM, a failure, or the loop left early
        _stop_pool(pool)
        raise
    pool.shutdown(wait=True)


@contextlib.contextmanager
def _interrupts_held() -> Generator[None, None, None]:
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


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """End a pool at once: drop queued tasks and terminate the workers mid-solve (a
    worker's solve has nothing to keep once the study is abandoned), instead of waiting
    for the running tasks as ``shutdown`` does."""
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


# --- Dask ---------------------------------------------------------------------------------


def _installed_version() -> str:
    """The installed selector's version (also what each Dask worker reports)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("selector")
    except PackageNotFoundError:  # pragma: no cover - running from a plain checkout
        return "unknown"


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:  # pragma: no cover - dask is an optional dependency
        raise ScenarioError(
            "engine is a Dask client or scheduler address, but dask.distributed is not "
            "installed; install selector[distributed] or use engine='serial'"
        ) from None
    return distributed


def _wait() -> str:
    """How long to wait for the scheduler and for a first worker (Dask's connect timeout)."""
    import dask

    return str(dask.config.get("distributed.comm.timeouts.connect", default="30s"))


def _connect(distributed: Any, address: str) -> Any:
    wait = _wait()
    try:
        # set_as_default=False: this client must not become the process's default
        # (a caller's own default client stays theirs); everything below is given it.
        return distributed.Client(address, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise EngineError(
            f"cannot reach a Dask scheduler at {address} within {wait} ({exc}); check the "
            "address and that `dask scheduler` runs there (the wait is Dask's "
            "distributed.comm.timeouts.connect, e.g. DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=10s)"
        ) from None


def _check_workers(client: Any, address: str) -> None:
    """Wait for a first worker (a cluster may still be starting them), then check that
    every worker runs this selector: a task is code, shipped by name."""
    if not client.scheduler_info()["workers"]:
        wait = _wait()
        try:
            client.wait_for_workers(1, timeout=wait)
        except (OSError, TimeoutError) as exc:
            if client.status != "running":
                raise _lost(address, exc) from exc
            raise EngineError(
                f"the Dask scheduler at {address} has no workers (waited {wait}); start "
                f"them with `dask worker {address}`"
            ) from None
    _check_versions(client, address)


def _check_versions(client: Any, address: str) -> None:
    mine = _installed_version()
    try:
        theirs: dict[str, str] = client.run(_installed_version)
    except Exception as exc:
        if client.status != "running":
            raise _lost(address, exc) from exc
        raise EngineError(
            f"the Dask workers of {address} cannot run selector ({type(exc).__name__}: "
            f"{exc}); install selector {mine} on every worker"
        ) from None
    other = {w: v for w, v in theirs.items() if v != mine}
    if other:
        listed = ", ".join(f"{w} has {v}" for w, v in sorted(other.items()))
        raise EngineError(
            f"the Dask workers of {address} must run selector {mine}, as here: {listed}"
        )


def scheduler_gone(distributed: Any, client: Any, exc: BaseException) -> bool:
    """Whether ``exc``, raised while a study waited on ``client``, means the Dask
    scheduler is gone: the client says it is no longer running, or the error is a
    connection closed under it (Dask's CommClosedError, an OSError), which can arrive
    before the client marks itself closed (seen from a gather while its status still
    said running)."""
    closed = getattr(getattr(distributed, "comm", None), "CommClosedError", None)
    kinds = (OSError, closed) if isinstance(closed, type) and issubclass(closed, BaseException) else (OSError,)
    return client.status != "running" or isinstance(exc, kinds)


def _lost(address: str, cause: BaseException | str) -> EngineError:
    why = cause if isinstance(cause, str) else f"{type(cause).__name__}: {cause}"
    return EngineError(f"lost the Dask scheduler at {address} ({why})")


def _dask_results(
    task: Callable[[Scenario, P], T],
    scenario: Scenario,
    todo: Sequence[tuple[int, P]],
    engine: Any,
) -> Generator[tuple[int, T], None, None]:
    distributed = _distributed()
    own = isinstance(engine, str)
    client = _connect(distributed, engine) if own else engine
    address = engine if own else str(getattr(client.scheduler, "address", client))
    payloads = dict(todo)
    pending: dict[str, tuple[int, Any]] = {}
    try:
        _check_workers(client, address)
        tag = uuid.uuid4().hex[:8]
        name = getattr(task, "__name__", "task").strip("_")
        shared = client.scatter(scenario, broadcast=True, hash=False)

        def submit(i: int, suffix: str = "") -> Any:
            fut = client.submit(task, shared, payloads[i], pure=False,
                                key=f"{name}-{tag}-{i}{suffix}")
            pending[fut.key] = (i, fut)
            return fut

        # loop=: as_completed otherwise looks for the process's default client, which a
        # client made from an address is not ("No clients found").
        queue = distributed.as_completed([submit(i) for i, _ in todo], loop=client.loop)
        attempts = dict.fromkeys(payloads, 0)
        for fut in queue:
            i, _ = pending.pop(fut.key)
            if fut.status == "finished":
                value = fut.result()
                # Drop the future once its result is here: the cluster forgets the
                # task, so a worker lost later does not make it compute this one again.
                del fut
                yield i, value
                continue
            if fut.status == "error":
                exc = fut.exception()
                if isinstance(exc, SelectorError):
                    raise exc
                raise EngineError(f"task {i} failed on the cluster: {type(exc).__name__}: {exc}")
            # Cancelled: the scheduler is gone, or the task was lost on a running
            # cluster (a restart); then submit it again (a pure function of its payload).
            if client.status != "running":
                raise _lost(address, "the client lost its connection")
            attempts[i] += 1
            if attempts[i] > LOST_TASK_ATTEMPTS:
                raise EngineError(f"task {i} was cancelled {attempts[i]} times on the cluster")
            # The shared scenario may have gone with the lost workers: send it again.
            shared = client.scatter(scenario, broadcast=True, hash=False)
            queue.add(submit(i, f"-again{attempts[i]}"))
    except SelectorError:  # EngineError included: already says what happened
        raise
    except (Exception, asyncio.CancelledError) as exc:
        if scheduler_gone(distributed, client, exc):
            raise _lost(address, exc) from exc
        raise
    finally:
        if pending and client.status == "running":
            with contextlib.suppress(Exception):
                client.cancel([f for _, f in pending.values()])
        if own:
            _close(client)


class _Drop(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


def _close(client: Any) -> None:
    """Close a client this module made. After the scheduler is lost, the client is still
    trying to reconnect; closing cancels that, and Dask would log the cancellation as
    an error with a traceback, after the loss has been reported already."""
    logger = logging.getLogger("distributed.client")
    drop = _Drop() if client.status != "running" else None
    if drop is not None:
        logger.addFilter(drop)
    try:
        with contextlib.suppress(Exception, asyncio.CancelledError):
            client.close(timeout=5)
    finally:
        if drop is not None:
            logger.removeFilter(drop)
