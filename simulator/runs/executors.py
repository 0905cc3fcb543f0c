"""Where replications run: in this process, in a local process pool, or on a Dask cluster.

All three take plain tasks (a scenario as plain data, a seed, a replication
number) and yield outcomes as runs finish, in whatever order. The runner files
each outcome under its own name, so completion order never changes a result.
"""

from __future__ import annotations

import ctypes
import functools
import itertools
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sized
from concurrent import futures
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from simulator.errors import UserError
from simulator.model.engine import RunOutput, run_one
from simulator.model.loading import scenario_from_dict
from simulator.model.schema import Scenario


@dataclass(frozen=True)
class Task:
    """One replication of one variant; plain data, so it pickles cheaply to any worker."""

    variant: str
    replication: int
    seed: int
    scenario_key: str
    """The hash of the resolved scenario: workers validate each scenario once."""
    scenario: dict[str, Any]
    trace: bool = False
    """Keep the event trace (the runner asks for it in one replication per variant)."""


@dataclass(frozen=True)
class Outcome:
    """A finished task: its output, or the error that stopped it (never both)."""

    task: Task
    output: RunOutput | None
    error: str | None = None


PR_SET_PDEATHSIG = 1
"""From Linux's <sys/prctl.h>."""
PARENT_CHECK_SECONDS = 1.0

_validated: dict[str, Scenario] = {}


def _say(message: str) -> None:
    print(message, file=sys.stderr)


Job = TypeVar("Job")
"""What `work` is given: a `Task`, or plain data of the caller's that holds one (a check's
run, with what to measure of it)."""
Result = TypeVar("Result")
"""What `work` makes of a task: an `Outcome` (`run_task`), or the runner's files of it."""


def validated(task: Task) -> Scenario:
    """The task's scenario, validated once in each process (a variant has many runs)."""
    scenario = _validated.get(task.scenario_key)
    if scenario is None:
        scenario = _validated.setdefault(task.scenario_key, scenario_from_dict(task.scenario))
    return scenario


def run_task(task: Task) -> Outcome:
    """Run one task; a failure is returned as an outcome, never lost or replaced."""
    try:
        return Outcome(task, run_one(validated(task), seed=task.seed,
                                     replication=task.replication, trace=task.trace))
    except Exception as error:  # the receipt of a failed run
        return Outcome(task, None, f"{type(error).__name__}: {error}\n{traceback.format_exc()}")


class Executor(Protocol):
    """Runs `work` (`run_task`, or a function that calls it) on each task, yielding the
    results as tasks finish."""

    workers: int

    def run(self, tasks: Iterable[Job], work: Callable[[Job], Result],
            grouped: bool = True) -> Iterator[Result]: ...

    def close(self) -> None: ...


class InProcess:
    """Runs tasks one after another in this process: no pool, nothing to pickle."""

    workers = 1

    def run(self, tasks: Iterable[Job], work: Callable[[Job], Result],
            grouped: bool = True) -> Iterator[Result]:
        for task in tasks:
            yield work(task)

    def close(self) -> None:
        pass


class LocalPool:
    """A pool of worker processes on this machine (forked where the platform allows)."""

    CHUNK = 4
    """Most tasks handed to a worker at once, where tasks are grouped."""

    def __init__(self, workers: int):
        self.workers = workers
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        self.pool = futures.ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context(method),
            initializer=_start_worker, initargs=(os.getpid(),),
        )
        # start every worker now, before a progress bar's thread exists
        futures.wait([self.pool.submit(os.getpid) for _ in range(workers)])

    def run(self, tasks: Iterable[Job], work: Callable[[Job], Result],
            grouped: bool = True) -> Iterator[Result]:
        """`work` runs in the workers (a module-level function, so it pickles by name), on
        up to `CHUNK` tasks at a time if `grouped` (`_chunk_size`): handing a result
        back costs the parent (its pool's thread) about half a millisecond, as much as
        filing a run."""
        def first_done(pending: set) -> tuple[set, set]:
            return futures.wait(pending, return_when=futures.FIRST_COMPLETED)

        def submit(chunk: list[Job]) -> Any:
            return self.pool.submit(_work_on_each, work, chunk)

        size = _chunk_size(tasks, self.CHUNK if grouped else 1, self.workers)
        for results in _windowed(submit, first_done, _chunks(tasks, size), 2 * self.workers):
            yield from results

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskCluster:
    """The workers of a Dask distributed cluster, reached through its scheduler's address."""

    CHUNK = 16
    """Most tasks in one Dask task, where tasks are grouped: each costs the scheduler and
    the client (in this process) milliseconds."""

    CONNECT_SECONDS = 10.0
    """How long to try to reach the scheduler, unless a timeout is given."""
    NOTICE_SECONDS = 5.0
    """How long to wait for a first worker before saying that we are waiting."""

    def __init__(self, address: str, timeout: float | None = None,
                 notify: Callable[[str], None] = _say):
        """Connect, and wait until the cluster has a worker.

        Args:
            timeout: seconds to try to reach the scheduler, and then to wait for a worker
                (default: CONNECT_SECONDS to reach it, and as long as it takes for workers,
                saying so after NOTICE_SECONDS).
        """
        from dask import distributed

        self.distributed = distributed
        self.address = address
        try:
            self.client = distributed.Client(address, timeout=timeout or self.CONNECT_SECONDS)
        except (OSError, TimeoutError) as error:
            raise UserError(f"--scheduler {address}: cannot reach the Dask scheduler "
                            f"({error})") from None
        try:
            self._wait_for_workers(timeout, notify)
        except BaseException:
            self.client.close()
            raise
        self.workers = max(1, sum(self.client.nthreads().values()))

    def _wait_for_workers(self, timeout: float | None, notify: Callable[[str], None]) -> None:
        """A scheduler without workers would hold our tasks silently for ever."""
        give_up = math.inf if timeout is None else time.monotonic() + timeout
        told = False
        while True:
            wait = min(self.NOTICE_SECONDS, give_up - time.monotonic())
            try:
                self.client.wait_for_workers(1, timeout=max(wait, 0.0))
                return
            except TimeoutError:
                if time.monotonic() >= give_up:
                    raise UserError(f"--scheduler {self.address}: the Dask scheduler has no "
                                    f"workers (waited {timeout:g} s); start some with "
                                    f"`dask worker {self.address}`") from None
                if not told:
                    notify(f"waiting for workers: the Dask scheduler at {self.address} has "
                           f"none yet (start some with `dask worker {self.address}`; Ctrl-C "
                           "stops, --timeout gives up)")
                    told = True

    def run(self, tasks: Iterable[Job], work: Callable[[Job], Result],
            grouped: bool = True) -> Iterator[Result]:
        """`work` runs on the cluster's workers (a module-level function), on up to
        `CHUNK` tasks at a time if `grouped` (`_chunk_size`): each Dask task costs the
        scheduler milliseconds, which a task of one run does not repay (an
        exploration's tasks of many runs do)."""
        def first_done(pending: set) -> tuple[set, set]:
            done = self.distributed.wait(list(pending), return_when="FIRST_COMPLETED")
            return set(done.done), set(done.not_done)

        def submit(chunk: list[Job]) -> Any:
            return self.client.submit(_work_on_each, work, chunk, pure=False)

        size = _chunk_size(tasks, self.CHUNK if grouped else 1, self.workers)
        for results in _windowed(submit, first_done, _chunks(tasks, size), 2 * self.workers):
            yield from results

    def close(self) -> None:
        self.client.close()


def make_executor(workers: int | None, scheduler: str | None,
                  timeout: float | None = None) -> Executor:
    """Dask when a scheduler is given; else a pool, or no pool at all for one worker."""
    if scheduler:
        return DaskCluster(scheduler, timeout)
    count = workers or os.cpu_count() or 1
    return InProcess() if count == 1 else LocalPool(count)


def mapper(executor: Executor) -> Callable[[Callable[[Job], Result], Iterable[Job]],
                                           list[Result]]:
    """`map` on the executor's workers: the results in the order of the jobs, which go out
    one at a time (for analyses after the runs: a few large jobs)."""
    def map_on_workers(work: Callable[[Job], Result], jobs: Iterable[Job]) -> list[Result]:
        numbered = list(enumerate(jobs))
        done = dict(executor.run(numbered, functools.partial(_numbered, work), grouped=False))
        return [done[k] for k in range(len(numbered))]
    return map_on_workers


def _numbered(work: Callable[[Job], Result], job: tuple[int, Job]) -> tuple[int, Result]:
    number, task = job
    return number, work(task)


def _work_on_each(work: Callable[[Job], Result], tasks: list[Job]) -> list[Result]:
    return [work(task) for task in tasks]


def _chunk_size(tasks: Iterable[Job], most: int, workers: int) -> int:
    """Tasks to hand a worker at once: up to `most`, and for a known number of tasks no
    more than an eighth of each worker's share, so that all stay busy to the end (a
    round of five runs goes out one by one)."""
    if not isinstance(tasks, Sized):
        return most
    return max(1, min(most, len(tasks) // (8 * workers)))


def _chunks(tasks: Iterable[Job], size: int) -> Iterator[list[Job]]:
    iterator = iter(tasks)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _windowed(submit: Callable[[Any], Any], first_done: Callable[[set], tuple[set, set]],
              tasks: Iterable[Any], window: int) -> Iterator[Any]:
    """Keep at most `window` tasks (or chunks) in flight, so memory does not grow with
    the task count."""
    waiting = iter(tasks)
    pending: set = set()
    try:
        while True:
            for task in waiting:
                pending.add(submit(task))
                if len(pending) >= window:
                    break
            if not pending:
                return
            done, pending = first_done(pending)
            for future in done:
                yield future.result()
    finally:
        for future in pending:
            future.cancel()


def _start_worker(parent: int) -> None:
    """Workers ignore Ctrl-C (the parent stops the pool and keeps what is finished), end on
    SIGTERM, and end with their parent however it ends: a parent killed with SIGKILL
    cannot stop its pool, and its workers would wait for tasks for good."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, inherited by fork
    if not _die_with_parent():
        threading.Thread(target=_watch_parent, args=(parent,), name="watch-parent",
                         daemon=True).start()
    if os.getppid() != parent:  # the parent died before the lines above took effect
        os._exit(1)


def _die_with_parent() -> bool:
    """Ask Linux to kill this process when its parent dies (`prctl(PR_SET_PDEATHSIG)`);
    False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    """Elsewhere, look every second: an orphan is adopted by another process."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)
