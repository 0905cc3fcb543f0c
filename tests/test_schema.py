"""`simulator schema`: the JSON Schema documents that editors use, checked with `jsonschema`.

Every shipped file must validate against the printed schemas, and every bad input must be
rejected by them at the place the loader names, except the inputs listed here as caught by
the command line only: references between parts and rules across fields, which JSON Schema
cannot say, and files that are not plain YAML data. That the command line reports each of
those, with its place, is tested in test_loading.py and test_reliability.py.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from simulator.cli import EXIT_OK, main
from simulator.errors import ScenarioError
from simulator.model.loading import dotted, validate
from simulator.model.schema import Scenario
from simulator.model.yaml_source import Document

from .test_loading import BAD_INPUTS, CORPUS, ROOT, SCENARIOS, expectations

EXPERIMENT_CORPUS = sorted((BAD_INPUTS / "experiments").glob("*.yaml"))
SHIPPED = sorted(SCENARIOS.glob("*.yaml")) + sorted((ROOT / "configs").glob("*.yaml"))

NOT_PLAIN_YAML = {
    "key_not_scalar.yaml": "a list as a key: yaml.safe_load cannot build the mapping",
    "not_utf8.yaml": "not UTF-8 text",
    "problems_of_every_pass.yaml": "a Python tag, refused by yaml.safe_load",
    "python_tag_on_scalar.yaml": "a Python tag, refused by yaml.safe_load",
    "python_tag_on_sequence.yaml": "a Python tag, refused by yaml.safe_load",
    "two_documents.yaml": "two YAML documents in one file",
    "yaml_syntax_bad_indent.yaml": "YAML syntax",
    "yaml_syntax_tab.yaml": "YAML syntax",
    "yaml_syntax_unclosed_quote.yaml": "YAML syntax",
}
"""Bad inputs that are not YAML data at all: no JSON Schema sees them."""

SCHEMA_CANNOT_SAY = {
    "dangling_participant.yaml": "a reference to an undefined nation",
    "dangling_reference.yaml": "a reference to an undefined facility",
    "dangling_region.yaml": "a reference to an undefined region",
    "duplicate_id.yaml": "two list items with one id (uniqueItems compares whole items)",
    "duplicate_key.yaml": "a duplicate key: yaml.safe_load keeps the last value silently",
    "nan_value.yaml": "NaN: no bound rejects it, and JSON has no NaN to exclude",
    "program_partner_is_ally.yaml": "the role of the nation a reference names",
    "program_provider_is_partner.yaml": "the role of the nation a reference names",
    "sample_longer_than_horizon.yaml": "a rule across two fields in different units",
    "several_reference_problems.yaml": "references to an undefined region and facility",
    "weights_not_summing_to_one.yaml": "a sum of three fields",
    "experiments/conflicting_overrides.yaml": "overrides, applied to the scenario",
    "experiments/missing_scenario.yaml": "a file that does not exist",
    "experiments/override_out_of_range.yaml": "overrides, validated as part of the scenario",
    "experiments/unknown_override_path.yaml": "overrides, resolved in the scenario",
}
"""Bad inputs that are valid against the printed schemas: only the command line catches them."""

UNIQUE_LISTS = {
    ("Scenario", "domains"), ("Nation", "needs"), ("Relation", "nations"),
    ("Exercise", "domains"), ("Exercise", "participants"), ("Program", "domains"),
    ("Workshop", "partners"), ("Workshop", "domains"),
}
"""The lists in which the cross-checks reject a repeated name."""

UNIT_WORDS = ("day", "year", "budget unit", "index", "probability", "share", "weight",
              "rate", "number of", "evidence", "intensity", "tension", "pressure", "seed",
              "count")


def printed(*args: str) -> dict[str, Any]:
    """The schema `simulator schema` prints, parsed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["schema", *args]) == EXIT_OK
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def schemas() -> dict[str, dict[str, Any]]:
    return {"scenario": printed(), "experiment": printed("--experiment"),
            "exploration": printed("--exploration")}


def validator(schema: dict[str, Any]) -> jsonschema.protocols.Validator:
    return jsonschema.validators.validator_for(schema)(schema)


def fields(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(model, field, field schema) of the document's root and of every `$defs` model."""
    parts = [(schema["title"], schema), *schema.get("$defs", {}).items()]
    return [(model, name, field) for model, part in parts
            for name, field in part.get("properties", {}).items()]


def holds_numbers(field: dict[str, Any]) -> bool:
    """A number field, or one that may hold numbers (one value or one per domain, or null)."""
    text = json.dumps(field)
    return '"type": "number"' in text or '"type": "integer"' in text


def plain_data(path: Path) -> Any:
    """The file as `yaml.safe_load` reads it, as an editor's language server would."""
    return yaml.safe_load(path.read_bytes().decode("utf-8"))


def corpus_name(path: Path) -> str:
    return path.relative_to(BAD_INPUTS).as_posix()


# --- the documents ----------------------------------------------------------------------------


def test_documents_name_their_dialect_and_a_stable_id(schemas):
    assert schemas["scenario"]["$id"] == "https://simulator.example/schemas/scenario.json"
    assert schemas["experiment"]["$id"] == "https://simulator.example/schemas/experiment.json"
    assert schemas["exploration"]["$id"] == "https://simulator.example/schemas/exploration.json"
    for schema in schemas.values():
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert jsonschema.validators.validator_for(schema) is jsonschema.Draft202012Validator
        jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("kind", ["scenario", "experiment", "exploration"])
def test_every_field_is_described(schemas, kind: str):
    every = fields(schemas[kind])
    undescribed = [f"{model}.{name}" for model, name, field in every
                   if not field.get("description", "").strip()]
    assert every and undescribed == []


@pytest.mark.parametrize("kind", ["scenario", "experiment", "exploration"])
def test_every_number_says_its_unit_and_range(schemas, kind: str):
    numeric = [(f"{model}.{name}", field["description"]) for model, name, field
               in fields(schemas[kind]) if holds_numbers(field)]
    assert numeric
    no_range = [name for name, text in numeric if " Range: " not in text]
    no_unit = [name for name, text in numeric
               if not any(word in text.lower() for word in UNIT_WORDS)]
    assert (no_range, no_unit) == ([], [])


def test_ranges_are_spelled_as_the_constraints_say(schemas):
    described = {(model, name): field["description"]
                 for model, name, field in fields(schemas["scenario"])}
    assert described["Exercise", "intensity"].endswith(" Range: > 0 and <= 10.")
    assert described["Nation", "capability"].endswith(" Range: 0 to 1.")
    assert described["BudgetCuts", "depth"].endswith(" Range: >= 0 and < 1.")
    assert described["Facility", "capacity"].endswith(" Range: 1 to 10000, a whole number.")
    assert described["InitialLevels", "standards"].endswith(" Range: 0 to 1.")  # or per domain
    assert described["Relation", "trust"].endswith(" Range: 0 to 1.")  # or null
    assert "\n" not in described["Nation", "interests"]


def test_lists_of_names_that_may_not_repeat_say_unique_items(schemas):
    unique = {(model, name) for model, name, field in fields(schemas["scenario"])
              if field.get("uniqueItems")}
    assert unique == UNIQUE_LISTS


def test_a_partner_with_a_budget_or_trainers_fails_the_schema_as_in_the_cli(schemas):
    check = validator(schemas["scenario"])
    data = plain_data(SCENARIOS / "minimal.yaml")
    assert [nation["role"] for nation in data["nations"]] == ["ally", "partner"]
    assert list(check.iter_errors(data)) == []
    for field, value in (("annual_budget", 5), ("trainers", 1)):
        data["nations"][1][field] = value
        errors = list(check.iter_errors(data))
        assert [dotted(data, tuple(error.absolute_path)) for error in errors] == [
            f"nations.borvia.{field}"]
        with pytest.raises(ScenarioError, match="only allies have budgets and trainers"):
            validate(Document(data=data, source="minimal.yaml"), Scenario)
        data["nations"][1][field] = 0


def test_a_mapping_keyed_by_names_refuses_a_key_that_is_not_a_name(schemas):
    check = validator(schemas["scenario"])
    data = plain_data(SCENARIOS / "minimal.yaml")
    data["nations"][0]["interests"] = {"north": 1.0}
    assert check.is_valid(data)
    data["nations"][0]["interests"] = {"north": 1.0, "not a name": 0.5}
    (error,) = check.iter_errors(data)  # neither one value nor a mapping of names
    assert dotted(data, tuple(error.absolute_path)) == "nations.aldoria.interests"
    causes = {cause.validator: cause.instance for cause in error.context}
    assert causes == {"type": {"north": 1.0, "not a name": 0.5}, "pattern": "not a name"}


# --- the shipped files and the bad inputs -------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_shipped_file_validates_against_its_printed_schema(schemas, path: Path):
    data = plain_data(path)
    kind = ("scenario" if path.parent.name != "configs" else
            "exploration" if "uncertainties" in data else "experiment")
    assert [error.message for error in validator(schemas[kind]).iter_errors(data)] == []
    for other in set(schemas) - {kind}:
        assert list(validator(schemas[other]).iter_errors(data)), "the kinds must differ"


def test_the_shipped_files_are_found():
    names = {path.relative_to(ROOT).as_posix() for path in SHIPPED}
    assert {"scenarios/minimal.yaml", "scenarios/baseline.yaml",
            "configs/compare_policies.yaml", "configs/explore_outreach.yaml"} <= names


def test_exactly_the_listed_bad_inputs_escape_the_schemas(schemas):
    not_yaml, accepted = set(), set()
    for kind, corpus in (("scenario", CORPUS), ("experiment", EXPERIMENT_CORPUS)):
        check = validator(schemas[kind])
        for path in corpus:
            try:
                data = plain_data(path)
            except (UnicodeDecodeError, yaml.YAMLError):
                not_yaml.add(corpus_name(path))
                continue
            if check.is_valid(data):
                accepted.add(corpus_name(path))
    assert not_yaml == set(NOT_PLAIN_YAML)
    assert accepted == set(SCHEMA_CANNOT_SAY)


CAUGHT = [path for path in CORPUS + EXPERIMENT_CORPUS
          if corpus_name(path) not in NOT_PLAIN_YAML | SCHEMA_CANNOT_SAY.keys()]


@pytest.mark.parametrize("path", CAUGHT, ids=corpus_name)
def test_the_schema_rejects_a_bad_input_where_the_cli_does(schemas, path: Path):
    """Every schema error lies on the path of a problem the loader reports: the schema
    rejects the defect, not some other part of the file."""
    kind = "experiment" if path.parent.name == "experiments" else "scenario"
    data = plain_data(path)
    errors = list(validator(schemas[kind]).iter_errors(data))
    assert errors
    reported = [want.path.split(".") if want.path else [] for want in expectations(path)]
    for error in errors:
        where = dotted(data, tuple(error.absolute_path))
        parts = where.split(".") if where else []
        assert any(path_[: len(parts)] == parts for path_ in reported), (where, error.message)
