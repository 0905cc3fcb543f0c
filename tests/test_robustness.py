"""Robustness metrics against numbers worked out by hand, and their bootstrap by its properties.

The hand example is small enough to check on paper: 3 futures, 2 policies, 2 replications,
integer KPIs so that every mean is exact. The bootstrap is checked by what it is for: it
keeps the common random numbers' pairing (so a constant difference has no spread), it
covers a known mean at about its nominal rate, and it says when the futures are too few.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from simulator.analysis import robustness as rb
from simulator.errors import UserError

POLICIES = ["A", "B"]
# trust (higher is better) and cost (lower is better): [future][policy] -> replications
TRUST = [[[4, 6], [7, 5]], [[8, 8], [3, 5]], [[2, 4], [6, 6]]]
COST = [[[10, 12], [9, 9]], [[6, 8], [10, 14]], [[20, 20], [15, 17]]]
DIRECTIONS = {"trust": 1, "cost": -1}
SATISFICING = {"trust": (5.0, None), "cost": (None, 12.0)}


def make_runs(policies: list[str], **kpis: np.ndarray) -> pd.DataFrame:
    """Runs from arrays [future, policy, replication], one per KPI, every run ok."""
    shape = np.shape(next(iter(kpis.values())))
    future, policy, replication = np.indices(shape).reshape(3, -1)
    runs = pd.DataFrame({"future": future, "policy": np.array(policies)[policy],
                         "replication": replication, "status": "ok"})
    return runs.assign(**{name: np.asarray(values, dtype=float).ravel()
                          for name, values in kpis.items()})


def hand_runs() -> pd.DataFrame:
    return make_runs(POLICIES, trust=np.array(TRUST), cost=np.array(COST))


def metric(table: pd.DataFrame, outcome: str, name: str) -> pd.DataFrame:
    rows = table[(table["outcome"] == outcome) & (table["metric"] == name)]
    return rows.set_index("policy")


def crn_runs(rng: np.random.Generator, futures: int, replications: int, *, shift: float,
             noise: float) -> pd.DataFrame:
    """B is A plus `shift`; both share a future effect and large per-replication noise."""
    future_effect = rng.normal(size=(futures, 1, 1))
    common = noise * rng.normal(size=(futures, 1, replications))
    trust = future_effect + common + np.array([0.0, shift])[:, None]
    return make_runs(POLICIES, trust=trust)


# --- the hand example ------------------------------------------------------------------------


def test_replication_means_leave_out_failed_runs():
    runs = hand_runs()
    failed = (runs["future"] == 0) & (runs["policy"] == "A") & (runs["replication"] == 1)
    runs.loc[failed, ["status", "trust", "cost"]] = ["failed", math.nan, math.nan]
    means = rb.replication_means(runs, ["trust", "cost"])
    assert means.loc[(0, "A")].tolist() == [4.0, 10.0, 1]  # only replication 0 is left
    assert means.loc[(2, "B")].tolist() == [6.0, 16.0, 2]
    assert list(means.index.get_level_values("future")) == [0, 0, 1, 1, 2, 2]


def test_metrics_by_hand():
    # Replication means, trust: A = [5, 8, 3], B = [6, 4, 6]; best per future [B, A, B]:
    # regret A = [1, 0, 3], B = [0, 4, 0]. Cost: A = [11, 7, 20], B = [9, 12, 16]; best
    # (lowest) [B, A, B]: regret A = [2, 0, 4], B = [0, 5, 0]. The 90th percentile is
    # numpy's linear one: sorted [a0, a1, a2] at position 0.9 * 2 = 1.8, a1 + 0.8 (a2 - a1).
    table = rb.robustness(hand_runs(), ["trust", "cost"], DIRECTIONS, SATISFICING, POLICIES,
                          resamples=50)
    expected = {  # (outcome, metric): ([A, B], [rank A, rank B])
        ("trust", "mean"): ([16 / 3, 16 / 3], [1, 1]),  # a tie shares rank 1
        ("trust", "worst"): ([3, 4], [2, 1]),
        ("trust", "max_regret"): ([3, 4], [1, 2]),
        ("trust", "p90_regret"): ([1 + 0.8 * 2, 0 + 0.8 * 4], [1, 2]),
        ("cost", "mean"): ([38 / 3, 37 / 3], [2, 1]),
        ("cost", "worst"): ([20, 16], [2, 1]),  # the largest cost
        ("cost", "max_regret"): ([4, 5], [1, 2]),
        ("cost", "p90_regret"): ([2 + 0.8 * 2, 0 + 0.8 * 5], [1, 2]),
        # trust >= 5: A [T, T, F], B [T, F, T]; cost <= 12: A [T, T, F], B [T, T, F];
        # both at once: A [T, T, F], B [T, F, F].
        ("all criteria", "satisficing_share"): ([2 / 3, 1 / 3], [1, 2]),
        ("trust", "satisficing_share"): ([2 / 3, 2 / 3], [1, 1]),
        ("cost", "satisficing_share"): ([2 / 3, 2 / 3], [1, 1]),
    }
    for (outcome, name), (values, ranks) in expected.items():
        rows = metric(table, outcome, name)
        assert rows["value"].tolist() == pytest.approx(values, abs=1e-12), (outcome, name)
        assert rows["rank"].tolist() == ranks, (outcome, name)
    assert list(dict.fromkeys(zip(table["outcome"], table["metric"]))) == list(expected)
    assert list(table.columns) == rb.COLUMNS
    better = table.drop_duplicates(["outcome", "metric"]).set_index(["outcome", "metric"])
    assert better.loc[("trust", "worst"), "better"] == "higher"
    assert better.loc[("cost", "worst"), "better"] == "lower"
    assert better.loc[("trust", "max_regret"), "better"] == "lower"
    assert better.loc[("cost", "satisficing_share"), "better"] == "higher"


def test_margin_is_the_lead_over_the_best_other_policy():
    table = rb.robustness(hand_runs(), ["cost"], DIRECTIONS, {}, POLICIES, resamples=50)
    # Cost mean: A 38/3, B 37/3; lower is better, so B leads by 1/3 and A trails by 1/3.
    assert metric(table, "cost", "mean")["margin"].tolist() == pytest.approx([-1 / 3, 1 / 3])
    assert set(table["outcome"]) == {"cost"}  # no satisficing, no satisficing rows


def test_regret_is_zero_for_the_best_and_never_negative():
    means = np.random.default_rng(3).normal(size=(50, 4))
    for direction in (1, -1):
        regrets = rb.regret(means, direction)
        assert np.all(regrets >= 0)
        assert np.all(np.min(regrets, axis=1) == 0)
        best = np.argmax(direction * means, axis=1)
        assert np.all(regrets[np.arange(50), best] == 0)


def test_identical_policies_get_identical_metrics_and_split_first_place():
    trust = np.random.default_rng(4).normal(size=(20, 1, 3)).repeat(2, axis=1)
    table = rb.robustness(make_runs(POLICIES, trust=trust), ["trust"], DIRECTIONS,
                          {"trust": (0.0, None)}, POLICIES, resamples=100)
    for _, rows in table.groupby(["outcome", "metric"]):
        a, b = rows.set_index("policy").loc[["A", "B"], ["value", "low", "high", "rank",
                                                       "first_share", "margin"]].to_numpy()
        assert a.tolist() == b.tolist()
        assert a[3] == 1 and a[4] == 0.5  # both first; every resample a tie, split in two


# --- the bootstrap ---------------------------------------------------------------------------


def test_intervals_contain_the_estimate_and_repeat_with_the_seed():
    runs = crn_runs(np.random.default_rng(5), 40, 4, shift=0.5, noise=0.3)
    table = rb.robustness(runs, ["trust"], DIRECTIONS, {}, POLICIES, resamples=300, seed=7)
    assert np.all((table["low"] <= table["value"]) & (table["value"] <= table["high"]))
    mean = metric(table, "trust", "mean")
    assert np.all(mean["high"] - mean["low"] > 0.1)  # a real interval, not a point
    again = rb.robustness(runs, ["trust"], DIRECTIONS, {}, POLICIES, resamples=300, seed=7)
    pd.testing.assert_frame_equal(table, again)
    other = rb.robustness(runs, ["trust"], DIRECTIONS, {}, POLICIES, resamples=300, seed=8)
    assert not np.array_equal(table["low"], other["low"])


def test_pairing_keeps_shared_noise_out_of_regret():
    # B beats A by exactly 1 in every replication of every future, under noise of sd 10
    # that both share. A's regret is 1 in every resample, if replications stay paired.
    runs = crn_runs(np.random.default_rng(6), 30, 5, shift=1.0, noise=10.0)
    table = rb.robustness(runs, ["trust"], DIRECTIONS, {}, POLICIES, resamples=300)
    regret_of_a = metric(table, "trust", "max_regret").loc["A"]
    assert regret_of_a[["value", "low", "high"]].tolist() == pytest.approx([1, 1, 1], abs=1e-9)
    mean = metric(table, "trust", "mean").loc["A"]
    assert mean["high"] - mean["low"] > 2  # the noise is there, in each policy's own mean
    # Relabel B's replications within each future: the same means, pairing broken.
    unpaired = runs.copy()
    of_b = unpaired["policy"] == "B"
    unpaired.loc[of_b, "replication"] = (unpaired.loc[of_b, "replication"] + 1) % 5
    broken = rb.robustness(unpaired, ["trust"], DIRECTIONS, {}, POLICIES, resamples=300)
    regret_unpaired = metric(broken, "trust", "max_regret").loc["A"]
    assert regret_unpaired["value"] == pytest.approx(1)
    assert regret_unpaired["high"] - regret_unpaired["low"] > 5


def test_mean_interval_covers_the_true_mean_at_about_its_rate():
    # Futures drawn iid (effect sd 1) and noise per replication (sd 1): the mean over
    # futures estimates the policy's true mean, 2.0 for A. 200 datasets, nominal 95%.
    rng = np.random.default_rng(11)
    covered = 0
    for _ in range(200):
        trust = (rng.normal(size=(25, 1, 1)) + rng.normal(size=(25, 2, 3))
                 + np.array([2.0, 2.5])[:, None])
        table = rb.robustness(make_runs(POLICIES, trust=trust), ["trust"], DIRECTIONS, {},
                              POLICIES, resamples=200, seed=int(rng.integers(2**31)))
        a = metric(table, "trust", "mean").loc["A"]
        covered += bool(a["low"] <= 2.0 <= a["high"])
    assert 180 <= covered <= 198


# --- missing futures -------------------------------------------------------------------------


def test_a_future_without_ok_runs_of_a_policy_is_dropped_and_named():
    extra_trust, extra_cost = [[[5, 5], [4, 4]]], [[[8, 8], [9, 9]]]
    runs = make_runs(POLICIES, trust=np.array(TRUST + extra_trust),
                     cost=np.array(COST + extra_cost))
    failed = (runs["future"] == 1) & (runs["policy"] == "B")
    runs.loc[failed, ["status", "trust", "cost"]] = ["failed", math.nan, math.nan]
    runs.loc[(runs["future"] == 2) & (runs["policy"] == "A"), "cost"] = math.nan
    table = rb.robustness(runs, ["trust", "cost"], DIRECTIONS, {}, POLICIES, resamples=50)
    assert set(table.loc[table["outcome"] == "trust", "futures_used"]) == {3}
    assert set(table.loc[table["outcome"] == "cost", "futures_used"]) == {2}
    # Trust over futures 0, 2 and 3: A [5, 3, 5], B [6, 6, 4]; cost over 0 and 3:
    # A [11, 8], B [9, 9].
    assert metric(table, "trust", "mean")["value"].tolist() == pytest.approx([13 / 3, 16 / 3])
    assert metric(table, "cost", "mean")["value"].tolist() == pytest.approx([9.5, 9.0])
    dropped = rb.dropped_futures(runs, ["trust", "cost"], {}, POLICIES)
    assert dropped.values.tolist() == [
        ["trust", 1, "no ok replication of ['B']"],
        ["cost", 1, "no ok replication of ['B']"],
        ["cost", 2, "cost undefined for ['A']"],
    ]
    with_criteria = rb.dropped_futures(runs, ["trust"], {"cost": (None, 12.0)}, POLICIES)
    assert with_criteria[["outcome", "future"]].values.tolist() == [
        ["trust", 1], ["all criteria", 1], ["all criteria", 2], ["cost", 1], ["cost", 2]]


def test_fewer_than_two_comparable_futures_is_a_user_error():
    runs = hand_runs()
    runs.loc[runs["policy"] == "A", "cost"] = math.nan
    runs.loc[(runs["future"] == 0) & (runs["policy"] == "A"), "cost"] = 11.0
    with pytest.raises(UserError, match=r"robustness of 'cost' needs at least 2 futures in "
                                        r"which every policy has a value; 1 of 3 have"):
        rb.robustness(runs, ["trust", "cost"], DIRECTIONS, {}, POLICIES, resamples=50)


def test_runs_must_be_of_the_policies_named():
    with pytest.raises(ValueError, match=r"runs are of policies \['A', 'B'\], not of "
                                         r"\['A', 'C'\]"):
        rb.robustness(hand_runs(), ["trust"], DIRECTIONS, {}, ["A", "C"])
    with pytest.raises(UserError, match="robustness compares policies; got only"):
        rb.robustness(hand_runs()[lambda runs: runs["policy"] == "A"], ["trust"],
                      DIRECTIONS, {}, ["A"])


# --- sufficiency -----------------------------------------------------------------------------


def test_a_clear_leader_is_enough():
    runs = crn_runs(np.random.default_rng(12), 40, 3, shift=1.0, noise=0.2)
    table = rb.robustness(runs, ["trust"], DIRECTIONS, {}, POLICIES, resamples=400)
    sufficiency = rb.robustness_sufficiency(table).set_index("metric")
    assert list(sufficiency.columns) == ["outcome", "leader", "first_share", "enough",
                                         "futures_needed"]
    assert sufficiency.loc["mean", "leader"] == "B"
    assert sufficiency.loc["mean", "first_share"] == 1.0
    assert sufficiency.loc["mean", "enough"]
    assert math.isnan(sufficiency.loc["mean", "futures_needed"])


def test_a_coin_flip_is_not_enough_and_asks_for_more_futures():
    # A and B differ only by their own noise in each future: no real leader.
    trust = np.random.default_rng(13).normal(size=(40, 2, 3))
    table = rb.robustness(make_runs(POLICIES, trust=trust), ["trust"], DIRECTIONS, {},
                          POLICIES, resamples=400)
    sufficiency = rb.robustness_sufficiency(table).set_index("metric")
    assert not sufficiency["enough"].any()
    assert (sufficiency["futures_needed"] > 40).all()
    # The normal estimate, by hand, for the mean: n * (z * se / gap)^2.
    leader = metric(table, "trust", "mean").query("rank == 1").iloc[0]
    z = 1.959963984540054
    expected = math.ceil(40 * (z * leader["margin_se"] / leader["margin"]) ** 2)
    assert sufficiency.loc["mean", "futures_needed"] == max(expected, 41)


def test_a_tie_needs_infinitely_many_futures():
    trust = np.random.default_rng(14).normal(size=(20, 1, 2)).repeat(2, axis=1)
    table = rb.robustness(make_runs(POLICIES, trust=trust), ["trust"], DIRECTIONS, {},
                          POLICIES, resamples=100)
    sufficiency = rb.robustness_sufficiency(table)
    assert (sufficiency["leader"] == "A").all()  # ties go to the first policy listed
    assert (sufficiency["first_share"] == 0.5).all()
    assert np.isinf(sufficiency["futures_needed"]).all()


# --- variance split --------------------------------------------------------------------------


def test_variance_split_recovers_known_variances():
    # Between-future sd 2 (variance 4), run-to-run sd 1 (variance 1), 500 futures x 4 runs:
    # standard errors about 0.04 for within and 0.26 for between.
    rng = np.random.default_rng(15)
    trust = 2 * rng.normal(size=(500, 2, 1)) + rng.normal(size=(500, 2, 4))
    split = rb.variance_split(make_runs(POLICIES, trust=trust), ["trust"], POLICIES)
    assert list(split.columns) == ["policy", "outcome", "futures", "replications", "total",
                                   "within", "between", "noise_share"]
    for _, row in split.iterrows():
        assert row["within"] == pytest.approx(1.0, abs=0.15)
        assert row["between"] == pytest.approx(4.0, abs=1.0)
        assert row["total"] == pytest.approx(5.0, abs=1.0)
        assert row["noise_share"] == pytest.approx(0.2, abs=0.05)
        assert (row["futures"], row["replications"]) == (500, 4)


def test_variance_split_by_hand_and_with_one_replication():
    # Policy A's trust: futures [4, 6], [8, 8], [2, 4]: within = mean(2, 0, 2) = 4/3;
    # future means [5, 8, 3] have variance 19/3, less within / 2 = 2/3 gives between 17/3.
    split = rb.variance_split(hand_runs(), ["trust"], POLICIES).set_index("policy")
    assert split.loc["A", ["within", "between"]].tolist() == pytest.approx([4 / 3, 17 / 3])
    single = hand_runs().query("replication == 0")
    split = rb.variance_split(single, ["trust"], POLICIES)
    assert (split["replications"] == 1).all()
    assert split[["within", "between", "noise_share"]].isna().all().all()
    assert split["total"].notna().all()
