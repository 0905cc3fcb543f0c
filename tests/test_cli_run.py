"""`simulator run` end to end, from the command line and from Python, on the shipped scenarios."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import simulator
from simulator.cli import main
from simulator.model.recorder import SERIES_METRICS

from .conftest import ROOT, SCENARIOS


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory):
    """One CLI run of the baseline with a trace, shared by the tests that read its files."""
    out = tmp_path_factory.mktemp("run") / "baseline"
    status = main(["run", str(SCENARIOS / "baseline.yaml"), "--seed", "3", "--out", str(out),
                   "--trace"])
    assert status == 0
    return out


def test_run_writes_every_output(baseline_run):
    names = {path.name for path in baseline_run.iterdir()}
    assert {"series.parquet", "series.csv", "nations.parquet", "nations.csv",
            "regions.parquet", "regions.csv", "kpis.csv", "trust.csv",
            "interoperability.csv", "trace.jsonl", "manifest.json", "plots"} <= names
    assert (baseline_run / "plots" / "metrics.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [name for name in names if name.endswith(".tmp")]


def test_run_files_hold_the_same_numbers_as_the_api(baseline_run):
    """The CLI and `simulator.simulate` agree to the bit on the same scenario and seed."""
    result = simulator.simulate(simulator.load_scenario(SCENARIOS / "baseline.yaml"), seed=3)
    written = pd.read_parquet(baseline_run / "series.parquet")
    pd.testing.assert_frame_equal(written, result.series)
    assert list(written.columns[5:]) == list(SERIES_METRICS)
    assert (written.seed == 3).all() and (written.scenario == "baseline").all()
    from_csv = pd.read_csv(baseline_run / "series.csv")
    assert np.allclose(from_csv[list(SERIES_METRICS)], written[list(SERIES_METRICS)],
                       rtol=1e-12, equal_nan=True)
    kpis = pd.read_csv(baseline_run / "kpis.csv").iloc[0]
    assert kpis["exercises_held"] == result.kpis["exercises_held"]
    assert kpis["final_trust_ally_partner"] == pytest.approx(
        result.kpis["final_trust_ally_partner"], rel=1e-12)
    trust = pd.read_csv(baseline_run / "trust.csv", index_col=0)
    assert np.allclose(trust.to_numpy(), result.output.trust, rtol=1e-12)


def test_every_parquet_table_reads_back_as_the_api_builds_it(baseline_run):
    """The files are written from `RunResult.columns`, the DataFrames built from them."""
    result = simulator.simulate(simulator.load_scenario(SCENARIOS / "baseline.yaml"), seed=3)
    for table in ("nations", "regions", "final"):
        pd.testing.assert_frame_equal(pd.read_parquet(baseline_run / f"{table}.parquet"),
                                      getattr(result, table))
    assert list(result.nations.columns[:7]) == ["scenario", "seed", "replication", "time_days",
                                                "year", "nation", "role"]
    with pytest.raises(ValueError, match="no table 'trust'"):
        result.columns("trust")


def test_manifest_is_a_receipt(baseline_run):
    manifest = json.loads((baseline_run / "manifest.json").read_text())
    assert manifest["kind"] == "run" and manifest["seed"] == 3
    assert manifest["scenario"]["name"] == "baseline"
    assert len(manifest["scenario_hash"]) == 64
    assert manifest["versions"]["simpy"] and manifest["versions"]["numpy"]
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((baseline_run / name).read_bytes()).hexdigest() == digest


def test_trace_lines_tell_the_story(baseline_run):
    lines = [json.loads(line) for line in (baseline_run / "trace.jsonl").read_text().splitlines()]
    kinds = {line["kind"] for line in lines}
    assert {"exercise_start", "exercise_end", "module_end", "crisis", "release"} <= kinds
    times = [line["time"] for line in lines]
    assert times == sorted(times)
    held = sum(line["kind"] == "exercise_end" for line in lines)
    kpis = pd.read_csv(baseline_run / "kpis.csv").iloc[0]
    assert held == kpis["exercises_held"]


def test_set_overrides_change_the_run(tmp_path, capsys):
    """`--set` reaches the model: no exercises at all when every series starts after the horizon."""
    out = tmp_path / "late"
    assert main(["run", str(SCENARIOS / "minimal.yaml"), "--out", str(out), "--no-plots",
                 "--set", "exercises.sea_breeze.start_day=5000"]) == 0
    kpis = pd.read_csv(out / "kpis.csv").iloc[0]
    assert kpis["exercises_held"] == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["overrides"] == [["exercises.sea_breeze.start_day", 5000]]
    assert manifest["scenario"]["exercises"][0]["start_day"] == 5000
    assert not (out / "plots").exists()
    printed = capsys.readouterr().out
    assert "Exercises held" in printed and "files written" in printed


def test_rerun_into_the_same_directory_replaces_results(tmp_path):
    out = tmp_path / "again"
    for seed in ("1", "2"):
        assert main(["run", str(SCENARIOS / "minimal.yaml"), "--out", str(out),
                     "--no-plots", "--seed", seed]) == 0
    assert json.loads((out / "manifest.json").read_text())["seed"] == 2


def test_python_dash_m_runs_the_cli(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "simulator", "run", "scenarios/minimal.yaml", "--out",
         str(tmp_path / "m"), "--no-plots"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert "Interoperability, ally–partner (final)" in completed.stdout
    assert (tmp_path / "m" / "series.parquet").exists()


def test_validate_reports_each_shipped_scenario(capsys):
    assert main(["validate", str(SCENARIOS / "minimal.yaml"),
                 str(SCENARIOS / "baseline.yaml")]) == 0
    printed = capsys.readouterr().out
    assert "minimal.yaml: ok (2 nations" in printed
    assert "baseline.yaml: ok (20 nations, 6 exercise series, 8 programs, 20 years)" in printed


# --- a reused run directory, formats, files of the other kind ------------------------------------


def test_a_rerun_replaces_the_previous_run_as_a_whole(tmp_path):
    out = tmp_path / "run"
    minimal = str(SCENARIOS / "minimal.yaml")
    assert main(["run", minimal, "--out", str(out), "--seed", "1", "--trace"]) == 0
    (out / "notes.txt").write_text("mine\n")
    assert main(["run", minimal, "--out", str(out), "--seed", "2", "--no-plots"]) == 0
    names = {path.name for path in out.iterdir()}
    assert "trace.jsonl" not in names and "plots" not in names  # the old run's story, figures
    assert "notes.txt" in names  # not the run's: kept
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 2
    assert set(manifest["files"]) | {"manifest.json", "notes.txt"} == names
    assert (pd.read_parquet(out / "final.parquet").seed == 2).all()


def test_formats_add_to_png(tmp_path):
    out = tmp_path / "run"
    assert main(["run", str(SCENARIOS / "minimal.yaml"), "--out", str(out),
                 "--format", "svg", "--format", "pdf"]) == 0
    names = {path.name for path in (out / "plots").iterdir()}
    assert {"metrics.png", "metrics.svg", "metrics.pdf"} <= names
    assert len(names) == 3 * len({name.split(".")[0] for name in names})


@pytest.mark.parametrize("command, path, message", [
    ("run", ROOT / "configs" / "compare_policies.yaml",
     "compare_policies.yaml: this is an experiment file, not a scenario: use `simulator compare`"),
    ("compare", SCENARIOS / "baseline.yaml",
     "baseline.yaml: this is a scenario file, not an experiment: use `simulator run`"),
])
def test_a_file_of_the_other_kind_is_named_in_one_line(command, path, message, capsys, tmp_path):
    assert main([command, str(path), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
    assert not (tmp_path / "out").exists()
