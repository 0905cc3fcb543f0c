"""Where replications run: in this process, in a local process pool, or on a Dask cluster.

All three take plain tasks (a scenario as plain data, a seed, a replication
number) and yield outcomes as runs finish, in whatever order. The runner files
each outcome under its own name, so completion order never changes a result.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent import futures
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from simulator.engine import RunOutput, run_one
from simulator.loading import scenario_from_dict
from simulator.schema import Scenario


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


_validated: dict[str, Scenario] = {}
Result = TypeVar("Result")


def run_task(task: Task) -> Outcome:
    """Run one task; a failure is returned as an outcome, never lost or replaced."""
    try:
        scenario = _validated.get(task.scenario_key)
        if scenario is None:
            scenario = _validated.setdefault(task.scenario_key, scenario_from_dict(task.scenario))
        return Outcome(task, run_one(scenario, seed=task.seed, replication=task.replication,
                                     trace=task.trace))
    except Exception as error:  # the receipt of a failed run
        return Outcome(task, None, f"{type(error).__name__}: {error}\n{traceback.format_exc()}")


class Executor(Protocol):
    def run(self, tasks: Iterable[Task],
            work: Callable[[Task], Result] = run_task) -> Iterator[Result]: ...

    def close(self) -> None: ...


class InProcess:
    """Runs tasks one after another in this process: no pool, nothing to pickle."""

    workers = 1

    def run(self, tasks: Iterable[Task],
            work: Callable[[Task], Result] = run_task) -> Iterator[Result]:
        for task in tasks:
            yield work(task)

    def close(self) -> None:
        pass


class LocalPool:
    """A pool of worker processes on this machine (forked where the platform allows)."""

    def __init__(self, workers: int):
        self.workers = workers
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        self.pool = futures.ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context(method),
            initializer=_leave_interrupts_to_the_parent,
        )
        # start every worker now, before a progress bar's thread exists
        futures.wait([self.pool.submit(os.getpid) for _ in range(workers)])

    def run(self, tasks: Iterable[Task],
            work: Callable[[Task], Result] = run_task) -> Iterator[Result]:
        """`work` runs in the workers: a module-level function, so it pickles by name."""
        def first_done(pending: set) -> tuple[set, set]:
            return futures.wait(pending, return_when=futures.FIRST_COMPLETED)

        return _windowed(lambda task: self.pool.submit(work, task), first_done, tasks,
                         2 * self.workers)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskCluster:
    """The workers of a Dask distributed cluster, reached through its scheduler's address."""

    CHUNK = 4
    """Tasks per Dask task."""

    def __init__(self, address: str):
        from dask import distributed

        self.distributed = distributed
        try:
            self.client = distributed.Client(address, timeout="10s")
        except (OSError, TimeoutError) as error:
            from simulator.errors import UserError

            raise UserError(f"--scheduler {address}: cannot reach the Dask scheduler "
                            f"({error})") from None
        self.workers = max(1, sum(self.client.nthreads().values()))

    def run(self, tasks: Iterable[Task],
            work: Callable[[Task], Result] = run_task) -> Iterator[Result]:
        """`work` runs on the cluster's workers (a module-level function), on a few
        tasks at a time: each Dask task costs the scheduler milliseconds."""
        def first_done(pending: set) -> tuple[set, set]:
            done = self.distributed.wait(list(pending), return_when="FIRST_COMPLETED")
            return set(done.done), set(done.not_done)

        def submit(chunk: list[Task]) -> Any:
            return self.client.submit(_work_on_each, work, chunk, pure=False)

        for results in _windowed(submit, first_done, _chunks(tasks, self.CHUNK),
                                 2 * self.workers):
            yield from results

    def close(self) -> None:
        self.client.close()


def make_executor(workers: int | None, scheduler: str | None) -> Executor:
    """Dask when a scheduler is given; else a pool, or no pool at all for one worker."""
    if scheduler:
        return DaskCluster(scheduler)
    count = workers or os.cpu_count() or 1
    return InProcess() if count == 1 else LocalPool(count)


def _work_on_each(work: Callable[[Task], Result], tasks: list[Task]) -> list[Result]:
    return [work(task) for task in tasks]


def _chunks(tasks: Iterable[Task], size: int) -> Iterator[list[Task]]:
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


def _leave_interrupts_to_the_parent() -> None:
    """Workers ignore Ctrl-C; the parent stops the pool and keeps what is finished."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
