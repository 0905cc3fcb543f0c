"""Explorations: the file, the design of futures, the runner, and the analyses end to end.

The runs are real (small worlds, short designs), so the analyses are tested against what
the model must show: a factor that cannot move an outcome gets a total index of nothing,
the crisis rate decides the crisis count, and regret, maximin and satisficing are the
numbers one works out by hand from `outcomes.parquet`. Common random numbers make the
files the same whoever runs them (1 worker, 2, Dask), and after a kill and a resumption.
"""

from __future__ import annotations

import math
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulator
from simulator.analysis.robustness import regret
from simulator.cli import main
from simulator.errors import ScenarioError
from simulator.model.loading import load_scenario
from simulator.runs.exploration import future_scenario_data, load_exploration
from simulator.runs.explorer import explore
from simulator.runs.store import ExplorationResult

from .conftest import HUNG_AFTER_SECONDS, ROOT, data_files, kill, wait_for_runs, write
from .test_loading import assert_reported_and_refused

CORPUS = sorted((Path(__file__).parent / "bad_inputs" / "explorations").glob("*.yaml"))
MINIMAL = ROOT / "scenarios" / "minimal.yaml"
COALITION = ROOT / "validation" / "scenarios" / "coalition.yaml"

SMALL = f"""
name: small
scenario: {MINIMAL}
seed: 11
uncertainties:
  nations.*.political_will: {{scale: [0.6, 1.2], clip: [0, 1]}}
  exercises.sea_breeze.every_days: {{range: [90, 365], distribution: log-uniform}}
  exercises.sea_breeze.cost: {{range: [1, 5]}}  # never binding: 8 a year at most, 60 to spend
policies:
  baseline: {{}}
  often: {{scale: {{exercises.sea_breeze.every_days: 0.5}}}}
sampler: sobol
futures: 40
replications: 2
outcomes: [mean_interop_ally_partner, budget_spent]
satisficing: {{mean_interop_ally_partner: {{min: 0.3}}}}
keep_series: 3
"""
"""Minimal's pair under uncertain will, tempo and cost: 160 runs of 5 years. The budget is
100 x will a year, at least 60; at most 8 exercises a year cost at most 40: never binding."""

CRISES = f"""
name: crises
scenario: {COALITION}
seed: 5
uncertainties:
  threats.unrest.per_year: {{range: [1, 8]}}
  parameters.half_life_days.trust_evidence: {{range: [365, 2190]}}
policies:
  alone: {{relations.0.trust: 0.1}}
  together: {{}}
sampler: sobol
futures: 64
replications: 2
outcomes: [crises, crisis_success_rate]
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> ExplorationResult:
    directory = tmp_path_factory.mktemp("explore")
    return explore(write(directory / "small.yaml", SMALL), directory / "out", workers=1)


# --- bad files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_every_bad_exploration_is_reported_with_its_location(path, capsys, tmp_path):
    assert_reported_and_refused(path, load_exploration, "explore", capsys, tmp_path / "out")


def test_an_exploration_file_given_to_compare_is_refused_naming_explore(tmp_path, capsys):
    config = write(tmp_path / "small.yaml", SMALL)
    assert main(["compare", str(config)]) == 2
    assert "this is an exploration file, not an experiment: use `simulator explore`" in (
        capsys.readouterr().err)


def table_exploration(folder: Path, points: str) -> Path:
    """The small exploration of the cost alone, over the points of a CSV file."""
    write(folder / "points.csv", points)
    return write(folder / "table.yaml", SMALL.replace(
        "sampler: sobol\nfutures: 40", "sampler: table\ntable: points.csv").replace(
        "  nations.*.political_will: {scale: [0.6, 1.2], clip: [0, 1]}\n"
        "  exercises.sea_breeze.every_days: {range: [90, 365], distribution: log-uniform}\n",
        ""))


def test_a_table_design_out_of_range_names_its_lines(tmp_path):
    config = table_exploration(tmp_path, "exercises.sea_breeze.cost\n2\n30\n3\n")
    with pytest.raises(ScenarioError, match=r"column 'exercises.sea_breeze.cost' leaves its "
                                            r"range \[1, 5\] at line 3"):
        load_exploration(config)


def test_a_table_design_is_run_as_written(tmp_path):
    config = table_exploration(tmp_path, "exercises.sea_breeze.cost,other\n2,1\n4,2\n1.5,3\n")
    assert load_exploration(config).design[:, 0].tolist() == [2, 4, 1.5]


def test_a_factorial_has_levels_to_the_power_of_the_uncertainties(tmp_path):
    config = write(tmp_path / "grid.yaml", SMALL.replace("sampler: sobol\nfutures: 40",
                                                         "sampler: factorial\nlevels: 3"))
    plan = load_exploration(config)
    assert plan.design.shape == (27, 3)
    assert sorted(set(plan.design[:, 2])) == [1, 3, 5]


def test_a_future_scales_then_clips_and_the_policy_applies_on_top(tmp_path):
    plan = load_exploration(write(tmp_path / "small.yaml", SMALL))
    future = int(np.argmax(plan.design[:, 0]))  # the largest factor on will: some clipped
    sets, scales = plan.future_changes(future)
    data = future_scenario_data(plan.base, sets, scales, plan.clips, plan.policies["often"])
    scenario = simulator.scenario_from_dict(data)
    written = load_scenario(MINIMAL)
    factor, every_days, cost = plan.design[future]
    for nation, original in zip(scenario.nations, written.nations):
        assert nation.political_will == min(1.0, original.political_will * factor)
    assert scenario.exercises[0].every_days == pytest.approx(0.5 * every_days)
    assert scenario.exercises[0].cost == cost


def test_whole_numbers_stay_whole(tmp_path):
    config = write(tmp_path / "trainers.yaml", SMALL.replace(
        "  exercises.sea_breeze.cost: {range: [1, 5]}  # never binding: 8 a year at most, 60 "
        "to spend",
        "  facilities.north_range.capacity: {range: [1, 4]}"))
    plan = load_exploration(config)
    assert set(plan.design[:, 2]) <= {1, 2, 3, 4} and len(set(plan.design[:, 2])) > 1


# --- what the analyses must find ----------------------------------------------------------------


def test_a_cost_that_never_binds_has_no_effect(small):
    """Common random numbers across the design: the cost changes nothing, so its total index
    is nothing at all, not noise."""
    table = small.sensitivity
    whole = table[table.year.isna() & (table["index"] == "ST")]
    cost = whole[(whole.uncertainty == "exercises.sea_breeze.cost")
                 & (whole.outcome == "mean_interop_ally_partner")]
    assert len(cost) == 2 and (cost.value == 0).all() and cost.includes_zero.all()
    assert whole.half_value.notna().all()  # every index beside its value on half the design
    tempo = whole[(whole.uncertainty == "exercises.sea_breeze.every_days")
                  & (whole.outcome == "mean_interop_ally_partner")]
    assert (tempo.value > 0.1).all() and not tempo.includes_zero.any()


def test_the_crisis_rate_decides_the_crisis_count(tmp_path):
    result = explore(write(tmp_path / "crises.yaml", CRISES), tmp_path / "out", workers=1)
    table = result.sensitivity
    crises = table[table.year.isna() & (table.outcome == "crises") & (table["index"] == "ST")]
    for _, policy in crises.groupby("policy"):
        by = policy.set_index("uncertainty").value
        assert by["threats.unrest.per_year"] > 0.9
        assert by["parameters.half_life_days.trust_evidence"] == 0  # arrivals ignore trust
    yearly = table[(table.outcome == "crises") & table.year.notna()]
    assert sorted(yearly.year.unique()) == list(range(1, 11))


def test_robustness_is_what_the_outcomes_say(small):
    outcomes = small.outcomes.set_index(["future", "policy"])
    table = small.robustness.set_index(["outcome", "metric", "policy"]).value
    interop = outcomes.mean_interop_ally_partner.unstack("policy")[["baseline", "often"]]
    lost = regret(interop.to_numpy(), direction=1)
    for position, policy in enumerate(["baseline", "often"]):
        key = ("mean_interop_ally_partner",)
        assert table[(*key, "mean", policy)] == pytest.approx(interop[policy].mean())
        assert table[(*key, "worst", policy)] == pytest.approx(interop[policy].min())
        assert table[(*key, "max_regret", policy)] == pytest.approx(lost[:, position].max())
        assert table[(*key, "p90_regret", policy)] == pytest.approx(
            np.percentile(lost[:, position], 90))
        assert table[("all criteria", "satisficing_share", policy)] == pytest.approx(
            (interop[policy] >= 0.3).mean())
    spent = outcomes.budget_spent.unstack("policy")
    assert table[("budget_spent", "worst", "often")] == pytest.approx(spent.often.max())


def test_noise_and_uncertainty_split_the_variance(small):
    runs = small.runs
    ok = runs[(runs.policy == "baseline") & (runs.status == "ok")]
    within = ok.groupby("future").mean_interop_ally_partner.var(ddof=1).mean()
    row = small.variance.set_index(["policy", "outcome"]).loc[
        ("baseline", "mean_interop_ally_partner")]
    assert row.within == pytest.approx(within)
    assert 0 <= row.noise_share <= 1


def test_every_analysis_says_whether_the_sample_was_enough(small):
    sufficiency = small.sufficiency
    assert set(sufficiency.analysis) == {"robustness", "sensitivity", "discovery"}
    assert sufficiency.enough.isin([True, False]).all()
    lacking = sufficiency[~sufficiency.enough.astype(bool)]
    assert (lacking.futures_needed.dropna() > 40).all()


def test_the_files_and_the_manifest(small):
    directory = small.directory
    manifest = small.manifest
    assert manifest.status == "finished" and manifest.futures == 40 and manifest.runs == 160
    assert manifest.failed_runs == [] and manifest.kept_series == [0, 20, 39]
    assert len(list((directory / "runs").glob("*.parquet"))) == manifest.tasks < 160
    assert sorted(small.series.future.unique()) == [0, 20, 39]
    assert len(small.runs) == 160 and len(small.outcomes) == 80
    assert list(small.futures.columns) == ["future", "nations.*.political_will",
                                           "exercises.sea_breeze.every_days",
                                           "exercises.sea_breeze.cost"]
    years = [column for column in small.runs.columns if column.startswith("year_")]
    assert years == [f"year_{year}" for year in range(1, 6)]
    final = small.runs.year_5.to_numpy()
    assert np.allclose(final, small.runs.mean_interop_ally_partner.to_numpy())


# --- running: identical files however it is run -------------------------------------------------


def test_two_workers_and_dask_write_the_same_files(small, tmp_path):
    """Runs and analysis alike: PRIM's boxes are found policy by policy on the workers
    (here with boxes to find: the baseline fails in an eighth of the futures)."""
    from dask.distributed import LocalCluster

    config = write(tmp_path / "small.yaml", SMALL)
    explore(config, tmp_path / "pool", workers=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        explore(config, tmp_path / "dask", scheduler=cluster.scheduler_address)
    reference = data_files(small.directory)
    assert data_files(tmp_path / "pool") == reference
    assert data_files(tmp_path / "dask") == reference


def explore_command(config: Path, out: Path) -> list[str]:
    """`simulator explore` as a user types it, on 2 workers."""
    return [sys.executable, "-m", "simulator", "explore", str(config), "--out", str(out),
            "--workers", "2", "--no-progress", "--no-plots"]


def test_a_killed_exploration_resumes_to_the_same_files(small, tmp_path):
    config = write(tmp_path / "small.yaml", SMALL)
    out = tmp_path / "out"
    command = explore_command(config, out)
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    finished = not wait_for_runs(out, 3, process)  # 3 tasks journalled: then kill
    kill(process)
    assert not finished, "the exploration ended before it could be killed"
    resumed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                             timeout=HUNG_AFTER_SECONDS)
    assert resumed.returncode == 0, resumed.stderr
    assert data_files(out) == data_files(small.directory)


def test_a_sobol_design_grown_reuses_its_runs(small, tmp_path):
    directory = tmp_path / "grow"
    explore(write(tmp_path / "small.yaml", SMALL), directory, workers=1)
    seen: list[tuple[int, int]] = []
    bigger = write(tmp_path / "bigger.yaml", SMALL.replace("futures: 40", "futures: 80"))
    grown = explore(bigger, directory, workers=1,
                    progress=lambda done, total, failed: seen.append((done, total)))
    assert seen[0] == (160, 320) and seen[-1] == (320, 320)
    fresh = explore(bigger, tmp_path / "fresh", workers=1)
    pd.testing.assert_frame_equal(grown.outcomes, fresh.outcomes)
    assert grown.futures.iloc[:40].equals(small.futures)


def test_failed_runs_are_said_and_made_again_on_resumption(tmp_path, monkeypatch):
    import simulator.runs.explorer as explorer

    real = explorer.run_one

    def fragile(scenario, seed, replication):
        if scenario.exercises[0].cost > 4.5 and replication == 1:
            raise RuntimeError("a run that breaks")
        return real(scenario, seed=seed, replication=replication)

    config = write(tmp_path / "small.yaml", SMALL)
    monkeypatch.setattr(explorer, "run_one", fragile)
    broken = explore(config, tmp_path / "out", workers=1)
    failed = broken.manifest.failed_runs
    assert failed and all(run.endswith("/1") for run in failed)
    futures = sorted({int(run.split("/")[0]) for run in failed})
    runs = broken.runs
    assert (runs[runs.status == "failed"].error.str.contains("a run that breaks")).all()
    notes = broken.sensitivity.note.dropna()
    assert notes.str.contains("not computed").any()  # Saltelli's estimator needs every future
    assert len(broken.outcomes) == 80  # one replication left: every future still has a mean
    said = broken.manifest.left_out["failed runs"]
    assert said.startswith(f"{len(futures)} futures with a failed run (futures {futures[0]}, ")
    monkeypatch.setattr(explorer, "run_one", real)
    mended = explore(config, tmp_path / "out", workers=1)
    assert mended.manifest.failed_runs == [] and futures


def test_a_directory_of_another_exploration_is_refused(small, tmp_path):
    other = write(tmp_path / "other.yaml", SMALL.replace("seed: 11", "seed: 12"))
    with pytest.raises(simulator.UserError, match="holds results of a different exploration"):
        explore(other, small.directory, workers=1)


def test_the_python_api(small, tmp_path):
    assert simulator.explore is explore
    plan = simulator.load_exploration(write(tmp_path / "small.yaml", SMALL))
    assert len(plan.design) == 40 and list(plan.policies) == ["baseline", "often"]
    assert isinstance(small, ExplorationResult)
    tables = (small.futures, small.runs, small.outcomes, small.sensitivity, small.robustness,
              small.variance, small.discovery, small.trajectories, small.sufficiency,
              small.series)
    assert all(len(table) for table in tables)
    assert math.isfinite(small.robustness.value.iloc[0])


def test_sigterm_stops_an_exploration_that_resumes(tmp_path):
    config = write(tmp_path / "small.yaml", SMALL)
    out = tmp_path / "out"
    command = explore_command(config, out)
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    running = wait_for_runs(out, 2, process)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=HUNG_AFTER_SECONDS)
    if running and process.returncode == 130:
        assert "interrupted: finished runs are kept" in stderr
        manifest = ExplorationResult(out).manifest
        assert manifest.status == "interrupted"
    resumed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                             timeout=HUNG_AFTER_SECONDS)
    assert resumed.returncode == 0, resumed.stderr
    assert ExplorationResult(out).manifest.status == "finished"


def test_the_report_of_an_unfinished_exploration_says_what_to_do(small, tmp_path, capsys):
    import json
    import shutil

    stopped = tmp_path / "stopped"
    shutil.copytree(small.directory, stopped)
    manifest = json.loads((stopped / "manifest.json").read_text())
    (stopped / "manifest.json").write_text(json.dumps({**manifest, "status": "interrupted"}))
    assert main(["report", str(stopped)]) == 2
    assert "the exploration has not finished (it is interrupted); run `simulator explore` " \
        "again" in capsys.readouterr().err


def test_an_exploration_that_keeps_no_series(tmp_path):
    config = write(tmp_path / "bare.yaml", SMALL.replace("keep_series: 3", "keep_series: 0")
                   .replace("futures: 40", "futures: 20"))
    result = explore(config, tmp_path / "out", workers=1)
    assert result.manifest.kept_series == [] and result.series.empty
    assert not any((tmp_path / "out").glob("series/*.parquet"))
