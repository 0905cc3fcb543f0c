"""Sensitivity indices against functions whose indices are known in closed form.

For y = a x1 + b x2 with x uniform on [0, 1], Var(y) = (a^2 + b^2) / 12 and neither term
interacts, so S1 = ST = a^2 / (a^2 + b^2) for x1, likewise for x2, and 0 for an inert x3.
The Ishigami function's indices are quoted from Saltelli et al. (2008) and SALib's docs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami

from simulator.analysis import designs, sensitivity
from simulator.analysis.designs import Factor, sample

UNIT = [Factor("x1", 0.0, 1.0), Factor("x2", 0.0, 1.0), Factor("x3", 0.0, 1.0)]
A, B = 2.0, 1.0
S_X1, S_X2 = A**2 / (A**2 + B**2), B**2 / (A**2 + B**2)  # 0.8 and 0.2


def linear(X: np.ndarray) -> np.ndarray:
    return A * X[:, 0] + B * X[:, 1]


def by_index(found: pd.DataFrame, index: str) -> pd.DataFrame:
    return found[found["index"] == index].set_index("uncertainty")


def test_sobol_indices_of_a_linear_model_are_its_shares_of_variance():
    X = sample("sobol", UNIT, 1024 * 5, seed=3)
    found = sensitivity.indices("sobol", UNIT, X, linear(X))
    for index in ("S1", "ST"):
        values = by_index(found, index)["value"]
        assert values.to_numpy() == pytest.approx([S_X1, S_X2, 0.0], abs=0.03)
    inert = by_index(found, "ST").loc["x3"]
    assert inert["low"] <= 0 <= inert["high"] and inert["includes_zero"]
    assert not by_index(found, "ST").loc[["x1", "x2"], "includes_zero"].any()
    assert (found["note"] == "").all()


def test_sobol_indices_of_ishigami_are_the_known_values():
    factors = [Factor(name, -np.pi, np.pi) for name in ("x1", "x2", "x3")]
    X = sample("sobol", factors, 1024 * 5, seed=3)
    found = sensitivity.indices("sobol", factors, X, Ishigami.evaluate(X))
    assert by_index(found, "S1")["value"].to_numpy() == pytest.approx(
        [0.3139, 0.4424, 0.0], abs=0.05)
    assert by_index(found, "ST")["value"].to_numpy() == pytest.approx(
        [0.5576, 0.4424, 0.2437], abs=0.05)


def test_log_uniform_factors_are_analysed_in_the_space_they_were_drawn_in():
    # y linear in log(x1): in that space the shares are those of the linear model.
    factors = [Factor("x1", 1.0, 100.0, log=True), *UNIT[1:]]
    X = sample("sobol", factors, 1024 * 5, seed=3)
    scaled = np.log(X[:, 0]) / np.log(100.0)
    found = sensitivity.indices("sobol", factors, X, A * scaled + B * X[:, 1])
    assert by_index(found, "ST")["value"].to_numpy() == pytest.approx(
        [S_X1, S_X2, 0.0], abs=0.03)


def test_morris_ranks_the_inert_factor_last_with_no_effect():
    X = sample("morris", UNIT, 50 * 4, seed=3)
    mu_star = by_index(sensitivity.indices("morris", UNIT, X, linear(X)), "mu_star")
    # Elementary effects of a linear model are its slopes, in the design's units.
    assert mu_star["value"].to_numpy() == pytest.approx([A, B, 0.0], abs=1e-9)
    assert list(mu_star["value"].sort_values(ascending=False).index) == ["x1", "x2", "x3"]
    assert mu_star.loc["x3", "includes_zero"]


def test_morris_sigma_has_no_interval():
    X = sample("morris", UNIT, 10 * 4, seed=3)
    sigma = by_index(sensitivity.indices("morris", UNIT, X, linear(X)), "sigma")
    assert sigma[["low", "high"]].isna().all().all()
    assert not sigma["includes_zero"].any()


def test_delta_on_a_latin_hypercube_ranks_the_factors_and_leaves_numpy_as_it_was():
    X = sample("lhs", UNIT, 512, seed=3)
    state = np.random.get_state()
    found = sensitivity.indices("lhs", UNIT, X, linear(X), resamples=20)
    assert all(np.array_equal(a, b) for a, b in zip(state, np.random.get_state()))
    for index in ("delta", "S1"):
        values = by_index(found, index)["value"]
        assert list(values.sort_values(ascending=False).index) == ["x1", "x2", "x3"]
    assert by_index(found, "S1").loc["x1", "value"] == pytest.approx(S_X1, abs=0.1)


def test_a_missing_future_stops_sobol_and_is_named():
    X = sample("sobol", UNIT, 64 * 5, seed=3)
    y = linear(X)
    y[[7, 40]] = np.nan
    found = sensitivity.indices("sobol", UNIT, X, y)
    assert found["value"].isna().all()
    assert (found["note"].str.startswith("not computed")).all()
    assert "futures [7, 40] have no value" in found["note"].iloc[0]


def test_morris_drops_whole_trajectories_with_a_missing_future_and_says_how_many():
    X = sample("morris", UNIT, 20 * 4, seed=3)
    y = linear(X)
    y[5] = np.nan  # in the second trajectory (rows 4..7)
    found = sensitivity.indices("morris", UNIT, X, y)
    assert found["note"].iloc[0] == "1 of 20 trajectories dropped for a future with no value"
    assert by_index(found, "mu_star")["value"].to_numpy() == pytest.approx([A, B, 0.0])


def test_delta_drops_the_missing_futures_and_says_how_many():
    X = sample("lhs", UNIT, 128, seed=3)
    y = linear(X)
    y[[0, 3, 9]] = np.nan
    found = sensitivity.indices("lhs", UNIT, X, y, resamples=5)
    assert found["note"].iloc[0] == "3 of 128 futures dropped (no value)"
    assert found["value"].notna().all()


def test_delta_on_a_two_level_factorial_is_not_computed_and_says_why():
    X = sample("factorial", UNIT, 8, seed=3, levels=2)
    found = sensitivity.indices("factorial", UNIT, X, linear(X), resamples=5)
    assert found["value"].isna().all()
    assert "[x1][balanced] Only one bin remains" in found["note"].iloc[0]


def test_an_output_the_same_in_every_future_has_no_indices():
    X = sample("sobol", UNIT, 8 * 5, seed=3)
    found = sensitivity.indices("sobol", UNIT, X, np.ones(len(X)))
    assert found["value"].isna().all()
    assert found["note"].iloc[0] == "not computed: the output is the same in every future"


def test_the_first_half_of_a_design_is_a_design_of_its_sampler():
    X = sample("sobol", UNIT, 16 * 5, seed=3)
    half_X, half_y = sensitivity.first_half("sobol", 3, X, linear(X))
    assert half_X.shape == (8 * 5, 3)
    # Sobol' designs of a size begin with every smaller one (designs.py).
    assert np.array_equal(half_X, sample("sobol", UNIT, 8 * 5, seed=3))
    assert sensitivity.first_half("morris", 3, X[:7 * 4], linear(X[:7 * 4]))[0].shape == (
        3 * 4, 3)


def outcomes_of(X: np.ndarray, policies: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Means and yearly values of two KPIs for each policy, as the runner writes them."""
    index = pd.MultiIndex.from_product([range(len(X)), policies], names=["future", "policy"])
    primary = np.repeat(linear(X), len(policies))
    means = pd.DataFrame({"trust": primary, "cost": np.repeat(X[:, 2], len(policies))},
                         index=index)
    yearly = pd.DataFrame({f"year_{year}": primary * year for year in (1, 2, 3)}, index=index)
    return means, yearly


def test_the_table_has_every_policy_outcome_and_year_beside_its_half_sample_value():
    X = sample("sobol", UNIT, 32 * 5, seed=3)
    means, yearly = outcomes_of(X, ["talk", "train"])
    table = sensitivity.sensitivity_table("sobol", UNIT, X, means, ["trust", "cost"],
                                          ["talk", "train"], yearly)
    assert list(table.columns) == sensitivity.COLUMNS
    assert table["year"].dtype == "Int64"
    assert len(table) == 2 * (2 + 3) * 3 * 2  # policies x (KPIs + years) x factors x indices
    whole = table[table["year"].isna()]
    assert set(zip(whole["policy"], whole["outcome"])) == {
        (p, o) for p in ("talk", "train") for o in ("trust", "cost")}
    years = table[table["year"].notna()]
    assert set(years["outcome"]) == {"trust"} and set(years["year"]) == {1, 2, 3}
    assert table["half_value"].notna().all() and (table["method"] == "sobol").all()
    cost = whole[(whole["policy"] == "talk") & (whole["outcome"] == "cost")
                 & (whole["index"] == "ST")].set_index("uncertainty")
    assert cost["value"].to_numpy() == pytest.approx([0.0, 0.0, 1.0], abs=0.05)


def test_a_future_missing_from_the_means_is_a_missing_value_in_the_table():
    X = sample("sobol", UNIT, 8 * 5, seed=3)
    means, _ = outcomes_of(X, ["talk"])
    table = sensitivity.sensitivity_table("sobol", UNIT, X, means.drop(index=(11, "talk")),
                                          ["trust"], ["talk"])
    assert table["value"].isna().all()
    assert "futures [11] have no value" in table["note"].iloc[0]


def test_a_large_design_is_enough_and_a_tiny_one_says_how_many_more_it_needs():
    for futures, enough in ((1024 * 5, True), (4 * 5, False)):
        X = sample("sobol", UNIT, futures, seed=3)
        means, _ = outcomes_of(X, ["talk"])
        table = sensitivity.sensitivity_table("sobol", UNIT, X, means, ["trust"], ["talk"])
        verdict = sensitivity.sensitivity_sufficiency(table, "sobol", UNIT, futures)
        assert list(verdict.columns) == sensitivity.SUFFICIENCY_COLUMNS
        row = verdict.set_index("outcome").loc["trust"]
        assert row["enough"] == enough, row["criterion"]
        if enough:
            assert row["value"] <= 1 and pd.isna(row["futures_needed"])
        else:
            assert row["futures_needed"] > futures
            assert designs.size_problem("sobol", 3, int(row["futures_needed"])) is None


@pytest.mark.parametrize("sampler, futures, made", [
    ("sobol", 100, 160), ("sobol", 20, 20), ("morris", 9, 12), ("factorial", 9, 27),
    ("factorial", 8, 8), ("lhs", 301, 301)])
def test_futures_needed_is_a_size_the_sampler_makes(sampler, futures, made):
    assert sensitivity.design_size(sampler, 3, futures) == made
