"""Loading scenarios: every bad input is one `ScenarioError` naming the file, line, column and path.

The corpus in `tests/bad_inputs/` holds small scenarios, each `scenarios/minimal.yaml`
with one defect, headed by what the loader must say about it:

    # expect: unknown key 'stabilty'; did you mean 'stability'?
    # at: 25:5 nations.borvia.stabilty

`expect` is part of the problem's message (its start when there is no path); `at` is
`line:column dotted.path`, or `line:column` for problems of the YAML text itself, or `-`
when only the file is named.
A file with several problems has one `expect`/`at` pair per problem, in file order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import simulator
from simulator.errors import ScenarioError
from simulator.model.loading import parse_override
from simulator.model.yaml_source import MAX_FILE_BYTES

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
MINIMAL = SCENARIOS / "minimal.yaml"
BAD_INPUTS = Path(__file__).resolve().parent / "bad_inputs"
CORPUS = sorted(BAD_INPUTS.glob("*.yaml"))


@dataclass(frozen=True)
class Expected:
    """One problem a corpus file must produce."""

    message: str
    line: int | None
    column: int | None
    path: str

    def where(self, file: Path) -> str:
        """The start of the problem's line in the error message."""
        if self.line is None:
            return str(file)
        position = f"{file}:{self.line}:{self.column}"
        return f"{position}: {self.path}" if self.path else position

    def matches(self, line: str, file: Path) -> bool:
        """Whether one line of an error message is this problem, at this place."""
        prefix = f"  {self.where(file)}: "
        if not line.startswith(prefix):
            return False
        said = line[len(prefix):]
        return self.message in said if self.path else said.startswith(self.message)


def expectations(file: Path) -> list[Expected]:
    """The `# expect:` / `# at:` pairs heading a corpus file."""
    header = []
    for raw in file.read_bytes().splitlines():
        if not raw.startswith(b"# "):
            break
        header.append(raw[2:].decode("ascii"))
    assert header and len(header) % 2 == 0, f"{file.name}: needs '# expect:' / '# at:' pairs"
    found = []
    for expect, at in zip(header[::2], header[1::2]):
        assert expect.startswith("expect: ") and at.startswith("at: "), file.name
        where = at.removeprefix("at: ")
        if where == "-":
            found.append(Expected(expect.removeprefix("expect: "), None, None, ""))
            continue
        match = re.fullmatch(r"(\d+):(\d+)(?: (.+))?", where)
        assert match, f"{file.name}: bad location {where!r}"
        line, column, path = match.groups()
        found.append(Expected(expect.removeprefix("expect: "), int(line), int(column), path or ""))
    return found


def assert_reported_and_refused(path: Path, load: Callable[[Path], Any], command: str,
                                capsys: pytest.CaptureFixture[str], out: Path) -> None:
    """A bad file of a corpus: `load` raises every problem its header expects, each at
    its place, and `simulator <command>` says the first with exit 2, no traceback and
    nothing written."""
    from simulator.cli import main

    expected = expectations(path)
    with pytest.raises(ScenarioError) as raised:
        load(path)
    lines = str(raised.value).splitlines()[1:]
    assert len(lines) == len(expected), str(raised.value)
    for line, expectation in zip(lines, expected, strict=True):
        assert expectation.matches(line, path), (line, expectation)
    assert main([command, str(path), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert "Traceback" not in error and expected[0].message in error
    assert not out.exists()


def test_the_corpus_covers_every_class_of_bad_input():
    names = {file.stem for file in CORPUS}
    required = {
        "unknown_key", "wrong_type", "out_of_range", "dangling_reference", "yaml_syntax_tab",
        "comments_only", "duplicate_key", "not_utf8", "python_tag_on_sequence", "nan_value",
        "inf_value", "zero_interval", "negative_interval", "program_provider_is_partner",
        "program_partner_is_ally", "duplicate_id", "weights_not_summing_to_one",
        "several_field_problems", "several_reference_problems", "problems_of_every_pass",
        "required_values_wrong_beside_references",
    }
    assert required <= names, f"missing from tests/bad_inputs: {sorted(required - names)}"


@pytest.mark.parametrize("file", CORPUS, ids=[file.stem for file in CORPUS])
def test_every_bad_input_is_reported_with_its_message_and_location(file: Path):
    expected = expectations(file)
    with pytest.raises(ScenarioError) as raised:
        simulator.load_scenario(file)
    message = str(raised.value)
    heading, *lines = message.splitlines()
    count = len(expected)
    assert heading == ("1 problem found:" if count == 1 else f"{count} problems found:"), message
    assert len(raised.value.problems) == count, message
    for line, want in zip(lines, expected):
        assert want.matches(line, file), (
            f"expected\n  {want.where(file)}: ...{want.message}...\ngot\n{line}")


# --- files that cannot be in the corpus --------------------------------------------------------


def only_problem(error: ScenarioError) -> str:
    assert len(error.problems) == 1, str(error)
    return str(error.problems[0])


def test_a_missing_file_is_named(tmp_path: Path):
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(ScenarioError) as raised:
        simulator.load_scenario(missing)
    assert only_problem(raised.value) == f"{missing}: file not found"


@pytest.mark.parametrize("text", ["", "\n\n   \n", "# nothing but a comment\n"],
                         ids=["zero_bytes", "blank_lines", "comment"])
def test_an_empty_file_is_named(tmp_path: Path, text: str):
    empty = tmp_path / "empty.yaml"
    empty.write_text(text)
    with pytest.raises(ScenarioError) as raised:
        simulator.load_scenario(empty)
    assert only_problem(raised.value) == f"{empty}: is empty, expected a YAML mapping"


def test_a_directory_is_not_a_scenario(tmp_path: Path):
    with pytest.raises(ScenarioError) as raised:
        simulator.load_scenario(tmp_path)
    assert only_problem(raised.value) == f"{tmp_path}: is a directory, expected a YAML file"


def test_a_file_over_the_size_limit_is_refused_before_parsing(tmp_path: Path):
    huge = tmp_path / "huge.yaml"
    huge.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(ScenarioError) as raised:
        simulator.load_scenario(huge)
    assert only_problem(raised.value) == (
        f"{huge}: is {MAX_FILE_BYTES + 1:,} bytes; the limit is {MAX_FILE_BYTES:,}")


def test_a_recursive_alias_is_a_located_error_not_a_crash(tmp_path: Path):
    """An alias inside its own anchor (`&d [maritime, *d]`) is an infinitely deep value."""
    text = MINIMAL.read_text().replace("    domains: [maritime]\n",
                                       "    domains: &d [maritime, *d]\n")
    assert "*d]" in text
    line = text.splitlines().index("    domains: &d [maritime, *d]") + 1
    looping = tmp_path / "looping.yaml"
    looping.write_text(text)
    with pytest.raises(ScenarioError) as raised:  # today: RecursionError from yaml_source._build
        simulator.load_scenario(looping)
    assert f"{looping}:{line}:" in only_problem(raised.value)


def test_a_merge_key_is_overridden_by_the_keys_beside_it(tmp_path: Path):
    """YAML merge (`<<: *anchor`): keys written in the mapping win over merged ones.

    They are not duplicates: each key appears once in the mapping as written.
    """
    text = MINIMAL.read_text().replace(
        "exercises:\n  - id: sea_breeze\n", "exercises:\n  - &sea_breeze\n    id: sea_breeze\n")
    text = text.replace("\nparameters:", "\n  - <<: *sea_breeze\n    id: autumn_breeze\n"
                                          "    start_day: 120\n\nparameters:")
    assert "&sea_breeze" in text and "<<: *sea_breeze" in text
    merged = tmp_path / "merged.yaml"
    merged.write_text(text)
    scenario = simulator.load_scenario(merged)  # today: "duplicate key 'id'"
    first, second = scenario.exercises
    assert (first.id, first.start_day) == ("sea_breeze", 30)
    assert (second.id, second.start_day) == ("autumn_breeze", 120)
    assert second.every_days == first.every_days == 182.5
    assert second.participants == first.participants


# --- good files ---------------------------------------------------------------------------------


def test_the_shipped_scenarios_load():
    minimal = simulator.load_scenario(MINIMAL)
    baseline = simulator.load_scenario(SCENARIOS / "baseline.yaml")
    assert [nation.id for nation in minimal.nations] == ["aldoria", "borvia"]
    assert minimal.exercises[0].every_days == 182.5
    assert len(baseline.nations) == 20 and len(baseline.programs) == 8


# --- overrides ------------------------------------------------------------------------------


def load_minimal(*overrides: str):
    return simulator.load_scenario(MINIMAL, [parse_override(text) for text in overrides])


def test_an_override_addresses_list_items_by_id():
    scenario = load_minimal("exercises.sea_breeze.every_days=90", "nations.borvia.stability=0.5")
    assert scenario.exercises[0].every_days == 90
    assert [nation.stability for nation in scenario.nations] == [1.0, 0.5]


def test_an_override_can_replace_the_bad_value_of_a_file():
    scenario = simulator.load_scenario(BAD_INPUTS / "zero_interval.yaml",
                                       [parse_override("exercises.sea_breeze.every_days=90")])
    assert scenario.exercises[0].every_days == 90


def test_an_override_with_an_unknown_list_id_names_the_ids_there_are():
    with pytest.raises(ScenarioError) as raised:
        load_minimal("exercises.nope.every_days=3")
    assert only_problem(raised.value) == (
        "--set exercises.nope.every_days: exercises: no item 'nope' (expected one of: sea_breeze)")


def test_a_misspelt_override_key_suggests_the_right_one():
    with pytest.raises(ScenarioError) as raised:
        load_minimal("exercises.sea_breeze.every_day=3")
    assert only_problem(raised.value).startswith(
        "--set: exercises.sea_breeze.every_day: unknown key 'every_day'; "
        "did you mean 'every_days'?")


def test_a_misspelt_key_in_the_middle_of_an_override_is_located_at_the_override():
    """The misspelt `exercize` comes from --set, not from the file's `parameters:` line."""
    with pytest.raises(ScenarioError) as raised:
        load_minimal("parameters.exercize.min_success=1")
    assert only_problem(raised.value).startswith(
        "--set: parameters.exercize: unknown key 'exercize'; did you mean 'exercise'?")


def test_an_out_of_range_override_is_located_at_the_override_not_the_file():
    with pytest.raises(ScenarioError) as raised:
        load_minimal("exercises.0.every_days=0")
    assert only_problem(raised.value) == (
        "--set: exercises.sea_breeze.every_days: should be greater than 0 (got 0)")


def test_an_override_cannot_reach_inside_a_value():
    with pytest.raises(ScenarioError) as raised:
        load_minimal("name.first=x")
    assert only_problem(raised.value) == (
        "--set name.first: name: is a value, not a mapping, so it has no 'first'")


def test_file_problems_keep_their_location_beside_an_override():
    file = BAD_INPUTS / "unknown_key.yaml"
    with pytest.raises(ScenarioError) as raised:
        simulator.load_scenario(file, [parse_override("horizon_years=2")])
    assert only_problem(raised.value).startswith(
        f"{file}:25:5: nations.borvia.stabilty: unknown key 'stabilty'")


@pytest.mark.parametrize("text, message", [
    ("exercises.sea_breeze.every_days", "--set exercises.sea_breeze.every_days: "
                                        "expected dotted.path=value"),
    ("=3", "--set =3: expected dotted.path=value"),
    ("name=[unclosed", "--set name=[unclosed: name: cannot read value '[unclosed' as YAML"),
    ("name=!!python/object/apply:os.system [echo]",
     "--set name=!!python/object/apply:os.system [echo]: name: cannot read value "
     "'!!python/object/apply:os.system [echo]' as YAML"),
], ids=["no_equals", "no_path", "bad_yaml", "python_tag"])
def test_a_malformed_override_is_refused(text: str, message: str):
    with pytest.raises(ScenarioError) as raised:
        parse_override(text)
    assert only_problem(raised.value) == message


def test_overrides_do_not_touch_the_callers_data():
    data = {"name": "tiny", "horizon_years": 1, "domains": ["land"],
            "regions": [{"id": "west"}],
            "nations": [{"id": "a", "role": "ally", "region": "west", "capability": 0.5}]}
    before = repr(data)
    scenario = simulator.scenario_from_dict(data, [("nations.a.capability", 0.9)])
    assert scenario.nations[0].capability == 0.9
    assert repr(data) == before


def test_problems_in_plain_data_are_located_by_path():
    data = {"name": "tiny", "horizon_years": 1, "domains": ["land"],
            "regions": [{"id": "west"}],
            "nations": [{"id": "a", "role": "ally", "region": "east", "capability": 2}]}
    with pytest.raises(ScenarioError) as raised:
        simulator.scenario_from_dict(data)
    assert [str(problem) for problem in raised.value.problems] == [  # both, in one pass
        "<scenario>: nations.a.capability: should be less than or equal to 1 (got 2)",
        "<scenario>: nations.a.region: unknown region 'east' (expected one of: west)"]
