"""Reproducing a results directory: runs made again from its manifest alone, compared with
its files and with the hashes recorded when they were written.

The manifest records what ran: each variant's resolved scenario and the seed (a single
run's scenario, seed and replication), never only the experiment or scenario file, which
may have changed since. Each run is made again by the code that made it (the runner's
`prepare_run` and `write_files`, or the store's `write_run` for a single run) into a
scratch directory, and each file is compared with the directory's: byte for byte, and
where the bytes differ (another machine's floating point: numpy's `exp` and the C
library's `log1p` differ in the last bit between machines) value for value, to 1e-12
relative. A file on disk that no longer matches the hash recorded when it was written has
changed since the run, whatever the re-run says.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shlex
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.errors import ScenarioError, UserError
from simulator.model.loading import load_scenario, scenario_from_dict
from simulator.model.results import SAVED_FROM, simulate
from simulator.runs.executors import Task, make_executor
from simulator.runs.experiment import load_experiment
from simulator.runs.runner import PreparedRun, Progress, prepare_run, write_files
from simulator.runs.store import (
    JOURNAL,
    MANIFEST,
    TRACE,
    TRACES,
    ExperimentManifest,
    Reproduction,
    RunManifest,
    SelectionRecord,
    file_hash,
    now,
    read_journal,
    read_runs_manifest,
    read_selection,
    run_file,
    scenario_hash,
    versions,
    write_reproduction,
    write_run,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from simulator.model.schema import Scenario

RELATIVE = 1e-12
"""How far apart (relative) two values may be where the files' bytes differ."""
DEFAULT_RUNS = 3
"""Runs checked unless told: replication 0 of every variant among them, and at least these."""
SHOWN = 3
"""Columns (or KPIs) said in full of a file that differs; the others are named."""


def reproduce(directory: str | Path, runs: int = DEFAULT_RUNS, all: bool = False,
              workers: int | None = None, progress: Progress | None = None) -> Reproduction:
    """Make a sample of a results directory's runs again, compare their files with the
    directory's, and record the outcome in it (`reproduction.json`).

    Args:
        directory: a results directory of `simulator compare` (or `run_experiment`), or of
            `simulator run` (one run).
        runs: how many of an experiment's runs to make again: replication 0 of every
            variant, and others spread over the rest up to `runs` in all.
        all: make every current run again instead.
        workers: local worker processes (default: all cores, at most one per run).
        progress: told (runs done, runs in all, runs failed) as runs finish.

    Raises:
        UserError: if `directory` is not a results directory of this format, or its
            manifest's scenarios are not valid.
    """
    if runs < 1:
        raise ValueError(f"runs must be at least 1, got {runs}")
    directory = Path(directory)
    manifest = read_runs_manifest(directory, _EXPLORATION_REPRODUCED)
    report = progress or _unreported
    with tempfile.TemporaryDirectory(prefix="simulator-reproduce-") as scratch:
        if isinstance(manifest, RunManifest):
            findings = _check_run(directory, manifest, Path(scratch), report)
        else:
            findings = _check_experiment(directory, manifest, Path(scratch), runs, all,
                                         workers, report)
    command, command_note = _command(directory, manifest)
    record = Reproduction(
        checked_at=now(), check_command=_check_command(directory, runs, all),
        command=command, command_note=command_note, runs=findings.runs,
        reproduced=len(findings.runs) - len(findings.failing),
        total=len(findings.runs),
        comparison="1e-12 relative" if findings.closest else "bit for bit",
        differences=findings.differences, notes=findings.notes(manifest.versions),
        versions=versions())
    write_reproduction(directory, record)
    return record


def reproduction_command(directory: str | Path) -> tuple[str | None, str]:
    """A command that makes the whole directory again from scratch (none for results made
    in Python), and whether its file still resolves to what the manifest records."""
    directory = Path(directory)
    return _command(directory, read_runs_manifest(directory, _EXPLORATION_REPRODUCED))


_EXPLORATION_REPRODUCED = ("`simulator explore FILE --out DIR` makes any of its runs again, "
                          "and 1 or 2 workers or Dask write the same files")


def _unreported(done: int, total: int, failed: int) -> None:
    """Progress nobody asked to see."""


# --- what a check finds -------------------------------------------------------------------------


@dataclass
class Findings:
    """What the comparisons found: differences as readable lines, by run."""

    runs: list[str] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)
    """The runs that did not write the directory's files."""
    differences: list[str] = field(default_factory=list)
    closest: list[float] = field(default_factory=list)
    """For each file (or KPIs) whose bytes differ and values agree: its largest relative
    difference."""
    left_out: list[str] = field(default_factory=list)
    """Notes on what was not checked, and why."""

    def add(self, run: str, lines: list[str]) -> None:
        if lines:
            self.failing.add(run)
            self.differences.extend(f"{run}: {line}" for line in lines)

    def notes(self, recorded: dict[str, str]) -> list[str]:
        """What was left out, versions that changed since the run, and why values were
        compared rather than bytes."""
        found = list(self.left_out)
        current = versions()
        changed = [f"{name} {recorded[name]} (now {current[name]})" for name in current
                   if name in recorded and recorded[name] != current[name]]
        if changed:
            found.append(f"recorded with {', '.join(changed)}")
        if self.closest:
            files = "1 file" if len(self.closest) == 1 else f"{len(self.closest)} files"
            found.append(f"the bytes of {files} differ, their values agree "
                         f"to {RELATIVE:g} relative (largest relative difference "
                         f"{max(self.closest):.2g}): this machine's floating point, or a "
                         "library's way of writing files, differs from the recording one's")
        return found


# --- a single run -------------------------------------------------------------------------------


def _check_run(directory: Path, manifest: RunManifest, scratch: Path,
               report: Progress) -> Findings:
    """Make the run again with the scenario, seed and replication its manifest records,
    written as `simulator run` writes it."""
    findings = Findings()
    name = f"seed {manifest.seed}" + (f", replication {manifest.replication}"
                                      if manifest.replication else "")
    findings.runs.append(name)
    scenario, _ = _resolved(directory, manifest.scenario, manifest.scenario_hash,
                            "the scenario", findings)
    report(0, 1, 0)
    try:
        result = simulate(scenario, seed=manifest.seed, replication=manifest.replication,
                          trace=run_file(TRACE, suffix="jsonl") in manifest.files)
    except Exception as error:  # the re-run's failure is what the check found
        findings.add(name, [f"the re-run failed: {type(error).__name__}: {error}"])
        report(1, 1, 1)
        return findings
    written = [path.name for path in write_run(result, scratch, manifest.source,
                                               manifest.overrides) if path.name != MANIFEST]
    findings.add(name, _compare_files(directory, scratch, manifest.files, written, findings))
    report(1, 1, 0)
    return findings


# --- an experiment ------------------------------------------------------------------------------


def _check_experiment(directory: Path, manifest: ExperimentManifest, scratch: Path, runs: int,
                      every: bool, workers: int | None, report: Progress) -> Findings:
    """Make a sample of the experiment's current runs again, as its runner did, on
    `workers` processes; and check the summary and comparison against the manifest's
    hashes."""
    findings = Findings()
    journal = read_journal(directory)
    current = _current_runs(manifest, journal, findings, read_selection(directory))
    if not current:
        raise UserError(f"{directory}: no finished runs to check")
    chosen = current if every else _sample(current, runs)
    scenarios = {variant: _resolved(directory, record.scenario, record.scenario_hash,
                                    f"variant {variant}'s scenario", findings)[1]
                 for variant, record in manifest.variants.items()}
    tasks = [Task(variant, replication, manifest.seed, scenarios[variant],
                  manifest.variants[variant].scenario,
                  trace=any(name.startswith(f"{TRACES}/")
                            for name in journal[(variant, replication)]["files"]))
             for variant, replication in chosen]
    findings.runs.extend(f"{variant}/{replication}" for variant, replication in chosen)
    found: dict[str, list[str]] = {}
    count = min(workers or os.cpu_count() or 1, len(tasks))
    executor = make_executor(count, None)
    try:
        done, failed = 0, 0
        report(done, len(tasks), failed)
        for prepared in executor.run(tasks, prepare_run):
            recorded = journal[(prepared.task.variant, prepared.task.replication)]
            name = f"{prepared.task.variant}/{prepared.task.replication}"
            found[name] = _compare_run(directory, scratch, prepared, recorded, findings)
            done, failed = done + 1, failed + (prepared.error is not None)
            report(done, len(tasks), failed)
    finally:
        executor.close()
    for name in findings.runs:  # in the directory's order, whatever order runs finished in
        findings.add(name, found[name])
    for name, digest in manifest.files.items():
        findings.differences.extend(f"{name}: {line}" for line in _changed(
            directory / name, digest, "since the experiment finished (its SHA-256 no longer "
                                      "matches the manifest's)"))
    return findings


def _current_runs(manifest: ExperimentManifest, journal: dict[tuple[str, int], dict[str, Any]],
                  findings: Findings, selection: SelectionRecord | None
                  ) -> list[tuple[str, int]]:
    """The runs the directory's tables show (the manifest's `replications` of each variant,
    or as many as a selection gave each; every journalled run of one that has not finished)
    that wrote files, in order."""
    order = manifest.variant_names
    if selection is not None:
        runs = [(variant, k) for variant in order
                for k in range(selection.variants[variant].replications)]
    elif manifest.replications is not None:
        runs = [(variant, k) for variant in order for k in range(manifest.replications)]
    else:
        findings.left_out.append(f"the experiment is {manifest.status}: the runs journalled "
                                 "so far were checked")
        runs = sorted((run for run in journal if run[0] in order),
                      key=lambda run: (order.index(run[0]), run[1]))
    missing = [f"{variant}/{k}" for variant, k in runs if (variant, k) not in journal]
    if missing:
        findings.differences.append(f"runs.jsonl: no line for {len(missing)} current runs "
                                    f"({_listed(missing)})")
    failed = [f"{variant}/{k}" for variant, k in runs
              if journal.get((variant, k), {}).get("error") is not None]
    if failed:
        findings.left_out.append(f"{len(failed)} failed runs left out, having written no files "
                                 f"({_listed(failed)})")
    return [run for run in runs if run in journal and journal[run].get("error") is None]


def _sample(current: list[tuple[str, int]], runs: int) -> list[tuple[str, int]]:
    """Replication 0 of every variant (its event trace too), then runs spread evenly over
    the rest, up to `runs` in all; in the directory's order."""
    firsts = [run for run in current if run[1] == 0]
    rest = [run for run in current if run[1] != 0]
    extra = min(max(runs - len(firsts), 0), len(rest))
    chosen = set(firsts) | {rest[k * len(rest) // extra] for k in range(extra)}
    return [run for run in current if run in chosen]


def _compare_run(directory: Path, scratch: Path, prepared: PreparedRun,
                 recorded: dict[str, Any], findings: Findings) -> list[str]:
    """Write a re-run's files as the runner does, into `scratch`, and compare them and its
    KPIs with the directory's and the journal's; the scratch files go once compared."""
    if prepared.error is not None:
        return [f"the re-run failed: {prepared.error.splitlines()[0]}"]
    entry = write_files(scratch, prepared)
    try:
        return [*_compare_files(directory, scratch, recorded["files"], entry["files"], findings),
                *_compare_kpis(recorded.get("kpis") or {}, entry["kpis"], findings)]
    finally:
        for relative in entry["files"]:
            (scratch / relative).unlink()


def _compare_kpis(recorded: dict[str, Any], rerun: dict[str, Any],
                  findings: Findings) -> list[str]:
    """The re-run's KPIs against the journal's, from which the summary and comparison are made."""
    differing = []
    largest = 0.0
    for name in sorted(recorded.keys() | rerun.keys()):
        relative = (_json_relative(recorded[name], rerun[name])
                    if name in recorded and name in rerun else math.inf)
        largest = max(largest, relative)
        if relative > RELATIVE:
            differing.append(f"{name} ({recorded.get(name, 'missing')} recorded, "
                             f"{rerun.get(name, 'missing')} re-run)")
    if not differing:
        if largest > 0:
            findings.closest.append(largest)
        return []
    return [f"{JOURNAL}: {len(differing)} KPIs differ from the run's line: "
            f"{_listed(differing, SHOWN)}"]


# --- comparing files ----------------------------------------------------------------------------


def _compare_files(directory: Path, scratch: Path, recorded: dict[str, str],
                   written: Iterable[str], findings: Findings) -> list[str]:
    """Each file the re-run wrote against the directory's and the hash recorded for it."""
    written = set(written)
    lines = []
    for relative in sorted(recorded.keys() | written):
        if relative not in written:
            lines.append(f"{relative}: recorded when the run was written, but not re-written")
        elif relative not in recorded:
            lines.append(f"{relative}: written by the re-run, but not recorded with the run")
        else:
            lines.extend(f"{relative}: {line}" for line in _compare_file(
                directory / relative, scratch / relative, recorded[relative], findings))
    return lines


def _compare_file(kept: Path, fresh: Path, digest: str, findings: Findings) -> list[str]:
    """What differs between the directory's file, its recorded hash and the re-run's."""
    changed = _changed(kept, digest, "since the run (its SHA-256 no longer matches the one "
                                     "recorded when it was written)")
    if changed and not kept.is_file():
        return changed
    fresh_bytes = fresh.read_bytes()
    if changed:
        if hashlib.sha256(fresh_bytes).hexdigest() == digest:
            return [f"{changed[0]}; the re-run writes it as recorded"]
        return [*changed, *_value_differences(kept, fresh)[0]]
    if kept.read_bytes() == fresh_bytes:
        return []
    differing, largest = _value_differences(kept, fresh)
    if not differing:
        findings.closest.append(largest)
    return differing


def _changed(path: Path, digest: str, since: str) -> list[str]:
    if not path.is_file():
        return ["missing from the directory"]
    return [] if file_hash(path) == digest else [f"changed {since}"]


def _value_differences(kept: Path, fresh: Path) -> tuple[list[str], float]:
    """What differs beyond `RELATIVE` between two files of one table, column by column
    (event by event for a trace), and the largest relative difference of any value."""
    if kept.suffix == ".jsonl":
        return _trace_differences(kept, fresh)
    if kept.suffix not in (".parquet", ".csv"):
        return ["the bytes differ"], math.inf
    return _frame_differences(_read_table(kept), _read_table(fresh))


def _read_table(path: Path) -> pd.DataFrame:
    import pandas as pd
    import pyarrow.parquet as pq

    if path.suffix == ".parquet":  # the file alone, not its folder's `variant=` as a column
        return pq.read_table(path, partitioning=None).to_pandas()
    return pd.read_csv(path)


def _frame_differences(kept: pd.DataFrame, fresh: pd.DataFrame) -> tuple[list[str], float]:
    if list(kept.columns) != list(fresh.columns):
        missing = [column for column in kept.columns if column not in fresh.columns]
        extra = [column for column in fresh.columns if column not in kept.columns]
        said = [*([f"columns {_listed(missing)} not re-written"] if missing else []),
                *([f"new columns {_listed(extra)}"] if extra else [])]
        return said or ["the columns are in another order"], math.inf
    if len(kept) != len(fresh):
        return [f"{len(fresh)} rows re-written where the directory has {len(kept)}"], math.inf
    lines, differing, largest = [], [], 0.0
    for column in kept.columns:
        relative = _relative_differences(kept[column], fresh[column])
        worst = float(relative.max()) if len(relative) else 0.0
        largest = max(largest, worst)
        wrong = int((relative > RELATIVE).sum())
        if wrong:
            differing.append(str(column))
            lines.append(f"column {column}: {wrong} of {len(relative)} values differ"
                         + (f" (largest relative difference {worst:.2g})"
                            if math.isfinite(worst) else ""))
    if len(lines) > SHOWN:
        more = differing[SHOWN:]
        lines = [*lines[:SHOWN], f"{len(more)} more columns differ: {_listed(more)}"]
    return lines, largest


def _relative_differences(kept: pd.Series, fresh: pd.Series) -> np.ndarray:
    """Each value's relative difference: 0 where equal (missing in both included), infinite
    where text, types or missing values differ."""
    import numpy as np
    import pandas as pd

    numeric = pd.api.types.is_numeric_dtype
    if numeric(kept) and numeric(fresh):
        x = kept.to_numpy(dtype=float, na_value=np.nan)
        y = fresh.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(all="ignore"):
            relative = np.abs(x - y) / np.maximum(np.abs(x), np.abs(y))
        relative[(x == y) | (np.isnan(x) & np.isnan(y))] = 0.0
        relative[np.isnan(relative)] = np.inf
        return relative
    return np.array([0.0 if _same(a, b) else np.inf
                     for a, b in zip(kept.astype(object), fresh.astype(object))])


def _same(a: Any, b: Any) -> bool:
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    return bool(a == b)


def _missing(value: Any) -> bool:
    import pandas as pd

    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _trace_differences(kept: Path, fresh: Path) -> tuple[list[str], float]:
    """Two event traces, event by event."""
    old, new = ([json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
                for path in (kept, fresh))
    if len(old) != len(new):
        return [f"{len(new)} events re-written where the directory has {len(old)}"], math.inf
    relative = [_json_relative(a, b) for a, b in zip(old, new)]
    wrong = [line for line, difference in enumerate(relative, 1) if difference > RELATIVE]
    largest = max(relative, default=0.0)
    if not wrong:
        return [], largest
    return [f"{len(wrong)} of {len(old)} events differ, the first on line {wrong[0]}"], largest


def _json_relative(a: Any, b: Any) -> float:
    """The largest relative difference between two JSON values, number by number; infinite
    where anything else differs."""
    if isinstance(a, bool) or isinstance(b, bool) or not (
            isinstance(a, int | float) and isinstance(b, int | float)):
        if isinstance(a, dict) and isinstance(b, dict):
            if a.keys() != b.keys():
                return math.inf
            return max((_json_relative(a[key], b[key]) for key in a), default=0.0)
        if isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                return math.inf
            return max((_json_relative(x, y) for x, y in zip(a, b)), default=0.0)
        return 0.0 if a == b else math.inf
    x, y = float(a), float(b)
    if x == y or (math.isnan(x) and math.isnan(y)):
        return 0.0
    relative = abs(x - y) / max(abs(x), abs(y))
    return math.inf if math.isnan(relative) else relative


# --- the manifest's scenarios and commands ------------------------------------------------------


def _resolved(directory: Path, data: dict[str, Any], recorded_hash: str, what: str,
              findings: Findings) -> tuple[Scenario, str]:
    """A scenario of the manifest, validated, with its hash; one that no longer has the
    hash recorded with it was edited since the run."""
    try:
        scenario = scenario_from_dict(data)
    except ScenarioError as error:
        raise UserError(f"{directory}: {MANIFEST}: {what} is not a valid scenario: "
                        f"{error}") from None
    key = scenario_hash(scenario)
    if key != recorded_hash:
        findings.differences.append(f"{MANIFEST}: {what} no longer has the hash recorded "
                                    "with it (edited since the run)")
    return scenario, key


def _command(directory: Path, manifest: RunManifest | ExperimentManifest
             ) -> tuple[str | None, str]:
    if isinstance(manifest, RunManifest):
        return _run_command(directory, manifest)
    return _experiment_command(directory, manifest)


def _experiment_command(directory: Path, manifest: ExperimentManifest
                        ) -> tuple[str | None, str]:
    source = manifest.source
    if source.startswith("<"):
        return None, (f"made in Python ({source}), not from a file: the manifest's variants "
                      "hold every run's scenario")
    command = shlex.join(["simulator", "compare", source, "--out", str(directory)])
    try:
        plan = load_experiment(source)
    except ScenarioError as error:
        return command, (f"{source} cannot be read from here ({_briefly(error)}); the "
                         "manifest holds the scenarios that ran")
    if plan.identity() != manifest.identity:
        return command, (f"{source} has changed since the run: it resolves to other scenarios "
                         "or another seed than the manifest records (their hashes), so this "
                         "command would not make these results")
    settings = plan.experiment.model_dump(mode="json")
    recorded = manifest.experiment.model_dump(mode="json")
    changed = sorted(key for key in settings.keys() | recorded.keys()
                     if settings.get(key) != recorded.get(key))
    if changed:
        return command, (f"{source} resolves to the scenarios and seed the manifest records, "
                         f"but its {_listed(changed)} changed since the run")
    return command, (f"{source} resolves to the scenarios and seed the manifest records (the "
                     "same hashes); into another --out the command runs everything again, "
                     "into this one it finds nothing missing")


def _run_command(directory: Path, manifest: RunManifest) -> tuple[str | None, str]:
    source = manifest.source
    if source == SAVED_FROM or manifest.replication != 0:
        return None, (f"made in Python ({source}, replication {manifest.replication}): "
                      "`simulator.simulate` with the manifest's scenario, seed and replication "
                      "makes it again")
    arguments = ["simulator", "run", source, "--seed", str(manifest.seed)]
    for path, value in manifest.overrides:
        arguments += ["--set", f"{path}={json.dumps(value)}"]
    if run_file(TRACE, suffix="jsonl") in manifest.files:
        arguments.append("--trace")
    command = shlex.join([*arguments, "--out", str(directory)])
    try:
        scenario = load_scenario(source, manifest.overrides)
    except ScenarioError as error:
        return command, (f"{source} cannot be read from here ({_briefly(error)}); the "
                         "manifest holds the scenario that ran")
    if scenario_hash(scenario) != manifest.scenario_hash:
        return command, (f"{source} has changed since the run: with the overrides it resolves "
                         "to another scenario than the manifest records (its hash), so this "
                         "command would not make these results")
    return command, (f"{source} with the overrides resolves to the scenario the manifest "
                     "records (the same hash)")


def _check_command(directory: Path, runs: int, every: bool) -> str:
    options = ["--all"] if every else [] if runs == DEFAULT_RUNS else ["--runs", str(runs)]
    return shlex.join(["simulator", "reproduce", str(directory), "--check", *options])


def _briefly(error: Exception) -> str:
    """A problem's last line: the problem itself, after a heading such as `1 problem found:`."""
    lines = str(error).splitlines()
    return lines[-1].strip() if lines else type(error).__name__


def _listed(names: list[str], shown: int = 5) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more

