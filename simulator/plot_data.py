"""A results directory (of `simulator run` or `simulator compare`) read back for figures.

An experiment keeps one file per run. Figures need summaries over runs
(quantile bands over time, mean end-of-run matrices), so the files are read
one at a time, one variant at a time, and reduced as they are read: memory
holds one variant's block of the few metrics drawn, never every run's table,
and each file is opened once however many figures use it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from simulator.dynamics import sharing
from simulator.errors import UserError
from simulator.outputs import MANIFEST

LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)
"""Quantiles of the fan charts: the 90% band, the 50% band and the median."""


@dataclass(frozen=True)
class Bands:
    """Quantiles over replications of one metric at each sample time."""

    years: np.ndarray
    quantiles: np.ndarray
    """One row per level of `LEVELS`, one column per sample time."""
    replications: int


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


@dataclass
class Results:
    """What the figures need from a results directory, read lazily and reduced as read."""

    directory: Path
    manifest: dict[str, Any]
    _bands: dict[str, dict[str, Bands]] = field(default_factory=dict, repr=False)
    _ends: dict[str, EndState] = field(default_factory=dict, repr=False)
    _traces: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)

    @property
    def kind(self) -> str:
        return self.manifest["kind"]

    @property
    def name(self) -> str:
        return self.manifest.get("name") or self.manifest["scenario"]["name"]

    @cached_property
    def variants(self) -> list[str]:
        """Variant names, the baseline first (a run has one, named after its scenario)."""
        if self.kind == "run":
            return [self.manifest["scenario"]["name"]]
        baseline = self.manifest["experiment"]["baseline"]
        return [baseline] + [name for name in self.manifest["variants"] if name != baseline]

    @property
    def baseline(self) -> str:
        return self.variants[0]

    def scenario(self, variant: str | None = None) -> dict[str, Any]:
        """The resolved scenario of a variant (as plain data from the manifest)."""
        if self.kind == "run":
            return self.manifest["scenario"]
        return self.manifest["variants"][variant or self.baseline]["scenario"]

    def roles(self, variant: str | None = None) -> dict[str, str]:
        return {nation["id"]: nation["role"] for nation in self.scenario(variant)["nations"]}

    def series(self, columns: list[str]) -> pd.DataFrame:
        """A single run's sampled series: year and `columns`."""
        return pd.read_parquet(self.directory / "series.parquet", columns=["year", *columns])

    def regions(self) -> pd.DataFrame:
        """Per region and sample of a single run: tension and early warning."""
        return pd.read_parquet(self.directory / "regions.parquet")

    def bands(self, variant: str, metrics: list[str]) -> dict[str, Bands]:
        """Quantile bands of `metrics` over the variant's replications (read once, then kept)."""
        kept = self._bands.setdefault(variant, {})
        missing = [metric for metric in metrics if metric not in kept]
        if missing:
            kept.update(self._read_bands(variant, missing))
        return {metric: kept[metric] for metric in metrics}

    def end_state(self, variant: str | None = None) -> EndState:
        """Mean end-of-run trust, interoperability and sharing of the variant's runs."""
        variant = variant or self.baseline
        if variant not in self._ends:
            self._ends[variant] = self._read_end_state(variant)
        return self._ends[variant]

    def trace(self, variant: str | None = None) -> list[dict[str, Any]]:
        """The event trace of one replication of `variant` (empty if none was kept)."""
        variant = variant or self.baseline
        if variant not in self._traces:
            self._traces[variant] = self._read_trace(variant)
        return self._traces[variant]

    def _read_trace(self, variant: str) -> list[dict[str, Any]]:
        if self.kind == "run":
            path = self.directory / "trace.jsonl"
        else:
            folder = self.directory / "traces" / f"variant={variant}"
            path = next(iter(sorted(folder.glob("*.jsonl"))), folder / "missing")
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    @cached_property
    def summary(self) -> pd.DataFrame | None:
        """KPIs per variant and replication (finished runs only); None for a single run."""
        if self.kind == "run":
            return None
        summary = pd.read_csv(self.directory / "summary.csv")
        return summary[summary.status == "ok"]

    @cached_property
    def comparison(self) -> pd.DataFrame | None:
        if self.kind == "run":
            return None
        return pd.read_csv(self.directory / "comparison.csv")

    # --- reading run files -----------------------------------------------------------------

    def _files(self, table: str, variant: str) -> list[Path]:
        """A variant's run files of one table, in replication order."""
        if self.kind == "run":
            return [self.directory / f"{table}.parquet"]
        return sorted((self.directory / table / f"variant={variant}").glob("rep-*.parquet"))

    def _read_bands(self, variant: str, metrics: list[str]) -> dict[str, Bands]:
        files = self._files("series", variant)
        block: np.ndarray | None = None
        years = np.empty(0)
        for k, path in enumerate(files):
            table = pq.ParquetFile(path).read(columns=["year", *metrics])
            values = np.column_stack([table.column(m).to_numpy() for m in metrics])
            if block is None:
                block = np.empty((len(files), *values.shape))
                years = table.column("year").to_numpy()
            block[k] = values
        if block is None:
            raise UserError(f"{self.directory}: no runs of variant {variant!r}")
        quantiles = np.quantile(block, LEVELS, axis=0)  # level x time x metric
        return {metric: Bands(years, quantiles[:, :, m], len(files))
                for m, metric in enumerate(metrics)}

    def _read_end_state(self, variant: str) -> EndState:
        roles = self.roles(variant)
        order = ([n for n, r in roles.items() if r == "ally"]
                 + [n for n, r in roles.items() if r == "partner"])
        position = {nation: k for k, nation in enumerate(order)}
        threshold = self.scenario(variant)["parameters"]["sharing"]["share_threshold"]
        size = len(order)
        trust, interop, shares = np.zeros((size, size)), np.zeros((size, size)), np.zeros(
            (size, size))
        files = self._files("final", variant)
        for path in files:
            table = pq.ParquetFile(path).read(
                columns=["nation", "other", "trust", "interoperability"])
            rows = np.fromiter((position[n] for n in table.column("nation").to_pylist()), int)
            cols = np.fromiter((position[n] for n in table.column("other").to_pylist()), int)
            run_trust = np.eye(size)
            run_trust[rows, cols] = table.column("trust").to_numpy()
            trust += run_trust
            interop[rows, cols] += table.column("interoperability").to_numpy()
            shares += sharing(run_trust, threshold)
        count = max(len(files), 1)
        trust, interop = trust / count, interop / count
        np.fill_diagonal(trust, np.nan)
        np.fill_diagonal(interop, np.nan)
        allies = sum(role == "ally" for role in roles.values())
        return EndState(order, allies, trust, interop, shares / count, len(files))


def load_results(directory: str | Path) -> Results:
    """Open a results directory written by `simulator run` or `simulator compare`.

    Raises:
        UserError: if the directory holds no finished results.
    """
    directory = Path(directory)
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UserError(f"{directory}: not a results directory (no readable {MANIFEST})"
                        ) from None
    if manifest.get("kind") not in ("run", "experiment"):
        raise UserError(f"{directory}: {MANIFEST} is not one of a run or an experiment")
    if manifest["kind"] == "experiment" and manifest.get("status") != "finished":
        raise UserError(f"{directory}: the experiment has not finished; run "
                        "`simulator compare` again to complete it")
    return Results(directory, manifest)
