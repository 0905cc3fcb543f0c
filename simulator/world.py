"""The state of the world (DESIGN.md section 3) in numpy arrays, and what follows from it.

Decaying quantities keep, per cell, the time they were last brought up to date,
so an event touches only the cells it changes and decay is applied exactly for
the time since (DESIGN.md section 2). Reading never changes state, so how often
the recorder samples does not change a run.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulator import dynamics
from simulator.schema import Nation, Scenario

Index = NDArray[np.int64]
Cells = tuple[Index, ...] | Index | int


class Decaying:
    """An array whose cells decay toward zero with one half-life, each on its own clock."""

    def __init__(self, initial: NDArray[np.float64], half_life_days: float):
        self.values = np.array(initial, dtype=float)
        self.stamps = np.zeros_like(self.values)
        self.rate = dynamics.decay_rate(half_life_days)

    def at(self, time: float, cells: Cells = ...) -> NDArray[np.float64]:
        """Values of `cells` at `time`, without changing anything."""
        return dynamics.decayed(self.values[cells], self.rate, time - self.stamps[cells])

    def learn(self, time: float, cells: Cells, gain: NDArray[np.float64] | float) -> None:
        """Apply the learning rule to `cells` at `time`."""
        self._set(time, cells, dynamics.learn(self.at(time, cells), gain))

    def add(self, time: float, cells: Cells, amount: NDArray[np.float64] | float) -> None:
        self._set(time, cells, self.at(time, cells) + amount)

    def scale(self, time: float, cells: Cells, factor: float) -> None:
        self._set(time, cells, self.at(time, cells) * factor)

    def _set(self, time: float, cells: Cells, values: NDArray[np.float64] | float) -> None:
        self.values[cells] = values
        self.stamps[cells] = time


class State:
    """Several decaying quantities in one flat buffer of values and one of clocks.

    The state takes over the quantities' storage (their arrays become views of
    the buffers), so the recorder copies the whole world with two copies and
    later decays a batch of such copies in one operation.
    """

    def __init__(self, parts: dict[str, Decaying]):
        self.values = np.concatenate([part.values.ravel() for part in parts.values()])
        self.stamps = np.concatenate([part.stamps.ravel() for part in parts.values()])
        self.rates = np.concatenate([np.full(part.values.size, part.rate)
                                     for part in parts.values()])
        self._layout: dict[str, tuple[slice, tuple[int, ...]]] = {}
        offset = 0
        for name, part in parts.items():
            cut, shape = slice(offset, offset + part.values.size), part.values.shape
            part.values = self.values[cut].reshape(shape)
            part.stamps = self.stamps[cut].reshape(shape)
            self._layout[name] = cut, shape
            offset = cut.stop

    def levels(self, times: float | NDArray[np.float64], values: NDArray[np.float64],
               stamps: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
        """Every quantity at `times`, from copies of `values` and `stamps` taken then; with
        an array of times (one copy per row) each quantity gains a leading axis."""
        elapsed = np.asarray(times)[..., None] - stamps
        decayed = dynamics.decayed(values, self.rates, elapsed)
        batch = decayed.shape[:-1]
        return {name: decayed[..., cut].reshape(batch + shape)
                for name, (cut, shape) in self._layout.items()}


def ordered_pairs(members: Sequence[int] | Index) -> tuple[Index, Index]:
    """Every (i, j) with i != j among distinct `members`, row by row: the cells of a
    relation between them."""
    members = np.asarray(members, dtype=np.int64)
    left, right = pair_positions(len(members))
    return members[left], members[right]


@functools.lru_cache(maxsize=1024)
def pair_positions(count: int) -> tuple[Index, Index]:
    """Positions (a, b), a != b, among `count` members, row by row (kept: groups recur)."""
    left = np.repeat(np.arange(count), count)
    right = np.tile(np.arange(count), count)
    keep = left != right
    positions = left[keep], right[keep]
    for cached in positions:
        cached.setflags(write=False)  # shared by every caller
    return positions


def _unit(values: NDArray[np.float64] | np.floating) -> NDArray[np.float64]:
    """Clipped to [0, 1]; one nation's value without `np.clip`'s overhead."""
    if isinstance(values, np.ndarray):
        return np.clip(values, 0, 1)
    return min(1.0, max(0.0, values))


def grid(rows: Index, cols: Index) -> tuple[Index, Index]:
    """The cells of every (row, col) combination, as `np.ix_` gives them, built cheaply."""
    return rows[:, None], cols[None, :]


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
        """I[i, j, d] for every pair and domain (the diagonal uses familiarity 1)."""
        everyone = np.arange(self.capability.shape[-1])
        return self.interoperability_between(everyone[:, None], everyone[None, :], weights)

    def interoperability_between(self, rows: Index, cols: Index,
                                 weights: tuple[float, float, float]) -> NDArray[np.float64]:
        """I[i, j, d] for the nations `rows` and `cols` broadcast together (as from `np.ix_`);
        a nation paired with itself has familiarity 1."""
        familiarity = np.where(rows == cols, 1.0, self.familiarity[..., rows, cols])
        return dynamics.interoperability(
            self.standards[..., rows, :], self.standards[..., cols, :],
            self.proficiency[..., rows, :], self.proficiency[..., cols, :],
            familiarity[..., None], weights,
        )


class World:
    """Nations, their fixed traits, and the state the activities change."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        nations = scenario.nations
        parameters = scenario.parameters
        half_lives = parameters.half_life_days
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

        self.standards = Decaying(self._initial(nations, "standards"), half_lives.standards)
        self.proficiency = Decaying(self._initial(nations, "proficiency"), half_lives.proficiency)
        prior, familiarity = self._relations(scenario)
        self.trust_prior = prior
        self.familiarity = Decaying(familiarity, half_lives.familiarity)
        self.positive = Decaying(np.zeros_like(prior), half_lives.trust_evidence)
        self.negative = Decaying(np.zeros_like(prior), half_lives.trust_evidence)
        self.pressure = Decaying(np.zeros(len(nations)), half_lives.pressure)
        self.stability_lost = Decaying(np.zeros(len(nations)), half_lives.stability)
        self.openness_lost = Decaying(np.zeros(len(nations)), half_lives.openness)
        self.tension = Decaying(np.zeros(len(self.region_ids)), half_lives.tension)
        capability = Decaying(np.array([nation.capability for nation in nations]), math.inf)
        self.state = State({
            "standards": self.standards, "proficiency": self.proficiency,
            "familiarity": self.familiarity, "positive": self.positive,
            "negative": self.negative, "pressure": self.pressure,
            "stability_lost": self.stability_lost, "openness_lost": self.openness_lost,
            "tension": self.tension, "capability": capability,  # learns, never decays
        })
        self.capability = capability.values

        weights = parameters.interoperability_weights
        self.weights = (weights.standards, weights.proficiency, weights.familiarity)
        self.prior_weight = parameters.trust_prior_weight
        self.share_threshold = parameters.sharing.share_threshold

    # --- names to indices -------------------------------------------------------------

    def nation(self, nation_id: str) -> int:
        return self._nation[nation_id]

    def nations_of(self, nation_ids: Sequence[str]) -> Index:
        return np.array([self._nation[n] for n in nation_ids], dtype=np.int64)

    def domains_of(self, domains: Sequence[str]) -> Index:
        return np.array([self._domain[d] for d in domains], dtype=np.int64)

    def region(self, region_id: str) -> int:
        return self._region[region_id]

    # --- derived quantities at a time ---------------------------------------------------

    def stability(self, time: float, nations: Cells = ...) -> NDArray[np.float64]:
        return _unit(self.base_stability[nations] - self.stability_lost.at(time, nations))

    def openness(self, time: float, nations: Cells = ...) -> NDArray[np.float64]:
        return _unit(self.base_openness[nations] - self.openness_lost.at(time, nations))

    def trust(self, time: float, cells: Cells = ...) -> NDArray[np.float64]:
        return dynamics.trust(self.positive.at(time, cells), self.negative.at(time, cells),
                              self.trust_prior[cells], self.prior_weight)

    def mean_interoperability(self, time: float, members: Index, domains: Index) -> float:
        """Mean I over the pairs of `members` and `domains`; a lone nation is its own pair."""
        left, right = pair_positions(len(members))
        if len(left) == 0:
            left = right = np.arange(len(members))
            familiarity = np.ones(len(left))
        else:
            familiarity = self.familiarity.at(time, (members[left], members[right]))
        standards = self.standards.at(time, grid(members, domains))
        proficiency = self.proficiency.at(time, grid(members, domains))
        values = dynamics.interoperability(
            standards[left], standards[right], proficiency[left], proficiency[right],
            familiarity[:, None], self.weights,
        )
        return float(np.mean(values))

    def early_warning(self, time: float, region: int) -> float:
        """`dynamics.early_warning` of one region, from trust between its members and the
        allies only (not the whole matrix: a crisis should not cost N^2)."""
        members, allies = self.members[region], self.allies
        shares = np.minimum(self.trust(time, grid(members, allies)),
                            self.trust(time, grid(allies, members)).T) >= self.share_threshold
        shares[members[:, None] == allies[None, :]] = False
        return dynamics.early_warning(shares, self.is_ally[members])

    def snapshot(self, time: float) -> Snapshot:
        return self.snapshots(time, self.state.values, self.state.stamps)

    def snapshots(self, times: float | NDArray[np.float64], values: NDArray[np.float64],
                  stamps: NDArray[np.float64]) -> Snapshot:
        """The world at `times` from copies of the state's values and stamps taken then
        (`State.levels`): a batch of snapshots when `times` is an array."""
        levels = self.state.levels(times, values, stamps)
        return Snapshot(
            standards=levels["standards"],
            proficiency=levels["proficiency"],
            familiarity=levels["familiarity"],
            trust=dynamics.trust(levels["positive"], levels["negative"], self.trust_prior,
                                 self.prior_weight),
            capability=levels["capability"],
            stability=_unit(self.base_stability - levels["stability_lost"]),
            openness=_unit(self.base_openness - levels["openness_lost"]),
            tension=levels["tension"],
        )

    # --- effects of activities ------------------------------------------------------------

    def train(self, levels: Decaying, time: float, nations: Index, domains: Index,
              rate: float, intensity: float, fit: NDArray[np.float64] | float = 1.0) -> None:
        """One training of `nations` in `domains` under the learning rule of DESIGN.md section 4."""
        gain = dynamics.learning_gain(rate, intensity, self.absorb[nations][:, None], fit)
        levels.learn(time, grid(nations, domains), gain)

    def acquaint(self, time: float, members: Index, gain: float) -> None:
        """Familiarity learning for every pair of `members`, the same both ways."""
        self.familiarity.learn(time, ordered_pairs(members), gain)

    def add_evidence(self, time: float, members: Index, success: bool, amount: float) -> None:
        """Trust evidence of every member about every other, good or bad."""
        evidence = self.positive if success else self.negative
        evidence.add(time, ordered_pairs(members), amount)

    # --- reading the scenario -----------------------------------------------------------

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
