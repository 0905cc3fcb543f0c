"""The world of docs/model.md sections 2 and 4: nations, their traits, and what activities
do to them.

The decaying quantities live in one `State` (`model/state.py`); the world names
them, derives what follows from them (trust, stability, openness, early warning,
interoperability) and works out what an activity changes, as one gather and one
scatter of the state, in one compiled call (`model/kernels.py`):
`World.hold_exercise`, `World.respond_to_crisis`, and `ModuleEffects` for the
modules of a program. `Joint` offers the steps of a joint activity one at a time,
for tests and for studies of a single step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np
from numpy.typing import NDArray

from simulator.model import dynamics, kernels
from simulator.model.dynamics import Values
from simulator.model.schema import Nation, Program, Scenario
from simulator.model.state import (
    Cells,
    Decaying,
    Positions,
    State,
    grid,
    ordered_pairs,
)


@overload
def _unit(values: float) -> float: ...
@overload
def _unit(values: NDArray[np.float64]) -> NDArray[np.float64]: ...


def _unit(values: Values) -> Values:
    """Clipped to [0, 1]; one nation's value without `np.clip`'s overhead."""
    if isinstance(values, np.ndarray):
        return np.clip(values, 0, 1)
    return min(1.0, max(0.0, values))


@dataclass(frozen=True)
class Snapshot:
    """Every state array at one time, or at several along a leading axis: for the recorder
    and the end-of-run matrices."""

    standards: NDArray[np.float64]
    proficiency: NDArray[np.float64]
    familiarity: NDArray[np.float64]
    trust: NDArray[np.float64]
    capability: NDArray[np.float64]
    stability: NDArray[np.float64]
    openness: NDArray[np.float64]
    tension: NDArray[np.float64]

    def interoperability(self, weights: tuple[float, float, float]) -> NDArray[np.float64]:
        """I[i, j, d] for every pair and domain (a nation paired with itself has
        familiarity 1)."""
        everyone = np.arange(self.capability.shape[-1])
        rows, cols = everyone[:, None], everyone[None, :]
        familiarity = np.where(rows == cols, 1.0, self.familiarity[..., rows, cols])
        return dynamics.interoperability(
            self.standards[..., rows, :], self.standards[..., cols, :],
            self.proficiency[..., rows, :], self.proficiency[..., cols, :],
            familiarity[..., None], weights)


class TrustCells:
    """Trust of row nations in column nations, for cells read again and again (an
    exercise's invitees in its host, the allies in a crisis's host): where their
    evidence lies is worked out once."""

    def __init__(self, state: State, positive: Positions, negative: Positions,
                 prior: NDArray[np.float64], prior_weight: float):
        self.state, self.shape, self.prior_weight = state, positive.shape, prior_weight
        self.positive, self.negative = positive.ravel(), negative.ravel()
        self.prior = np.ascontiguousarray(prior).ravel()

    def at(self, time: float) -> NDArray[np.float64]:
        """Trust at `time`, in the shape of the cells (flat for one pair)."""
        state = self.state
        trust = kernels.trust_of_cells(state.values, state.stamps, state.rates, self.positive,
                                       self.negative, self.prior, self.prior_weight,
                                       float(time))
        return trust.reshape(self.shape) if self.shape else trust


class Joint:
    """The cells a joint activity reads and changes: its members' standards and
    proficiency in its domains, their familiarity with each other, and the trust
    evidence each has about the others; with the steps of an exercise or a crisis
    response one at a time, on the same kernels as `World.hold_exercise` and
    `World.respond_to_crisis` take them all in one call.

    They are brought to `time` with one gather, into `levels` in the order of
    `kernels.joint_cells`; the training methods change these levels and mark them
    `written`, and `commit` writes those back with one scatter (the others keep
    their values and clocks). Cells are distinct, so the order of the changes does
    not matter.
    """

    def __init__(self, world: World, time: float, members: Positions, domains: Positions):
        self.world, self.time, self.members = world, time, members
        self.domains = domains
        m, d = len(members), len(domains)
        pairs = m * (m - 1)
        self.cells = kernels.joint_cells(members, domains, len(world.nation_ids),
                                         len(world.domains), world.joint_starts)
        self.levels = world.state.at(time, self.cells)
        self.written = np.zeros(len(self.cells), dtype=bool)
        self.spans = {"standards": 0, "proficiency": m * d, "familiarity": 2 * m * d,
                      "positive": 2 * m * d + pairs, "negative": 2 * m * d + 2 * pairs}
        """Where each quantity's cells begin in `levels`."""

    def mean_interoperability(self) -> float:
        """Mean I over the pairs of members and the domains; a lone nation is its own pair."""
        return kernels.mean_interoperability(self.levels, len(self.members), len(self.domains),
                                             self.world.weights)

    def interoperability_with_first(self) -> NDArray[np.float64]:
        """I of the first member (a crisis's host) with each member, itself included (with
        familiarity 1: its own readiness), as a mean over the domains."""
        return kernels.interoperability_with_first(self.levels, len(self.members),
                                                   len(self.domains), self.world.weights)

    def train(self, quantity: str, rate: float, intensity: float,
              who: NDArray[np.bool_] | None = None) -> None:
        """One training of the members (or those marked in `who`) in the domains, under
        the learning rule of docs/model.md section 4.2; `quantity` is standards or proficiency."""
        who = np.ones(len(self.members), dtype=bool) if who is None else who
        kernels.train(self.levels, self.written, self.spans[quantity], len(self.domains),
                      self.world.absorb[self.members], who, rate, intensity)

    def acquaint(self, gain: float) -> None:
        """Familiarity learning for every pair of members, the same both ways."""
        kernels.learn_span(self.levels, self.written, self.spans["familiarity"],
                           self.spans["positive"], gain)

    def add_evidence(self, success: bool, amount: float) -> None:
        """Trust evidence of every member about every other, good or bad."""
        kernels.add_evidence(self.levels, self.written, self.spans["familiarity"],
                             self.spans["positive"] - self.spans["familiarity"], success,
                             amount)

    def commit(self) -> None:
        """Write every level changed back to the world's state."""
        state = self.world.state
        kernels.put_written(state.values, state.stamps, state.rates, self.cells, self.levels,
                            self.written, float(self.time))


class ModuleEffects:
    """What every module of one program does, worked out once, since it is the same each
    time: the cells it trains (the partner's standards and proficiency, and familiarity
    both ways) with their gains, the partner's capability gain, and the cells it adds to
    (the partner's trust evidence about the provider, its engagement pressure) with their
    amounts."""

    def __init__(self, world: World, program: Program):
        rates, weights = world.scenario.parameters.program, world.scenario.parameters.weights
        self.world = world
        self.partner, self.provider = world.nation(program.partner), world.nation(program.provider)
        domains = world.domains_of(program.domains)
        fit = dynamics.program_fit(program.tailored, world.needs[self.partner, domains],
                                   rates.untailored_fit)
        self.mean_fit = dynamics.mean(fit)
        """Capability and trust use the mean fit over the program's domains."""

        def gain(rate: float, fit: Values) -> Values:
            return dynamics.learning_gain(rate, program.intensity, world.absorb[self.partner],
                                          fit)

        trained = [
            (world.standards.index[self.partner, domains], gain(rates.standards, fit)),
            (world.proficiency.index[self.partner, domains], gain(rates.proficiency, fit)),
            (world.familiarity.index[ordered_pairs([self.partner, self.provider])],
             [min(1.0, rates.familiarity * program.intensity)] * 2),
        ]
        added = [
            (world.positive.index[[self.partner], [self.provider]],
             [weights.success * program.intensity * self.mean_fit]),
            (world.pressure.index[[self.partner]],
             [program.intensity * (rates.tailored_pressure if program.tailored else 1.0)]),
        ]
        self.capability_gain = float(gain(rates.capability, self.mean_fit))
        self.together, self.domains = np.array([self.partner, self.provider]), domains
        self.trained, self.gains = (np.concatenate(parts) for parts in zip(*trained, strict=True))
        self.added, self.amounts = (np.concatenate(parts) for parts in zip(*added, strict=True))
        self.partner_cells = np.array([
            world.capability_gained.index[self.partner], world.pressure.index[self.partner],
            world.openness_lost.index[self.partner],
            world.negative.index[self.partner, self.provider]])
        """The partner's capability gained, pressure, openness lost, and evidence against
        the provider."""
        self.tolerance, self.bias_weight = rates.influence_tolerance, weights.bias

    def deliver(self, time: float) -> float:
        """One module at `time`: learning, trust in the provider and pressure, then bias
        evidence if the pressure is past what the partner's openness tolerates. Returns
        that evidence (0 within tolerance)."""
        world, state = self.world, self.world.state
        return kernels.deliver_module(
            state.values, state.stamps, state.rates, self.trained, self.gains, self.added,
            self.amounts, self.partner_cells, float(world.base_capability[self.partner]),
            self.capability_gain, float(world.base_openness[self.partner]), self.tolerance,
            self.bias_weight, world.trained_together, world.ally_rank, world.partner_rank,
            world.is_ally, self.together, self.domains, float(time))


class World:
    """Nations, their fixed traits, and the state the activities change."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        nations = scenario.nations
        parameters = scenario.parameters
        self.nation_ids = [nation.id for nation in nations]
        self.domains = list(scenario.domains)
        self.region_ids = [region.id for region in scenario.regions]
        self._nation = {nation_id: i for i, nation_id in enumerate(self.nation_ids)}
        self._domain = {domain: d for d, domain in enumerate(self.domains)}
        self._region = {region_id: r for r, region_id in enumerate(self.region_ids)}

        self.is_ally = np.array([nation.role == "ally" for nation in nations])
        self.allies = np.flatnonzero(self.is_ally)
        self.partners = np.flatnonzero(~self.is_ally)
        self.region_of = np.array([self._region[nation.region] for nation in nations])
        self.members = [np.flatnonzero(self.region_of == r) for r in range(len(self.region_ids))]
        self.contested = np.array([region.contested for region in scenario.regions])

        self.absorb = np.array([nation.absorptive_capacity for nation in nations])
        self.will = np.array([nation.political_will for nation in nations])
        self.base_stability = np.array([nation.stability for nation in nations])
        self.base_openness = np.array([nation.openness for nation in nations])
        self.interest = np.array([self._interests(nation) for nation in nations])
        self.needs = np.array([[domain in nation.needs for domain in self.domains]
                               for nation in nations])

        self.trust_prior, familiarity = self._relations(scenario)
        self.state = self._state(scenario, familiarity)
        self.standards, self.proficiency = self.state["standards"], self.state["proficiency"]
        self.familiarity = self.state["familiarity"]
        self.positive, self.negative = self.state["positive"], self.state["negative"]
        self.pressure = self.state["pressure"]
        self.stability_lost = self.state["stability_lost"]
        self.openness_lost = self.state["openness_lost"]
        self.tension = self.state["tension"]
        self.tension_high = np.zeros(len(self.region_ids))
        """The highest tension of each region since the recorder last took it."""
        self.base_capability = np.array([nation.capability for nation in nations])
        self.capability_gained = self.state["capability_gained"]

        self.ally_rank = np.cumsum(self.is_ally) - 1
        """Position of each ally among the allies (of each partner among the partners, below)."""
        self.partner_rank = np.cumsum(~self.is_ally) - 1
        self.trained_together = np.full(
            (len(self.allies), len(self.partners), len(self.domains)), -math.inf)
        """Day each ally and partner last trained together in each domain (never: -inf)."""

        weights = parameters.interoperability_weights
        self.weights = (weights.standards, weights.proficiency, weights.familiarity)
        self.prior_weight = parameters.trust_prior_weight
        self.share_threshold = parameters.sharing.share_threshold
        self._mutual = [self._mutual_cells(members) for members in self.members]
        self.joint_starts = self.state.starts("standards", "proficiency", "familiarity",
                                              "positive", "negative")
        """Where the quantities a joint activity reads begin in the state's buffers."""
        learning, evidence = parameters.exercise, parameters.weights
        self._exercise_learning = np.array([learning.proficiency, learning.standards,
                                            learning.familiarity])
        self._exercise_evidence = np.array([evidence.success, evidence.failure])
        self._crisis_evidence = np.array([evidence.success, evidence.shared_failure])
        self.crisis_starts = np.append(
            self.joint_starts, self.state.starts("capability_gained", "stability_lost"))
        """`joint_starts`, then where capability gained and stability lost begin."""

    # --- names to positions -------------------------------------------------------------

    def nation(self, nation_id: str) -> int:
        return self._nation[nation_id]

    def nations_of(self, nation_ids: Sequence[str]) -> Positions:
        return np.array([self._nation[n] for n in nation_ids], dtype=np.int64)

    def domains_of(self, domains: Sequence[str]) -> Positions:
        return np.array([self._domain[d] for d in domains], dtype=np.int64)

    def region(self, region_id: str) -> int:
        return self._region[region_id]

    # --- derived quantities at a time ---------------------------------------------------

    @overload
    def stability(self, time: float, nations: int) -> float: ...
    @overload
    def stability(self, time: float, nations: Cells = ...) -> NDArray[np.float64]: ...

    def stability(self, time: float, nations: int | Cells = ...) -> Values:
        return _unit(self.base_stability[nations] - self.stability_lost.at(time, nations))

    @overload
    def openness(self, time: float, nations: int) -> float: ...
    @overload
    def openness(self, time: float, nations: Cells = ...) -> NDArray[np.float64]: ...

    def openness(self, time: float, nations: int | Cells = ...) -> Values:
        return _unit(self.base_openness[nations] - self.openness_lost.at(time, nations))

    @overload
    def capability(self, time: float, nations: int) -> float: ...
    @overload
    def capability(self, time: float, nations: Cells = ...) -> NDArray[np.float64]: ...

    def capability(self, time: float, nations: int | Cells = ...) -> Values:
        return _unit(self.base_capability[nations] + self.capability_gained.at(time, nations))

    @overload
    def trust(self, time: float, cells: tuple[int, int]) -> float: ...
    @overload
    def trust(self, time: float, cells: Cells = ...) -> NDArray[np.float64]: ...

    def trust(self, time: float, cells: tuple[int, int] | Cells = ...) -> Values:
        trust = self.trust_cells(cells)
        if not trust.shape:  # one pair: a plain float
            return float(trust.at(time)[0])
        return trust.at(time)

    def trust_cells(self, cells: tuple[int, int] | Cells) -> TrustCells:
        """The trust of `cells` (row nation in column nation), to read again and again."""
        return TrustCells(self.state, np.asarray(self.positive.index[cells]),
                          np.asarray(self.negative.index[cells]),
                          np.asarray(self.trust_prior[cells], dtype=float), self.prior_weight)

    def take_tension_high(self) -> float:
        """The highest tension of any region since the last call, which starts it afresh."""
        highest = float(self.tension_high.max(initial=0.0))
        self.tension_high[:] = 0.0
        return highest

    def early_warning(self, time: float, region: int) -> float:
        """`dynamics.early_warning` of one region, from trust between its members and the
        allies only (not the whole matrix: a crisis should not cost N^2)."""
        evidence, prior, oneself = self._mutual[region]
        state = self.state
        return kernels.sharing_share(state.values, state.stamps, state.rates, evidence, prior,
                                     oneself, self.is_ally[self.members[region]],
                                     self.prior_weight, self.share_threshold, float(time))

    def _mutual_cells(self, members: Positions
                      ) -> tuple[Positions, NDArray[np.float64], NDArray[np.bool_]]:
        """What early warning reads between `members` and the allies, each member x ally,
        stacked as (member in ally, ally in member): the positions of the positive
        and of the negative evidence (one rate: both have the trust-evidence
        half-life), the trust priors, and where the two are one nation."""
        members, allies = np.broadcast_arrays(members[:, None], self.allies[None, :])
        rows, cols = np.stack([members, allies]), np.stack([allies, members])
        evidence = np.stack([self.positive.index[rows, cols], self.negative.index[rows, cols]])
        return evidence, self.trust_prior[rows, cols], np.ascontiguousarray(members == allies)

    def snapshot(self, time: float) -> Snapshot:
        return self.snapshots(self.state.values.copy(), time - self.state.stamps)

    def snapshots(self, values: NDArray[np.float64], elapsed: NDArray[np.float64]) -> Snapshot:
        """The world from a copy of the state's values read `elapsed` days after each
        cell's stamp: a batch of snapshots when these have a leading axis. Works in
        both arrays, which it overwrites (no fresh memory for large batches)."""
        levels = self.state.levels(values, elapsed)  # in `elapsed`; `values` now free
        batch = values.shape[:-1]
        cut, shape = self.state.layout["positive"]
        trust = dynamics.trust(levels["positive"], levels["negative"], self.trust_prior,
                               self.prior_weight, out=values[..., cut].reshape(batch + shape))
        return Snapshot(
            standards=levels["standards"],
            proficiency=levels["proficiency"],
            familiarity=levels["familiarity"],
            trust=trust,
            capability=_unit(self.base_capability + levels["capability_gained"]),
            stability=_unit(self.base_stability - levels["stability_lost"]),
            openness=_unit(self.base_openness - levels["openness_lost"]),
            tension=levels["tension"],
        )

    # --- effects of activities ------------------------------------------------------------

    def joint(self, time: float, members: Positions, domains: Positions) -> Joint:
        """The cells a joint activity of `members` in `domains` reads and trains, at `time`."""
        return Joint(self, time, members, domains)

    def hold_exercise(self, time: float, members: Positions, domains: Positions,
                      intensity: float, outcome: float) -> tuple[float, bool]:
        """The end of an exercise (`kernels.hold_exercise`): its members learn and their
        trust moves with the outcome, which succeeds with a chance that grows with their
        mean interoperability. Returns that mean, and whether it succeeded."""
        state, rates = self.state, self.scenario.parameters.exercise
        return kernels.hold_exercise(
            state.values, state.stamps, state.rates, self.joint_starts, len(self.nation_ids),
            len(self.domains), members, domains, self.absorb, self.is_ally, self.weights,
            self._exercise_learning, self._exercise_evidence, intensity, rates.min_success,
            outcome, self.trained_together, self.ally_rank, self.partner_rank, float(time))

    def respond_to_crisis(self, time: float, responders: Positions, domains: Positions,
                          warning: float, outcome: float) -> tuple[float, bool]:
        """A crisis met by `responders`, its host first (`kernels.respond_to_crisis`):
        capability, interoperability with the host and early warning make the chance of
        success; the outcome is trust evidence, and a failure shakes the host. Returns
        that chance, and whether it succeeded."""
        state, rules = self.state, self.scenario.parameters.sharing
        return kernels.respond_to_crisis(
            state.values, state.stamps, state.rates, self.crisis_starts, len(self.nation_ids),
            len(self.domains), responders, domains, self.base_capability, self.weights,
            warning, rules.early_warning_bonus, rules.crisis_difficulty,
            self._crisis_evidence, rules.failure_shock, outcome, float(time))

    def module_effects(self, program: Program) -> ModuleEffects:
        """What each module of `program` does, to deliver at any time."""
        return ModuleEffects(self, program)

    def note_training(self, time: float, nations: Positions, domains: Positions) -> None:
        """The allies and partners among `nations` trained together in `domains` at `time`."""
        kernels.note_training(self.trained_together, self.ally_rank, self.partner_rank,
                              self.is_ally, nations, domains, float(time))

    def train(self, levels: Decaying, time: float, nations: Positions, domains: Positions,
              rate: float, intensity: float, fit: NDArray[np.float64] | float = 1.0) -> None:
        """One training of `nations` in `domains` under the learning rule (docs/model.md 4.2)."""
        gain = dynamics.learning_gain(rate, intensity, self.absorb[nations][:, None], fit)
        levels.learn(time, grid(nations, domains), gain)

    # --- reading the scenario -----------------------------------------------------------

    def _state(self, scenario: Scenario, familiarity: NDArray[np.float64]) -> State:
        """Every decaying quantity at its initial value, with its half-life."""
        nations, half_lives = scenario.nations, scenario.parameters.half_life_days
        nobody, no_region = np.zeros(len(nations)), np.zeros(len(self.region_ids))
        return State({
            "standards": (self._initial(nations, "standards"), half_lives.standards),
            "proficiency": (self._initial(nations, "proficiency"), half_lives.proficiency),
            "familiarity": (familiarity, half_lives.familiarity),
            "positive": (np.zeros_like(familiarity), half_lives.trust_evidence),
            "negative": (np.zeros_like(familiarity), half_lives.trust_evidence),
            "pressure": (nobody, half_lives.pressure),
            "stability_lost": (nobody, half_lives.stability),
            "openness_lost": (nobody, half_lives.openness),
            "tension": (no_region, half_lives.tension),
            "capability_gained": (nobody, half_lives.capability),
        })

    def _initial(self, nations: Sequence[Nation], level: str) -> NDArray[np.float64]:
        return np.array([self._per(getattr(nation.initial, level), self.domains, default=0.0)
                         for nation in nations])

    def _interests(self, nation: Nation) -> list[float]:
        """Interest in each region; a mapping leaves out regions of no interest, but home counts."""
        if not isinstance(nation.interests, dict):
            return [nation.interests] * len(self.region_ids)
        home = {nation.region: 1.0} | nation.interests
        return [home.get(region, 0.0) for region in self.region_ids]

    @staticmethod
    def _per(value: float | dict[str, float], keys: Sequence[str], default: float = 0.0
             ) -> list[float]:
        """A scalar for every key, or a mapping with `default` for keys it leaves out."""
        if isinstance(value, dict):
            return [value.get(key, default) for key in keys]
        return [value] * len(keys)

    def _relations(self, scenario: Scenario) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Initial trust t0 and familiarity for every pair: by roles, then `relations`.

        A nation trusts itself fully; its familiarity with itself is never used
        (interoperability takes it as 1), so the diagonal is kept at 0."""
        parameters = scenario.parameters
        t0, f0 = parameters.initial_trust, parameters.initial_familiarity
        both_allies = self.is_ally[:, None] & self.is_ally[None, :]
        both_partners = ~self.is_ally[:, None] & ~self.is_ally[None, :]
        prior = np.where(both_allies, t0.ally_ally,
                         np.where(both_partners, t0.partner_partner, t0.ally_partner))
        familiarity = np.where(both_allies, f0.ally_ally, f0.with_partner)
        for relation in scenario.relations:
            i, j = self.nations_of(relation.nations)
            if relation.trust is not None:
                prior[i, j] = prior[j, i] = relation.trust
            if relation.familiarity is not None:
                familiarity[i, j] = familiarity[j, i] = relation.familiarity
        np.fill_diagonal(prior, 1.0)
        np.fill_diagonal(familiarity, 0.0)
        return prior.astype(float), familiarity.astype(float)
