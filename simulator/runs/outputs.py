"""Writing results to disk: every file atomically, every run with its receipt.

A file is written to a temporary name in the same directory and renamed into
place, so a reader (or an interrupted run) never sees half a file.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import shutil
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from simulator.errors import UserError
from simulator.model.loading import Override
from simulator.model.processes import TraceEvent
from simulator.model.results import RunResult
from simulator.model.schema import Scenario

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

MANIFEST = "manifest.json"
PACKAGES = ("simpy", "numpy", "pydantic", "pandas", "pyarrow", "scipy", "matplotlib")


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


def prepare_directory(directory: Path, kind: str) -> None:
    """Create `directory`, or reuse it if it already holds results of the same kind.

    Raises:
        UserError: if it holds anything else, so nothing of the user's is overwritten.
    """
    if directory.exists() and not directory.is_dir():
        raise UserError(f"{directory}: exists and is not a directory")
    if directory.is_dir() and any(directory.iterdir()):
        manifest = directory / MANIFEST
        try:
            previous = json.loads(manifest.read_text(encoding="utf-8")).get("kind")
        except (OSError, ValueError, AttributeError):
            previous = None
        if previous != kind:
            raise UserError(f"{directory}: not empty and not a results directory of a "
                            f"{kind}; choose another --out")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"{directory}: cannot create the directory ({error.strerror})") from None


RUN_EXTRAS = (MANIFEST, "plots", "report.html")
"""What a run directory holds beside the files its manifest lists."""


def clear_previous_run(directory: Path) -> None:
    """Remove what a previous run wrote into `directory` (the files its manifest lists, its
    figures and report), so that nothing of it survives beside the next run: not its
    trace, nor figures a run without plots would not redraw. Other files stay."""
    try:
        listed = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        listed = {}
    for name in (*listed, *RUN_EXTRAS):
        target = directory / Path(name).name  # never outside the directory
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario, independent of key order and formatting."""
    canonical = json.dumps(scenario.model_dump(mode="json"), sort_keys=True,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def versions() -> dict[str, str]:
    """Python's and the packages' versions, for provenance."""
    return dict(_versions())


@functools.cache  # reading package metadata takes about 12 ms; it cannot change in a run
def _versions() -> dict[str, str]:
    from simulator import __version__

    found = {"python": platform.python_version(), "simulator": __version__}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def run_file(table: str, variant: str, replication: int, suffix: str = "parquet") -> str:
    """Where an experiment keeps one run's table, relative to its directory: one folder per
    table, partitioned by variant (Hive style), so one glob per table reads every run."""
    return f"{table}/variant={variant}/rep-{replication:05d}.{suffix}"


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


def write_run(result: RunResult, scenario: Scenario, directory: Path, source: str,
              overrides: Iterable[Override], started: datetime) -> list[Path]:
    """Write one run's tables, KPIs, matrices and manifest into `directory`."""
    import pandas as pd

    written = []
    for name, frame in (("series", result.series), ("nations", result.nations),
                        ("regions", result.regions)):
        written.append(_write_parquet(directory / f"{name}.parquet", result.columns(name)))
        written.append(atomic_write(directory / f"{name}.csv",
                                    lambda path, frame=frame: frame.to_csv(path, index=False)))
    kpis = pd.DataFrame([{**result.identity, **result.kpis}])
    written.append(atomic_write(directory / "kpis.csv",
                                lambda path: kpis.to_csv(path, index=False)))
    written.append(atomic_write(directory / "trust.csv", lambda path: result.trust.to_csv(path)))
    written.append(atomic_write(directory / "interoperability.csv",
                                lambda path: result.interoperability.to_csv(path, index=False)))
    written.append(_write_parquet(directory / "final.parquet", result.columns("final")))
    if result.output.trace is not None:
        written.append(atomic_text(directory / "trace.jsonl",
                                   trace_lines(result.output.trace, result.identity)))
    manifest = run_manifest(result, scenario, source, overrides, started)
    manifest["files"] = {path.name: file_hash(path) for path in written}
    written.append(atomic_text(directory / MANIFEST, json.dumps(manifest, indent=2) + "\n"))
    return written


def run_manifest(result: RunResult, scenario: Scenario, source: str,
                 overrides: Iterable[Override], started: datetime) -> dict[str, Any]:
    """A run's receipt without its files' checksums: what `write_run` writes (with them)
    and what the figures read of a run held in memory."""
    return {
        "kind": "run",
        "source": source,
        "scenario": scenario.model_dump(mode="json"),
        "scenario_hash": scenario_hash(scenario),
        "overrides": [[path, value] for path, value in overrides],
        "seed": result.seed,
        "replication": result.output.replication,
        "versions": versions(),
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "wall_seconds": round(result.output.wall_seconds, 4),
    }


def read_summary(directory: Path) -> pd.DataFrame:
    """An experiment's summary, typed (counts as integers) from `summary.parquet`; from
    `summary.csv` in a directory written before there was one."""
    import pandas as pd

    typed = directory / "summary.parquet"
    return pd.read_parquet(typed) if typed.exists() else pd.read_csv(directory / "summary.csv")


def _write_parquet(path: Path, columns: dict[str, np.ndarray]) -> Path:
    content = parquet_bytes(columns)
    return atomic_write(path, lambda temporary: temporary.write_bytes(content))
