"""Running an experiment: replications of every variant, streamed to disk, resumable.

Each finished run is written atomically as its own Parquet file and recorded,
with the file's checksum and the run's KPIs, as one line of an append-only
journal (`runs.jsonl`). A run counts as done only if its journal line is whole
and its file matches the checksum, so an interrupted experiment resumes with
exactly the runs that are missing, and ends with the same files as one that
was never interrupted. Memory holds KPI rows, never series.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.errors import UserError
from simulator.model.results import KPI_NAMES, WHOLE_KPIS, RunResult
from simulator.runs.executors import Executor, Task, make_executor, run_task
from simulator.runs.experiment import Plan, load_experiment
from simulator.runs.outputs import (
    MANIFEST,
    atomic_text,
    atomic_write,
    file_hash,
    parquet_bytes,
    read_summary,
    run_file,
    scenario_hash,
    trace_lines,
    versions,
)

if TYPE_CHECKING:
    import pandas as pd

JOURNAL = "runs.jsonl"
SERIES, FINAL, TRACES = "series", "final", "traces"
TRACED_REPLICATION = 0
"""The replication of each variant whose event trace is kept, for the timeline."""
OUTPUTS = (MANIFEST, JOURNAL, SERIES, FINAL, TRACES, "summary.csv", "summary.parquet",
           "comparison.csv", "plots", "report.html")
"""Everything an experiment writes; `--force` removes only these."""


@dataclass
class Journal:
    """The append-only record of finished runs, read back with every line verified."""

    directory: Path
    runs: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return self.directory / JOURNAL

    def load(self) -> None:
        """Trust a run only if its line is whole and its file matches its checksum."""
        if not self.path.exists():
            return
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
                key = (entry["variant"], int(entry["replication"]))
            except (ValueError, KeyError, TypeError):
                continue  # a line torn by a kill
            if entry.get("error") is None and not self._verified(entry):
                continue
            self.runs[key] = entry

    def record(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self.path.open("a", encoding="utf-8") as journal:
            journal.write(line)
            journal.flush()
            os.fsync(journal.fileno())
        self.runs[(entry["variant"], entry["replication"])] = entry

    def done(self, variant: str, replication: int) -> bool:
        entry = self.runs.get((variant, replication))
        return entry is not None and entry.get("error") is None

    def _verified(self, entry: dict[str, Any]) -> bool:
        files = entry.get("files")
        if not isinstance(files, dict) or not files:
            return False
        try:
            return all((self.directory / name).is_file()
                       and file_hash(self.directory / name) == digest
                       for name, digest in files.items())
        except OSError:
            return False


def run_experiment(experiment: str | Path | Plan, out: str | Path | None = None,
                   workers: int | None = None, scheduler: str | None = None,
                   force: bool = False, progress: bool = False,
                   timeout: float | None = None) -> ExperimentResult:
    """Run (or resume) an experiment and write its results; returns them as tables.

    Args:
        experiment: an experiment file, or a `Plan` from `load_experiment`.
        out: the results directory (default `results/<experiment name>`).
        workers: local worker processes (default: all cores; 1 runs in this process).
        scheduler: address of a Dask scheduler; runs go to its workers instead.
        force: replace the results of a different experiment in `out`.
        progress: show a live progress bar on the terminal.
        timeout: seconds to wait for the scheduler, and for it to have workers, before
            giving up (default: 10 s to reach it, then as long as it takes to get workers).
    """
    plan = experiment if isinstance(experiment, Plan) else load_experiment(experiment)
    directory = Path(out) if out is not None else Path("results") / plan.name
    started = datetime.now(timezone.utc)
    _prepare(directory, plan, force)
    journal = Journal(directory)
    journal.load()
    executor = make_executor(workers, scheduler, timeout)
    try:
        _write_manifest(directory, plan, started, status="running")
        with _progress_bar(progress) as report:
            target, reason = _run_rounds(plan, directory, journal, executor, report)
    except BaseException as error:  # the manifest says the experiment stopped, and when
        _write_manifest(directory, plan, started, status="interrupted"
                        if isinstance(error, KeyboardInterrupt) else "failed")
        raise
    finally:
        executor.close()
    result = _finish(directory, plan, journal, target)
    _write_manifest(directory, plan, started, status="finished", stop_reason=reason,
                    replications=target, journal=journal)
    return result


def _run_rounds(plan: Plan, directory: Path, journal: Journal, executor: Executor,
                report: Callable[[int, int, int], None]) -> tuple[int, str]:
    """Run missing replications; with `precision`, add batches until it is reached."""
    experiment = plan.experiment
    target = experiment.replications
    while True:
        tasks = _missing(plan, journal, target)  # runs that failed before are tried again
        total = target * len(plan.scenarios)
        done, failed = total - len(tasks), 0
        report(done, total, failed)
        for run in executor.run(iter(tasks), prepare_run):
            journal.record(_store(directory, run))
            done += 1
            failed += run.error is not None
            report(done, total, failed)
        if experiment.precision is None:
            return target, f"fixed number of replications ({target})"
        if _precise_enough(plan, journal, target):
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
    result = RunResult(outcome.output, variant=task.variant)
    files = {run_file(table, task.variant, task.replication): parquet_bytes(result.columns(table))
             for table in (SERIES, FINAL)}
    if outcome.output.trace is not None:
        files[run_file(TRACES, task.variant, task.replication, "jsonl")] = trace_lines(
            outcome.output.trace, result.identity).encode("utf-8")
    checksums = {relative: hashlib.sha256(content).hexdigest()
                 for relative, content in files.items()}
    return PreparedRun(task, files, checksums, result.kpis,
                       round(outcome.output.wall_seconds, 4))


def _store(directory: Path, run: PreparedRun) -> dict[str, Any]:
    """Write one finished run's files atomically and return its journal entry."""
    task = run.task
    entry: dict[str, Any] = {"variant": task.variant, "replication": task.replication,
                             "seed": task.seed}
    if run.error is not None:
        return entry | {"error": run.error}
    for relative, content in run.files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda temporary, content=content: temporary.write_bytes(content))
    return entry | {"files": run.checksums, "kpis": run.kpis,
                    "wall_seconds": run.wall_seconds}


def _precise_enough(plan: Plan, journal: Journal, target: int) -> bool:
    from simulator.analysis.stats import precision_reached

    metric = plan.experiment.primary_metric
    for variant in plan.variant_names:
        values = [journal.runs[(variant, k)]["kpis"][metric] for k in range(target)
                  if journal.done(variant, k)]
        if not precision_reached(values, plan.experiment.precision):
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
    atomic_write(directory / "summary.csv", lambda path: summary.to_csv(path, index=False))
    atomic_write(directory / "summary.parquet",  # the variant typed as in the runs' files
                 lambda path: summary.astype({"variant": "category"}).to_parquet(path,
                                                                                 index=False))
    atomic_write(directory / "comparison.csv",
                 lambda path: comparison.to_csv(path, index=False))
    return ExperimentResult(directory)


class ExperimentResult:
    """An experiment's results directory, read as tables on first use.

    Every table holds the same runs: the manifest's `replications` of each
    variant, those that finished. A directory may keep more (from an earlier,
    larger request, for reuse); they are not read.
    """

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads((self.directory / MANIFEST).read_text(encoding="utf-8"))

    @property
    def summary(self) -> pd.DataFrame:
        """One row per variant and replication: its status, scenario, seed and KPIs."""
        return read_summary(self.directory)

    @property
    def comparison(self):
        """Each variant against the baseline, per KPI: paired difference, CI, p-values."""
        import pandas as pd

        return pd.read_csv(self.directory / "comparison.csv")

    @property
    def series(self) -> pd.DataFrame:
        """Every current run's sampled series, in the summary's order."""
        return self._runs_table(SERIES)

    @property
    def final(self) -> pd.DataFrame:
        """Every current run's end-of-run trust and interoperability of each pair."""
        return self._runs_table(FINAL)

    def _runs_table(self, table: str) -> pd.DataFrame:
        """One table of the runs that finished among the summary's (the current ones)."""
        import pyarrow.parquet as pq

        summary = self.summary
        runs = summary[summary.status == "ok"]
        files = [str(self.directory / run_file(table, variant, replication))
                 for variant, replication in zip(runs.variant, runs.replication)]
        return pq.read_table(files, partitioning=None).to_pandas()

    def __repr__(self) -> str:
        return f"ExperimentResult({str(self.directory)!r})"


# --- the results directory ------------------------------------------------------------------


def _prepare(directory: Path, plan: Plan, force: bool) -> None:
    """Resume our own experiment, replace another's with `force`, refuse anything else."""
    if directory.exists() and not directory.is_dir():
        raise UserError(f"{directory}: exists and is not a directory")
    if directory.is_dir() and any(directory.iterdir()):
        manifest = _read_manifest(directory)
        if manifest is None or manifest.get("kind") != "experiment":
            raise UserError(f"{directory}: not empty and not a results directory of an "
                            "experiment; choose another --out")
        if manifest.get("identity") != plan.identity():
            if not force:
                raise UserError(
                    f"{directory}: holds results of a different experiment "
                    f"({manifest.get('name')!r}, other scenarios or seed); choose another "
                    "--out, or add --force to replace them")
            for name in OUTPUTS:
                target = directory / name
                if target.is_dir():
                    shutil.rmtree(target)
                else:
                    target.unlink(missing_ok=True)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"{directory}: cannot create the directory ({error.strerror})") from None


def _read_manifest(directory: Path) -> dict[str, Any] | None:
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _write_manifest(directory: Path, plan: Plan, started: datetime, status: str,
                    **finished: Any) -> None:
    manifest: dict[str, Any] = {
        "kind": "experiment",
        "name": plan.name,
        "status": status,
        "identity": plan.identity(),
        "source": plan.source,
        "scenario_source": plan.scenario_source,
        "experiment": plan.experiment.model_dump(mode="json"),
        "seed": plan.experiment.seed,
        "variants": {name: {"scenario_hash": scenario_hash(scenario),
                            "description": plan.descriptions[name],
                            "overrides": plan.overrides[name],
                            "scenario": scenario.model_dump(mode="json")}
                     for name, scenario in plan.scenarios.items()},
        "versions": versions(),
        "started": started.isoformat(timespec="seconds"),
    }
    if status in ("interrupted", "failed"):
        manifest[status] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if status == "finished":
        journal: Journal = finished["journal"]
        failures = [f"{variant}/{replication}" for (variant, replication), entry
                    in sorted(journal.runs.items()) if entry.get("error")]
        manifest |= {
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "stop_reason": finished["stop_reason"],
            "replications": finished["replications"],
            "failed_runs": failures,
            "files": {name: file_hash(directory / name)
                      for name in ("summary.csv", "summary.parquet", "comparison.csv")},
        }
    atomic_text(directory / MANIFEST, json.dumps(manifest, indent=2, default=str) + "\n")


class _progress_bar:
    """A rich progress bar with runs done, rate, failures and time left (or nothing)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None

    def __enter__(self) -> Callable[[int, int, int], None]:
        if not self.enabled:
            return lambda done, total, failed: None
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(TextColumn("runs"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[rate]}"),
                            TextColumn("[red]{task.fields[failed]}"), TimeElapsedColumn(),
                            TextColumn("left"), TimeRemainingColumn())
        self.bar.start()
        task = self.bar.add_task("runs", total=None, rate="", failed="")
        first: list[int] = []

        def report(done: int, total: int, failed: int) -> None:
            if not first:
                first.append(done)
            elapsed = self.bar.tasks[0].elapsed or 0.0
            rate = (done - first[0]) / elapsed if elapsed > 0 else 0.0
            self.bar.update(task, completed=done, total=total, rate=f"{rate:.1f} runs/s",
                            failed=f"{failed} failed" if failed else "")

        return report

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.stop()


def stop_on_terminate() -> None:
    """Treat SIGTERM like Ctrl-C, so a terminated experiment stops cleanly and can resume."""
    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
