"""The validation suite: its statistical rule on numbers, and `simulator check` end to end.

The rule is a pure function of the values, so its error rates are measured by Monte
Carlo on normal samples: a check whose expectation is just false (no effect, a mean on
the edge of its range) must pass in about `level` of repetitions, no more. End to end,
checks run on the deterministic minimal world, whose numbers are known by hand.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulator
from simulator.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, main
from simulator.model.metrics import SERIES_METRICS
from simulator.runs import checks, executors
from simulator.runs.checks import COLUMNS, difference_verdict, range_verdict

from .conftest import ROOT, SCENARIOS
from .test_report import Page

REPETITIONS = 2000
SEEDS = 10


def margin(level: float) -> float:
    """Four binomial standard errors of a rate `level` over `REPETITIONS`: a false alarm
    about once in 16 000 runs of the suite, were the random numbers not fixed."""
    return 4 * math.sqrt(level * (1 - level) / REPETITIONS)


# --- the statistical rule -----------------------------------------------------------------------


@pytest.mark.parametrize("level", [0.05, 0.2])
@pytest.mark.parametrize("direction", ["higher", "lower"])
def test_a_true_zero_effect_passes_a_direction_check_in_about_level_of_repetitions(
        level, direction):
    rng = np.random.default_rng(15)
    shared = rng.normal(size=(REPETITIONS, SEEDS))  # the noise common random numbers share
    treatment = shared + rng.normal(size=(REPETITIONS, SEEDS))
    control = shared + rng.normal(size=(REPETITIONS, SEEDS))
    passed = [difference_verdict(t, c, direction, 0.0, level).passed
              for t, c in zip(treatment, control)]
    # the paired t-test is exact on normal differences: about `level`, and not far below
    assert abs(np.mean(passed) - level) <= margin(level)


def test_a_difference_just_at_the_minimum_effect_passes_in_about_level_of_repetitions():
    level, effect = 0.05, 0.5
    rng = np.random.default_rng(16)
    control = rng.normal(size=(REPETITIONS, SEEDS))
    treatment = control + effect + rng.normal(size=(REPETITIONS, SEEDS))
    higher = [difference_verdict(t, c, "higher", effect, level).passed
              for t, c in zip(treatment, control)]
    lower = [difference_verdict(c, t, "lower", effect, level).passed
             for t, c in zip(treatment, control)]
    assert abs(np.mean(higher) - level) <= margin(level)
    assert abs(np.mean(lower) - level) <= margin(level)


@pytest.mark.parametrize("side", ["at_least", "at_most", "between_low", "between_high"])
def test_a_mean_on_the_edge_of_its_range_passes_in_about_level_of_repetitions(side):
    level, edge = 0.05, 3.0
    limits = {"at_least": (edge, math.inf), "at_most": (-math.inf, edge),
              "between_low": (edge, edge + 100), "between_high": (edge - 100, edge)}[side]
    values = np.random.default_rng(17).normal(edge, 2.0, size=(REPETITIONS, SEEDS))
    passed = [range_verdict(row, *limits, level).passed for row in values]
    assert abs(np.mean(passed) - level) <= margin(level)


def test_a_real_effect_or_a_mean_well_inside_passes():
    rng = np.random.default_rng(18)
    control = rng.normal(size=SEEDS)
    treatment = control + 3 + rng.normal(size=SEEDS)
    assert difference_verdict(treatment, control, "higher", 1.0, 0.05).passed
    assert not difference_verdict(treatment, control, "lower", 0.0, 0.05).passed
    assert range_verdict(rng.normal(5, 1, size=SEEDS), 0, 10, 0.05).passed


def test_the_bound_is_the_one_sided_student_t_bound_of_the_mean():
    values = np.array([1.0, 2.0, 4.0, 7.0])
    mean, spread = values.mean(), values.std(ddof=1) / 2
    quantile = 2.3533634348018264  # scipy.stats.t.ppf(0.95, df=3)
    at_least = range_verdict(values, 0.0, math.inf, 0.05)
    assert (at_least.measured, at_least.bound) == pytest.approx((mean, mean - quantile * spread))
    at_most = range_verdict(values, -math.inf, 100.0, 0.05)
    assert at_most.bound == pytest.approx(mean + quantile * spread)
    # a range: the bound shown is that of the side nearer to failing
    assert range_verdict(values, -2.0, 7.0, 0.05).bound == pytest.approx(at_most.bound)
    assert range_verdict(values, 0.0, 100.0, 0.05).bound == pytest.approx(at_least.bound)
    failed = range_verdict(values, 3.0, 100.0, 0.05)
    assert not failed.passed
    assert failed.reason == f"the mean may be below 3: its 95% lower bound is {failed.bound:.4g}"


def test_identical_values_are_certain_the_bound_is_the_value():
    exact = range_verdict([10, 10, 10], 10, 10, 0.05)
    assert (exact.measured, exact.bound, exact.passed) == (10, 10, True)
    assert exact.reason == "95% lower bound 10 >= 10; no spread, so the bound is the mean"
    assert not range_verdict([10, 10, 10], 11, 11, 0.05).passed
    shift = difference_verdict([20, 21, 22], [10, 11, 12], "higher", 9.5, 0.05)
    assert (shift.measured, shift.bound, shift.passed) == (10, 10, True)
    none = difference_verdict([1, 2, 3], [1, 2, 3], "higher", 0.0, 0.05)
    assert (none.measured, none.passed) == (0, False)  # no effect is no evidence of one


def test_undefined_runs_are_left_out_and_too_few_fail_with_the_reason():
    kept = range_verdict([1.0, math.nan, 1.0, 1.0], 0, 2, 0.05)
    assert kept.passed and kept.measured == 1.0
    assert kept.reason.endswith("(1 of 4 runs left out: undefined)")
    nothing = range_verdict([math.nan] * 3, 0, 2, 0.05)
    assert (nothing.passed, nothing.reason) == (False, "undefined (NaN) in all 3 runs")
    one = range_verdict([1.0, math.nan], 0, 2, 0.05)
    assert (one.passed, one.reason) == (False, "defined in 1 of 2 runs only: a bound needs 2")
    paired = difference_verdict([1.0, math.nan, 3.0], [0.0, 1.0, math.nan], "higher", 0, 0.05)
    assert (paired.passed, paired.reason) == (
        False, "defined in 1 of 3 pairs of runs only: a bound needs 2")


# --- files of checks ----------------------------------------------------------------------------

CHECKS = """\
seed: 7
checks:
  exercise_count:
    pattern: "Exercises recur on schedule"
    scenario: world/minimal.yaml
    seeds: 2
    expect: {kpi: exercises_held, between: [10, 10]}
  too_many:
    pattern: "An exercise too many"
    scenario: world/minimal.yaml
    seeds: 2
    expect: {kpi: exercises_held, at_least: 11}
  twice_as_often:
    pattern: "Halving the interval doubles the exercises"
    scenario: world/minimal.yaml
    seeds: 2
    arms:
      treatment: {exercises.sea_breeze.every_days: 91.25}
      control: {}
    expect: {kpi: exercises_held, direction: higher, min_effect: 9.5}
"""


@pytest.fixture
def suite(tmp_path) -> Path:
    """A file of checks beside a copy of the minimal world, named relative to the file."""
    (tmp_path / "world").mkdir()
    shutil.copy(SCENARIOS / "minimal.yaml", tmp_path / "world" / "minimal.yaml")
    path = tmp_path / "checks.yaml"
    path.write_text(CHECKS)
    return path


def read_checks(directory: Path) -> pd.DataFrame:
    return pd.read_csv(directory / "checks.csv", keep_default_na=False, na_values=[""])


def test_a_passing_and_a_failing_check_from_the_command_line(suite, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["check", str(suite), "--out", str(out), "--workers", "1"]) == EXIT_FAILURE
    printed = capsys.readouterr().out
    assert re.search(r"^2 of 3 checks passed \(1 file, 8 runs, \d+\.\d s\)$", printed, re.M)
    reason = ("the mean may be below 11: its 95% lower bound is 10; no spread, so the bound "
              "is the mean")
    assert f"✗ too_many: {reason}" in " ".join(printed.split())
    table = read_checks(out)
    assert list(table.columns) == list(COLUMNS) == [
        "file", "check", "pattern", "kind", "metric", "measured", "bound", "expected", "seeds",
        "level", "passed", "reason"]
    assert table.drop(columns="reason").to_dict("records") == [
        {"file": str(suite), "check": "exercise_count", "pattern": "Exercises recur on schedule",
         "kind": "range", "metric": "exercises_held", "measured": 10.0, "bound": 10.0,
         "expected": "in [10, 10]", "seeds": 2, "level": 0.05, "passed": True},
        {"file": str(suite), "check": "too_many", "pattern": "An exercise too many",
         "kind": "range", "metric": "exercises_held", "measured": 10.0, "bound": 10.0,
         "expected": ">= 11", "seeds": 2, "level": 0.05, "passed": False},
        {"file": str(suite), "check": "twice_as_often",
         "pattern": "Halving the interval doubles the exercises", "kind": "difference",
         "metric": "exercises_held", "measured": 10.0, "bound": 10.0,
         "expected": "treatment - control > 9.5", "seeds": 2, "level": 0.05, "passed": True}]
    assert table.reason[1] == reason


def test_quiet_prints_the_summary_alone_and_all_passing_exits_0(suite, tmp_path, capsys):
    suite.write_text(CHECKS.replace("at_least: 11", "at_least: 10"))
    out = tmp_path / "out"
    assert main(["check", str(suite), "--out", str(out), "--quiet"]) == EXIT_OK
    printed = capsys.readouterr().out
    assert re.fullmatch(r"3 of 3 checks passed \(1 file, 8 runs, \d+\.\d s\)\n", printed)


def test_the_python_api_returns_the_rows_and_writes_the_same_table(suite, tmp_path):
    result = simulator.check([suite], workers=2, out=tmp_path / "api")
    assert not result.passed
    assert [(row.check, row.passed) for row in result.rows] == [
        ("exercise_count", True), ("too_many", False), ("twice_as_often", True)]
    assert (result.files, result.runs, result.path) == (
        [str(suite)], 8, tmp_path / "api" / "checks.csv")
    pd.testing.assert_frame_equal(read_checks(tmp_path / "api"), result.table,
                                  check_dtype=False)


def test_replication_k_of_every_arm_uses_the_seed_and_replication_k(tmp_path):
    """The measured values are those of `simulate(scenario, seed, replication=k)`: means over
    the seeds, and paired differences seed by seed."""
    path = tmp_path / "seeded.yaml"
    path.write_text(f"""\
seed: 7
checks:
  interoperability:
    pattern: "a KPI over seeds"
    scenario: {SCENARIOS / 'baseline.yaml'}
    set: {{horizon_years: 2}}
    seeds: 3
    expect: {{kpi: final_interop_ally_partner, at_least: 0}}
  trust_at_a_time:
    pattern: "a series metric at a time, and its change"
    scenario: {SCENARIOS / 'baseline.yaml'}
    set: {{horizon_years: 2}}
    seeds: 3
    seed: 11
    expect: {{metric: trust_partner_ally, since_years: 0.5, at_years: 1, at_least: -1}}
  more_often:
    pattern: "paired arms"
    scenario: {SCENARIOS / 'baseline.yaml'}
    set: {{horizon_years: 2}}
    seeds: 3
    arms:
      treatment: {{scale: {{exercises.*.every_days: 0.5}}}}
      control: {{}}
    expect: {{kpi: exercises_held, direction: higher}}
""")
    rows = simulator.check([path], workers=2, out=tmp_path / "out").rows
    base = simulator.load_scenario(SCENARIOS / "baseline.yaml", [("horizon_years", 2)])
    often = simulator.load_scenario(SCENARIOS / "baseline.yaml", [("horizon_years", 2)])
    often = simulator.scenario_from_dict(
        often.model_dump(mode="json"),
        [(f"exercises.{e.id}.every_days", e.every_days * 0.5) for e in often.exercises])

    def run(scenario, seed, k):
        return simulator.simulate(scenario, seed=seed, replication=k)

    assert rows[0].measured == pytest.approx(np.mean(
        [run(base, 7, k).kpis["final_interop_ally_partner"] for k in range(3)]), abs=0)
    column = SERIES_METRICS.index("trust_partner_ally")
    changes = []
    for k in range(3):
        output = run(base, 11, k).output
        nearest = [int(np.argmin(np.abs(output.times - days))) for days in (365, 182.5)]
        assert [output.times[i] for i in nearest] == [360, 180]  # samples every 30 days
        changes.append(output.series[nearest[0], column] - output.series[nearest[1], column])
    assert rows[1].measured == pytest.approx(np.mean(changes), abs=0)
    assert rows[1].metric == "trust_partner_ally, change from year 0.5 to 1"
    assert rows[2].measured == pytest.approx(np.mean(
        [run(often, 7, k).kpis["exercises_held"] - run(base, 7, k).kpis["exercises_held"]
         for k in range(3)]))
    assert rows[2].passed


def test_a_failed_run_fails_its_check_and_says_so(suite, tmp_path, monkeypatch):
    real = executors.run_one

    def breaks_on_replication_1(scenario, seed, replication, trace):
        if replication == 1:
            raise RuntimeError("the engine broke")
        return real(scenario, seed=seed, replication=replication, trace=trace)

    monkeypatch.setattr(executors, "run_one", breaks_on_replication_1)
    rows = simulator.check([suite], workers=1, out=tmp_path / "out").rows
    assert not any(row.passed for row in rows)
    assert rows[0].reason == ("1 of 2 runs failed; the first, replication 1: "
                              "RuntimeError: the engine broke")
    assert rows[2].reason.startswith("2 of 4 runs failed; the first, control replication 1:")
    assert math.isnan(rows[0].measured)


def test_checks_csv_is_written_atomically(suite, tmp_path, monkeypatch):
    """A write that fails half-way leaves the previous checks.csv whole, and no stray file."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "checks.csv").write_text("the previous suite's outcome\n")

    def breaks_half_way(frame, path, **options):
        Path(path).write_text("file,check,pat")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", breaks_half_way)
    with pytest.raises(OSError):
        simulator.check([suite], workers=1, out=out)
    assert sorted(path.name for path in out.iterdir()) == ["checks.csv"]
    assert (out / "checks.csv").read_text() == "the previous suite's outcome\n"


# --- bad input ----------------------------------------------------------------------------------

BAD = """\
checks:
  misspelt:
    pattern: "a KPI misspelt"
    scenario: world/minimal.yaml
    seeds: 2
    expect: {kpi: budget_spnt, at_most: 1}
  half_a_comparison:
    pattern: "a direction without arms"
    scenario: world/minimal.yaml
    seeds: 2
    expect: {kpi: budget_spent, direction: higher}
"""


def test_a_bad_file_exits_2_with_file_line_column_and_path(suite, tmp_path):
    suite.write_text(BAD)
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "simulator", "check", str(suite), "--out",
                           str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == EXIT_USAGE, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    lines = done.stderr.splitlines()
    assert lines[0] == "error: 2 problems found:"
    assert lines[1].startswith(f"  {suite}:6:14: checks.misspelt.expect.kpi: unknown KPI "
                               "'budget_spnt'; did you mean 'budget_spent'?")
    assert lines[2] == (f"  {suite}:11:33: checks.half_a_comparison.expect.direction: "
                        "compares two arms: give `arms` with a `treatment` and a `control`")
    assert not out.exists()


def test_overrides_and_scenarios_are_checked_before_anything_runs(suite, tmp_path, capsys):
    suite.write_text("""\
checks:
  nowhere:
    pattern: "a scenario that is not there"
    scenario: world/nowhere.yaml
    seeds: 2
    expect: {kpi: budget_spent, at_most: 1}
  no_such_exercise:
    pattern: "an override of nothing"
    scenario: world/minimal.yaml
    set: {exercises.nope.cost: 3}
    seeds: 2
    arms:
      treatment: {exercises.sea_breeze.every_day: 90}
      control: {}
    expect: {kpi: budget_spent, direction: lower}
  too_late:
    pattern: "a time past the horizon"
    scenario: world/minimal.yaml
    seeds: 2
    expect: {metric: budget_spent, at_years: 6, at_most: 1}
""")
    assert main(["check", str(suite), "--out", str(tmp_path / "out")]) == EXIT_USAGE
    # the keys an exercise may have are the schema's: the message's list is cut short here
    assert [re.sub(r"cost, domains, .*\)$", "cost, domains, ...)", line)
            for line in capsys.readouterr().err.splitlines()] == [
        "error: 4 problems found:",
        f"  {suite}:4:5: checks.nowhere.scenario: {suite.parent / 'world' / 'nowhere.yaml'}: "
        "file not found",
        f"  {suite}:10:11: checks.no_such_exercise: exercises: no item 'nope' (expected one "
        "of: sea_breeze)",
        f"  {suite}:13:19: checks.no_such_exercise: exercises.sea_breeze.every_day: unknown "
        "key 'every_day'; did you mean 'every_days'? (expected one of: cost, domains, ...)",
        f"  {suite}:20:36: checks.too_late.expect.at_years: is after the horizon (5 years)"]
    assert not (tmp_path / "out").exists()


def test_a_file_of_another_kind_and_no_files_at_all_are_bad_input(tmp_path, monkeypatch,
                                                                  capsys):
    assert main(["check", str(SCENARIOS / "minimal.yaml")]) == EXIT_USAGE
    assert capsys.readouterr().err == (
        f"error: {SCENARIOS / 'minimal.yaml'}: this is a scenario file, not a check: use "
        "`simulator run` (in Python: simulator.simulate)\n")
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == EXIT_USAGE
    assert capsys.readouterr().err.startswith(
        "error: no files of checks found (validation/*.yaml in ")
    assert list(tmp_path.iterdir()) == []


# --- the shipped suite, the help and the report -------------------------------------------------


def test_the_shipped_suite_is_valid(capsys):
    """Valid, not run: `make test` runs it (`simulator check`) after the tests."""
    files = checks.default_files(ROOT)
    assert {"closed_forms.yaml", "extremes.yaml"} <= {path.name for path in files}
    assert main(["validate", *map(str, files)]) == EXIT_OK
    said = capsys.readouterr().out.splitlines()
    assert f"{ROOT / 'validation' / 'closed_forms.yaml'}: ok (3 checks, 8 runs)" in said
    assert f"{ROOT / 'validation' / 'extremes.yaml'}: ok (6 checks, 22 runs)" in said


def test_the_help_states_the_rule(capsys):
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "one-sided (1 - level) confidence bounds of the mean over the seeds" in text
    assert "treatment - control" in text and "common random numbers" in text


def test_the_report_shows_the_validation_section_when_checks_csv_is_there(suite, tmp_path):
    from simulator.presentation.report import write_report

    run = tmp_path / "run"
    assert main(["run", str(SCENARIOS / "minimal.yaml"), "--out", str(run), "--no-plots"]) == 0
    page = Page(write_report(run).read_text(encoding="utf-8"))
    assert "Validation" in page.sections
    assert (f"No validation suite was run into this directory: simulator check --out {run} "
            "adds it.") in page.text
    assert main(["check", str(suite), "--out", str(run), "--quiet"]) == EXIT_FAILURE
    page = Page(write_report(run).read_text(encoding="utf-8"))
    assert page.sections[-3:] == ["Validation", "Figures", "Reproducibility"]
    assert "2 of 3 checks of the model passed (from 1 file of checks" in page.text
    table = next(table for table in page.tables if table[0][0] == "check")
    assert table == [
        ["check", "pattern", "measured", "expected", "result"],
        [f"exercise_count {suite}", "Exercises recur on schedule", "10 no spread",
         "exercises_held in [10, 10]", "✓ pass"],
        [f"too_many {suite}", "An exercise too many", "10 no spread",
         "exercises_held >= 11", "✗ fail the mean may be below 11: its 95% lower bound is "
         "10; no spread, so the bound is the mean"],
        [f"twice_as_often {suite}", "Halving the interval doubles the exercises",
         "10 no spread", "exercises_held treatment - control > 9.5", "✓ pass"]]
