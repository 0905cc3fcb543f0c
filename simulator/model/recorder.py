"""Sampling the metrics of docs/model.md section 6 into preallocated numpy blocks.

Means over an empty set (ally-partner pairs in a world with no partners, say)
are NaN: the metric is undefined there, not zero.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from simulator.model import dynamics, kernels
from simulator.model.kernels import Floats, Positions, kernel
from simulator.model.metrics import (
    COUNT_METRICS,
    NATION_METRICS,
    REGION_METRICS,
    SERIES_METRICS,
    STATE_METRICS,
    Counts,
)
from simulator.model.world import World


def sample_times(horizon_days: float, every_days: float) -> NDArray[np.float64]:
    """Day 0, every `every_days` after it, and the horizon itself."""
    count = math.ceil(horizon_days / every_days - 1e-9)
    return np.append(np.arange(count) * every_days, horizon_days)


class Recorder:
    """Fills one row per sample time; the engine turns the blocks into tables at the end.

    A sample is one compiled pass over the state (`_metrics`): each quantity's cells
    come to the sample's time with one decay factor (they share an origin), and
    every metric goes straight into the sample's rows; the ally-partner
    interoperability, trust and sharing that make up most of a sample never exist
    as arrays of their own.
    """

    def __init__(self, world: World, counts: Counts, times: NDArray[np.float64]):
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
        self.starts = world.state.starts(*QUANTITIES)
        self.engaged_within = world.scenario.parameters.engaged_within_days
        self._trust = np.empty((nations, nations))
        """Scratch for the trust matrix, kept: fresh large arrays cost page faults."""

    def sample(self, time: float) -> None:
        """Record the metrics of the world at `time` in the next row."""
        world, state, row = self.world, self.world.state, self.samples
        _metrics(state.values, state.stamps, state.rates, self.starts, world.allies,
                 world.partners, world.is_ally, world.region_of, world.trust_prior,
                 world.prior_weight, world.share_threshold, world.weights,
                 world.base_capability, world.base_stability, world.base_openness,
                 world.trained_together, float(time), self.engaged_within,
                 world.take_tension_high(), self._trust, self.series[row],
                 self.nations[row], self.regions[row])
        self.series[row, len(STATE_METRICS):] = list(vars(self.counts).values())
        self.samples += 1


COMPATIBLE = dynamics.LEVEL_EDGES[1]
"""Interoperability level 2 (compatible) begins here."""


QUANTITIES = ("standards", "proficiency", "familiarity", "positive", "negative",
              "capability_gained", "stability_lost", "openness_lost", "tension")
"""The quantities of the state the metrics read, in the order `_metrics` takes their starts."""


@kernel
def _metrics(values: Floats, stamps: Floats, rates: Floats, starts: Positions,
             allies: Positions, partners: Positions, is_ally: NDArray[np.bool_],
             region_of: Positions, prior: Floats, prior_weight: float, threshold: float,
             weights: tuple[float, float, float], base_capability: Floats,
             base_stability: Floats, base_openness: Floats, trained_together: Floats,
             time: float, engaged_within: float, tension_high: float, trust: Floats,
             series: Floats, nations: Floats, regions: Floats) -> None:
    """Every metric of docs/model.md section 6 from the state at `time` (its buffers, and
    where the `QUANTITIES` begin), into the sample's `series` (the state metrics, in
    `STATE_METRICS`' order), `nations` and `regions` rows. Means over an empty set are
    NaN. `trust` is scratch (N x N). Each quantity's values are kept as of one origin,
    so one factor per quantity brings all of its cells to `time`."""
    n, r = is_ally.size, regions.shape[0]
    d = (starts[1] - starts[0]) // n
    factors = np.ones(starts.size)
    for q in range(starts.size):
        if starts[q] < values.size:
            factors[q] = kernels.decayed(1.0, rates[starts[q]], time - stamps[starts[q]])

    def level(quantity: int, cell: int) -> float:
        return values[starts[quantity] + cell] * factors[quantity]

    for i in range(n):
        for j in range(n):
            trust[i, j] = kernels.trust(level(3, i * n + j), level(4, i * n + j), prior[i, j],
                                        prior_weight)

    def interoperability(i: int, j: int, domain: int) -> float:
        return kernels.interoperability(
            level(0, i * d + domain), level(0, j * d + domain), level(1, i * d + domain),
            level(1, j * d + domain), level(2, i * n + j), weights)

    compatible = COMPATIBLE
    a_count, p_count = allies.size, partners.size
    total = engaged_total = 0.0
    compatible_pairs = engaged_cells = engaged_pairs = engaged_compatible = 0
    trust_ap = trust_pa = 0.0
    for a in range(a_count):
        for p in range(p_count):
            pair_total = engaged_sum = 0.0
            engaged_domains = 0
            for domain in range(d):
                value = interoperability(allies[a], partners[p], domain)
                pair_total += value
                if time - trained_together[a, p, domain] <= engaged_within:
                    engaged_sum += value
                    engaged_domains += 1
            total += pair_total
            if pair_total / d >= compatible:
                compatible_pairs += 1
            if engaged_domains:
                engaged_pairs += 1
                engaged_cells += engaged_domains
                engaged_total += engaged_sum
                if engaged_sum / engaged_domains >= compatible:
                    engaged_compatible += 1
            trust_ap += trust[allies[a], partners[p]]
            trust_pa += trust[partners[p], allies[a]]
    pairs = a_count * p_count
    series[0] = total / (pairs * d) if pairs else np.nan
    ally_total, ally_pairs = 0.0, 0
    for a in range(a_count):
        for b in range(a + 1, a_count):
            ally_pairs += 1
            for domain in range(d):
                ally_total += interoperability(allies[a], allies[b], domain)
    series[1] = ally_total / (ally_pairs * d) if ally_pairs else np.nan
    series[2] = compatible_pairs / pairs if pairs else np.nan
    series[3] = engaged_pairs
    series[4] = engaged_total / engaged_cells if engaged_cells else np.nan
    series[5] = engaged_compatible / engaged_pairs if engaged_pairs else np.nan
    series[6] = trust_ap / pairs if pairs else np.nan
    series[7] = trust_pa / pairs if pairs else np.nan

    links = 0
    for i in range(n):
        for j in range(i + 1, n):
            if min(trust[i, j], trust[j, i]) >= threshold:
                links += 1
    series[8] = links
    covered, members = np.zeros(r), np.zeros(r)
    for i in range(n):
        members[region_of[i]] += 1
        warned = is_ally[i]
        for a in range(a_count):
            if not warned and allies[a] != i:
                warned = min(trust[i, allies[a]], trust[allies[a], i]) >= threshold
        if warned:
            covered[region_of[i]] += 1
    highest, warning_total = 0.0, 0.0
    for region in range(r):
        warning = covered[region] / members[region] if members[region] else 0.0
        tension = level(8, region)
        regions[region, 0], regions[region, 1] = tension, warning
        warning_total += warning
        highest = max(highest, tension)
    series[9] = warning_total / r

    partner_sums = np.zeros(4)
    for i in range(n):
        standard = skill = 0.0
        for domain in range(d):
            standard += level(0, i * d + domain)
            skill += level(1, i * d + domain)
        capability = kernels.unit(base_capability[i] + level(5, i))
        stability = kernels.unit(base_stability[i] - level(6, i))
        nations[i, 0], nations[i, 1] = standard / d, skill / d
        nations[i, 2], nations[i, 3] = capability, stability
        nations[i, 4] = kernels.unit(base_openness[i] - level(7, i))
        if not is_ally[i]:
            partner_sums[0] += standard
            partner_sums[1] += skill
            partner_sums[2] += capability
            partner_sums[3] += stability
    series[10] = partner_sums[0] / (p_count * d) if p_count else np.nan
    series[11] = partner_sums[1] / (p_count * d) if p_count else np.nan
    series[12] = partner_sums[2] / p_count if p_count else np.nan
    series[13] = partner_sums[3] / p_count if p_count else np.nan
    series[14] = highest
    series[15] = max(highest, tension_high)

