"""A peer for the benchmarks: the core dynamics of the simulator as a Mesa 3 model.

This is the model a user of Mesa would write instead of our engine: time-stepped,
one step is one day, nations are `mesa.Agent`s, the pair relations are
model-level matrices, and a `mesa.DataCollector` records the metrics. It reads
the same scenario object (`simulator.load_scenario(path)`) and uses the same
parameters (docs/model.md sections 2-4 and Appendix A), but only the core of the model:

* State: per nation, proficiency P[d] and standards adoption S[d] (agent
  attributes, numpy arrays over domains); familiarity F and positive and
  negative trust evidence A, B (N x N numpy arrays on the model). Initial
  values, initial trust t0 and familiarity by roles and `relations`, exactly as
  in `simulator.model.world`.
* Decay: every day every quantity is multiplied by its exact daily factor
  `exp(-ln2 / h)`, as a time-stepped model does it (our engine instead decays
  each cell exactly for the time since it was last touched).
* Joint exercise series fire on their schedule, `start_day + k * every_days`,
  with no jitter and a fixed duration; learning is applied at the end, at the
  first day boundary at or after `start + duration_days` (exact when those
  times are whole days, as in the baseline scenario). No facility queues, no
  budgets: an exercise always happens on time.
* Every invited nation takes part (political will and interests are set
  aside), so there are never fewer than two participants.
* Learning as in docs/model.md section 4.2 with the scenario's rates: proficiency of
  every participant in the exercise's domains, `g = clip(rate * intensity *
  absorb, 0, 1)`; standards of the partners when at least one ally took part;
  familiarity of every pair of participants with `g = min(1, rate * intensity)`.
* The outcome always succeeds (as with `min_success: 1`): `A[i, j] +=
  weights.success * intensity` for every ordered pair of participants. The
  mean interoperability that decides the outcome in our engine is therefore
  not computed here.
* The DataCollector records, every `sample_every_days` days and at the
  horizon, the mean ally-partner interoperability (docs/model.md sections 2 and 4.4, the
  scenario's weights, over ally-partner pairs and domains) and the mean trust
  ally -> partner, `T = (W*t0 + A) / (W + A + B)`. Within a day, the sample is
  taken after that day's exercises end, as our engine samples after every event
  of its instant.

Left out entirely: capacity-building programs, workshops, standards releases,
crises, information sharing and early warning, budgets and budget cuts,
facility queues, instability shocks, pressure and bias, tension and
escalation, capability, stability and openness, random participation, random
outcomes and jitter. The model draws no random numbers (the seed is accepted
and handed to `mesa.Model` for form's sake).

`VectorisedMesaExerciseModel` is the same model with the nations' daily decay
done as two whole-matrix operations instead of one `decay` call per agent: a
sensitivity check for the benchmark, not the port a typical user writes.

Use:

    model = MesaExerciseModel(simulator.load_scenario("scenarios/baseline.yaml"), seed=1)
    model.run()
    model.datacollector.get_model_vars_dataframe()
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import mesa
import numpy as np

from simulator.model.schema import Nation as NationSpec
from simulator.model.schema import Scenario


def daily_factor(half_life_days: float) -> float:
    """What is left of a decaying quantity after one day."""
    return math.exp(-math.log(2.0) / half_life_days)


def per_domain(value: float | dict[str, float], domains: Sequence[str]) -> np.ndarray:
    """An initial level: one value for every domain, or a mapping (missing domains 0)."""
    if isinstance(value, dict):
        return np.array([float(value.get(domain, 0.0)) for domain in domains])
    return np.full(len(domains), float(value))


class Nation(mesa.Agent):
    """An ally or a partner: its proficiency and standards adoption in each domain."""

    def __init__(self, model: MesaExerciseModel, spec: NationSpec, index: int):
        super().__init__(model)
        self.name = spec.id
        self.index = index
        """Row and column of this nation in the model's pair matrices."""
        self.is_ally = spec.role == "ally"
        self.absorb = spec.absorptive_capacity
        self.standards = per_domain(spec.initial.standards, model.domains)
        self.proficiency = per_domain(spec.initial.proficiency, model.domains)

    def decay(self) -> None:
        """One day of forgetting."""
        self.standards *= self.model.standards_factor
        self.proficiency *= self.model.proficiency_factor

    def learn_proficiency(self, domains: np.ndarray, rate: float, intensity: float) -> None:
        self.proficiency[domains] = self._learned(self.proficiency[domains], rate, intensity)

    def learn_standards(self, domains: np.ndarray, rate: float, intensity: float) -> None:
        self.standards[domains] = self._learned(self.standards[domains], rate, intensity)

    def _learned(self, level: np.ndarray, rate: float, intensity: float) -> np.ndarray:
        """The learning rule of docs/model.md section 4.2: `x + g * (1 - x)`."""
        gain = min(1.0, max(0.0, rate * intensity * self.absorb))
        return level + gain * (1.0 - level)


@dataclass
class ExerciseSeries:
    """One joint exercise series: who takes part, in what, and when it next ends."""

    name: str
    participants: list[Nation]
    members: np.ndarray
    """The participants' indices in the pair matrices."""
    domains: np.ndarray
    intensity: float
    every_days: float
    next_end: float
    with_ally: bool
    """At least one ally takes part, so partners learn standards."""


class MesaExerciseModel(mesa.Model):
    """The core of a scenario, stepped one day at a time."""

    def __init__(self, scenario: Scenario, seed: int | None = None):
        super().__init__(seed=seed)
        parameters = scenario.parameters
        half_lives = parameters.half_life_days
        self.domains = list(scenario.domains)
        self.day = 0
        self.horizon_days = scenario.horizon_days
        self.sample_every_days = scenario.sample_every_days
        self.next_sample = 0.0

        self.standards_factor = daily_factor(half_lives.standards)
        self.proficiency_factor = daily_factor(half_lives.proficiency)
        self.familiarity_factor = daily_factor(half_lives.familiarity)
        self.evidence_factor = daily_factor(half_lives.trust_evidence)
        self.rates = parameters.exercise
        self.success_weight = parameters.weights.success
        weights = parameters.interoperability_weights
        self.weights = (weights.standards, weights.proficiency, weights.familiarity)
        self.prior_weight = parameters.trust_prior_weight

        # Agents register themselves with the model (Mesa 3); keep the order of the file.
        self.nations = [Nation(self, spec, k) for k, spec in enumerate(scenario.nations)]
        by_name = {nation.name: nation for nation in self.nations}
        self.allies = [nation for nation in self.nations if nation.is_ally]
        self.partners = [nation for nation in self.nations if not nation.is_ally]
        self.ally_index = np.array([nation.index for nation in self.allies], dtype=np.int64)
        self.partner_index = np.array([nation.index for nation in self.partners], dtype=np.int64)

        self.trust_prior, self.familiarity = self._initial_relations(scenario)
        self.positive = np.zeros_like(self.trust_prior)
        self.negative = np.zeros_like(self.trust_prior)

        domain_index = {domain: d for d, domain in enumerate(self.domains)}
        self.exercises = []
        for exercise in scenario.exercises:
            participants = [by_name[name] for name in exercise.participants]
            self.exercises.append(ExerciseSeries(
                name=exercise.id,
                participants=participants,
                members=np.array([nation.index for nation in participants], dtype=np.int64),
                domains=np.array([domain_index[d] for d in exercise.domains], dtype=np.int64),
                intensity=exercise.intensity,
                every_days=exercise.every_days,
                next_end=exercise.start_day + exercise.duration_days,
                with_ally=any(nation.is_ally for nation in participants),
            ))

        self.datacollector = mesa.DataCollector(model_reporters={
            "time_days": "day",
            "interop_ally_partner": lambda m: m.mean_interop_ally_partner(),
            "trust_ally_partner": lambda m: m.mean_trust_ally_partner(),
        })

    # --- one day -----------------------------------------------------------------------

    def step(self) -> None:
        """Day `self.day`: conclude the exercises ending today, sample if due, then forget
        for one day."""
        for series in self.exercises:
            while series.next_end <= self.day + 1e-9:
                self.conclude(series)
                series.next_end += series.every_days
        if self.day >= self.next_sample - 1e-9:
            self.datacollector.collect(self)
            self.next_sample += self.sample_every_days
        self.decay_nations()
        self.familiarity *= self.familiarity_factor
        self.positive *= self.evidence_factor
        self.negative *= self.evidence_factor
        self.day += 1
        if self.day >= self.horizon_days - 1e-9:
            # Events falling on the horizon are not simulated; its sample is taken.
            self.running = False
            self.datacollector.collect(self)

    def decay_nations(self) -> None:
        self.agents.do("decay")

    def run(self) -> MesaExerciseModel:
        while self.running:
            self.step()
        return self

    def conclude(self, series: ExerciseSeries) -> None:
        """The end of one exercise: everyone learns, and every pair gains trust evidence."""
        rates, intensity = self.rates, series.intensity
        for nation in series.participants:
            nation.learn_proficiency(series.domains, rates.proficiency, intensity)
        if series.with_ally:
            for nation in series.participants:
                if not nation.is_ally:
                    nation.learn_standards(series.domains, rates.standards, intensity)
        pairs = np.ix_(series.members, series.members)
        off_diagonal = ~np.eye(len(series.members), dtype=bool)
        gain = min(1.0, rates.familiarity * intensity)
        familiarity = self.familiarity[pairs]
        self.familiarity[pairs] = np.where(off_diagonal, familiarity + gain * (1.0 - familiarity),
                                           familiarity)
        self.positive[pairs] += np.where(off_diagonal, self.success_weight * intensity, 0.0)

    # --- metrics -----------------------------------------------------------------------

    def mean_interop_ally_partner(self) -> float:
        """Mean of `w_std*min(S_a, S_p) + w_prof*sqrt(P_a*P_p) + w_fam*F_ap` over
        ally-partner pairs and domains."""
        w_standards, w_proficiency, w_familiarity = self.weights
        ally_standards = np.array([nation.standards for nation in self.allies])
        partner_standards = np.array([nation.standards for nation in self.partners])
        ally_proficiency = np.array([nation.proficiency for nation in self.allies])
        partner_proficiency = np.array([nation.proficiency for nation in self.partners])
        familiarity = self.familiarity[np.ix_(self.ally_index, self.partner_index)]
        interop = (
            w_standards * np.minimum(ally_standards[:, None, :], partner_standards[None, :, :])
            + w_proficiency * np.sqrt(ally_proficiency[:, None, :]
                                      * partner_proficiency[None, :, :])
            + w_familiarity * familiarity[:, :, None]
        )
        return float(interop.mean())

    def mean_trust_ally_partner(self) -> float:
        """Mean beta-reputation trust of allies in partners."""
        trust = (self.prior_weight * self.trust_prior + self.positive) / (
            self.prior_weight + self.positive + self.negative)
        return float(trust[np.ix_(self.ally_index, self.partner_index)].mean())

    def samples(self) -> dict[str, np.ndarray]:
        """The collected series as arrays (no pandas needed)."""
        return {name: np.asarray(values, dtype=float)
                for name, values in self.datacollector.model_vars.items()}

    # --- set-up ------------------------------------------------------------------------

    def _initial_relations(self, scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
        """Initial trust t0 and familiarity of every pair: by roles, then `relations`."""
        t0 = scenario.parameters.initial_trust
        f0 = scenario.parameters.initial_familiarity
        count = len(self.nations)
        prior = np.empty((count, count))
        familiarity = np.empty((count, count))
        for i in self.nations:
            for j in self.nations:
                if i.is_ally and j.is_ally:
                    prior[i.index, j.index] = t0.ally_ally
                    familiarity[i.index, j.index] = f0.ally_ally
                elif not i.is_ally and not j.is_ally:
                    prior[i.index, j.index] = t0.partner_partner
                    familiarity[i.index, j.index] = f0.with_partner
                else:
                    prior[i.index, j.index] = t0.ally_partner
                    familiarity[i.index, j.index] = f0.with_partner
        index = {nation.name: nation.index for nation in self.nations}
        for relation in scenario.relations:
            i, j = (index[name] for name in relation.nations)
            if relation.trust is not None:
                prior[i, j] = prior[j, i] = relation.trust
            if relation.familiarity is not None:
                familiarity[i, j] = familiarity[j, i] = relation.familiarity
        np.fill_diagonal(prior, 1.0)
        np.fill_diagonal(familiarity, 0.0)
        return prior, familiarity


class VectorisedMesaExerciseModel(MesaExerciseModel):
    """The same model as a performance-minded Mesa user would tune it: every nation's
    standards and proficiency are rows of two model-level N x D matrices (the agents
    keep views of their rows), so a day's forgetting is two array operations instead
    of one method call per agent. Same numbers, up to rounding."""

    def __init__(self, scenario: Scenario, seed: int | None = None):
        super().__init__(scenario, seed=seed)
        self.standards = np.array([nation.standards for nation in self.nations])
        self.proficiency = np.array([nation.proficiency for nation in self.nations])
        for nation in self.nations:
            nation.standards = self.standards[nation.index]
            nation.proficiency = self.proficiency[nation.index]

    def decay_nations(self) -> None:
        self.standards *= self.standards_factor
        self.proficiency *= self.proficiency_factor


def run_port(scenario: Scenario, seed: int | None = None,
             model_class: type[MesaExerciseModel] = MesaExerciseModel) -> MesaExerciseModel:
    """Build and run the Mesa model of `scenario` to its horizon."""
    return model_class(scenario, seed=seed).run()
