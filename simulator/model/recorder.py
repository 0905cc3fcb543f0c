"""Sampling the metrics of docs/model.md section 6 into preallocated numpy blocks.

Means over an empty set (ally-partner pairs in a world with no partners, say)
are NaN: the metric is undefined there, not zero.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simulator.model import dynamics
from simulator.model.metrics import (
    COUNT_METRICS,
    NATION_METRICS,
    REGION_METRICS,
    SERIES_METRICS,
    STATE_METRICS,
    Counts,
)
from simulator.model.state import Positions
from simulator.model.world import Snapshot, World


def sample_times(horizon_days: float, every_days: float) -> NDArray[np.float64]:
    """Day 0, every `every_days` after it, and the horizon itself."""
    count = math.ceil(horizon_days / every_days - 1e-9)
    return np.append(np.arange(count) * every_days, horizon_days)


class Recorder:
    """Fills one row per sample time; the engine turns the blocks into tables at the end.

    A sample only copies the world's state (two flat arrays) and the counts; the
    metrics are worked out for a batch of samples at once, each a handful of
    whole-array operations along a leading sample axis, with the same arithmetic
    per sample (and so the same bits) as one at a time. Batches are sized to stay
    in cache, so large worlds take small batches.
    """

    def __init__(self, world: World, counts: Counts, times: NDArray[np.float64],
                 batch_bytes: int = 2**21):
        if list(vars(counts)) != list(COUNT_METRICS):  # `sample` copies them in this order
            raise ValueError("counts must hold exactly the fields of Counts, in order")
        self.world = world
        self.counts = counts
        self.times = times
        nations, regions = len(world.nation_ids), len(world.region_ids)
        self.series = np.full((len(times), len(SERIES_METRICS)), np.nan)
        self.nations = np.full((len(times), nations, len(NATION_METRICS)), np.nan)
        self.regions = np.full((len(times), regions, len(REGION_METRICS)), np.nan)
        self.samples = 0
        allies, partners = world.allies, world.partners
        self.ally_partner = (allies[:, None], partners[None, :])
        self.partner_ally = (partners[:, None], allies[None, :])
        upper = np.triu_indices(len(allies), k=1)
        self.ally_pairs = (allies[upper[0]], allies[upper[1]])  # each pair of allies once
        self.membership = (world.region_of[:, None] == np.arange(regions)).astype(float)
        self.region_sizes = self.membership.sum(axis=0)

        state = world.state.values
        # a sample's state, and about the largest arrays worked out from it
        per_sample = state.nbytes + 8 * (4 * nations**2 + len(allies) * nations
                                         * len(world.domains))
        self.batch = int(np.clip(batch_bytes // per_sample, 1, len(times)))
        self._values = np.empty((self.batch, state.size))
        self._elapsed = np.empty((self.batch, state.size))
        self._held = 0
        # kept, not allocated per sample: fresh large arrays cost page faults (in a
        # 500-nation world about a third of a sample's time)
        domains = len(world.domains)
        self._ally_partner = np.empty((self.batch, len(allies), len(partners), domains))
        self._ally_ally = np.empty((self.batch, len(upper[0]), domains))
        self._scratch = np.empty(max(self._ally_partner.size, self._ally_ally.size))
        self._engaged = np.empty(self._ally_partner.shape, dtype=bool)
        self._tension_high = np.empty(self.batch)
        self.engaged_within = world.scenario.parameters.engaged_within_days

    def sample(self, time: float) -> None:
        """Keep the state at `time` for the next row; work out the metrics when the batch
        is full or the run is over."""
        held, state = self._held, self.world.state
        self._values[held] = state.values
        np.subtract(time, state.stamps, out=self._elapsed[held])
        np.less_equal(time - self.world.trained_together, self.engaged_within,
                      out=self._engaged[held])
        self._tension_high[held] = self.world.take_tension_high()
        self.series[self.samples, len(STATE_METRICS):] = list(vars(self.counts).values())
        self.samples += 1
        self._held += 1
        if self._held == self.batch or self.samples == len(self.times):
            self._record_held()

    def _record_held(self) -> None:
        held, self._held = self._held, 0
        rows = slice(self.samples - held, self.samples)
        snapshot = self.world.snapshots(self._values[:held], self._elapsed[:held])
        shares = dynamics.sharing(snapshot.trust, self.world.share_threshold)
        warning = self._early_warning(shares)
        self.series[rows, : len(STATE_METRICS)] = np.column_stack(
            self._state_metrics(snapshot, shares, warning, self._engaged[:held],
                                self._tension_high[:held]))
        nations = self.nations[rows]
        nations[..., 0] = snapshot.standards.mean(axis=-1)
        nations[..., 1] = snapshot.proficiency.mean(axis=-1)
        nations[..., 2] = snapshot.capability
        nations[..., 3] = snapshot.stability
        nations[..., 4] = snapshot.openness
        self.regions[rows, :, 0] = snapshot.tension
        self.regions[rows, :, 1] = warning

    def _early_warning(self, shares: NDArray[np.bool_]) -> NDArray[np.float64]:
        """`dynamics.early_warning` for every sample and region (0 for an empty region)."""
        world = self.world
        covered = dynamics.warned(shares[..., world.allies], world.is_ally)
        counts = covered @ self.membership  # whole numbers: exact in any order
        return np.divide(counts, self.region_sizes, out=np.zeros_like(counts),
                         where=self.region_sizes > 0)

    def _interoperability(self, snapshot: Snapshot, cells: tuple[Positions, Positions],
                          buffer: NDArray[np.float64]) -> NDArray[np.float64]:
        """`Snapshot.interoperability_between` the nations `cells`, in the recorder's buffers."""
        out = buffer[: len(snapshot.tension)]
        scratch = self._scratch[: out.size].reshape(out.shape)
        return snapshot.interoperability_between(*cells, self.world.weights, out, scratch)

    def _state_metrics(self, snapshot: Snapshot, shares: NDArray[np.bool_],
                       warning: NDArray[np.float64], engaged: NDArray[np.bool_],
                       tension_high: NDArray[np.float64]) -> list[NDArray[np.float64]]:
        """The state metrics of a batch of snapshots, in the order of `STATE_METRICS`;
        `engaged` marks the ally-partner pairs and domains trained in lately, and
        `tension_high` is the highest tension exercises left since the previous sample."""
        partners = self.world.partners
        ally_partner = self._interoperability(snapshot, self.ally_partner, self._ally_partner)
        ally_ally = self._interoperability(snapshot, self.ally_pairs, self._ally_ally)
        compatible = ally_partner.mean(axis=-1) >= dynamics.LEVEL_EDGES[1]  # level 2 or more
        trust = snapshot.trust
        engaged_interoperability = np.where(engaged, ally_partner, 0.0)
        engaged_pairs = engaged.any(axis=-1)
        domains_engaged = np.count_nonzero(engaged, axis=-1)
        pair_means = engaged_interoperability.sum(axis=-1) / np.maximum(domains_engaged, 1)
        engaged_compatible = np.logical_and(engaged_pairs, pair_means >= dynamics.LEVEL_EDGES[1])
        return [
            _means(ally_partner),
            _means(ally_ally),
            _means(compatible),
            _counts(engaged_pairs),
            _ratio(_sums(engaged_interoperability), _counts(engaged)),
            _ratio(_counts(engaged_compatible), _counts(engaged_pairs)),
            _means(trust[..., self.ally_partner[0], self.ally_partner[1]]),
            _means(trust[..., self.partner_ally[0], self.partner_ally[1]]),
            np.count_nonzero(shares, axis=(-2, -1)) // 2,  # symmetric, never with oneself
            _means(warning),
            _means(snapshot.standards[..., partners, :]),
            _means(snapshot.proficiency[..., partners, :]),
            _means(snapshot.capability[..., partners]),
            _means(snapshot.stability[..., partners]),
            snapshot.tension.max(axis=-1),
            np.maximum(snapshot.tension.max(axis=-1, initial=0.0), tension_high),
        ]


def _sums(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """The sum of each sample (first axis) over everything else, in the order `_means` sums."""
    return np.ascontiguousarray(values).reshape(len(values), -1).sum(axis=1)


def _counts(marks: ArrayLike) -> NDArray[np.intp]:
    """How many cells of each sample (first axis) are marked."""
    array = np.asarray(marks)
    return np.count_nonzero(array.reshape(len(array), -1), axis=1)


def _ratio(numerators: NDArray[np.float64] | NDArray[np.intp],
           denominators: NDArray[np.intp]) -> NDArray[np.float64]:
    """Each sample's numerator over its denominator, NaN where that is 0 (an empty set)."""
    return np.divide(numerators, denominators, out=np.full(len(numerators), math.nan),
                     where=denominators > 0)


def _means(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """The mean of each sample (first axis) over everything else, NaN for an empty set
    (without numpy's warning): per sample the same sum, in the same order, and the
    same division as `np.mean` of that sample alone. Fancy indexing behind a leading
    axis can leave that axis innermost in memory, where numpy would sum across
    samples in another order: hence the C-ordered copy."""
    flat = np.ascontiguousarray(values).reshape(len(values), -1)
    if flat.shape[1] == 0:
        return np.full(len(values), math.nan)
    return flat.sum(axis=1) / flat.shape[1]
