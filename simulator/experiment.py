"""Experiment files: a scenario, named policy variants as overrides, replications and seeds.

Every variant is resolved into a validated scenario when the file is loaded,
so a misspelt override path is reported (with its line in the experiment
file) before anything runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from simulator.errors import Problem, ScenarioError
from simulator.loading import apply_overrides, copy_data, validate
from simulator.results import KPI_NAMES
from simulator.schema import Id, Model, Scenario
from simulator.yaml_source import Document, read_document

MAX_REPLICATIONS = 100_000


class Experiment(Model):
    """Policy variants of one scenario, compared over paired replications."""

    name: Id | None = None
    """Defaults to the file's name without its extension."""
    description: str = ""
    scenario: str
    """The scenario file, relative to this file."""
    replications: Annotated[int, Field(ge=2, le=MAX_REPLICATIONS)]
    """Replications of every variant (with `precision`: the first batch)."""
    seed: Annotated[int, Field(ge=0, lt=2**63)]
    """Root seed; replication k of every variant uses the same random streams."""
    primary_metric: str
    """The KPI that decides the best variant and, with `precision`, when to stop."""
    goal: Literal["maximize", "minimize"] = "maximize"
    """Whether a higher or a lower primary metric is better."""
    precision: Annotated[float, Field(gt=0.0, lt=1.0)] | None = None
    """Add replications until the 95% CI half-width of the primary metric is below this
    share of its mean, for every variant."""
    batch: Annotated[int, Field(ge=1, le=MAX_REPLICATIONS)] = 10
    """Replications added per round while the precision is not reached."""
    max_replications: Annotated[int, Field(ge=2, le=MAX_REPLICATIONS)] = 1_000
    """Cap on replications per variant when adding them for precision."""
    baseline: Id = "baseline"
    """The variant the others are compared with."""
    variants: Annotated[dict[Id, dict[str, Any]], Field(min_length=1)]
    """Variant name -> overrides by dotted path (list items by id); the baseline's may be {}."""

    @model_validator(mode="after")
    def _consistent(self) -> Experiment:
        problems = []
        if self.baseline not in self.variants:
            problems.append((("baseline",), f"no variant named {self.baseline!r} "
                             f"(variants: {', '.join(self.variants)})"))
        if self.primary_metric not in KPI_NAMES:
            problems.append((("primary_metric",), f"unknown KPI {self.primary_metric!r} "
                             f"(expected one of: {', '.join(KPI_NAMES)})"))
        if self.max_replications < self.replications:
            problems.append((("max_replications",), "must be at least `replications` "
                             f"({self.replications})"))
        if problems:
            raise PydanticCustomError("cross_reference", "{count} problem(s)",
                                      {"count": len(problems), "problems": problems})
        return self


@dataclass(frozen=True)
class Plan:
    """An experiment with every variant resolved to a validated scenario."""

    experiment: Experiment
    source: str
    scenario_source: str
    scenarios: dict[str, Scenario]

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
        from simulator.outputs import scenario_hash

        content = {"seed": self.experiment.seed,
                   "variants": {name: scenario_hash(s) for name, s in self.scenarios.items()}}
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def load_experiment(path: str | Path) -> Plan:
    """Read an experiment file and resolve its variants into scenarios.

    Raises:
        ScenarioError: every problem in the experiment file or in any variant, located.
    """
    document = read_document(path)
    experiment = validate(document, Experiment)
    scenario_path = Path(path).parent / experiment.scenario
    return plan(experiment, scenario_path, document, str(path))


def plan(experiment: Experiment, scenario_path: Path, document: Document | None = None,
         source: str = "<experiment>") -> Plan:
    """Resolve each variant of `experiment` against the scenario file at `scenario_path`."""
    try:
        base = read_document(scenario_path)
    except ScenarioError as error:
        raise _from_experiment(error, document, ("scenario",)) from None
    scenarios: dict[str, Scenario] = {}
    problems: list[Problem] = []
    for name, overrides in experiment.variants.items():
        variant = Document(data=copy_data(base.data), source=base.source,
                           locations=dict(base.locations))
        found: list[Problem] = []
        try:  # every override that resolves is applied, so validation sees them all
            apply_overrides(variant, overrides.items(),
                            _override_locations(document, ("variants", name)))
        except ScenarioError as error:
            found.extend(error.problems)
        try:
            scenarios[name] = validate(variant, Scenario)
        except ScenarioError as error:
            found.extend(error.problems)
        problems.extend(Problem(p.location, f"variants.{name}: {p.path}".rstrip(": "),
                                p.message) for p in found)
    if problems:
        raise ScenarioError(problems)
    return Plan(experiment, source, str(scenario_path), scenarios)


def _override_locations(document: Document | None, origin: tuple[str, ...]) -> Mapping:
    if document is None:
        return {}
    return {key[-1]: location for key, location in document.locations.items()
            if len(key) == len(origin) + 1 and key[: len(origin)] == origin}


def _from_experiment(error: ScenarioError, document: Document | None,
                     path: tuple[str, ...]) -> ScenarioError:
    if document is None:
        return error
    location = document.locate(path)
    return ScenarioError([Problem(location, ".".join(path), f"{p.location}: {p.message}")
                          for p in error.problems])
