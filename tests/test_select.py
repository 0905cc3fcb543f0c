"""Ranking and selection against their guarantees and against hand-worked cases.

The guarantees are probabilities, so they are checked by Monte Carlo: at least a
thousand macro-replications of a configuration where the guarantee binds (the
best ahead by exactly delta, the others equal: the slippage configuration), with
correlated columns as common random numbers give. A test fails only if the
observed rate is credibly below the promise: fewer successes than a Binomial
with the promised rate gives 99.9% of the time. Every generator is seeded, so
the figures are the same on every run.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import scipy.special
import scipy.stats

from simulator import select

ALLOWANCE = 0.001
"""One-sided level at which an observed rate counts as credibly below its promise."""


def assert_rate_at_least(successes: int, trials: int, promised: float, what: str) -> None:
    """Fail only if P(Binomial(trials, promised) <= successes) < ALLOWANCE."""
    tail = scipy.stats.binom.cdf(successes, trials, promised)
    assert tail >= ALLOWANCE, (f"{what}: {successes}/{trials} = {successes / trials:.3f} is "
                               f"credibly below {promised} (binomial tail {tail:.2g})")


def covariance_root(sds, rho: float) -> np.ndarray:
    """Cholesky root of the covariance with standard deviations `sds` and common correlation."""
    k = len(sds)
    correlation = np.full((k, k), rho)
    np.fill_diagonal(correlation, 1.0)
    return np.linalg.cholesky(np.outer(sds, sds) * correlation)


def normal_sampler(means, sds, rho: float, rng: np.random.Generator):
    """`sample(n)`: n paired normal replications of k systems, as CRN would correlate them."""
    means = np.asarray(means, dtype=float)
    root = covariance_root(sds, rho)

    def sample(n: int) -> np.ndarray:
        return means + rng.standard_normal((n, len(means))) @ root.T

    return sample


def normal_blocks(means, sds, rho: float, macro: int, rows: int,
                  rng: np.random.Generator) -> np.ndarray:
    """`macro` independent (rows, k) experiments at once."""
    means = np.asarray(means, dtype=float)
    root = covariance_root(sds, rho)
    return means + rng.standard_normal((macro, rows, len(means))) @ root.T


def slippage(k: int, delta: float, goal: str = "maximize") -> np.ndarray:
    """The best (last column, so that index order cannot help it) ahead by exactly delta."""
    means = np.zeros(k)
    means[-1] = delta if goal == "maximize" else -delta
    return means


# --- KN's constant ----------------------------------------------------------------------------


def test_kn_h2_by_hand():
    # k = 2, n0 = 2, alpha = 0.05: eta = ((2 * 0.05) ** -2 - 1) / 2 = (100 - 1) / 2 = 49.5,
    # h2 = 2 * 49.5 * 1 = 99.
    assert select.kn_h2(2, 0.95, 2) == pytest.approx(99.0, rel=1e-12)
    # k = 10, n0 = 10: (0.1 / 9) ** (-2/9) = exp(4.499810 * 2/9) = exp(0.999958) = 2.718167,
    # eta = 0.859083, h2 = 18 * eta = 15.4635.
    assert select.kn_h2(10, 0.95, 10) == pytest.approx(15.4635, abs=1e-4)


# --- KN: a story told by hand -----------------------------------------------------------------


def test_kn_eliminates_as_worked_by_hand():
    """k = 3, n0 = 2, delta = 1, 95%: h2 = 2 * ((0.05) ** -2 - 1) / 2 = 399.

    First stage rows [0, 1, 10] and [2, 1, 12]: the differences 0-1 are (-1, 1),
    variance 2; 0-2 are (-10, -10), variance 0; 1-2 are (-9, -11), variance 2. So
    W is 0 between 0 and 2 and r W = (399 * 2 - r) / 2 between 1 and the others.
    At r = 2 the sums are (2, 2, 22): 0 trails 2 with no slack and goes; 1 trails
    by 20 with a slack of 398 and stays. Then rows [nan, 1, 12] (column 0 no longer
    matters): the sums are r and 12 r - 2, so 1 goes once 11 r - 2 > (798 - r) / 2, that is
    11.5 r > 401: first at r = 35.
    """
    procedure = select.KimNelson(3, delta=1.0, n0=2)
    assert procedure.needed() == 2
    assert procedure.add([[0.0, 1.0, 10.0]]) == []
    assert procedure.needed() == 1
    assert procedure.add([[2.0, 1.0, 12.0]]) == [0]
    assert procedure.contenders == [1, 2]
    eliminated = procedure.add(np.tile([math.nan, 1.0, 12.0], (32, 1)))
    assert (eliminated, procedure.contenders, procedure.done) == ([], [1, 2], False)
    assert procedure.add([[math.nan, 1.0, 12.0]]) == [1]  # row 35
    result = procedure.result()
    assert result.best == 2 and procedure.done and procedure.needed() == 0
    assert result.eliminated == {0: 2, 1: 35}
    assert (result.replications, result.runs) == (35, 2 + 35 + 35)
    assert result.history[0] == (2, (1, 2)) and result.history[-1] == (35, (2,))
    assert len(result.history) == 34
    assert (result.procedure, result.n0, result.delta, result.goal) == ("KN", 2, 1.0, "maximize")


def test_minimize_mirrors_maximize_exactly():
    rng = np.random.default_rng(7)
    data = normal_blocks(slippage(5, 0.5), np.linspace(1, 2, 5), 0.5, 1, 400, rng)[0]
    for rows in (data, data[:, ::-1]):
        high = select.KimNelson(5, delta=0.5, n0=10)
        low = select.KimNelson(5, delta=0.5, n0=10, goal="minimize")
        high.add(rows)
        low.add(-rows)
        assert high.done
        assert low.result() == dataclasses.replace(high.result(), goal="minimize")


# --- KN: the guarantee ------------------------------------------------------------------------

KN_CONFIGURATIONS = {
    # name: (k, standard deviations, correlation)
    "k2-unequal-crn": (2, [1.0, 2.0], 0.5),
    "k5-equal-crn": (5, [1.0] * 5, 0.5),
    "k5-equal-independent": (5, [1.0] * 5, 0.0),
    "k5-unequal-crn": (5, list(np.linspace(0.5, 2.0, 5)), 0.5),
    "k10-equal-crn": (10, [1.0] * 10, 0.5),
    "k10-unequal-crn": (10, list(np.linspace(0.5, 2.0, 10)), 0.5),
}


@pytest.mark.parametrize("name", sorted(KN_CONFIGURATIONS))
def test_kn_selects_the_best_at_least_as_often_as_promised(name):
    """Slippage: the best (with the largest standard deviation where they differ) ahead by
    exactly delta = 0.5 standard deviations or less, so that KN runs tens of stages and the
    promise binds (with h2 cut to 30% of its value, the rates for k >= 5 fall to 0.77-0.87).
    1,000 macro-replications at 95%."""
    k, sds, rho = KN_CONFIGURATIONS[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    sample = normal_sampler(slippage(k, 0.5), sds, rho, rng)
    macro = 1000
    results = [select.kn(sample, delta=0.5, confidence=0.95, n0=10) for _ in range(macro)]
    correct = sum(result.best == k - 1 for result in results)
    assert_rate_at_least(correct, macro, 0.95, f"KN PCS, {name}")
    for result in results[:50]:
        assert set(result.eliminated) | {result.best} == set(range(k))
        assert result.runs == sum(result.eliminated.values()) + result.replications


def test_kn_minimize_selects_the_smallest_as_often_as_promised():
    rng = np.random.default_rng(11)
    sample = normal_sampler(slippage(5, 0.5, "minimize"), [1.0] * 5, 0.5, rng)
    results = [select.kn(sample, delta=0.5, goal="minimize") for _ in range(1000)]
    assert_rate_at_least(sum(result.best == 4 for result in results), 1000, 0.95,
                         "KN PCS, minimize")


def test_kn_stops_at_the_first_stage_when_the_gap_is_large():
    rng = np.random.default_rng(3)
    for k in (2, 5, 10):
        means = np.zeros(k)
        means[2 % k] = 20.0
        result = select.kn(normal_sampler(means, [1.0] * k, 0.5, rng), delta=1.0, n0=10)
        assert result.best == 2 % k
        assert result.eliminated == {column: 10 for column in range(k) if column != 2 % k}
        assert (result.replications, result.runs) == (10, 10 * k)
        assert result.history == ((10, (2 % k,)),)


def test_kn_never_runs_past_the_point_where_every_w_is_zero():
    """Whatever the data (equal means, exact ties), KN stops by max(n0, ceil(h2 max S2 / d2))."""
    rng = np.random.default_rng(5)
    h2 = select.kn_h2(4, 0.95, 10)
    for means in ([0, 0, 0, 0], [0, 0.1, 0.2, 0.3], [1, 0, 1, 0]):
        data = normal_blocks(means, [1, 2, 1, 0.5], 0.3, 1, 2000, rng)[0]
        data[:, 2] = data[:, 0]  # an exact tie between columns 0 and 2
        first = data[:10]
        variances = np.var(first[:, :, None] - first[:, None, :], axis=0, ddof=1)
        bound = max(10, math.ceil(h2 * variances.max() / 0.25**2))
        procedure = select.KimNelson(4, delta=0.25, n0=10)
        procedure.add(data)
        assert procedure.done
        assert procedure.result().replications <= bound
        assert procedure.result().best != 2  # the lower index of a tie is kept


# --- KN: edge cases ---------------------------------------------------------------------------


def test_kn_with_one_system_needs_nothing():
    procedure = select.KimNelson(1, delta=1.0)
    assert procedure.done and procedure.needed() == 0 and procedure.contenders == [0]
    assert procedure.result().best == 0
    assert procedure.add(np.empty((0, 1))) == []
    result = select.kn(lambda n: np.ones((n, 1)), delta=1.0, n0=5)
    assert (result.best, result.replications, result.runs) == (0, 5, 5)


def test_zero_variance_of_a_difference_decides_at_once():
    """Columns that differ by constants: every S2 is 0, so W is 0 and the best mean wins."""
    rng = np.random.default_rng(2)
    noise = rng.standard_normal((10, 1))
    procedure = select.KimNelson(3, delta=1.0, n0=10)
    assert procedure.add(noise + [0.0, 0.3, 0.2]) == [0, 2]
    assert procedure.result().best == 1 and procedure.result().replications == 10


def test_exact_ties_keep_the_lowest_index():
    rng = np.random.default_rng(4)
    data = rng.standard_normal((10, 3))
    data[:, 2] = data[:, 0]
    data[:, 1] = data[:, 0] - 100.0
    procedure = select.KimNelson(3, delta=1.0, n0=10)
    assert procedure.add(data) == [1, 2]
    assert procedure.result().best == 0
    assert procedure.result().eliminated == {1: 10, 2: 10}
    identical = select.KimNelson(4, delta=0.1, n0=5)
    identical.add(np.repeat(rng.standard_normal((5, 1)), 4, axis=1))
    assert identical.result().best == 0 and identical.result().replications == 5


def test_a_delta_larger_than_every_difference_decides_at_the_first_stage():
    """With delta far above the noise, h2 S2 / delta^2 < n0: W is already 0, the best mean wins."""
    rng = np.random.default_rng(9)
    data = normal_blocks([0.0, 0.1, 0.2, 0.05], [1.0] * 4, 0.5, 1, 10, rng)[0]
    procedure = select.KimNelson(4, delta=50.0, n0=10)
    procedure.add(data)
    assert procedure.done and procedure.result().replications == 10
    assert procedure.result().best == int(np.argmax(data.mean(axis=0)))


def test_nan_in_a_contender_is_refused_and_changes_nothing():
    rng = np.random.default_rng(6)
    data = rng.standard_normal((12, 3))
    procedure = select.KimNelson(3, delta=0.1, n0=10)
    procedure.add(data[:10])
    broken = data[10:].copy()
    broken[1, 1] = math.nan
    with pytest.raises(ValueError, match=r"row 1 .* non-finite value \(nan\) in column 1, a "
                                         r"system still in contention \(replication 12\)"):
        procedure.add(broken)
    assert procedure.result().replications == 10
    procedure.add(data[10:])
    assert procedure.result().replications == 12


def test_nan_in_the_first_stage_is_refused():
    procedure = select.KimNelson(2, delta=1.0, n0=3)
    with pytest.raises(ValueError, match=r"column 0, a system still in contention"):
        procedure.add([[1.0, 2.0], [math.nan, 1.0]])
    assert procedure.needed() == 3


def test_columns_of_eliminated_systems_are_ignored():
    procedure = select.KimNelson(3, delta=1.0, n0=2)
    procedure.add([[0.0, 1.0, 10.0], [2.0, 1.0, 12.0]])  # eliminates 0 (as worked above)
    assert procedure.add([[math.nan, 1.0, 11.0]]) == []
    assert procedure.result().replications == 3


def test_rows_fed_in_any_grouping_give_the_same_selection():
    """A resumed runner replays what it has: one block, row by row, or as `needed` asks."""
    rng = np.random.default_rng(8)
    data = normal_blocks(slippage(5, 0.4), np.linspace(1, 2, 5), 0.5, 1, 3000, rng)[0]
    whole = select.KimNelson(5, delta=0.4)
    whole.add(data)  # rows past the stop are not used
    single = select.KimNelson(5, delta=0.4)
    for row in data:
        if single.done:
            break
        single.add(row[None, :])
    asked = select.KimNelson(5, delta=0.4)
    position = 0
    while not asked.done:
        step = asked.needed()
        asked.add(data[position:position + step])
        position += step
    assert whole.result() == single.result() == asked.result()
    assert whole.result().replications == position < 3000
    with pytest.raises(ValueError, match=r"already selected column \d; it needs no more rows"):
        whole.add(data[:1])


def test_a_cap_can_stop_kn_before_a_single_system_is_left():
    rng = np.random.default_rng(10)
    sample = normal_sampler([0.0, 0.0, 0.0], [1.0] * 3, 0.0, rng)
    result = select.kn(sample, delta=0.01, n0=10, max_replications=15)
    assert result.best is None and result.replications == 15
    contenders = result.history[-1][1]
    assert result.runs == sum(result.eliminated.values()) + 15 * len(contenders)
    with pytest.raises(ValueError, match="max_replications must be an integer of at least n0"):
        select.kn(sample, delta=1.0, n0=10, max_replications=5)


@pytest.mark.parametrize("arguments, message", [
    ({"delta": 0.0}, r"delta, the indifference zone .* must be a finite number > 0; got 0.0"),
    ({"delta": -1.0}, r"delta, .* got -1.0"),
    ({"delta": math.inf}, r"delta, .* got inf"),
    ({"delta": 1.0, "confidence": 0.2}, r"confidence must lie strictly between 1/k = 0.25 and 1 "
                                        r"for k = 4 systems; got 0.2"),
    ({"delta": 1.0, "confidence": 1.0}, r"confidence must lie strictly between"),
    ({"delta": 1.0, "n0": 1}, r"n0, the first-stage replications, must be an integer >= 2"),
    ({"delta": 1.0, "goal": "max"}, r"goal must be 'maximize' or 'minimize'; got 'max'"),
])
def test_bad_arguments_say_what_is_expected(arguments, message):
    with pytest.raises(ValueError, match=message):
        select.KimNelson(4, **arguments)


def test_rows_of_the_wrong_shape_are_refused():
    procedure = select.KimNelson(3, delta=1.0)
    with pytest.raises(ValueError, match=r"rows must be an \(m, 3\) array, one column per system; "
                                         r"got shape \(2, 2\)"):
        procedure.add(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"sample\(10\) must return an \(10, k\) array"):
        select.kn(lambda n: np.zeros(n), delta=1.0)


# --- Rinott -----------------------------------------------------------------------------------


def test_rinott_h_matches_the_published_table():
    """Bechhofer, Santner & Goldsman (1995), Table 2.13: k = 10, n0 - 1 = 50, P* = 0.975 gives
    4.045 (quoted as the check value of the table's Fortran, ported in KSL's Rinott.kt)."""
    assert select.rinott_h(10, 51, 0.975) == pytest.approx(4.045, abs=5e-4)


def _rinott_h_as_the_tables_were_computed(k: int, n0: int, confidence: float) -> float:
    """BSG's own algorithm (their Fortran, which produced Table 2.13): both integrals by
    32-point Gauss-Laguerre on the chi-square density, a root in h by bisection."""
    nu = n0 - 1
    nodes, weights = scipy.special.roots_laguerre(32)
    weights = weights * np.exp(nodes) * np.exp(scipy.stats.chi2.logpdf(nodes, nu))
    spread = np.sqrt(nu * (1 / nodes[:, None] + 1 / nodes[None, :]))
    low, high = 0.0, 20.0
    for _ in range(60):
        middle = (low + high) / 2
        inner = weights @ scipy.special.ndtr(middle / spread)
        low, high = (middle, high) if weights @ inner ** (k - 1) < confidence else (low, middle)
    return (low + high) / 2


@pytest.mark.parametrize("n0", [10, 20, 40])
@pytest.mark.parametrize("k", [2, 3, 5, 10])
def test_rinott_h_agrees_with_the_tables_algorithm_to_their_precision(k, n0):
    for confidence in (0.90, 0.95, 0.975):
        expected = _rinott_h_as_the_tables_were_computed(k, n0, confidence)
        assert select.rinott_h(k, n0, confidence) == pytest.approx(expected, abs=5e-4)


def test_rinott_h_solves_its_integral_by_monte_carlo():
    """P(h) = E[prod_{j<k} Phi(h / sqrt(nu (1/Y_j + 1/Y_k)))], Y iid chi-square(nu)."""
    k, n0, confidence = 5, 10, 0.95
    h = select.rinott_h(k, n0, confidence)
    rng = np.random.default_rng(12)
    draws = rng.chisquare(n0 - 1, size=(400_000, k))
    spread = np.sqrt((n0 - 1) * (1 / draws[:, :-1] + 1 / draws[:, -1:]))
    estimates = np.prod(scipy.special.ndtr(h / spread), axis=1)
    error = estimates.std() / math.sqrt(len(estimates))
    assert abs(estimates.mean() - confidence) < 4 * error


def test_rinott_h_tends_to_the_known_variance_constant():
    """With n0 huge the variances are known: for k = 2, h = sqrt(2) z_{1-alpha}."""
    assert select.rinott_h(2, 100_001, 0.95) == pytest.approx(
        math.sqrt(2) * scipy.stats.norm.ppf(0.95), abs=1e-3)


def test_rinott_h_grows_with_k_and_confidence_and_shrinks_with_n0():
    assert select.rinott_h(2, 10, 0.95) < select.rinott_h(5, 10, 0.95) < select.rinott_h(
        10, 10, 0.95)
    assert select.rinott_h(5, 10, 0.9) < select.rinott_h(5, 10, 0.95) < select.rinott_h(
        5, 10, 0.99)
    assert select.rinott_h(5, 40, 0.95) < select.rinott_h(5, 20, 0.95) < select.rinott_h(
        5, 5, 0.95) < select.rinott_h(5, 2, 0.95)


def test_rinott_h_refuses_what_has_no_answer():
    with pytest.raises(ValueError, match=r"k must be an integer >= 2; got 1"):
        select.rinott_h(1, 10, 0.95)
    with pytest.raises(ValueError, match=r"between 1/k = 0.5 and 1"):
        select.rinott_h(2, 10, 0.5)


def test_rinott_selects_the_best_at_least_as_often_as_promised():
    """Rinott's setting: independent systems, unequal variances, slippage."""
    rng = np.random.default_rng(13)
    sample = normal_sampler(slippage(5, 1.0), np.linspace(0.5, 2.0, 5), 0.0, rng)
    results = [select.rinott(sample, delta=1.0, n0=10) for _ in range(1000)]
    assert_rate_at_least(sum(result.best == 4 for result in results), 1000, 0.95,
                         "Rinott PCS")
    for result in results[:20]:
        assert set(result.eliminated) | {result.best} == set(range(5))
        assert result.replications >= max(result.eliminated.values())
        assert min(result.eliminated.values()) >= 10
        assert result.history[0] == (10, (0, 1, 2, 3, 4))
    first = np.ones((10, 2)) * [1.0, 2.0] + np.arange(10)[:, None] * [0.0, 0.3]
    calls = []

    def sample(n: int) -> np.ndarray:
        calls.append(n)
        return first if n == 10 else np.zeros((n, 2))

    result = select.rinott(sample, delta=0.5)
    # column 0 has S = 0, so N_0 = n0; column 1 has S = 0.3 sd(0..9) = 0.9083
    needed = math.ceil((select.rinott_h(2, 10, 0.95) * 0.3 * np.std(np.arange(10), ddof=1)
                        / 0.5) ** 2)
    assert calls == [10, needed - 10]
    assert result.eliminated == {0: 10} and result.best == 1
    assert result.runs == 10 + needed and result.replications == needed


# --- subset -----------------------------------------------------------------------------------


def test_subset_uses_the_bonferroni_t_as_worked_by_hand():
    """k = 3, n = 4, 95%: t = t_{1 - 0.05/2, 3} = 3.182446. Column 1 minus column 0 is
    (0, 1, 2, 3) + c: mean 1.5 + c, sd 1.290994, so W = 3.182446 * 1.290994 / 2 = 2.054260,
    and column 0 stays while 1.5 + c <= W, i.e. c <= 0.554260. (Sidak's t_{0.974679, 3} =
    3.165879 would give W = 2.043566 and drop column 0 at c = 0.55.)"""
    for c, kept in ((0.55, [0, 1]), (0.56, [1])):
        data = np.zeros((4, 3))
        data[:, 1] = np.arange(4.0) + c
        data[:, 2] = -100.0
        assert select.subset(data) == kept


@pytest.mark.parametrize("k", [5, 10])
@pytest.mark.parametrize("delta", [0.0, 1.0])
def test_subset_holds_the_best_at_least_as_often_as_promised(k, delta):
    """Where the promise binds: with delta = 0, all means equal (the last column stands for
    the best); with delta > 0, the best ahead by exactly delta."""
    rng = np.random.default_rng(100 * k + int(delta))
    blocks = normal_blocks(slippage(k, delta), np.linspace(0.5, 2.0, k), 0.5, 1000, 10, rng)
    subsets = [select.subset(block, delta=delta) for block in blocks]
    held = sum(k - 1 in chosen for chosen in subsets)
    assert_rate_at_least(held, 1000, 0.95, f"subset holds the best, k = {k}, delta = {delta}")
    if delta > 0:
        assert np.mean([len(chosen) for chosen in subsets]) < k / 2  # it does screen


def test_subset_with_a_large_gap_is_the_best_alone_and_mirrors_for_minimize():
    rng = np.random.default_rng(14)
    data = normal_blocks([0, 0, 30, 0, 0], [1.0] * 5, 0.5, 1, 10, rng)[0]
    assert select.subset(data) == [2]
    assert select.subset(-data, goal="minimize") == [2]
    assert select.subset(data[:, :1]) == [0]


def test_subset_keeps_exact_ties_together():
    rng = np.random.default_rng(15)
    data = rng.standard_normal((10, 3))
    data[:, 1] = data[:, 0]
    data[:, 2] = data[:, 0] - 100
    assert select.subset(data) == [0, 1]


def test_subset_refuses_nan_and_bad_shapes():
    data = np.zeros((5, 3))
    data[3, 2] = math.nan
    with pytest.raises(ValueError, match=r"non-finite value \(nan\) at row 3, column 2"):
        select.subset(data)
    with pytest.raises(ValueError, match=r"observations must be an \(n, k\) array.* got shape "
                                         r"\(1, 3\)"):
        select.subset(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"delta must be a finite number >= 0; got -1"):
        select.subset(np.zeros((5, 3)), delta=-1)


# --- MCB --------------------------------------------------------------------------------------


def _gaps_to_the_best_of_the_others(means: np.ndarray) -> np.ndarray:
    others = np.array([np.delete(means, i).max() for i in range(len(means))])
    return means - others


@pytest.mark.parametrize("means", [[0, 0, 0, 0, 1.0], [0, 0.5, 1.0, 1.5, 2.0], [0, 0, 0, 1, 1]])
def test_mcb_intervals_cover_together_at_least_as_often_as_promised(means):
    rng = np.random.default_rng(int(10 * sum(means)))
    blocks = normal_blocks(means, np.linspace(0.5, 2.0, 5), 0.5, 1000, 15, rng)
    truth = _gaps_to_the_best_of_the_others(np.asarray(means, dtype=float))
    covered = 0
    for block in blocks:
        intervals = np.array(select.mcb(block, confidence=0.9))
        assert np.all(intervals[:, 0] <= 0) and np.all(intervals[:, 1] >= 0)
        covered += bool(np.all((intervals[:, 0] <= truth) & (truth <= intervals[:, 1])))
    assert_rate_at_least(covered, 1000, 0.9, f"MCB simultaneous coverage, means {means}")


def test_mcb_by_hand_and_mirrored_for_minimize():
    """k = 2, n = 4, 95%: t = t_{0.95, 3} = 2.353363 (one comparison, alpha/(k-1) = 0.05).
    Column 1 minus column 0 is (1, 2, 3, 4): mean 2.5, sd 1.290994, w = 2.353363 * 1.290994 / 2
    = 1.519090. For column 1: lower = min(0, 2.5 - w) = 0, upper = max(0, 2.5 + w) = 4.019090;
    for column 0: lower = min(0, -2.5 - w) = -4.019090, upper = max(0, -2.5 + w) = 0."""
    data = np.column_stack([np.zeros(4), np.arange(1.0, 5.0)])
    (low0, high0), (low1, high1) = select.mcb(data)
    assert (low1, high0) == (0.0, 0.0)
    assert high1 == pytest.approx(4.019090, abs=1e-6)
    assert low0 == pytest.approx(-4.019090, abs=1e-6)
    assert select.mcb(-data, goal="minimize") == [(0.0, -low0), (-high1, 0.0)]
    with pytest.raises(ValueError, match="at least 2 columns"):
        select.mcb(data[:, :1])
