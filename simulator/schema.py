"""The scenario file format: the only home of every default and every range.

Field docstrings become the JSON Schema descriptions (`simulator schema`), so
editors can complete and check scenario files. Cross-references between parts
(a program's provider must be an ally, ...) are checked once the fields are
valid, and every problem found is reported together.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

MAX_NATIONS = 2_000
MAX_HORIZON_YEARS = 1_000
MAX_DAYS = 365.0 * MAX_HORIZON_YEARS
DAYS_PER_YEAR = 365.0

Id = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$", max_length=64)]
"""A name: a letter, then letters, digits, '_' or '-'."""
Index = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0.0, lt=1.0, allow_inf_nan=False)]
Days = Annotated[float, Field(gt=0.0, le=MAX_DAYS, allow_inf_nan=False)]
NonNegativeDays = Annotated[float, Field(ge=0.0, le=MAX_DAYS, allow_inf_nan=False)]
Rate = Annotated[float, Field(ge=0.0, le=1_000.0, allow_inf_nan=False)]
PerYear = Annotated[float, Field(ge=0.0, le=10_000.0, allow_inf_nan=False)]
Amount = Annotated[float, Field(ge=0.0, le=1e12, allow_inf_nan=False)]
Intensity = Annotated[float, Field(gt=0.0, le=10.0, allow_inf_nan=False)]
CrisisKind = Literal["terrorism", "piracy", "cyber_attack", "hybrid", "unrest"]


class Model(BaseModel):
    """Frozen, strict about unknown keys, documented by its docstrings."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


# --- parameters: every constant of the model, with DESIGN.md's defaults ----------------


class HalfLives(Model):
    """Half-lives in days; each quantity decays exponentially toward its resting value."""

    proficiency: Days = 365.0
    """Trained skill P decays toward 0."""
    standards: Days = 1825.0
    """Standards adoption S decays toward 0."""
    familiarity: Days = 730.0
    """Familiarity F between forces decays toward 0."""
    trust_evidence: Days = 1095.0
    """Trust evidence A and B ages away, so trust returns to its initial value."""
    pressure: Days = 180.0
    """Engagement pressure felt by a partner decays toward 0."""
    tension: Days = 365.0
    """Regional tension decays toward 0."""
    stability: Days = 365.0
    """A partner's stability recovers toward its scenario value after shocks."""
    openness: Days = 730.0
    """A partner's openness recovers toward its scenario value after escalations."""


class TrustWeights(Model):
    """Weight of one unit of intensity as trust evidence; bad news weighs more."""

    success: Rate = 1.0
    """Positive evidence A per unit intensity of a successful activity."""
    failure: Rate = 2.0
    """Negative evidence B per unit intensity of a failed activity."""
    bias: Rate = 1.0
    """Negative evidence B per unit of engagement pressure above tolerance."""


class InteroperabilityWeights(Model):
    """Weights of standards, proficiency and familiarity in interoperability; they sum to 1."""

    standards: Index = 0.4
    proficiency: Index = 0.3
    familiarity: Index = 0.3


class ExerciseRates(Model):
    """Learning rates of joint exercises and their chance of success."""

    proficiency: Rate = 0.3
    """Proficiency learning rate for every participant in each exercise domain."""
    standards: Rate = 0.05
    """Standards learning rate for partners, when at least one ally took part."""
    familiarity: Rate = 0.3
    """Familiarity learning rate for every pair of participants."""
    min_success: Index = 0.2
    """Chance of success with no interoperability at all."""


class ProgramRates(Model):
    """Learning rates and disruption of capacity-building programs."""

    standards: Rate = 0.15
    proficiency: Rate = 0.1
    capability: Rate = 0.02
    familiarity: Rate = 0.1
    untailored_fit: Index = 0.5
    """Fit of an untailored program in a domain the partner needs (halved if not needed)."""
    interruption: Index = 0.3
    """Chance of a pause before a module, times the partner's instability (1 - stability)."""
    pause_days: Days = 90.0
    """Mean of the exponential pause after an interruption."""
    suspend_below: Index = 0.3
    """A program waits while the partner's stability is below this."""
    influence_tolerance: Rate = 3.0
    """Pressure threshold is this times the partner's openness; above it, bias is perceived."""


class StandardsRates(Model):
    """New standards versions, their adoption by allies and dissemination workshops."""

    release_every_days: Days = 730.0
    """Interval between releases in a domain other than cyber."""
    cyber_release_every_days: Days = 365.0
    """Interval between releases in the cyber domain."""
    obsolescence: Share = 0.1
    """Share of everyone's adoption made obsolete by a release."""
    adoption_lag_days: NonNegativeDays = 90.0
    """Delay after a release before allies re-adopt."""
    ally_adoption: Rate = 0.5
    """Allies' re-adoption learning rate, times their political will."""
    workshop_standards: Rate = 0.05
    """Standards learning rate of a workshop, times the partner's openness."""


class SharingRates(Model):
    """Information sharing, early warning and crisis response."""

    share_threshold: Index = 0.65
    """i and j share when trust both ways is at least this."""
    respond_threshold: Index = 0.5
    """An ally responds to a crisis when its trust in the host is at least this."""
    max_coalition: Annotated[int, Field(ge=1, le=MAX_NATIONS)] = 4
    """Most allies in a crisis coalition besides the host (the most trusting respond)."""
    early_warning_bonus: Rate = 0.2
    """Relative gain in crisis effectiveness from full early warning."""
    failure_shock: Index = 0.05
    """Stability lost by the host of a failed crisis response."""


class EscalationRates(Model):
    """Tension from exercises in contested regions, and escalation."""

    tension_per_exercise: Rate = 0.2
    """Tension added per unit intensity of an exercise in a contested region."""
    escalation_threshold: Annotated[float, Field(gt=0.0, le=1_000.0)] = 1.0
    """Tension at which a region escalates."""
    openness_drop: Index = 0.1
    """Openness lost by the region's partners at an escalation."""
    cooldown_days: NonNegativeDays = 180.0
    """Exercises in the region pause this long after an escalation."""


class BudgetRules(Model):
    """How activities wait for money."""

    max_wait_days: NonNegativeDays = 180.0
    """An activity that cannot be paid for is cancelled after waiting this long."""


class InitialTrust(Model):
    """Initial trust t0 by roles, used where `relations` says nothing."""

    ally_ally: Index = 0.6
    ally_partner: Index = 0.45
    """Both ways: ally in partner and partner in ally."""
    partner_partner: Index = 0.5


class InitialFamiliarity(Model):
    """Initial familiarity by roles, used where `relations` says nothing."""

    ally_ally: Index = 0.3
    with_partner: Index = 0.05
    """Any pair with at least one partner."""


class Parameters(Model):
    """Every constant of the model (DESIGN.md section 5a); each may be overridden."""

    half_life_days: HalfLives = HalfLives()
    weights: TrustWeights = TrustWeights()
    interoperability_weights: InteroperabilityWeights = InteroperabilityWeights()
    exercise: ExerciseRates = ExerciseRates()
    program: ProgramRates = ProgramRates()
    standards: StandardsRates = StandardsRates()
    sharing: SharingRates = SharingRates()
    escalation: EscalationRates = EscalationRates()
    budget: BudgetRules = BudgetRules()
    initial_trust: InitialTrust = InitialTrust()
    initial_familiarity: InitialFamiliarity = InitialFamiliarity()
    trust_prior_weight: Annotated[float, Field(gt=0.0, le=1_000.0)] = 2.0
    """Prior weight W of the beta reputation: T = (W t0 + A) / (W + A + B)."""
    crisis_domains: dict[CrisisKind, Id] = {
        "terrorism": "counter_terrorism",
        "piracy": "maritime",
        "cyber_attack": "cyber",
        "hybrid": "c2",
        "unrest": "land",
    }
    """The domain each kind of crisis tests."""


# --- the world ------------------------------------------------------------------------


class Region(Model):
    id: Id
    contested: bool = False
    """Exercises here raise tension with adversaries, which can escalate."""


class InitialLevels(Model):
    """Initial standards adoption and proficiency: one value, or one per domain."""

    standards: Index | dict[Id, Index] = 0.0
    proficiency: Index | dict[Id, Index] = 0.0


class Nation(Model):
    id: Id
    role: Literal["ally", "partner"]
    region: Id
    capability: Index
    """Capability to act in a crisis; programs raise a partner's."""
    absorptive_capacity: Index = 1.0
    """Share of a training's effect the nation can absorb."""
    stability: Index = 1.0
    """Internal stability; shocks lower it and it recovers."""
    openness: Index = 1.0
    """Openness to outside influence; scales workshops and bias tolerance."""
    political_will: Index = 1.0
    """Scales participation in exercises and, for allies, budget and adoption."""
    interests: Index | dict[Id, Index] = 1.0
    """Interest in each region, or one value for all; participation is will times interest.
    A mapping leaves out regions of no interest (0); the home region is 1 unless given."""
    needs: list[Id] = []
    """Domains a partner needs; tailored programs fit them fully."""
    annual_budget: Amount = 0.0
    """Allies only: budget granted at each budget year, times will and any cut."""
    trainers: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    """Allies only: size of the trainer pool that programs draw on."""
    initial: InitialLevels = InitialLevels()


class Relation(Model):
    nations: Annotated[list[Id], Field(min_length=2, max_length=2)]
    """The pair, in either order."""
    trust: Index | None = None
    """Initial trust t0 both ways, instead of the default by roles."""
    familiarity: Index | None = None
    """Initial familiarity, instead of the default by roles."""


class Facility(Model):
    id: Id
    capacity: Annotated[int, Field(ge=1, le=10_000)] = 1
    """Exercises it can hold at once; more wait for a free slot."""


class Exercise(Model):
    """A joint exercise series, repeated every `every_days`."""

    id: Id
    host: Id
    """The ally that organises and pays; it takes part only if invited."""
    facility: Id
    region: Id
    domains: Annotated[list[Id], Field(min_length=1)]
    participants: Annotated[list[Id], Field(min_length=1)]
    """Invited nations; each takes part with chance will times interest in the region."""
    every_days: Days
    jitter_days: NonNegativeDays = 0.0
    """Uniform random delay added to each interval."""
    start_day: NonNegativeDays = 0.0
    duration_days: Days = 10.0
    cost: Amount = 0.0
    intensity: Intensity = 1.0


class Program(Model):
    """A capacity-building program: a provider ally trains one partner, module by module."""

    id: Id
    provider: Id
    partner: Id
    domains: Annotated[list[Id], Field(min_length=1)]
    tailored: bool = False
    """Tailored to the partner's needs: full fit in needed domains and half the pressure."""
    modules: Annotated[int, Field(ge=1, le=100_000)]
    module_every_days: Days
    module_days: Days = 14.0
    trainers: Annotated[int, Field(ge=0, le=1_000_000)] = 1
    """Units of the provider's trainer pool held during a module."""
    cost: Amount = 0.0
    """Cost of one module, from the provider's budget."""
    intensity: Intensity = 1.0
    start_day: NonNegativeDays = 0.0


class Workshop(Model):
    """Periodic dissemination of standards by an ally to partners."""

    id: Id
    provider: Id
    partners: Annotated[list[Id], Field(min_length=1)]
    domains: Annotated[list[Id], Field(min_length=1)]
    every_days: Days
    start_day: NonNegativeDays = 0.0
    cost: Amount = 0.0
    intensity: Intensity = 1.0


class StandardsCycle(Model):
    """Releases of new standards in one domain (the id is the domain)."""

    id: Id
    release_every_days: Days | None = None
    """Default: `parameters.standards.release_every_days` (cyber: the cyber interval)."""


class Threat(Model):
    """Crises in one region, arriving as a Poisson process."""

    id: Id
    region: Id
    per_year: PerYear
    kinds: Annotated[list[CrisisKind], Field(min_length=1)]
    """Kinds drawn uniformly for each crisis; each tests its domain."""


class BudgetCuts(Model):
    """Cuts to each ally's budget, arriving as a Poisson process per ally."""

    per_year: PerYear = 0.0
    depth: Share = 0.2
    """Share cut from what is left now and from refills while the cut lasts."""
    duration_days: Days = 365.0


class InstabilityShocks(Model):
    """Shocks to partners' stability; the rate is scaled by 1 - stability."""

    per_year: PerYear = 0.0
    shock: Index = 0.1
    """Stability lost per shock; it recovers with the stability half-life."""


class Disruptions(Model):
    budget_cuts: BudgetCuts = BudgetCuts()
    instability: InstabilityShocks = InstabilityShocks()


class Scenario(Model):
    """A world: nations, what they do together, what goes wrong, and the model's constants."""

    name: Id
    description: str = ""
    horizon_years: Annotated[float, Field(gt=0.0, le=MAX_HORIZON_YEARS, allow_inf_nan=False)]
    sample_every_days: Days = 30.0
    """Interval between recorded samples of the metrics."""
    domains: Annotated[list[Id], Field(min_length=1, max_length=100)]
    regions: Annotated[list[Region], Field(min_length=1, max_length=1_000)]
    nations: Annotated[list[Nation], Field(min_length=1, max_length=MAX_NATIONS)]
    relations: list[Relation] = []
    facilities: list[Facility] = []
    exercises: list[Exercise] = []
    programs: list[Program] = []
    workshops: list[Workshop] = []
    standards: list[StandardsCycle] = []
    """Domains with standards releases; a domain not listed never releases."""
    threats: list[Threat] = []
    disruptions: Disruptions = Disruptions()
    parameters: Parameters = Parameters()

    @property
    def horizon_days(self) -> float:
        return self.horizon_years * DAYS_PER_YEAR

    @model_validator(mode="after")
    def _references_resolve(self) -> Scenario:
        problems = cross_check(self)
        if problems:
            raise PydanticCustomError(
                "cross_reference",
                "{count} cross-reference problem(s)",
                {"count": len(problems), "problems": problems},
            )
        return self


# --- cross-checks -------------------------------------------------------------------------

Path = tuple[str | int, ...]


def cross_check(scenario: Scenario) -> list[tuple[Path, str]]:
    """Every reference that does not resolve, and every rule across fields, with its path."""
    problems: list[tuple[Path, str]] = []
    check = _Checker(scenario, problems)
    for name in ("regions", "nations", "facilities", "exercises", "programs", "workshops",
                 "standards", "threats"):
        check.unique_ids(name)
    check.unique_strings("domains")
    check.world()
    check.activities()
    check.parameters()
    if scenario.sample_every_days > scenario.horizon_days:
        problems.append((("sample_every_days",), "must not exceed the horizon "
                         f"({scenario.horizon_days:g} days)"))
    return problems


class _Checker:
    """Collects cross-reference problems; one method per part of the scenario."""

    def __init__(self, scenario: Scenario, problems: list[tuple[Path, str]]):
        self.scenario = scenario
        self.problems = problems
        self.domains = set(scenario.domains)
        self.regions = {region.id for region in scenario.regions}
        self.roles = {nation.id: nation.role for nation in scenario.nations}
        self.facilities = {facility.id for facility in scenario.facilities}

    def add(self, path: Path, message: str) -> None:
        self.problems.append((path, message))

    def unique_ids(self, name: str) -> None:
        counts = Counter(item.id for item in getattr(self.scenario, name))
        for index, item in enumerate(getattr(self.scenario, name)):
            if counts[item.id] > 1:
                self.add((name, index, "id"), f"duplicate id {item.id!r}")

    def unique_strings(self, name: str) -> None:
        values = getattr(self.scenario, name)
        counts = Counter(values)
        for index, value in enumerate(values):
            if counts[value] > 1:
                self.add((name, index), f"duplicate {value!r}")

    def known(self, path: Path, value: str, kind: str, known: set[str]) -> bool:
        if value in known:
            return True
        choices = ", ".join(sorted(known)) or "none defined"
        self.add(path, f"unknown {kind} {value!r} (expected one of: {choices})")
        return False

    def nation(self, path: Path, nation: str, role: str | None = None) -> None:
        if self.known(path, nation, "nation", set(self.roles)) and role:
            if self.roles[nation] != role:
                self.add(path, f"{nation!r} is a {self.roles[nation]}, expected an {role}"
                         if role == "ally" else
                         f"{nation!r} is an {self.roles[nation]}, expected a {role}")

    def each_domain(self, path: Path, domains: list[str] | dict[str, float]) -> None:
        for index, domain in enumerate(domains):
            key = domain if isinstance(domains, dict) else index
            self.known((*path, key), domain, "domain", self.domains)
        if isinstance(domains, list):
            self.distinct(path, domains)

    def distinct(self, path: Path, values: list[str]) -> None:
        """A list of names each given once (a nation invited twice is a slip, not a plan)."""
        seen: set[str] = set()
        for index, value in enumerate(values):
            if value in seen:
                self.add((*path, index), f"{value!r} is listed twice")
            seen.add(value)

    def world(self) -> None:
        for index, nation in enumerate(self.scenario.nations):
            path = ("nations", index)
            self.known((*path, "region"), nation.region, "region", self.regions)
            if isinstance(nation.interests, dict):
                for region in nation.interests:
                    self.known((*path, "interests", region), region, "region", self.regions)
            self.each_domain((*path, "needs"), nation.needs)
            for level in ("standards", "proficiency"):
                value = getattr(nation.initial, level)
                if isinstance(value, dict):
                    self.each_domain((*path, "initial", level), value)
            if nation.role == "partner":
                for field in ("annual_budget", "trainers"):
                    if getattr(nation, field):
                        self.add((*path, field), "only allies have budgets and trainers")
        for index, relation in enumerate(self.scenario.relations):
            for side, nation in enumerate(relation.nations):
                self.nation(("relations", index, "nations", side), nation)
            if relation.nations[0] == relation.nations[1]:
                self.add(("relations", index, "nations"), "a relation needs two different nations")

    def activities(self) -> None:
        trainers = {nation.id: nation.trainers for nation in self.scenario.nations}
        for index, exercise in enumerate(self.scenario.exercises):
            path = ("exercises", index)
            self.nation((*path, "host"), exercise.host, "ally")
            self.known((*path, "facility"), exercise.facility, "facility", self.facilities)
            self.known((*path, "region"), exercise.region, "region", self.regions)
            self.each_domain((*path, "domains"), exercise.domains)
            for position, nation in enumerate(exercise.participants):
                self.nation((*path, "participants", position), nation)
            self.distinct((*path, "participants"), exercise.participants)
        for index, program in enumerate(self.scenario.programs):
            path = ("programs", index)
            self.nation((*path, "provider"), program.provider, "ally")
            self.nation((*path, "partner"), program.partner, "partner")
            self.each_domain((*path, "domains"), program.domains)
            pool = trainers.get(program.provider, 0)
            if program.provider in self.roles and program.trainers > pool:
                self.add((*path, "trainers"), f"needs {program.trainers} trainers but "
                         f"{program.provider!r} has a pool of {pool}")
        for index, workshop in enumerate(self.scenario.workshops):
            path = ("workshops", index)
            self.nation((*path, "provider"), workshop.provider, "ally")
            for position, nation in enumerate(workshop.partners):
                self.nation((*path, "partners", position), nation, "partner")
            self.distinct((*path, "partners"), workshop.partners)
            self.each_domain((*path, "domains"), workshop.domains)
        for index, cycle in enumerate(self.scenario.standards):
            self.known(("standards", index, "id"), cycle.id, "domain", self.domains)
        crisis_domains = self.scenario.parameters.crisis_domains
        for index, threat in enumerate(self.scenario.threats):
            path = ("threats", index)
            self.known((*path, "region"), threat.region, "region", self.regions)
            for position, kind in enumerate(threat.kinds):
                if kind not in crisis_domains:
                    self.add((*path, "kinds", position),
                             f"no domain for {kind!r} in parameters.crisis_domains")
                else:
                    self.known((*path, "kinds", position), crisis_domains[kind],
                               f"domain (for {kind!r})", self.domains)

    def parameters(self) -> None:
        weights = self.scenario.parameters.interoperability_weights
        total = weights.standards + weights.proficiency + weights.familiarity
        if not math.isclose(total, 1.0, abs_tol=1e-9):
            self.add(("parameters", "interoperability_weights"),
                     f"weights must sum to 1, they sum to {total:g}")
