"""The validation suite: expectations of the model, declared in files and tested statistically.

A file of checks (`validation/*.yaml`) names, per check, a scenario, overrides, a
number of seeds and what the runs should show; `simulator check` runs them all and
says which hold. A check has one arm or two:

- One arm, a range (`between: [low, high]`, `at_least`, `at_most`): the check passes
  when the (1 - level) one-sided confidence bounds of the mean (Student t over the
  seeds) lie inside the range: each side of the range is a one-sided test of "the mean
  is outside", rejected at `level`. When every run gives the same value (a
  deterministic run), the bound is the mean itself.
- Two arms, a direction (`direction: higher` or `lower`, `min_effect`): runs are paired
  seed by seed, treatment - control (common random numbers: replication k of both arms
  uses the same base seed and replication k). `higher` passes when the lower one-sided
  (1 - level) bound of the mean difference exceeds `min_effect` (default 0: strictly
  positive evidence); `lower` when the upper bound is below -min_effect.

A run where the measured value is undefined (NaN) is left out; a check with fewer than
two values left fails, saying why. A run that fails makes its check fail, never
silently smaller. Replication k of a check uses `seed` (the check's, else the file's,
else 0) and replication k, as `simulator.simulate(scenario, seed, replication=k)` does.
"""

from __future__ import annotations

import difflib
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from simulator.errors import Location, Problem, ScenarioError, UserError
from simulator.model.loading import read_file, resolve, validate
from simulator.model.metrics import KPI_NAMES, SERIES_METRICS
from simulator.model.results import kpis
from simulator.model.schema import DAYS_PER_YEAR, MAX_HORIZON_YEARS, Id, Model, Scenario
from simulator.runs.executors import Task, make_executor, run_task
from simulator.runs.experiment import (
    MAX_REPLICATIONS,
    Variant,
    located_at,
    override_locations,
    read_variant,
)
from simulator.runs.runner import Progress
from simulator.runs.store import CHECKS, atomic_csv, scenario_hash

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import ArrayLike

    from simulator.model.engine import RunOutput
    from simulator.model.yaml_source import Document

DEFAULT_FILES = "validation/*.yaml"
"""Where `simulator check` looks for files of checks, relative to the current directory."""
DEFAULT_OUT = Path("results") / "checks"
SINGLE_ARM = "runs"
"""The name of a one-arm check's only arm (in messages about its runs)."""
ARMS = ("treatment", "control")
PAIRS = "pairs of runs"
SAME = "; no spread, so the bound is the mean"

Seed = Annotated[int, Field(ge=0, lt=2**63)]
Years = Annotated[float, Field(ge=0.0, le=MAX_HORIZON_YEARS, allow_inf_nan=False)]
Number = Annotated[float, Field(allow_inf_nan=False)]


# --- the file -----------------------------------------------------------------------------------


class Expect(Model):
    """What a check measures in each run, and what it expects of the mean."""

    kpi: str | None = None
    """A KPI of a run (as in `kpis.csv` and `summary.csv`), e.g. `budget_spent`."""
    metric: str | None = None
    """Instead of a KPI: a series metric (a column of `series.csv`), taken at the sample
    nearest `at_years`."""
    at_years: Years | None = None
    """With `metric`: when to take it, in years from the start; at most the horizon."""
    since_years: Years | None = None
    """With `metric`: measure its change since the sample nearest this time instead (the
    value at `at_years` minus the value here)."""
    between: tuple[Number, Number] | None = None
    """One arm: the mean lies in [low, high], both included."""
    at_least: Number | None = None
    """One arm: the mean is at least this."""
    at_most: Number | None = None
    """One arm: the mean is at most this."""
    direction: Literal["higher", "lower"] | None = None
    """Two arms: the treatment makes the value higher (or lower) than the control does, in
    the mean of the differences over paired seeds."""
    min_effect: Annotated[float, Field(ge=0.0, allow_inf_nan=False)] = 0.0
    """With `direction`: by more than this (0: any difference, as long as the evidence
    for it is significant)."""

    @property
    def limits(self) -> tuple[float, float]:
        """The range of a one-arm check, with infinities for an open side."""
        if self.between is not None:
            return self.between
        low = -math.inf if self.at_least is None else self.at_least
        return low, math.inf if self.at_most is None else self.at_most

    def metric_text(self) -> str:
        """What is measured, in words for the table: a KPI, or a metric at a time."""
        if self.metric is None:
            return str(self.kpi)
        if self.since_years is None:
            return f"{self.metric} at year {self.at_years:g}"
        return f"{self.metric}, change from year {self.since_years:g} to {self.at_years:g}"

    def expected_text(self) -> str:
        """What is expected of the mean (or mean difference), in words for the table."""
        if self.direction == "higher":
            return f"treatment - control > {self.min_effect:g}"
        if self.direction == "lower":
            return f"treatment - control < {0 - self.min_effect:g}"
        if self.between is not None:
            return f"in [{self.between[0]:g}, {self.between[1]:g}]"
        return f">= {self.at_least:g}" if self.at_least is not None else f"<= {self.at_most:g}"


class Arms(Model):
    """The two arms of a comparison, each written as an experiment's variant is."""

    treatment: dict[str, Any]
    """The overrides whose effect is tested: `description`, `set` (dotted paths to values),
    `scale` (dotted paths to factors), or dotted paths beside them, as in a variant."""
    control: dict[str, Any]
    """What the treatment is compared with, the same way ({} for the check's scenario as
    the check's own overrides leave it)."""


class Check(Model):
    """One expectation of the model: a scenario, its overrides, seeds, and what to expect."""

    pattern: Annotated[str, Field(min_length=1)]
    """The pattern of behaviour, or the artefact, that the check tests, in words."""
    scenario: str
    """The scenario file, relative to this file."""
    set: dict[str, Any] = {}
    """Overrides of every arm: dotted paths (list items by id, every item with `*`) to
    values, as under a variant's `set`; `exercises: []` empties a list."""
    scale: dict[str, Any] = {}
    """Overrides of every arm: dotted paths to factors that multiply the scenario's
    numbers, as under a variant's `scale`."""
    seeds: Annotated[int, Field(ge=2, le=MAX_REPLICATIONS)]
    """Replications of every arm: replication k uses `seed` and replication k, in every
    arm (common random numbers). Two suffice where runs are deterministic."""
    seed: Seed | None = None
    """The base random seed; defaults to the file's `seed`."""
    level: Annotated[float, Field(gt=0.0, lt=0.5)] = 0.05
    """One-sided significance level: the chance of passing when the expectation is just
    false (the mean on the range's edge, or no difference at all)."""
    arms: Arms | None = None
    """Two arms to compare (with `expect.direction`); without them, the check runs the
    scenario as one arm (with a range)."""
    expect: Expect
    """What to measure, and what to expect of it."""


class CheckFile(Model):
    """A file of checks: expectations of the model that `simulator check` tests."""

    description: str = ""
    """What the checks of this file have in common, in words."""
    seed: Seed = 0
    """The base random seed of every check that names none."""
    checks: Annotated[dict[Id, Check], Field(min_length=1)]
    """Check name -> the check, run in file order."""

    @model_validator(mode="after")
    def _consistent(self) -> CheckFile:
        problems = [problem for name, check in self.checks.items()
                    for problem in _expectation_problems(("checks", name), check)]
        if problems:
            raise PydanticCustomError("cross_reference", "{count} problem(s)",
                                      {"count": len(problems), "problems": problems})
        return self


def _expectation_problems(origin: tuple[str, ...], check: Check
                          ) -> list[tuple[tuple[str, ...], str]]:
    """What a check's `expect` and `arms` say that cannot hold together."""
    expect, at = check.expect, (*origin, "expect")
    problems = []
    if (expect.kpi is None) == (expect.metric is None):
        problems.append((at, "give one of `kpi` or `metric`"))
    if expect.kpi is not None and expect.kpi not in KPI_NAMES:
        problems.append(((*at, "kpi"), _unknown("KPI", expect.kpi, KPI_NAMES)))
    if expect.metric is not None and expect.metric not in SERIES_METRICS:
        problems.append(((*at, "metric"), _unknown("series metric", expect.metric,
                                                   SERIES_METRICS)))
    if expect.metric is not None and expect.at_years is None:
        problems.append((at, "a series metric needs `at_years`: when to take it"))
    for key in ("at_years", "since_years"):
        if expect.metric is None and getattr(expect, key) is not None:
            problems.append(((*at, key), "only with `metric`: a KPI sums up the whole run"))
    if (expect.since_years is not None and expect.at_years is not None
            and expect.since_years > expect.at_years):
        problems.append(((*at, "since_years"), f"is after `at_years` ({expect.at_years:g})"))
    ranges = [key for key in ("between", "at_least", "at_most") if getattr(expect, key)
              is not None]
    if len(ranges) + (expect.direction is not None) != 1:
        problems.append((at, "give one of `between`, `at_least` or `at_most` (one arm), or "
                             "`direction` (two arms)"))
    if expect.between is not None and expect.between[0] > expect.between[1]:
        problems.append(((*at, "between"), "should be [low, high] with low <= high"))
    if "min_effect" in expect.model_fields_set and expect.direction is None:
        problems.append(((*at, "min_effect"), "only with `direction`"))
    if check.arms is None and expect.direction is not None:
        problems.append(((*at, "direction"), "compares two arms: give `arms` with a "
                                             "`treatment` and a `control`"))
    if check.arms is not None and ranges:
        problems.append(((*origin, "arms"), "two arms are compared by `expect.direction`; "
                                            "a range is for one arm"))
    return problems


def _unknown(what: str, name: str, names: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {what} {name!r}{hint} (expected one of: {', '.join(names)})"


@dataclass(frozen=True)
class PlannedCheck:
    """A check with every arm resolved to a validated scenario, ready to run."""

    file: str
    name: str
    check: Check
    seed: int
    arms: dict[str, Scenario]
    """`runs` alone, or `treatment` and `control`."""


def default_files(directory: Path = Path(".")) -> list[Path]:
    """The shipped suite: `validation/*.yaml` below `directory`, in name order.

    Raises:
        UserError: if there is none.
    """
    found = sorted(directory.glob(DEFAULT_FILES))
    if not found:
        raise UserError(f"no files of checks found ({DEFAULT_FILES} in {directory.resolve()}); "
                        "name the files, or run from the project's folder")
    return found


def load_checks(paths: Iterable[str | Path]) -> list[PlannedCheck]:
    """Read and validate files of checks, resolving every arm's scenario, before any run.

    Raises:
        ScenarioError: every problem of every file, each located in its file.
        UserError: if a file is of another kind (a scenario, an experiment).
    """
    planned: list[PlannedCheck] = []
    problems: list[Problem] = []
    scenarios: dict[Path, Document] = {}
    for path in paths:
        try:
            planned += _plan_file(Path(path), scenarios)
        except ScenarioError as error:
            problems += error.problems
    if problems:
        raise ScenarioError(problems)
    return planned


def _plan_file(path: Path, scenarios: dict[Path, Document]) -> list[PlannedCheck]:
    document = read_file(path, "checks")
    suite: CheckFile = validate(document, CheckFile)
    planned, problems = [], []
    for name, check in suite.checks.items():
        origin = ("checks", name)
        try:
            base = _scenario_file(path.parent / check.scenario, scenarios, document, origin)
            arms = _resolve_arms(base, check, document, origin)
        except ScenarioError as error:
            problems += error.problems
            continue
        planned.append(PlannedCheck(str(path), name, check, _seed(check, suite), arms))
    if problems:
        raise ScenarioError(list(dict.fromkeys(problems)))  # an override of both arms, once
    return planned


def _seed(check: Check, suite: CheckFile) -> int:
    return suite.seed if check.seed is None else check.seed


def _scenario_file(path: Path, read: dict[Path, Document], document: Document,
                   origin: tuple[str, ...]) -> Document:
    """The scenario file a check names, read once however many checks name it; a problem
    reading it is said at the check's `scenario` line."""
    key = path.resolve()
    if key not in read:
        at = (*origin, "scenario")
        try:
            read[key] = read_file(path, "scenario")
        except ScenarioError as error:
            raise located_at(error, document, at) from None
        except UserError as error:  # a file of another kind
            raise ScenarioError([Problem(document.locate(at), ".".join(at), str(error))]) \
                from None
    return read[key]


def _resolve_arms(base: Document, check: Check, document: Document,
                  origin: tuple[str, ...]) -> dict[str, Scenario]:
    """Each arm's scenario: the check's overrides, and the arm's own beside them."""
    shared = Variant(set=tuple(check.set.items()), scale=tuple(check.scale.items()))
    where = dict(override_locations(document, origin, flat=False))
    arms: dict[str, tuple[Variant, dict[str, Location]]] = {SINGLE_ARM: (shared, where)}
    if check.arms is not None:
        arms = {}
        for arm in ARMS:
            at = (*origin, "arms", arm)
            own = read_variant(getattr(check.arms, arm), _locator(document, at))
            arms[arm] = (Variant(own.description, shared.set + own.set,
                                 shared.scale + own.scale),
                         where | dict(override_locations(document, at)))
    scenarios, problems = {}, []
    for arm, (variant, located) in arms.items():
        try:
            scenarios[arm], _ = resolve(base, variant.set, located, scale=variant.scale)
        except ScenarioError as error:
            prefix = ".".join(origin)
            problems += [Problem(p.location, f"{prefix}: {p.path}".rstrip(": "), p.message)
                         for p in error.problems]
            continue
        problems += _after_horizon(check.expect, scenarios[arm], document, origin)
    if problems:
        raise ScenarioError(problems)
    return scenarios


def _locator(document: Document, at: tuple[str, ...]) -> Callable[[str], Location]:
    """Where a key of the mapping at `at` is written."""
    return lambda key: document.locate((*at, key))


def _after_horizon(expect: Expect, scenario: Scenario, document: Document,
                   origin: tuple[str, ...]) -> list[Problem]:
    """A time past the end of an arm's runs, which no sample is near."""
    problems = []
    for key in ("at_years", "since_years"):
        years = getattr(expect, key)
        if years is not None and years > scenario.horizon_years:
            at = (*origin, "expect", key)
            problems.append(Problem(document.locate(at), ".".join(at),
                                    f"is after the horizon ({scenario.horizon_years:g} years)"))
    return problems


# --- the statistics: pure functions of the values -----------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """The mean (or mean difference), its deciding one-sided bound, and whether it passed."""

    measured: float
    bound: float
    passed: bool
    reason: str


def range_verdict(values: ArrayLike, low: float, high: float, level: float) -> Verdict:
    """Whether the mean of `values` lies in [low, high] at one-sided `level`.

    Each finite side is a one-sided t-test of "the mean is outside": it passes when the
    (1 - level) bound of the mean on that side lies inside the range (a range of one
    point needs identical values). The bound shown is that of the side nearest to
    failing. NaN values (undefined in a run) are left out.
    """
    from simulator.analysis.stats import mean_interval

    values = np.asarray(values, dtype=float)
    interval = mean_interval(values, confidence=1 - 2 * level)
    too_few = _too_few(interval.n, values.size, "runs")
    if too_few:
        return Verdict(interval.mean, math.nan, False, too_few)
    sides = [(side, bound, limit, margin) for side, bound, limit, margin in (
        ("lower", interval.low, low, interval.low - low),
        ("upper", interval.high, high, high - interval.high)) if math.isfinite(limit)]
    side, bound, limit, margin = min(sides, key=lambda found: found[3])
    confidence = _percent(level)
    if margin >= 0:
        sign = ">=" if side == "lower" else "<="
        reason = f"{confidence} {side} bound {bound:.4g} {sign} {limit:g}"
    else:
        way = "below" if side == "lower" else "above"
        reason = f"the mean may be {way} {limit:g}: its {confidence} {side} bound is {bound:.4g}"
    if interval.half_width == 0:
        reason += SAME
    return Verdict(interval.mean, bound, margin >= 0,
                   reason + _left_out(values.size - interval.n, values.size, "runs"))


def difference_verdict(treatment: ArrayLike, control: ArrayLike,
                       direction: Literal["higher", "lower"], min_effect: float,
                       level: float) -> Verdict:
    """Whether `treatment - control`, paired element by element (seed by seed), is higher
    (or lower) by more than `min_effect` at one-sided `level`: the lower (upper) one-sided
    (1 - level) t bound of the mean difference above `min_effect` (below -min_effect).
    Pairs with a NaN are left out. Identical differences (deterministic runs) are certain:
    the bound is the difference itself."""
    from simulator.analysis.stats import paired_difference

    paired = paired_difference(control, treatment, confidence=1 - 2 * level)
    total = np.size(treatment)
    too_few = _too_few(paired.n, total, PAIRS)
    if too_few:
        return Verdict(paired.mean, math.nan, False, too_few)
    confidence = _percent(level)
    if direction == "higher":
        side, bound, limit = "lower", paired.low, min_effect
        passed, sign, way = bound > limit, ">", "higher"
    else:
        side, bound, limit = "upper", paired.high, 0 - min_effect
        passed, sign, way = bound < limit, "<", "lower"
    if passed:
        reason = f"{confidence} {side} bound of the difference {bound:.4g} {sign} {limit:g}"
    else:
        reason = (f"no evidence that the treatment is {way} by more than {min_effect:g}: "
                  f"the {confidence} {side} bound of the difference is {bound:.4g}")
    if paired.low == paired.high:
        reason += SAME
    return Verdict(paired.mean, bound, passed, reason + _left_out(total - paired.n, total, PAIRS))


def _too_few(n: int, total: int, runs: str) -> str:
    """Why a bound cannot be had, if it cannot: no value, or a single one."""
    if n == 0:
        return f"undefined (NaN) in all {total} {runs}"
    if n == 1:
        return f"defined in 1 of {total} {runs} only: a bound needs 2"
    return ""


def _left_out(count: int, total: int, runs: str) -> str:
    return f" ({count} of {total} {runs} left out: undefined)" if count else ""


def _percent(level: float) -> str:
    return f"{100 * (1 - level):g}%"


# --- running ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckRun:
    """One run of one arm of a check, with what to measure of it: plain data for a worker."""

    check: int
    """The check's position in the suite."""
    arm: str
    expect: Expect
    task: Task


@dataclass(frozen=True)
class Measurement:
    """What a worker hands back of a run: one number, or the error that stopped the run."""

    check: int
    arm: str
    replication: int
    value: float
    error: str | None = None


def measure(run: CheckRun) -> Measurement:
    """Run one task and measure it, in the worker, so that only a number crosses back."""
    outcome, task = run_task(run.task), run.task
    if outcome.output is None:
        return Measurement(run.check, run.arm, task.replication, math.nan, outcome.error)
    return Measurement(run.check, run.arm, task.replication,
                       measured_value(run.expect, outcome.output))


def measured_value(expect: Expect, output: RunOutput) -> float:
    """The KPI of a run, or its series metric at the sample nearest `at_years` (less its
    value at the sample nearest `since_years`)."""
    if expect.metric is None:
        return float(kpis(output)[str(expect.kpi)])
    assert expect.at_years is not None, "a metric has its time: CheckFile says so"
    column = output.series[:, SERIES_METRICS.index(expect.metric)]
    value = float(column[_nearest(output.times, expect.at_years)])
    if expect.since_years is not None:
        value -= float(column[_nearest(output.times, expect.since_years)])
    return value


def _nearest(times: np.ndarray, years: float) -> int:
    """The sample nearest `years` (the earlier of two as near)."""
    return int(np.argmin(np.abs(times - years * DAYS_PER_YEAR)))


@dataclass(frozen=True)
class CheckRow:
    """A check's outcome: one row of `checks.csv`, of the console's table and the report's."""

    file: str
    check: str
    pattern: str
    kind: Literal["range", "difference"]
    """`range`: one arm's mean against a range; `difference`: two arms' paired difference."""
    metric: str
    """The KPI, or the series metric and when it is taken."""
    measured: float
    """The mean over the seeds (`range`), or the mean difference treatment - control."""
    bound: float
    """Its one-sided (1 - level) confidence bound that decides (on the side nearest to
    failing, for a range); NaN when there is none."""
    expected: str
    seeds: int
    level: float
    passed: bool
    reason: str
    """Why it passed or failed, in words."""


RunError = tuple[str, int, str]
"""A failed run: its arm, its replication and the error that stopped it."""
COLUMNS = tuple(field.name for field in fields(CheckRow))
"""The columns of `checks.csv`, in order."""


@dataclass(frozen=True)
class CheckResult:
    """Every check's outcome, in the order of the files and of the checks in each."""

    rows: list[CheckRow]
    files: list[str]
    runs: int
    wall_seconds: float
    path: Path
    """The `checks.csv` written."""

    @property
    def passed(self) -> bool:
        """Whether every check passed."""
        return all(row.passed for row in self.rows)

    @property
    def table(self) -> pd.DataFrame:
        """The rows as `checks.csv` holds them."""
        return rows_table(self.rows)


def rows_table(rows: list[CheckRow]) -> pd.DataFrame:
    """Outcomes as a table with the columns of `checks.csv`."""
    import pandas as pd

    return pd.DataFrame([asdict(row) for row in rows], columns=list(COLUMNS))


def check(files: Iterable[str | Path] | None = None, workers: int | None = None,
          out: str | Path = DEFAULT_OUT, progress: Progress | None = None) -> CheckResult:
    """Run every check of `files` (default: `validation/*.yaml`) and write `checks.csv`.

    Every file is read and every arm resolved before anything runs. Each run of each arm
    is one task, and all run in parallel. See the module's docstring for when a check
    passes.

    Args:
        files: files of checks.
        workers: local worker processes (default: all cores; 1 runs in this process).
        out: the directory for `checks.csv`, made if missing; an existing `checks.csv` is
            replaced, and nothing else in it is touched.
        progress: told (runs done, runs in all, runs failed) as runs finish.

    Raises:
        ScenarioError: every problem of the files, located.
        UserError: no files, or a file of another kind, or an `out` that cannot be made.
    """
    started = time.perf_counter()
    paths = default_files() if files is None else [Path(path) for path in files]
    if not paths:
        raise UserError("no files of checks given")
    planned = load_checks(paths)
    directory = _output_directory(Path(out))
    runs = list(_runs(planned))
    values, errors = _run_all(runs, planned, workers, progress)
    rows = [_row(item, {arm: values[index, arm] for arm in item.arms}, errors[index])
            for index, item in enumerate(planned)]
    written = atomic_csv(directory / CHECKS, rows_table(rows))
    return CheckResult(rows, [str(path) for path in paths], len(runs),
                       time.perf_counter() - started, written)


def _output_directory(directory: Path) -> Path:
    if directory.exists() and not directory.is_dir():
        raise UserError(f"{directory}: exists and is not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"{directory}: cannot create the directory ({error.strerror})") from None
    return directory


def _runs(planned: list[PlannedCheck]) -> Iterable[CheckRun]:
    """Every run of every arm of every check: replication k of each uses the check's seed
    and replication k."""
    for index, item in enumerate(planned):
        for arm, scenario in item.arms.items():
            data, key = scenario.model_dump(mode="json"), scenario_hash(scenario)
            for replication in range(item.check.seeds):
                yield CheckRun(index, arm, item.check.expect,
                               Task(arm, replication, item.seed, key, data))


def _run_all(runs: list[CheckRun], planned: list[PlannedCheck], workers: int | None,
             progress: Progress | None
             ) -> tuple[dict[tuple[int, str], np.ndarray], dict[int, list[RunError]]]:
    """Each arm's values by replication (NaN where undefined or failed), and each check's
    errors, from runs in parallel."""
    values = {(index, arm): np.full(item.check.seeds, math.nan)
              for index, item in enumerate(planned) for arm in item.arms}
    errors: dict[int, list[RunError]] = {index: [] for index in range(len(planned))}
    executor = make_executor(min(workers or os.cpu_count() or 1, len(runs)), None)
    try:
        done, failed = 0, 0
        if progress:
            progress(done, len(runs), failed)
        for measurement in executor.run(runs, measure):
            values[measurement.check, measurement.arm][measurement.replication] = (
                measurement.value)
            if measurement.error is not None:
                errors[measurement.check].append(
                    (measurement.arm, measurement.replication, measurement.error))
                failed += 1
            done += 1
            if progress:
                progress(done, len(runs), failed)
    finally:
        executor.close()
    return values, errors


def _row(item: PlannedCheck, values: dict[str, np.ndarray], errors: list[RunError]
         ) -> CheckRow:
    """A check's outcome from its arms' values; any failed run fails it."""
    check_, expect = item.check, item.check.expect
    if errors:
        runs = check_.seeds * len(item.arms)
        arm, replication, error = min(errors)
        which = "" if arm == SINGLE_ARM else f"{arm} "
        verdict = Verdict(math.nan, math.nan, False,
                          f"{len(errors)} of {runs} runs failed; the first, {which}replication "
                          f"{replication}: {error.splitlines()[0]}")
    elif expect.direction is None:
        verdict = range_verdict(values[SINGLE_ARM], *expect.limits, check_.level)
    else:
        verdict = difference_verdict(values["treatment"], values["control"],
                                     expect.direction, expect.min_effect, check_.level)
    return CheckRow(item.file, item.name, check_.pattern,
                    "range" if expect.direction is None else "difference", expect.metric_text(),
                    verdict.measured, verdict.bound, expect.expected_text(), check_.seeds,
                    check_.level, verdict.passed, verdict.reason)
