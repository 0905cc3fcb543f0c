"""Running an exploration: every future of the design under every policy, over common
random numbers, in tasks of many runs, resumable, then analysed.

Replication r of every future and every policy uses the same random streams, so an
uncertain factor without effect changes nothing (its sensitivity index is zero, not
noise) and regret compares policies on equal terms. Work goes out in tasks of about
`RUNS_PER_TASK` runs (a few futures, every policy and replication): a worker runs a
task and hands back one Parquet file of its runs (and one of the series it keeps), and
the parent writes each atomically and records the task in the journal. A task counts as
done only if its journal line is whole and its files match their checksums; a task with
a failed run is made again on resumption. A design that extends (Sobol', Morris, a
table) reuses every task of the futures it had.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from simulator.errors import UserError
from simulator.model.engine import run_one
from simulator.model.loading import Override, scenario_from_dict
from simulator.model.metrics import KPI_NAMES
from simulator.model.results import RunResult, kpi_by_year, kpis
from simulator.runs.executors import Executor, make_executor, mapper
from simulator.runs.exploration import ExplorationPlan, Policy, future_scenario_data
from simulator.runs.runner import Progress
from simulator.runs.store import (
    FUTURES,
    RUNS,
    SERIES,
    ExplorationManifest,
    ExplorationResult,
    Journal,
    PolicyRecord,
    Status,
    atomic_bytes,
    atomic_write,
    data_hash,
    file_hash,
    now,
    parquet_bytes,
    prepare_directory,
    task_file,
    timestamp,
    versions,
    write_manifest,
)

RUNS_PER_TASK = 100
"""Runs a task aims at: a few seconds of work, so a file holds many runs and progress moves."""
MIN_TASKS = 16
"""Tasks a design is cut into at least, so that every worker of a small machine is kept busy."""
RUN_COLUMNS = ("future", "policy", "replication", "seed", "status", "error")
"""The columns that say which run a row of `runs/` is, before its KPIs and yearly values
(the same bytes whoever ran it: run times go in the journal)."""


@dataclass(frozen=True)
class ExploreTask:
    """A few futures, every policy and replication of each: plain data for any worker."""

    name: str
    futures: tuple[int, ...]
    changes: tuple[tuple[tuple[Override, ...], tuple[Override, ...]], ...]
    """Per future: the values it sets and the factors it scales."""
    clips: dict[str, tuple[float, float]]
    base: dict[str, Any]
    policies: tuple[Policy, ...]
    replications: int
    seed: int
    primary: str
    keep_series: frozenset[int]


@dataclass(frozen=True)
class PreparedTask:
    """A finished task as a worker hands it back: its files as bytes, with checksums, and
    the runs that failed."""

    task: ExploreTask
    files: dict[str, bytes]
    checksums: dict[str, str]
    runs: int
    failed: list[str]
    wall_seconds: float
    """The time the task's runs took, in the worker."""


def explore_task(task: ExploreTask) -> PreparedTask:
    """Run every run of a task and turn them into its files, in the worker."""
    rows: list[dict[str, Any]] = []
    series: list[dict[str, np.ndarray]] = []
    failed: list[str] = []
    started = time.perf_counter()
    for future, (sets, scales) in zip(task.futures, task.changes):
        for policy in task.policies:
            try:
                scenario = scenario_from_dict(future_scenario_data(
                    task.base, sets, scales, task.clips, policy))
            except Exception as error:  # a future the scenario cannot take: every run fails
                scenario, problem = None, f"{type(error).__name__}: {error}"
            for replication in range(task.replications):
                row: dict[str, Any] = {"future": future, "policy": policy.name,
                                       "replication": replication, "seed": task.seed}
                try:
                    if scenario is None:
                        raise ValueError(problem)
                    output = run_one(scenario, seed=task.seed, replication=replication)
                    row |= {"status": "ok", "error": "", **kpis(output),
                            **{f"year_{year}": value for year, value
                               in enumerate(kpi_by_year(output, task.primary), start=1)}}
                    if future in task.keep_series:
                        columns = RunResult(output, scenario, variant=policy.name).columns(SERIES)
                        series.append({"future": np.full(len(output.times), future),
                                       **columns})
                except Exception as error:  # the receipt of a failed run, kept in its row
                    failed.append(f"{future}/{policy.name}/{replication}")
                    row |= {"status": "failed", "error": f"{type(error).__name__}: {error}"}
                rows.append(row)
    files = {task_file(RUNS, task.name): parquet_bytes(_columns(rows))}
    if series:
        files[task_file(SERIES, task.name)] = parquet_bytes(
            {name: np.concatenate([part[name] for part in series]) for name in series[0]})
    return PreparedTask(task, files, {name: hashlib.sha256(content).hexdigest()
                                      for name, content in files.items()},
                        len(rows), failed, round(time.perf_counter() - started, 4))


def _columns(rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Rows of runs as typed columns; a failed run's KPIs and yearly values are NaN."""
    names = list(RUN_COLUMNS) + list(KPI_NAMES)
    names += sorted({key for row in rows for key in row if key.startswith("year_")},
                    key=lambda name: int(name.removeprefix("year_")))
    columns: dict[str, np.ndarray] = {}
    for name in names:
        if name in ("policy", "status", "error"):
            columns[name] = np.array([row.get(name, "") for row in rows], dtype=object)
        elif name in ("future", "replication", "seed"):
            columns[name] = np.array([row[name] for row in rows], dtype=np.int64)
        else:
            columns[name] = np.array([row.get(name, math.nan) for row in rows], dtype=float)
    return columns


def explore(exploration: str | Path | ExplorationPlan, out: str | Path | None = None,
            workers: int | None = None, scheduler: str | None = None, force: bool = False,
            progress: Progress | None = None, timeout: float | None = None
            ) -> ExplorationResult:
    """Run (or resume, or extend) an exploration, analyse it, and write its results.

    Args:
        exploration: an exploration file, or a plan from `load_exploration`.
        out: the results directory (default `results/<exploration name>`).
        workers: local worker processes (default: all cores; 1 runs in this process).
        scheduler: address of a Dask scheduler; tasks go to its workers instead.
        force: replace the results of a different exploration in `out`.
        progress: told (runs done, runs in all, runs failed) as tasks finish.
        timeout: seconds to wait for the Dask scheduler and its workers.

    Raises:
        UserError: a directory that holds another exploration (without `force`), or a
            design whose futures differ from those already run there.
    """
    from simulator.runs.exploration import load_exploration

    plan = (exploration if isinstance(exploration, ExplorationPlan)
            else load_exploration(exploration))
    directory = Path(out) if out is not None else Path("results") / plan.name
    started = datetime.now(timezone.utc)
    prepare_directory(directory, "exploration", plan.identity(), force)
    _same_futures(directory, plan)
    journal = Journal(directory, key=_task_key)
    journal.load()
    atomic_write(directory / FUTURES, lambda path: plan.futures.to_parquet(path, index=False))
    tasks = _tasks(plan, journal)
    try:
        _write_manifest(directory, plan, started, "running", journal)
        executor = make_executor(workers, scheduler, timeout)
        try:
            _run_tasks(directory, plan, journal, tasks, executor,
                       progress or (lambda done, total, failed: None))
            from simulator.runs.analyse import analyse

            _remove_unrecorded(directory, journal)  # then the folder holds each run once
            runs = ExplorationResult(directory).runs
            written, left_out = analyse(directory, plan, runs,
                                        mapper(executor) if executor.workers > 1 else None)
        finally:
            executor.close()
            journal.sync()
    except BaseException as error:  # the manifest says the exploration stopped, and when
        _write_manifest(directory, plan, started, "interrupted"
                        if isinstance(error, KeyboardInterrupt) else "failed", journal)
        raise
    failures = [f"{f}/{p}/{r}" for f, p, r in runs.loc[runs.status != "ok", [
        "future", "policy", "replication"]].itertuples(index=False)]
    _write_manifest(directory, plan, started, "finished", journal, finished=now(),
                    failed_runs=failures, left_out=left_out,
                    files={name: file_hash(directory / name) for name in written})
    return ExplorationResult(directory)


def _run_tasks(directory: Path, plan: ExplorationPlan, journal: Journal,
               tasks: list[ExploreTask], executor: Executor, report: Progress) -> None:
    """Make the tasks, recording each as it finishes, and tell how many runs are done."""
    total = len(plan.design) * _runs_per_future(plan)
    done = total - sum(len(task.futures) for task in tasks) * _runs_per_future(plan)
    failed = 0
    report(done, total, failed)
    for prepared in executor.run(iter(tasks), explore_task, grouped=False):
        journal.record(_write_task(directory, prepared))
        done += prepared.runs
        failed += len(prepared.failed)
        report(done, total, failed)


def _task_key(entry: dict[str, Any]) -> tuple[str]:
    """An exploration's journal line is about one task."""
    return (entry["task"],)


def _runs_per_future(plan: ExplorationPlan) -> int:
    return len(plan.policies) * plan.exploration.replications


def _same_futures(directory: Path, plan: ExplorationPlan) -> None:
    """A resumed or extended exploration must start with the futures already run.

    Raises:
        UserError: if the design's first futures are not those of the directory's (a table
            whose rows were changed, rather than added to).
    """
    import pandas as pd

    path = directory / FUTURES
    if not path.exists():
        return
    before = pd.read_parquet(path).drop(columns="future").to_numpy(dtype=float)
    shared = min(len(before), len(plan.design))
    if not np.array_equal(before[:shared], plan.design[:shared]):
        raise UserError(f"{directory}: its futures differ from this design's first {shared} "
                        "(a table's rows changed, not added to); choose another --out, or "
                        "add --force to replace them")


def kept_futures(futures: int, keep: int) -> frozenset[int]:
    """The futures whose series are kept: `keep` of them, spread evenly over the design."""
    if keep <= 0:
        return frozenset()
    return frozenset(int(f) for f in np.unique(np.linspace(0, futures - 1, min(keep, futures))
                                                .round()))


def _tasks(plan: ExplorationPlan, journal: Journal) -> list[ExploreTask]:
    """The work still to do: tasks whose runs failed, made again as they were, and the
    futures no task has run, in new tasks of consecutive futures."""
    futures = len(plan.design)
    covered: set[int] = set()
    again: list[tuple[int, ...]] = []
    for entry in journal.runs.values():
        members = tuple(entry["futures"])
        covered.update(members)
        if entry["failed"] and min(members) < futures:
            again.append(members)
    per_task = max(1, min(math.ceil(RUNS_PER_TASK / _runs_per_future(plan)),
                          futures // MIN_TASKS))
    missing = [future for future in range(futures) if future not in covered]
    groups = again + [tuple(missing[start:start + per_task])
                      for start in range(0, len(missing), per_task)]
    keep = kept_futures(futures, plan.exploration.keep_series)
    base, clips = plan.base, plan.clips
    policies = tuple(plan.policies.values())
    return [ExploreTask(_task_name(group), group,
                        tuple(_changes(plan, future) for future in group),
                        clips, base, policies, plan.exploration.replications,
                        plan.exploration.seed, plan.exploration.primary, keep & set(group))
            for group in groups]


def _changes(plan: ExplorationPlan, future: int
             ) -> tuple[tuple[Override, ...], tuple[Override, ...]]:
    sets, scales = plan.future_changes(future)
    return tuple(sets), tuple(scales)


def _task_name(futures: Sequence[int]) -> str:
    return f"futures-{futures[0]:06d}-{futures[-1]:06d}"


def _write_task(directory: Path, prepared: PreparedTask) -> dict[str, Any]:
    """Write a finished task's files atomically and return its journal entry."""
    for relative, content in prepared.files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_bytes(path, content)
    return {"task": prepared.task.name, "futures": list(prepared.task.futures),
            "files": prepared.checksums, "runs": prepared.runs, "failed": prepared.failed,
            "series": sorted(prepared.task.keep_series), "wall_seconds": prepared.wall_seconds}


def _remove_unrecorded(directory: Path, journal: Journal) -> None:
    """A task's files written but not journalled (killed in between) were made again by
    another task: only the journal's stay, so the folders hold each run once."""
    recorded = {name for entry in journal.runs.values() for name in entry["files"]}
    for folder in (RUNS, SERIES):
        for path in sorted((directory / folder).glob("*.parquet")):
            if f"{folder}/{path.name}" not in recorded:
                path.unlink()


def _write_manifest(directory: Path, plan: ExplorationPlan, started: datetime,
                    status: Status, journal: Journal, **outcome: Any) -> None:
    """The exploration's manifest as it stands: `running`, stopped (and when) or finished."""
    stopped = {status: now()} if status in ("interrupted", "failed") else {}
    exploration = plan.exploration
    futures = len(plan.design)
    write_manifest(directory, ExplorationManifest(
        name=plan.name, status=status, identity=plan.identity(), source=plan.source,
        scenario_source=plan.scenario_source, exploration=exploration.model_dump(mode="json"),
        scenario_hash=data_hash(plan.base), scenario=plan.base,
        policies={name: PolicyRecord(description=policy.description,
                                     overrides=policy.overrides)
                  for name, policy in plan.policies.items()},
        seed=exploration.seed, futures=futures, replications=exploration.replications,
        runs=futures * _runs_per_future(plan),
        tasks=len(journal.runs),
        kept_series=sorted(future for entry in journal.runs.values()
                           for future in entry["series"] if future < futures),
        versions=versions(), started=timestamp(started), **stopped, **outcome))

