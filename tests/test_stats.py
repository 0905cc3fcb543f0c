"""The statistics against the mathematics, not against the code.

Expected values are worked out by hand here (t quantiles quoted from tables,
Holm's procedure stepped through), and the intervals are checked by their
defining property: over many samples they cover the true mean at their
nominal rate, within a binomial band.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from simulator.analysis import stats

T_975_3 = 3.182446305284263  # t_{0.975} with 3 degrees of freedom
T_950_3 = 2.353363434801823  # t_{0.95} with 3 degrees of freedom
quick = settings(max_examples=200, deadline=None)


def coverage_band(trials: int, rate: float = 0.95) -> tuple[float, float]:
    """Counts of covering intervals that a correct `rate` interval gives 99.9% of the time."""
    low, high = scipy.stats.binom.interval(0.999, trials, rate)
    return low, high


# --- holm ------------------------------------------------------------------------------------


def test_holm_by_hand():
    # Sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> max with the
    # previous 0.06 gives 0.06. Back in input order [0.01, 0.04, 0.03, 0.005]:
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_passes_nans_through_and_leaves_them_out_of_the_family():
    """The family is the four real p-values, as above, not six."""
    adjusted = stats.holm([0.01, math.nan, 0.04, 0.03, math.nan, 0.005])
    assert np.isnan(adjusted[[1, 4]]).all()
    assert adjusted[[0, 2, 3, 5]] == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_of_one_p_value_is_that_p_value():
    assert stats.holm([0.2]).tolist() == [0.2]


def test_holm_caps_at_one_and_handles_ties():
    # 0.5*2 = 1.0, then 0.6*1 = 0.6 -> max 1.0; ties: 0.02*2 = 0.04, 0.02*1 -> max 0.04.
    assert stats.holm([0.6, 0.5]) == pytest.approx([1.0, 1.0])
    assert stats.holm([0.4, 0.9, 0.8]) == pytest.approx([1.0, 1.0, 1.0])  # 0.4*3 = 1.2 -> 1
    assert stats.holm([0.02, 0.02]) == pytest.approx([0.04, 0.04])


def test_holm_of_nothing_is_nothing():
    assert stats.holm([]).size == 0


def test_holm_rejects_values_that_are_not_probabilities():
    with pytest.raises(ValueError, match=r"p-values must lie in \[0, 1\]"):
        stats.holm([0.2, 1.5])


p_value = st.floats(min_value=0.0, max_value=1.0)
p_values = st.lists(st.one_of(p_value, st.just(math.nan)), max_size=12)


@quick
@given(p_values)
def test_holm_is_monotone_bounded_and_ignores_nans(p):
    raw = np.array(p, dtype=float)
    adjusted = stats.holm(raw)
    missing = np.isnan(raw)
    assert np.array_equal(np.isnan(adjusted), missing)
    raw, adjusted = raw[~missing], adjusted[~missing]
    family = raw.size
    assert np.all(adjusted >= raw)
    assert np.all(adjusted <= np.minimum(1.0, family * raw))  # never worse than Bonferroni
    order = np.argsort(raw, kind="stable")
    assert np.all(np.diff(adjusted[order]) >= 0)  # a smaller p never gets a larger adjustment
    assert np.array_equal(stats.holm(raw), adjusted)  # the NaNs did not enlarge the family


@quick
@given(st.lists(p_value, min_size=1, max_size=10), st.sampled_from([0.01, 0.05, 0.1]))
def test_holm_adjusted_p_rejects_what_the_step_down_procedure_rejects(p, alpha):
    """Holm's procedure: step through sorted p, reject while p_(i) <= alpha / (m - i + 1)."""
    family = len(p)
    thresholds = [alpha / (family - i) for i in range(family)]
    ordered = sorted(p)
    assume(all(abs(q - t) > 1e-12 for q, t in zip(ordered, thresholds)))  # no ties at the edge
    rejected_count = 0
    for q, threshold in zip(ordered, thresholds):
        if q > threshold:
            break
        rejected_count += 1
    rejected = set(ordered[:rejected_count])
    adjusted = stats.holm(p)
    assert [q in rejected for q in p] == (adjusted <= alpha).tolist()


# --- mean_interval ---------------------------------------------------------------------------


@pytest.mark.parametrize(("confidence", "quantile"), [(0.95, T_975_3), (0.90, T_950_3)])
def test_mean_interval_by_hand(confidence, quantile):
    # [2, 4, 4, 6]: mean 4, sample variance (4 + 0 + 0 + 4) / 3 = 8/3, standard error sqrt(8/3)/2.
    interval = stats.mean_interval([2.0, math.nan, 4.0, 4.0, 6.0], confidence)
    half_width = quantile * math.sqrt(8 / 3) / 2
    assert interval.n == 4
    assert interval.mean == pytest.approx(4.0)
    assert interval.half_width == pytest.approx(half_width, rel=1e-12)
    assert (interval.low, interval.high) == pytest.approx((4 - half_width, 4 + half_width))


def test_mean_interval_of_one_value_has_a_mean_and_no_interval():
    interval = stats.mean_interval([math.nan, 3.5])
    assert (interval.n, interval.mean) == (1, 3.5)
    assert all(math.isnan(x) for x in (interval.low, interval.high, interval.half_width))


def test_mean_interval_of_no_values_is_all_nan():
    interval = stats.mean_interval([math.nan, math.nan])
    assert interval.n == 0
    assert all(math.isnan(x) for x in (interval.mean, interval.low, interval.high))


def test_mean_interval_of_identical_values_has_zero_width():
    interval = stats.mean_interval([0.1, 0.1, 0.1])
    assert interval.half_width == 0.0
    assert interval.low == interval.high == interval.mean == pytest.approx(0.1)


def test_mean_interval_rejects_a_confidence_outside_0_1():
    with pytest.raises(ValueError, match="confidence must lie strictly between 0 and 1; got 95"):
        stats.mean_interval([1.0, 2.0], confidence=95)


def test_mean_interval_covers_the_true_mean_95_percent_of_the_time():
    rng = np.random.default_rng(20261101)
    samples = rng.normal(loc=3.0, scale=2.0, size=(2000, 10))
    covered = 0
    for sample in samples:
        interval = stats.mean_interval(sample)
        covered += interval.low <= 3.0 <= interval.high
    low, high = coverage_band(len(samples))
    assert low <= covered <= high


# --- paired_difference -----------------------------------------------------------------------


def test_paired_difference_by_hand():
    # Differences [0.5, 0.5, 0, 1]: mean 0.5, variance (0 + 0 + 0.25 + 0.25)/3 = 1/6,
    # standard error sqrt(1/6)/2, t = 0.5 / that = sqrt(6) with 3 degrees of freedom.
    baseline = np.array([1.0, 2.0, 3.0, 4.0])
    variant = np.array([1.5, 2.5, 3.0, 5.0])
    difference = stats.paired_difference(baseline, variant)
    half_width = T_975_3 * math.sqrt(1 / 6) / 2
    assert difference.n == 4
    assert difference.mean == pytest.approx(0.5)
    assert (difference.low, difference.high) == pytest.approx((0.5 - half_width, 0.5 + half_width))
    assert difference.p_value == pytest.approx(2 * scipy.stats.t.sf(math.sqrt(6), df=3))


def test_paired_difference_drops_pairs_with_a_nan_in_either_arm():
    # Pairs left: (1, 1.5), (4, 5) -> differences [0.5, 1.0].
    difference = stats.paired_difference([1.0, math.nan, 3.0, 4.0], [1.5, 2.5, math.nan, 5.0])
    assert (difference.n, difference.mean) == (2, pytest.approx(0.75))


def test_paired_difference_with_one_pair_has_no_interval_or_p():
    difference = stats.paired_difference([1.0, math.nan], [2.0, 3.0])
    assert (difference.n, difference.mean) == (1, 1.0)
    assert all(math.isnan(x) for x in (difference.low, difference.high, difference.p_value))


def test_an_unchanged_variant_has_difference_zero_and_p_one():
    """Same seed, same policy: every replication gives the same KPI in both arms."""
    values = [0.3, 0.7, 0.2, 0.9]
    difference = stats.paired_difference(values, values)
    assert difference == stats.PairedDifference(0.0, 0.0, 0.0, 1.0, 4)


def test_a_deterministic_shift_is_certain():
    difference = stats.paired_difference([1.0, 2.0, 3.0], [1.25, 2.25, 3.25])
    assert difference == stats.PairedDifference(0.25, 0.25, 0.25, 0.0, 3)


def test_paired_difference_rejects_arrays_of_different_lengths():
    with pytest.raises(ValueError, match=r"same length.*got shapes \(3,\) and \(2,\)"):
        stats.paired_difference([1.0, 2.0, 3.0], [1.0, 2.0])


def test_common_noise_cancels_in_the_pairs_but_not_in_a_welch_interval():
    """The point of common random numbers: noise shared by both arms drops out of the pairs."""
    rng = np.random.default_rng(7)
    noise = rng.normal(0.0, 1.0, size=20)
    difference = stats.paired_difference(noise, noise + 0.1)
    assert difference.mean == pytest.approx(0.1, abs=1e-12)
    assert difference.high - difference.low < 1e-12
    assert difference.p_value == 0.0
    welch = scipy.stats.ttest_ind(noise + 0.1, noise, equal_var=False).confidence_interval(0.95)
    assert welch.high - welch.low > 0.5  # about 2 * 2.02 * sqrt(2/20) = 1.3


def test_paired_difference_is_invariant_to_noise_shared_by_both_arms():
    rng = np.random.default_rng(11)
    baseline = rng.normal(0.5, 0.05, size=15)
    variant = baseline + 0.1 + rng.normal(0.0, 0.02, size=15)
    shared = rng.normal(0.0, 1.0, size=15)
    plain = stats.paired_difference(baseline, variant)
    noisy = stats.paired_difference(baseline + shared, variant + shared)
    assert (noisy.n, noisy.mean, noisy.low, noisy.high, noisy.p_value) == pytest.approx(
        (plain.n, plain.mean, plain.low, plain.high, plain.p_value), rel=1e-9)
    welch = scipy.stats.ttest_ind(variant + shared, baseline + shared,
                                  equal_var=False).confidence_interval(0.95)
    assert (noisy.high - noisy.low) * 20 < welch.high - welch.low


def test_paired_difference_covers_the_true_difference_and_holds_its_size():
    """Correlated arms (shared noise per replication): coverage 95%, and under no effect
    p < 0.05 in 5% of samples, each within a binomial band."""
    rng = np.random.default_rng(20261102)
    trials, size = 2000, 10
    shared = rng.normal(0.0, 1.0, size=(trials, size))
    baseline = 1.0 + shared + rng.normal(0.0, 0.2, size=(trials, size))
    variant = 1.3 + shared + rng.normal(0.0, 0.2, size=(trials, size))
    null_variant = 1.0 + shared + rng.normal(0.0, 0.2, size=(trials, size))
    covered = rejected = 0
    for k in range(trials):
        difference = stats.paired_difference(baseline[k], variant[k])
        covered += difference.low <= 0.3 <= difference.high
        rejected += stats.paired_difference(baseline[k], null_variant[k]).p_value < 0.05
    low, high = coverage_band(trials)
    assert low <= covered <= high
    low, high = coverage_band(trials, rate=0.05)
    assert low <= rejected <= high


# --- summarise and compare -------------------------------------------------------------------

INTEROP = "final_interop_ally_partner"
CRISIS = "crisis_success_rate"
NAN = math.nan


def experiment_summary() -> pd.DataFrame:
    """Three variants, four replications, rows in a scrambled order; crisis rate NaN where
    no crises happened."""
    runs = {  # variant: (interop by replication, crisis rate by replication)
        "baseline": ([0.40, 0.50, 0.60, 0.70], [0.50, NAN, 0.25, 1.00]),
        "more_exercises": ([0.45, 0.55, 0.60, 0.80], [0.75, 0.50, NAN, 1.00]),
        "fewer_exercises": ([0.38, 0.47, 0.57, 0.68], [0.25, 0.50, 0.00, 0.50]),
    }
    rows = [
        {"variant": variant, "replication": k, "seed": 1000 + k,
         INTEROP: interop[k], CRISIS: crisis[k]}
        for variant, (interop, crisis) in runs.items() for k in range(4)
    ]
    order = [5, 2, 9, 0, 11, 7, 3, 10, 1, 6, 8, 4]  # first appearance: more, baseline, fewer
    return pd.DataFrame([rows[i] for i in order]).reset_index(drop=True)


def t_test_p(differences: list[float]) -> float:
    """Two-sided p of a one-sample t-test of mean zero, from the formula."""
    n = len(differences)
    mean = sum(differences) / n
    variance = sum((d - mean) ** 2 for d in differences) / (n - 1)
    t = mean / math.sqrt(variance / n)
    return 2 * scipy.stats.t.sf(abs(t), df=n - 1)


def test_summarise_by_hand():
    table = stats.summarise(experiment_summary(), [INTEROP, CRISIS])
    assert list(table.columns) == ["variant", "kpi", "n", "mean", "ci_low", "ci_high", "half_width"]
    assert list(zip(table["variant"], table["kpi"])) == [
        ("more_exercises", INTEROP), ("more_exercises", CRISIS),
        ("baseline", INTEROP), ("baseline", CRISIS),
        ("fewer_exercises", INTEROP), ("fewer_exercises", CRISIS),
    ]
    row = table.set_index(["variant", "kpi"]).loc[("baseline", INTEROP)]
    # [0.4, 0.5, 0.6, 0.7]: mean 0.55, variance (0.0225 + 0.0025) * 2 / 3 = 0.05/3.
    half_width = T_975_3 * math.sqrt(0.05 / 3) / 2
    assert row["n"] == 4
    assert row["mean"] == pytest.approx(0.55)
    assert row["half_width"] == pytest.approx(half_width)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((0.55 - half_width, 0.55 + half_width))
    crisis = table.set_index(["variant", "kpi"]).loc[("baseline", CRISIS)]
    assert (crisis["n"], crisis["mean"]) == (3, pytest.approx((0.5 + 0.25 + 1.0) / 3))


def test_compare_columns_and_rows():
    table = stats.compare(experiment_summary(), "baseline", [INTEROP, CRISIS])
    assert list(table.columns) == [
        "variant", "kpi", "n", "baseline_mean", "variant_mean", "difference",
        "ci_low", "ci_high", "p_value", "p_holm", "significant",
    ]
    assert list(zip(table["variant"], table["kpi"])) == [
        ("more_exercises", INTEROP), ("more_exercises", CRISIS),
        ("fewer_exercises", INTEROP), ("fewer_exercises", CRISIS),
    ]


def test_compare_pairs_by_replication_drops_nans_pairwise_and_applies_holm_per_kpi():
    table = stats.compare(experiment_summary(), "baseline", [INTEROP, CRISIS])
    rows = table.set_index(["variant", "kpi"])

    # Interop, differences by replication 0..3 (rows were scrambled; pairing is by replication).
    more = [0.05, 0.05, 0.00, 0.10]  # mean 0.05, variance 0.005/3
    fewer = [-0.02, -0.03, -0.03, -0.02]  # mean -0.025, variance 0.0001/3
    row = rows.loc[("more_exercises", INTEROP)]
    half_width = T_975_3 * math.sqrt(0.005 / 3) / 2
    assert row["n"] == 4
    assert (row["baseline_mean"], row["variant_mean"]) == pytest.approx((0.55, 0.60))
    assert row["difference"] == pytest.approx(0.05)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((0.05 - half_width, 0.05 + half_width))
    p_more, p_fewer = t_test_p(more), t_test_p(fewer)
    assert row["p_value"] == pytest.approx(p_more)
    assert rows.loc[("fewer_exercises", INTEROP), "difference"] == pytest.approx(-0.025)
    assert rows.loc[("fewer_exercises", INTEROP), "p_value"] == pytest.approx(p_fewer)
    # Holm over the family of two: p_fewer (about 0.003) is the smaller, times 2; p_more
    # (about 0.09) times 1, raised to the previous if smaller.
    assert p_fewer < p_more
    assert rows.loc[("fewer_exercises", INTEROP), "p_holm"] == pytest.approx(2 * p_fewer)
    assert rows.loc[("more_exercises", INTEROP), "p_holm"] == pytest.approx(
        max(p_more, 2 * p_fewer))
    assert rows.loc[("fewer_exercises", INTEROP), "significant"]
    assert not rows.loc[("more_exercises", INTEROP), "significant"]

    # Crisis rate: NaN in either arm drops that replication from the pair.
    more = [0.25, 0.00]  # replications 0 and 3 (1 has no baseline value, 2 no variant value)
    fewer = [-0.25, -0.25, -0.50]  # replications 0, 2, 3
    row = rows.loc[("more_exercises", CRISIS)]
    assert (row["n"], row["difference"]) == (2, pytest.approx(0.125))
    assert (row["baseline_mean"], row["variant_mean"]) == pytest.approx((0.75, 0.875))
    row = rows.loc[("fewer_exercises", CRISIS)]
    assert (row["n"], row["difference"]) == (3, pytest.approx(-1 / 3))
    p_more, p_fewer = t_test_p(more), t_test_p(fewer)  # t = 1 on 1 df: p = 0.5; t = -4 on 2 df
    assert p_more == pytest.approx(0.5)
    assert rows.loc[("fewer_exercises", CRISIS), "p_holm"] == pytest.approx(2 * p_fewer)
    assert rows.loc[("more_exercises", CRISIS), "p_holm"] == pytest.approx(p_more)
    assert not rows.loc[("fewer_exercises", CRISIS), "significant"]  # 2 * 0.057 > 0.05


def test_compare_does_not_depend_on_row_order():
    summary = experiment_summary()
    shuffled = summary.sample(frac=1.0, random_state=3).reset_index(drop=True)
    keys = ["variant", "kpi"]
    expected = stats.compare(summary, "baseline", [INTEROP, CRISIS]).set_index(keys).sort_index()
    actual = stats.compare(shuffled, "baseline", [INTEROP, CRISIS]).set_index(keys).sort_index()
    pd.testing.assert_frame_equal(actual, expected)


def test_compare_without_the_baseline_names_it_and_the_variants():
    message = (r"baseline variant 'status_quo' is not in the summary; its variants are "
               r"\['more_exercises', 'baseline', 'fewer_exercises'\]")
    with pytest.raises(ValueError, match=message):
        stats.compare(experiment_summary(), "status_quo", [INTEROP])


def test_compare_names_missing_kpi_columns():
    with pytest.raises(ValueError, match=r"summary has no column\(s\) \['peak_tension'\]"):
        stats.compare(experiment_summary(), "baseline", [INTEROP, "peak_tension"])


def test_compare_refuses_runs_that_cannot_be_paired():
    summary = experiment_summary()
    duplicated = pd.concat([summary, summary.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match=r"more than one row.*\('more_exercises', 1\)"):
        stats.compare(duplicated, "baseline", [INTEROP])
    reseeded = summary.copy()
    reseeded.loc[(reseeded["variant"] == "fewer_exercises") & (reseeded["replication"] == 2),
                 "seed"] = 99
    with pytest.raises(ValueError, match=r"replications \[2\] ran with different seeds"):
        stats.compare(reseeded, "baseline", [INTEROP])


# --- precision_reached -----------------------------------------------------------------------


def test_precision_reached_by_hand():
    # [2, 4, 4, 6]: half-width 3.1824 * sqrt(8/3) / 2 = 2.5985, mean 4: relative 0.6496.
    assert stats.precision_reached([2.0, 4.0, 4.0, 6.0], 0.65)
    assert not stats.precision_reached([2.0, 4.0, 4.0, 6.0], 0.64)
    assert stats.precision_reached([-2.0, -4.0, -4.0, -6.0], 0.65)  # relative to |mean|


def test_precision_is_not_reached_with_fewer_than_two_values():
    assert not stats.precision_reached([5.0], 0.5)
    assert not stats.precision_reached([math.nan, 5.0, math.nan], 0.5)
    assert not stats.precision_reached([], 0.5)


def test_precision_around_a_zero_mean_needs_a_zero_width_interval():
    assert stats.precision_reached([0.0, 0.0, 0.0], 0.01)
    assert not stats.precision_reached([-1.0, 1.0], 0.01)
    assert stats.precision_reached([10.0, 10.0, 10.0], 0.0)
