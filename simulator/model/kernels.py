"""The engine's per-event loops over the cells of the state, compiled where numba is.

An event reads and changes a few dozen cells. As numpy calls, its cost was the
calls' overhead (about a microsecond each, some forty per exercise), not the
arithmetic; here each step of an event is one loop over its cells. With numba
installed (it has wheels for Linux, macOS and Windows) the loops are compiled
to machine code on first use and the code is cached beside this file (or in the
user's cache directory when this one is read-only), so a machine compiles them
once. Without numba, or with `NUMBA_DISABLE_JIT=1`, the same functions run as
Python: slower, with the same numbers to 1e-12 (`tests/test_kernels.py`).

The formulas are `dynamics.py`'s, compiled from there: this module only walks
the cells. The state's buffers are `State.values`, `State.stamps` and
`State.rates`; positions are int64 arrays of cells in them.
"""

from __future__ import annotations

import hashlib
import math
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from simulator.model import dynamics

Function = TypeVar("Function", bound=Callable[..., Any])


def _numba() -> Any:
    """numba, or None where it is not installed."""
    try:
        import numba
        import numba.core.caching
    except ImportError:  # pragma: no cover - a platform without numba's wheels
        return None
    return numba


NUMBA = _numba()
COMPILED = NUMBA is not None and not NUMBA.config.DISABLE_JIT
"""Whether the kernels run as machine code (or as Python)."""
SOURCES = ("dynamics.py", "kernels.py", "recorder.py")
"""The files of the compiled code: the kernels, and the formulas they inline."""
SOURCES_DIGEST = hashlib.sha256(b"".join(
    (Path(__file__).parent / name).read_bytes() for name in SOURCES)).hexdigest()


def kernel(function: Function) -> Function:
    """`function` compiled with numba (cached on disk, the GIL released), or as it is."""
    if not COMPILED:
        return function
    compiled = NUMBA.njit(nogil=True)(function)
    compiled._cache = _fresh_cache(function)  # what `cache=True` sets, but fresher
    return typing.cast(Function, compiled)


def _fresh_cache(function: Callable[..., Any]) -> Any:
    """numba's on-disk cache of `function`'s machine code, stale when any of `SOURCES`
    changes: numba's own stamp is the function's file alone (its documented limit),
    while a kernel inlines the formulas of dynamics.py."""
    cache = NUMBA.core.caching.FunctionCache(function)
    index = cache._cache_file
    index._source_stamp = (index._source_stamp, SOURCES_DIGEST)
    return cache


Floats = NDArray[np.float64]
Positions = NDArray[np.int64]

# dynamics.py's formulas, compiled, for the loops here and in recorder.py
decayed = kernel(dynamics.decayed)
learn = kernel(dynamics.learn)
learning_gain = kernel(dynamics.learning_gain)
interoperability = kernel(dynamics.interoperability)
trust = kernel(dynamics.trust)


# --- the state's cells --------------------------------------------------------------------


@kernel
def cell_at(values: Floats, stamps: Floats, rates: Floats, cell: int, time: float) -> float:
    """One cell's value at `time`."""
    return decayed(values[cell], rates[cell], time - stamps[cell])


@kernel
def cells_at(values: Floats, stamps: Floats, rates: Floats, positions: Positions,
             time: float) -> Floats:
    """The values at `time` of the cells at `positions` (flat)."""
    levels = np.empty(positions.size)
    for k in range(positions.size):
        cell = positions[k]
        levels[k] = decayed(values[cell], rates[cell], time - stamps[cell])
    return levels


@kernel
def put_cell(values: Floats, stamps: Floats, rates: Floats, cell: int, level: float,
             time: float) -> None:
    """Write `level`, which is as of `time`, to one cell: kept as of the cell's stamp, its
    quantity's time origin, which does not move (the level grown back to it)."""
    values[cell] = decayed(level, rates[cell], stamps[cell] - time)


@kernel
def learn_cell(values: Floats, stamps: Floats, rates: Floats, cell: int, gain: float,
               time: float) -> None:
    """The learning rule with `gain` on one cell, as of `time`."""
    level = decayed(values[cell], rates[cell], time - stamps[cell])
    put_cell(values, stamps, rates, cell, learn(level, gain), time)


@kernel
def add_to_cell(values: Floats, stamps: Floats, rates: Floats, cell: int, amount: float,
                time: float) -> None:
    """`amount` added to one cell, as of `time`."""
    level = decayed(values[cell], rates[cell], time - stamps[cell])
    put_cell(values, stamps, rates, cell, level + amount, time)


@kernel
def put_cells(values: Floats, stamps: Floats, rates: Floats, positions: Positions,
              levels: Floats, time: float) -> None:
    """`put_cell` of `levels[k]` on the cell at `positions[k]`, for every k."""
    for k in range(positions.size):
        put_cell(values, stamps, rates, positions[k], levels[k], time)


@kernel
def learn_cells(values: Floats, stamps: Floats, rates: Floats, positions: Positions,
                gains: Floats, time: float) -> None:
    """`learn_cell` with `gains[k]` on the cell at `positions[k]`, for every k."""
    for k in range(positions.size):
        learn_cell(values, stamps, rates, positions[k], gains[k], time)


@kernel
def add_to_cells(values: Floats, stamps: Floats, rates: Floats, positions: Positions,
                 amounts: Floats, time: float) -> None:
    """`add_to_cell` of `amounts[k]` on the cell at `positions[k]`, for every k."""
    for k in range(positions.size):
        add_to_cell(values, stamps, rates, positions[k], amounts[k], time)


@kernel
def trust_of_cells(values: Floats, stamps: Floats, rates: Floats, positive: Positions,
                   negative: Positions, prior: Floats, prior_weight: float,
                   time: float) -> Floats:
    """Trust at `time` from the evidence at `positive` and `negative` and the priors, with
    one decay factor for each kind of evidence (as in `sharing_share`)."""
    levels = np.empty(positive.size)
    if positive.size == 0:
        return levels
    good_kept = decayed(1.0, rates[positive[0]], time - stamps[positive[0]])
    bad_kept = decayed(1.0, rates[negative[0]], time - stamps[negative[0]])
    for k in range(positive.size):
        levels[k] = trust(values[positive[k]] * good_kept, values[negative[k]] * bad_kept,
                          prior[k], prior_weight)
    return levels


@kernel
def sharing_share(values: Floats, stamps: Floats, rates: Floats, evidence: Positions,
                  prior: Floats, oneself: NDArray[np.bool_], is_ally: NDArray[np.bool_],
                  prior_weight: float, threshold: float, time: float) -> float:
    """`dynamics.early_warning` of a region: the share of its members that are allies or
    share with one (trust both ways at least `threshold`).

    `evidence` is (positive, negative) x (member in ally, ally in member) x member x
    ally, `prior` the priors of the last three axes and `oneself` where member and
    ally are one nation. All cells of a quantity share their origin (`State`), so one
    decay factor for each kind of evidence serves every pair (the same bits as each
    cell's own: its rate and stamp are the quantity's)."""
    members, allies = oneself.shape
    if members == 0:
        return 0.0
    good_kept = bad_kept = 1.0
    if allies:
        good, bad = evidence[0, 0, 0, 0], evidence[1, 0, 0, 0]
        good_kept = decayed(1.0, rates[good], time - stamps[good])
        bad_kept = decayed(1.0, rates[bad], time - stamps[bad])
    warned = 0
    for i in range(members):
        if is_ally[i]:
            warned += 1
            continue
        for a in range(allies):
            if oneself[i, a]:
                continue
            lowest = math.inf
            for way in range(2):
                good, bad = evidence[0, way, i, a], evidence[1, way, i, a]
                lowest = min(lowest, trust(values[good] * good_kept, values[bad] * bad_kept,
                                           prior[way, i, a], prior_weight))
            if lowest >= threshold:
                warned += 1
                break
    return warned / members


# --- joint activities: the cells of `world.Joint` ------------------------------------------


@kernel
def joint_cells(members: Positions, domains: Positions, nations: int, domain_count: int,
                starts: Positions) -> Positions:
    """The cells a joint activity reads, in `Joint`'s order: the members' standards, then
    proficiency (member x domain), then familiarity, positive and negative evidence of
    every ordered pair of members (row by row). `starts` are where those five quantities
    begin in the state's buffers."""
    m, d = members.size, domains.size
    pairs = m * (m - 1)
    cells = np.empty(2 * m * d + 3 * pairs, dtype=np.int64)
    k = 0
    for quantity in range(2):
        for i in range(m):
            for j in range(d):
                cells[k] = starts[quantity] + members[i] * domain_count + domains[j]
                k += 1
    for quantity in range(2, 5):
        for a in range(m):
            for b in range(m):
                if a != b:
                    cells[k] = starts[quantity] + members[a] * nations + members[b]
                    k += 1
    return cells


@kernel
def mean_interoperability(levels: Floats, m: int, d: int,
                          weights: tuple[float, float, float]) -> float:
    """Mean interoperability over the ordered pairs of members and the domains, from a
    `Joint`'s levels; a lone nation is its own pair (familiarity 1)."""
    proficiency, familiarity = m * d, 2 * m * d
    if m == 1:
        total = 0.0
        for j in range(d):
            total += interoperability(levels[j], levels[j], levels[proficiency + j],
                                       levels[proficiency + j], 1.0, weights)
        return total / d
    total, pair = 0.0, 0
    for a in range(m):
        for b in range(m):
            if a == b:
                continue
            for j in range(d):
                total += interoperability(
                    levels[a * d + j], levels[b * d + j], levels[proficiency + a * d + j],
                    levels[proficiency + b * d + j], levels[familiarity + pair], weights)
            pair += 1
    return total / (pair * d)


@kernel
def interoperability_with_first(levels: Floats, m: int, d: int,
                                weights: tuple[float, float, float]) -> Floats:
    """Interoperability of the first member with each member (itself with familiarity 1),
    as a mean over the domains, from a `Joint`'s levels."""
    proficiency, familiarity = m * d, 2 * m * d
    means = np.empty(m)
    for b in range(m):
        known = 1.0 if b == 0 else levels[familiarity + b - 1]  # pairs (0, b) come first
        total = 0.0
        for j in range(d):
            total += interoperability(levels[j], levels[b * d + j], levels[proficiency + j],
                                       levels[proficiency + b * d + j], known, weights)
        means[b] = total / d
    return means


@kernel
def train(levels: Floats, written: NDArray[np.bool_], start: int, d: int, absorb: Floats,
          who: NDArray[np.bool_], rate: float, intensity: float) -> None:
    """One training of the members marked in `who`, in every domain: the learning rule on
    the block of `levels` (member x domain) that begins at `start`; marks them `written`."""
    for i in range(absorb.size):
        if who[i]:
            gain = learning_gain(rate, intensity, absorb[i], 1.0)
            for j in range(start + i * d, start + (i + 1) * d):
                levels[j] = learn(levels[j], gain)
                written[j] = True


@kernel
def learn_span(levels: Floats, written: NDArray[np.bool_], start: int, stop: int,
               gain: float) -> None:
    """The learning rule with one `gain` on `levels[start:stop]`; marks them `written`."""
    for k in range(start, stop):
        levels[k] = learn(levels[k], gain)
        written[k] = True


@kernel
def put_written(values: Floats, stamps: Floats, rates: Floats, positions: Positions,
                levels: Floats, written: NDArray[np.bool_], time: float) -> None:
    """`levels[k]`, as of `time`, to the cell at `positions[k]` where `written[k]`."""
    for k in range(positions.size):
        if written[k]:
            put_cell(values, stamps, rates, positions[k], levels[k], time)


@kernel
def note_training(trained_together: NDArray[np.float64], ally_rank: Positions,
                  partner_rank: Positions, is_ally: NDArray[np.bool_], nations: Positions,
                  domains: Positions, time: float) -> None:
    """Every ally and partner among `nations` trained together in `domains` at `time`."""
    for a in range(nations.size):
        if not is_ally[nations[a]]:
            continue
        for p in range(nations.size):
            if is_ally[nations[p]]:
                continue
            for j in range(domains.size):
                trained_together[ally_rank[nations[a]], partner_rank[nations[p]],
                                 domains[j]] = time


@kernel
def unit(value: float) -> float:
    """Clipped to [0, 1]."""
    return min(1.0, max(0.0, value))


success_probability = kernel(dynamics.exercise_success_probability)
crisis_effectiveness = kernel(dynamics.crisis_effectiveness)
bias_evidence = kernel(dynamics.bias_evidence)


# --- whole events: one call each from the processes ---------------------------------------


@kernel
def hold_exercise(values: Floats, stamps: Floats, rates: Floats, starts: Positions,
                  nations: int, domain_count: int, members: Positions, domains: Positions,
                  absorb: Floats, is_ally: NDArray[np.bool_],
                  weights: tuple[float, float, float], learning: Floats, evidence: Floats,
                  intensity: float, min_success: float, outcome: float,
                  trained_together: Floats, ally_rank: Positions, partner_rank: Positions,
                  time: float) -> tuple[float, bool]:
    """The end of an exercise of `members` in `domains` (docs/model.md 4.5): it succeeds if
    `outcome` falls below a chance that grows with their mean interoperability; all of
    them learn proficiency, partners learn standards if allies took part, every pair
    grows familiar, and the outcome is trust evidence among them. `learning` holds the
    proficiency and standards rates and the familiarity gain, `evidence` the weights of
    success and failure. Returns the mean interoperability and whether it succeeded."""
    m, d = members.size, domains.size
    pairs, blocks = m * (m - 1), 2 * m * d
    cells = joint_cells(members, domains, nations, domain_count, starts)
    levels = cells_at(values, stamps, rates, cells, time)
    mean = mean_interoperability(levels, m, d, weights)
    success = outcome < success_probability(mean, min_success)
    written = np.zeros(cells.size, dtype=np.bool_)
    absorbs, partner = absorb[members], ~is_ally[members]
    train(levels, written, m * d, d, absorbs, np.ones(m, dtype=np.bool_), learning[0],
          intensity)
    if 0 < partner.sum() < m:
        train(levels, written, 0, d, absorbs, partner, learning[1], intensity)
    learn_span(levels, written, blocks, blocks + pairs, min(1.0, learning[2] * intensity))
    add_evidence(levels, written, blocks, pairs, success,
                 (evidence[0] if success else evidence[1]) * intensity)
    put_written(values, stamps, rates, cells, levels, written, time)
    note_training(trained_together, ally_rank, partner_rank, is_ally, members, domains, time)
    return mean, success


@kernel
def respond_to_crisis(values: Floats, stamps: Floats, rates: Floats, starts: Positions,
                      nations: int, domain_count: int, responders: Positions,
                      domains: Positions, base_capability: Floats,
                      weights: tuple[float, float, float], warning: float, bonus: float,
                      difficulty: float, evidence: Floats, shock: float, outcome: float,
                      time: float) -> tuple[float, bool]:
    """A crisis met by `responders`, its host first (docs/model.md 4.10): their capability,
    their interoperability with the host and the region's early `warning` make the chance
    of success, which `outcome` must fall below; the outcome is trust evidence among them
    (`evidence`: the weights of success and of a shared failure), and a failure shakes
    the host's stability by `shock`. `starts` also holds where capability gained and
    stability lost begin. Returns the chance and whether it succeeded."""
    m, d = responders.size, domains.size
    pairs, blocks = m * (m - 1), 2 * m * d
    cells = joint_cells(responders, domains, nations, domain_count, starts)
    levels = cells_at(values, stamps, rates, cells, time)
    capabilities = np.empty(m)
    for i in range(m):
        gained = cell_at(values, stamps, rates, starts[5] + responders[i], time)
        capabilities[i] = unit(base_capability[responders[i]] + gained)
    effectiveness = crisis_effectiveness(capabilities,
                                         interoperability_with_first(levels, m, d, weights),
                                         warning, bonus, difficulty)
    success = outcome < effectiveness
    written = np.zeros(cells.size, dtype=np.bool_)
    add_evidence(levels, written, blocks, pairs, success,
                 evidence[0] if success else evidence[1])
    put_written(values, stamps, rates, cells, levels, written, time)
    if not success:
        add_to_cell(values, stamps, rates, starts[6] + responders[0], shock, time)
    return effectiveness, success


@kernel
def add_evidence(levels: Floats, written: NDArray[np.bool_], start: int, pairs: int,
                 success: bool, amount: float) -> None:
    """Trust evidence, good or bad, of every member about every other: `amount` added to
    the positive (or negative) block of a joint activity's `levels`, which begins after
    `start` cells of standards, proficiency and familiarity."""
    begin = start + (pairs if success else 2 * pairs)
    for k in range(begin, begin + pairs):
        levels[k] += amount
        written[k] = True


@kernel
def deliver_module(values: Floats, stamps: Floats, rates: Floats, trained: Positions,
                   gains: Floats, added: Positions, amounts: Floats, partner_cells: Positions,
                   base_capability: float, capability_gain: float, base_openness: float,
                   tolerance: float, bias_weight: float, trained_together: Floats,
                   ally_rank: Positions, partner_rank: Positions, is_ally: NDArray[np.bool_],
                   together: Positions, domains: Positions, time: float) -> float:
    """One module of a program (docs/model.md 4.7): the learning rule on the `trained`
    cells, trust in the provider and pressure `added`, the partner's capability, then
    bias evidence about the provider if the pressure is past what the partner's openness
    tolerates. `partner_cells` are the partner's capability gained, pressure, openness
    lost and evidence against the provider. Returns the bias evidence (0 within
    tolerance)."""
    capability, pressure, openness_lost, against = partner_cells
    learn_cells(values, stamps, rates, trained, gains, time)
    add_to_cells(values, stamps, rates, added, amounts, time)
    before = cell_at(values, stamps, rates, capability, time)
    # the learning rule on capability, whose gains decay toward the scenario's value
    gained = before + capability_gain * (1.0 - unit(base_capability + before))
    put_cell(values, stamps, rates, capability, gained, time)
    note_training(trained_together, ally_rank, partner_rank, is_ally, together, domains, time)
    openness = unit(base_openness - cell_at(values, stamps, rates, openness_lost, time))
    bias = bias_evidence(cell_at(values, stamps, rates, pressure, time), tolerance, openness,
                         bias_weight)
    if bias > 0:
        add_to_cell(values, stamps, rates, against, bias, time)
    return bias
