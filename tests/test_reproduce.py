"""`simulator reproduce DIR --check`: runs made again from the manifest alone, compared with
the directory's files and the hashes recorded when they were written; the outcome recorded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import simulator
from simulator.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, main
from simulator.errors import UserError
from simulator.runs.store import (
    JOURNAL,
    MANIFEST,
    REPRODUCTION,
    SERIES,
    SUMMARY_CSV,
    file_hash,
    prepare_directory,
    read_reproduction,
    run_file,
)

from .conftest import SCENARIOS

MINIMAL = SCENARIOS / "minimal.yaml"
FIRST_SERIES = run_file(SERIES, "baseline", 0)


@pytest.fixture
def experiment(small_clean, tmp_path) -> Path:
    """A copy of the small experiment (2 variants x 4 replications) to check and damage."""
    return Path(shutil.copytree(small_clean, tmp_path / "small"))


@pytest.fixture
def single_run(tmp_path, capsys) -> Path:
    """`simulator run` with an override and the event trace, as a user runs it."""
    out = tmp_path / "run"
    assert main(["run", str(MINIMAL), "--seed", "3", "--trace", "--no-plots", "--out", str(out),
                 "--set", "horizon_years=2"]) == EXIT_OK
    capsys.readouterr()
    return out


def check(directory: Path, capsys, *options: str) -> tuple[int, str]:
    status = main(["reproduce", str(directory), "--check", "--workers", "1", "--no-progress",
                   *options])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return status, captured.out


def scale_column(path: Path, column: str, factor: float) -> None:
    """Rewrite a Parquet file with one column scaled, as another machine might have written it."""
    table = pq.read_table(path, partitioning=None)
    index = table.schema.get_field_index(column)
    scaled = pa.array(table.column(column).to_numpy() * factor)
    pq.write_table(table.set_column(index, column, scaled), path)


def rehash_in_journal(directory: Path, relative: str) -> None:
    """Record the file's present hash in the journal, as if it had been written so."""
    lines = []
    for line in (directory / JOURNAL).read_text().splitlines():
        entry = json.loads(line)
        if relative in entry.get("files", {}):
            entry["files"][relative] = file_hash(directory / relative)
        lines.append(json.dumps(entry, sort_keys=True))
    (directory / JOURNAL).write_text("\n".join(lines) + "\n")


# --- an experiment ------------------------------------------------------------------------------


def test_a_fresh_experiment_reproduces_bit_for_bit_and_the_outcome_is_recorded(experiment,
                                                                             capsys):
    status, out = check(experiment, capsys)
    assert status == EXIT_OK
    assert out.splitlines()[0] == "3 of 3 runs reproduced bit for bit"
    record = read_reproduction(experiment)
    # replication 0 of every variant (its event trace too), and one more of the rest
    assert record.runs == ["baseline/0", "baseline/1", "more_exercises/0"]
    assert (record.reproduced, record.total, record.comparison) == (3, 3, "bit for bit")
    assert record.passed and record.differences == [] and record.notes == []
    assert record.check_command == f"simulator reproduce {experiment} --check"
    source = json.loads((experiment / MANIFEST).read_text())["source"]
    assert record.command == f"simulator compare {source} --out {experiment}"
    assert "resolves to the scenarios and seed the manifest records" in record.command_note
    assert record.versions["simulator"] == simulator.__version__


def test_runs_and_all_choose_how_many_runs_are_made_again(experiment, capsys):
    status, out = check(experiment, capsys, "--runs", "5")
    assert status == EXIT_OK and "5 of 5 runs reproduced bit for bit" in out
    record = read_reproduction(experiment)
    assert {"baseline/0", "more_exercises/0"} <= set(record.runs) and len(record.runs) == 5
    assert record.check_command.endswith("--check --runs 5")
    # fewer than the variants: replication 0 of each is checked still
    assert check(experiment, capsys, "--runs", "1")[1].startswith("2 of 2 runs")
    # every run, on a pool of two workers
    status = main(["reproduce", str(experiment), "--check", "--all", "--workers", "2",
                   "--no-progress"])
    assert status == EXIT_OK and "8 of 8 runs reproduced bit for bit" in capsys.readouterr().out
    assert len(read_reproduction(experiment).runs) == 8


def test_a_file_changed_since_the_run_is_named(experiment, capsys):
    scale_column(experiment / FIRST_SERIES, "trust_partner_ally", 1.5)
    (experiment / SUMMARY_CSV).write_text((experiment / SUMMARY_CSV).read_text() + "\n")
    status, out = check(experiment, capsys)
    assert status == EXIT_FAILURE
    assert out.splitlines()[0] == "2 of 3 runs reproduced bit for bit"
    differences = read_reproduction(experiment).differences
    assert differences == [
        f"baseline/0: {FIRST_SERIES}: changed since the run (its SHA-256 no longer matches the "
        "one recorded when it was written); the re-run writes it as recorded",
        f"{SUMMARY_CSV}: changed since the experiment finished (its SHA-256 no longer matches "
        "the manifest's)"]
    assert all(line in out for line in differences)


def test_a_scenario_edited_in_the_manifest_makes_runs_that_differ_and_says_how(experiment,
                                                                              capsys):
    manifest = json.loads((experiment / MANIFEST).read_text())
    exercises = manifest["variants"]["baseline"]["scenario"]["exercises"]
    exercises[0]["every_days"] = exercises[0]["every_days"] / 4
    (experiment / MANIFEST).write_text(json.dumps(manifest))
    status, out = check(experiment, capsys)
    assert status == EXIT_FAILURE
    assert out.splitlines()[0] == "1 of 3 runs reproduced bit for bit"
    differences = read_reproduction(experiment).differences
    assert differences[0] == (f"{MANIFEST}: variant baseline's scenario no longer has the hash "
                              "recorded with it (edited since the run)")
    assert any(line.startswith(f"baseline/0: {FIRST_SERIES}: column ")
               and "values differ (largest relative difference" in line for line in differences)
    assert any(line.startswith(f"baseline/0: {FIRST_SERIES}: ") and "more columns differ: "
               in line for line in differences)
    assert any(line.startswith("baseline/0: traces/variant=baseline/rep-00000.jsonl: ")
               for line in differences)
    assert any(line.startswith(f"baseline/1: {JOURNAL}: ") and "KPIs differ from the run's line"
               in line for line in differences)
    assert not any(line.startswith("more_exercises/") for line in differences)


def test_values_that_agree_to_1e_12_reproduce_where_the_bytes_do_not(experiment, capsys):
    """Files written on a machine whose floating point differs in the last bits: their
    bytes differ from this machine's, their values agree to 1e-12 relative."""
    scale_column(experiment / FIRST_SERIES, "trust_partner_ally", 1 + 1e-15)
    rehash_in_journal(experiment, FIRST_SERIES)
    status, out = check(experiment, capsys)
    assert status == EXIT_OK
    assert out.splitlines()[0] == "3 of 3 runs reproduced to 1e-12 relative"
    record = read_reproduction(experiment)
    assert record.comparison == "1e-12 relative" and record.differences == []
    assert record.notes[0].startswith("the bytes of 1 file differ, their values agree to "
                                      "1e-12 relative")


def test_values_further_apart_than_1e_12_are_differences(experiment, capsys):
    scale_column(experiment / FIRST_SERIES, "trust_partner_ally", 1 + 1e-9)
    rehash_in_journal(experiment, FIRST_SERIES)
    status, out = check(experiment, capsys)
    assert status == EXIT_FAILURE
    assert out.splitlines()[0] == "2 of 3 runs reproduced bit for bit"
    [difference] = read_reproduction(experiment).differences
    assert difference.startswith(f"baseline/0: {FIRST_SERIES}: column trust_partner_ally: ")
    assert "(largest relative difference 1e-09)" in difference


def test_compare_force_removes_the_check_of_other_results(experiment, capsys):
    check(experiment, capsys)
    prepare_directory(experiment, "experiment", "another experiment", force=True)
    assert not (experiment / REPRODUCTION).exists()


# --- a single run -------------------------------------------------------------------------------


def test_a_single_runs_directory_reproduces_and_its_command_makes_it_again(single_run, capsys):
    status, out = check(single_run, capsys)
    assert status == EXIT_OK and out.splitlines()[0] == "1 of 1 runs reproduced bit for bit"
    record = read_reproduction(single_run)
    assert record.runs == ["seed 3"]
    assert record.command == (f"simulator run {MINIMAL} --seed 3 --set horizon_years=2 --trace "
                              f"--out {single_run}")
    assert "resolves to the scenario the manifest records" in record.command_note


def test_a_single_runs_changed_file_is_named_and_its_next_run_drops_the_check(single_run,
                                                                              capsys):
    kpis = single_run / "kpis.csv"
    kpis.write_text(kpis.read_text().replace(",3,0,", ",4,0,", 1))
    status, out = check(single_run, capsys)
    assert status == EXIT_FAILURE
    assert out.splitlines()[0] == "0 of 1 runs reproduced bit for bit"
    assert "seed 3: kpis.csv: changed since the run" in out
    assert main(["run", str(MINIMAL), "--seed", "4", "--no-plots", "--out",
                 str(single_run)]) == EXIT_OK
    assert read_reproduction(single_run) is None  # it checked another run


def test_without_check_the_command_is_printed_and_nothing_is_run(single_run, capsys):
    assert main(["reproduce", str(single_run)]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith(f"simulator run {MINIMAL} --seed 3")
    assert not (single_run / REPRODUCTION).exists()


# --- what is not a results directory ------------------------------------------------------------


def test_a_directory_that_holds_no_results_is_refused_with_status_2(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["reproduce", str(tmp_path), "--check"]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.err == (f"error: {tmp_path}: not a results directory (no {MANIFEST} of a "
                            "run, an experiment or an exploration)\n")
    assert captured.out == "" and not (tmp_path / REPRODUCTION).exists()


def test_results_of_another_format_are_refused_with_status_2(experiment, capsys):
    manifest = json.loads((experiment / MANIFEST).read_text())
    manifest["version"] = 1
    (experiment / MANIFEST).write_text(json.dumps(manifest))
    assert main(["reproduce", str(experiment), "--check"]) == EXIT_USAGE
    assert "written by an earlier version of simulator" in capsys.readouterr().err


def test_a_damaged_record_is_refused_with_what_to_do(experiment):
    (experiment / REPRODUCTION).write_text('{"checked_at": 1}')
    with pytest.raises(UserError, match=f"{REPRODUCTION} is damaged .*run `simulator reproduce "
                                        f"{experiment} --check` again"):
        read_reproduction(experiment)
