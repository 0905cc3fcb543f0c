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
UnitInterval = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
"""A value from 0 to 1: an index (trust, stability, ...), a probability, a share or a fit."""
Share = Annotated[float, Field(ge=0.0, lt=1.0, allow_inf_nan=False)]
Days = Annotated[float, Field(gt=0.0, le=MAX_DAYS, allow_inf_nan=False)]
NonNegativeDays = Annotated[float, Field(ge=0.0, le=MAX_DAYS, allow_inf_nan=False)]
Rate = Annotated[float, Field(ge=0.0, le=1_000.0, allow_inf_nan=False)]
PerYear = Annotated[float, Field(ge=0.0, le=10_000.0, allow_inf_nan=False)]
Amount = Annotated[float, Field(ge=0.0, le=1e12, allow_inf_nan=False)]
Intensity = Annotated[float, Field(gt=0.0, le=10.0, allow_inf_nan=False)]
CrisisKind = Literal["terrorism", "piracy", "cyber_attack", "hybrid", "unrest"]
DISTINCT = {"uniqueItems": True}
"""JSON Schema of a list whose items may not repeat, as the cross-checks require."""


class Model(BaseModel):
    """Frozen, strict about unknown keys, documented by its docstrings."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


# --- parameters: every constant of the model, with its default (docs/model.md, Appendix A) ---


class HalfLives(Model):
    """Half-lives in days; each quantity decays exponentially toward its resting value."""

    proficiency: Days = 730.0
    """Days for trained skill P to halve as it decays toward 0: a unit's collective skill
    halves in two years without training."""
    standards: Days = 1825.0
    """Days for standards adoption S to halve as it decays toward 0."""
    familiarity: Days = 730.0
    """Days for familiarity F between forces to halve as it decays toward 0."""
    trust_evidence: Days = 1095.0
    """Days for trust evidence A and B to halve, so unused trust returns to its initial value."""
    pressure: Days = 180.0
    """Days for the engagement pressure felt by a partner to halve as it decays toward 0."""
    tension: Days = 365.0
    """Days for regional tension to halve as it decays toward 0."""
    stability: Days = 365.0
    """Days for a partner's lost stability to halve as it recovers toward its scenario value."""
    openness: Days = 730.0
    """Days for openness lost at escalations to halve as it recovers toward its scenario value."""
    capability: Days = 3650.0
    """Days for the capability a partner gained through programs to halve as it returns toward
    its scenario value: without sustainment, trained units and institutions lose it."""


class TrustWeights(Model):
    """Weight of one unit of intensity as trust evidence; bad news weighs more."""

    success: Rate = 1.0
    """Positive trust evidence A per unit intensity of a successful activity."""
    failure: Rate = 2.0
    """Negative trust evidence B per unit intensity of a failed activity."""
    bias: Rate = 1.0
    """Negative trust evidence B per unit of engagement pressure above the partner's tolerance."""
    shared_failure: Rate = 0.5
    """Negative trust evidence B among the responders of a failed crisis response: those who
    showed up proved reliable, so a shared failure weighs less than a failed exercise."""


class InteroperabilityWeights(Model):
    """Weights of standards, proficiency and familiarity in interoperability; they sum to 1."""

    standards: UnitInterval = 0.4
    """Weight (a share of 1) of the pair's common standards, the lower adoption of the two."""
    proficiency: UnitInterval = 0.3
    """Weight (a share of 1) of the pair's proficiency, the geometric mean of the two."""
    familiarity: UnitInterval = 0.3
    """Weight (a share of 1) of the familiarity between the pair's forces."""


class ExerciseRates(Model):
    """Learning rates of joint exercises and their chance of success."""

    proficiency: Rate = 0.3
    """Proficiency learning rate per unit intensity, for every participant in each domain."""
    standards: Rate = 0.05
    """Standards learning rate per unit intensity for partners, when an ally took part."""
    familiarity: Rate = 0.3
    """Familiarity learning rate per unit intensity for every pair of participants."""
    min_success: UnitInterval = 0.6
    """Probability of success with no interoperability at all (full interoperability: 1).
    Exercises are designed to be achievable: at 0.6, with failure weighing twice success, an
    exercise builds trust on average above interoperability 1/6, below deconflicted forces."""
    full_participation_trust: UnitInterval = 0.5
    """Trust index in the host at which an invitee takes part with its full chance (will times
    interest); below it, the chance falls in proportion: eroded trust shows in behaviour."""


class ProgramRates(Model):
    """Learning rates and disruption of capacity-building programs."""

    standards: Rate = 0.15
    """The partner's standards learning rate per module and unit intensity, times the fit."""
    proficiency: Rate = 0.1
    """The partner's proficiency learning rate per module and unit intensity, times the fit."""
    capability: Rate = 0.02
    """The partner's capability learning rate per module and unit intensity, times the fit."""
    familiarity: Rate = 0.1
    """Familiarity learning rate of the partner and provider per module and unit intensity."""
    untailored_fit: UnitInterval = 0.5
    """Fit of an untailored program in a domain the partner needs, as a share of a tailored
    program's (1); halved in a domain it does not need. Learning is proportional to fit."""
    tailoring_premium: Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)] = 0.25
    """Extra cost of a tailored module, as a share of the program's `cost`: fitting a program
    to a partner's needs takes assessment and adaptation."""
    tailored_pressure: UnitInterval = 0.5
    """Engagement pressure of a tailored module, as a share of a generic one's: what the
    partner asked for presses less."""
    interruption: UnitInterval = 0.3
    """Probability of a pause before a module, times the partner's instability (1 - stability)."""
    pause_days: Days = 90.0
    """Mean of the exponential pause after an interruption, in days."""
    suspend_below: UnitInterval = 0.3
    """A program waits while the partner's stability index is below this."""
    influence_tolerance: Rate = 3.0
    """Pressure (in module intensities) tolerated per unit of openness: above this times the
    partner's openness, bias is perceived."""


class StandardsRates(Model):
    """New standards versions, their adoption by allies and dissemination workshops."""

    release_every_days: Days = 730.0
    """Days between releases in a domain other than cyber."""
    cyber_release_every_days: Days = 365.0
    """Days between releases in the cyber domain."""
    obsolescence: Share = 0.1
    """Share of everyone's adoption made obsolete by a release."""
    adoption_lag_days: NonNegativeDays = 90.0
    """Days after a release before allies re-adopt."""
    ally_adoption: Rate = 0.5
    """Allies' re-adoption learning rate after each release, times their political will."""
    workshop_standards: Rate = 0.05
    """Standards learning rate of a workshop per unit intensity, times the partner's openness."""


class SharingRates(Model):
    """Information sharing, early warning and crisis response."""

    share_threshold: UnitInterval = 0.65
    """i and j share information when their trust index both ways is at least this."""
    respond_threshold: UnitInterval = 0.5
    """An ally responds to a crisis when its trust index in the host is at least this."""
    max_coalition: Annotated[int, Field(ge=1, le=MAX_NATIONS)] = 4
    """Most allies (a count) in a crisis coalition besides the host; the most trusting respond."""
    early_warning_bonus: Rate = 0.2
    """Gain in crisis effectiveness from full early warning, as a share of it (0.2: 20% more)."""
    failure_shock: UnitInterval = 0.05
    """Stability index lost by the host of a failed crisis response."""
    crisis_difficulty: Annotated[float, Field(gt=0.0, le=1_000.0, allow_inf_nan=False)] = 1.0
    """Usable strength (an index) at which a response succeeds with chance 1 - 1/e before
    early warning:
    the responders' capabilities, each times its interoperability with the host in the
    crisis's domain (the host's with itself, familiarity 1: its readiness)."""


class EscalationRates(Model):
    """Tension from exercises in contested regions, and escalation."""

    tension_per_exercise: Rate = 0.2
    """Tension added per unit intensity of an exercise in a contested region."""
    escalation_threshold: Annotated[float, Field(gt=0.0, le=1_000.0)] = 1.0
    """Tension at which a region escalates, in the units of `tension_per_exercise`."""
    openness_drop: UnitInterval = 0.1
    """Openness index lost by the region's partners at an escalation."""
    cooldown_days: NonNegativeDays = 180.0
    """Days the region's exercises pause after an escalation."""
    crisis_factor: Annotated[float, Field(ge=1.0, le=100.0, allow_inf_nan=False)] = 2.0
    """Factor on the region's crisis rate while it is heightened after an escalation."""
    heightened_days: NonNegativeDays = 365.0
    """Days after an escalation during which the region's crisis rate is heightened."""


class BudgetRules(Model):
    """How activities wait for money."""

    max_wait_days: NonNegativeDays = 180.0
    """Days an activity that cannot be paid for waits for money before it is cancelled."""


class InitialTrust(Model):
    """Initial trust t0 by roles, used where `relations` says nothing."""

    ally_ally: UnitInterval = 0.6
    """Initial trust index of an ally in another ally."""
    ally_partner: UnitInterval = 0.45
    """Initial trust index both ways: ally in partner and partner in ally."""
    partner_partner: UnitInterval = 0.5
    """Initial trust index of a partner in another partner."""


class InitialFamiliarity(Model):
    """Initial familiarity by roles, used where `relations` says nothing."""

    ally_ally: UnitInterval = 0.3
    """Initial familiarity index of two allies."""
    with_partner: UnitInterval = 0.05
    """Initial familiarity index of any pair with at least one partner."""


class Parameters(Model):
    """Every constant of the model (docs/model.md, Appendix A); each may be overridden."""

    half_life_days: HalfLives = HalfLives()
    """Half-lives of the quantities that decay or recover, in days."""
    weights: TrustWeights = TrustWeights()
    """Trust evidence from successes, failures and perceived bias."""
    interoperability_weights: InteroperabilityWeights = InteroperabilityWeights()
    """How standards, proficiency and familiarity make up interoperability."""
    exercise: ExerciseRates = ExerciseRates()
    """What participants learn in a joint exercise, and its chance of success."""
    program: ProgramRates = ProgramRates()
    """Learning rates, fit, interruptions and bias of capacity-building programs."""
    standards: StandardsRates = StandardsRates()
    """Standards releases, allies' re-adoption and workshops."""
    sharing: SharingRates = SharingRates()
    """When nations share information and respond to crises together."""
    escalation: EscalationRates = EscalationRates()
    """How exercises in contested regions raise tension, and what an escalation does."""
    budget: BudgetRules = BudgetRules()
    """How long activities wait for money."""
    initial_trust: InitialTrust = InitialTrust()
    """Initial trust by roles, where `relations` says nothing."""
    initial_familiarity: InitialFamiliarity = InitialFamiliarity()
    """Initial familiarity by roles, where `relations` says nothing."""
    engaged_within_days: Days = 1095.0
    """An ally and a partner are engaged in a domain when they trained together there (an
    exercise both took part in, or a program module) within this many days."""
    trust_prior_weight: Annotated[float, Field(gt=0.0, le=1_000.0)] = 2.0
    """Prior weight W of the beta reputation, in units of trust evidence:
    T = (W t0 + A) / (W + A + B)."""
    crisis_domains: dict[CrisisKind, Id] = {
        "terrorism": "counter_terrorism",
        "piracy": "maritime",
        "cyber_attack": "cyber",
        "hybrid": "c2",
        "unrest": "land",
    }
    """The domain (a domain id) each kind of crisis tests."""


# --- the world ------------------------------------------------------------------------


class Region(Model):
    """An area that nations belong to and where exercises and crises happen."""

    id: Id
    """Name of the region, used by references and in dotted paths."""
    contested: bool = False
    """Exercises here raise tension with adversaries, which can escalate."""


class InitialLevels(Model):
    """Initial standards adoption and proficiency: one value, or one per domain."""

    standards: UnitInterval | dict[Id, UnitInterval] = 0.0
    """Standards adoption index at day 0: one value for every domain, or one per domain id
    (domains left out start at 0)."""
    proficiency: UnitInterval | dict[Id, UnitInterval] = 0.0
    """Proficiency index at day 0: one value for every domain, or one per domain id
    (domains left out start at 0)."""


class Nation(Model):
    """An ally (hosts exercises, pays and trains) or a partner (is trained)."""

    model_config = ConfigDict(json_schema_extra={
        "if": {"properties": {"role": {"const": "partner"}}, "required": ["role"]},
        "then": {"properties": {
            "annual_budget": {"const": 0, "description": "Partners have no budget."},
            "trainers": {"const": 0, "description": "Partners have no trainers."},
        }},
    })

    id: Id
    """Name of the nation, used by references and in dotted paths."""
    role: Literal["ally", "partner"]
    """'ally': hosts exercises, pays and trains; 'partner': is trained, has no budget."""
    region: Id
    """Home region (a region id): its crises may strike the nation, and its interest there is
    1 unless `interests` says otherwise."""
    capability: UnitInterval
    """Capability index to act in a crisis; programs raise a partner's."""
    absorptive_capacity: UnitInterval = 1.0
    """Share of a training's effect the nation can absorb."""
    stability: UnitInterval = 1.0
    """Internal stability index; shocks lower it and it recovers."""
    openness: UnitInterval = 1.0
    """Openness index to outside influence; scales workshops and bias tolerance."""
    political_will: UnitInterval = 1.0
    """Political will index: scales participation in exercises and, for allies, budget and
    adoption."""
    interests: UnitInterval | dict[Id, UnitInterval] = 1.0
    """Interest index in each region, or one value for all; participation is will times interest.
    A mapping leaves out regions of no interest (0); the home region is 1 unless given."""
    needs: Annotated[list[Id], Field(json_schema_extra=DISTINCT)] = []
    """Domains (domain ids, each once) a partner needs; tailored programs fit them fully."""
    annual_budget: Amount = 0.0
    """Allies only: budget units granted at each budget year, times will and any cut."""
    trainers: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    """Allies only: number of trainers in the pool that programs draw on."""
    initial: InitialLevels = InitialLevels()
    """Standards adoption and proficiency at day 0."""


class Relation(Model):
    """Initial trust and familiarity of one pair, instead of the defaults by roles."""

    nations: Annotated[list[Id], Field(min_length=2, max_length=2, json_schema_extra=DISTINCT)]
    """The pair (two different nation ids), in either order."""
    trust: UnitInterval | None = None
    """Initial trust index t0 both ways, instead of the default by roles."""
    familiarity: UnitInterval | None = None
    """Initial familiarity index, instead of the default by roles."""


class Facility(Model):
    """A training range: exercises hold one of its slots while they last."""

    id: Id
    """Name of the facility, used by exercises."""
    capacity: Annotated[int, Field(ge=1, le=10_000)] = 1
    """Number of exercises it can hold at once; more wait for a free slot."""


class Exercise(Model):
    """A joint exercise series, repeated every `every_days`."""

    id: Id
    """Name of the exercise series, used in dotted paths and in the results."""
    host: Id
    """The ally (a nation id) that organises and pays; it takes part only if invited."""
    facility: Id
    """The facility (a facility id) whose slot each exercise holds."""
    region: Id
    """The region (a region id) where it takes place, for interest, tension and cooldowns."""
    domains: Annotated[list[Id], Field(min_length=1, json_schema_extra=DISTINCT)]
    """Domains trained (domain ids, each once)."""
    participants: Annotated[list[Id], Field(min_length=1, json_schema_extra=DISTINCT)]
    """Invited nations (nation ids, each once); each takes part with chance will times interest
    in the region (less if its trust in the host is low), and fewer than two cancel it."""
    every_days: Days
    """Days from the actual start of one exercise to the next, before jitter: after a wait for
    budget, facility or cooldown the next counts from when this one started (or was
    cancelled)."""
    jitter_days: NonNegativeDays = 0.0
    """Days: the uniform random delay added to each interval is at most this."""
    start_day: NonNegativeDays = 0.0
    """Day of the first exercise."""
    end_day: NonNegativeDays | None = None
    """Day from which the series holds no more exercises (none: it goes on to the horizon)."""
    duration_days: Days = 10.0
    """Days an exercise holds its facility slot; learning and trust follow at its end."""
    cost: Amount = 0.0
    """Budget units drawn from the host's budget for each exercise."""
    intensity: Intensity = 1.0
    """Relative intensity (1: an ordinary exercise); scales learning, trust evidence and
    tension."""


class Program(Model):
    """A capacity-building program: a provider ally trains one partner, module by module."""

    id: Id
    """Name of the program, used in dotted paths and in the results."""
    provider: Id
    """The ally (a nation id) that trains and pays."""
    partner: Id
    """The partner (a nation id) that is trained."""
    domains: Annotated[list[Id], Field(min_length=1, json_schema_extra=DISTINCT)]
    """Domains trained (domain ids, each once)."""
    tailored: bool = False
    """Tailored to the partner's needs: full fit in needed domains and less pressure, at a higher
    cost (`parameters.program.tailoring_premium`)."""
    modules: Annotated[int, Field(ge=1, le=100_000)]
    """Number of modules to deliver."""
    module_every_days: Days
    """Days from the start of one module to the next, unless a pause or a wait is longer."""
    module_days: Days = 14.0
    """Days a module lasts, holding its trainers."""
    trainers: Annotated[int, Field(ge=0, le=1_000_000)] = 1
    """Number of the provider's trainers held during a module."""
    cost: Amount = 0.0
    """Budget units of one module, from the provider's budget."""
    intensity: Intensity = 1.0
    """Relative intensity of a module (1: an ordinary module); scales learning, trust evidence
    and pressure."""
    start_day: NonNegativeDays = 0.0
    """Day the first module is due."""


class Workshop(Model):
    """Periodic dissemination of standards by an ally to partners."""

    id: Id
    """Name of the workshop series, used in dotted paths and in the results."""
    provider: Id
    """The ally (a nation id) that holds the workshops and pays."""
    partners: Annotated[list[Id], Field(min_length=1, json_schema_extra=DISTINCT)]
    """The partners taught (nation ids, each once)."""
    domains: Annotated[list[Id], Field(min_length=1, json_schema_extra=DISTINCT)]
    """Domains whose standards are taught (domain ids, each once)."""
    every_days: Days
    """Days from one workshop to the next."""
    start_day: NonNegativeDays = 0.0
    """Day of the first workshop."""
    cost: Amount = 0.0
    """Budget units of one workshop, from the provider's budget."""
    intensity: Intensity = 1.0
    """Relative intensity (1: an ordinary workshop); scales the standards learned."""


class StandardsCycle(Model):
    """Releases of new standards in one domain (the id is the domain)."""

    id: Id
    """The domain (a domain id) whose standards get new releases."""
    release_every_days: Days | None = None
    """Days between releases. Default: `parameters.standards.release_every_days` (cyber: the
    cyber interval)."""


class Threat(Model):
    """Crises in one region, arriving as a Poisson process."""

    id: Id
    """Name of the threat, used in dotted paths and in the event trace."""
    region: Id
    """The region (a region id) of its crises; each crisis strikes one of its nations."""
    per_year: PerYear
    """Mean number of crises per year (0: none)."""
    kinds: Annotated[list[CrisisKind], Field(min_length=1)]
    """Kinds drawn uniformly for each crisis; each tests its domain. A kind listed twice is
    drawn twice as often."""


class BudgetCuts(Model):
    """Cuts to each ally's budget, arriving as a Poisson process per ally."""

    per_year: PerYear = 0.0
    """Mean number of cuts per ally and year (0: none)."""
    depth: Share = 0.2
    """Share cut from what is left now and from refills while the cut lasts."""
    duration_days: Days = 365.0
    """Days a cut lasts."""


class InstabilityShocks(Model):
    """Shocks to partners' stability; the rate is scaled by the partner's fragility."""

    per_year: PerYear = 0.0
    """Shocks per partner and year at stability 0; the rate is this times 1 - the partner's
    scenario stability (its inherent fragility, not its current stability: no feedback)."""
    shock: UnitInterval = 0.1
    """Stability index lost per shock; it recovers with the stability half-life."""


class Disruptions(Model):
    """What goes wrong: budget cuts for allies, instability shocks for partners."""

    budget_cuts: BudgetCuts = BudgetCuts()
    """Cuts to allies' budgets."""
    instability: InstabilityShocks = InstabilityShocks()
    """Shocks to partners' stability."""


class Scenario(Model):
    """A world: nations, what they do together, what goes wrong, and the model's constants."""

    name: Id
    """Name of the scenario; it labels the results."""
    description: str = ""
    """What the scenario is about, in words; the report shows it."""
    horizon_years: Annotated[float, Field(gt=0.0, le=MAX_HORIZON_YEARS, allow_inf_nan=False)]
    """Years simulated (a year is 365 days)."""
    sample_every_days: Days = 30.0
    """Days between recorded samples of the metrics."""
    domains: Annotated[list[Id], Field(min_length=1, max_length=100, json_schema_extra=DISTINCT)]
    """Areas in which forces train and interoperate, e.g. maritime or cyber (names, each once)."""
    regions: Annotated[list[Region], Field(min_length=1, max_length=1_000)]
    """The regions, each with a distinct id."""
    nations: Annotated[list[Nation], Field(min_length=1, max_length=MAX_NATIONS)]
    """Allies and partners, each with a distinct id."""
    relations: list[Relation] = []
    """Pairs whose initial trust or familiarity differ from the defaults by roles."""
    facilities: list[Facility] = []
    """Training ranges that exercises use, each with a distinct id."""
    exercises: list[Exercise] = []
    """Joint exercise series, each with a distinct id."""
    programs: list[Program] = []
    """Capacity-building programs, each with a distinct id."""
    workshops: list[Workshop] = []
    """Standards dissemination workshops, each with a distinct id."""
    standards: list[StandardsCycle] = []
    """Domains with standards releases; a domain not listed never releases."""
    threats: list[Threat] = []
    """Sources of crises, each with a distinct id."""
    disruptions: Disruptions = Disruptions()
    """Budget cuts and instability shocks."""
    parameters: Parameters = Parameters()
    """Constants of the model; those left out take their defaults."""

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
            for side, nation_id in enumerate(relation.nations):
                self.nation(("relations", index, "nations", side), nation_id)
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
