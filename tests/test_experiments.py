"""Experiments: variant files, common random numbers, executors, resumption, statistics."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulator
from simulator.cli import main
from simulator.errors import ScenarioError, UserError
from simulator.runs.experiment import load_experiment
from simulator.runs.runner import run_experiment

from .conftest import (
    HUNG_AFTER_SECONDS,
    LONG,
    ROOT,
    SCENARIOS,
    SMALL,
    data_files,
    kill,
    run_compare,
    start_compare,
    wait_for_runs,
    write,
)

# --- experiment files --------------------------------------------------------------------------


def test_the_shipped_experiment_resolves_every_variant():
    plan = load_experiment(ROOT / "configs" / "compare_policies.yaml")
    assert plan.variant_names[0] == "baseline" and len(plan.variant_names) == 5
    assert plan.scenarios["restraint_in_east"].exercises[1].every_days == 270
    assert plan.scenarios["baseline"].exercises[1].every_days == 180
    assert all(p.tailored for p in plan.scenarios["tailored_programs"].programs)


def test_a_bad_override_is_located_in_the_experiment_file(tmp_path):
    text = SMALL.replace("exercises.sea_breeze.every_days: 60",
                         "exercises.sea_brezze.every_days: 60\n"
                         "    nations.aldoria.annual_budgt: 5")
    config = write(tmp_path / "bad.yaml", text)
    with pytest.raises(ScenarioError) as raised:
        load_experiment(config)
    message = str(raised.value)
    assert "2 problems found" in message
    assert f"{config}:10:5: variants.more_exercises: exercises: no item 'sea_brezze'" in message
    assert (f"{config}:11:5: variants.more_exercises: nations.aldoria.annual_budgt: unknown "
            "key 'annual_budgt'; did you mean 'annual_budget'?") in message


def test_experiment_fields_are_checked(tmp_path):
    text = (SMALL.replace("primary_metric: mean_interop_ally_partner", "primary_metric: trust")
            .replace("replications: 4", "replications: 1").replace("  baseline:", "  base:"))
    config = write(tmp_path / "bad.yaml", text)
    with pytest.raises(ScenarioError) as raised:
        load_experiment(config)
    message = str(raised.value)
    assert f"{config}:3:1: replications: should be greater than or equal to 2" in message
    # the cross-checks run once the fields are valid
    config = write(tmp_path / "bad2.yaml", text.replace("replications: 1", "replications: 2"))
    with pytest.raises(ScenarioError) as raised:
        load_experiment(config)
    message = str(raised.value)
    assert "primary_metric: unknown KPI 'trust'" in message
    assert "baseline: no variant named 'baseline' (variants: base, more_exercises)" in message


def test_compare_cli_reports_a_bad_experiment_with_status_2(tmp_path, capsys):
    config = write(tmp_path / "bad.yaml", SMALL.replace("seed: 5", "seed: -1"))
    assert main(["compare", str(config), "--out", str(tmp_path / "out")]) == 2
    assert f"{config}:4:1: seed: should be greater than or equal to 0" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# --- common random numbers and determinism -----------------------------------------------------


def test_common_random_numbers_shrink_the_variance_of_differences(tmp_path):
    """On the shipped experiment, pairing by replication makes the variance of differences
    smaller than pairing each run with another replication's baseline."""
    plan = load_experiment(ROOT / "configs" / "compare_policies.yaml")
    experiment = plan.experiment.model_copy(update={
        "replications": 12,
        "variants": {name: {**overrides, "horizon_years": 5}
                     for name, overrides in plan.experiment.variants.items()
                     if name in ("baseline", "tailored_programs")},
    })
    from simulator.runs.experiment import plan as make_plan

    small = make_plan(experiment, SCENARIOS / "baseline.yaml")
    result = run_experiment(small, tmp_path / "crn", workers=2)
    summary = result.summary.set_index(["variant", "replication"])
    for kpi in ("mean_interop_ally_partner", "final_trust_partner_ally"):
        base = summary.loc["baseline", kpi].to_numpy()
        tailored = summary.loc["tailored_programs", kpi].to_numpy()
        paired = np.var(tailored - base, ddof=1)
        unpaired = np.var(tailored - np.roll(base, 1), ddof=1)
        assert paired < unpaired / 4, (kpi, paired, unpaired)


def test_results_are_identical_in_process_and_in_a_pool(small_clean, tmp_path):
    config = write(tmp_path / "small.yaml", SMALL)
    run_experiment(config, tmp_path / "pool", workers=2)
    assert data_files(tmp_path / "pool") == data_files(small_clean)


def test_results_are_identical_on_a_dask_cluster(small_clean, tmp_path):
    from dask.distributed import LocalCluster

    config = write(tmp_path / "small.yaml", SMALL)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        run_experiment(config, tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert data_files(tmp_path / "dask") == data_files(small_clean)


def test_an_unreachable_scheduler_is_a_user_error(tmp_path):
    config = write(tmp_path / "small.yaml", SMALL)
    with pytest.raises(UserError, match="cannot reach the Dask scheduler"):
        run_experiment(config, tmp_path / "out", scheduler="tcp://127.0.0.1:1", timeout=0.5)


def test_a_scheduler_without_workers_is_said_then_given_up(tmp_path, monkeypatch, capsys):
    from dask.distributed import LocalCluster

    from simulator.runs.executors import DaskCluster

    monkeypatch.setattr(DaskCluster, "NOTICE_SECONDS", 0.2)
    config = write(tmp_path / "small.yaml", SMALL)
    out = tmp_path / "out"
    with LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        status = main(["compare", str(config), "--out", str(out), "--scheduler", address,
                       "--timeout", "1", "--no-progress"])
    error = capsys.readouterr().err
    assert status == 2
    assert f"waiting for workers: the Dask scheduler at {address} has none yet" in error
    assert (f"error: --scheduler {address}: the Dask scheduler has no workers (waited 1 s)"
            in error)
    assert not (out / "runs.jsonl").exists()


def test_every_row_carries_what_produced_it(small_clean):
    result = simulator.runs.store.ExperimentResult(small_clean)
    summary = result.summary
    assert list(summary.columns[:5]) == ["run_id", "variant", "replication", "seed", "status"]
    assert (summary.seed == 5).all() and (summary.status == "ok").all()
    assert sorted(summary.run_id) == sorted(f"{v}/{k}" for v in ("baseline", "more_exercises")
                                            for k in range(4))
    series = result.series
    assert set(series.variant) == {"baseline", "more_exercises"}
    assert set(series.replication) == {0, 1, 2, 3} and (series.seed == 5).all()
    manifest = result.manifest
    assert manifest.kind == "experiment" and manifest.status == "finished"
    assert manifest.variants["more_exercises"].overrides[
        "exercises.sea_breeze.every_days"] == 60


def test_the_api_matches_single_runs(small_clean):
    """Replication k of a variant is exactly `simulate(scenario, seed, replication=k)`."""
    plan = load_experiment(small_clean.parent / "small.yaml")
    result = simulator.runs.store.ExperimentResult(small_clean)
    expected = simulator.simulate(plan.scenarios["more_exercises"], seed=5, replication=2)
    row = result.summary.query("variant == 'more_exercises' and replication == 2").iloc[0]
    for kpi in ("mean_interop_ally_partner", "exercises_held", "final_trust_ally_partner"):
        assert row[kpi] == pytest.approx(expected.kpis[kpi], rel=1e-15)


# --- comparison --------------------------------------------------------------------------------


def test_comparison_is_paired_and_holm_corrected(small_clean):
    result = simulator.runs.store.ExperimentResult(small_clean)
    comparison = result.comparison.set_index(["variant", "kpi"])
    summary = result.summary.set_index(["variant", "replication"])
    row = comparison.loc[("more_exercises", "exercises_held")]
    differences = (summary.loc["more_exercises", "exercises_held"]
                   - summary.loc["baseline", "exercises_held"])
    assert row.difference == pytest.approx(differences.mean())
    assert row.n == 4
    assert row.difference > 0 and bool(row.significant)
    # one variant against the baseline: the Holm family has one member per KPI
    assert (result.comparison.p_holm.dropna() == result.comparison.p_value.dropna()).all()


# --- output directories and resumption ---------------------------------------------------------


def test_a_different_experiment_is_refused_unless_forced(small_clean, tmp_path):
    config = write(tmp_path / "other.yaml", SMALL.replace("seed: 5", "seed: 6"))
    target = tmp_path / "copy"
    import shutil

    shutil.copytree(small_clean, target)
    with pytest.raises(UserError, match="holds results of a different experiment"):
        run_experiment(config, target, workers=1)
    run_experiment(config, target, workers=1, force=True)
    assert (pd.read_csv(target / "summary.csv").seed == 6).all()


def test_a_foreign_directory_is_never_written(tmp_path):
    config = write(tmp_path / "small.yaml", SMALL)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    for force in (False, True):
        with pytest.raises(UserError, match="not a results directory"):
            run_experiment(config, foreign, workers=1, force=force)
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]


def test_more_replications_later_reuse_the_finished_ones(small_clean, tmp_path):
    import shutil

    target = tmp_path / "grow"
    shutil.copytree(small_clean, target)
    config = write(tmp_path / "small.yaml", SMALL.replace("replications: 4", "replications: 6"))
    before = {p: p.stat().st_mtime_ns for p in (target / "series").rglob("*.parquet")}
    run_experiment(config, target, workers=1)
    after = {p: p.stat().st_mtime_ns for p in (target / "series").rglob("*.parquet")}
    assert len(after) == 12 and all(after[p] == before[p] for p in before)


def test_a_torn_journal_line_and_a_corrupt_file_are_not_trusted(small_clean, tmp_path):
    import shutil

    target = tmp_path / "damaged"
    shutil.copytree(small_clean, target)
    victim = target / "series" / "variant=baseline" / "rep-00001.parquet"
    victim.write_bytes(victim.read_bytes()[:100])
    with (target / "runs.jsonl").open("a") as journal:
        journal.write('{"variant": "baseline", "replica')
    config = write(tmp_path / "small.yaml", SMALL)
    run_experiment(config, target, workers=1)
    assert data_files(target) == data_files(small_clean)


def test_a_failed_run_is_flagged_not_dropped(tmp_path, monkeypatch):
    import simulator.runs.executors as executors

    real = executors.run_one

    def flaky(scenario, seed, replication, trace=False):
        if replication == 2 and scenario.exercises[2].every_days == 180:  # baseline only
            raise RuntimeError("boom")
        return real(scenario, seed=seed, replication=replication)

    monkeypatch.setattr(executors, "run_one", flaky)
    config = write(tmp_path / "small.yaml", SMALL)
    result = run_experiment(config, tmp_path / "out", workers=1)
    summary = result.summary
    failed = summary[summary.status == "failed"]
    assert list(failed.run_id) == ["baseline/2"]
    assert failed[list(simulator.model.metrics.KPI_NAMES)].isna().all().all()
    assert result.manifest.failed_runs == ["baseline/2"]
    assert (result.comparison.n == 3).all()
    journal = [json.loads(line) for line in (tmp_path / "out" / "runs.jsonl").open()]
    assert any("RuntimeError: boom" in (entry.get("error") or "") for entry in journal)


def test_precision_adds_batches_until_the_interval_is_narrow(tmp_path):
    loose = SMALL + "precision: 0.5\nbatch: 2\nmax_replications: 8\n"
    result = run_experiment(write(tmp_path / "loose.yaml", loose), tmp_path / "loose", workers=1)
    assert result.manifest.replications == 4
    assert result.manifest.stop_reason.startswith("precision reached")
    tight = SMALL + "precision: 0.00001\nbatch: 2\nmax_replications: 8\n"
    result = run_experiment(write(tmp_path / "tight.yaml", tight), tmp_path / "tight", workers=1)
    assert result.manifest.replications == 8
    assert result.manifest.stop_reason == "replication cap reached (8)"
    assert len(result.summary) == 16


# --- interruption ------------------------------------------------------------------------------


@pytest.mark.slow
def test_killed_midway_then_resumed_gives_identical_files(long_clean, tmp_path):
    """SIGKILL after a few runs, then the same command again: the same files as a clean run
    (and no temporary file of a write the kill cut short)."""
    config = write(tmp_path / "long.yaml", LONG)
    out = tmp_path / "out"
    process = start_compare(config, out, workers=1)
    assert wait_for_runs(out, 3, process)
    kill(process)
    assert (out / "runs.jsonl").read_text().count("\n") < 200
    resumed = run_compare(config, out, workers=2)
    assert resumed.returncode == 0, resumed.stderr
    assert data_files(out) == data_files(long_clean)


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_says_how_to_resume(long_clean, tmp_path):
    config = write(tmp_path / "long.yaml", LONG)
    out = tmp_path / "out"
    process = start_compare(config, out, workers=1)
    assert wait_for_runs(out, 2, process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=HUNG_AFTER_SECONDS)
    assert process.returncode == 130
    assert "run the same command again to resume" in stderr and "Traceback" not in stderr
    assert not list(out.rglob("*.tmp"))
    assert main(["compare", str(config), "--out", str(out), "--no-progress", "--no-plots"]) == 0
    assert data_files(out) == data_files(long_clean)


def test_validate_knows_an_experiment_file(capsys):
    assert main(["validate", str(ROOT / "configs" / "compare_policies.yaml")]) == 0
    assert ("compare_policies.yaml: ok (experiment: 5 variants of "
            in capsys.readouterr().out)
    bad = Path(__file__).parent / "bad_inputs" / "experiments" / "unknown_primary_metric.yaml"
    assert main(["validate", str(bad)]) == 2
    assert "primary_metric: unknown KPI 'interop'" in capsys.readouterr().err


def test_runs_go_to_workers_in_chunks_that_keep_every_worker_busy():
    """Runs are handed out a few at a time (each result handed back costs the parent),
    but never so many that a worker idles at the end: a round of five goes out one by
    one, 200 runs on two workers in chunks of 4 to a pool and 12 to Dask."""
    from simulator.runs.executors import DaskCluster, LocalPool, _chunk_size

    assert _chunk_size(list(range(5)), LocalPool.CHUNK, 2) == 1
    assert _chunk_size(list(range(200)), LocalPool.CHUNK, 2) == 4
    assert _chunk_size(list(range(200)), DaskCluster.CHUNK, 2) == 12
    assert _chunk_size(iter(range(200)), DaskCluster.CHUNK, 2) == DaskCluster.CHUNK
