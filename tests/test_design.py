"""`run_design`: a table of overrides in, one row of KPIs per (row, replication) out."""

from __future__ import annotations

import tempfile

import pandas as pd
import pytest

import simulator
import simulator.runs.executors as executors
from simulator.errors import ScenarioError, UserError
from simulator.model.metrics import KPI_NAMES

from .conftest import SCENARIOS, scenario_data

MINIMAL = SCENARIOS / "minimal.yaml"
BASELINE = SCENARIOS / "baseline.yaml"
ROWS = [{"horizon_years": 2, "exercises.sea_breeze.every_days": 60},
        {"horizon_years": 2, "exercises.sea_breeze.every_days": 120}]
SHORT = [("horizon_years", 2)]


def test_every_run_has_the_kpis_of_the_same_single_run():
    """Replication k of a row is `simulate` of its overrides with replication k, exactly:
    the same random streams for every row (common random numbers)."""
    rows = [{"nations.*.political_will": will, "exercises.*.every_days": 120}
            for will in (0.6, 0.9)]
    baseline = simulator.load_scenario(BASELINE, SHORT)
    table = simulator.run_design(baseline, rows, replications=2, seed=11, workers=1)
    assert list(table.columns) == ["row", "nations.*.political_will", "exercises.*.every_days",
                                   "replication", "seed", "status", *KPI_NAMES]
    assert list(zip(table.row, table.replication)) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert (table.seed == 11).all() and (table.status == "ok").all()
    for _, run in table.iterrows():
        scenario = simulator.load_scenario(BASELINE, [*SHORT, *rows[run.row].items()])
        expected = simulator.simulate(scenario, seed=11, replication=run.replication).kpis
        assert {kpi: run[kpi] for kpi in KPI_NAMES} == pytest.approx(expected, rel=0, abs=0,
                                                                     nan_ok=True)


def test_rows_as_a_dataframe_or_a_list_give_the_same_runs():
    frame = pd.DataFrame(ROWS, index=["fast", "slow"])
    from_frame = simulator.run_design(MINIMAL, frame, replications=2, seed=3, workers=1)
    from_list = simulator.run_design(MINIMAL, ROWS, replications=2, seed=3, workers=1)
    assert list(from_frame.row) == ["fast", "fast", "slow", "slow"]
    assert list(from_list.row) == [0, 0, 1, 1]
    pd.testing.assert_frame_equal(from_frame.drop(columns="row"),
                                  from_list.drop(columns="row"))
    # more exercises, more exercises held: each row ran its own values
    held = from_list.groupby("row").exercises_held.mean()
    assert held[0] > held[1]


def test_the_scenario_as_an_object_a_file_or_plain_data_gives_the_same_runs():
    scenario = simulator.load_scenario(MINIMAL)
    tables = [simulator.run_design(given, ROWS, seed=2, workers=1)
              for given in (scenario, MINIMAL, scenario_data("minimal"))]
    for table in tables[1:]:
        pd.testing.assert_frame_equal(table, tables[0])


def test_an_interrupted_design_resumes_with_the_missing_runs_only(tmp_path, monkeypatch):
    """Ctrl-C after two runs; the same call again runs the other two and gives the table of
    an uninterrupted design."""
    clean = simulator.run_design(MINIMAL, ROWS, replications=2, seed=4, workers=1)
    real, calls = executors.run_one, []

    def interrupted(scenario, seed, replication, trace=False):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(replication)
        return real(scenario, seed=seed, replication=replication, trace=trace)

    monkeypatch.setattr(executors, "run_one", interrupted)
    with pytest.raises(KeyboardInterrupt):
        simulator.run_design(MINIMAL, ROWS, replications=2, seed=4, workers=1,
                             out=tmp_path / "design")
    calls.clear()

    def counted(scenario, seed, replication, trace=False):
        calls.append(replication)
        return real(scenario, seed=seed, replication=replication, trace=trace)

    monkeypatch.setattr(executors, "run_one", counted)
    resumed = simulator.run_design(MINIMAL, ROWS, replications=2, seed=4, workers=1,
                                   out=tmp_path / "design")
    assert len(calls) == 2
    pd.testing.assert_frame_equal(resumed, clean)
    assert not list((tmp_path / "design").rglob("traces/*"))  # rows keep no event traces


def test_a_different_design_is_refused_in_a_kept_directory(tmp_path):
    simulator.run_design(MINIMAL, ROWS, seed=4, workers=1, out=tmp_path / "design")
    with pytest.raises(UserError, match="holds results of a different experiment"):
        simulator.run_design(MINIMAL, ROWS[:1], seed=4, workers=1, out=tmp_path / "design")


def test_the_temporary_directory_is_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    table = simulator.run_design(MINIMAL, ROWS, seed=1, workers=1)
    assert len(table) == 2 and list(tmp_path.iterdir()) == []


def test_a_pool_gives_the_same_runs():
    alone = simulator.run_design(MINIMAL, ROWS, replications=2, seed=6, workers=1)
    pooled = simulator.run_design(MINIMAL, ROWS, replications=2, seed=6, workers=2)
    pd.testing.assert_frame_equal(pooled, alone)


def test_a_failed_run_keeps_its_row(monkeypatch):
    real = executors.run_one

    def flaky(scenario, seed, replication, trace=False):
        if scenario.exercises[0].every_days == 120 and replication == 1:
            raise RuntimeError("boom")
        return real(scenario, seed=seed, replication=replication, trace=trace)

    monkeypatch.setattr(executors, "run_one", flaky)
    table = simulator.run_design(MINIMAL, ROWS, replications=2, seed=1, workers=1)
    assert list(table.status) == ["ok", "ok", "ok", "failed"]
    assert table.iloc[3][list(KPI_NAMES)].isna().all()
    assert table.exercises_held.notna().tolist() == [True, True, True, False]


def test_a_bad_row_is_reported_by_row_and_path_before_anything_runs(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("nothing runs while a row is bad")

    monkeypatch.setattr(executors, "run_one", never)
    frame = pd.DataFrame({"nations.borvia.stability": [0.5, 2.0],
                          "exercises.sea_breeze.every_days": [90, 90]}, index=["a", "b"])
    with pytest.raises(ScenarioError) as raised:
        simulator.run_design(MINIMAL, frame, workers=1)
    assert [str(problem) for problem in raised.value.problems] == [
        "row b: nations.borvia.stability: should be less than or equal to 1 (got 2.0)"]
    with pytest.raises(ScenarioError) as raised:
        simulator.run_design(MINIMAL, [{"horizon_years": 1}, {"exercises.nope.cost": 1}])
    assert [str(problem) for problem in raised.value.problems] == [
        "row 1 exercises.nope.cost: exercises: no item 'nope' (expected one of: sea_breeze)"]


def test_a_misspelt_column_lists_the_first_rows_and_counts_the_rest():
    rows = [{"exercises.sea_breeze.every_day": 90 + k} for k in range(13)]
    with pytest.raises(ScenarioError) as raised:
        simulator.run_design(MINIMAL, rows)
    problems = [str(problem) for problem in raised.value.problems]
    assert len(problems) == 11 and problems[-1] == "rows: 3 more rows have problems"
    assert problems[9].startswith("row 9: exercises.sea_breeze.every_day: unknown key "
                                  "'every_day'; did you mean 'every_days'?")


@pytest.mark.parametrize("rows, arguments, message", [
    ([], {}, "the design has no rows to run"),
    ({"horizon_years": 2}, {}, "design rows should be a DataFrame"),
    (pd.DataFrame([[1, 2]], columns=["horizon_years", "horizon_years"]), {},
     "design columns should be distinct dotted paths"),
    (ROWS, {"replications": 0}, "replications should be a whole number from 1 to 100000"),
    (ROWS, {"seed": -1}, "seed should be a whole number from 0 to 2**63 - 1; got -1"),
], ids=["no_rows", "one_mapping", "repeated_column", "no_replications", "negative_seed"])
def test_arguments_of_the_wrong_kind_are_user_errors(rows, arguments, message):
    with pytest.raises(UserError) as raised:
        simulator.run_design(MINIMAL, rows, **arguments)
    assert str(raised.value).startswith(message)


def test_salib_needs_two_lines_of_glue():
    """The README's glue with SALib's Morris method: a factor with no effect (program
    learning, in a world without programs) gets exactly zero, the exercise tempo does not."""
    from SALib.analyze import morris as morris_analysis
    from SALib.sample import morris as morris_sample

    problem = {"num_vars": 2, "names": ["exercises.*.every_days", "parameters.program.standards"],
               "bounds": [[90, 365], [0.05, 0.5]]}
    samples = morris_sample.sample(problem, 4, num_levels=4, seed=1)
    table = simulator.run_design(SCENARIOS / "minimal.yaml",
                                 pd.DataFrame(samples, columns=problem["names"]), workers=1)
    indices = morris_analysis.analyze(problem, samples,
                                      table.mean_interop_ally_partner.to_numpy(), seed=1)
    tempo, programs = indices["mu_star"]
    assert len(table) == len(samples) == 12
    assert programs == 0.0 and tempo > 0.01
