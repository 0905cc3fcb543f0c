"""Running an experiment: replications of every variant, streamed to disk, resumable.

Workers turn each finished run into its files; the parent writes them
atomically and records the run, with the files' checksums and its KPIs, in the
results directory's journal (`store.Journal`). A run counts as done only if its
journal line is whole and its files match the checksums, so an interrupted
experiment resumes with exactly the runs that are missing, and ends with the
same files as one that was never interrupted. Memory holds KPI rows, never
series. Where the files go, and what the manifest says, is the store's.

Runs go in rounds: one of every variant's replications, batches until a precision
is reached, or the rounds of a selection (`simulator.select`), which decides from
the journal's primary metric in replication order alone, so that a resumption
replays the same decisions whatever order runs finished in.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from simulator.errors import UserError
from simulator.model.metrics import KPI_NAMES, WHOLE_KPIS
from simulator.model.results import RunResult
from simulator.runs.executors import Executor, Task, make_executor, run_task, validated
from simulator.runs.experiment import DifferencesPrecision, Plan, load_experiment
from simulator.runs.store import (
    COMPARISON,
    FINAL,
    SELECTION,
    SERIES,
    SUMMARY_CSV,
    SUMMARY_PARQUET,
    TRACES,
    ExperimentManifest,
    ExperimentResult,
    Journal,
    McbInterval,
    SelectedVariant,
    SelectionRecord,
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
    write_selection,
)

if TYPE_CHECKING:
    from simulator.select import KimNelson

TRACED_REPLICATION = 0
"""The replication of each variant whose event trace is kept, for the timeline."""

Progress = Callable[[int, int, int], None]
"""Told (runs done, runs in all, runs failed) as runs finish: a progress bar, say."""
Contention = Callable[[list[str]], None]
"""Told the variants still in contention as a `kn` selection narrows them, round by round."""


@dataclass(frozen=True)
class Rounds:
    """How the rounds of runs ended: each variant's current replications (the summary's),
    why they stopped, and what the selection found, if the experiment makes one."""

    current: dict[str, int]
    stop_reason: str
    selection: SelectionRecord | None = None

    @property
    def replications(self) -> int:
        """The manifest's `replications`: the most any variant has (a selection gives the
        variants it eliminates fewer)."""
        return max(self.current.values())


Run = Callable[[list[Task], int], None]
"""Makes a round's missing runs, told how many runs all rounds so far hold (the progress
bar's total)."""


def run_experiment(experiment: str | Path | Plan, out: str | Path | None = None,
                   workers: int | None = None, scheduler: str | None = None,
                   force: bool = False, progress: Progress | None = None,
                   timeout: float | None = None,
                   contention: Contention | None = None) -> ExperimentResult:
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
        contention: told the variants still in contention, round by round, during a `kn`
            selection.

    Raises:
        UserError: a selection met a run whose primary metric is undefined (NaN).
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
        rounds = _run_rounds(plan, partial(_run, directory, journal, executor,
                                           progress or _unreported),
                             journal, contention or _untold)
    except BaseException as error:  # the manifest says the experiment stopped, and when
        _write_manifest(directory, plan, started, status="interrupted"
                        if isinstance(error, KeyboardInterrupt) else "failed")
        raise
    finally:
        executor.close()
        journal.sync()
    result = _finish(directory, plan, journal, rounds.current)
    written = [SUMMARY_CSV, SUMMARY_PARQUET, COMPARISON]
    if rounds.selection is None:  # a directory resumed without the selection it had
        (directory / SELECTION).unlink(missing_ok=True)
    else:
        write_selection(directory, rounds.selection)
        written.append(SELECTION)
    _write_manifest(directory, plan, started, status="finished", finished=now(),
                    stop_reason=rounds.stop_reason, replications=rounds.replications,
                    failed_runs=journal.failures(),
                    files={name: file_hash(directory / name) for name in written})
    return result


def _unreported(done: int, total: int, failed: int) -> None:
    """Progress nobody asked to see."""


def _untold(contenders: list[str]) -> None:
    """Contention nobody asked to see."""


def _run(directory: Path, journal: Journal, executor: Executor, report: Progress,
         tasks: list[Task], total: int) -> None:
    """Make `tasks`, the missing runs of rounds that hold `total` runs, recording each as
    it finishes."""
    done, failed = total - len(tasks), 0
    report(done, total, failed)
    for run in executor.run(tasks, prepare_run):
        journal.record(write_files(directory, run))
        done += 1
        failed += run.error is not None
        report(done, total, failed)


def _run_rounds(plan: Plan, run: Run, journal: Journal, contention: Contention) -> Rounds:
    """Run missing replications: a fixed number of them, batches until `precision` is
    reached, or the rounds of a `kn` selection; a `subset` selection is made from a fixed
    number."""
    selection = plan.experiment.selection
    if selection is not None and selection.procedure == "kn":
        return _select_sequentially(plan, run, journal, contention)
    target, reason = _replicate(plan, run, journal)
    current = dict.fromkeys(plan.variant_names, target)
    if selection is None:
        return Rounds(current, reason)
    return Rounds(current, reason, _select_subset(plan, journal, target))


def _replicate(plan: Plan, run: Run, journal: Journal) -> tuple[int, str]:
    """The replications of every variant; with `precision`, add batches until it is
    reached. Returns the replications of each variant and why they stopped."""
    experiment = plan.experiment
    target = experiment.replications
    while True:  # runs that failed before are tried again
        run(_missing(plan, journal, plan.variant_names, range(target)),
            target * len(plan.scenarios))
        if experiment.precision is None:
            return target, f"fixed number of replications ({target})"
        if _precise_enough(plan, journal, target):
            return target, f"precision reached: {_precision_words(plan)}"
        if target >= experiment.max_replications:
            return target, f"replication cap reached ({experiment.max_replications})"
        target = min(target + experiment.batch, experiment.max_replications)


def _missing(plan: Plan, journal: Journal, variants: Sequence[str],
             replications: range) -> list[Task]:
    """The runs of `variants` in `replications` that the journal does not hold finished."""
    tasks = []
    for variant in variants:
        scenario = plan.scenarios[variant]
        data, key = scenario.model_dump(mode="json"), scenario_hash(scenario)
        for replication in replications:
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


def _precise_enough(plan: Plan, journal: Journal, target: int) -> bool:
    """Whether the first `target` replications reach the experiment's precision: every
    variant's primary metric known to within a share of its mean, or every variant's paired
    difference to the baseline to within a half-width, in each KPI named."""
    from simulator.analysis.stats import difference_precision_reached, precision_reached

    experiment = plan.experiment
    precision = experiment.precision
    if isinstance(precision, DifferencesPrecision):
        baseline, *variants = plan.variant_names
        return all(difference_precision_reached(_values(journal, baseline, kpi, target),
                                                _values(journal, variant, kpi, target),
                                                half_width)
                   for kpi, half_width in precision.half_widths(
                       experiment.primary_metric).items()
                   for variant in variants)
    assert precision is not None
    return all(precision_reached(_values(journal, variant, experiment.primary_metric, target),
                                 precision)
               for variant in plan.variant_names)


def _precision_words(plan: Plan) -> str:
    """The precision the experiment asks for, as its stop reason says it was reached."""
    experiment = plan.experiment
    precision = experiment.precision
    if isinstance(precision, DifferencesPrecision):
        widths = " and ".join(f"{width:g} on {kpi}" for kpi, width
                              in precision.half_widths(experiment.primary_metric).items())
        return ("95% CI half-width of every variant's paired difference to the baseline "
                f"within {widths}")
    return (f"95% CI half-width of {experiment.primary_metric} within {precision:g} of its "
            "mean for every variant")


def _values(journal: Journal, variant: str, kpi: str, replications: int) -> np.ndarray:
    """The variant's `kpi` in each of its first `replications`, NaN where a run is missing
    or failed: aligned by replication, for pairing."""
    return np.array([journal.runs[(variant, k)]["kpis"][kpi] if journal.done(variant, k)
                     else math.nan for k in range(replications)], dtype=float)


# --- selection ----------------------------------------------------------------------------------


def _select_sequentially(plan: Plan, run: Run, journal: Journal,
                         contention: Contention) -> Rounds:
    """Kim and Nelson's procedure, in rounds: the first stage, `n0` replications of every
    variant, then `batch` replications of each variant still in contention per round.

    A round's runs are all made before the procedure sees any of them; it then takes them
    in replication order, the first stage at once and then replication by replication,
    stopping at the first where one variant remains (runs of the round past it go unused).
    Its decisions so depend on the data alone, never on which run finished first or on the
    batch, and a resumption, which replays the journal's runs through the same rounds,
    makes the same decisions and the same runs.
    """
    from simulator.select import KimNelson

    experiment = plan.experiment
    selection = experiment.selection
    assert selection is not None
    names = plan.variant_names
    procedure = KimNelson(len(names), delta=selection.delta, confidence=selection.confidence,
                          n0=selection.n0, goal=experiment.goal)
    fed = asked = 0
    last, failed = range(0), None
    while not procedure.done and fed < experiment.max_replications and failed is None:
        contenders = [names[j] for j in procedure.contenders]
        contention(contenders)
        size = selection.n0 if fed == 0 else experiment.batch
        rows = range(fed, min(fed + size, experiment.max_replications))
        asked += len(contenders) * len(rows)
        run(_missing(plan, journal, contenders, rows), asked)
        fed, failed = _feed(procedure, plan, journal, rows)
        last = rows
    contention([names[j] for j in procedure.contenders])
    outcome = procedure.result()
    current = {name: outcome.eliminated.get(j, last.stop if failed else fed)
               for j, name in enumerate(names)}
    if outcome.best is not None:
        best: str | None = names[outcome.best]
        reason = f"one variant remained after {fed} replications"
        stop = f"selection made: {best} alone in contention after {fed} replications"
    elif failed is not None:
        best = None
        reason = stop = (f"run {failed[0]}/{failed[1]} failed, and a selection needs every "
                         "contender's run of each replication (the same command tries it "
                         "again)")
    else:
        best = None
        stop = (f"replication cap reached ({experiment.max_replications}) with "
                f"{len(procedure.contenders)} variants in contention")
        reason = (f"no variant can be separated within delta ({selection.delta:g}) in "
                  f"{experiment.max_replications} replications: "
                  f"{', '.join(names[j] for j in procedure.contenders)} remain in contention")
    contenders = [names[j] for j in procedure.contenders]
    return Rounds(current, stop, _record(plan, journal, current, best, reason, contenders,
                                         asked))


def _feed(procedure: KimNelson, plan: Plan, journal: Journal,
          rows: range) -> tuple[int, tuple[str, int] | None]:
    """Give the procedure the round's `rows` of the primary metric in replication order, as
    many at a time as it needs before its next decision (the whole first stage, then one),
    until one variant remains. Variants eliminated are left out (NaN).

    Returns:
        The replications fed in all, and the run that stopped the feeding, if a contender's
        run failed.

    Raises:
        UserError: a contender's primary metric is undefined (NaN) in a run.
    """
    names, metric = plan.variant_names, plan.experiment.primary_metric
    fed = rows.start
    while fed < rows.stop and not procedure.done:
        block = range(fed, fed + procedure.needed())
        assert block.stop <= rows.stop, "a round ends where the procedure decides"
        values = np.full((len(block), len(names)), math.nan)
        for j in procedure.contenders:
            for i, replication in enumerate(block):
                if not journal.done(names[j], replication):
                    return fed, (names[j], replication)
                values[i, j] = _check_defined(journal, metric, names[j], replication)
        procedure.add(values)
        fed = block.stop
    return fed, None


def _check_defined(journal: Journal, metric: str, variant: str, replication: int) -> float:
    """The primary metric of a finished run, which a selection compares.

    Raises:
        UserError: it is undefined (NaN) in that run.
    """
    value = float(journal.runs[(variant, replication)]["kpis"][metric])
    if not math.isfinite(value):
        raise UserError(f"selection: {metric} is undefined (NaN) in run {variant}/"
                        f"{replication}; a selection compares every variant's primary metric "
                        "in each replication, so it needs a KPI that every run defines: "
                        "choose another primary_metric")
    return value


def _select_subset(plan: Plan, journal: Journal, target: int) -> SelectionRecord:
    """The subset of variants that holds the best, from `target` replications of each (those
    in which every variant's run finished).

    Raises:
        UserError: the primary metric is undefined (NaN) in a run.
    """
    from simulator.select import subset

    experiment = plan.experiment
    selection = experiment.selection
    assert selection is not None
    names, metric = plan.variant_names, experiment.primary_metric
    for name in names:
        for replication in range(target):
            if journal.done(name, replication):
                _check_defined(journal, metric, name, replication)
    observations = _common_rows(plan, journal, dict.fromkeys(names, target))
    members = [names[j] for j in subset(observations, confidence=selection.confidence,
                                        delta=selection.delta, goal=experiment.goal)]
    if len(members) == 1:
        best: str | None = members[0]
        reason = "the subset holds one variant"
    else:
        best = None
        reason = (f"no variant can be separated within delta ({selection.delta:g}): the "
                  f"subset holds {len(members)} variants")
    current = dict.fromkeys(names, target)
    return _record(plan, journal, current, best, reason, members, target * len(names))


def _common_rows(plan: Plan, journal: Journal, current: dict[str, int]) -> np.ndarray:
    """The primary metric, replication x variant, over the current replications that every
    variant has and in which every variant's run finished."""
    names, metric = plan.variant_names, plan.experiment.primary_metric
    shared = min(current.values())
    columns = np.column_stack([_values(journal, name, metric, shared) for name in names])
    finished = [all(journal.done(name, k) for name in names) for k in range(shared)]
    return columns[np.array(finished, dtype=bool)] if shared else columns


def _record(plan: Plan, journal: Journal, current: dict[str, int], best: str | None,
            reason: str, contenders: list[str], runs_in_rounds: int) -> SelectionRecord:
    """The selection's outcome as `selection.json` keeps it, with Hsu's MCB intervals over
    the replications every variant has."""
    from simulator.select import mcb

    experiment = plan.experiment
    selection = experiment.selection
    assert selection is not None
    kn = selection.procedure == "kn"
    common = _common_rows(plan, journal, current)
    common = common[np.isfinite(common).all(axis=1)]  # a run a stopped `kn` never checked
    intervals = None
    if len(common) >= 2:
        means = common.mean(axis=0)
        intervals = {name: McbInterval(mean=float(means[j]), low=low, high=high)
                     for j, (name, (low, high)) in enumerate(zip(
                         plan.variant_names, mcb(common, confidence=selection.confidence,
                                                 goal=experiment.goal)))}
    replications, runs = max(current.values()), sum(current.values())
    eliminated = set(current) - set(contenders) if kn else set()
    return SelectionRecord(
        procedure=selection.procedure, primary_metric=experiment.primary_metric,
        goal=experiment.goal, delta=selection.delta, confidence=selection.confidence,
        n0=selection.n0 if kn else None, batch=experiment.batch if kn else None,
        max_replications=experiment.max_replications if kn else None,
        best=best, reason=reason, contenders=contenders,
        variants={name: SelectedVariant(replications=count,
                                        eliminated_at=count if name in eliminated else None)
                  for name, count in current.items()},
        replications=replications, runs=runs, runs_in_rounds=runs_in_rounds,
        fixed_design_runs=replications * len(current),
        runs_saved=replications * len(current) - runs, mcb_replications=len(common),
        mcb=intervals)


def _finish(directory: Path, plan: Plan, journal: Journal,
            current: dict[str, int]) -> ExperimentResult:
    """Write the summary (CSV and Parquet) and comparison.csv from the journal, in a fixed
    order: the current runs only, the first `current[variant]` replications of each."""
    import pandas as pd

    from simulator.analysis.stats import compare

    rows = []
    for variant in plan.variant_names:
        for replication in range(current[variant]):
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
