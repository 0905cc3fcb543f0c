"""Exploration files: policies across a design of futures the analyst cannot rule out.

An exploration names a scenario, the numbers in it that are uncertain (each a range of
values, or a range of factors that multiply the scenario's values), the policies to try
(written as an experiment's variants) and a design of futures. A future is one point of
the design, applied to the scenario before the policy: a policy that scales a budget
scales the future's budget. Every uncertain value is applied at both ends of its range,
under every policy, and validated when the file is loaded, so that a range that leaves
the scenario's limits is reported, with its line, before anything runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from simulator.analysis.designs import EXTENDABLE, Factor, Sampler, sample, size_problem
from simulator.errors import Location, Problem, ScenarioError
from simulator.model.loading import (
    Override,
    apply_overrides,
    copy_data,
    counts_at,
    read_file,
    resolve,
    validate,
)
from simulator.model.metrics import KPI_NAMES
from simulator.model.schema import Id, Model
from simulator.model.yaml_source import Document
from simulator.runs.experiment import (
    MAX_REPLICATIONS,
    Problems,
    Variant,
    located_at,
    override_locations,
    read_variant,
    unknown_kpi,
)

if TYPE_CHECKING:
    import pandas as pd

MAX_FUTURES = 1_000_000
Finite = Annotated[float, Field(allow_inf_nan=False)]


class Uncertainty(Model):
    """An uncertain number of the scenario: the values it may take, or the factors that may
    multiply the scenario's own, drawn uniformly (or uniformly in the logarithm)."""

    range: tuple[Finite, Finite] | None = None
    """`[low, high]`: the values the path may take (every item's, with `*`), in the value's
    own unit: days for a half-life, a rate per year, an index."""
    scale: tuple[Finite, Finite] | None = None
    """`[low, high]`: the factors that may multiply the scenario's value at the path (each
    item's own, with `*`): the number of times the value as written."""
    distribution: Literal["uniform", "log-uniform"] = "uniform"
    """How the design spreads its points over the range: evenly, or evenly in the logarithm
    (for a rate or a time whose plausible values span a factor of ten)."""
    clip: tuple[Finite, Finite] | None = None
    """`[low, high]`: the bounds a scaled value is held within, in the value's own unit (an
    index of will of 0.9 scaled by 1.2 stays 1); only with `scale`."""

    def problems(self) -> Problems:
        """What is wrong with it, by key (checked by the exploration, which knows its path)."""
        problems: Problems = []
        if (self.range is None) == (self.scale is None):
            problems.append(((), "give either `range` (values) or `scale` (factors)"))
        for key, bounds in (("range", self.range), ("scale", self.scale), ("clip", self.clip)):
            if bounds is not None and not bounds[0] < bounds[1]:
                problems.append(((key,), f"should be [low, high] with low < high; got "
                                 f"{list(bounds)}"))
        interval = self.range or self.scale
        if self.distribution == "log-uniform" and interval is not None and interval[0] <= 0:
            problems.append((("distribution",), "log-uniform needs a range above 0"))
        if self.clip is not None and self.scale is None:
            problems.append((("clip",), "applies to `scale` only: a `range` is its own bound"))
        return problems

    @property
    def bounds(self) -> tuple[float, float]:
        interval = self.range if self.range is not None else self.scale
        return interval if interval is not None else (0.0, 1.0)  # refused by `problems`


class Satisficing(Model):
    """What an outcome must reach for a policy to count as acceptable in a future."""

    min: Finite | None = None
    """The lowest acceptable value, in the KPI's unit (an index, a share, a count): its mean
    over the replications in the future."""
    max: Finite | None = None
    """The highest acceptable value, in the KPI's unit (an index, a share, a count)."""


class Exploration(Model):
    """Policies run across a design of futures, each over common random numbers."""

    name: Id | None = None
    """Name of the exploration, used for its results directory; defaults to the file's name
    without its extension."""
    description: str = ""
    """What the exploration asks, in words; the report shows it."""
    scenario: str
    """The scenario file, relative to this file."""
    seed: Annotated[int, Field(ge=0, lt=2**63)]
    """Root seed of the runs and of the design; replication k of every future and every
    policy uses the same random streams."""
    uncertainties: Annotated[dict[str, Uncertainty], Field(min_length=1)]
    """Dotted path (list items by id, or every item with `*`) -> its range of values or of
    factors."""
    policies: Annotated[dict[Id, dict[str, Any]], Field(min_length=1)]
    """Policy name -> its overrides, written as an experiment's variants (`set`, `scale`,
    `description`, or dotted paths); `{}` runs the scenario as it is."""
    sampler: Sampler = "lhs"
    """The design of futures: `lhs` (Latin hypercube), `sobol` (Saltelli's design, for Sobol'
    indices), `morris` (trajectories, for elementary effects), `factorial` (every
    combination of `levels` values) or `table` (the points of a CSV or Parquet file)."""
    futures: Annotated[int, Field(ge=2, le=MAX_FUTURES)] | None = None
    """Number of futures (points of the design); `factorial` and `table` make their own."""
    levels: Annotated[int, Field(ge=2, le=100)] = 2
    """`factorial` only: the number of values of each uncertainty, evenly spaced, ends
    included."""
    table: str | None = None
    """`table` only: a CSV or Parquet file, relative to this file, with one column per
    uncertainty (named by its path as written here) and one row per future."""
    replications: Annotated[int, Field(ge=1, le=MAX_REPLICATIONS)] = 5
    """The number of runs of every future and policy, with the same random streams in every
    pair: two or more split each outcome's variance into noise and the uncertainties' part."""
    outcomes: Annotated[list[str], Field(min_length=1)]
    """The KPIs to analyse; the first is the primary one, whose sensitivity is also traced
    year by year."""
    satisficing: dict[str, Satisficing] = {}
    """KPI -> `{min: ..., max: ...}`: what a policy must reach in a future to be acceptable
    there (Starr's domain criterion counts the futures where it reaches all of them)."""
    keep_series: Annotated[int, Field(ge=0)] = 20
    """The number of futures whose time series are kept (spread evenly over the design); the
    KPIs of every run are always kept."""

    @model_validator(mode="after")
    def _consistent(self) -> Exploration:
        problems: Problems = [(("outcomes", position), unknown_kpi(kpi))
                              for position, kpi in enumerate(self.outcomes)
                              if kpi not in KPI_NAMES]
        problems += [(("uncertainties", path, *where), message)
                     for path, uncertainty in self.uncertainties.items()
                     for where, message in uncertainty.problems()]
        for kpi, bounds in self.satisficing.items():
            if kpi not in KPI_NAMES:
                problems.append((("satisficing", kpi), unknown_kpi(kpi)))
            elif bounds.min is None and bounds.max is None:
                problems.append((("satisficing", kpi), "give `min`, `max` or both"))
            elif bounds.min is not None and bounds.max is not None and bounds.min > bounds.max:
                problems.append((("satisficing", kpi), "`min` is above `max`"))
        problems += self._design_problems()
        if problems:
            raise PydanticCustomError("cross_reference", "{count} problem(s)",
                                      {"count": len(problems), "problems": problems})
        return self

    def _design_problems(self) -> Problems:
        problems: Problems = []
        if self.sampler == "table":
            if self.table is None:
                problems.append((("table",), "the `table` sampler reads its futures from a "
                                 "file: name it here"))
            if self.futures is not None:
                problems.append((("futures",), "a table has as many futures as rows: leave "
                                 "`futures` out"))
            return problems
        if self.table is not None:
            problems.append((("table",), f"only with `sampler: table` (not {self.sampler})"))
        if "levels" in self.model_fields_set and self.sampler != "factorial":
            problems.append((("levels",), "applies to `sampler: factorial` only"))
        if self.sampler == "factorial":
            grid = self.levels ** len(self.uncertainties)
            if grid > MAX_FUTURES:
                problems.append((("levels",), f"{self.levels} levels of "
                                 f"{len(self.uncertainties)} uncertainties make {grid:,} "
                                 f"futures, more than {MAX_FUTURES:,}: take fewer levels, or "
                                 "a sampled design"))
            if self.futures is not None:
                problems.append((("futures",), size_problem(
                    "factorial", len(self.uncertainties), self.futures, self.levels)
                    or "leave `futures` out: a factorial makes its own"))
            return problems
        if self.futures is None:
            problems.append((("futures",), f"how many futures should the {self.sampler} "
                             "design have? (required)"))
        else:
            problem = size_problem(self.sampler, len(self.uncertainties), self.futures)
            if problem:
                problems.append((("futures",), problem))
        return problems

    @property
    def factors(self) -> list[Factor]:
        """The uncertainties as a design draws them."""
        return [Factor(path, *uncertainty.bounds, log=uncertainty.distribution == "log-uniform")
                for path, uncertainty in self.uncertainties.items()]

    @property
    def primary(self) -> str:
        return self.outcomes[0]


@dataclass(frozen=True)
class Policy:
    """A policy as resolved: what it sets and scales, and what it is for."""

    name: str
    description: str
    set: tuple[Override, ...]
    scale: tuple[Override, ...]
    overrides: dict[str, Any]
    """Every value it changes in the scenario as written, by concrete path, as applied."""


@dataclass(frozen=True)
class ExplorationPlan:
    """An exploration checked against its scenario, with its design of futures drawn."""

    exploration: Exploration
    source: str
    scenario_source: str
    base: dict[str, Any]
    """The scenario as written, as plain data: every future starts from it."""
    policies: dict[str, Policy]
    design: np.ndarray
    """The futures: one row per future, one column per uncertainty, in the factors' units."""

    @property
    def name(self) -> str:
        return self.exploration.name or Path(self.source).stem

    @property
    def factors(self) -> list[Factor]:
        return self.exploration.factors

    @property
    def futures(self) -> pd.DataFrame:
        """The design as a table: `future`, then each uncertainty by its path."""
        import pandas as pd

        table = pd.DataFrame(self.design, columns=[f.name for f in self.factors])
        table.insert(0, "future", np.arange(len(table)))
        return table

    def future_changes(self, future: int) -> tuple[list[Override], list[Override]]:
        """The values a future sets and the factors it scales, by the uncertainties' paths."""
        values = self.design[future]
        uncertainties = self.exploration.uncertainties.items()
        sets = [(path, float(value)) for (path, u), value in zip(uncertainties, values)
                if u.range is not None]
        scales = [(path, float(value)) for (path, u), value in zip(uncertainties, values)
                  if u.scale is not None]
        return sets, scales

    @property
    def clips(self) -> dict[str, tuple[float, float]]:
        return {path: u.clip for path, u in self.exploration.uncertainties.items()
                if u.clip is not None}

    def identity(self) -> str:
        """What makes two runs of this plan interchangeable. A design that extends (Sobol',
        Morris, a table) is the same exploration at any size: more futures add runs."""
        written = self.exploration.model_dump(mode="json", exclude={
            "name", "description", "outcomes", "satisficing", "keep_series", "table"})
        if self.exploration.sampler in EXTENDABLE:
            written.pop("futures")
        content = {"exploration": written, "scenario": self.base}
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def future_scenario_data(base: Mapping[str, Any], sets: Sequence[Override],
                         scales: Sequence[Override], clips: Mapping[str, tuple[float, float]],
                         policy: Policy) -> dict[str, Any]:
    """The scenario of one future under one policy, as data to validate: the future's values
    first, then the policy's on top of them."""
    document = Document(data=copy_data(base), source="<future>")
    apply_overrides(document, sets, scale=scales, clip=clips)
    apply_overrides(document, policy.set, scale=policy.scale)
    return document.data


def load_exploration(path: str | Path) -> ExplorationPlan:
    """Read an exploration file, resolve its policies and uncertainties against its scenario
    (at both ends of every range, under every policy), and draw its design.

    Raises:
        ScenarioError: every problem of the file, located.
        UserError: if it is a file of another kind.
    """
    document = read_file(path, "exploration")
    exploration = validate(document, Exploration)
    base_path = Path(path).parent / exploration.scenario
    try:
        base = read_file(base_path, "scenario")
    except ScenarioError as error:
        raise located_at(error, document, ("scenario",)) from None
    policies = _policies(exploration, base, document)
    _check_ranges(exploration, base, policies, document)
    design = _whole_where_counted(_design(exploration, Path(path).parent, document),
                                  exploration, base)
    return ExplorationPlan(exploration, str(path), str(base_path), copy_data(base.data),
                           policies, design)


def _policies(exploration: Exploration, base: Document,
              document: Document) -> dict[str, Policy]:
    policies: dict[str, Policy] = {}
    problems: list[Problem] = []
    for name, written in exploration.policies.items():
        origin = ("policies", name)
        try:
            variant: Variant = read_variant(written, lambda key: document.locate((*origin, key)))
            _, applied = resolve(base, variant.set, override_locations(document, origin),
                                 scale=variant.scale)
        except ScenarioError as error:
            problems += [Problem(p.location, f"policies.{name}: {p.path}".rstrip(": "),
                                 p.message) for p in error.problems]
            continue
        policies[name] = Policy(name, variant.description, variant.set, variant.scale,
                                dict(applied))
    if problems:
        raise ScenarioError(problems)
    return policies


def _check_ranges(exploration: Exploration, base: Document, policies: dict[str, Policy],
                  document: Document) -> None:
    """Every uncertainty at each end of its range, the others as written, under every
    policy: a range that leaves the scenario's limits, or a policy that sets a value the
    uncertainties vary (so that they could not vary it), is said at its line."""
    problems: list[Problem] = []
    for path, uncertainty in exploration.uncertainties.items():
        where = {path: document.locate(("uncertainties", path))}
        try:
            if uncertainty.scale is not None and counts_at(base, path):
                problems.append(Problem(where[path], f"uncertainties.{path}", "scales a count "
                                        "(whole numbers), which most factors would make a "
                                        "fraction of: give a `range` of values instead, which "
                                        "the design rounds"))
                continue
        except ScenarioError:
            pass  # a path that names nothing: said below, at both ends at once
        found = {end: _at_end(path, uncertainty, value, base, policies, where)
                 for end, value in zip(("low", "high"), uncertainty.bounds)}
        if found["low"] == found["high"]:  # a path that names nothing, whatever the value
            problems += [Problem(where[path], f"uncertainties.{path}", message)
                         for message in found["low"]]
            continue
        problems += [Problem(where[path], f"uncertainties.{path}",
                             f"at its {end} end ({_number(value)}): {message}")
                     for (end, messages), value in zip(found.items(), uncertainty.bounds)
                     for message in messages]
    if problems:
        raise ScenarioError(list(dict.fromkeys(problems)))


def _at_end(path: str, uncertainty: Uncertainty, value: float, base: Document,
            policies: dict[str, Policy], where: dict[str, Location]) -> list[str]:
    """What goes wrong with the uncertainty at one end of its range, under each policy."""
    sets = [(path, value)] if uncertainty.range is not None else []
    scales = [(path, value)] if uncertainty.scale is not None else []
    clips = {path: uncertainty.clip} if uncertainty.clip is not None else {}
    messages: list[str] = []
    try:
        trial = Document(data=copy_data(base.data), source=base.source,
                         locations=dict(base.locations))
        varied = {name for name, _ in apply_overrides(trial, sets, where, scale=scales,
                                                      clip=clips)}
        for policy in policies.values():
            fixed = _fixed_by(policy, varied)
            if fixed:
                messages.append(f"policy {policy.name!r} sets {fixed}, which this uncertainty "
                                "varies: scale it instead, or drop one")
            resolve(trial, policy.set, where, scale=policy.scale)
    except ScenarioError as error:
        messages += [f"{p.path}: {p.message}" if p.path else p.message for p in error.problems]
    return list(dict.fromkeys(messages))


def _number(value: float) -> str:
    return f"{value:g}"


def _fixed_by(policy: Policy, varied: set[str]) -> str | None:
    """A value the policy sets outright among those an uncertainty varies."""
    scaled = set(_concrete(policy.scale, policy.overrides))
    for name in policy.overrides:
        if name in varied and name not in scaled:
            return name
    return None


def _concrete(scale: Sequence[Override], overrides: Mapping[str, Any]) -> list[str]:
    """The concrete paths a policy's scale factors changed (those it did not set)."""
    patterns = [path.split(".") for path, _ in scale]
    return [name for name in overrides
            if any(_matches(name.split("."), pattern) for pattern in patterns)]


def _matches(parts: list[str], pattern: list[str]) -> bool:
    return len(parts) == len(pattern) and all(
        want in ("*", part) for part, want in zip(parts, pattern))


def _design(exploration: Exploration, folder: Path, document: Document) -> np.ndarray:
    """The design's points: sampled, or read from the file a `table` names."""
    if exploration.sampler != "table":
        factors = exploration.factors
        futures = (exploration.levels ** len(factors) if exploration.sampler == "factorial"
                   else exploration.futures)
        assert futures is not None
        return sample(exploration.sampler, factors, futures, exploration.seed,
                      exploration.levels)
    assert exploration.table is not None
    return read_design(folder / exploration.table, exploration,
                       document.locate(("table",)))


def _whole_where_counted(design: np.ndarray, exploration: Exploration,
                         base: Document) -> np.ndarray:
    """A range over a count (trainers, a facility's capacity) takes whole values: the
    design's are rounded, so that it records the futures that ran."""
    design = np.array(design, dtype=float)
    for column, (path, uncertainty) in enumerate(exploration.uncertainties.items()):
        if uncertainty.range is not None and counts_at(base, path):
            design[:, column] = np.round(design[:, column])
    return design


def read_design(path: Path, exploration: Exploration, where: Location) -> np.ndarray:
    """A design from a CSV or Parquet file: a column per uncertainty, every value within the
    uncertainty's range.

    Raises:
        ScenarioError: the file cannot be read, lacks a column, or holds a value out of range.
    """
    import pandas as pd

    def refuse(message: str) -> ScenarioError:
        return ScenarioError([Problem(where, "table", f"{path}: {message}")])

    try:
        table = (pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path))
    except (OSError, ValueError) as error:
        raise refuse(f"cannot read it as {'Parquet' if path.suffix == '.parquet' else 'CSV'} "
                     f"({error})") from None
    names = list(exploration.uncertainties)
    missing = [name for name in names if name not in table.columns]
    if missing:
        raise refuse(f"no column for {', '.join(map(repr, missing))} (columns: "
                     f"{', '.join(map(str, table.columns))})")
    if len(table) < 2:
        raise refuse("an exploration needs at least 2 futures (rows)")
    values = table[names].to_numpy(dtype=float)
    for column, (name, uncertainty) in enumerate(exploration.uncertainties.items()):
        low, high = uncertainty.bounds
        outside = np.flatnonzero(~((values[:, column] >= low) & (values[:, column] <= high)))
        if outside.size:
            rows = ", ".join(str(row + 2 if path.suffix != ".parquet" else row)
                             for row in outside[:5])
            raise refuse(f"column {name!r} leaves its range [{low:g}, {high:g}] at "
                         f"{'line' if path.suffix != '.parquet' else 'row'} {rows}"
                         + (f" and {outside.size - 5} more" if outside.size > 5 else ""))
    return values

