"""The model's dynamics as pure functions: numbers and arrays in, numbers and arrays out.

Each function is one formula of docs/model.md, and each has a test against its
closed form. Functions accept plain floats or numpy arrays alike.
"""

from __future__ import annotations

import math
import typing
from typing import overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]
Values = float | Array
"""What the formulas take and give: a plain float, or an array of them cell by cell.
Their overloads say which: floats give a float; an array first among the values gives
an array; other mixtures, either."""
LN2 = math.log(2.0)
LEVEL_EDGES = (0.25, 0.5, 0.75)
"""Interoperability levels: below 0.25 not interoperable (0), deconflicted (1),
compatible (2), integrated (3)."""


def mean(values: ArrayLike) -> float:
    """The mean, as `np.mean` works it out (sum, then one division: the same bits),
    without its overhead, which dominates on the few cells of one event."""
    values = np.asarray(values)
    return float(np.add.reduce(values, axis=None) / values.size)  # what .sum() calls


def decay_rate(half_life_days: float) -> float:
    """Exponential decay rate per day of a quantity with this half-life."""
    return LN2 / half_life_days


@overload
def decayed(value: float, rate: float, elapsed_days: float, out: None = None) -> float: ...
@overload
def decayed(value: Array, rate: Values, elapsed_days: Values, out: Array | None = None
            ) -> Array: ...
@overload
def decayed(value: Values, rate: Values, elapsed_days: Values, out: Array | None = None
            ) -> Values: ...


def decayed(value: Values, rate: Values, elapsed_days: Values,
            out: NDArray[np.float64] | None = None) -> Values:
    """A quantity after `elapsed_days` of exponential decay toward zero, exactly.

    With `out` (which may be `elapsed_days` itself) the same arithmetic runs in
    place: large batches then cost no fresh memory."""
    if out is None:
        return value * np.exp(-rate * elapsed_days)
    np.multiply(rate, elapsed_days, out=out)
    np.negative(out, out=out)  # -(r t) is (-r) t exactly, without a negated copy of `rate`
    np.exp(out, out=out)
    return np.multiply(value, out, out=out)


@overload
def learning_gain(rate: float, intensity: float, absorb: float, fit: float) -> float: ...
@overload
def learning_gain(rate: float, intensity: float, absorb: Array, fit: Values) -> Array: ...
@overload
def learning_gain(rate: float, intensity: float, absorb: Values, fit: Values) -> Values: ...


def learning_gain(rate: float, intensity: float, absorb: Values, fit: Values) -> Values:
    """Share of the remaining gap one training closes: `clip(rate*intensity*absorb*fit, 0, 1)`."""
    gain = rate * intensity * absorb * fit
    return np.minimum(np.maximum(gain, 0.0), 1.0)  # np.clip, without its overhead


@overload
def learn(level: float, gain: float) -> float: ...
@overload
def learn(level: Array, gain: Values) -> Array: ...
@overload
def learn(level: Values, gain: Values) -> Values: ...


def learn(level: Values, gain: Values) -> Values:
    """The learning rule with diminishing returns: `x + g * (1 - x)`."""
    return level + gain * (1.0 - level)


def trained_steady_state(gain: float, rate: float, interval_days: float) -> float:
    """Level just after each training, once trainings every `interval_days` have settled."""
    return gain / (1.0 - (1.0 - gain) * math.exp(-rate * interval_days))


@overload
def trust(positive: float, negative: float, prior: float, prior_weight: float,
          out: None = None) -> float: ...
@overload
def trust(positive: Array, negative: Values, prior: Values, prior_weight: float,
          out: Array | None = None) -> Array: ...
@overload
def trust(positive: Values, negative: Values, prior: Values, prior_weight: float,
          out: Array | None = None) -> Values: ...


def trust(positive: Values, negative: Values, prior: Values, prior_weight: float,
          out: NDArray[np.float64] | None = None) -> Values:
    """Beta-reputation trust: `(W*t0 + A) / (W + A + B)`; with no evidence it is `t0`.

    With `out` the same arithmetic runs without fresh memory, and `positive`
    (an array then) is overwritten: large batches of matrices cost nothing new."""
    if out is None:
        return (prior_weight * prior + positive) / (prior_weight + positive + negative)
    positive = typing.cast(NDArray[np.float64], positive)  # an array with `out`, as said
    np.add(np.multiply(prior, prior_weight, out=out), positive, out=out)
    denominator = np.add(np.add(positive, prior_weight, out=positive), negative, out=positive)
    return np.divide(out, denominator, out=out)


@overload
def interoperability(standards_i: float, standards_j: float,
                     proficiency_i: float, proficiency_j: float,
                     familiarity: float, weights: tuple[float, float, float]) -> float: ...
@overload
def interoperability(standards_i: Array, standards_j: Values,
                     proficiency_i: Values, proficiency_j: Values,
                     familiarity: Values, weights: tuple[float, float, float]) -> Array: ...
@overload
def interoperability(standards_i: Values, standards_j: Values,
                     proficiency_i: Values, proficiency_j: Values,
                     familiarity: Values, weights: tuple[float, float, float]) -> Values: ...


def interoperability(standards_i: Values, standards_j: Values,
                     proficiency_i: Values, proficiency_j: Values,
                     familiarity: Values, weights: tuple[float, float, float]) -> Values:
    """`w_std*min(S_i, S_j) + w_prof*sqrt(P_i*P_j) + w_fam*F_ij`: the weakest standard binds."""
    w_standards, w_proficiency, w_familiarity = weights
    return (
        w_standards * np.minimum(standards_i, standards_j)
        + w_proficiency * np.sqrt(proficiency_i * proficiency_j)
        + w_familiarity * familiarity
    )


def interoperability_level(index: Values) -> NDArray[np.int64]:
    """NATO-style level 0-3 of an interoperability index."""
    return np.searchsorted(LEVEL_EDGES, index, side="right")


def exercise_success_probability(mean_interoperability: float, min_success: float) -> float:
    """Better-integrated participants succeed more often: `m + (1 - m) * mean I`."""
    return min_success + (1.0 - min_success) * mean_interoperability


def program_fit(tailored: bool, needed: Values, untailored_fit: float) -> Values:
    """A program's fit in each domain: tailored 1, else `untailored_fit`; halved if not needed."""
    base = 1.0 if tailored else untailored_fit
    return base * np.where(needed, 1.0, 0.5)


def bias_evidence(pressure: float, tolerance: float, openness: float, weight: float) -> float:
    """Negative evidence from pressure above `tolerance * openness` (0 when below)."""
    return weight * max(0.0, pressure - tolerance * openness)


def participation_chance(will_times_interest: Values, trust_in_host: Values,
                         full_participation_trust: float) -> Values:
    """`will * interest * min(1, T / full trust)`: an invitee that trusts the host less than
    `full_participation_trust` takes part less often."""
    if full_participation_trust <= 0:
        return will_times_interest
    return will_times_interest * np.minimum(1.0, np.asarray(trust_in_host)
                                            / full_participation_trust)


def crisis_effectiveness(capabilities: Values, usable_shares: Values, warning: float,
                         warning_bonus: float, difficulty: float) -> float:
    """Chance a response succeeds: `clip((1 - exp(-K / difficulty)) * (1 + bonus * warning))`
    with usable strength `K = sum(c_i * u_i)`, where `u_i` is the share of responder i's
    capability the coalition can use (its interoperability with the host). Each responder
    adds to K: a helper never lowers the chance, and a more interoperable one raises it
    more."""
    strength = float(np.dot(capabilities, usable_shares))
    value = -math.expm1(-strength / difficulty) * (1.0 + warning_bonus * warning)
    return min(1.0, max(0.0, value))


def sharing(trust_matrix: NDArray[np.float64], threshold: float) -> NDArray[np.bool_]:
    """Who shares information: trust both ways at least `threshold` (never with oneself).
    A stack of matrices (leading axes) gives a stack of answers."""
    both_ways = np.minimum(trust_matrix, trust_matrix.swapaxes(-1, -2)) >= threshold
    oneself = np.arange(trust_matrix.shape[-1])
    both_ways[..., oneself, oneself] = False
    return both_ways


def warned(shares_with_allies: NDArray[np.bool_], is_ally: NDArray[np.bool_]
           ) -> NDArray[np.bool_]:
    """Which nations get early warning: allies, and those sharing with an ally.

    Args:
        shares_with_allies: nation x ally, whether the two share (never with oneself);
            leading axes for a stack of them.
        is_ally: whether each nation is itself an ally.
    """
    return shares_with_allies.any(axis=-1) | is_ally


def early_warning(shares_with_allies: NDArray[np.bool_], is_ally: NDArray[np.bool_]) -> float:
    """Share of a region's nations that are allies or share information with one.

    Args:
        shares_with_allies: region member x ally, whether the two share.
        is_ally: whether each member is itself an ally.
    """
    if len(is_ally) == 0:
        return 0.0
    return mean(warned(shares_with_allies, is_ally))


def budget_grant(annual_budget: float, political_will: float, cut: float) -> float:
    """A new budget year's funds: `annual_budget * will * (1 - cut)`."""
    return annual_budget * political_will * (1.0 - cut)


def combined_cut(depths: list[float]) -> float:
    """Overlapping cuts compound: two 20% cuts leave 64%, a 36% cut."""
    remaining = 1.0
    for depth in depths:
        remaining *= 1.0 - depth
    return 1.0 - remaining


def recovery_days(base: float, deficit: float, floor: float, rate: float) -> float:
    """Days until `base - deficit*exp(-rate*t)` is back at `floor` (inf if it never is)."""
    if base - deficit >= floor:
        return 0.0
    if base <= floor:
        return math.inf
    return math.log(deficit / (base - floor)) / rate
