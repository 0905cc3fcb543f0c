"""Running an experiment: replications of every variant, streamed to disk, resumable.

Workers turn each finished run into its files; the parent writes them
atomically and records the run, with the files' checksums and its KPIs, in the
results directory's journal (`store.Journal`). A run counts as done only if its
journal line is whole and its files match the checksums, so an interrupted
experiment resumes with exactly the runs that are missing, and ends with the
same files as one that was never interrupted. Memory holds KPI rows, never
series. Where the files go, and what the manifest says, is the store's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from simulator.model.metrics import KPI_NAMES, WHOLE_KPIS
from simulator.model.results import RunResult
from simulator.runs.executors import Executor, Task, make_executor, run_task, validated
from simulator.runs.experiment import Plan, load_experiment
from simulator.runs.store import (
    COMPARISON,
    FINAL,
    SERIES,
    SUMMARY_CSV,
    SUMMARY_PARQUET,
    TRACES,
    ExperimentManifest,
    ExperimentResult,
    Journal,
    Status,
    VariantRecord,
    atomic_bytes,
    atomic_write,
    file_hash,
    now,
    parquet_bytes,
    prepare_directory,
    run_file,
    scenario_hash,
    timestamp,
    trace_lines,
    versions,
    write_manifest,
)

TRACED_REPLICATION = 0
"""The replication of each variant whose event trace is kept, for the timeline."""

Progress = Callable[[int, int, int], None]
"""Told (runs done, runs in all, runs failed) as runs finish: a progress bar, say."""


def run_experiment(experiment: str | Path | Plan, out: str | Path | None = None,
                   workers: int | None = None, scheduler: str | None = None,
                   force: bool = False, progress: Progress | None = None,
                   timeout: float | None = None) -> ExperimentResult:
    """Run (or resume) an experiment and write its results; returns them as tables.

    Args:
        experiment: an experiment file, or a `Plan` from `load_experiment`.
        out: the results directory (default `results/<experiment name>`).
        workers: local worker processes (default: all cores; 1 runs in this process).
        scheduler: address of a Dask scheduler; runs go to its workers instead.
        force: replace the results of a different experiment in `out`.
        progress: told (runs done, runs in all, runs failed) as runs finish; first
            told once the workers have started.
        timeout: seconds to wait for the scheduler, and for it to have workers, before
            giving up (default: 10 s to reach it, then as long as it takes to get workers).
    """
    plan = experiment if isinstance(experiment, Plan) else load_experiment(experiment)
    directory = Path(out) if out is not None else Path("results") / plan.name
    started = datetime.now(timezone.utc)
    prepare_directory(directory, "experiment", plan.identity(), force)
    journal = Journal(directory)
    journal.load()
    executor = make_executor(workers, scheduler, timeout)
    try:
        _write_manifest(directory, plan, started, status="running")
        target, reason = _run_rounds(plan, directory, journal, executor,
                                     progress or _unreported)
    except BaseException as error:  # the manifest says the experiment stopped, and when
        _write_manifest(directory, plan, started, status="interrupted"
                        if isinstance(error, KeyboardInterrupt) else "failed")
        raise
    finally:
        executor.close()
    result = _finish(directory, plan, journal, target)
    _write_manifest(directory, plan, started, status="finished", finished=now(),
                    stop_reason=reason, replications=target, failed_runs=journal.failures(),
                    files={name: file_hash(directory / name)
                           for name in (SUMMARY_CSV, SUMMARY_PARQUET, COMPARISON)})
    return result


def _unreported(done: int, total: int, failed: int) -> None:
    """Progress nobody asked to see."""


def _run_rounds(plan: Plan, directory: Path, journal: Journal, executor: Executor,
                report: Progress) -> tuple[int, str]:
    """Run missing replications; with `precision`, add batches until it is reached."""
    experiment = plan.experiment
    target = experiment.replications
    while True:
        tasks = _missing(plan, journal, target)  # runs that failed before are tried again
        total = target * len(plan.scenarios)
        done, failed = total - len(tasks), 0
        report(done, total, failed)
        for run in executor.run(iter(tasks), prepare_run):
            journal.record(write_files(directory, run))
            done += 1
            failed += run.error is not None
            report(done, total, failed)
        if experiment.precision is None:
            return target, f"fixed number of replications ({target})"
        if _precise_enough(plan, journal, target, experiment.precision):
            return target, (f"precision reached: 95% CI half-width of {experiment.primary_metric} "
                            f"within {experiment.precision:g} of its mean for every variant")
        if target >= experiment.max_replications:
            return target, f"replication cap reached ({experiment.max_replications})"
        target = min(target + experiment.batch, experiment.max_replications)


def _missing(plan: Plan, journal: Journal, target: int) -> list[Task]:
    tasks = []
    for variant in plan.variant_names:
        scenario = plan.scenarios[variant]
        data, key = scenario.model_dump(mode="json"), scenario_hash(scenario)
        for replication in range(target):
            if not journal.done(variant, replication):
                tasks.append(Task(variant, replication, plan.experiment.seed, key, data,
                                  trace=replication == TRACED_REPLICATION and not plan.design))
    return tasks


@dataclass(frozen=True)
class PreparedRun:
    """One finished run as a worker hands it back: its files, as bytes with their
    checksums, and its KPIs, so the parent only writes; or the error that stopped it."""

    task: Task
    files: dict[str, bytes]
    checksums: dict[str, str]
    kpis: dict[str, float] | None = None
    wall_seconds: float | None = None
    error: str | None = None


def prepare_run(task: Task) -> PreparedRun:
    """Run one task and turn its output into files, in the worker (the parent of many
    workers would otherwise spend a core's share converting tables)."""
    outcome = run_task(task)
    if outcome.output is None:
        return PreparedRun(task, {}, {}, error=outcome.error)
    result = RunResult(outcome.output, validated(task), variant=task.variant)
    files = {run_file(table, task.variant, task.replication): parquet_bytes(result.columns(table))
             for table in (SERIES, FINAL)}
    if outcome.output.trace is not None:
        files[run_file(TRACES, task.variant, task.replication, "jsonl")] = trace_lines(
            outcome.output.trace, result.identity).encode("utf-8")
    checksums = {relative: hashlib.sha256(content).hexdigest()
                 for relative, content in files.items()}
    return PreparedRun(task, files, checksums, result.kpis,
                       round(outcome.output.wall_seconds, 4))


def write_files(directory: Path, run: PreparedRun) -> dict[str, Any]:
    """Write one finished run's files atomically and return its journal entry."""
    task = run.task
    entry: dict[str, Any] = {"variant": task.variant, "replication": task.replication,
                             "seed": task.seed}
    if run.error is not None:
        return entry | {"error": run.error}
    for relative, content in run.files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_bytes(path, content)
    return entry | {"files": run.checksums, "kpis": run.kpis,
                    "wall_seconds": run.wall_seconds}


def _precise_enough(plan: Plan, journal: Journal, target: int, precision: float) -> bool:
    """Whether every variant's primary metric is known to within `precision` (relative)."""
    from simulator.analysis.stats import precision_reached

    metric = plan.experiment.primary_metric
    for variant in plan.variant_names:
        values = [journal.runs[(variant, k)]["kpis"][metric] for k in range(target)
                  if journal.done(variant, k)]
        if not precision_reached(values, precision):
            return False
    return True


def _finish(directory: Path, plan: Plan, journal: Journal, target: int) -> ExperimentResult:
    """Write the summary (CSV and Parquet) and comparison.csv from the journal, in a fixed
    order: the current runs only, the first `target` replications of each variant."""
    import pandas as pd

    from simulator.analysis.stats import compare

    rows = []
    for variant in plan.variant_names:
        for replication in range(target):
            entry = journal.runs.get((variant, replication), {})
            kpis = entry.get("kpis") or {}
            rows.append({"run_id": f"{variant}/{replication}", "variant": variant,
                         "replication": replication, "seed": plan.experiment.seed,
                         "status": "failed" if entry.get("error") else "ok",
                         "scenario": plan.scenarios[variant].name,
                         **{name: kpis.get(name, float("nan")) for name in KPI_NAMES}})
    # counts as integers; a failed run's are missing (<NA>), not NaN floats
    summary = pd.DataFrame(rows).astype(dict.fromkeys(WHOLE_KPIS, "Int64"))
    finished = summary[summary.status == "ok"]
    comparison = (pd.DataFrame(columns=["variant", "kpi"]) if plan.design  # rows, not policies
                  else compare(finished, plan.experiment.baseline, list(KPI_NAMES)))
    atomic_write(directory / SUMMARY_CSV, lambda path: summary.to_csv(path, index=False))
    atomic_write(directory / SUMMARY_PARQUET,  # the variant typed as in the runs' files
                 lambda path: summary.astype({"variant": "category"}).to_parquet(path,
                                                                                 index=False))
    atomic_write(directory / COMPARISON, lambda path: comparison.to_csv(path, index=False))
    return ExperimentResult(directory)


def _write_manifest(directory: Path, plan: Plan, started: datetime, status: Status,
                    **outcome: Any) -> None:
    """The experiment's manifest as it stands: `running`, stopped (and when) or finished."""
    stopped = {status: now()} if status in ("interrupted", "failed") else {}
    write_manifest(directory, ExperimentManifest(
        name=plan.name, status=status, identity=plan.identity(), source=plan.source,
        scenario_source=plan.scenario_source, experiment=plan.experiment.model_dump(mode="json"),
        seed=plan.experiment.seed,
        variants={name: VariantRecord(description=plan.descriptions[name],
                                      overrides=plan.overrides[name],
                                      scenario_hash=scenario_hash(scenario),
                                      scenario=scenario.model_dump(mode="json"))
                  for name, scenario in plan.scenarios.items()},
        versions=versions(), started=timestamp(started), **stopped, **outcome))
