"""The CLI's one error boundary: bad input prints where and what, exits 2, writes nothing.

A few cases run the real command in a subprocess (`python -m simulator`); the rest call
`simulator.cli.main` in process, which is the same code without the start-up cost.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.cli import EXIT_OK, EXIT_USAGE, main
from tests.test_loading import BAD_INPUTS, CORPUS, MINIMAL, ROOT, SCENARIOS, expectations


def simulator_cli(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulator", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def assert_nothing_written(out: Path) -> None:
    assert not out.exists() or not any(out.iterdir()), sorted(out.iterdir())


# --- the real command ---------------------------------------------------------------------------

RUN_ERRORS = {
    "unknown_key": (
        [BAD_INPUTS / "unknown_key.yaml"],
        [f"{BAD_INPUTS / 'unknown_key.yaml'}:25:5: nations.borvia.stabilty: "
         "unknown key 'stabilty'; did you mean 'stability'?"]),
    "yaml_syntax_error": (
        [BAD_INPUTS / "yaml_syntax_tab.yaml"],
        [f"{BAD_INPUTS / 'yaml_syntax_tab.yaml'}:15:1: YAML syntax error: while scanning for "
         "the next token found character '\\t' that cannot start any token"]),
    "missing_file": (
        [BAD_INPUTS / "no_such_scenario.yaml"],
        [f"{BAD_INPUTS / 'no_such_scenario.yaml'}: file not found"]),
    "dangling_reference": (
        [BAD_INPUTS / "dangling_reference.yaml"],
        [f"{BAD_INPUTS / 'dangling_reference.yaml'}:33:5: exercises.sea_breeze.facility: "
         "unknown facility 'south_range' (expected one of: north_range)"]),
    "several_problems": (
        [BAD_INPUTS / "several_field_problems.yaml"],
        ["3 problems found:",
         f"{BAD_INPUTS / 'several_field_problems.yaml'}:19:5: nations.aldoria.capability: "
         "should be a valid number",
         f"{BAD_INPUTS / 'several_field_problems.yaml'}:29:5: nations.borvia.stabilty: "
         "unknown key 'stabilty'",
         f"{BAD_INPUTS / 'several_field_problems.yaml'}:42:5: exercises.sea_breeze.every_days: "
         "should be greater than 0 (got 0)"]),
    "set_unknown_list_id": (
        [MINIMAL, "--set", "exercises.nope.every_days=3"],
        ["--set exercises.nope.every_days: exercises: no item 'nope' "
         "(expected one of: sea_breeze)"]),
    "set_misspelt_key": (
        [MINIMAL, "--set", "exercises.sea_breeze.every_day=3"],
        ["--set: exercises.sea_breeze.every_day: unknown key 'every_day'; "
         "did you mean 'every_days'?"]),
    "set_without_equals": (
        [MINIMAL, "--set", "exercises.sea_breeze.every_days"],
        ["--set exercises.sea_breeze.every_days: expected dotted.path=value"]),
    "negative_seed": (
        [MINIMAL, "--seed", "-1"],
        ["argument --seed: expected 0 <= seed < 2**63, got -1"]),
    "seed_not_a_number": (
        [MINIMAL, "--seed", "abc"],
        ["argument --seed: expected a whole number, got 'abc'"]),
}


@pytest.mark.parametrize("case", list(RUN_ERRORS))
def test_run_reports_bad_input_exits_2_and_writes_nothing(tmp_path: Path, case: str):
    args, expected = RUN_ERRORS[case]
    out = tmp_path / "out"
    done = simulator_cli("run", *args, "--out", out, "--no-plots")
    assert done.returncode == EXIT_USAGE, done.stderr
    assert "Traceback" not in done.stderr
    for text in expected:
        assert text in done.stderr
    assert done.stdout == ""
    assert_nothing_written(out)


def test_run_refuses_a_directory_that_is_not_its_own(tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    notes = out / "notes.txt"
    notes.write_text("the user's own notes\n")
    done = simulator_cli("run", MINIMAL, "--out", out, "--no-plots")
    assert done.returncode == EXIT_USAGE, done.stderr
    assert f"{out}: not empty and not a results directory of a run; choose another --out" \
        in done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(path.name for path in out.iterdir()) == ["notes.txt"]
    assert notes.read_text() == "the user's own notes\n"


def test_validate_passes_the_shipped_scenarios():
    done = simulator_cli("validate", "scenarios/minimal.yaml", "scenarios/baseline.yaml")
    assert done.returncode == EXIT_OK, done.stderr
    assert done.stdout.splitlines() == [
        "scenarios/minimal.yaml: ok (2 nations, 1 exercise series, 0 programs, 5 years)",
        "scenarios/baseline.yaml: ok (20 nations, 6 exercise series, 8 programs, 20 years)",
    ]
    assert done.stderr == ""


def test_schema_is_json_that_forbids_unknown_keys():
    done = simulator_cli("schema")
    assert done.returncode == EXIT_OK, done.stderr
    schema = json.loads(done.stdout)
    assert {"nations", "exercises", "programs", "parameters"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False
    assert {"name", "horizon_years", "domains", "regions", "nations"} <= set(schema["required"])
    objects = {name: part for name, part in schema["$defs"].items()
               if part.get("type") == "object" and "properties" in part}
    assert {"Nation", "Exercise", "Program"} <= set(objects)
    lenient = [name for name, part in objects.items()
               if part.get("additionalProperties") is not False]
    assert lenient == []


# --- in process: every corpus file through the command ----------------------------------------


@pytest.mark.parametrize("file", CORPUS, ids=[file.stem for file in CORPUS])
def test_validate_reports_every_bad_input_and_exits_2(file: Path, capsys):
    assert main(["validate", str(file)]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ")
    assert "Traceback" not in captured.err
    lines = captured.err.splitlines()
    for want in expectations(file):
        assert any(want.matches(line, file) for line in lines), (want, captured.err)


@pytest.mark.parametrize("name", ["missing.yaml", "empty.yaml", "a_directory"])
def test_validate_names_files_it_cannot_read(tmp_path: Path, capsys, name: str):
    path = tmp_path / name
    if name == "empty.yaml":
        path.write_text("")
    elif name == "a_directory":
        path.mkdir()
    message = {"missing.yaml": "file not found", "empty.yaml": "is empty, expected a YAML mapping",
               "a_directory": "is a directory, expected a YAML file"}[name]
    assert main(["validate", str(path)]) == EXIT_USAGE
    assert capsys.readouterr().err == f"error: 1 problem found:\n  {path}: {message}\n"


def test_validate_checks_every_file_and_reports_the_bad_ones(capsys):
    bad = BAD_INPUTS / "wrong_type.yaml"
    assert main(["validate", str(MINIMAL), str(bad), str(SCENARIOS / "baseline.yaml")]) \
        == EXIT_USAGE
    captured = capsys.readouterr()
    assert [line.split(": ok")[0] for line in captured.out.splitlines()] == [
        str(MINIMAL), str(SCENARIOS / "baseline.yaml")]
    assert f"{bad}:15:5: nations.aldoria.capability: should be a valid number" in captured.err


def test_a_recursive_alias_is_bad_input_not_an_internal_error(tmp_path: Path, capsys):
    looping = tmp_path / "looping.yaml"
    looping.write_text("name: looping\ndomains: &d [maritime, *d]\n")
    code = main(["validate", str(looping)])
    err = capsys.readouterr().err
    assert "internal error" not in err
    assert code == EXIT_USAGE, err  # today: 1, "internal error: RecursionError"
    assert f"{looping}:2:" in err


def test_run_refuses_an_out_path_that_is_a_file(tmp_path: Path, capsys):
    out = tmp_path / "out"
    out.write_text("not a directory\n")
    assert main(["run", str(MINIMAL), "--out", str(out), "--no-plots"]) == EXIT_USAGE
    assert capsys.readouterr().err == f"error: {out}: exists and is not a directory\n"
    assert out.read_text() == "not a directory\n"


def test_run_with_an_override_error_does_not_create_the_default_directory(tmp_path: Path,
                                                                          monkeypatch, capsys):
    """Without --out, results would go to results/<scenario>: not even that is created."""
    monkeypatch.chdir(tmp_path)
    scenario = tmp_path / "tiny.yaml"
    scenario.write_bytes(MINIMAL.read_bytes())
    assert main(["run", str(scenario), "--set", "exercises.nope.every_days=3"]) == EXIT_USAGE
    assert "no item 'nope'" in capsys.readouterr().err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["tiny.yaml"]
