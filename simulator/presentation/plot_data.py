"""What the figures read: a results directory (of `simulator run` or `simulator compare`),
or a run held in memory, as one `Results`.

An experiment keeps one file per run. Figures need summaries over runs
(quantile bands over time, of each variant and of its paired differences to the
baseline; mean end-of-run matrices), so the files are read one at a time, one
variant at a time, and reduced as they are read: memory holds the baseline's
block of the few metrics drawn and one other variant's, never every run's
table, and each file is opened once however many figures use it.

The figures of a directory show the runs its tables show: those its summary
lists as finished, the manifest's `replications` of each variant. Runs an
earlier, larger request left behind (kept for reuse) are never read.

Reading needs neither SimPy nor the engine: a run held in memory brings its own.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulator.errors import UserError
from simulator.runs.store import (
    COMPARISON,
    FINAL,
    SERIES,
    TRACE,
    TRACES,
    ExperimentManifest,
    ExperimentResult,
    Kind,
    RunManifest,
    arrow_table,
    read_runs_manifest,
    read_summary,
    run_file,
    run_manifest,
    trace_records,
)

if TYPE_CHECKING:
    from simulator.model.results import RunResult

LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)
"""Quantiles of the fan charts: the 90% band, the 50% band and the median."""


@dataclass(frozen=True)
class Bands:
    """Quantiles over replications of one metric at each sample time."""

    years: np.ndarray
    quantiles: np.ndarray
    """One row per level of `LEVELS`, one column per sample time."""
    replications: int
    lowest: float
    highest: float
    """The smallest and the largest value over every replication and sample time (NaN if
    none is defined): equal where the metric is constant."""


@dataclass(frozen=True)
class Differences(Bands):
    """Quantiles over paired replications of a variant's difference to the baseline (variant
    minus baseline, replication k with replication k) at each sample time both have."""

    identical: bool
    """Whether the variant equals the baseline at every sample of every paired replication
    (undefined in both counts as equal)."""


@dataclass(frozen=True)
class EndState:
    """End-of-run relations of one variant, over its replications."""

    order: list[str]
    """Nations, allies first, then partners, each in scenario order."""
    allies: int
    trust: np.ndarray
    """Mean trust of row nation in column nation (diagonal NaN)."""
    interoperability: np.ndarray
    """Mean interoperability over domains (diagonal NaN)."""
    sharing: np.ndarray
    """Share of replications in which the pair shares information (symmetric)."""
    replications: int
    pairs: dict[int, np.ndarray]
    """Per replication, the interoperability (mean over domains) of each ally-partner pair:
    allies by partners, in `order`, row by row."""


@dataclass
class Results:
    """What the figures need from a run or an experiment, read lazily and reduced as read."""

    manifest: RunManifest | ExperimentManifest
    saved_in: Path | None = None
    """The results directory; None for a run held in memory (see `directory`)."""
    run: RunResult | None = None
    """The run itself, when it is held in memory rather than read from files."""
    _bands: dict[str, dict[str, Bands]] = field(default_factory=dict, repr=False)
    _differences: dict[str, dict[str, Differences]] = field(default_factory=dict, repr=False)
    _baseline_block: dict[str, _Block] = field(default_factory=dict, repr=False)
    """The baseline's series of each metric read, kept to pair with every other variant's."""
    _ends: dict[str, EndState] = field(default_factory=dict, repr=False)
    _traces: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)

    @property
    def kind(self) -> Kind:
        return self.manifest.kind

    @property
    def directory(self) -> Path:
        """The results directory the results are read from.

        Raises:
            ValueError: for a run held in memory, which has none.
        """
        if self.saved_in is None:
            raise ValueError("a run held in memory has no results directory: save it with "
                             "result.save(directory)")
        return self.saved_in

    @property
    def name(self) -> str:
        manifest = self.manifest
        return manifest.name if isinstance(manifest, ExperimentManifest) else self.variants[0]

    @cached_property
    def variants(self) -> list[str]:
        """Variant names, the baseline first (a run has one, named after its scenario)."""
        manifest = self.manifest
        if isinstance(manifest, RunManifest):
            return [manifest.scenario["name"]]
        return manifest.variant_names

    @property
    def baseline(self) -> str:
        return self.variants[0]

    def scenario(self, variant: str | None = None) -> dict[str, Any]:
        """The resolved scenario of a variant (as plain data from the manifest)."""
        manifest = self.manifest
        if isinstance(manifest, RunManifest):
            return manifest.scenario
        return manifest.variants[variant or self.baseline].scenario

    def roles(self, variant: str | None = None) -> dict[str, str]:
        return {nation["id"]: nation["role"] for nation in self.scenario(variant)["nations"]}

    def runs(self, variant: str | None = None) -> list[int]:
        """The replications of `variant` that every figure and table shows: an
        experiment's finished current runs, or a single run's one."""
        manifest = self.manifest
        if isinstance(manifest, RunManifest):
            return [manifest.replication]
        summary = self._finished
        return summary.loc[summary.variant == (variant or self.baseline),
                           "replication"].tolist()

    def series(self, columns: list[str]) -> pd.DataFrame:
        """A single run's sampled series: year and `columns`."""
        return self._read(SERIES, self.baseline, self.runs()[0],
                          ["year", *columns]).to_pandas()

    def regions(self) -> pd.DataFrame:
        """Per region and sample of a single run: tension and early warning."""
        return self._read("regions", self.baseline, self.runs()[0]).to_pandas()

    def bands(self, variant: str, metrics: list[str]) -> dict[str, Bands]:
        """Quantile bands of `metrics` over the variant's replications (read once, then kept)."""
        self._reduce_series(variant, metrics)
        return {metric: self._bands[variant][metric] for metric in metrics}

    def differences(self, variant: str, metrics: list[str]) -> dict[str, Differences]:
        """Quantile bands of the variant's paired differences to the baseline in `metrics`,
        worked out from the same reading of its files as its `bands`.

        Raises:
            ValueError: for the baseline itself, or a single run.
        """
        if self.kind == "run" or variant == self.baseline:
            raise ValueError(f"{variant!r} is not a variant compared with a baseline")
        self._reduce_series(variant, metrics)
        return {metric: self._differences[variant][metric] for metric in metrics}

    def paired_differences(self, kpi: str) -> dict[str, np.ndarray]:
        """Each variant's `kpi` minus the baseline's, replication by replication, over the
        replications where both are defined (the pairs of the comparison), the baseline
        left out; none for a single run."""
        if self.summary is None:
            return {}
        table = self.summary.pivot(index="replication", columns="variant", values=kpi)
        baseline = table[self.baseline].astype(float)
        return {variant: (table[variant].astype(float) - baseline).dropna().to_numpy()
                for variant in self.variants if variant != self.baseline}

    def end_state(self, variant: str | None = None) -> EndState:
        """Mean end-of-run trust, interoperability and sharing of the variant's runs."""
        variant = variant or self.baseline
        if variant not in self._ends:
            self._ends[variant] = self._read_end_state(variant)
        return self._ends[variant]

    def pair_interoperability(self, variant: str | None = None) -> dict[int, np.ndarray]:
        """Per replication of `variant`, the end-of-run interoperability of each ally-partner
        pair, in the same order for every variant of the same nations (`EndState.pairs`)."""
        return self.end_state(variant).pairs

    def trace(self, variant: str | None = None) -> list[dict[str, Any]]:
        """The event trace of one replication of `variant` (empty if none was kept)."""
        variant = variant or self.baseline
        if variant not in self._traces:
            self._traces[variant] = self._read_trace(variant)
        return self._traces[variant]

    @property
    def summary(self) -> pd.DataFrame | None:
        """KPIs per variant and replication of the finished current runs; None for a
        single run."""
        return None if self.kind == "run" else self._finished

    @cached_property
    def _finished(self) -> pd.DataFrame:
        """An experiment's summary, of its finished current runs."""
        summary = read_summary(self.directory)
        return summary[summary.status == "ok"]

    def nation_order(self, variant: str | None = None) -> list[str]:
        """The variant's nations as the matrices order them: allies, then partners, each in
        scenario order."""
        roles = self.roles(variant)
        return ([n for n, r in roles.items() if r == "ally"]
                + [n for n, r in roles.items() if r == "partner"])

    @cached_property
    def comparison(self) -> pd.DataFrame | None:
        if self.kind == "run":
            return None
        return pd.read_csv(self.directory / COMPARISON)

    # --- reading runs ----------------------------------------------------------------------

    def _read(self, table: str, variant: str, replication: int,
              columns: list[str] | None = None) -> pa.Table:
        """One run's table (or some of its columns), from memory or from its file."""
        if self.run is not None:
            held = self.run.columns(table)
            return arrow_table({name: held[name] for name in columns or held})
        path = self.directory / (run_file(table) if self.kind == "run"
                                 else run_file(table, variant, replication))
        return pq.ParquetFile(path).read(columns=columns, use_threads=False)  # small files

    def _read_trace(self, variant: str) -> list[dict[str, Any]]:
        if self.run is not None:
            trace = self.run.output.trace
            return [] if trace is None else trace_records(trace, self.run.identity)
        if self.kind == "run":
            kept = [self.directory / run_file(TRACE, suffix="jsonl")]
        else:  # the runner keeps one replication's trace per variant
            kept = [self.directory / run_file(TRACES, variant, replication, "jsonl")
                    for replication in self.runs(variant)]
        path = next((path for path in kept if path.exists()), None)
        if path is None:
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    def _reduce_series(self, variant: str, metrics: list[str]) -> None:
        """Read the variant's series files once for the metrics not reduced yet: their bands
        and, for a variant compared with the baseline, its paired differences. The
        baseline's series are kept to pair with each variant's as it is read."""
        kept = self._bands.setdefault(variant, {})
        missing = [metric for metric in metrics if metric not in kept]
        if not missing:
            return
        compared = self.kind == "experiment" and len(self.variants) > 1
        if compared and variant != self.baseline:
            self._reduce_series(self.baseline, missing)
        block = self._read_block(variant, missing)
        kept.update({metric: _bands(block, m) for m, metric in enumerate(missing)})
        if not compared:
            return
        if variant == self.baseline:
            self._baseline_block.update({metric: block for metric in missing})
            return
        self._differences.setdefault(variant, {}).update(
            {metric: _differences(block, m, self._baseline_block[metric])
             for m, metric in enumerate(missing)})

    def _read_block(self, variant: str, metrics: list[str]) -> _Block:
        runs = self.runs(variant)
        if not runs:
            raise UserError(f"{self.directory}: no finished runs of variant {variant!r}")
        columns = ["year", *metrics]
        first = self._read(SERIES, variant, runs[0], columns)
        values = np.empty((len(runs), first.num_rows, len(metrics)))
        for k, replication in enumerate(runs):
            table = first if k == 0 else self._read(SERIES, variant, replication, columns)
            values[k] = np.column_stack([table.column(m).to_numpy() for m in metrics])
        return _Block(runs, first.column("year").to_numpy(), metrics, values)

    def _read_end_state(self, variant: str) -> EndState:
        roles = self.roles(variant)
        order = self.nation_order(variant)
        position = {nation: k for k, nation in enumerate(order)}
        size = len(order)
        trust, interop, shares = np.zeros((size, size)), np.zeros((size, size)), np.zeros(
            (size, size))
        allies = sum(role == "ally" for role in roles.values())
        runs = self.runs(variant)
        pairs: dict[int, np.ndarray] = {}
        for replication in runs:
            table = self._read(FINAL, variant, replication,
                               ["nation", "other", "trust", "interoperability", "shares"])
            rows = np.fromiter((position[n] for n in table.column("nation").to_pylist()), int)
            cols = np.fromiter((position[n] for n in table.column("other").to_pylist()), int)
            trust[rows, cols] += table.column("trust").to_numpy()
            interoperability = np.full((size, size), np.nan)
            interoperability[rows, cols] = table.column("interoperability").to_numpy()
            pairs[replication] = interoperability[:allies, allies:].ravel()
            interop[rows, cols] += interoperability[rows, cols]
            shares[rows, cols] += table.column("shares").to_numpy()
        count = max(len(runs), 1)
        trust, interop = trust / count, interop / count
        np.fill_diagonal(trust, np.nan)
        np.fill_diagonal(interop, np.nan)
        return EndState(order, allies, trust, interop, shares / count, len(runs), pairs)


@dataclass(frozen=True)
class _Block:
    """One variant's sampled series of some metrics, as read: replication x time x metric."""

    runs: list[int]
    years: np.ndarray
    metrics: list[str]
    values: np.ndarray


def _bands(block: _Block, m: int) -> Bands:
    """The bands of the `m`-th metric of a block."""
    values = block.values[:, :, m]
    return Bands(block.years, np.quantile(values, LEVELS, axis=0), len(block.runs),
                 *_extremes(values))


def _differences(variant: _Block, m: int, baseline: _Block) -> Differences:
    """The `m`-th metric of `variant` minus the baseline's, replication k with replication k,
    at the sample times both have."""
    metric = variant.metrics[m]
    rows = {replication: k for k, replication in enumerate(baseline.runs)}
    paired = [k for k, replication in enumerate(variant.runs) if replication in rows]
    if not paired:
        raise UserError(f"no replication of the baseline pairs with those of {metric!r}'s "
                        "variant")
    years, mine, theirs = np.intersect1d(variant.years, baseline.years, assume_unique=True,
                                         return_indices=True)
    theirs_paired = np.array([rows[variant.runs[k]] for k in paired], dtype=np.intp)
    ours = variant.values[:, :, m][np.ix_(np.array(paired, dtype=np.intp), mine)]
    base = baseline.values[:, :, baseline.metrics.index(metric)][np.ix_(theirs_paired, theirs)]
    difference = ours - base
    return Differences(years, np.quantile(difference, LEVELS, axis=0), len(paired),
                       *_extremes(difference),
                       identical=bool(np.array_equal(ours, base, equal_nan=True)))


def _extremes(values: np.ndarray) -> tuple[float, float]:
    """The smallest and the largest defined value (NaN if none is)."""
    defined = values[~np.isnan(values)]
    if defined.size == 0:
        return math.nan, math.nan
    return float(defined.min()), float(defined.max())


Source = Union[str, Path, Results, ExperimentResult, "RunResult"]
"""Anything the figures can be drawn from."""


def as_results(source: Source) -> Results:
    """What the figures read, from whatever the API hands back: a results directory (or
    its `Results`), an `ExperimentResult`, or a `RunResult`, read in memory as it is.

    Raises:
        UserError: if a directory holds no finished results.
        TypeError: for anything else.
    """
    if isinstance(source, Results):
        return source
    if isinstance(source, ExperimentResult):
        return load_results(source.directory)
    if isinstance(source, (str, Path)):
        return load_results(source)
    from simulator.model.results import RunResult  # loaded already, if `source` is one

    if isinstance(source, RunResult):
        return _held_in_memory(source)
    raise TypeError(f"cannot draw figures of a {type(source).__name__}: expected a results "
                    "directory, a Results, an ExperimentResult or a RunResult")


def _held_in_memory(run: RunResult) -> Results:
    """A run's `Results` read from the run itself, with the manifest it would be saved with."""
    from simulator.model.results import SAVED_FROM

    run.require_scenario("drawing a run")
    return Results(run_manifest(run, SAVED_FROM, ()), run=run)


def load_results(directory: str | Path) -> Results:
    """Open a results directory written by `simulator run` or `simulator compare`.

    Raises:
        UserError: if the directory holds no finished results of this version's format.
    """
    directory = Path(directory)
    manifest = read_runs_manifest(directory, "`simulator report` draws its figures and report")
    if isinstance(manifest, ExperimentManifest) and manifest.status != "finished":
        raise UserError(f"{directory}: the experiment has not finished; run "
                        "`simulator compare` again to complete it")
    return Results(manifest, saved_in=directory)
