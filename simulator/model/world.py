"""The state of the world (DESIGN.md section 3) in numpy arrays, and what follows from it.

Decaying quantities keep, per cell, the time they were last brought up to date,
so an event touches only the cells it changes and decay is applied exactly for
the time since (DESIGN.md section 2). Reading never changes state, so how often
the recorder samples does not change a run.

All of them live in one flat buffer (`State`): an event gathers the cells it
reads, of any quantities, in one go and scatters what it changes in one go
(`Joint` for exercises and crisis responses), and the recorder copies the whole
state with two copies. Speed here is numpy calls per event, not arithmetic.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simulator.model import dynamics
from simulator.model.schema import Nation, Scenario

Index = NDArray[np.int64]
Cells = tuple[Index, ...] | Index | int


class State:
    """Every decaying quantity of a world in one flat buffer of values and one of clocks.

    A cell is addressed by its position in the buffers, so one event can read or
    change cells of several quantities with one gather and one scatter (each cell
    decays at its own quantity's rate), and the recorder copies the whole world
    with two copies, to decay a batch of such copies later in one operation.
    """

    def __init__(self, quantities: dict[str, tuple[ArrayLike, float]]):
        initials = {name: np.asarray(initial, dtype=float)
                    for name, (initial, _) in quantities.items()}
        self.values = np.concatenate([initial.ravel() for initial in initials.values()])
        self.stamps = np.zeros_like(self.values)
        self.rates = np.concatenate([
            np.full(initials[name].size, dynamics.decay_rate(half_life))
            for name, (_, half_life) in quantities.items()
        ])
        self.layout: dict[str, tuple[slice, tuple[int, ...]]] = {}
        """Where each quantity lies in the buffers, and its shape."""
        offset = 0
        for name, initial in initials.items():
            self.layout[name] = slice(offset, offset + initial.size), initial.shape
            offset += initial.size

    def __getitem__(self, name: str) -> Decaying:
        """A handle on one quantity (the state keeps none: no reference cycle, so a run's
        state is freed as soon as the run is done with it)."""
        return Decaying(self, *self.layout[name])

    def at(self, time: float, positions: Index | np.integer, rate: float | None = None
           ) -> NDArray[np.float64] | np.float64:
        """Values at `time` of the cells at `positions`, without changing anything; `rate`
        when they all belong to one quantity (saves a gather)."""
        if isinstance(positions, np.integer):  # one cell: plain floats cost far less
            cell = int(positions)
            rate = self.rates.item(cell) if rate is None else rate
            return dynamics.decayed(self.values.item(cell), rate, time - self.stamps.item(cell))
        rates = self.rates.take(positions) if rate is None else rate
        return dynamics.decayed(self.values.take(positions), rates,
                                time - self.stamps.take(positions))

    def learn(self, time: float, positions: Index, gain: ArrayLike,
              rate: float | None = None) -> None:
        """Apply the learning rule to the cells at `positions`, as of `time`."""
        self.put(time, positions, dynamics.learn(self.at(time, positions, rate), gain))

    def add(self, time: float, positions: Index, amount: ArrayLike,
            rate: float | None = None) -> None:
        self.put(time, positions, self.at(time, positions, rate) + amount)

    def scale(self, time: float, positions: Index, factor: float,
              rate: float | None = None) -> None:
        self.put(time, positions, self.at(time, positions, rate) * factor)

    def put(self, time: float, positions: Index, values: ArrayLike) -> None:
        """Write `values`, which are as of `time`, to the cells at `positions`."""
        if isinstance(positions, np.integer):
            self.values[positions], self.stamps[positions] = values, time
            return
        self.values.put(positions, values)
        self.stamps.put(positions, time)

    def levels(self, values: NDArray[np.float64], elapsed: NDArray[np.float64]
               ) -> dict[str, NDArray[np.float64]]:
        """Every quantity from a copy of `values` read `elapsed` days after each cell's
        stamp; with a batch of copies (one per row) each quantity gains a leading
        axis. Works in `elapsed`, which it overwrites."""
        decayed = dynamics.decayed(values, self.rates, elapsed, out=elapsed)
        batch = decayed.shape[:-1]
        return {name: decayed[..., cut].reshape(batch + shape)
                for name, (cut, shape) in self.layout.items()}


class Decaying:
    """One quantity of a `State`: an array whose cells decay toward zero with one
    half-life, each on its own clock, indexed like a numpy array of its shape."""

    def __init__(self, state: State, cut: slice, shape: tuple[int, ...]):
        self.state = state
        self.rate = float(state.rates[cut.start]) if cut.stop > cut.start else 0.0
        self.index = np.arange(cut.start, cut.stop).reshape(shape)
        """Position of each cell in the state's buffers."""
        self.values = state.values[cut].reshape(shape)
        self.stamps = state.stamps[cut].reshape(shape)

    def at(self, time: float, cells: Cells = ...) -> NDArray[np.float64]:
        """Values of `cells` at `time`, without changing anything."""
        return self.state.at(time, self.index[cells], self.rate)

    def learn(self, time: float, cells: Cells, gain: ArrayLike) -> None:
        """Apply the learning rule to `cells` at `time`."""
        self.state.learn(time, self.index[cells], gain, self.rate)

    def add(self, time: float, cells: Cells, amount: ArrayLike) -> None:
        self.state.add(time, self.index[cells], amount, self.rate)

    def scale(self, time: float, cells: Cells, factor: float) -> None:
        self.state.scale(time, self.index[cells], factor, self.rate)


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
                                 weights: tuple[float, float, float],
                                 out: NDArray[np.float64] | None = None,
                                 scratch: NDArray[np.float64] | None = None
                                 ) -> NDArray[np.float64]:
        """I[i, j, d] for the nations `rows` and `cols` broadcast together (as from `np.ix_`);
        a nation paired with itself has familiarity 1."""
        familiarity = np.where(rows == cols, 1.0, self.familiarity[..., rows, cols])
        return dynamics.interoperability(
            self.standards[..., rows, :], self.standards[..., cols, :],
            self.proficiency[..., rows, :], self.proficiency[..., cols, :],
            familiarity[..., None], weights, out, scratch,
        )


class Joint:
    """The cells a joint activity reads and changes: its members' standards and
    proficiency in its domains, their familiarity with each other, and the trust
    evidence each has about the others.

    They are brought to `time` with one gather; the training methods work on
    these levels and keep what they change, and `commit` writes it all back with
    one scatter. Cells are distinct, so the order of the changes does not matter.
    """

    def __init__(self, world: World, time: float, members: Index, domains: Index):
        self.world, self.time, self.members = world, time, members
        block, pairs = grid(members, domains), ordered_pairs(members)
        self.cells = {
            "standards": world.standards.index[block],
            "proficiency": world.proficiency.index[block],
            "familiarity": world.familiarity.index[pairs],
            "positive": world.positive.index[pairs],
            "negative": world.negative.index[pairs],
        }
        levels = world.state.at(time, np.concatenate([cells.ravel()
                                                       for cells in self.cells.values()]))
        self.levels: dict[str, NDArray[np.float64]] = {}
        start = 0
        for name, cells in self.cells.items():
            part = levels[start: start + cells.size]
            self.levels[name] = part.reshape(cells.shape) if cells.ndim > 1 else part
            start += cells.size
        self._changes: list[tuple[Index, NDArray[np.float64]]] = []

    def mean_interoperability(self) -> float:
        """Mean I over the pairs of members and the domains; a lone nation is its own pair."""
        left, right = pair_positions(len(self.members))
        familiarity = self.levels["familiarity"]
        if len(left) == 0:
            left = right = np.arange(len(self.members))
            familiarity = np.ones(len(left))
        standards, proficiency = self.levels["standards"], self.levels["proficiency"]
        values = dynamics.interoperability(
            standards[left], standards[right], proficiency[left], proficiency[right],
            familiarity[:, None], self.world.weights,
        )
        return dynamics.mean(values)

    def train(self, quantity: str, rate: float, intensity: float,
              who: NDArray[np.bool_] | None = None) -> None:
        """One training of the members (or those marked in `who`) in the domains, under
        the learning rule of DESIGN.md section 4; `quantity` is standards or proficiency."""
        rows = slice(None) if who is None else who
        gain = dynamics.learning_gain(rate, intensity,
                                      self.world.absorb[self.members[rows]][:, None], 1.0)
        self._change(self.cells[quantity][rows],
                     dynamics.learn(self.levels[quantity][rows], gain))

    def acquaint(self, gain: float) -> None:
        """Familiarity learning for every pair of members, the same both ways."""
        self._change(self.cells["familiarity"], dynamics.learn(self.levels["familiarity"], gain))

    def add_evidence(self, success: bool, amount: float) -> None:
        """Trust evidence of every member about every other, good or bad."""
        kind = "positive" if success else "negative"
        self._change(self.cells[kind], self.levels[kind] + amount)

    def commit(self) -> None:
        """Write every change back to the world's state."""
        if self._changes:
            cells, values = zip(*self._changes, strict=True)
            self.world.state.put(self.time, np.concatenate([c.ravel() for c in cells]),
                                 np.concatenate([v.ravel() for v in values]))
            self._changes.clear()

    def _change(self, cells: Index, values: NDArray[np.float64]) -> None:
        self._changes.append((cells, values))


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

        prior, familiarity = self._relations(scenario)
        self.trust_prior = prior
        nobody, no_region = np.zeros(len(nations)), np.zeros(len(self.region_ids))
        self.state = State({
            "standards": (self._initial(nations, "standards"), half_lives.standards),
            "proficiency": (self._initial(nations, "proficiency"), half_lives.proficiency),
            "familiarity": (familiarity, half_lives.familiarity),
            "positive": (np.zeros_like(prior), half_lives.trust_evidence),
            "negative": (np.zeros_like(prior), half_lives.trust_evidence),
            "pressure": (nobody, half_lives.pressure),
            "stability_lost": (nobody, half_lives.stability),
            "openness_lost": (nobody, half_lives.openness),
            "tension": (no_region, half_lives.tension),
            "capability": ([nation.capability for nation in nations], math.inf),  # never decays
        })
        self.standards, self.proficiency = self.state["standards"], self.state["proficiency"]
        self.familiarity = self.state["familiarity"]
        self.positive, self.negative = self.state["positive"], self.state["negative"]
        self.pressure = self.state["pressure"]
        self.stability_lost = self.state["stability_lost"]
        self.openness_lost = self.state["openness_lost"]
        self.tension = self.state["tension"]
        self.capability = self.state["capability"].values

        weights = parameters.interoperability_weights
        self.weights = (weights.standards, weights.proficiency, weights.familiarity)
        self.prior_weight = parameters.trust_prior_weight
        self.share_threshold = parameters.sharing.share_threshold
        self._mutual = [self._mutual_cells(members) for members in self.members]

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

    def joint(self, time: float, members: Index, domains: Index) -> Joint:
        """The cells a joint activity of `members` in `domains` reads and trains, at `time`."""
        return Joint(self, time, members, domains)

    def mean_interoperability(self, time: float, members: Index, domains: Index) -> float:
        """Mean I over the pairs of `members` and `domains`; a lone nation is its own pair."""
        return self.joint(time, members, domains).mean_interoperability()

    def early_warning(self, time: float, region: int) -> float:
        """`dynamics.early_warning` of one region, from trust between its members and the
        allies only (not the whole matrix: a crisis should not cost N^2)."""
        evidence, prior, oneself = self._mutual[region]
        positive, negative = self.state.at(time, evidence, self.positive.rate)
        trust = dynamics.trust(positive, negative, prior, self.prior_weight)
        shares = np.minimum(trust[0], trust[1]) >= self.share_threshold
        shares[oneself] = False
        return dynamics.early_warning(shares, self.is_ally[self.members[region]])

    def _mutual_cells(self, members: Index
                      ) -> tuple[Index, NDArray[np.float64], NDArray[np.bool_]]:
        """What early warning reads between `members` and the allies, each member x ally,
        stacked as (member in ally, ally in member): the positions of the positive
        and of the negative evidence (one rate: both have the trust-evidence
        half-life), the trust priors, and where the two are one nation."""
        members, allies = np.broadcast_arrays(members[:, None], self.allies[None, :])
        rows, cols = np.stack([members, allies]), np.stack([allies, members])
        evidence = np.stack([self.positive.index[rows, cols], self.negative.index[rows, cols]])
        return evidence, self.trust_prior[rows, cols], members == allies

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
