"""Reliability: bad experiment files, conflicting overrides, extreme worlds, full disks,
and interruptions at random moments that never lose or corrupt a finished run."""

from __future__ import annotations

import errno
import json
import random
import shutil
import signal
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import psutil
import pytest

import simulator
from simulator.cli import main
from simulator.errors import ScenarioError
from simulator.model.recorder import COUNT_METRICS, SERIES_METRICS
from simulator.runs.experiment import load_experiment

from .conftest import (
    HUNG_AFTER_SECONDS,
    SCENARIOS,
    SMALL,
    build,
    data_files,
    journal_lines,
    kill,
    run_compare,
    start_compare,
    wait_for_runs,
    world_of,
    write,
)
from .test_loading import assert_reported_and_refused

EXPERIMENT_CORPUS = sorted((Path(__file__).parent / "bad_inputs" / "experiments").glob("*.yaml"))


# --- bad experiment files and overrides -------------------------------------------------------


@pytest.mark.parametrize("path", EXPERIMENT_CORPUS, ids=lambda p: p.stem)
def test_every_bad_experiment_is_reported_with_its_location(path, capsys, tmp_path):
    assert_reported_and_refused(path, load_experiment, "compare", capsys, tmp_path / "out")


def test_the_corpus_covers_every_required_class():
    scenario_files = list((Path(__file__).parent / "bad_inputs").glob("*.yaml"))
    assert len(scenario_files) + len(EXPERIMENT_CORPUS) >= 40


def test_an_override_given_twice_is_refused(minimal):
    with pytest.raises(ScenarioError) as raised:
        simulator.scenario_from_dict(minimal, [("horizon_years", 3), ("horizon_years", 4)])
    assert "--set horizon_years: horizon_years: is set twice: give each value once" in str(
        raised.value)


def test_an_override_of_a_value_and_of_its_part_is_refused(minimal):
    with pytest.raises(ScenarioError) as raised:
        simulator.scenario_from_dict(minimal, [("parameters.exercise", {"proficiency": 0.5}),
                                               ("parameters.exercise.min_success", 0.5)])
    assert "conflicts with 'parameters.exercise'" in str(raised.value)


@pytest.mark.parametrize("arguments, message", [
    (["--workers", "0"], "expected 1 to 1024 workers"),
    (["--workers", "many"], "expected a whole number"),
    (["--format", "gif"], "invalid choice: 'gif'"),
])
def test_bad_command_line_arguments_exit_2(arguments, message, capsys, tmp_path):
    config = write(tmp_path / "small.yaml", SMALL)
    with pytest.raises(SystemExit) as raised:
        main(["compare", str(config), "--out", str(tmp_path / "out"), *arguments])
    assert raised.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# --- output safety -----------------------------------------------------------------------------


@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "No space left on device"),
                                         (errno.EROFS, "Read-only file system")])
def test_a_full_disk_or_read_only_directory_is_a_clear_error(code, words, monkeypatch, capsys,
                                                             tmp_path):
    import simulator.runs.store as store

    def refuse(path, write):
        raise OSError(code, words, str(path))

    monkeypatch.setattr(store, "atomic_write", refuse)
    out = tmp_path / "out"
    status = main(["run", str(SCENARIOS / "minimal.yaml"), "--out", str(out), "--no-plots"])
    error = capsys.readouterr().err
    assert status == 1
    assert f"error: cannot write the results: {out}/series.parquet: {words}" in error
    assert "Traceback" not in error


def test_an_interrupted_write_leaves_no_partial_file(tmp_path):
    from simulator.runs.store import atomic_write

    target = tmp_path / "table.csv"
    target.write_text("old and whole\n")

    def half_then_fail(path: Path) -> None:
        path.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError):
        atomic_write(target, half_then_fail)
    assert target.read_text() == "old and whole\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


# --- extreme but valid worlds -------------------------------------------------------------------


def assert_sensible(result) -> None:
    """Every defined index in [0, 1], counts finite and never decreasing."""
    series = result.output.series
    column = {name: series[:, k] for k, name in enumerate(SERIES_METRICS)}
    for name in ("interop_ally_partner", "trust_ally_partner", "trust_partner_ally",
                 "partner_standards", "partner_proficiency", "partner_capability",
                 "partner_stability", "early_warning", "compatible_share"):
        values = column[name][~np.isnan(column[name])]
        assert ((values >= 0) & (values <= 1)).all(), name
    for name in COUNT_METRICS:
        assert np.isfinite(column[name]).all() and (np.diff(column[name]) >= 0).all(), name
    assert ((result.output.nations >= 0) & (result.output.nations <= 1)).all()


@pytest.mark.parametrize("half_life", [1.0, 1e5])
def test_extreme_half_lives(baseline, half_life):
    lives = {name: half_life for name in ("proficiency", "standards", "familiarity",
                                          "trust_evidence", "pressure", "tension",
                                          "stability", "openness")}
    result = simulator.simulate(build(baseline.model_dump(), parameters__half_life_days=lives),
                                seed=1)
    assert_sensible(result)
    final = result.series.iloc[-1]
    if half_life == 1.0:  # everything has all but vanished by the next sample
        assert final.partner_proficiency < 0.05
    else:  # nothing fades: capability and proficiency only grow
        assert final.partner_proficiency > result.series.iloc[0].partner_proficiency


def test_learning_rates_of_zero_and_one(minimal):
    still = simulator.simulate(build(minimal, parameters__exercise={
        "proficiency": 0.0, "standards": 0.0, "familiarity": 0.0, "min_success": 1.0}))
    assert_sensible(still)
    nations = still.nations[still.nations.nation == "borvia"]
    assert (np.diff(nations.proficiency.to_numpy()) <= 0).all()  # only decay
    full = Stepper_after_first_exercise(build(minimal, parameters__exercise={
        "proficiency": 1.0, "min_success": 1.0}))
    assert full.world.proficiency.at(40.0, (1, 0)) == 1.0


def Stepper_after_first_exercise(scenario):
    from .conftest import Stepper

    stepper = Stepper(scenario)
    stepper.run_until(40.000001)
    return stepper


def test_zero_budgets_cancel_every_paid_activity(baseline):
    data = baseline.model_dump()
    for nation in data["nations"]:
        nation["annual_budget"] = 0.0
    result = simulator.simulate(simulator.scenario_from_dict(data), seed=2)
    assert_sensible(result)
    kpis = result.kpis
    assert kpis["budget_spent"] == 0 and kpis["budget_granted"] == 0
    assert kpis["exercises_held"] == 0 and kpis["exercises_cancelled"] > 0
    assert kpis["modules_delivered"] == 0 and kpis["modules_cancelled"] > 0


def test_a_single_nation(minimal):
    data = dict(minimal, nations=minimal["nations"][:1], exercises=[], facilities=[])
    data["threats"] = [{"id": "t", "region": "north", "per_year": 5, "kinds": ["piracy"]}]
    result = simulator.simulate(simulator.scenario_from_dict(data), seed=3)
    series = result.series
    assert np.isnan(series.interop_ally_partner).all()  # no pairs: undefined, not zero
    assert result.kpis["crises"] > 0
    assert_sensible(result)


def test_five_hundred_nations():
    result = simulator.simulate(simulator.scenario_from_dict(world_of(500)), seed=4)
    assert_sensible(result)
    assert result.kpis["exercises_held"] > 100 and result.kpis["modules_delivered"] > 100
    assert result.output.trust.shape == (500, 500)


# --- interruptions ------------------------------------------------------------------------------


@pytest.mark.slow
def test_sigterm_stops_cleanly_and_resumes(small_clean, tmp_path):
    config = write(tmp_path / "small.yaml", SMALL)
    out = tmp_path / "out"
    process = start_compare(config, out)
    assert wait_for_runs(out, 1, process)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=HUNG_AFTER_SECONDS)
    assert process.returncode == 130 and "resume" in stderr and "Traceback" not in stderr
    assert not list(out.rglob("*.tmp"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    now = datetime.now(timezone.utc).isoformat()
    assert manifest["started"] <= manifest["interrupted"] <= now
    assert main(["compare", str(config), "--out", str(out), "--no-progress", "--no-plots"]) == 0
    assert data_files(out) == data_files(small_clean)


@pytest.mark.slow
def test_twenty_random_kills_never_corrupt_a_run(small_clean, tmp_path):
    """SIGKILL at 20 random points of progress (before the first run is recorded, or after
    a random number of further runs), resuming each time: the files end identical to a run
    that was never interrupted, and no kill leaves a file a resume would trust wrongly.
    Kills wait on the journal, not the clock, so a slow machine changes nothing."""
    config = write(tmp_path / "small.yaml", SMALL)
    out = tmp_path / "out"
    chance = random.Random(20261126)
    kills, recorded = 0, []
    while kills < 20:
        before = journal_lines(out)
        process = start_compare(config, out)
        if not wait_for_runs(out, before + chance.randint(0, 2), process):
            assert process.returncode == 0, process.stderr.read()  # finished: start over
            process.communicate()
            shutil.rmtree(out)
            continue
        kill(process)
        kills += 1
        recorded.append(journal_lines(out))
    assert sum(count > 0 for count in recorded) >= 5, recorded  # kills in the middle of runs
    finished = run_compare(config, out)
    assert finished.returncode == 0, finished.stderr
    assert data_files(out) == data_files(small_clean)


@pytest.mark.slow
def test_a_killed_compare_leaves_no_worker_behind(tmp_path):
    """`kill -9` of the parent: its pool workers end with it (they would otherwise wait
    for tasks for good)."""
    config = write(tmp_path / "small.yaml", SMALL)
    out = tmp_path / "out"
    process = start_compare(config, out)
    assert wait_for_runs(out, 1, process)
    workers = psutil.Process(process.pid).children()
    assert len(workers) == 2
    kill(process)
    _, alive = psutil.wait_procs(workers, timeout=5)
    for worker in alive:
        worker.kill()
    assert not alive
