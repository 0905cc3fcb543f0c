"""Scenario discovery on failures whose box is known: a policy fails where a > 0.6 and
b < 0.4, whatever c, with a few futures' labels flipped as noise."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from simulator.analysis import discovery, sensitivity
from simulator.analysis.designs import Factor

FACTORS = [Factor("a", 0.0, 1.0), Factor("b", 0.0, 1.0), Factor("c", 0.0, 1.0)]


def futures_failing_in_the_corner(futures: int, noise: float,
                                  seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.uniform(size=(futures, 3)), columns=["a", "b", "c"])
    fails = ((X["a"] > 0.6) & (X["b"] < 0.4)).to_numpy() ^ (rng.uniform(size=futures) < noise)
    return X, fails


def test_prim_finds_the_corner_and_its_limits_are_stable():
    X, fails = futures_failing_in_the_corner(1000, noise=0.02)
    found = discovery.discover(X, fails, factors=FACTORS, sampler="lhs")
    box = found.box.set_index("uncertainty")
    assert box.loc["a", "low"] == pytest.approx(0.6, abs=0.08)
    assert box.loc["b", "high"] == pytest.approx(0.4, abs=0.08)
    # The side PRIM did not peel reads as the end of the design's range.
    assert (box.loc["a", "high"], box.loc["b", "low"]) == (1.0, 0.0)
    assert list(box["restricted"]) == [True, True, False]
    assert (box.loc[["a", "b"], "qp_value"] < 1e-6).all() and np.isnan(box.loc["c", "qp_value"])
    assert box["coverage"].iloc[0] > 0.8 and box["density"].iloc[0] > 0.9
    assert box["failure_share"].iloc[0] == pytest.approx(fails.mean())
    assert box.loc["a", "low_p05"] <= box.loc["a", "low"] <= box.loc["a", "low_p95"]
    assert box.loc[["a", "b"], "restricted_share"].min() >= 0.8
    assert box[["coverage_p05", "coverage_p95", "density_p05", "density_p95"]].notna().all(
        axis=None)
    verdict = found.sufficiency.iloc[0]
    assert verdict["enough"] and pd.isna(verdict["futures_needed"]), verdict["criterion"]
    chosen = found.trajectory[found.trajectory["chosen"]]
    assert len(chosen) == 1 and chosen["density"].iloc[0] == box["density"].iloc[0]


def test_few_noisy_futures_give_a_box_that_needs_more():
    X, fails = futures_failing_in_the_corner(400, noise=0.02)
    verdict = discovery.discover(X, fails, factors=FACTORS, sampler="lhs").sufficiency.iloc[0]
    assert not verdict["enough"]
    assert verdict["value"] > discovery.LIMIT_SPREAD
    assert verdict["futures_needed"] == int(np.ceil(400 * (verdict["value"] / 0.2) ** 2))


def test_the_chosen_box_is_the_first_nearly_densest_that_covers_half_the_failures():
    trajectory = pd.DataFrame({"coverage": [1.0, 0.9, 0.8, 0.7, 0.4],
                               "density": [0.2, 0.5, 0.89, 0.9, 1.0]})
    assert discovery.choose(trajectory) == 2


def test_a_policy_that_never_or_always_fails_has_a_note_and_no_box():
    X, _ = futures_failing_in_the_corner(100, noise=0.0)
    boxes, trajectories, sufficiency = discovery.discovery_table(
        X, {"never": np.zeros(100, bool), "always": np.ones(100, bool)})
    assert list(boxes["note"]) == ["no box: the policy never fails in any of the 100 futures",
                                   "no box: the policy fails in every one of the 100 futures"]
    assert list(boxes["failure_share"]) == [0.0, 1.0]
    assert trajectories.empty and list(sufficiency["enough"]) == [True, True]


def test_tables_have_their_columns_and_the_same_seed_gives_the_same_tables(capsys, caplog):
    X, fails = futures_failing_in_the_corner(256, noise=0.0)
    by_policy = {"train": fails, "talk": ~fails, "never": np.zeros(256, bool)}
    caplog.set_level(logging.INFO)  # as a CLI with logging switched on
    first = discovery.discovery_table(X, by_policy, resamples=10, seed=4)
    again = discovery.discovery_table(X, by_policy, resamples=10, seed=4)
    boxes, trajectories, sufficiency = first
    assert list(boxes.columns) == discovery.BOX_COLUMNS
    assert list(trajectories.columns) == discovery.TRAJECTORY_COLUMNS
    assert list(sufficiency.columns) == sensitivity.SUFFICIENCY_COLUMNS
    assert list(pd.unique(boxes["policy"])) == ["train", "talk", "never"]
    assert (trajectories.groupby("policy")["chosen"].sum() == 1).all()
    for table, same in zip(first, again):
        pd.testing.assert_frame_equal(table, same)
    assert capsys.readouterr() == ("", "")
    assert [record.name for record in caplog.records] == []
