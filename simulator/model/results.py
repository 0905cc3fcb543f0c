"""A run's output as tidy pandas tables, and its summary KPIs.

Every row carries what produced it (scenario, variant where there is one, seed,
replication), so tables from many runs can be concatenated without losing
track. Counts are integers in every table; the engine's blocks stay floats.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from simulator.model.dynamics import sharing
from simulator.model.engine import RunOutput, run_one
from simulator.model.metrics import (
    KPIS,
    NATION_METRICS,
    REGION_METRICS,
    SERIES,
    SERIES_METRICS,
    WHOLE_METRICS,
    Kpi,
)
from simulator.model.schema import DAYS_PER_YEAR, Scenario
from simulator.model.state import pair_positions

if TYPE_CHECKING:
    from collections.abc import Iterable

    import pandas as pd

    from simulator.model.loading import Override

TABLES = ("series", "nations", "regions", "final")
"""The tidy tables of a run (`RunResult.columns`)."""
SAVED_FROM = "simulator.simulate (Python)"
"""The source a manifest names for a run saved from Python rather than run from a file."""


def kpis(output: RunOutput) -> dict[str, float | int]:
    """Summary KPIs of one run, each as `metrics.KPIS` defines it: final and time-averaged
    values, totals, the peak of tension, a rate and an efficiency."""
    column = {name: output.series[:, k] for k, name in enumerate(SERIES_METRICS)}
    return {name: _summarise(kpi, column, output.times) for name, kpi in KPIS.items()}


def kpi_by_year(output: RunOutput, kpi: str) -> list[float]:
    """`kpi` as if the run had ended at each whole year of its horizon (from its samples up
    to then): how an outcome builds up, for an exploration's sensitivity over time."""
    column = {name: output.series[:, k] for k, name in enumerate(SERIES_METRICS)}
    years = int(output.times[-1] // DAYS_PER_YEAR + 1e-9)
    ends = np.searchsorted(output.times, DAYS_PER_YEAR * np.arange(1, years + 1), side="right")
    return [float(_summarise(KPIS[kpi], {name: values[:end] for name, values in column.items()},
                             output.times[:end])) for end in ends]


def _summarise(kpi: Kpi, column: dict[str, np.ndarray], times: np.ndarray) -> float | int:
    """One KPI from the series it sums up (the `statistic` of the metrics it is `of`)."""
    first = column[kpi.of[0]]
    if kpi.statistic == "final":
        return _number(kpi.of[0], first[-1])
    if kpi.statistic == "mean":  # over the time it is defined (engaged pairs: once there are)
        defined = ~np.isnan(first)
        if not defined.any():
            return math.nan
        values, times = first[defined], times[defined]
        span = times[-1] - times[0]
        return float(np.trapezoid(values, times) / span) if span > 0 else float(values[-1])
    if kpi.statistic == "peak":
        return float(np.max(first))
    denominator = _number(kpi.of[1], column[kpi.of[1]][-1])
    if kpi.statistic == "ratio":
        return _ratio(_number(kpi.of[0], first[-1]), denominator)
    return _ratio(float(first[-1] - first[0]), denominator)  # "gain_per"


def simulate(scenario: Scenario, seed: int = 0, replication: int = 0,
             trace: bool = False) -> RunResult:
    """Run `scenario` once and return a `RunResult` whose tables are pandas DataFrames.

    Args:
        scenario: a validated scenario (see `load_scenario`).
        seed: the root seed; the same seed gives bit-identical results.
        replication: which replication's random streams to use (common random numbers).
        trace: keep the event trace (`result.output.trace`).
    """
    started = datetime.now(timezone.utc)
    return RunResult(run_one(scenario, seed=seed, replication=replication, trace=trace),
                     scenario, started=started)


def _frame(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(columns)


def _ratio(numerator: float, denominator: float) -> float:
    """NaN where the ratio is undefined (no crises, nothing spent)."""
    return numerator / denominator if denominator > 0 else math.nan


def _number(metric: str, value: np.floating) -> float | int:
    """A metric's value as a KPI: an int for a count, so that files and tables say so."""
    return int(value) if SERIES[metric].whole else float(value)


class RunResult:
    """One run of a scenario, with its tables built on first use (pandas is imported then).

    Args:
        output: what the engine produced.
        scenario: the scenario it ran; needed for its end-of-run table (whether pairs
            share depends on its threshold), to save the run or draw its figures.
        variant: the experiment's variant the run belongs to, stamped on every row.
        started: when the run started, for its manifest.
    """

    def __init__(self, output: RunOutput, scenario: Scenario | None = None,
                 variant: str | None = None, started: datetime | None = None):
        self.output = output
        self.scenario = scenario
        self.variant = variant
        self.started = started or (datetime.now(timezone.utc)
                                   - timedelta(seconds=output.wall_seconds))
        self._columns: dict[str, dict[str, np.ndarray]] = {}

    @property
    def seed(self) -> int:
        return self.output.seed

    @property
    def identity(self) -> dict[str, Any]:
        """What produced the run, as every row of its tables says it (the trace's lines too)."""
        out = self.output
        variant = {} if self.variant is None else {"variant": self.variant}
        return {"scenario": out.scenario, **variant, "seed": out.seed,
                "replication": out.replication}

    @cached_property
    def kpis(self) -> dict[str, float | int]:
        return kpis(self.output)

    def save(self, directory: str | Path, plots: bool = True,
             formats: tuple[str, ...] = ("png",), *, source: str = SAVED_FROM,
             overrides: Iterable[Override] = ()) -> list[Path]:
        """Write the files `simulator run` writes (figures too, unless `plots=False`) into
        `directory`, which must be empty, new or a previous run's: a previous run's files
        are replaced as a whole. Returns the paths written.

        Args:
            source, overrides: what the manifest records the run was made from.

        Raises:
            ValueError: if the result was built without its scenario.
            UserError: if `directory` holds anything but a previous run's results.
        """
        from simulator.runs.store import prepare_directory, write_run

        self.require_scenario("saving a run")
        directory = Path(directory)
        prepare_directory(directory, "run")
        written = write_run(self, directory, source, overrides)
        if plots:
            from simulator.presentation.figures import draw_all

            written += draw_all(directory, formats)
        return written

    def columns(self, table: str) -> dict[str, np.ndarray]:
        """One tidy table, "series", "nations", "regions" or "final", as numpy columns in
        order: what its DataFrame and its Parquet file are both made of."""
        if table not in TABLES:
            raise ValueError(f"no table {table!r}; the tables are {', '.join(TABLES)}")
        if table not in self._columns:
            self._columns[table] = getattr(self, f"_{table}_columns")()
        return self._columns[table]

    @cached_property
    def series(self) -> pd.DataFrame:
        """One row per sample time: every metric of `metrics.SERIES_METRICS`."""
        return _frame(self.columns("series"))

    @cached_property
    def nations(self) -> pd.DataFrame:
        """One row per sample time and nation."""
        return _frame(self.columns("nations"))

    @cached_property
    def regions(self) -> pd.DataFrame:
        """One row per sample time and region: tension and early warning."""
        return _frame(self.columns("regions"))

    @cached_property
    def trust(self) -> pd.DataFrame:
        """End-of-run trust of each row nation in each column nation."""
        import pandas as pd

        ids = list(self.output.nation_ids)
        return pd.DataFrame(self.output.trust, index=pd.Index(ids, name="truster"), columns=ids)

    @cached_property
    def interoperability(self) -> pd.DataFrame:
        """End-of-run interoperability of each pair in each domain, one row per (i, j, domain)."""
        import pandas as pd

        out = self.output
        (nation, other), domains = self._pairs(), np.array(out.domains)
        left, right = pair_positions(len(out.nation_ids))
        return pd.DataFrame({
            **self._identity_columns(len(left) * len(domains)),
            "nation": np.repeat(nation, len(domains)),
            "other": np.repeat(other, len(domains)),
            "domain": np.tile(domains, len(left)),
            "interoperability": out.interoperability[left, right].ravel(),
        })

    @cached_property
    def final(self) -> pd.DataFrame:
        """End-of-run trust, interoperability (mean over domains) and information sharing
        of every ordered pair."""
        return _frame(self.columns("final"))

    def _series_columns(self) -> dict[str, np.ndarray]:
        series = self.output.series
        return self._stamped({name: series[:, k].astype(np.int64) if name in WHOLE_METRICS
                              else series[:, k] for k, name in enumerate(SERIES_METRICS)},
                             self.output.times)

    def _nations_columns(self) -> dict[str, np.ndarray]:
        out = self.output
        return self._long(out.nations, "nation", out.nation_ids, NATION_METRICS,
                          role=np.tile(out.roles, len(out.times)))

    def _regions_columns(self) -> dict[str, np.ndarray]:
        return self._long(self.output.regions, "region", self.output.region_ids, REGION_METRICS)

    def _final_columns(self) -> dict[str, np.ndarray]:
        """Every ordered pair at the end; `shares` is decided here, by the run's own
        threshold, so that no reader of the table evaluates the rule again."""
        out = self.output
        (nation, other), (left, right) = self._pairs(), pair_positions(len(out.nation_ids))
        parameters = self.require_scenario("the end-of-run table").parameters
        threshold = parameters.sharing.share_threshold
        return {
            **self._identity_columns(len(left)),
            "nation": nation,
            "other": other,
            "trust": out.trust[left, right],
            "interoperability": out.interoperability.mean(axis=2)[left, right],
            "shares": sharing(out.trust, threshold)[left, right],
        }

    def require_scenario(self, what: str) -> Scenario:
        """The run's scenario, which `what` needs; a clear error for a bare RunOutput's.

        Raises:
            ValueError: if the result was built without its scenario.
        """
        if self.scenario is None:
            raise ValueError(f"{what} needs its scenario: use simulator.simulate, or "
                             "RunResult(output, scenario)")
        return self.scenario

    def _pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Names of every ordered pair of different nations, row by row."""
        ids = np.array(self.output.nation_ids)
        left, right = pair_positions(len(ids))
        return ids[left], ids[right]

    def _long(self, block: np.ndarray, key: str, keys: tuple[str, ...],
              metrics: tuple[str, ...], **extra: np.ndarray) -> dict[str, np.ndarray]:
        """Sample x item x metric as one row per sample and item."""
        samples, count, _ = block.shape
        rows = block.reshape(samples * count, -1)
        columns = {key: np.tile(keys, samples), **extra}
        columns.update((name, rows[:, k]) for k, name in enumerate(metrics))
        return self._stamped(columns, np.repeat(self.output.times, count))

    def _identity_columns(self, rows: int) -> dict[str, np.ndarray]:
        """`identity` repeated for `rows` rows."""
        return {name: np.full(rows, value) for name, value in self.identity.items()}

    def _stamped(self, columns: dict[str, np.ndarray], times: np.ndarray
                 ) -> dict[str, np.ndarray]:
        """`columns` after what produced them (`identity`) and when."""
        return {
            **self._identity_columns(len(times)),
            "time_days": times,
            "year": times / DAYS_PER_YEAR,
            **columns,
        }

    def __repr__(self) -> str:
        out = self.output
        return (f"RunResult(scenario={out.scenario!r}, seed={out.seed}, "
                f"samples={len(out.times)}, nations={len(out.nation_ids)})")
