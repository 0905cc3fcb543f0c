"""The model described item by item in the structure of a reporting standard, filled in from
a results directory: STRESS-DES for discrete-event simulation studies (Monks et al. 2019)
and, as a second view, the ODD protocol (Grimm et al. 2020).

Every answer comes from one of three places: what the directory records (the manifest's
resolved scenarios, seed, replications, stop reason, versions and times; the summary; the
journal's run times), the code that owns a fact (the metric catalogue for outputs, the
schema for defaults), or the model's stable facts, written once below as data, each
pointing to the section of docs/model.md that gives it in full. Where the directory does
not say, the item says "not stated in the inputs" rather than guess, so that a reviewer
can tell what is known from what is missing.

A description is plain data (sections of items of plain-text paragraphs) that a template
loops over; `Description.markdown()` writes the same as Markdown.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from typing import Any, Final, Literal

import pandas as pd
import pyarrow.parquet as pq

from simulator.analysis.stats import mean_interval
from simulator.model.metrics import HEADLINE_KPIS, KPIS, NATIONS, REGIONS
from simulator.model.metrics import SERIES as SERIES_METRICS
from simulator.model.reference import STATISTIC, direction_words
from simulator.model.schema import DAYS_PER_YEAR, Disruptions, Parameters
from simulator.presentation.findings import ABSENT, by_id, differences
from simulator.presentation.plot_data import Results
from simulator.runs.store import (
    CHECKS,
    JOURNAL,
    SERIES,
    TRACE,
    ExperimentManifest,
    RunManifest,
    run_file,
)

Status = Literal["filled", "not applicable", "not stated in the inputs"]
FILLED: Final[Status] = "filled"
NOT_APPLICABLE: Final[Status] = "not applicable"
NOT_STATED: Final[Status] = "not stated in the inputs"
STATUSES: Final = (FILLED, NOT_APPLICABLE, NOT_STATED)
"""An item is filled from the inputs, does not apply to this model or directory (and says
why), or asks for something the inputs do not state (and says what)."""

MODEL_DOC = "docs/model.md"


# --- the shape a template loops over ------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One numbered item of the standard, answered."""

    number: str
    title: str
    paragraphs: list[str]
    """Plain text, one string per paragraph; names in backticks."""
    status: Status
    diagram: str = ""
    """Preformatted plain text (a flow diagram), shown as it is; empty for most items."""

    @property
    def answered(self) -> bool:
        return self.status != NOT_STATED


@dataclass(frozen=True)
class Section:
    number: str
    title: str
    items: list[Item]


@dataclass(frozen=True)
class Description:
    """A model description in the structure of one standard, with its completeness."""

    standard: str
    """The standard's name, e.g. "STRESS-DES 1.0"."""
    citation: str
    subject: str
    """What is described: an experiment or a single run, by name."""
    origin: str
    """Where the answers came from, in a sentence."""
    sections: list[Section]

    @property
    def items(self) -> list[Item]:
        return [item for section in self.sections for item in section.items]

    @property
    def answered(self) -> int:
        """Items filled or not applicable."""
        return sum(item.answered for item in self.items)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def completeness(self) -> str:
        missing = [item.number for item in self.items if not item.answered]
        unstated = f"; not stated in the inputs: {', '.join(missing)}" if missing else ""
        return (f"{self.answered} of {self.total} items answered (filled or not "
                f"applicable){unstated}")

    def markdown(self) -> str:
        """The description as a Markdown document: title, origin, completeness, then every
        section and item with its status."""
        lines = [f"# Model description ({self.standard}): {self.subject}", "",
                 self.origin, "", f"Standard: {self.citation}.", "",
                 f"Completeness: {self.completeness}.", ""]
        for section in self.sections:
            lines += [f"## {section.number} {section.title}", ""]
            for item in section.items:
                if not (len(section.items) == 1 and item.number == section.number):
                    lines += [f"### {item.number} {item.title}", ""]
                lines += [f"*Status: {item.status}*", ""]
                for paragraph in item.paragraphs:
                    lines += [paragraph, ""]
                if item.diagram:
                    lines += ["```text", item.diagram.rstrip("\n"), "```", ""]
        return "\n".join(lines)


@dataclass(frozen=True)
class Answer:
    status: Status
    paragraphs: list[str]
    diagram: str = ""


# --- the model's stable facts, written once -----------------------------------------------------

PURPOSE = (
    "The model is a discrete-event simulation of military outreach by allies to partner "
    "nations: joint exercises, capacity-building programs and the dissemination of common "
    "standards, under limited budgets, trainers and training ranges, with unstable partners, "
    "perceived pressure, escalation in contested regions and crises that test whether forces "
    "can work together. It tracks two abstract indices from 0 to 1 over years, "
    "interoperability and trust, and through them information sharing and crisis outcomes. "
    "Its purpose is to compare outreach policies (how often and where to exercise, whom to "
    "train and how, generic or tailored programs, how much to spend) by what they do to these "
    "outcomes, and to see through which mechanism a difference arises. It is built for "
    "relative comparisons of policies in one invented world under stated assumptions; it is "
    f"not a forecast, and its absolute numbers have no meaning outside the scenario "
    f"({MODEL_DOC} section 1).")

PATTERNS = (
    ("P1", "sustained engagement builds interoperability (a regularly exercising and "
           "training ally-partner pair reaches level 2 within about 5-10 years; pairs that "
           "stop fall back)"),
    ("P2", "absorptive capacity and fit matter (the same program yields more in a stable, "
           "open partner with matched needs)"),
    ("P3", "coalitions help (an interoperable ally never lowers the expected crisis outcome)"),
    ("P4", "trust follows reliability (success builds it, bias and pressure erode it, and "
           "eroded trust shows in participation and response)"),
    ("P5", "restraint has two sides (fewer contested exercises mean fewer escalations, and "
           "escalation raises crisis risk)"),
    ("P6", "money buys activity with diminishing returns, and cheap work is not blocked "
           "behind expensive work"),
)
"""The patterns the model must reproduce, each tested by `simulator check`."""


@dataclass(frozen=True)
class ModelProcess:
    """A SimPy process of the model (docs/model.md section 3), in the order the engine
    starts them."""

    name: str
    one_per: str
    does: str
    flow: tuple[str, ...]
    sections: tuple[str, ...]
    count: Callable[[dict[str, Any]], int]
    """How many the scenario has."""
    stream: str = ""
    """Its random stream's name (docs/model.md section 5); empty if it draws nothing."""
    draws: str = ""


def _allies(scenario: dict[str, Any]) -> list[dict[str, Any]]:
    return [nation for nation in scenario["nations"] if nation["role"] == "ally"]


def _partners(scenario: dict[str, Any]) -> list[dict[str, Any]]:
    return [nation for nation in scenario["nations"] if nation["role"] == "partner"]


def _fragile(scenario: dict[str, Any]) -> list[dict[str, Any]]:
    """Partners with a positive shock rate: shocks on, and their own stability below 1."""
    if scenario["disruptions"]["instability"]["per_year"] <= 0:
        return []
    return [partner for partner in _partners(scenario) if partner["stability"] < 1]


PROCESSES = (
    ModelProcess("budget years", "run", "at day 0 and every 365 days, renews each ally's "
                 "budget to its annual budget times its political will, less any cut in force; "
                 "what was left expires", ("renew every ally's budget",), ("4.11",),
                 lambda scenario: 1),
    ModelProcess("exercise series", "exercise series", "from its start day, a joint exercise "
                 "every `every_days` plus jitter, counted from the last one's actual start: "
                 "invitees join by will, interest and trust in the host; the host pays; the "
                 "exercise holds a facility slot; participants learn skill, standards and "
                 "familiarity; the outcome is trust evidence; in a contested region tension "
                 "rises and may escalate",
                 ("cooldown over", "invitees join", "host pays", "facility slot",
                  "learning, trust evidence", "tension, escalation"), ("4.5", "4.6"),
                 lambda scenario: len(scenario["exercises"]), "exercise/<id>",
                 "per cycle, one number per invitee (participation), the outcome and the "
                 "jitter, even if the exercise is then cancelled"),
    ModelProcess("capacity-building programs", "program", "module after module, a provider "
                 "ally trains one partner: instability may interrupt or suspend the program; "
                 "each module needs money and trainers, teaches the partner in proportion to "
                 "fit and absorptive capacity, builds the partner's trust in the provider, and "
                 "adds pressure that past the partner's tolerance is perceived as bias",
                 ("interruption?", "suspension?", "provider pays", "trainers",
                  "learning, trust", "pressure, bias?"), ("4.7",),
                 lambda scenario: len(scenario["programs"]), "program/<id>",
                 "per module turn, whether it is interrupted and the length of the pause, "
                 "drawn either way"),
    ModelProcess("workshop series", "workshop series", "every `every_days`, the provider "
                 "pays and the listed partners learn standards in proportion to their "
                 "openness", ("provider pays", "partners learn standards"), ("4.8",),
                 lambda scenario: len(scenario["workshops"])),
    ModelProcess("standards releases", "domain listed under `standards`", "every release "
                 "interval, part of everyone's standards adoption becomes obsolete, and allies "
                 "re-adopt after a lag", ("obsolescence", "allies re-adopt after a lag"),
                 ("4.8",), lambda scenario: len(scenario["standards"])),
    ModelProcess("crisis responses", "threat", "crises arrive in the threat's region as a Poisson "
                 "process, faster after an escalation; the host and the allies that trust it "
                 "enough respond; capability, interoperability with the host and early warning "
                 "set the chance of success; the outcome is trust evidence among the "
                 "responders, and a failure costs the host stability",
                 ("arrival", "kind, host", "coalition by trust", "outcome",
                  "trust evidence, stability"), ("4.9", "4.10"),
                 lambda scenario: len(scenario["threats"]), "crises/<threat id>",
                 "per candidate arrival, the gap, the thinning, the kind, the host and the "
                 "outcome, even if the candidate is thinned out"),
    ModelProcess("budget cuts", "ally, when cuts are on", "cuts arrive as a Poisson process; "
                 "each takes its depth of what is left and of every renewal while it lasts",
                 ("arrival", "budget cut"), ("4.11",),
                 lambda scenario: len(_allies(scenario))
                 if scenario["disruptions"]["budget_cuts"]["per_year"] > 0 else 0,
                 "budget_cuts/<ally>", "one number per cut (the gap)"),
    ModelProcess("instability shocks", "partner with a positive shock rate", "shocks arrive "
                 "as a Poisson process at a rate set by the partner's fragility (1 - its "
                 "scenario stability); each takes stability, which recovers",
                 ("arrival", "stability lost"), ("4.12",),
                 lambda scenario: len(_fragile(scenario)), "instability/<partner>",
                 "one number per shock (the gap)"),
    ModelProcess("recorder", "run", "samples every metric at day 0, every "
                 "`sample_every_days` and at the horizon, after every other event of its "
                 "instant", ("sample after the instant's events",), ("3", "6"),
                 lambda scenario: 1),
)

SUBMODELS = (
    ("4.1", "Decay and recovery"), ("4.2", "The learning rule"), ("4.3", "Trust"),
    ("4.4", "Interoperability and levels"), ("4.5", "Joint exercises"),
    ("4.6", "Tension and escalation"), ("4.7", "Capacity-building programs"),
    ("4.8", "Standards releases and workshops"),
    ("4.9", "Information sharing and early warning"), ("4.10", "Crises"),
    ("4.11", "Budgets"), ("4.12", "Instability shocks"), ("4.13", "Engagement"),
)
"""The submodels of docs/model.md section 4, by their headings there."""

STATE_VARIABLES = (
    "S[i,d] standards adoption and P[i,d] proficiency of each nation in each domain",
    "F[i,j] familiarity of each pair of nations",
    "A[i,j] and B[i,j] positive and negative trust evidence of i about j, from which trust "
    "T[i,j] follows",
    "press[p] engagement pressure felt by each partner",
    "cap[i], stab[i] and open[i] capability, stability and openness of each nation, as "
    "gains and losses that return toward the scenario's values",
    "tension[r] of each region",
    "L[a,p,d] the last day each ally and partner trained together in each domain",
    "the activities' own state: budgets and cuts in force, free trainers and facility slots, "
    "cooldowns and heightened crisis risk after escalations, each schedule's next date",
)
"""Interoperability I[i,j,d] is derived from S, P and F (docs/model.md section 4.4)."""

ASSUMPTIONS = (
    "Interoperability, trust, capability, stability and openness are abstract indices with "
    "no measured counterpart; compare policies within a scenario, and do not read absolute "
    "levels or dates as predictions",
    "skill, standards, familiarity, trust evidence, pressure and tension decay exponentially "
    "(memoryless forgetting, one half-life each), and every training effect closes a share "
    "of the remaining gap (diminishing returns)",
    "trust is the expected reliability given good and bad experiences (a beta reputation), "
    "and bad experiences weigh more than good ones",
    "no adversary and no politics: tension stands in for an adversary's reaction; there is "
    "no alliance decision-making, and political will, interests and needs do not change "
    "during a run",
    "policies are fixed: schedules, budgets and programs are set by the scenario, and nobody "
    "adapts them to what happens",
    "only allies host, pay, train and help in crises; partners never help one another; "
    "allies respond to crises anywhere, by trust alone",
    "exercises raise neither capability nor stability; only programs raise capability; "
    "workshops teach standards only; information sharing acts only through early warning; "
    "crises teach nothing",
    "every pair of participants in an activity gets the same trust evidence, and every "
    "domain of an exercise is trained alike",
    "only partners are unstable and only partners lose openness",
    "each ally has one budget for every activity, renewed yearly without carry-over or "
    "borrowing; requests are served as soon as they are affordable",
    "space is regions only: no distance, transit time or basing",
)

CALIBRATION = (
    ("half_life_days.proficiency", "trained skill halves in {value} days without training, "
     "so that an engaged pair can reach interoperability level 2"),
    ("sharing.crisis_difficulty", "crisis difficulty {value}: the usable strength at which a "
     "response succeeds with chance 1 - 1/e before early warning"),
    ("exercise.min_success", "exercises are achievable: chance of success {value} with no "
     "interoperability at all"),
    ("weights.shared_failure", "a shared crisis failure weighs {value} units of negative "
     "evidence, less than a failed exercise"),
    ("program.tailoring_premium", "tailoring costs {value} more per module, as a share of "
     "its cost"),
)
"""The calibration choices of docs/model.md section 1 (Calibration), by parameter path."""

DESIGN_CONCEPTS = (
    "Basic principles", "Emergence", "Adaptation", "Objectives", "Learning", "Prediction",
    "Sensing", "Interaction", "Stochasticity", "Collectives", "Observation",
)

MECHANISMS: dict[str, tuple[str, ...]] = {
    "horizon_years": ("2",), "sample_every_days": ("6",), "domains": ("2",),
    "regions": ("2",), "nations": ("2",), "nations.annual_budget": ("4.11",),
    "nations.trainers": ("4.7",), "relations": ("2",), "facilities": ("4.5",),
    "exercises": ("4.5", "4.6"), "programs": ("4.7",), "workshops": ("4.8",),
    "standards": ("4.8",), "threats": ("4.10",), "disruptions.budget_cuts": ("4.11",),
    "disruptions.instability": ("4.12",), "parameters.half_life_days": ("4.1",),
    "parameters.weights": ("4.3",), "parameters.interoperability_weights": ("4.4",),
    "parameters.exercise": ("4.5",), "parameters.program": ("4.7",),
    "parameters.standards": ("4.8",), "parameters.sharing": ("4.9", "4.10"),
    "parameters.escalation": ("4.6",), "parameters.budget": ("4.11",),
    "parameters.initial_trust": ("2",), "parameters.initial_familiarity": ("2",),
    "parameters.engaged_within_days": ("4.13",), "parameters.trust_prior_weight": ("4.3",),
    "parameters.crisis_domains": ("4.10",),
}
"""The section of docs/model.md through which a changed input acts, by its path with list
items' ids left out; the longest matching prefix wins."""


# --- reading the inputs -------------------------------------------------------------------------


class _Inputs:
    """What the results directory states, read once for every item."""

    def __init__(self, results: Results):
        self.results = results
        manifest = results.manifest
        self.experiment = manifest if isinstance(manifest, ExperimentManifest) else None
        self.run = manifest if isinstance(manifest, RunManifest) else None
        self.scenario = results.scenario()
        self.parameters = self.scenario["parameters"]
        self.versions = manifest.versions

    @property
    def settings(self) -> dict[str, Any]:
        """The experiment's settings as given (empty for a single run)."""
        return self.experiment.experiment.model_dump() if self.experiment else {}

    @property
    def design(self) -> bool:
        """Whether the experiment is a design (`simulator.run_design`): rows of overrides,
        not policies compared with a baseline, so its comparison is empty."""
        comparison = self.results.comparison
        return self.experiment is not None and comparison is not None and comparison.empty

    @property
    def compared(self) -> list[str]:
        return self.results.variants[1:] if self.experiment else []

    @property
    def replications(self) -> int:
        """Replications of each variant: an experiment's current ones (failed runs included),
        or a single run's one."""
        if self.experiment and self.experiment.replications is not None:
            return self.experiment.replications
        return len(self.results.runs())

    def parameter(self, path: str) -> Any:
        value: Any = self.parameters
        for part in path.split("."):
            value = value[part]
        return value

    def count(self, process: ModelProcess) -> int:
        return process.count(self.scenario)


def _see(*sections: str) -> str:
    """A pointer into the model's reference."""
    if len(sections) == 1:
        return f"{MODEL_DOC} section {sections[0]}"
    return f"{MODEL_DOC} sections {', '.join(sections[:-1])} and {sections[-1]}"


def _number(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"{value:g}"
    if value is None:
        return "unset"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _names(values: Iterable[str]) -> str:
    return ", ".join(f"`{value}`" for value in values) or "none"


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _span(values: Sequence[float]) -> str:
    low, high = min(values), max(values)
    return f"{low:g}" if low == high else f"{low:g} to {high:g}"


def _change(path: str, before: Any, after: Any) -> str:
    if before is ABSENT:
        return f"`{path}` added"
    if after is ABSENT:
        return f"`{path}` removed"
    return f"`{path}` {_number(before)} -> {_number(after)}"


def _mechanisms(scenario: dict[str, Any], paths: Iterable[str]) -> list[str]:
    """The sections of docs/model.md through which changes at `paths` act."""
    lists = {key for key, value in scenario.items() if by_id(value)}
    found: list[str] = []
    for path in paths:
        parts = path.split(".")
        if parts[0] in lists and len(parts) > 1:
            del parts[1]  # the item's id
        key = ".".join(parts)
        while key not in MECHANISMS and "." in key:
            key = key.rsplit(".", 1)[0]
        found += [section for section in MECHANISMS.get(key, ()) if section not in found]
    return sorted(found, key=lambda section: [int(part) for part in section.split(".")])


def _non_default(scenario: dict[str, Any], part: str) -> str:
    """The values of the scenario's `parameters` or `disruptions` that differ from the
    schema's defaults, in words."""
    defaults = {"parameters": Parameters, "disruptions": Disruptions}[part]()
    changed = [f"`{part}.{path}` = {_number(after)} (default {_number(before)})"
               for path, before, after in differences(defaults.model_dump(mode="json"),
                                                   scenario[part])]
    return "; ".join(changed) or "none; every one takes its default"


def _samples(results: Results, variant: str) -> int | None:
    """How many samples a run of `variant` recorded, from its series table."""
    if results.run is not None:
        return len(results.run.columns(SERIES)["year"])
    path = results.directory / (run_file(SERIES) if results.kind == "run"
                                else run_file(SERIES, variant, results.runs(variant)[0]))
    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except OSError:
        return None


def _run_times(results: Results) -> list[float]:
    """The wall-clock seconds of each current run of an experiment, from its journal."""
    path = results.directory / JOURNAL
    current = {(variant, replication) for variant in results.variants
               for replication in results.runs(variant)}
    seconds: dict[tuple[str, int], float] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    for line in lines:
        try:
            entry = json.loads(line)
            key = (entry["variant"], int(entry["replication"]))
        except (ValueError, KeyError, TypeError):
            continue  # a line torn by a kill
        if key in current and isinstance(entry.get("wall_seconds"), int | float):
            seconds[key] = float(entry["wall_seconds"])
    return list(seconds.values())


def _initial(nation: dict[str, Any], level: str, domains: list[str]) -> float:
    """A nation's initial standards or proficiency, averaged over the domains."""
    value = nation["initial"][level]
    if isinstance(value, dict):
        return sum(value.get(domain, 0.0) for domain in domains) / len(domains)
    return float(value)


# --- STRESS-DES ----------------------------------------------------------------------------------

STRESS_DES: Final = (
    ("1", "Objectives", (("1.1", "Purpose of the model"), ("1.2", "Model outputs"),
                         ("1.3", "Experimentation aims"))),
    ("2", "Logic", (("2.1", "Base model overview diagram"), ("2.2", "Base model logic"),
                    ("2.3", "Scenario logic"), ("2.4", "Algorithms"),
                    ("2.5.1", "Components: entities"), ("2.5.2", "Components: activities"),
                    ("2.5.3", "Components: resources"), ("2.5.4", "Components: queues"),
                    ("2.5.5", "Components: entry and exit points"))),
    ("3", "Data", (("3.1", "Data sources"), ("3.2", "Pre-processing"),
                   ("3.3", "Input parameters"), ("3.4", "Assumptions"))),
    ("4", "Experimentation", (("4.1", "Initialisation"), ("4.2", "Run length"),
                              ("4.3", "Estimation approach"))),
    ("5", "Implementation", (("5.1", "Software or programming language"),
                             ("5.2", "Random sampling"), ("5.3", "Model execution"),
                             ("5.4", "System specification"))),
    ("6", "Code access", (("6.1", "Computer model sharing statement"),)),
)
"""The sections and items of STRESS-DES, numbered as in the standard (2.5 by its five parts)."""
STRESS_DES_CITATION = (
    "STRESS-DES, Strengthening the Reporting of Empirical Simulation Studies, discrete-event "
    "simulation checklist version 1.0 (Monks, Currie, Onggo, Robinson, Kunc and Taylor, "
    "Journal of Simulation 13(1), 55-67, 2019, doi:10.1080/17477778.2018.1442155)")


def stress_des(results: Results) -> Description:
    """The model and the results of `results` described item by item as STRESS-DES asks."""
    inputs = _Inputs(results)
    sections = [Section(number, title, [_item(inputs, item, title, _STRESS[item])
                                        for item, title in items])
                for number, title, items in STRESS_DES]
    return Description("STRESS-DES 1.0", STRESS_DES_CITATION, _subject(inputs),
                       _origin(inputs), sections)


def _item(inputs: _Inputs, number: str, title: str,
          answer: Callable[[_Inputs], Answer]) -> Item:
    found = answer(inputs)
    return Item(number, title, found.paragraphs, found.status, found.diagram)


def _subject(inputs: _Inputs) -> str:
    if inputs.experiment:
        return f"experiment `{inputs.experiment.name}`"
    return f"single run of scenario `{inputs.scenario['name']}`"


def _origin(inputs: _Inputs) -> str:
    results = inputs.results
    where = (f"the results directory `{results.directory}`" if results.saved_in is not None
             else "a run held in memory, not saved")
    read = ("its manifest (the experiment as given, every variant's resolved scenario, the "
            "seed, the replications and why they stopped, versions and times), its summary "
            "and its journal of runs" if inputs.experiment else
            "its manifest (the resolved scenario, the overrides, the seed, versions and "
            "times) and its tables")
    return (f"Generated by `simulator report` from {where}: {read}; from the metric "
            "catalogue and the schema's defaults in the code; and from the model's "
            f"reference, {MODEL_DOC}, whose sections each item cites. Nothing in it was "
            "written by hand for these results: an item the inputs do not answer says so.")


def _purpose(inputs: _Inputs) -> Answer:
    scenario = inputs.scenario
    told = " ".join(scenario["description"].split())
    return Answer(FILLED, [PURPOSE, f"The scenario, `{scenario['name']}`: "
                           + (told or "its file states no description.")])


def _outputs(inputs: _Inputs) -> Answer:
    every = _number(inputs.scenario["sample_every_days"])
    paragraphs = [
        f"Every metric is named once in the metric catalogue (`simulator/model/metrics.py`; "
        f"{_see('6')}, whose tables are generated from it). The recorder samples "
        f"{len(SERIES_METRICS)} metrics of the world, {len(NATIONS)} per nation and "
        f"{len(REGIONS)} per region, after every event of its instant, at day 0, every "
        f"{every} days and at the horizon; at the end of a run it keeps every pair's trust, "
        f"interoperability and whether they share information. Each run is summed up in "
        f"{len(KPIS)} KPIs: the final value and the time mean (trapezoid rule, over the time "
        "the metric is defined) of each state metric, the totals of the counts, the peak "
        "tension and three ratios. A mean over an empty set and a ratio with nothing below "
        "the line are NaN (undefined), not 0.",
    ]
    if inputs.experiment and not inputs.design:
        record = inputs.experiment.experiment
        paragraphs.append(f"The primary metric, which decides the best variant: "
                          f"{_kpi(record.primary_metric)}; the goal is to {record.goal} it.")
    paragraphs.append("The KPIs a policy is judged on (the report's tables and figures): "
                      + "; ".join(_kpi(name) for name in HEADLINE_KPIS) + ".")
    if inputs.design:
        paragraphs.append("Confidence intervals: none; a design's rows are not compared (each "
                          "run's KPIs are in the summary).")
    elif inputs.experiment:
        paragraphs.append(
            f"Confidence intervals: each variant's mean of a KPI over its "
            f"{inputs.replications} replications has a Student-t 95% interval; each "
            f"variant's difference to the baseline `{inputs.results.baseline}` is paired by "
            "replication (common random numbers, 5.2), with its Student-t 95% interval and a "
            f"two-sided paired t-test, whose p-values are Holm-adjusted across the "
            f"{len(inputs.compared)} compared variants for each KPI. Runs where a KPI is "
            f"undefined are left out pairwise ({_see('7')}, Statistics; `comparison.csv` "
            "holds every KPI of every compared variant).")
    else:
        paragraphs.append("Confidence intervals: none here. A single run is one replication; "
                          "`simulator compare` runs paired replications and computes them.")
    return Answer(FILLED, paragraphs)


def _kpi(name: str) -> str:
    kpi = KPIS[name]
    return (f"`{name}` ({kpi.label}; {kpi.unit}; {direction_words(kpi)}): "
            f"{STATISTIC[kpi.statistic](kpi.of)}")


def _aims(inputs: _Inputs) -> Answer:
    if not inputs.experiment:
        return Answer(NOT_APPLICABLE, [
            "This directory holds a single run (`simulator run`), not an experiment: no "
            "scenarios were compared, no design of experiments was run and nothing was "
            "optimised."])
    manifest, results = inputs.experiment, inputs.results
    told = " ".join(manifest.experiment.description.split())
    paragraphs = [f"The experiment `{manifest.name}` asks: " + (
        told or "(its file states no question: its description is empty).")]
    if inputs.design:
        return Answer(FILLED, paragraphs + [
            "(A) Scenario-based analysis: not applicable; the runs are not compared with a "
            f"baseline. (B) Design of experiments: a table of {len(results.variants)} rows of "
            f"overrides of the scenario `{inputs.scenario['name']}` "
            f"(`{manifest.scenario_source}`), run by `simulator.run_design` with paired "
            "replications; each row's values are in 2.3. (C) Simulation optimisation: not "
            "applicable; nothing is optimised."])
    variants = [f"`{name}`: " + (manifest.variants[name].description
                                 or "no description stated")
                for name in results.variants]
    record = manifest.experiment
    return Answer(FILLED, paragraphs + [
        f"(A) Scenario-based analysis: {_plural(len(results.variants), 'variant')} of the "
        f"scenario `{inputs.scenario['name']}` (`{manifest.scenario_source}`), the baseline "
        f"`{results.baseline}` and {len(inputs.compared)} compared with it over paired "
        "replications. " + "; ".join(variants) + ". What each changes is in 2.3.",
        "(B) Design of experiments: not applicable; the variants are named policies, not "
        "points of a factorial or sampled design.",
        "(C) Simulation optimisation: not applicable; nothing is optimised. The primary "
        f"metric `{record.primary_metric}` ({record.goal}) decides which variant is best: "
        "`simulator compare` marks a variant best only when it is significantly better than "
        f"the baseline after Holm's correction (the statistics of {_see('7')})."])


def _diagram(inputs: _Inputs) -> Answer:
    scenario = inputs.scenario
    days = scenario["horizon_years"] * DAYS_PER_YEAR
    width = max(len(process.name) for process in PROCESSES)
    rows = [f"  {process.name:<{width}}  x{inputs.count(process):<3} "
            + " -> ".join(process.flow) for process in PROCESSES]
    diagram = "\n".join([
        "scenario file + overrides --> resolved scenario (manifest.json)",
        "        |",
        "        v",
        "initial state at day 0",
        "        |",
        "        v",
        f"SimPy event loop, day 0 to {days:g} ({_number(scenario['horizon_years'])} years); "
        "one process each, started in this order:",
        *rows,
        "        |  every process reads and changes one shared world: standards, skill,",
        "        |  familiarity, trust evidence, pressure, capability, stability, openness,",
        "        |  tension, budgets, trainers and facility slots",
        "        v",
        "series, per-nation and per-region tables, end-of-run pairs --> KPIs of the run",
        *(["        |", "        v",
           "summary of every run --> paired comparison with the baseline"]
          if inputs.experiment else []),
    ])
    return Answer(FILLED, [
        "The processes of the model as a flow: each row is a kind of SimPy process, with how "
        "many of it this scenario has (x6: six) and the steps of one cycle; a step marked ? "
        f"happens only by chance or past a threshold ({_see('3')})."], diagram)


def _logic(inputs: _Inputs) -> Answer:
    paragraphs = [
        "Each activity of the scenario is a SimPy process that waits for its turn, for money, "
        "trainers or a facility slot, then changes the shared state of the world and counts "
        f"what happened ({_see('3', '4')}):", *_process_paragraphs(inputs)]
    paragraphs.append(
        "Between events, skill, standards, familiarity, trust evidence, pressure and tension "
        "decay exponentially, and capability, stability and openness return toward the "
        f"scenario's values ({_see('4.1')}). Interoperability of a pair in a domain combines "
        "their common standards, skill and familiarity; trust follows from the evidence; two "
        f"nations share information when they trust each other enough both ways "
        f"({_see('4.3', '4.4', '4.9')}). Decisions read the state at the moment they are "
        "made.")
    return Answer(FILLED, paragraphs)


def _process_paragraphs(inputs: _Inputs) -> list[str]:
    return [f"{process.name.capitalize()} "
            f"({_plural(inputs.count(process), 'process', 'processes')}, one per "
            f"{process.one_per}; {_see(*process.sections)}): {process.does}."
            for process in PROCESSES]


def _scenario_logic(inputs: _Inputs) -> Answer:
    results = inputs.results
    if not inputs.experiment:
        overrides = inputs.run.overrides if inputs.run else []
        changed = ("; ".join(f"`{path}` = {_number(value)}" for path, value in overrides)
                   if overrides else "none")
        return Answer(NOT_APPLICABLE, [
            "A single run of one scenario: there are no scenarios to compare with a base "
            f"case. The run's own overrides of the scenario file (`--set`): {changed}."])
    manifest, base = inputs.experiment, inputs.scenario
    paragraphs = [
        "Every variant runs the same model logic (2.2) on its own resolved scenario; only "
        "inputs differ. The differences of each variant from "
        + ("the first row" if inputs.design else "the baseline")
        + f" `{results.baseline}`, read from the resolved scenarios in the manifest, with the "
        "sections of the model they act through:"]
    for name in inputs.compared:
        changes = differences(base, results.scenario(name))
        told = manifest.variants[name].description
        label = f"`{name}`" + (f" ({told})" if told else "")
        if not changes:
            paragraphs.append(f"{label}: no difference from the baseline.")
            continue
        acts = _mechanisms(base, [path for path, _, _ in changes])
        paragraphs.append(f"{label}: " + "; ".join(_change(*change) for change in changes)
                          + (f" (acts through {_see(*acts)})" if acts else "") + ".")
    own = manifest.variants[results.baseline].overrides
    paragraphs.append(
        f"The baseline `{results.baseline}` itself changes the scenario file by: "
        + ("; ".join(f"`{path}` = {_number(value)}" for path, value in own.items())
           if own else "nothing (it is the scenario as written)") + ".")
    return Answer(FILLED, paragraphs)


def _algorithms(inputs: _Inputs) -> Answer:
    return Answer(FILLED, _algorithm_list(inputs))


def _algorithm_list(inputs: _Inputs) -> list[str]:
    p = inputs.parameter
    w = p("interoperability_weights")
    return [
        "Decay: a quantity with half-life H unchanged for t days is multiplied by "
        "exp(-ln 2 t / H), applied exactly for the time since its cell last changed, so "
        "results depend on no time step or sampling grid; half-lives (days): "
        + ", ".join(f"{name} {_number(value)}" for name, value in p("half_life_days").items())
        + f" ({_see('4.1')}).",
        "Learning with diminishing returns: x <- x + g (1 - x), with g the activity's rate "
        f"times intensity, absorptive capacity and fit ({_see('4.2')}).",
        "Trust as a beta reputation: T = (W t0 + A) / (W + A + B), prior weight W = "
        f"{_number(p('trust_prior_weight'))} ({_see('4.3')}).",
        f"Interoperability: I = {_number(w['standards'])} min(S_i, S_j) + "
        f"{_number(w['proficiency'])} sqrt(P_i P_j) + {_number(w['familiarity'])} F_ij; "
        f"levels 0-3 at 0.25, 0.5 and 0.75 ({_see('4.4')}).",
        "Exercises: an invitee joins with chance will x interest x min(1, trust in the host / "
        f"{_number(p('exercise.full_participation_trust'))}); an exercise succeeds with chance "
        f"m + (1 - m) x mean interoperability, m = {_number(p('exercise.min_success'))} "
        f"({_see('4.5')}).",
        "Tension is a leaky accumulator: each contested exercise adds "
        f"{_number(p('escalation.tension_per_exercise'))} x intensity, and a region escalates "
        f"at {_number(p('escalation.escalation_threshold'))} unless cooling down "
        f"({_see('4.6')}).",
        "Programs: fit by tailoring and needs; pressure past the tolerance "
        f"{_number(p('program.influence_tolerance'))} x openness is perceived bias; a "
        "suspended program waits exactly the time stability takes to recover to "
        f"{_number(p('program.suspend_below'))} ({_see('4.7')}).",
        "Crises: the coalition is the host and at most "
        f"{_number(p('sharing.max_coalition'))} other allies whose trust in it is at least "
        f"{_number(p('sharing.respond_threshold'))}, the most trusting first; success has "
        "chance clip((1 - exp(-K / D)) (1 + b w)), K the sum of the responders' capabilities, "
        "each times its interoperability with the host, D = "
        f"{_number(p('sharing.crisis_difficulty'))}, "
        f"b = {_number(p('sharing.early_warning_bonus'))}, w the region's early warning; the "
        "heightened rate after an escalation is drawn exactly by thinning "
        f"({_see('4.9', '4.10')}).",
        "Budgets: a request is served as soon as the money is there, whatever waits ahead "
        "of it; at a renewal waiting requests are served in order of arrival, each if "
        f"affordable; one unserved after {_number(p('budget.max_wait_days'))} days is "
        f"cancelled ({_see('4.11')}).",
    ]


def _entities(inputs: _Inputs) -> Answer:
    return Answer(FILLED, _entity_list(inputs) + [
        "Their attributes (capability, absorptive capacity, stability, openness, political "
        "will, interests, needs, budget, trainers, initial standards and proficiency) are "
        f"in the resolved scenario; every key is listed in {_see('2')} and Appendix B."])


def _entity_list(inputs: _Inputs) -> list[str]:
    scenario = inputs.scenario
    allies, partners = _allies(scenario), _partners(scenario)
    count = len(scenario["nations"])
    contested = [region["id"] for region in scenario["regions"] if region["contested"]]
    return [
        f"Nations: {count}, each with a home region: {_plural(len(allies), 'ally', 'allies')} "
        f"({_names(n['id'] for n in allies)}), which host, pay and train; "
        f"{_plural(len(partners), 'partner')} ({_names(n['id'] for n in partners)}), which "
        "are trained and have no budget or trainers.",
        f"Regions: {len(scenario['regions'])} "
        f"({_names(r['id'] for r in scenario['regions'])}); contested: {_names(contested)}. "
        f"Domains: {len(scenario['domains'])} ({_names(scenario['domains'])}).",
        f"Pairs of nations: {count * (count - 1)} ordered pairs for trust, "
        f"{count * (count - 1) // 2} unordered pairs for familiarity, each with an "
        f"interoperability in each domain.",
    ]


def _activities(inputs: _Inputs) -> Answer:
    scenario = inputs.scenario
    standards = inputs.parameters["standards"]

    def release(cycle: dict[str, Any]) -> float:
        if cycle["release_every_days"] is not None:
            return float(cycle["release_every_days"])
        return float(standards["cyber_release_every_days" if cycle["id"] == "cyber"
                               else "release_every_days"])

    exercises = [f"`{e['id']}` (host `{e['host']}` in `{e['region']}` at `{e['facility']}`, "
                 f"every {_number(e['every_days'])} days plus up to "
                 f"{_number(e['jitter_days'])} days of jitter, lasting "
                 f"{_number(e['duration_days'])} days, "
                 f"{_plural(len(e['participants']), 'invitee')})"
                 for e in scenario["exercises"]]
    programs = [f"`{p['id']}` (`{p['provider']}` trains `{p['partner']}`, "
                f"{'tailored' if p['tailored'] else 'generic'}, {p['modules']} modules every "
                f"{_number(p['module_every_days'])} days, {_number(p['module_days'])} days and "
                f"{_plural(p['trainers'], 'trainer')} each)" for p in scenario["programs"]]
    workshops = [f"`{w['id']}` (`{w['provider']}`, every {_number(w['every_days'])} days, "
                 f"{_plural(len(w['partners']), 'partner')})" for w in scenario["workshops"]]
    threats = [f"`{t['id']}` ({_number(t['per_year'])} a year in `{t['region']}`: "
               f"{', '.join(t['kinds'])})" for t in scenario["threats"]]
    cuts, shocks = scenario["disruptions"]["budget_cuts"], scenario["disruptions"]["instability"]
    paragraphs = [
        f"Exercise series ({len(exercises)}): " + ("; ".join(exercises) or "none") + ".",
        f"Capacity-building programs ({len(programs)}): " + ("; ".join(programs) or "none")
        + ".",
        f"Standards workshops ({len(workshops)}): " + ("; ".join(workshops) or "none") + ".",
        f"Standards releases ({_plural(len(scenario['standards']), 'domain')}): "
        + ("; ".join(f"`{c['id']}` every {release(c):g} days" for c in scenario["standards"])
           or "none") + ".",
        f"Crises ({_plural(len(threats), 'threat')}): " + ("; ".join(threats) or "none")
        + ".",
        f"Disruptions: budget cuts {_number(cuts['per_year'])} per ally and year; instability "
        f"shocks {_number(shocks['per_year'])} per partner and year at stability 0.",
        "An exercise holds its facility slot, and a module its trainers, for its duration, "
        "and their effects follow at the end; crises are resolved at the instant they "
        f"strike ({_see('4.5', '4.7', '4.10')}).",
    ]
    return Answer(FILLED, paragraphs)


def _resources(inputs: _Inputs) -> Answer:
    scenario = inputs.scenario
    allies = _allies(scenario)
    facilities = []
    for facility in scenario["facilities"]:
        users = [e["id"] for e in scenario["exercises"] if e["facility"] == facility["id"]]
        facilities.append(f"`{facility['id']}` ({_plural(facility['capacity'], 'slot')}; "
                          f"used by {_names(users)})")
    return Answer(FILLED, [
        f"Facilities (training ranges, SimPy resources; {len(facilities)}): "
        + ("; ".join(facilities) or "none") + ". An exercise holds one slot while it lasts.",
        "Trainer pools (SimPy containers), one per ally: "
        + (", ".join(f"`{a['id']}` {a['trainers']}" for a in allies) or "none")
        + ". A program module holds its `trainers` from its provider's pool while it lasts.",
        "Budgets, one per ally, in budget units a year before political will and cuts: "
        + (", ".join(f"`{a['id']}` {_number(a['annual_budget'])}" for a in allies) or "none")
        + ". Exercises draw on their host's, programs and workshops on their provider's "
        f"({_see('4.11')}).",
    ])


def _queues(inputs: _Inputs) -> Answer:
    p = inputs.parameter
    return Answer(FILLED, [
        "Facility slots: first come, first served (a SimPy resource); an exercise that has "
        "paid waits for a slot however long it takes.",
        "Trainers: first come, first served (a SimPy container): a module waits until its "
        "provider's pool holds the trainers it needs, and later requests wait behind it.",
        "Budgets: a request is served as soon as its ally can afford it, whatever waits "
        "ahead of it; at a renewal, waiting requests are served in order of arrival, each if "
        "affordable. A request reneges (the exercise, module or workshop is cancelled) after "
        f"waiting {_number(p('budget.max_wait_days'))} days ({_see('4.11')}).",
        "Other waits: an exercise due in a region cooling down after an escalation waits "
        f"for the end of the cooldown ({_number(p('escalation.cooldown_days'))} days); a "
        "program waits while its partner's stability is below "
        f"{_number(p('program.suspend_below'))} ({_see('4.5', '4.7')}). Nothing balks or "
        "jockeys; waiting for money is the only reneging.",
    ])


def _entry_exit(inputs: _Inputs) -> Answer:
    return Answer(NOT_APPLICABLE, [
        "Nations, regions, facilities and activities exist from day 0 to the horizon: "
        "nothing enters or leaves the model. Crises arrive as Poisson processes (2.5.2, 3.3) "
        "and are resolved at the instant they strike: they are events, not entities that "
        "stay. An exercise series ends at its `end_day`, if any, and a program after its "
        "last module."])


def _data_sources(inputs: _Inputs) -> Answer:
    source = (inputs.experiment.scenario_source if inputs.experiment
              else inputs.run.source if inputs.run else "the scenario")
    return Answer(FILLED, [
        f"All inputs are invented abstractions in the scenario file (`{source}`), resolved "
        "in the manifest; no real nation and no real data are used. The model's defaults "
        "were set so that it reproduces qualitative patterns reported in the literature on "
        f"security cooperation and interoperability ({_see('1')}, Patterns and "
        "Calibration), not fitted to data."])


def _pre_processing(inputs: _Inputs) -> Answer:
    return Answer(NOT_APPLICABLE, [
        "No data are pre-processed: there are none (3.1). The scenario file is validated "
        "(every field, range and reference) and any overrides are applied to it before "
        f"anything runs; the resolved scenario is recorded in the manifest ({_see('7')})."])


def _input_parameters(inputs: _Inputs) -> Answer:
    results, scenario = inputs.results, inputs.scenario
    digest = (inputs.experiment.variants[results.baseline].scenario_hash if inputs.experiment
              else inputs.run.scenario_hash if inputs.run else "")
    paragraphs = [
        "Every input is in the resolved scenario recorded whole in `manifest.json`"
        + (f" ({'the baseline' if inputs.experiment else 'its'} scenario hash {digest})"
           if digest else "")
        + "; every key and every model constant, with its default, range, unit and meaning, "
        f"is listed in {_see('7')} and Appendices A and B, generated from "
        "`simulator/model/schema.py`."]
    paragraphs.append("Model constants (`parameters`) that differ from the schema's "
                      f"defaults: {_non_default(scenario, 'parameters')}. Disruption settings "
                      f"that differ from them: {_non_default(scenario, 'disruptions')}.")
    paragraphs += _distributions(inputs)
    paragraphs.append("Inputs do not change during a run. The distributions are the model's "
                      f"stated forms ({_see('4', '5')}), not fitted to data: there is none "
                      "(3.1).")
    if inputs.experiment:
        paragraphs.append("Inputs used in experimentation where they differ from the base "
                          "case: each variant's differences from the baseline, listed in 2.3.")
    return Answer(FILLED, paragraphs)


def _distributions(inputs: _Inputs) -> list[str]:
    """The random draws of the model, with the values this scenario gives them."""
    scenario, p = inputs.scenario, inputs.parameter
    threats = scenario["threats"]
    cuts, shocks = scenario["disruptions"]["budget_cuts"], scenario["disruptions"]["instability"]
    jitters = [float(e["jitter_days"]) for e in scenario["exercises"]]
    fragile = _fragile(scenario)
    lines = [
        "Crisis arrivals: " + (
            "a Poisson process per threat ("
            + ", ".join(f"`{t['id']}` {_number(t['per_year'])} a year" for t in threats)
            + f"), its rate times {_number(p('escalation.crisis_factor'))} for "
            f"{_number(p('escalation.heightened_days'))} days after an escalation of its "
            "region; each crisis's kind uniform over the threat's kinds, its host uniform over "
            "the region's nations, and its outcome Bernoulli with the chance of "
            f"{_see('4.10')}" if threats else "none (no threats)") + ".",
        "Budget cuts: " + (f"a Poisson process per ally, {_number(cuts['per_year'])} a year, "
                           f"each taking {_number(cuts['depth'])} of what is left and of "
                           f"every renewal for {_number(cuts['duration_days'])} days"
                           if cuts["per_year"] > 0 else "none (rate 0)") + ".",
        "Instability shocks: " + (
            f"a Poisson process per partner at {_number(shocks['per_year'])} x (1 - its "
            "scenario stability) a year ("
            + _span([shocks["per_year"] * (1 - n["stability"]) for n in fragile])
            + f" a year here), each taking {_number(shocks['shock'])} stability"
            if fragile else "none") + ".",
        "Exercise schedules: a delay uniform on [0, `jitter_days`] added to each interval ("
        + (f"`jitter_days` {_span(jitters)}" if jitters else "no exercises") + ").",
        f"Bernoulli draws: each invitee's participation and each exercise's outcome "
        f"({_see('4.5')}); "
        "before each program module, an interruption with chance "
        f"{_number(p('program.interruption'))} x (1 - the partner's stability), followed by "
        f"an exponential pause with mean {_number(p('program.pause_days'))} days.",
        "Deterministic: budget years, workshops, standards releases and the recorder.",
    ]
    return lines


def _assumptions(inputs: _Inputs) -> Answer:
    defaults = Parameters().model_dump(mode="json")
    calibrated = []
    for path, words in CALIBRATION:
        value, default = inputs.parameter(path), _lookup(defaults, path)
        note = "" if value == default else f" (the calibrated default is {_number(default)})"
        calibrated.append(f"`parameters.{path}`: " + words.format(value=_number(value)) + note)
    return Answer(FILLED, [
        "Key assumptions of the model, each with its reason in the section it belongs to "
        f"({_see('4', '8')}): " + "; ".join(ASSUMPTIONS) + ".",
        "Calibration choices, set so that the model reproduces its patterns on the baseline "
        f"and the validation scenarios ({_see('1')}, Calibration), with this scenario's "
        "values: " + "; ".join(calibrated) + ".",
    ])


def _lookup(data: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        data = data[part]
    return data


def _initialisation(inputs: _Inputs) -> Answer:
    scenario = inputs.scenario
    paragraphs = [
        "Terminating simulation, with no warm-up: every run starts from the scenario's "
        "stated initial state at day 0 and stops at the horizon "
        f"({_number(scenario['horizon_years'])} years). The horizon is part of the question, "
        "so the initial transient is part of what a policy is judged on "
        f"({_see('7')}, Statistics). Events falling exactly on the horizon are not simulated; "
        "the last sample is taken there."]
    paragraphs.append(_initial_state(inputs))
    return Answer(FILLED, paragraphs)


def _initial_state(inputs: _Inputs) -> str:
    scenario, p = inputs.scenario, inputs.parameter
    domains = scenario["domains"]
    starts = [float(item["start_day"]) for key in ("exercises", "programs", "workshops")
              for item in scenario[key]]

    def levels(nations: list[dict[str, Any]], level: str) -> str:
        return _span([round(_initial(n, level, domains), 3) for n in nations]) if nations \
            else "none"

    allies, partners = _allies(scenario), _partners(scenario)
    trust, familiarity = p("initial_trust"), p("initial_familiarity")
    return (
        "Initial state, deterministic and the same in every replication "
        f"({_see('2')}, Initialisation): standards and proficiency from each nation's "
        f"`initial` values (mean over domains: allies' standards {levels(allies, 'standards')} "
        f"and proficiency {levels(allies, 'proficiency')}; partners' standards "
        f"{levels(partners, 'standards')} and proficiency {levels(partners, 'proficiency')}); "
        f"trust and familiarity from `relations` ({_plural(len(scenario['relations']), 'pair')} "
        f"given) or by roles (trust ally-ally {_number(trust['ally_ally'])}, ally-partner "
        f"{_number(trust['ally_partner'])}, partner-partner {_number(trust['partner_partner'])}; "
        f"familiarity ally-ally {_number(familiarity['ally_ally'])}, with a partner "
        f"{_number(familiarity['with_partner'])}); no trust evidence, pressure, tension or "
        "losses; no pair has trained together; budgets are granted at day 0. Activities "
        + (f"begin at their `start_day` (day {_span(starts)})" if starts else "none")
        + "; threats and disruptions from day 0.")


def _run_length(inputs: _Inputs) -> Answer:
    results = inputs.results
    lengths: dict[str, list[str]] = {}
    for variant in results.variants:
        scenario = results.scenario(variant)
        samples = _samples(results, variant)
        text = (f"{_number(scenario['horizon_years'])} years ("
                f"{scenario['horizon_years'] * DAYS_PER_YEAR:g} days), sampled every "
                f"{_number(scenario['sample_every_days'])} days"
                + (f" ({samples} samples from day 0 to the horizon)" if samples else ""))
        lengths.setdefault(text, []).append(variant)
    if len(lengths) == 1:
        said = f"Run length: {next(iter(lengths))}."
    else:
        said = "Run length by variant: " + "; ".join(
            f"{_names(variants)}: {text}" for text, variants in lengths.items()) + "."
    return Answer(FILLED, [said + " Time is continuous, in days; a year is 365 days "
                           f"({_see('2')}, Scales)."])


def _estimation(inputs: _Inputs) -> Answer:
    results = inputs.results
    if not inputs.experiment:
        run = inputs.run
        return Answer(NOT_APPLICABLE, [
            "A single replication"
            + (f" (replication {run.replication} of seed {run.seed})" if run else "")
            + ": this directory does not estimate over replications. `simulator compare` "
            "runs multiple independent replications with common random numbers."])
    manifest, settings = inputs.experiment, inputs.settings
    n = inputs.replications
    variants = results.variants
    selection, precision = settings.get("selection"), settings.get("precision")
    if selection and selection.get("procedure") == "kn":
        rule = (f"The number is set by a ranking-and-selection procedure (Kim and Nelson's "
                f"fully sequential procedure): {selection.get('n0', 10)} replications of every "
                "variant first, then more for the variants still in contention, until one "
                f"remains or {settings['max_replications']} are reached; `selection.json` "
                "gives each variant's count.")
    elif selection:
        rule = (f"The number is fixed by the experiment file: {settings['replications']} per "
                "variant, then a subset of variants containing the best is selected.")
    elif precision is None:
        rule = (f"The number is fixed by the experiment file: {settings['replications']} per "
                "variant; the inputs state no reason for it beyond the precision it gives "
                "(below).")
    elif isinstance(precision, dict):
        rule = (f"The number is precision-driven: {settings['replications']} first, then "
                f"batches of {settings['batch']} until the 95% confidence interval "
                "half-width of every variant's paired difference to the baseline is within "
                f"the stated bounds ({', '.join(f'{k}: {v}' for k, v in precision.items())}), "
                f"at most {settings['max_replications']}.")
    else:
        rule = (f"The number is precision-driven: {settings['replications']} first, then "
                f"batches of {settings['batch']} until the 95% confidence interval "
                f"half-width of `{manifest.experiment.primary_metric}` is within "
                f"{_number(settings['precision'])} of its mean for every variant, at most "
                f"{settings['max_replications']} ({_see('7')}, Statistics).")
    failed = manifest.failed_runs or []
    paragraphs = [
        "Multiple independent replications: "
        + ("up to " if selection and selection.get("procedure") == "kn" else "")
        + f"{n} of each of the "
        f"{_plural(len(variants), 'variant')}"
        + ("" if selection and selection.get("procedure") == "kn"
           else f" ({n * len(variants)} runs)") + ". Replication k of "
        "every variant uses the same random streams (common random numbers, 5.2), so each "
        "variant's difference to the baseline is paired. " + rule,
        f"Stopped because: {manifest.stop_reason or 'not stated in the inputs'}. "
        + (f"Failed runs, excluded from the statistics: {_names(failed)}." if failed
           else "No run failed."),
    ]
    precision = _precision(inputs)
    if precision:
        paragraphs.append(precision)
    return Answer(FILLED, paragraphs)


def _precision(inputs: _Inputs) -> str:
    """The achieved 95% half-width of the primary metric, relative to its mean, per variant."""
    summary = inputs.results.summary
    if summary is None or inputs.experiment is None:
        return ""
    metric = inputs.experiment.experiment.primary_metric
    widths = []
    for variant in inputs.results.variants:
        interval = mean_interval(summary.loc[summary.variant == variant, metric].to_numpy(float))
        if interval.n < 2 or not math.isfinite(interval.half_width) or interval.mean == 0:
            widths.append(f"`{variant}` undefined")
        else:
            widths.append(f"`{variant}` {100 * interval.half_width / abs(interval.mean):.2g}%")
    return (f"Precision achieved: the 95% confidence interval half-width of `{metric}` as a "
            "share of its mean, " + ", ".join(widths) + " (from the summary).")


def _software(inputs: _Inputs) -> Answer:
    versions = dict(inputs.versions)
    python, own = versions.pop("python", None), versions.pop("simulator", None)
    system = versions.pop("platform", None)
    return Answer(FILLED, [
        f"Python {python or '(version not stated)'}; the `simulator` package, version "
        f"{own or 'not stated'}, a SimPy model; libraries: "
        + ", ".join(f"{name} {version}" for name, version in versions.items())
        + " (as recorded in `manifest.json`). "
        + (f"Operating system and machine: {system}." if system else
           "The operating system is not stated in the inputs.")])


def _random_sampling(inputs: _Inputs) -> Answer:
    results = inputs.results
    streams = [f"`{process.stream}` x{inputs.count(process)}" for process in PROCESSES
               if process.stream and inputs.count(process)]
    draws = [f"`{process.stream}`: {process.draws}" for process in PROCESSES if process.stream]
    seed = inputs.experiment.seed if inputs.experiment else inputs.run.seed if inputs.run else None
    which = (f"replications {min(results.runs())} to {max(results.runs())} of every variant"
             if inputs.experiment else
             f"replication {results.runs()[0]}")
    return Answer(FILLED, [
        f"Generator: NumPy's PCG64 (numpy {inputs.versions.get('numpy', 'version not stated')}). "
        f"Root seed: {seed if seed is not None else 'not stated in the inputs'}, {which}.",
        "Streams: each random process draws from its own generator, seeded by "
        "SeedSequence(seed, spawn_key=(replication, stable_hash(name))), where stable_hash "
        "is a 64-bit BLAKE2b hash of the stream's name, the same in every process and Python "
        f"version (`simulator/model/streams.py`; {_see('5')}). This scenario's streams: "
        + (", ".join(streams) or "none") + ". What each draws: " + "; ".join(draws) + ".",
        "Common random numbers: replication k of every variant uses the same streams. Each "
        "process draws a fixed number of numbers per cycle, so a variant that changes one "
        "process leaves the others' draws untouched and its own aligned cycle by cycle; the "
        "alignment is not perfect where a variant shifts a schedule or a partner's "
        "stability. Budget years, workshops, releases and the recorder draw nothing.",
    ])


def _execution(inputs: _Inputs) -> Answer:
    parallel = (
        "Each run is sequential. `simulator compare` runs the replications in its own "
        "process, in a local pool of worker processes or on a Dask cluster (which one, and "
        "how many workers, is not stated in the inputs); that does not change results: the "
        "same scenario, seed and replication give bit-identical results whatever the number "
        f"of workers, the executor or the order in which runs finish ({_see('5')})."
        if inputs.experiment else
        "The run is sequential, in one process; the same scenario, seed and replication give "
        f"bit-identical results on one machine ({_see('5')}).")
    return Answer(FILLED, [_scheduling(inputs), parallel,
                           "Priority rules where activities compete for resources: 2.5.4."])


def _scheduling(inputs: _Inputs) -> str:
    simpy = inputs.versions.get("simpy", "")
    return (
        f"Process interaction with next-event time advance: SimPy {simpy}".rstrip() + ". "
        "Each activity is a SimPy process; facilities are SimPy resources, trainer pools "
        "SimPy containers, and budgets a resource built on SimPy's extension points. Events "
        "of one instant are processed in order of priority, then in the order they were "
        "scheduled; the processes start in the order of the process overview (budget years "
        "first, the recorder last), so the budget of day 0 is granted before any activity of "
        "day 0 asks for money. The recorder's events have a "
        "lower priority than every event of the model: a sample at time t is taken after "
        "every event at t, including events that others schedule for t, so no series "
        f"depends on the sampling grid ({_see('3')}).")


def _system(inputs: _Inputs) -> Answer:
    paragraphs = []
    if inputs.experiment:
        manifest = inputs.experiment
        took = _elapsed(manifest.started, manifest.finished)
        paragraphs.append(
            f"Run time: the experiment's last invocation started {manifest.started} and "
            f"finished {manifest.finished or '(not finished)'}"
            + (f", {took:g} s of wall-clock time, running the runs missing then" if took
               is not None else "") + ".")
        seconds = _run_times(inputs.results) if inputs.results.saved_in is not None else []
        if seconds:
            paragraphs.append(
                f"Each run's own time (the journal `runs.jsonl`, {len(seconds)} current runs): "
                f"mean {sum(seconds) / len(seconds):.3g} s, longest {max(seconds):.3g} s, "
                f"{sum(seconds):.3g} s in all.")
    elif inputs.run:
        run = inputs.run
        paragraphs.append(f"Run time: started {run.started}, finished {run.finished}; the "
                          f"simulation took {run.wall_seconds:g} s of wall-clock time.")
    system = inputs.versions.get("platform")
    if system:
        paragraphs.append(f"Platform: {system}, as `manifest.json` records it; the memory "
                          "and the number of worker processes used are not recorded.")
        return Answer(FILLED, paragraphs)
    paragraphs.append("The hardware (processor, number of CPUs, memory) and the operating "
                      "system are not stated in the inputs: the manifest records versions "
                      "and times only.")
    return Answer(NOT_STATED, paragraphs)


def _elapsed(started: str, finished: str | None) -> float | None:
    if finished is None:
        return None
    return (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()


def _sharing(inputs: _Inputs) -> Answer:
    version = inputs.versions.get("simulator")
    licence, home = _installed_metadata(version)
    paragraphs = [
        f"The model is the `simulator` Python package, version {version or 'not stated'} "
        "(as recorded in `manifest.json`)"
        + (f", under the {licence} licence (the installed package's metadata)" if licence
           else "") + ". It runs on the open-source libraries of 5.1.",
        "Reproducing these results needs the package at that version and what the manifest "
        "records: the resolved scenario"
        + (" of every variant" if inputs.experiment else "")
        + " with its hash, the seed and the library versions. " + _hashes(inputs),
    ]
    if home:
        paragraphs.append("Where to obtain it: " + ", ".join(home) + ".")
        return Answer(FILLED, paragraphs)
    paragraphs.append("Where to obtain it is not stated in the inputs: neither the manifest "
                      "nor the package's metadata gives a repository URL or a DOI.")
    return Answer(NOT_STATED, paragraphs)


def _hashes(inputs: _Inputs) -> str:
    """The manifest's SHA-256 of what was run (and, once finished, of the tables written)."""
    if inputs.experiment:
        manifest = inputs.experiment
        said = [f"experiment identity {manifest.identity} (the seed and every variant's "
                "scenario hash)"] + [f"scenario `{name}` {manifest.variants[name].scenario_hash}"
                                     for name in inputs.results.variants]
    elif inputs.run:
        said = [f"scenario {inputs.run.scenario_hash}"]
    else:
        return ""
    files = inputs.experiment.files if inputs.experiment else inputs.run.files if inputs.run \
        else {}
    said += [f"`{name}` {digest}" for name, digest in files.items()]
    return "SHA-256 recorded: " + "; ".join(said) + "."


def _installed_metadata(version: str | None) -> tuple[str, list[str]]:
    """The licence and the web addresses the installed package's metadata gives, if it is
    the version that wrote the results (another version's would not describe them)."""
    try:
        found = metadata.metadata("simulator")
    except metadata.PackageNotFoundError:
        return "", []
    if found.get_all("Version") != [version]:
        return "", []
    licence = (found.get_all("License-Expression") or found.get_all("License") or [""])[0]
    urls = [*(found.get_all("Project-URL") or []), *(found.get_all("Home-page") or [])]
    return licence, [url for url in urls if url]


_STRESS: dict[str, Callable[[_Inputs], Answer]] = {
    "1.1": _purpose, "1.2": _outputs, "1.3": _aims, "2.1": _diagram, "2.2": _logic,
    "2.3": _scenario_logic, "2.4": _algorithms, "2.5.1": _entities, "2.5.2": _activities,
    "2.5.3": _resources, "2.5.4": _queues, "2.5.5": _entry_exit, "3.1": _data_sources,
    "3.2": _pre_processing, "3.3": _input_parameters, "3.4": _assumptions,
    "4.1": _initialisation, "4.2": _run_length, "4.3": _estimation, "5.1": _software,
    "5.2": _random_sampling, "5.3": _execution, "5.4": _system, "6.1": _sharing,
}


# --- ODD ------------------------------------------------------------------------------------------

ODD_ELEMENTS: Final = (
    ("1", "Purpose and patterns"), ("2", "Entities, state variables and scales"),
    ("3", "Process overview and scheduling"), ("4", "Design concepts"),
    ("5", "Initialization"), ("6", "Input data"), ("7", "Submodels"),
)
ODD_CITATION = (
    "the ODD protocol, second update (Grimm et al., The ODD protocol for describing "
    "agent-based and other simulation models, Journal of Artificial Societies and Social "
    "Simulation 23(2) 7, 2020, doi:10.18564/jasss.4259)")


def odd(results: Results) -> Description:
    """The model and the results of `results` described element by element as ODD asks;
    the design concepts are the items of element 4."""
    inputs = _Inputs(results)
    sections = []
    for number, title in ODD_ELEMENTS:
        if number == "4":
            items = [Item(f"4.{k}", concept, *_concept(inputs, concept))
                     for k, concept in enumerate(DESIGN_CONCEPTS, start=1)]
        else:
            found = _ODD[number](inputs)
            items = [Item(number, title, found.paragraphs, found.status, found.diagram)]
        sections.append(Section(number, title, items))
    return Description("ODD 2020", ODD_CITATION, _subject(inputs), _origin(inputs), sections)


def _odd_purpose(inputs: _Inputs) -> Answer:
    paragraphs = _purpose(inputs).paragraphs + [
        "Patterns the model must reproduce, each tested over replications by `simulator "
        f"check` (`validation/patterns.yaml`; {_see('1')}): "
        + "; ".join(f"{name} {pattern}" for name, pattern in PATTERNS) + "."]
    checks = _checks(inputs)
    if checks:
        paragraphs.append(checks)
    return Answer(FILLED, paragraphs)


def _checks(inputs: _Inputs) -> str:
    """What the validation suite's table in the directory says, if there is one."""
    if inputs.results.saved_in is None:
        return ""
    path = inputs.results.directory / CHECKS
    if not path.exists():
        return ""
    table = pd.read_csv(path, dtype={"passed": bool})
    return (f"This directory's `{CHECKS}`: {int(table.passed.sum())} of {len(table)} checks "
            "passed.")


def _odd_entities(inputs: _Inputs) -> Answer:
    scenario = inputs.scenario
    return Answer(FILLED, _entity_list(inputs) + [
        f"Activities: {_plural(len(scenario['exercises']), 'exercise series', 'exercise series')}, "
        f"{_plural(len(scenario['programs']), 'program')}, "
        f"{_plural(len(scenario['workshops']), 'workshop series', 'workshop series')}, "
        f"{_plural(len(scenario['threats']), 'threat')}, standards releases and disruptions. "
        f"Resources: {_plural(len(scenario['facilities']), 'facility', 'facilities')}, and "
        "each ally's trainer pool and budget.",
        f"State variables ({_see('2')}): " + "; ".join(STATE_VARIABLES) + ". Interoperability "
        f"I[i,j,d] is derived from S, P and F ({_see('4.4')}).",
        "Scales: time is continuous, in days, from day 0 to the horizon of "
        f"{_number(scenario['horizon_years'])} years, sampled every "
        f"{_number(scenario['sample_every_days'])} days; space is regions only, with no "
        "geography, distance or transit time; quantities are indices in [0, 1], except tension, "
        "trust evidence, pressure and money.",
    ])


def _odd_processes(inputs: _Inputs) -> Answer:
    return Answer(FILLED, [
        f"One SimPy process per activity, started in this order ({_see('3')}):",
        *_process_paragraphs(inputs), _scheduling(inputs),
        "State is read when it is needed: each decaying cell keeps the time it was last "
        "brought up to date, an event brings only the cells it changes to now, with the "
        "exact decay factor, and reading never changes state."],
        _diagram(inputs).diagram)


def _concept(inputs: _Inputs, concept: str) -> tuple[list[str], Status]:
    found = _CONCEPTS[concept](inputs)
    return found.paragraphs, found.status


def _emergence(inputs: _Inputs) -> Answer:
    return Answer(FILLED, [
        "Interoperability levels, the information-sharing network, who responds to crises "
        "and how often they succeed, escalations and disruptions are not set by the "
        "scenario: they arise from the schedule of activities meeting budgets, resources, "
        f"trust and chance ({_see('1')}, Design concepts). Patterns P1-P6 (element 1) are "
        "emergent, but for the first half of P3, which holds by construction of the crisis "
        "formula."])


def _none(what: str) -> Callable[[_Inputs], Answer]:
    def answer(inputs: _Inputs) -> Answer:
        return Answer(NOT_APPLICABLE, [
            f"None: {what} Nations follow fixed rules; a policy is the scenario (its "
            "activities, schedules and budgets), and the analyst compares policies as "
            f"variants ({_see('1')}, Design concepts; {_see('8')})."])
    return answer


def _sensing(inputs: _Inputs) -> Answer:
    return Answer(FILLED, [
        "Nations know the current state exactly, with no error or delay: an invitee its "
        "trust in the host when it decides to join, a program the partner's stability "
        "before each module, allies their trust in a crisis host when the crisis strikes "
        f"({_see('3')})."])


def _interaction(inputs: _Inputs) -> Answer:
    scenario = inputs.scenario
    allies = len(_allies(scenario))
    return Answer(FILLED, [
        "Through joint activities that change the state of several nations at once "
        "(exercises, program modules, crisis responses), and through shared, limited "
        "resources for which activities queue: "
        f"{_plural(len(scenario['facilities']), 'facility', 'facilities')}, "
        f"{_plural(allies, 'trainer pool')} and {_plural(allies, 'budget')}. Trust mediates "
        f"participation, crisis response and information sharing ({_see('4.3')})."])


def _stochasticity(inputs: _Inputs) -> Answer:
    return Answer(FILLED, _distributions(inputs) + [
        f"Each random process has its own stream ({_see('5')}); replication k of every "
        "variant uses the same streams (common random numbers)."])


def _collectives(inputs: _Inputs) -> Answer:
    return Answer(FILLED, [
        "Allies and partners are roles, not collectives with decisions of their own: there "
        "is no explicit alliance decision-making. A crisis coalition (the host and the "
        "allies that trust it enough) forms for one crisis and acts together in its outcome "
        f"and trust evidence ({_see('4.10')})."])


def _observation(inputs: _Inputs) -> Answer:
    scenario, results = inputs.scenario, inputs.results
    if inputs.experiment:
        traced = True
    elif results.run is not None:
        traced = results.run.output.trace is not None
    else:
        traced = (results.directory / run_file(TRACE, suffix="jsonl")).exists()
    traces = ("no event trace (a run keeps one with `--trace`)" if not traced
              else "the event trace of one replication of each variant (`traces/`)"
              if inputs.experiment else "every event of the run (`trace.jsonl`)")
    return Answer(FILLED, [
        "A recorder samples the whole state after every event of its instant, at day 0, "
        f"every {_number(scenario['sample_every_days'])} days and at the horizon: "
        f"{len(SERIES_METRICS)} metrics of the world, {len(NATIONS)} per nation, "
        f"{len(REGIONS)} per region; each run ends with every pair's trust, "
        f"interoperability and sharing, and {len(KPIS)} KPIs; the results keep {traces} "
        f"({_see('6')})."])


def _odd_initialization(inputs: _Inputs) -> Answer:
    return Answer(FILLED, [
        _initial_state(inputs), "Every run starts from this state at day 0 and ends at the "
        "horizon, with no warm-up: the horizon is part of the question."])


def _input_data(inputs: _Inputs) -> Answer:
    return Answer(NOT_APPLICABLE, [
        "The model uses no input data that change over time: every driver (crises, budget "
        "cuts, instability shocks, releases) is a process of the model, and the scenario "
        "file holds only constants, invented, not observed."])


def _submodels(inputs: _Inputs) -> Answer:
    return Answer(FILLED, [
        f"{_see('4')} gives every submodel with its rule, its parameters and the reason for "
        "it: " + "; ".join(f"{number} {title}" for number, title in SUBMODELS) + ". Their "
        "central equations, with this scenario's values:", *_algorithm_list(inputs)])


_CONCEPTS: dict[str, Callable[[_Inputs], Answer]] = {
    "Basic principles": lambda inputs: Answer(FILLED, [
        "Training closes a share of the gap to full skill (diminishing returns); what is not "
        "used is forgotten exponentially; trust is the expected reliability given good and "
        "bad experiences, bad weighing more; interoperability combines common standards "
        "(the weaker side binds), skill and familiarity "
        f"({_see('1')}, Design concepts; {_see('4')})."]),
    "Emergence": _emergence,
    "Adaptation": _none("no nation changes its behaviour in response to what happens."),
    "Objectives": _none("no nation pursues an objective or ranks alternatives; the "
                        "experiment's primary metric is the analyst's, not the nations'."),
    "Learning": _none("no nation changes how it decides (trained skill, "
                      f"{_see('4.2')}, is state, not learning of behaviour)."),
    "Prediction": _none("no nation predicts future conditions."),
    "Sensing": _sensing,
    "Interaction": _interaction,
    "Stochasticity": _stochasticity,
    "Collectives": _collectives,
    "Observation": _observation,
}

_ODD: dict[str, Callable[[_Inputs], Answer]] = {
    "1": _odd_purpose, "2": _odd_entities, "3": _odd_processes,
    "5": _odd_initialization, "6": _input_data, "7": _submodels,
}
