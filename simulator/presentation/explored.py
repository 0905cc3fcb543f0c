"""An exploration's results, each table read once, and the words and numbers that say them.

`explored` reads a results directory that `simulator explore` wrote into `Explored`, which
the findings, the figures, the report and the console summary share; the helpers below put
its values into words (`number`, `percent`, `listed`, `criterion_words`, ...) the same way
wherever they are said.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.analysis.discovery import BOX_COLUMNS, TRAJECTORY_COLUMNS
from simulator.analysis.robustness import ALL_CRITERIA, Bounds
from simulator.analysis.sensitivity import MAIN_INDEX, METHODS
from simulator.model.metrics import KPIS
from simulator.runs.store import (
    DISCOVERY,
    ROBUSTNESS,
    SENSITIVITY,
    SUFFICIENCY,
    TRAJECTORIES,
    VARIANCE,
    ExplorationManifest,
    ExplorationResult,
)

METRIC_WORDS = {"mean": "mean", "worst": "worst case", "max_regret": "max regret",
                "p90_regret": "90th-percentile regret",
                "satisficing_share": "share of futures satisficed"}
"""Each robustness metric, as the findings and the report name it."""


# --- the results, read once -----------------------------------------------------------------


@dataclass(frozen=True)
class Explored:
    """An exploration's results directory, each table read once, for the findings, the
    figures, the report and the console summary."""

    directory: Path
    manifest: ExplorationManifest
    futures: pd.DataFrame
    outcomes: pd.DataFrame
    """One row per (future, policy): each KPI's mean over its replications."""
    sensitivity: pd.DataFrame
    robustness: pd.DataFrame
    variance: pd.DataFrame
    discovery: pd.DataFrame
    trajectories: pd.DataFrame
    sufficiency: pd.DataFrame

    @property
    def exploration(self) -> dict[str, Any]:
        return self.manifest.exploration

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def policies(self) -> list[str]:
        return list(self.manifest.policies)

    @property
    def uncertainties(self) -> list[str]:
        return list(self.exploration["uncertainties"])

    @property
    def outcome_names(self) -> list[str]:
        return list(self.exploration["outcomes"])

    @property
    def primary(self) -> str:
        return self.outcome_names[0]

    @property
    def sampler(self) -> str:
        return str(self.exploration["sampler"])

    @property
    def main_index(self) -> str:
        """The index the analysis ranks uncertainties by: ST, mu_star or delta."""
        return MAIN_INDEX[METHODS[self.sampler]]

    @property
    def main_indices(self) -> pd.DataFrame:
        """The main index of every uncertainty, outcome and policy over the whole run (not
        year by year): what the uncertainties are ranked by."""
        table = self.sensitivity
        if table.empty:
            return table
        return table[table["year"].isna() & (table["index"] == self.main_index)]

    @property
    def satisficing(self) -> dict[str, Bounds]:
        return {kpi: (bounds["min"], bounds["max"])
                for kpi, bounds in self.exploration["satisficing"].items()}

    def bounds(self, uncertainty: str) -> tuple[float, float]:
        """The range an uncertainty's values (or factors) were drawn from."""
        written = self.exploration["uncertainties"][uncertainty]
        low, high = written["range"] if written["range"] is not None else written["scale"]
        return float(low), float(high)

    def scaled(self, uncertainty: str) -> bool:
        """Whether the uncertainty's values are factors of the scenario's own."""
        return self.exploration["uncertainties"][uncertainty]["scale"] is not None

    def logged(self, uncertainty: str) -> bool:
        return self.exploration["uncertainties"][uncertainty]["distribution"] == "log-uniform"

    def unit_position(self, uncertainty: str, values: Any) -> Any:
        """Values of an uncertainty as positions in its range, 0 to 1, in the space the
        design is uniform in (the logarithm's, for a log-uniform one)."""
        low, high = self.bounds(uncertainty)
        if self.logged(uncertainty):
            return (np.log(values) - math.log(low)) / (math.log(high) - math.log(low))
        return (np.asarray(values, dtype=float) - low) / (high - low)


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """A table's rows as plain dictionaries, one per row, in order."""
    return [{str(key): value for key, value in row.items()}
            for row in table.to_dict("records")]


def explored(source: ExplorationResult | str | Path) -> Explored:
    """Every table of an exploration's results directory, read once."""
    result = source if isinstance(source, ExplorationResult) else ExplorationResult(source)
    columns = {DISCOVERY: BOX_COLUMNS, TRAJECTORIES: TRAJECTORY_COLUMNS}

    def table(name: str) -> pd.DataFrame:
        try:
            found = result.table(name)
        except pd.errors.EmptyDataError:  # an analysis with nothing to say wrote no columns
            found = pd.DataFrame()
        return found.reindex(columns=columns[name]) if name in columns else found

    return Explored(result.directory, result.manifest, result.futures, result.outcomes,
                    table(SENSITIVITY), table(ROBUSTNESS), table(VARIANCE), table(DISCOVERY),
                    table(TRAJECTORIES), table(SUFFICIENCY))


# --- words ------------------------------------------------------------------------------------


def number(value: float) -> str:
    """A value to three significant digits, thousands as whole numbers: 0.166, 5,883."""
    if not math.isfinite(value):
        return "∞" if value > 0 else "undefined" if math.isnan(value) else "-∞"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def percent(share: float) -> str:
    return f"{100 * share:.0f}%"


def futures_words(count: float) -> str:
    return "no number of futures" if count == math.inf else f"about {count:,.0f} futures"


def listed(names: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + f" and {names[-1]}"


def outcome_label(outcome: str) -> str:
    """An outcome of the tables as the catalogue labels it."""
    return "Every satisficing criterion" if outcome == ALL_CRITERIA else KPIS[outcome].label


def criterion_words(kpi: str, bounds: Bounds) -> str:
    """'Crisis success rate at least 0.5'."""
    low, high = bounds
    label = KPIS[kpi].label.lower()
    if low is not None and high is not None:
        return f"{label} between {low:g} and {high:g}"
    return f"{label} at least {low:g}" if low is not None else f"{label} at most {high:g}"


def limit_words(uncertainty: str, low: float, high: float, explored_: Explored) -> str:
    """A box's limits on an uncertainty, in the uncertainty's own terms: its values, or the
    factors that scale the scenario's."""
    start, end = explored_.bounds(uncertainty)
    scaled = "scaled by " if explored_.scaled(uncertainty) else ""
    if low > start and high < end:
        where = f"{scaled}{number(low)} to {number(high)}"
    elif low > start:
        where = f"{scaled}at least {number(low)}"
    else:
        where = f"{scaled}at most {number(high)}"
    return f"`{uncertainty}` {where} (of {number(start)}–{number(end)})"

