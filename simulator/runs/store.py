"""The results directory: its layout, its manifest, its journal, and every write into it.

What `simulator run` and `simulator compare` write, and what the figures, the
report and `ExperimentResult` read, is named here and nowhere else. Every file
is written to a temporary name in the same directory and renamed into place,
so a reader (or an interrupted run) never sees half a file. The manifest is a
typed record with a format version, read and written only here; a directory
of another format is refused with what to do, never misread.

Nothing here runs a simulation: the read side (figures, report) imports this
module without SimPy, the engine or the YAML loader.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import platform
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from simulator.errors import UserError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from simulator.model.loading import Override
    from simulator.model.processes import TraceEvent
    from simulator.model.results import RunResult
    from simulator.model.schema import Scenario

FormatVersion = Literal[3]
FORMAT_VERSION: Final[FormatVersion] = 3
"""The format of results directories this version writes and reads. Format 3 holds the
revised model's metrics (engaged pairs, disrupted modules, partners' participations);
format 2 added the `shares` column to the end-of-run tables; format 1 manifests say no
version."""
PACKAGES = ("simpy", "numpy", "pydantic", "pandas", "pyarrow", "scipy", "matplotlib")
"""The packages whose versions a manifest records."""

Kind = Literal["run", "experiment", "exploration"]
Status = Literal["running", "interrupted", "failed", "finished"]
"""How far an experiment got: `running`, stopped (`interrupted`, `failed`) or `finished`."""

# --- the layout ---------------------------------------------------------------------------------

MANIFEST, PLOTS, REPORT = "manifest.json", "plots", "report.html"
MODEL_DESCRIPTION = "model_description.md"
"""The model described in the STRESS-DES structure, which `simulator report` writes beside the
report."""
SERIES, FINAL = "series", "final"
TRACE, TRACES = "trace", "traces"
"""A single run's event trace (`trace.jsonl`); an experiment's folder of them."""
JOURNAL = "runs.jsonl"
SYNC_SECONDS = 1.0
"""How often the journal is forced to disk: an fsync a line cost the parent about 1 ms of
CPU a run, as much as everything else it does for a run."""
SUMMARY_CSV, SUMMARY_PARQUET, COMPARISON = "summary.csv", "summary.parquet", "comparison.csv"
CHECKS = "checks.csv"
"""The validation suite's outcome (`simulator check --out DIR`): beside a run's or an
experiment's results, for the report."""
REPRODUCTION = "reproduction.json"
"""The last `simulator reproduce DIR --check`: which runs were made again and what differed."""
SELECTION = "selection.json"
"""The outcome of an experiment's `selection`: the best variant, or why there is none, with
each variant's replications and the intervals for the report."""
FUTURES, OUTCOMES = "futures.parquet", "outcomes.parquet"
"""An exploration's design (a row per future: its values of the uncertainties) and its
outcomes (a row per future and policy: the means over replications)."""
RUNS = "runs"
"""An exploration's folder of runs: one Parquet file per task of many runs (a row per run,
its KPIs and the primary outcome year by year), so that 100,000 runs are not 100,000 files."""
SENSITIVITY, ROBUSTNESS, VARIANCE = "sensitivity.csv", "robustness.csv", "variance.csv"
DISCOVERY, TRAJECTORIES = "discovery.csv", "discovery_trajectory.csv"
SUFFICIENCY = "sufficiency.csv"
"""Whether each analysis's sample was large enough, and how many futures it would need."""
ANALYSES = (SENSITIVITY, ROBUSTNESS, VARIANCE, DISCOVERY, TRAJECTORIES, SUFFICIENCY)
"""An exploration's analyses, each a table written from its outcomes."""


def run_file(table: str, variant: str | None = None, replication: int = 0,
             suffix: str = "parquet") -> str:
    """Where one run keeps a table, relative to its results directory: at the top of a
    single run's (`series.parquet`); in an experiment's, one folder per table partitioned
    by variant (Hive style), so that one glob per table reads every run."""
    if variant is None:
        return f"{table}.{suffix}"
    return f"{table}/variant={variant}/rep-{replication:05d}.{suffix}"


RUN_FILES = (*(run_file(table, suffix=suffix) for table in (SERIES, "nations", "regions")
               for suffix in ("parquet", "csv")),
             *(run_file(table, suffix="csv") for table in ("kpis", "trust", "interoperability")),
             run_file(FINAL), run_file(TRACE, suffix="jsonl"))
"""Every table a single run writes; with its manifest, figures, report and last check of
reproduction, all a run's directory holds of it (the user's other files stay)."""
EXPERIMENT_OUTPUTS = (MANIFEST, JOURNAL, SERIES, FINAL, TRACES, SUMMARY_CSV, SUMMARY_PARQUET,
                      COMPARISON, SELECTION, PLOTS, REPORT, MODEL_DESCRIPTION, CHECKS,
                      REPRODUCTION)
"""Everything an experiment writes, with the validation table and the check of reproduction
written beside it for its report (checks of another model version, or of other runs, must not
stay); `--force` removes only these."""
EXPLORATION_OUTPUTS = (MANIFEST, JOURNAL, FUTURES, RUNS, SERIES, OUTCOMES, *ANALYSES, PLOTS,
                       REPORT)
"""Everything an exploration writes; `--force` removes only these."""


def task_file(table: str, name: str) -> str:
    """Where an exploration's task keeps a table (its runs, or the series it kept)."""
    return f"{table}/{name}.parquet"


# --- the manifest -------------------------------------------------------------------------------


class _Part(BaseModel):
    """A part of a manifest: written by this module only, so an unknown key is damage."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RunManifest(_Part):
    """A single run's receipt: what ran, from what, with which seed and versions."""

    kind: Literal["run"] = "run"
    version: FormatVersion = FORMAT_VERSION
    source: str
    """The scenario file, or what the run was made from in Python."""
    scenario: dict[str, Any]
    """The resolved scenario, as plain data."""
    scenario_hash: str
    overrides: list[tuple[str, Any]]
    """Each override as given (`--set`): dotted path and value."""
    seed: int
    replication: int
    versions: dict[str, str]
    started: str
    """ISO 8601 time in UTC, to the second, as are the other times of a manifest."""
    finished: str
    wall_seconds: float
    files: dict[str, str] = {}
    """Each table written, with its SHA-256 (none for a run held in memory)."""


class VariantRecord(_Part):
    """One variant of an experiment as resolved."""

    description: str
    overrides: dict[str, Any]
    """Every value the variant changes, by path (list items by id), with its final value."""
    scenario_hash: str
    scenario: dict[str, Any]


class ExperimentRecord(BaseModel):
    """The experiment's settings as given, kept whole; typed where the results are read."""

    model_config = ConfigDict(extra="allow", frozen=True)

    description: str
    baseline: str
    primary_metric: str
    goal: Literal["maximize", "minimize"]
    practical_difference: float | dict[str, float] | None = None


class ExperimentManifest(_Part):
    """An experiment's receipt: every variant resolved, how far it got, and why it stopped."""

    kind: Literal["experiment"] = "experiment"
    version: FormatVersion = FORMAT_VERSION
    name: str
    status: Status
    identity: str
    """What makes two runs interchangeable (`Plan.identity`): a resumption needs the same."""
    source: str
    scenario_source: str
    experiment: ExperimentRecord
    seed: int
    variants: dict[str, VariantRecord]
    versions: dict[str, str]
    started: str
    interrupted: str | None = None
    failed: str | None = None
    finished: str | None = None
    stop_reason: str | None = None
    replications: int | None = None
    """How many replications of each variant are current (once finished)."""
    failed_runs: list[str] | None = None
    files: dict[str, str] = {}
    """The summary's and the comparison's SHA-256 (once finished)."""

    @property
    def variant_names(self) -> list[str]:
        """The baseline first, then the others in the experiment's order."""
        baseline = self.experiment.baseline
        return [baseline] + [name for name in self.variants if name != baseline]

    @property
    def failures(self) -> list[str]:
        """The runs that failed, as `variant/replication`: known once the experiment finished.

        Raises:
            ValueError: if it has not finished.
        """
        if self.failed_runs is None:
            raise ValueError(f"experiment {self.name!r} is {self.status}: its failed runs are "
                             "counted when it finishes")
        return self.failed_runs


class PolicyRecord(_Part):
    """One policy of an exploration as resolved against the scenario as written."""

    description: str
    overrides: dict[str, Any]


class ExplorationManifest(_Part):
    """An exploration's receipt: its file as written, the scenario it varies, its policies,
    how far it got, and which runs failed."""

    kind: Literal["exploration"] = "exploration"
    version: FormatVersion = FORMAT_VERSION
    name: str
    status: Status
    identity: str
    """What makes two runs interchangeable (`ExplorationPlan.identity`)."""
    source: str
    scenario_source: str
    exploration: dict[str, Any]
    """The exploration file's settings, as validated."""
    scenario_hash: str
    scenario: dict[str, Any]
    """The scenario every future starts from, as written."""
    policies: dict[str, PolicyRecord]
    seed: int
    futures: int
    replications: int
    runs: int
    """Runs of the design: futures x policies x replications."""
    tasks: int
    kept_series: list[int] = []
    """The futures whose time series are kept in `series/`."""
    versions: dict[str, str]
    started: str
    interrupted: str | None = None
    failed: str | None = None
    finished: str | None = None
    failed_runs: list[str] | None = None
    """The runs that failed, as `future/policy/replication` (once finished)."""
    left_out: dict[str, str] = {}
    """What an analysis could not use, and why: `sensitivity`, `robustness`, ..."""
    files: dict[str, str] = {}
    """The outcomes' and the analyses' SHA-256 (once finished)."""


Manifest = RunManifest | ExperimentManifest | ExplorationManifest
MANIFESTS: dict[Kind, type[Manifest]] = {"run": RunManifest, "experiment": ExperimentManifest,
                                         "exploration": ExplorationManifest}


class _Header(BaseModel):
    """What the manifest of every format says: whose results, and in which format."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: Kind
    version: int = 1
    """Format 1, the first, wrote no version."""


def write_manifest(directory: Path, manifest: Manifest) -> Path:
    """The manifest as indented JSON, for people and other tools to read too."""
    return atomic_text(directory / MANIFEST,
                       json.dumps(manifest.model_dump(mode="json"), indent=2) + "\n")


def read_manifest(directory: Path) -> Manifest:
    """The manifest of a results directory of this format.

    Raises:
        UserError: if the directory has none, or one of another format, or a damaged one;
            the message says what to do.
    """
    data, header = _read_header(directory)
    if header is None:
        raise UserError(f"{directory}: not a results directory (no {MANIFEST} of a run, "
                        "an experiment or an exploration)")
    if header.version != FORMAT_VERSION:
        age = "an earlier" if header.version < FORMAT_VERSION else "a newer"
        advice = (_rewrite(header.kind) if header.version < FORMAT_VERSION
                  else "read it with that version")
        raise UserError(f"{directory}: written by {age} version of simulator (results format "
                        f"{header.version}; this version reads format {FORMAT_VERSION}); "
                        f"{advice}")
    try:
        return MANIFESTS[header.kind].model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(map(str, first["loc"]))
        raise UserError(f"{directory}: {MANIFEST} is damaged ({where}: {first['msg']}); "
                        f"{_rewrite(header.kind)}") from None


def read_experiment_manifest(directory: Path) -> ExperimentManifest:
    """The manifest of an experiment's results directory.

    Raises:
        UserError: as `read_manifest` does, or if the directory holds a single run's results.
    """
    manifest = read_manifest(directory)
    if not isinstance(manifest, ExperimentManifest):
        raise UserError(f"{directory}: results of {_KIND_WORDS[manifest.kind]}, not of an "
                        "experiment")
    return manifest


def read_runs_manifest(directory: Path, refusal: str) -> RunManifest | ExperimentManifest:
    """The manifest of a run's or an experiment's results directory.

    Raises:
        UserError: as `read_manifest` does, or, with `refusal` (what to do instead), if the
            directory holds an exploration.
    """
    manifest = read_manifest(directory)
    if isinstance(manifest, ExplorationManifest):
        raise UserError(f"{directory}: results of an exploration; {refusal}")
    return manifest


def read_exploration_manifest(directory: Path) -> ExplorationManifest:
    """The manifest of an exploration's results directory.

    Raises:
        UserError: as `read_manifest` does, or if the directory holds other results.
    """
    manifest = read_manifest(directory)
    if not isinstance(manifest, ExplorationManifest):
        raise UserError(f"{directory}: results of {_KIND_WORDS[manifest.kind]}, not of an "
                        "exploration")
    return manifest


_KIND_WORDS: dict[Kind, str] = {"run": "a single run", "experiment": "an experiment",
                                "exploration": "an exploration"}


def _read_header(directory: Path) -> tuple[Any, _Header | None]:
    """The manifest's data and header; no header if there is no manifest of ours."""
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        return data, _Header.model_validate(data)
    except (OSError, ValueError):  # unreadable, not JSON, or not a manifest (ValidationError)
        return None, None


def _rewrite(kind: Kind) -> str:
    again = {"run": "`simulator run` again",
             "experiment": "`simulator compare` again with --force",
             "exploration": "`simulator explore` again with --force"}[kind]
    return f"run {again} to rewrite it"


# --- preparing a directory ----------------------------------------------------------------------


def prepare_directory(directory: Path, kind: Kind, identity: str | None = None,
                      force: bool = False) -> None:
    """Create `directory`, or make it ready for results of `kind`. A run's directory is
    reused (`write_run` replaces the previous run as a whole); an experiment's is resumed
    when it holds the same experiment (`identity`) in this format, and with `force` its
    results are replaced otherwise.

    Raises:
        UserError: if it holds anything but results of `kind`, so nothing of the user's
            is overwritten; or another experiment's results, without `force`.
    """
    if directory.exists() and not directory.is_dir():
        raise UserError(f"{directory}: exists and is not a directory")
    if directory.is_dir() and any(directory.iterdir()):
        _, header = _read_header(directory)
        if header is None or header.kind != kind:
            article = "a" if kind == "run" else "an"
            raise UserError(f"{directory}: not empty and not a results directory of "
                            f"{article} {kind}; choose another --out")
        if kind != "run":
            _reuse(directory, kind, identity, force)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"{directory}: cannot create the directory ({error.strerror})") from None


DIFFERENT = {"experiment": "other scenarios or seed",
             "exploration": "another scenario, uncertainties, policies, design or seed"}


def _reuse(directory: Path, kind: Kind, identity: str | None, force: bool) -> None:
    """Resume the same experiment or exploration; replace another's (or one of another
    format) if `force`."""
    try:
        previous = read_manifest(directory)
    except UserError as error:
        refusal = str(error)
    else:
        assert not isinstance(previous, RunManifest)  # the header said `kind`
        if previous.identity == identity:
            _remove_leftovers(directory)
            return
        refusal = (f"{directory}: holds results of a different {kind} ({previous.name!r}, "
                   f"{DIFFERENT[kind]}); choose another --out, or add --force to "
                   "replace them")
    if not force:
        raise UserError(refusal)
    _remove(directory, EXPLORATION_OUTPUTS if kind == "exploration" else EXPERIMENT_OUTPUTS)


def _remove_leftovers(directory: Path) -> None:
    """A writer killed mid-write leaves its temporary file (`atomic_write`), and the file
    it was writing is made again when the work resumes: the temporary goes."""
    for temporary in directory.rglob(".*.tmp"):
        temporary.unlink(missing_ok=True)


def _remove(directory: Path, names: Iterable[str]) -> None:
    for name in names:
        target = directory / name
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)


# --- writing ------------------------------------------------------------------------------------


def atomic_write(path: Path, write: Callable[[Path], Any]) -> Path:
    """Call `write(temporary_path)`, then rename the result to `path`."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def atomic_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def atomic_bytes(path: Path, content: bytes) -> Path:
    return atomic_write(path, lambda temporary: temporary.write_bytes(content))


def atomic_csv(path: Path, frame: pd.DataFrame, index: bool = False) -> Path:
    return atomic_write(path, lambda temporary: frame.to_csv(temporary, index=index))


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario, independent of key order and formatting."""
    return data_hash(scenario.model_dump(mode="json"))


def data_hash(data: Any) -> str:
    """SHA-256 of plain data, independent of key order and formatting."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def now() -> str:
    """The time a manifest records: UTC, to the second."""
    return timestamp(datetime.now(timezone.utc))


def timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def versions() -> dict[str, str]:
    """Python's and the packages' versions, for provenance."""
    return dict(_versions())


@functools.cache  # reading package metadata takes about 12 ms; it cannot change in a run
def _versions() -> dict[str, str]:
    from simulator import __version__

    found = {"python": platform.python_version(), "simulator": __version__,
             "platform": f"{platform.platform()} ({os.cpu_count()} processors)"}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def arrow_table(columns: dict[str, np.ndarray]) -> pa.Table:
    """A table of numpy columns in Arrow, typed as its Parquet file stores it.

    Text is stored as large strings, as pandas stores it. The variant is stored
    as a dictionary, the type pyarrow (and so pandas) gives the `variant=` folder
    of an experiment's files: the column in the file and the one in the path
    then merge, and `pandas.read_parquet(DIR/series)` reads them as one dataset."""
    import pyarrow as pa

    return pa.table({name: pa.array(values).dictionary_encode() if name == "variant"
                     else pa.array(values, type=pa.large_string()
                                   if values.dtype.kind in "UO" else None)
                     for name, values in columns.items()})


def parquet_bytes(columns: dict[str, np.ndarray]) -> bytes:
    """A table of numpy columns as Parquet bytes, straight through Arrow (through pandas
    it cost the parent of an experiment more than a run costs a worker)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = pa.BufferOutputStream()
    pq.write_table(arrow_table(columns), buffer)
    return buffer.getvalue().to_pybytes()


def trace_records(trace: Iterable[TraceEvent], identity: dict[str, Any]
                  ) -> list[dict[str, Any]]:
    """The event trace as one flat record per event, each led by the run's `identity`."""
    return [{**identity, "time": event.time, "kind": event.kind, "entity": event.entity,
             **event.detail} for event in trace]


def trace_lines(trace: Iterable[TraceEvent], identity: dict[str, Any]) -> str:
    """The event trace as JSON Lines: one event per line, in time order."""
    return "".join(json.dumps(record) + "\n" for record in trace_records(trace, identity))


def write_run(result: RunResult, directory: Path, source: str,
              overrides: Iterable[Override]) -> list[Path]:
    """Write one run's tables, KPIs, matrices and manifest into `directory`, in place of a
    previous run's: its tables, figures, report and check of reproduction go first, so that
    nothing of it (a trace, a figure the next run would not redraw) stays beside the new run."""
    import pandas as pd

    _remove(directory, (*RUN_FILES, MANIFEST, PLOTS, REPORT, MODEL_DESCRIPTION, REPRODUCTION))
    written = []
    for table in (SERIES, "nations", "regions"):
        written.append(_write_parquet(directory / run_file(table), result.columns(table)))
        written.append(atomic_csv(directory / run_file(table, suffix="csv"),
                                  getattr(result, table)))
    kpis = pd.DataFrame([{**result.identity, **result.kpis}])
    written.append(atomic_csv(directory / run_file("kpis", suffix="csv"), kpis))
    written.append(atomic_csv(directory / run_file("trust", suffix="csv"), result.trust,
                              index=True))
    written.append(atomic_csv(directory / run_file("interoperability", suffix="csv"),
                              result.interoperability))
    written.append(_write_parquet(directory / run_file(FINAL), result.columns(FINAL)))
    if result.output.trace is not None:
        written.append(atomic_text(directory / run_file(TRACE, suffix="jsonl"),
                                   trace_lines(result.output.trace, result.identity)))
    manifest = run_manifest(result, source, overrides).model_copy(
        update={"files": {path.name: file_hash(path) for path in written}})
    written.append(write_manifest(directory, manifest))
    return written


def run_manifest(result: RunResult, source: str, overrides: Iterable[Override]) -> RunManifest:
    """A run's receipt without its files' checksums: what `write_run` writes (with them)
    and what the figures read of a run held in memory.

    Raises:
        ValueError: if the result was built without its scenario.
    """
    scenario = result.require_scenario("a run's manifest")
    return RunManifest(
        source=source, scenario=scenario.model_dump(mode="json"),
        scenario_hash=scenario_hash(scenario), overrides=list(overrides),
        seed=result.seed, replication=result.output.replication, versions=versions(),
        started=timestamp(result.started), finished=now(),
        wall_seconds=round(result.output.wall_seconds, 4))


def _write_parquet(path: Path, columns: dict[str, np.ndarray]) -> Path:
    return atomic_bytes(path, parquet_bytes(columns))


# --- the journal of an experiment's runs --------------------------------------------------------


RunKey = tuple[Any, ...]
"""What a journal line is about: an experiment's (variant, replication), an exploration's
(task,)."""


def experiment_run(entry: dict[str, Any]) -> RunKey:
    """An experiment's journal line is about one run: (variant, replication)."""
    return entry["variant"], int(entry["replication"])


@dataclass
class Journal:
    """The append-only record of finished work, one JSON line each, with its files'
    checksums and results; read back with every line verified, so that interrupted work
    resumes with exactly what is missing. An experiment's lines are runs; an exploration's,
    tasks of many runs (`key` says what a line is about)."""

    directory: Path
    key: Callable[[dict[str, Any]], RunKey] = experiment_run
    runs: dict[RunKey, dict[str, Any]] = field(default_factory=dict)
    synced: float = -math.inf
    """When the journal was last forced to disk (`time.monotonic`)."""

    @property
    def path(self) -> Path:
        return self.directory / JOURNAL

    def load(self) -> None:
        """Trust a line only if it is whole and its files match their checksums."""
        for key, entry in _journal_lines(self.path, self.key):
            if entry.get("error") is None and not self._verified(entry):
                continue
            self.runs[key] = entry

    def record(self, entry: dict[str, Any]) -> None:
        """Append `entry`'s line. A killed process loses no line that was written; the
        disk is forced at most every `SYNC_SECONDS` (a power cut loses at most those
        lines, whose work is done again), and at the end with `sync`."""
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self.path.open("a", encoding="utf-8") as journal:
            journal.write(line)
            journal.flush()
            if time.monotonic() - self.synced >= SYNC_SECONDS:
                self._force(journal.fileno())
        self.runs[self.key(entry)] = entry

    def sync(self) -> None:
        """Force every line written to disk."""
        if self.path.exists():
            with self.path.open("a", encoding="utf-8") as journal:
                self._force(journal.fileno())

    def _force(self, descriptor: int) -> None:
        os.fsync(descriptor)
        self.synced = time.monotonic()

    def done(self, *key: Any) -> bool:
        entry = self.runs.get(key)
        return entry is not None and entry.get("error") is None

    def failures(self) -> list[str]:
        """The runs that failed, as `variant/replication`, in order."""
        return [f"{variant}/{replication}" for (variant, replication), entry
                in sorted(self.runs.items()) if entry.get("error")]

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


def read_journal(directory: Path) -> dict[RunKey, dict[str, Any]]:
    """Each run's last whole line of the journal, as recorded, its files not verified: what
    the run wrote, to compare with the files on disk now."""
    return dict(_journal_lines(directory / JOURNAL, experiment_run))


def _journal_lines(path: Path, key: Callable[[dict[str, Any]], RunKey]
                   ) -> Iterable[tuple[RunKey, dict[str, Any]]]:
    """The journal's whole lines, in order, each with what it is about."""
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
            yield key(entry), entry
        except (ValueError, KeyError, TypeError):
            continue  # a line torn by a kill


# --- the last check of reproduction -------------------------------------------------------------

Comparison = Literal["bit for bit", "1e-12 relative"]
"""How re-run files were compared with the directory's: byte for byte, or (where some bytes
differ, as another machine's floating point makes them) value for value to 1e-12 relative."""


class Reproduction(_Part):
    """The last `simulator reproduce DIR --check` of a results directory: runs made again
    from its manifest alone, compared with its files and with the hashes recorded when they
    were written."""

    checked_at: str
    """ISO 8601 time in UTC, to the second, as a manifest's times."""
    check_command: str
    """The command that makes this check again."""
    command: str | None
    """A command that makes the whole directory again from scratch (`simulator compare
    FILE --out DIR`); none for results made in Python."""
    command_note: str
    """Whether the command's file still resolves to what the manifest records, which is
    what ran (its scenarios' hashes): the file may have changed since."""
    runs: list[str]
    """The runs made again: `variant/replication`, or a single run's `seed S`."""
    reproduced: int
    """Of those, how many wrote the directory's files (bit for bit, or to 1e-12 relative)."""
    total: int
    comparison: Comparison
    differences: list[str]
    """What differs, one readable line each: the run, the file, and the column or what."""
    notes: list[str]
    """What else the check found (versions since the run, failed runs left out)."""
    versions: dict[str, str]
    """Python's and the packages' versions that made the check."""

    @property
    def passed(self) -> bool:
        return self.reproduced == self.total and not self.differences

    @property
    def summary(self) -> str:
        """`5 of 5 runs reproduced bit for bit` (or `to 1e-12 relative`)."""
        how = self.comparison if self.comparison == "bit for bit" else f"to {self.comparison}"
        return f"{self.reproduced} of {self.total} runs reproduced {how}"


def write_reproduction(directory: Path, reproduction: Reproduction) -> Path:
    return atomic_text(directory / REPRODUCTION,
                       json.dumps(reproduction.model_dump(mode="json"), indent=2) + "\n")


def read_reproduction(directory: Path) -> Reproduction | None:
    """The directory's last check of reproduction; None if it was never checked.

    Raises:
        UserError: if the record is damaged (or of another version), saying what to do.
    """
    return _read_record(directory, REPRODUCTION, Reproduction,
                        f"run `simulator reproduce {directory} --check` again")


Record = TypeVar("Record", bound=BaseModel)


def _read_record(directory: Path, name: str, model: type[Record], advice: str
                 ) -> Record | None:
    """The record `name` of the directory, if there is one.

    Raises:
        UserError: if it is damaged, saying where and `advice`.
    """
    try:
        text = (directory / name).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return model.model_validate_json(text)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(map(str, first["loc"])) or "the file"
        raise UserError(f"{directory}: {name} is damaged ({where}: {first['msg']}); "
                        f"{advice}") from None


# --- the outcome of a selection ----------------------------------------------------------------


class SelectedVariant(_Part):
    """One variant in a selection: how many of its replications the selection used."""

    replications: int
    """Its current replications: those the selection used (the summary lists them)."""
    eliminated_at: int | None
    """`kn`: the replications it had when it was eliminated; None if it never was."""


class McbInterval(_Part):
    """Hsu's multiple comparison with the best (MCB) for one variant: a simultaneous
    interval for its mean minus the best mean of the others on the primary metric."""

    mean: float
    """Its mean over the replications every variant has (`mcb_replications`)."""
    low: float
    high: float


class SelectionRecord(_Part):
    """What an experiment's `selection` found (`selection.json`): written by the runner
    from the data in replication order alone, so it is the same for any number of workers
    and after any number of interruptions."""

    procedure: Literal["kn", "subset"]
    primary_metric: str
    goal: Literal["maximize", "minimize"]
    delta: float
    """The indifference zone, in the primary metric's unit."""
    confidence: float
    n0: int | None
    """`kn`: the first stage's replications of every variant."""
    batch: int | None
    """`kn`: replications of each contender per round (the decisions do not depend on it)."""
    max_replications: int | None
    """`kn`: the cap, at which it stops with the variants still in contention."""
    best: str | None
    """The variant selected, or None (`reason` says why)."""
    reason: str
    """Why `best` is what it is, in words."""
    contenders: list[str]
    """`kn`: the variants still in contention at the end (the best alone, if selected);
    `subset`: the subset, which holds the best."""
    variants: dict[str, SelectedVariant]
    """Every variant, the baseline first."""
    replications: int
    """The most replications any variant has: the last replication the selection used."""
    runs: int
    """The runs the selection used: every variant's `replications`, summed."""
    runs_in_rounds: int
    """The runs the rounds made: `runs`, and with `kn` in batches, the contenders' runs past
    the deciding replication, on disk but not used."""
    fixed_design_runs: int
    """Runs of every variant to the last replication: `replications` x variants."""
    runs_saved: int
    """`fixed_design_runs - runs`."""
    mcb_replications: int
    """The replications every variant has, over which the MCB intervals are computed."""
    mcb: dict[str, McbInterval] | None
    """Each variant's MCB interval; None with fewer than two replications in common."""


def write_selection(directory: Path, selection: SelectionRecord) -> Path:
    return atomic_text(directory / SELECTION,
                       json.dumps(selection.model_dump(mode="json"), indent=2) + "\n")


def read_selection(directory: Path) -> SelectionRecord | None:
    """The outcome of the experiment's selection; None if it made none.

    Raises:
        UserError: if the record is damaged, saying what to do.
    """
    return _read_record(directory, SELECTION, SelectionRecord, _rewrite("experiment"))


# --- reading an experiment ----------------------------------------------------------------------


def read_summary(directory: Path) -> pd.DataFrame:
    """An experiment's summary, typed (counts as integers, the variant as in its runs'
    files)."""
    import pandas as pd

    return pd.read_parquet(directory / SUMMARY_PARQUET)


class ExperimentResult:
    """An experiment's results directory, read as tables on first use.

    Every table holds the same runs: the manifest's `replications` of each
    variant, those that finished (after a `kn` selection, each variant's runs that
    the selection used, as the summary lists them: fewer for a variant eliminated
    early). A directory may keep more (from an earlier, larger request, for reuse);
    they are not read.
    """

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    @property
    def manifest(self) -> ExperimentManifest:
        return read_experiment_manifest(self.directory)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per variant and replication: its status, scenario, seed and KPIs."""
        return read_summary(self.directory)

    @property
    def comparison(self) -> pd.DataFrame:
        """Each variant against the baseline, per KPI: paired difference, CI, p-values."""
        import pandas as pd

        return pd.read_csv(self.directory / COMPARISON)

    @property
    def series(self) -> pd.DataFrame:
        """Every current run's sampled series, in the summary's order."""
        return self._runs_table(SERIES)

    @property
    def final(self) -> pd.DataFrame:
        """Every current run's end-of-run trust, interoperability and sharing of each pair."""
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


class ExplorationResult:
    """An exploration's results directory, read as tables on first use."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    @property
    def manifest(self) -> ExplorationManifest:
        return read_exploration_manifest(self.directory)

    @property
    def futures(self) -> pd.DataFrame:
        """One row per future: `future`, then its value of each uncertainty, by path."""
        import pandas as pd

        futures = pd.read_parquet(self.directory / FUTURES)
        return futures[futures.future < self.manifest.futures]

    @property
    def runs(self) -> pd.DataFrame:
        """One row per run (future, policy, replication): its status, KPIs, and the primary
        outcome as if the horizon ended at each year (`year_1`, ...)."""
        import pyarrow.parquet as pq

        manifest = self.manifest
        runs = pq.read_table(str(self.directory / RUNS), partitioning=None).to_pandas()
        order = {name: position for position, name in enumerate(manifest.policies)}
        return (runs[runs.future < manifest.futures]
                .sort_values(["future", "policy", "replication"],
                             key=lambda column: column.map(order) if column.name == "policy"
                             else column)
                .reset_index(drop=True))

    @property
    def outcomes(self) -> pd.DataFrame:
        """One row per future and policy: each KPI's mean over the replications that
        finished, and how many did (`n`)."""
        import pandas as pd

        return pd.read_parquet(self._analysed(OUTCOMES))

    def table(self, name: str) -> pd.DataFrame:
        """One of the analyses (`ANALYSES`), by its file name: `robustness.csv`, ..."""
        import pandas as pd

        if name not in ANALYSES:
            raise ValueError(f"no analysis {name!r}; the analyses are {', '.join(ANALYSES)}")
        return pd.read_csv(self._analysed(name))

    def _analysed(self, name: str) -> Path:
        """Where an analysis is, once the exploration has finished: the tables of one that
        stopped, or that is being extended, are not yet those of its runs.

        Raises:
            UserError: if the exploration has not finished.
        """
        manifest = self.manifest
        if manifest.status != "finished":
            raise UserError(f"{self.directory}: the exploration has not finished (it is "
                            f"{manifest.status}); run `simulator explore` again to complete it")
        return self.directory / name

    @property
    def sensitivity(self) -> pd.DataFrame:
        return self.table(SENSITIVITY)

    @property
    def robustness(self) -> pd.DataFrame:
        return self.table(ROBUSTNESS)

    @property
    def variance(self) -> pd.DataFrame:
        return self.table(VARIANCE)

    @property
    def discovery(self) -> pd.DataFrame:
        return self.table(DISCOVERY)

    @property
    def trajectories(self) -> pd.DataFrame:
        return self.table(TRAJECTORIES)

    @property
    def sufficiency(self) -> pd.DataFrame:
        return self.table(SUFFICIENCY)

    @property
    def series(self) -> pd.DataFrame:
        """The time series of the futures kept (`manifest.kept_series`), every policy and
        replication; none with `keep_series: 0`."""
        import pandas as pd
        import pyarrow.parquet as pq

        folder = self.directory / SERIES
        if not any(folder.glob("*.parquet")):
            return pd.DataFrame(columns=["future"])
        return pq.read_table(str(folder), partitioning=None).to_pandas()

    def __repr__(self) -> str:
        return f"ExplorationResult({str(self.directory)!r})"
