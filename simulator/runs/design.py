"""A table of runs from Python: one scenario, one row of overrides per run, KPIs back.

`run_design` is the glue for sampling and sensitivity tools (SALib, EMA
Workbench): they make a table of parameter values, and each row runs over the
same replications. Replication k of every row uses the same random streams
(common random numbers), so rows differ by their values, not by their luck.
Underneath is the experiment runner, with one variant per row: in process, in
a local pool or on a Dask cluster, and resumable in a results directory.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.errors import Location, Problem, ScenarioError, UserError
from simulator.model.loading import read_file, resolve
from simulator.model.metrics import KPI_NAMES
from simulator.model.schema import Scenario
from simulator.model.yaml_source import Document
from simulator.runs.experiment import MAX_REPLICATIONS, Experiment, Plan
from simulator.runs.runner import Progress, run_experiment
from simulator.runs.store import ExperimentResult

if TYPE_CHECKING:
    import pandas as pd

ROW_NAME = "row-{:05d}"
"""The variant name of the k-th row in the results directory."""
MAX_ROWS_REPORTED = 10
"""Rows whose problems a bad design's message lists: a misspelt column fails every row."""
RUN_COLUMNS = ("replication", "seed", "status")


def run_design(scenario: Scenario | str | Path | Mapping[str, Any],
               rows: pd.DataFrame | Sequence[Mapping[str, Any]], *, replications: int = 1,
               seed: int = 0, workers: int | None = None, scheduler: str | None = None,
               out: str | Path | None = None, progress: Progress | None = None
               ) -> pd.DataFrame:
    """Run every row of overrides over the same replications; one row of KPIs per run.

    Every row is resolved and validated before anything runs, so a bad value in row 900
    is reported at once rather than after 899 rows have run.

    Args:
        scenario: what every row changes: a `Scenario`, a scenario file, or plain data.
        rows: per run, dotted paths (list items by id, `*` for every item of a list) to
            values: a DataFrame whose columns are paths, or a list of mappings.
        replications: runs of every row. Replication k of every row uses the same random
            streams, as `simulate(..., seed=seed, replication=k)` does.
        seed: the root seed.
        workers: local worker processes (default: all cores; 1 runs in this process).
        scheduler: address of a Dask scheduler; runs go to its workers instead.
        out: a results directory to keep; run again, the same design resumes there with
            only the runs that are missing. By default a temporary one, removed at the end.
        progress: told (runs done, runs in all, runs failed) as runs finish.

    Returns:
        One row per input row and replication, in input order: `row` (the input's index
        label, or its position in a list), the row's values under their paths,
        `replication`, `seed`, `status` (a run that failed keeps its row, as "failed",
        with missing KPIs) and every KPI.

    Raises:
        ScenarioError: every problem of the scenario, or of the first rows that have
            problems, each named by row and path.
        UserError: rows or arguments of the wrong kind.
    """
    labels, table = _rows(rows)
    _check_runs(replications, seed)
    design = _plan(_base(scenario), labels, table, replications, seed)
    if out is not None:
        result = run_experiment(design, out, workers, scheduler, progress=progress)
        return _kpis(result, labels, table)
    with tempfile.TemporaryDirectory(prefix="simulator-design-") as directory:
        result = run_experiment(design, Path(directory) / "runs", workers, scheduler,
                                progress=progress)
        return _kpis(result, labels, table)


def _rows(rows: pd.DataFrame | Sequence[Mapping[str, Any]]) -> tuple[list[Any],
                                                                      list[dict[str, Any]]]:
    """Each row as a plain mapping of paths to Python values, with its label."""
    import pandas as pd

    if isinstance(rows, pd.DataFrame):
        if not rows.columns.is_unique or not all(isinstance(c, str) for c in rows.columns):
            raise UserError("design columns should be distinct dotted paths; got "
                            f"{list(rows.columns)}")
        table = [dict(zip(rows.columns, map(_plain, values)))
                 for values in rows.itertuples(index=False, name=None)]
        labels = list(rows.index)
    elif isinstance(rows, Sequence) and not isinstance(rows, str) and all(
            isinstance(row, Mapping) and all(isinstance(path, str) for path in row)
            for row in rows):
        table = [{path: _plain(value) for path, value in row.items()} for row in rows]
        labels = list(range(len(rows)))
    else:
        raise UserError("design rows should be a DataFrame whose columns are dotted paths, "
                        f"or a list of mappings of dotted paths to values; got {type(rows)}")
    if not table:
        raise UserError("the design has no rows to run")
    return labels, table


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number it holds, as a YAML file would give it."""
    import numpy as np

    return value.item() if isinstance(value, np.generic) else value


def _check_runs(replications: int, seed: int) -> None:
    """The experiment file's limits, but one replication is enough: rows are not compared."""
    if isinstance(replications, bool) or not isinstance(replications, int) or not (
            1 <= replications <= MAX_REPLICATIONS):
        raise UserError(f"replications should be a whole number from 1 to {MAX_REPLICATIONS}; "
                        f"got {replications!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise UserError(f"seed should be a whole number from 0 to 2**63 - 1; got {seed!r}")


def _base(scenario: Scenario | str | Path | Mapping[str, Any]) -> Document:
    """The scenario every row starts from, as data, checked once rather than in every row."""
    if isinstance(scenario, Scenario):
        base = Document(data=scenario.model_dump(mode="json"), source="<scenario>")
    elif isinstance(scenario, Mapping):
        base = Document(data=scenario, source="<scenario>")  # never changed: rows copy it
    else:
        base = read_file(scenario, "scenario")
    resolve(base)
    return base


def _plan(base: Document, labels: list[Any], table: list[dict[str, Any]], replications: int,
          seed: int) -> Plan:
    """One variant per row, resolved; every row's problems, up to `MAX_ROWS_REPORTED` rows."""
    names = [ROW_NAME.format(position) for position in range(len(table))]
    scenarios: dict[str, Scenario] = {}
    overrides: dict[str, dict[str, Any]] = {}
    problems: list[Problem] = []
    bad_rows = 0
    for name, label, row in zip(names, labels, table):
        where = dict.fromkeys(row, Location(f"row {label}"))
        try:
            scenarios[name], applied = resolve(base, row.items(), where)
            overrides[name] = dict(applied)
        except ScenarioError as error:
            bad_rows += 1
            if bad_rows <= MAX_ROWS_REPORTED:
                problems.extend(error.problems)
    if bad_rows > MAX_ROWS_REPORTED:
        problems.append(Problem(Location("rows"), "", f"{bad_rows - MAX_ROWS_REPORTED} more "
                                                      "rows have problems"))
    if problems:
        raise ScenarioError(problems)
    # A design's rows are not compared, so the experiment file's rules for comparisons
    # (two replications at least, a primary metric) do not apply: `_check_runs` checked
    # what does.
    experiment = Experiment.model_construct(
        name="design", description=f"{len(table)} rows of overrides of {base.source}",
        scenario=base.source, replications=replications, seed=seed,
        primary_metric=KPI_NAMES[0], max_replications=replications, baseline=names[0],
        variants=dict(zip(names, table)))
    return Plan(experiment, "<design>", base.source, scenarios, overrides,
                dict.fromkeys(names, ""), design=True)


def _kpis(result: ExperimentResult, labels: list[Any],
          table: list[dict[str, Any]]) -> pd.DataFrame:
    """The runs' KPIs beside the rows that made them, in the rows' order."""
    import pandas as pd

    summary = result.summary
    rows = pd.DataFrame([{"row": label, **row} for label, row in zip(labels, table)])
    rows.index = [ROW_NAME.format(position) for position in range(len(table))]
    runs = rows.loc[summary.variant].reset_index(drop=True)
    kpis = summary[[*RUN_COLUMNS, *KPI_NAMES]].reset_index(drop=True)
    return pd.concat([runs, kpis], axis=1)
