"""The dynamics against the mathematics of docs/model.md sections 2-4, not against the code.

Expected values are worked out by hand (or from closed forms written out here
independently, e.g. decay as powers of one half), so a wrong formula fails.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.model import dynamics

unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
evidence = st.floats(min_value=0.0, max_value=1e6, allow_nan=False)
quick = settings(max_examples=200, deadline=None)


# --- decay (docs/model.md section 4.1) ---------------------------------------------------------


def test_decay_rate_is_ln2_over_half_life():
    """A half-life h means a rate of ln 2 / h per day."""
    assert dynamics.decay_rate(365.0) == pytest.approx(0.6931471805599453 / 365.0, rel=1e-15)


@pytest.mark.parametrize("half_life", [1.0, 180.0, 365.0, 1825.0])
def test_decayed_halves_after_one_half_life_and_quarters_after_two(half_life):
    """After h days exactly half is left, after 2h a quarter, after h/2 one over root two."""
    rate = dynamics.decay_rate(half_life)
    assert dynamics.decayed(0.8, rate, half_life) == pytest.approx(0.4, rel=1e-14)
    assert dynamics.decayed(0.8, rate, 2 * half_life) == pytest.approx(0.2, rel=1e-14)
    assert dynamics.decayed(1.0, rate, half_life / 2) == pytest.approx(2 ** -0.5, rel=1e-14)


def test_decayed_matches_powers_of_one_half_on_arrays():
    """Exponential decay is 2**(-dt/h), elementwise over values and over elapsed times."""
    values = np.array([0.9, 0.5, 0.1])
    elapsed = np.array([0.0, 100.0, 1000.0])
    got = dynamics.decayed(values, dynamics.decay_rate(365.0), elapsed)
    np.testing.assert_allclose(got, values * 0.5 ** (elapsed / 365.0), rtol=1e-14)


@pytest.mark.parametrize("first, second", [(0.0, 10.0), (1.5, 2.5), (100.0, 265.0), (1e3, 4e3)])
def test_decaying_in_two_steps_equals_one_step(first, second):
    """Decay applied exactly composes: dt1 then dt2 is dt1 + dt2 (no per-step error)."""
    rate = dynamics.decay_rate(730.0)
    two_steps = dynamics.decayed(dynamics.decayed(0.7, rate, first), rate, second)
    assert two_steps == pytest.approx(dynamics.decayed(0.7, rate, first + second), abs=1e-12)


@pytest.mark.parametrize("elapsed", [0.0, 1.0, 365.0, 1e6])
def test_zero_stays_zero(elapsed):
    """Nothing decays into something."""
    assert dynamics.decayed(0.0, dynamics.decay_rate(365.0), elapsed) == 0.0


# --- learning rule (docs/model.md section 4.2) ---------------------------------------------------


def test_learning_gain_is_the_product_of_its_factors():
    """g = rate * intensity * absorb * fit when that lies in [0, 1]."""
    assert dynamics.learning_gain(0.3, 1.5, 0.8, 1.0) == pytest.approx(0.36, abs=1e-15)
    assert dynamics.learning_gain(0.1, 1.0, 0.5, 0.25) == pytest.approx(0.0125, abs=1e-15)


def test_learning_gain_is_clipped_to_the_unit_interval():
    """A gain above 1 would overshoot full mastery; below 0 it would unlearn."""
    assert dynamics.learning_gain(0.9, 4.0, 1.0, 1.0) == 1.0
    assert dynamics.learning_gain(-0.5, 1.0, 1.0, 1.0) == 0.0
    np.testing.assert_array_equal(
        dynamics.learning_gain(0.5, 2.0, np.array([0.2, 0.5, 1.0, 3.0]), 1.0),
        [0.2, 0.5, 1.0, 1.0],
    )


def test_learning_gain_broadcasts_absorb_against_fit():
    """Nations as rows (absorb) times domains as columns (fit)."""
    gain = dynamics.learning_gain(0.5, 1.0, np.array([[1.0], [0.5]]), np.array([1.0, 0.5]))
    np.testing.assert_allclose(gain, [[0.5, 0.25], [0.25, 0.125]], rtol=1e-15)


def test_learn_closes_a_share_of_the_gap():
    """x + g (1 - x): 0.2 with g = 0.5 goes half way to 1."""
    assert dynamics.learn(0.2, 0.5) == pytest.approx(0.6, abs=1e-15)
    assert dynamics.learn(0.9, 0.5) == pytest.approx(0.95, abs=1e-15)


def test_repeated_learning_has_diminishing_returns():
    """From 0, n trainings give 1 - (1 - g)**n; each step gains less than the one before."""
    gain, level, steps = 0.3, 0.0, []
    for n in range(1, 21):
        new_level = dynamics.learn(level, gain)
        steps.append(new_level - level)
        level = new_level
        assert level == pytest.approx(1.0 - (1.0 - gain) ** n, abs=1e-14)
    assert all(later < earlier for earlier, later in zip(steps, steps[1:]))
    assert steps[1] / steps[0] == pytest.approx(1.0 - gain, rel=1e-12)


@quick
@given(level=unit, gain=unit)
def test_learn_stays_in_the_unit_interval(level, gain):
    """An index in [0, 1] trained with a gain in [0, 1] stays an index, and never falls."""
    learned = dynamics.learn(level, gain)
    assert level <= learned <= 1.0


@quick
@given(level=unit)
def test_full_gain_gives_mastery_and_no_gain_leaves_the_level(level):
    """g = 1 closes the whole gap; g = 0 changes nothing."""
    assert dynamics.learn(level, 1.0) == pytest.approx(1.0, abs=1e-15)
    assert dynamics.learn(level, 0.0) == level


# --- trained steady state (docs/model.md section 4.2) ------------------------------------------


@pytest.mark.parametrize("gain, half_life, interval", [
    (0.3, 365.0, 182.5),
    (0.05, 365.0, 30.0),
    (0.9, 730.0, 365.0),
    (0.1, 1825.0, 730.0),
])
def test_training_every_interval_converges_to_the_closed_form(gain, half_life, interval):
    """Decay for tau days then learn, repeated, settles at g / (1 - (1 - g) exp(-lambda tau))."""
    rate = dynamics.decay_rate(half_life)
    closed_form = gain / (1.0 - (1.0 - gain) * 0.5 ** (interval / half_life))
    assert dynamics.trained_steady_state(gain, rate, interval) == pytest.approx(
        closed_form, abs=1e-12)
    for start in (0.0, 0.3, 0.99, 1.0):
        level = start
        for _ in range(2000):
            level = dynamics.learn(dynamics.decayed(level, rate, interval), gain)
        assert level == pytest.approx(closed_form, abs=1e-12)


@pytest.mark.parametrize("gain, interval", [(0.3, 182.5), (0.05, 30.0), (0.6, 365.0)])
def test_convergence_to_the_steady_state_is_geometric(gain, interval):
    """The distance to y* shrinks by exactly (1 - g) exp(-lambda tau) per training."""
    rate = dynamics.decay_rate(365.0)
    steady = dynamics.trained_steady_state(gain, rate, interval)
    contraction = (1.0 - gain) * 0.5 ** (interval / 365.0)
    for start in (0.0, 0.5, 1.0):
        level = start
        for _ in range(10):
            following = dynamics.learn(dynamics.decayed(level, rate, interval), gain)
            assert following - steady == pytest.approx(contraction * (level - steady), abs=1e-12)
            level = following


def test_steady_state_is_a_fixed_point():
    """Just after training at y*, decaying and training once more lands on y* again."""
    rate, gain, interval = dynamics.decay_rate(365.0), 0.25, 90.0
    steady = dynamics.trained_steady_state(gain, rate, interval)
    assert dynamics.learn(dynamics.decayed(steady, rate, interval), gain) == pytest.approx(
        steady, abs=1e-14)


# --- trust (docs/model.md sections 2 and 4.4) -----------------------------------------------------


def test_trust_is_the_beta_reputation_on_hand_numbers():
    """(W t0 + A) / (W + A + B) with W = 2, t0 = 0.45, A = 3, B = 1: 3.9 / 6 = 0.65."""
    assert dynamics.trust(3.0, 1.0, 0.45, 2.0) == pytest.approx(0.65, abs=1e-15)
    assert dynamics.trust(0.5, 2.0, 0.6, 2.0) == pytest.approx(1.7 / 4.5, abs=1e-15)


@pytest.mark.parametrize("prior", [0.0, 0.35, 0.45, 0.6, 1.0])
def test_no_evidence_gives_the_prior(prior):
    """Unused, trust is t0."""
    assert dynamics.trust(0.0, 0.0, prior, 2.0) == pytest.approx(prior, abs=1e-15)


def test_only_positive_evidence_tends_to_one_and_only_negative_to_zero():
    """1 - T = W (1 - t0) / (W + A) rises toward 1; T = W t0 / (W + B) falls toward 0."""
    amounts = [1.0, 10.0, 1e3, 1e6]
    positive = [dynamics.trust(a, 0.0, 0.45, 2.0) for a in amounts]
    negative = [dynamics.trust(0.0, b, 0.45, 2.0) for b in amounts]
    for amount, up, down in zip(amounts, positive, negative):
        assert 1.0 - up == pytest.approx(2.0 * 0.55 / (2.0 + amount), rel=1e-9)
        assert down == pytest.approx(2.0 * 0.45 / (2.0 + amount), rel=1e-12)
    assert positive == sorted(positive) and positive[-1] > 1 - 1e-5
    assert negative == sorted(negative, reverse=True) and negative[-1] < 1e-5


@quick
@given(positive=evidence, negative=evidence, prior=unit,
       weight=st.floats(min_value=0.01, max_value=100.0))
def test_trust_stays_in_the_unit_interval(positive, negative, prior, weight):
    """Whatever the evidence, trust is an index."""
    assert 0.0 <= dynamics.trust(positive, negative, prior, weight) <= 1.0


@quick
@given(successes=st.integers(min_value=0, max_value=1000))
def test_one_failure_cancels_two_successes_from_an_even_prior(successes):
    """With failure weighing 2 and success 1, 2n successes and n failures leave t0 = 0.5."""
    failure_weight, success_weight = 2.0, 1.0
    positive = success_weight * 2 * successes
    negative = failure_weight * successes
    assert dynamics.trust(positive, negative, 0.5, 2.0) == 0.5


def test_trust_works_on_matrices():
    """Elementwise over directed pairs, each with its own prior."""
    got = dynamics.trust(np.array([[0.0, 2.0], [1.0, 0.0]]), np.array([[0.0, 0.0], [1.0, 0.0]]),
                         np.array([[1.0, 0.45], [0.45, 1.0]]), 2.0)
    np.testing.assert_allclose(got, [[1.0, 2.9 / 4.0], [1.9 / 4.0, 1.0]], rtol=1e-15)


# --- interoperability (docs/model.md sections 2 and 4.4) ------------------------------------------


def test_interoperability_on_hand_numbers():
    """0.4 min(0.5, 0.7) + 0.3 sqrt(0.9 * 0.4) + 0.3 * 0.2 = 0.2 + 0.18 + 0.06."""
    got = dynamics.interoperability(0.5, 0.7, 0.9, 0.4, 0.2, (0.4, 0.3, 0.3))
    assert got == pytest.approx(0.44, abs=1e-15)
    other_weights = dynamics.interoperability(0.5, 0.7, 0.9, 0.4, 0.2, (0.5, 0.25, 0.25))
    assert other_weights == pytest.approx(0.25 + 0.15 + 0.05, abs=1e-15)


def test_interoperability_per_domain_on_arrays():
    """The weakest standard binds per domain; familiarity is shared by the domains."""
    got = dynamics.interoperability(np.array([0.8, 0.2]), np.array([0.1, 0.6]),
                                    np.array([0.7, 1.0]), np.array([0.2, 0.25]),
                                    0.05, (0.4, 0.3, 0.3))
    expected = [0.4 * 0.1 + 0.3 * math.sqrt(0.14) + 0.015, 0.4 * 0.2 + 0.3 * 0.5 + 0.015]
    np.testing.assert_allclose(got, expected, rtol=1e-14)


@quick
@given(s_i=unit, s_j=unit, p_i=unit, p_j=unit, familiarity=unit)
def test_interoperability_is_symmetric(s_i, s_j, p_i, p_j, familiarity):
    """I[i, j] = I[j, i]: min, geometric mean and familiarity are all symmetric."""
    weights = (0.4, 0.3, 0.3)
    assert dynamics.interoperability(s_i, s_j, p_i, p_j, familiarity, weights) == pytest.approx(
        dynamics.interoperability(s_j, s_i, p_j, p_i, familiarity, weights), abs=1e-15)


@quick
@given(s_i=unit, s_j=unit, p_i=unit, p_j=unit, familiarity=unit,
       raw_weights=st.tuples(*[st.floats(min_value=0.01, max_value=1.0)] * 3))
def test_interoperability_stays_in_the_unit_interval(s_i, s_j, p_i, p_j, familiarity,
                                                     raw_weights):
    """A weighted mean of indices, with weights summing to 1, is an index."""
    total = sum(raw_weights)
    weights = tuple(w / total for w in raw_weights)
    value = dynamics.interoperability(s_i, s_j, p_i, p_j, familiarity, weights)
    assert 0.0 <= value <= 1.0 + 1e-12


def test_full_and_empty_interoperability():
    """Everything at 1 is index 1 (integrated); nothing at all is 0."""
    assert dynamics.interoperability(1.0, 1.0, 1.0, 1.0, 1.0, (0.4, 0.3, 0.3)) == pytest.approx(1.0)
    assert dynamics.interoperability(0.0, 1.0, 0.0, 1.0, 0.0, (0.4, 0.3, 0.3)) == 0.0


@pytest.mark.parametrize("index, level", [
    (0.0, 0), (0.2499, 0), (0.25, 1), (0.4999, 1), (0.5, 2), (0.7499, 2), (0.75, 3), (1.0, 3),
])
def test_interoperability_levels_at_the_edges(index, level):
    """NATO-style levels: each edge belongs to the level above it."""
    assert dynamics.interoperability_level(index) == level


def test_interoperability_levels_on_an_array():
    np.testing.assert_array_equal(
        dynamics.interoperability_level(np.array([0.1, 0.25, 0.6, 0.75, 0.74])), [0, 1, 2, 3, 2])


# --- exercises and programs (docs/model.md section 4) -------------------------------------------


def test_exercise_success_probability():
    """m + (1 - m) I: m with no interoperability, 1 with full, linear between."""
    assert dynamics.exercise_success_probability(0.0, 0.2) == pytest.approx(0.2, abs=1e-15)
    assert dynamics.exercise_success_probability(1.0, 0.2) == pytest.approx(1.0, abs=1e-15)
    assert dynamics.exercise_success_probability(0.5, 0.2) == pytest.approx(0.6, abs=1e-15)
    assert dynamics.exercise_success_probability(0.3, 1.0) == pytest.approx(1.0, abs=1e-15)


def test_program_fit():
    """Tailored and needed 1; untailored and needed `untailored_fit`; not needed halves either."""
    needed = np.array([True, False])
    np.testing.assert_array_equal(dynamics.program_fit(True, needed, 0.5), [1.0, 0.5])
    np.testing.assert_array_equal(dynamics.program_fit(False, needed, 0.5), [0.5, 0.25])
    np.testing.assert_array_equal(dynamics.program_fit(False, needed, 0.8), [0.8, 0.4])


def test_bias_evidence_is_zero_up_to_the_threshold():
    """Pressure up to tolerance * openness (3 * 0.5 = 1.5) is tolerated."""
    for pressure in (0.0, 1.0, 1.5):
        assert dynamics.bias_evidence(pressure, 3.0, 0.5, 1.0) == 0.0


def test_bias_evidence_is_linear_above_the_threshold():
    """weight * (pressure - threshold): slope `weight`, starting at the threshold."""
    assert dynamics.bias_evidence(2.0, 3.0, 0.5, 1.0) == pytest.approx(0.5, abs=1e-15)
    assert dynamics.bias_evidence(2.0, 3.0, 0.5, 2.0) == pytest.approx(1.0, abs=1e-15)
    assert dynamics.bias_evidence(3.5, 3.0, 0.5, 2.0) == pytest.approx(4.0, abs=1e-15)
    assert dynamics.bias_evidence(1.0, 2.0, 0.2, 1.0) == pytest.approx(0.6, abs=1e-15)


# --- crises and sharing (docs/model.md section 4) -----------------------------------------------


def test_crisis_effectiveness_on_hand_numbers():
    """K = 0.8 x 0.9 + 0.4 x 0.5 = 0.92; (1 - exp(-0.92 / 1)) x (1 + 0.2 x 0.5)."""
    assert dynamics.crisis_effectiveness([0.8, 0.4], [0.9, 0.5], 0.5, 0.2, 1.0) == pytest.approx(
        (1 - math.exp(-0.92)) * 1.1, abs=1e-15)
    assert dynamics.crisis_effectiveness([0.6], [0.5], 0.0, 0.2, 2.0) == pytest.approx(
        1 - math.exp(-0.15), abs=1e-15)


def test_crisis_effectiveness_is_clipped():
    """A strong coalition with full warning would pass 1: a chance is at most 1."""
    assert dynamics.crisis_effectiveness([1.0, 1.0], [1.0, 1.0], 1.0, 0.5, 0.1) == 1.0
    assert dynamics.crisis_effectiveness([0.5], [0.5], 1.0, -3.0, 1.0) == 0.0


@quick
@given(st.lists(st.tuples(unit, unit), min_size=1, max_size=6), unit, unit, unit,
       st.floats(0.1, 5.0))
def test_a_helper_never_lowers_the_chance_and_helps_more_when_interoperable(
        members, capability, usable, warning, difficulty):
    """Adding a responder with any capability and usable share never lowers the chance;
    raising its usable share (its interoperability with the host) never lowers it either."""
    capabilities, shares = (list(values) for values in zip(*members, strict=True))

    def chance(extra_share: float) -> float:
        return dynamics.crisis_effectiveness([*capabilities, capability], [*shares, extra_share],
                                             warning, 0.2, difficulty)
    without = dynamics.crisis_effectiveness(capabilities, shares, warning, 0.2, difficulty)
    assert chance(usable) >= without
    assert chance(min(1.0, usable + 0.1)) >= chance(usable)


def test_participation_falls_in_proportion_to_trust_below_full_trust():
    """will x interest 0.8: full at trust 0.5 or more, half at 0.25, none at 0."""
    np.testing.assert_allclose(
        dynamics.participation_chance(np.full(4, 0.8), np.array([0.9, 0.5, 0.25, 0.0]), 0.5),
        [0.8, 0.8, 0.4, 0.0], rtol=0, atol=1e-15)
    assert dynamics.participation_chance(0.8, 0.0, 0.0) == 0.8  # no trust needed


def test_sharing_needs_trust_both_ways_threshold_inclusive():
    """0 and 1 trust each other at least 0.65 (one exactly); 0 and 2 do not (0.6 back)."""
    trust = np.array([
        [1.0, 0.7, 0.9],
        [0.65, 1.0, 0.64],
        [0.6, 0.99, 1.0],
    ])
    shares = dynamics.sharing(trust, 0.65)
    np.testing.assert_array_equal(shares, [
        [False, True, False],
        [True, False, False],
        [False, False, False],
    ])
    np.testing.assert_array_equal(shares, shares.T)


def test_nobody_shares_with_themselves():
    """Full self-trust does not make a sharing link."""
    assert not dynamics.sharing(np.ones((3, 3)), 0.5).diagonal().any()
    assert dynamics.sharing(np.ones((3, 3)), 0.5).sum() == 6


def test_early_warning_counts_allies_and_those_sharing_with_an_ally():
    """Nation 0 is the ally; 1 shares with it; 2 shares only with partner 3; 3 with nobody."""
    shares = np.zeros((4, 4), dtype=bool)
    shares[0, 1] = shares[1, 0] = True
    shares[2, 3] = shares[3, 2] = True
    allies = np.array([0])

    def warning(members):
        members = np.array(members)
        return dynamics.early_warning(shares[np.ix_(members, allies)], np.isin(members, allies))

    assert warning([1, 2, 3]) == pytest.approx(1 / 3)
    assert warning([2, 3]) == 0.0
    assert warning([0, 2]) == pytest.approx(0.5)
    assert warning([0, 1]) == 1.0


def test_early_warning_of_an_empty_region_is_zero():
    assert dynamics.early_warning(np.zeros((0, 1), dtype=bool), np.zeros(0, dtype=bool)) == 0.0


# --- budgets and disruptions (docs/model.md section 4) ------------------------------------------


def test_budget_grant():
    """annual_budget * will * (1 - cut): 200 * 0.8 * 0.75 = 120."""
    assert dynamics.budget_grant(200.0, 0.8, 0.25) == pytest.approx(120.0, rel=1e-15)
    assert dynamics.budget_grant(200.0, 0.8, 0.0) == pytest.approx(160.0, rel=1e-15)
    assert dynamics.budget_grant(200.0, 0.8, 1.0) == 0.0


def test_cuts_compound():
    """Two 20% cuts leave 0.8 * 0.8 = 64%, a 36% cut; no cut is 0; a full cut stays full."""
    assert dynamics.combined_cut([0.2, 0.2]) == pytest.approx(0.36, abs=1e-15)
    assert dynamics.combined_cut([0.25]) == pytest.approx(0.25, abs=1e-15)
    assert dynamics.combined_cut([]) == 0.0
    assert dynamics.combined_cut([1.0, 0.3]) == 1.0


@pytest.mark.parametrize("base, deficit, floor, half_life", [
    (0.8, 0.5, 0.5, 365.0),
    (0.6, 0.4, 0.3, 365.0),
    (1.0, 0.9, 0.99, 30.0),
])
def test_recovery_days_reaches_the_floor_exactly(base, deficit, floor, half_life):
    """At the returned t, base - deficit * exp(-rate t) is the floor; just before, below it."""
    rate = dynamics.decay_rate(half_life)
    days = dynamics.recovery_days(base, deficit, floor, rate)
    assert days > 0
    assert base - deficit * 0.5 ** (days / half_life) == pytest.approx(floor, abs=1e-9)
    assert base - deficit * 0.5 ** ((days - 1e-3) / half_life) < floor


def test_recovery_days_on_hand_numbers():
    """0.8 - 0.4 * 2**(-t/365) = 0.6 when 2**(-t/365) = 1/2: one half-life."""
    assert dynamics.recovery_days(0.8, 0.4, 0.6, dynamics.decay_rate(365.0)) == pytest.approx(
        365.0, rel=1e-12)


def test_no_recovery_needed_when_already_at_or_above_the_floor():
    rate = dynamics.decay_rate(365.0)
    assert dynamics.recovery_days(0.8, 0.2, 0.5, rate) == 0.0
    assert dynamics.recovery_days(0.8, 0.3, 0.5, rate) == 0.0
    assert dynamics.recovery_days(0.8, 0.0, 0.5, rate) == 0.0


def test_never_recovers_when_the_base_is_at_or_below_the_floor():
    """The deficit only tends to zero, so a base at the floor is never reached from below."""
    rate = dynamics.decay_rate(365.0)
    assert dynamics.recovery_days(0.5, 0.3, 0.5, rate) == math.inf
    assert dynamics.recovery_days(0.4, 0.3, 0.5, rate) == math.inf


@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=300))
def test_mean_has_exactly_the_bits_of_numpy_mean(values):
    """The engine's cheap mean must not change a run's numbers (tests/test_pinned.py)."""
    array = np.array(values)
    assert dynamics.mean(array) == np.mean(array)
    assert dynamics.mean(array > 0.5) == np.mean(array > 0.5)


def _matrices(seed: int, *shape: int) -> np.ndarray:
    return np.random.default_rng(seed).random(shape)


@quick
@given(seed=st.integers(0, 2**32 - 1), weight=st.floats(min_value=0.01, max_value=100.0))
def test_trust_in_place_has_exactly_the_bits_of_trust(seed, weight):
    """The end-of-run snapshot's allocation-free trust must not change a run's numbers."""
    positive, negative = 5 * _matrices(seed, 2, 3, 4, 4)
    prior = _matrices(seed + 1, 4, 4)
    expected = dynamics.trust(positive, negative, prior, weight)
    out = np.empty_like(positive)
    got = dynamics.trust(positive.copy(), negative, prior, weight, out=out)
    assert got is out
    assert got.tobytes() == expected.tobytes()


