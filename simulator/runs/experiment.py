"""Experiment files: a scenario, named policy variants as overrides, replications and seeds.

A variant sets values by dotted path, and may scale numbers and say what it
is for: `{description: ..., set: {...}, scale: {nations.*.annual_budget: 1.5}}`,
or just `{dotted.path: value, ...}`. Every variant is resolved into a validated
scenario when the file is loaded, so a misspelt override path is reported (with
its line in the experiment file) before anything runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator
from pydantic_core import PydanticCustomError

from simulator.errors import Location, Problem, ScenarioError
from simulator.model.loading import Override, read_file, resolve, validate
from simulator.model.metrics import KPI_NAMES
from simulator.model.schema import Id, Model, Scenario
from simulator.runs.store import scenario_hash

if TYPE_CHECKING:
    from simulator.model.yaml_source import Document

MAX_REPLICATIONS = 100_000
VARIANT_KEYS = ("description", "set", "scale")
"""A variant's own keys; any other key of a variant is a dotted path to set."""
Problems = list[tuple[tuple[str | int, ...], str]]
"""Problems across fields: each with its dotted path, for the loader to locate."""

HalfWidth = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]


def _one_or_per_kpi(value: Any) -> str:
    """A number for the primary metric, or a mapping of KPIs to numbers."""
    return "per_kpi" if isinstance(value, Mapping) else "one"


HalfWidths = Annotated[Annotated[HalfWidth, Tag("one")]
                       | Annotated[dict[str, HalfWidth], Tag("per_kpi")],
                       Discriminator(_one_or_per_kpi)]


class DifferencesPrecision(Model):
    """Replications until each variant's paired difference to the baseline is known to
    within an absolute half-width: the precision of what the comparison claims, rather than
    of each variant's mean."""

    on: Literal["differences"]
    """What must be precise: `differences`, each variant's paired difference to the
    baseline (a number alone, `precision: 0.01`, is relative to each variant's mean)."""
    half_width: HalfWidths
    """The largest 95% CI half-width of each paired difference, in the KPI's own unit (index
    points for an index, a count for a count): one number for the primary metric, or KPI
    name -> number for every KPI named."""

    def half_widths(self, primary_metric: str) -> dict[str, float]:
        """KPI -> the half-width its differences must reach."""
        if isinstance(self.half_width, dict):
            return dict(self.half_width)
        return {primary_metric: self.half_width}

    @model_validator(mode="before")
    @classmethod
    def _on_as_written(cls, data: Any) -> Any:
        """YAML 1.1 reads a bare `on` key as true, as it reads `yes`: here it is the key."""
        if isinstance(data, Mapping) and any(key is True for key in data):
            return {"on" if key is True else key: value for key, value in data.items()}
        return data


def _precision_kind(value: Any) -> str:
    """A number is a precision relative to the means; a mapping, one on the differences."""
    return "differences" if isinstance(value, Mapping | DifferencesPrecision) else "relative"


Precision = Annotated[
    Annotated[Annotated[float, Field(gt=0.0, lt=1.0)], Tag("relative")]
    | Annotated[DifferencesPrecision, Tag("differences")],
    Discriminator(_precision_kind)]


class Selection(Model):
    """Ranking and selection of the best variant on the primary metric, with a stated
    probability of being right."""

    procedure: Literal["kn", "subset"]
    """`kn`: Kim and Nelson's fully sequential procedure: `n0` replications of every
    variant, then `batch` more of each variant still in contention per round, decided
    replication by replication, each variant eliminated as soon as the data allow, until
    one remains or `max_replications`. `subset`: the experiment's `replications` of every
    variant, then the subset of variants that holds the best."""
    delta: Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
    """The smallest difference in the primary metric worth detecting, in its own unit (index
    points for an index, a count for a count): the indifference zone, as the guarantee holds
    whenever the best exceeds every other variant by at least this much."""
    confidence: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.95
    """The probability, at least, of a correct selection (`kn`: the best is selected;
    `subset`: the best is in the subset) when the best is better by `delta` or more."""
    n0: Annotated[int, Field(ge=2, le=MAX_REPLICATIONS)] = 10
    """`kn` only: the number of replications of every variant in the first stage, from
    which the variances of the differences between variants are estimated."""


class Experiment(Model):
    """Policy variants of one scenario, compared over paired replications."""

    name: Id | None = None
    """Name of the experiment, used for its results directory; defaults to the file's name
    without its extension."""
    description: str = ""
    """What the experiment asks, in words; the report shows it."""
    scenario: str
    """The scenario file, relative to this file."""
    replications: Annotated[int, Field(ge=2, le=MAX_REPLICATIONS)]
    """Number of replications of every variant (with `precision`: the first batch; with a
    `kn` selection, unused: its `n0` is the first stage and `max_replications` the cap)."""
    seed: Annotated[int, Field(ge=0, lt=2**63)]
    """Root seed, a whole number; replication k of every variant uses the same random
    streams."""
    primary_metric: str
    """The KPI that decides the best variant and, with `precision` (or a `kn` selection),
    when to stop."""
    goal: Literal["maximize", "minimize"] = "maximize"
    """Whether a higher or a lower primary metric is better."""
    practical_difference: (Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
                           | dict[str, Annotated[float, Field(ge=0.0, allow_inf_nan=False)]]
                           | None) = None
    """The smallest difference worth acting on, in the KPI's unit: one number for the primary
    metric, or KPI name -> number. KPIs not named take the metric catalogue's default (an
    index 0.01, a share 0.02, a count, money or rate 5% of the baseline)."""
    precision: Precision | None = None
    """Add replications until the 95% CI half-width of the primary metric is below this
    share of its mean, for every variant; or, as `{on: differences, half_width: ...}`, until
    the 95% CI half-width of every variant's paired difference to the baseline is below an
    absolute value."""
    batch: Annotated[int, Field(ge=1, le=MAX_REPLICATIONS)] = 10
    """Number of replications added per round while the precision is not reached, or (`kn`)
    of each variant still in contention; a `kn` selection decides replication by
    replication, the same for any batch: a larger one keeps more workers busy, and its runs
    past the deciding replication go unused."""
    max_replications: Annotated[int, Field(ge=2, le=MAX_REPLICATIONS)] = 1_000
    """Largest number of replications per variant when adding them for precision or for a
    `kn` selection."""
    selection: Selection | None = None
    """Select the best variant on the primary metric with a guaranteed probability of being
    right: `{procedure: kn or subset, delta: ..., confidence: 0.95, n0: 10}`."""
    baseline: Id = "baseline"
    """Name of the variant the others are compared with; it must be one of `variants`."""
    variants: Annotated[dict[Id, dict[str, Any]], Field(min_length=1)]
    """Variant name -> its overrides by dotted path (list items by id, or all of a list's
    with `*`); the baseline's may be {}. Besides paths, a variant may have a `description`
    (shown in the comparison table and the report), `set` (paths to values, the same as
    paths written beside it) and `scale` (paths to factors that multiply the scenario's
    numbers)."""

    @model_validator(mode="after")
    def _consistent(self) -> Experiment:
        problems: Problems = []
        if self.baseline not in self.variants:
            problems.append((("baseline",), f"no variant named {self.baseline!r} "
                             f"(variants: {', '.join(self.variants)})"))
        if self.primary_metric not in KPI_NAMES:
            problems.append((("primary_metric",), unknown_kpi(self.primary_metric)))
        if isinstance(self.practical_difference, dict):
            problems += [(("practical_difference", kpi), f"unknown KPI {kpi!r}")
                         for kpi in self.practical_difference if kpi not in KPI_NAMES]
        if self.max_replications < self.replications:
            problems.append((("max_replications",), "must be at least `replications` "
                             f"({self.replications})"))
        problems += self._precision_problems() + self._selection_problems()
        if problems:
            raise PydanticCustomError("cross_reference", "{count} problem(s)",
                                      {"count": len(problems), "problems": problems})
        return self

    def _precision_problems(self) -> Problems:
        if not isinstance(self.precision, DifferencesPrecision):
            return []
        problems: Problems = []
        if isinstance(self.precision.half_width, dict):
            problems += [(("precision", "half_width", kpi), f"unknown KPI {kpi!r}")
                         for kpi in self.precision.half_width if kpi not in KPI_NAMES]
        if len(self.variants) < 2:
            problems.append((("precision",), "differences to the baseline need a "
                             "variant besides the baseline"))
        return problems

    def _selection_problems(self) -> Problems:
        if self.selection is None:
            return []
        problems: Problems = []
        if len(self.variants) < 2:
            problems.append((("selection",), "needs at least two variants to select from"))
        elif self.selection.confidence <= 1 / len(self.variants):
            problems.append((("selection", "confidence"), "should be above 1/k = "
                             f"{1 / len(self.variants):.3g} for k = {len(self.variants)} "
                             "variants: a guess among them is right that often"))
        if self.precision is not None:
            problems.append((("precision",), "cannot go with `selection`, which sets the "
                             "replications itself (`kn` adds them until one variant remains; "
                             "`subset` runs `replications`): remove one of the two"))
        if self.selection.procedure == "kn" and self.max_replications < self.selection.n0:
            problems.append((("max_replications",), "must be at least the selection's n0 "
                             f"({self.selection.n0})"))
        if self.selection.procedure == "subset" and "n0" in self.selection.model_fields_set:
            problems.append((("selection", "n0"), "applies to `kn` only: `subset` runs the "
                             f"experiment's `replications` ({self.replications})"))
        return problems


def unknown_kpi(name: str) -> str:
    """What is wrong with a KPI's name that the catalogue does not hold."""
    return f"unknown KPI {name!r} (expected one of: {', '.join(KPI_NAMES)})"


@dataclass(frozen=True)
class Plan:
    """An experiment with every variant resolved to a validated scenario."""

    experiment: Experiment
    source: str
    scenario_source: str
    scenarios: dict[str, Scenario]
    overrides: dict[str, dict[str, Any]]
    """Each variant's overrides as applied: every value it changes, by its path with list
    items named, and the value it ends with (what the manifest records)."""
    descriptions: dict[str, str]
    """Each variant's description ("" when it has none), for the comparison table and the
    report."""
    design: bool = False
    """A table of runs (`run_design`), not policies compared with a baseline: the runner
    writes no comparison and keeps no event traces."""

    @property
    def name(self) -> str:
        return self.experiment.name or Path(self.source).stem

    @property
    def variant_names(self) -> list[str]:
        """The baseline first, then the others in file order."""
        baseline = self.experiment.baseline
        return [baseline] + [name for name in self.scenarios if name != baseline]

    def identity(self) -> str:
        """What makes two runs of this plan interchangeable: the seed and each variant's
        resolved scenario. Replication counts and statistics settings may change between
        a run and its resumption."""
        content = {"seed": self.experiment.seed,
                   "variants": {name: scenario_hash(s) for name, s in self.scenarios.items()}}
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Variant:
    """A variant as written: what it is for, the values it sets and the numbers it scales."""

    description: str = ""
    set: tuple[Override, ...] = ()
    scale: tuple[Override, ...] = ()


def load_experiment(path: str | Path) -> Plan:
    """Read an experiment file and resolve its variants into scenarios.

    Raises:
        ScenarioError: every problem in the experiment file or in any variant, located.
    """
    document = read_file(path, "experiment")
    experiment = validate(document, Experiment)
    scenario_path = Path(path).parent / experiment.scenario
    return plan(experiment, scenario_path, document, str(path))


def plan(experiment: Experiment, scenario_path: Path, document: Document | None = None,
         source: str = "<experiment>") -> Plan:
    """Resolve each variant of `experiment` against the scenario file at `scenario_path`,
    read once; problems of reading it are said at the experiment's `scenario` line."""
    try:
        base = read_file(scenario_path, "scenario")
    except ScenarioError as error:
        raise located_at(error, document, ("scenario",)) from None
    scenarios: dict[str, Scenario] = {}
    overrides: dict[str, dict[str, Any]] = {}
    descriptions: dict[str, str] = {}
    problems: list[Problem] = []
    for name, written in experiment.variants.items():
        origin = ("variants", name)
        try:
            variant = read_variant(written, lambda key: document.locate((*origin, key))
                                   if document else Location(source))
            scenarios[name], applied = resolve(base, variant.set,
                                               override_locations(document, origin),
                                               scale=variant.scale)
        except ScenarioError as error:
            problems.extend(Problem(p.location, f"variants.{name}: {p.path}".rstrip(": "),
                                    p.message) for p in error.problems)
            continue
        overrides[name], descriptions[name] = dict(applied), variant.description
    if problems:
        raise ScenarioError(problems)
    return Plan(experiment, source, str(scenario_path), scenarios, overrides, descriptions)


def read_variant(written: Mapping[str, Any], locate: Callable[[str], Location]) -> Variant:
    """A variant from its mapping: `description`, `set` and `scale` are its own keys, and
    every other key is a dotted path set to its value, as under `set`. So a variant of
    paths alone (the flat form) is valid as it is, and takes a description as it is.

    Raises:
        ScenarioError: a description that is not text, or a `set` or `scale` that is not a
            mapping of dotted paths; `locate` gives the line of each of these keys.
    """
    own = {key: value for key, value in written.items() if key in VARIANT_KEYS}
    problems = []
    if not isinstance(own.get("description", ""), str):
        problems.append(Problem(locate("description"), "description",
                                f"should be text (got {own['description']!r})"))
    for key in ("set", "scale"):
        pairs = own.get(key, {})
        if not isinstance(pairs, Mapping) or not all(isinstance(path, str) for path in pairs):
            what = "values" if key == "set" else "factors"
            problems.append(Problem(locate(key), key,
                                    f"should be a mapping of dotted paths to {what}"))
    if problems:
        raise ScenarioError(problems)
    paths = [(key, value) for key, value in written.items() if key not in VARIANT_KEYS]
    return Variant(own.get("description", ""), (*paths, *own.get("set", {}).items()),
                   tuple(own.get("scale", {}).items()))


def override_locations(document: Document | None, origin: tuple[str, ...],
                       flat: bool = True) -> Mapping:
    """The line of each override of a variant at `origin`: a path beside its own keys (if
    `flat`; a check's own keys are not paths), or under `set` or `scale`."""
    if document is None:
        return {}
    parents = {(*origin, "set"), (*origin, "scale")} | ({origin} if flat else set())
    return {key[-1]: location for key, location in document.locations.items()
            if key[:-1] in parents and not (key[:-1] == origin and key[-1] in VARIANT_KEYS)}


def located_at(error: ScenarioError, document: Document | None,
               path: tuple[str, ...]) -> ScenarioError:
    """The problems of a file named at `path` (reading the scenario), said at that line."""
    if document is None:
        return error
    location = document.locate(path)
    return ScenarioError([Problem(location, ".".join(path), f"{p.location}: {p.message}")
                          for p in error.problems])
