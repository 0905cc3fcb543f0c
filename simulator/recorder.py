"""Sampling the metrics of DESIGN.md section 7 into preallocated numpy blocks.

Means over an empty set (ally-partner pairs in a world with no partners, say)
are NaN: the metric is undefined there, not zero.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from numpy.typing import NDArray

from simulator import dynamics
from simulator.processes import Counts
from simulator.world import Snapshot, World

STATE_METRICS = (
    "interop_ally_partner",
    "interop_ally_ally",
    "compatible_share",
    "trust_ally_partner",
    "trust_partner_ally",
    "sharing_links",
    "early_warning",
    "partner_standards",
    "partner_proficiency",
    "partner_capability",
    "partner_stability",
    "max_tension",
)
"""State metrics; `compatible_share` is the share of ally-partner pairs whose mean
interoperability over domains is at level 2 (compatible) or above."""
COUNT_METRICS = tuple(field.name for field in dataclasses.fields(Counts))
SERIES_METRICS = STATE_METRICS + COUNT_METRICS
NATION_METRICS = ("standards", "proficiency", "capability", "stability", "openness")
REGION_METRICS = ("tension", "early_warning")


def sample_times(horizon_days: float, every_days: float) -> NDArray[np.float64]:
    """Day 0, every `every_days` after it, and the horizon itself."""
    count = math.ceil(horizon_days / every_days - 1e-9)
    return np.append(np.arange(count) * every_days, horizon_days)


class Recorder:
    """Fills one row per sample time; the engine turns the blocks into tables at the end.

    The index sets of the metrics (ally-partner blocks, ally pairs, regions) are
    built once; each sample is then a handful of whole-array operations.
    """

    def __init__(self, world: World, counts: Counts, times: NDArray[np.float64]):
        self.world = world
        self.counts = counts
        self.times = times
        nations, regions = len(world.nation_ids), len(world.region_ids)
        self.series = np.full((len(times), len(SERIES_METRICS)), np.nan)
        self.nations = np.full((len(times), nations, len(NATION_METRICS)), np.nan)
        self.regions = np.full((len(times), regions, len(REGION_METRICS)), np.nan)
        self.samples = 0
        self.final: Snapshot | None = None
        allies, partners = world.allies, world.partners
        self.with_allies = (allies[:, None], np.arange(nations)[None, :])
        self.ally_partner = np.ix_(allies, partners)
        self.partner_ally = np.ix_(partners, allies)
        upper = np.triu_indices(len(allies), k=1)
        self.ally_pairs = (upper[0], allies[upper[1]])  # (ally position, nation)
        self.region_sizes = np.array([len(members) for members in world.members])

    def sample(self, time: float) -> None:
        """Record every metric at `time` into the next row."""
        snapshot = self.world.snapshot(time)
        row = self.samples
        shares = dynamics.sharing(snapshot.trust, self.world.share_threshold)
        warning = self._early_warning(shares)
        self.series[row, : len(STATE_METRICS)] = self._state_metrics(snapshot, shares, warning)
        self.series[row, len(STATE_METRICS):] = [getattr(self.counts, name)
                                                 for name in COUNT_METRICS]
        nations = self.nations[row]
        nations[:, 0] = snapshot.standards.mean(axis=1)
        nations[:, 1] = snapshot.proficiency.mean(axis=1)
        nations[:, 2] = snapshot.capability
        nations[:, 3] = snapshot.stability
        nations[:, 4] = snapshot.openness
        self.regions[row, :, 0] = snapshot.tension
        self.regions[row, :, 1] = warning
        self.samples += 1
        self.final = snapshot

    def _early_warning(self, shares: NDArray[np.bool_]) -> NDArray[np.float64]:
        """`dynamics.early_warning` for every region at once (0 for an empty region)."""
        world = self.world
        covered = dynamics.warned(shares[:, world.allies], world.is_ally)
        counts = np.bincount(world.region_of, weights=covered, minlength=len(self.region_sizes))
        return np.divide(counts, self.region_sizes, out=np.zeros_like(counts),
                         where=self.region_sizes > 0)

    def _state_metrics(self, snapshot: Snapshot, shares: NDArray[np.bool_],
                       warning: NDArray[np.float64]) -> list[float]:
        """The state metrics of one snapshot, in the order of `STATE_METRICS`."""
        partners = self.world.partners
        with_allies = snapshot.interoperability_between(*self.with_allies, self.world.weights)
        ally_partner = with_allies.take(partners, axis=1)  # C order: sums keep their order
        ally_ally = with_allies[self.ally_pairs]
        pair_levels = dynamics.interoperability_level(ally_partner.mean(axis=2))
        trust = snapshot.trust
        return [
            _mean(ally_partner),
            _mean(ally_ally),
            _mean(pair_levels >= 2),
            _mean(trust[self.ally_partner]),
            _mean(trust[self.partner_ally]),
            float(np.count_nonzero(shares) // 2),  # sharing is symmetric, never with oneself
            _mean(warning),
            _mean(snapshot.standards[partners]),
            _mean(snapshot.proficiency[partners]),
            _mean(snapshot.capability[partners]),
            _mean(snapshot.stability[partners]),
            float(snapshot.tension.max()),
        ]


def _mean(values: NDArray[np.float64]) -> float:
    """The mean, or NaN for an empty set (without numpy's warning about it); the same
    sum and division as `np.mean`, without its overhead."""
    return float(values.sum() / values.size) if values.size else math.nan
