"""A results directory (of `simulator run` or `simulator compare`) read back for figures.

Both kinds are read into one shape: every table has a `variant` column (a
single run's variant is its scenario's name), so each figure has one code path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.errors import UserError
from simulator.outputs import MANIFEST


@dataclass
class Results:
    """What the figures need from a results directory, read lazily."""

    directory: Path
    manifest: dict[str, Any]

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
        wanted = ["replication", "year", *columns]
        if self.kind == "run":
            frame = pd.read_parquet(self.directory / "series.parquet", columns=wanted)
            frame.insert(0, "variant", self.variants[0])
            return frame
        frame = pd.read_parquet(self.directory / "series", columns=["variant", *wanted])
        frame["variant"] = frame["variant"].astype(str)
        return frame

    def regions(self) -> pd.DataFrame:
        """Per region and sample: tension and early warning (single runs only)."""
        return pd.read_parquet(self.directory / "regions.parquet")

    def final(self, variant: str | None = None) -> pd.DataFrame:
        """End-of-run trust and interoperability of every ordered pair, every replication."""
        variant = variant or self.baseline
        if self.kind == "run":
            frame = pd.read_parquet(self.directory / "final.parquet")
            frame.insert(0, "replication", 0)
            return frame
        files = sorted((self.directory / "final" / f"variant={variant}").glob("*.parquet"))
        frames = [pd.read_parquet(path).assign(replication=int(path.stem.split("-")[1]))
                  for path in files]
        return pd.concat(frames, ignore_index=True)

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
    ordered = frame.sort_values(["replication", "year"], kind="stable")
    replications = ordered["replication"].nunique()
    values = ordered[metric].to_numpy().reshape(replications, -1)
    years = ordered["year"].to_numpy()[: values.shape[1]]
    return years, np.quantile(values, levels, axis=0)
