"""A results directory (of `simulator run` or `simulator compare`) read back for figures.

Both kinds are read into one shape: every table has a `variant` column (a
single run's variant is its scenario's name), so each figure has one code path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.errors import UserError
from simulator.outputs import MANIFEST


@dataclass
class Results:
    """What the figures need from a results directory, read lazily and read once.

    An experiment keeps one file per run, so reading is the slow part of
    drawing thousands of replications: the series are read in one pass for all
    the columns asked for so far (`series(..)` after `keep(..)`), and each
    variant's end-of-run matrices once.
    """

    directory: Path
    manifest: dict[str, Any]
    _series: pd.DataFrame | None = field(default=None, repr=False)
    _finals: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

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
        """The sampled series of every run: variant, replication, year and `columns`."""
        keys = ["variant", "replication", "year"]
        cached = [] if self._series is None else list(self._series.columns)
        if not set(columns) <= set(cached):
            wanted = list(dict.fromkeys([*keys[1:], *cached[3:], *columns]))
            if self.kind == "run":
                frame = pd.read_parquet(self.directory / "series.parquet", columns=wanted)
                frame.insert(0, "variant", self.variants[0])
            else:
                frame = pd.read_parquet(self.directory / "series", columns=["variant", *wanted])
            self._series = frame
        return self._series[[*keys, *columns]]

    def regions(self) -> pd.DataFrame:
        """Per region and sample: tension and early warning (single runs only)."""
        return pd.read_parquet(self.directory / "regions.parquet")

    def final(self, variant: str | None = None) -> pd.DataFrame:
        """End-of-run trust and interoperability of every ordered pair, every replication."""
        variant = variant or self.baseline
        if variant not in self._finals:
            self._finals[variant] = self._read_final(variant)
        return self._finals[variant]

    def _read_final(self, variant: str) -> pd.DataFrame:
        if self.kind == "run":
            return pd.read_parquet(self.directory / "final.parquet")
        return pd.read_parquet(self.directory / "final" / f"variant={variant}")

    def trace(self, variant: str | None = None) -> list[dict[str, Any]]:
        """The event trace of one replication of `variant` (empty if none was kept)."""
        if self.kind == "run":
            path = self.directory / "trace.jsonl"
        else:
            folder = self.directory / "traces" / f"variant={variant or self.baseline}"
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


def quantile_bands(frame: pd.DataFrame, metric: str,
                   levels: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Years and the quantiles of `metric` over replications at each sample time.

    Every replication of a variant samples the same times, so the rows reshape
    into a replication x time block and the quantiles are one numpy call.
    """
    replication = frame["replication"].to_numpy()
    ordered = frame if np.all(replication[1:] >= replication[:-1]) else frame.sort_values(
        ["replication", "year"], kind="stable")  # files are read in replication order
    replications = len(np.unique(replication))
    values = ordered[metric].to_numpy().reshape(replications, -1)
    years = ordered["year"].to_numpy()[: values.shape[1]]
    return years, np.quantile(values, levels, axis=0)
