"""The results directory: its layout, its typed manifest read and written in one place, how
a directory is prepared (created, reused, resumed, replaced or refused), and directories of
an earlier format refused with what to do."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulator
from simulator.cli import EXIT_USAGE, main
from simulator.errors import UserError
from simulator.model.dynamics import sharing
from simulator.presentation.plot_data import load_results
from simulator.runs.runner import TRACED_REPLICATION
from simulator.runs.store import (
    CHECKS,
    EXPERIMENT_OUTPUTS,
    FINAL,
    FORMAT_VERSION,
    MANIFEST,
    MODEL_DESCRIPTION,
    PLOTS,
    REPORT,
    REPRODUCTION,
    RUN_FILES,
    SELECTION,
    SERIES,
    TRACES,
    ExperimentManifest,
    RunManifest,
    prepare_directory,
    read_manifest,
    run_file,
    run_manifest,
    write_manifest,
)

from .conftest import SCENARIOS

MINIMAL = SCENARIOS / "minimal.yaml"


@pytest.fixture(scope="module")
def short_run() -> simulator.model.results.RunResult:
    scenario = simulator.load_scenario(MINIMAL, [("horizon_years", 2)])
    return simulator.simulate(scenario, seed=3, trace=True)


@pytest.fixture(scope="module")
def run_directory(short_run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("store") / "run"
    short_run.save(out, plots=False, source="minimal.yaml", overrides=[("horizon_years", 2)])
    return out


def copy_of(directory: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(directory, tmp_path / directory.name))


def rewrite_manifest(directory: Path, change) -> None:
    """Edit a directory's manifest as plain JSON (as another version would have written it)."""
    path = directory / MANIFEST
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def as_format_1(directory: Path) -> None:
    """What the previous version wrote: the same manifest without a version."""
    rewrite_manifest(directory, lambda data: data.pop("version"))


# --- the layout ---------------------------------------------------------------------------------


def test_a_run_keeps_its_tables_at_the_top_an_experiment_one_folder_per_table():
    assert run_file(SERIES) == "series.parquet"
    assert run_file("trust", suffix="csv") == "trust.csv"
    assert run_file(SERIES, "baseline", 3) == "series/variant=baseline/rep-00003.parquet"
    assert run_file(TRACES, "more", 0, "jsonl") == "traces/variant=more/rep-00000.jsonl"


def test_a_run_directory_holds_exactly_the_layout(run_directory):
    names = {path.name for path in run_directory.iterdir()}
    assert names == {*RUN_FILES, MANIFEST}
    manifest = read_manifest(run_directory)
    assert set(manifest.files) == set(RUN_FILES)


def test_an_experiment_directory_holds_exactly_the_layout(small_clean):
    names = {path.name for path in small_clean.iterdir()}
    # figures and report drawn by the CLI, the checks written by `simulator check`, the
    # outcome of a `selection` (this experiment makes none)
    assert names == set(EXPERIMENT_OUTPUTS) - {PLOTS, REPORT, MODEL_DESCRIPTION, CHECKS,
                                               REPRODUCTION, SELECTION}
    manifest = read_manifest(small_clean)
    for variant in manifest.variant_names:
        for replication in range(manifest.replications):
            for table in (SERIES, FINAL):
                assert (small_clean / run_file(table, variant, replication)).is_file()
        traces = sorted((small_clean / TRACES / f"variant={variant}").iterdir())
        assert [path.name for path in traces] == [
            Path(run_file(TRACES, variant, TRACED_REPLICATION, "jsonl")).name]


def test_the_end_of_run_table_says_which_pairs_share_by_the_runs_threshold(short_run,
                                                                          small_clean):
    final = short_run.final
    trust = short_run.trust
    threshold = short_run.scenario.parameters.sharing.share_threshold
    expected = sharing(trust.to_numpy(), threshold)
    position = {nation: k for k, nation in enumerate(trust.index)}
    assert final.shares.dtype == bool
    assert list(final.shares) == [expected[position[a], position[b]]
                                  for a, b in zip(final.nation, final.other)]
    written = pd.read_parquet(small_clean / run_file(FINAL, "baseline", 0))
    back = written.merge(written, left_on=["nation", "other"], right_on=["other", "nation"],
                         suffixes=("", "_back"))
    both_ways = np.minimum(back.trust, back.trust_back) >= load_results(
        small_clean).scenario()["parameters"]["sharing"]["share_threshold"]
    assert (back.shares == both_ways).all() and back.shares.any()


# --- the manifest -------------------------------------------------------------------------------


def test_a_run_manifest_round_trips_through_its_file(short_run, tmp_path):
    manifest = run_manifest(short_run, "minimal.yaml", [("horizon_years", 2)])
    write_manifest(tmp_path, manifest)
    assert read_manifest(tmp_path) == manifest
    written = json.loads((tmp_path / MANIFEST).read_text())
    assert written["kind"] == "run" and written["version"] == FORMAT_VERSION
    assert written["overrides"] == [["horizon_years", 2]]
    assert written["seed"] == 3 and written["scenario"]["name"] == "minimal"


def test_an_experiment_manifest_round_trips_and_keeps_the_experiment_whole(small_clean,
                                                                          tmp_path):
    manifest = read_manifest(small_clean)
    assert isinstance(manifest, ExperimentManifest)
    assert manifest.status == "finished" and manifest.replications == 4
    assert manifest.variant_names == ["baseline", "more_exercises"]
    assert manifest.experiment.primary_metric == "mean_interop_ally_partner"
    assert manifest.experiment.model_extra["replications"] == 4  # as given, not only as read
    write_manifest(tmp_path, manifest)
    assert read_manifest(tmp_path) == manifest
    assert json.loads((tmp_path / MANIFEST).read_text()) == json.loads(
        (small_clean / MANIFEST).read_text())


def test_a_manifest_of_the_other_kind_is_read_as_its_own(run_directory):
    assert isinstance(read_manifest(run_directory), RunManifest)
    with pytest.raises(UserError, match="results of a single run, not of an experiment"):
        simulator.runs.store.ExperimentResult(run_directory).manifest


@pytest.mark.parametrize("change, message", [
    (lambda data: data.pop("seed"), r"manifest.json is damaged \(seed: Field required\); "
                                    r"run `simulator run` again to rewrite it"),
    (lambda data: data.update(colour="red"), r"manifest.json is damaged \(colour: Extra inputs"),
    (lambda data: data.update(seed="seven"), r"manifest.json is damaged \(seed: "),
    (lambda data: data.update(version=FORMAT_VERSION + 1),
     rf"written by a newer version of simulator \(results format {FORMAT_VERSION + 1}; this "
     rf"version reads format {FORMAT_VERSION}\); read it with that version"),
])
def test_a_damaged_or_newer_manifest_is_refused_with_its_reason(run_directory, tmp_path,
                                                                change, message):
    directory = copy_of(run_directory, tmp_path)
    rewrite_manifest(directory, change)
    with pytest.raises(UserError, match=message):
        read_manifest(directory)


@pytest.mark.parametrize("content", [None, "not json", '{"kind": "photo album"}', "[1, 2]"])
def test_a_directory_without_a_manifest_of_ours_is_no_results_directory(tmp_path, content):
    if content is not None:
        (tmp_path / MANIFEST).write_text(content)
    with pytest.raises(UserError, match=f"{tmp_path}: not a results directory"):
        read_manifest(tmp_path)


# --- directories of the previous format ---------------------------------------------------------


def test_an_experiment_of_the_previous_format_is_refused_by_plot_and_report(small_clean, tmp_path,
                                                                            capsys):
    old = copy_of(small_clean, tmp_path)
    as_format_1(old)
    expected = (f"error: {old}: written by an earlier version of simulator (results format 1; "
                f"this version reads format {FORMAT_VERSION}); run `simulator compare` again "
                "with --force to rewrite it\n")
    for command in ("plot", "report"):
        assert main([command, str(old)]) == EXIT_USAGE
        assert capsys.readouterr().err == expected
    assert not (old / PLOTS).exists() and not (old / REPORT).exists()


def test_a_run_of_the_previous_format_is_refused_by_plot_and_replaced_by_the_next_run(
        run_directory, tmp_path, capsys):
    old = copy_of(run_directory, tmp_path)
    as_format_1(old)
    assert main(["plot", str(old)]) == EXIT_USAGE
    assert "run `simulator run` again to rewrite it" in capsys.readouterr().err
    assert main(["run", str(MINIMAL), "--out", str(old), "--no-plots",
                 "--set", "horizon_years=1"]) == 0
    assert read_manifest(old).version == FORMAT_VERSION
    assert not (old / "trace.jsonl").exists()  # the old run is replaced as a whole


def test_an_experiment_of_the_previous_format_is_resumed_only_by_replacing_it(
        small_clean, tmp_path):
    old = copy_of(small_clean, tmp_path)
    as_format_1(old)
    identity = json.loads((old / MANIFEST).read_text())["identity"]
    with pytest.raises(UserError, match="written by an earlier version of simulator"):
        prepare_directory(old, "experiment", identity)
    assert (old / SERIES).is_dir()
    prepare_directory(old, "experiment", identity, force=True)
    assert list(old.iterdir()) == []


# --- preparing a directory ----------------------------------------------------------------------


def test_a_new_directory_is_created_with_its_parents(tmp_path):
    prepare_directory(tmp_path / "a" / "b", "run")
    prepare_directory(tmp_path / "c", "experiment", "identity")
    assert (tmp_path / "a" / "b").is_dir() and (tmp_path / "c").is_dir()


def test_a_file_in_the_way_is_refused(tmp_path):
    (tmp_path / "taken").write_text("mine")
    with pytest.raises(UserError, match="taken: exists and is not a directory"):
        prepare_directory(tmp_path / "taken", "run")


@pytest.mark.parametrize("kind, article", [("run", "a"), ("experiment", "an")])
def test_a_directory_of_other_things_is_never_touched(tmp_path, kind, article):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match=f"not empty and not a results directory of {article} "
                                        f"{kind}; choose another --out"):
        prepare_directory(tmp_path, kind, "identity", force=True)
    assert [path.name for path in tmp_path.iterdir()] == ["notes.txt"]


def test_results_of_the_other_kind_are_refused(run_directory, small_clean):
    with pytest.raises(UserError, match="not a results directory of an experiment"):
        prepare_directory(run_directory, "experiment", "identity", force=True)
    with pytest.raises(UserError, match="not a results directory of a run"):
        prepare_directory(small_clean, "run")


def test_a_previous_run_is_reused(run_directory):
    before = {path.name: path.read_bytes() for path in run_directory.iterdir()}
    prepare_directory(run_directory, "run")
    assert {path.name: path.read_bytes() for path in run_directory.iterdir()} == before


def test_the_same_experiment_is_resumed_another_replaced_only_with_force(small_clean, tmp_path):
    directory = copy_of(small_clean, tmp_path)
    (directory / "notes.txt").write_text("mine")
    identity = read_manifest(directory).identity
    prepare_directory(directory, "experiment", identity)
    assert (directory / run_file(SERIES, "baseline", 3)).is_file()
    with pytest.raises(UserError, match="holds results of a different experiment \\('small', "
                                        "other scenarios or seed\\); choose another --out, or "
                                        "add --force to replace them"):
        prepare_directory(directory, "experiment", "another")
    assert (directory / run_file(SERIES, "baseline", 3)).is_file()
    prepare_directory(directory, "experiment", "another", force=True)
    assert [path.name for path in directory.iterdir()] == ["notes.txt"]
