"""Variants a user writes: a description, values set and numbers scaled, `*` for every item."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import simulator
from simulator.errors import ScenarioError
from simulator.runs.experiment import load_experiment, plan
from simulator.runs.runner import run_experiment
from simulator.runs.store import scenario_hash

from .conftest import ROOT, SCENARIOS, write

MINIMAL = SCENARIOS / "minimal.yaml"
BASELINE = SCENARIOS / "baseline.yaml"
FIRST_VARIANT_LINE = 7


def experiment_file(tmp_path: Path, variants: str, scenario: Path = MINIMAL) -> Path:
    """An experiment of `scenario` whose variants after the baseline start at line 7."""
    return write(tmp_path / "experiment.yaml", f"""\
scenario: {scenario}
replications: 2
seed: 1
primary_metric: mean_interop_ally_partner
variants:
  baseline: {{}}
{variants}""")


def test_paths_beside_a_description_or_under_set_are_the_same_variant(tmp_path):
    config = experiment_file(tmp_path, """\
  flat: {exercises.sea_breeze.every_days: 90}
  structured:
    description: twice a year becomes four times
    set: {exercises.sea_breeze.every_days: 90}
  described:
    description: paths beside a description
    exercises.sea_breeze.every_days: 90
""")
    variants = load_experiment(config)
    hashes = {name: scenario_hash(s) for name, s in variants.scenarios.items()}
    assert hashes["flat"] == hashes["structured"] == hashes["described"] != hashes["baseline"]
    assert variants.scenarios["flat"].exercises[0].every_days == 90
    assert variants.descriptions == {"baseline": "", "flat": "",
                                     "structured": "twice a year becomes four times",
                                     "described": "paths beside a description"}
    assert variants.overrides["described"] == {"exercises.sea_breeze.every_days": 90}


def test_scale_multiplies_every_item_that_star_names(tmp_path):
    """Partners leave `annual_budget` to the schema's default (0), which scales to 0."""
    config = experiment_file(tmp_path, """\
  bigger_budget:
    scale: {nations.*.annual_budget: 1.5}
""", scenario=BASELINE)
    variants = load_experiment(config)
    before, after = variants.scenarios["baseline"], variants.scenarios["bigger_budget"]
    assert [n.annual_budget for n in after.nations] == [1.5 * n.annual_budget
                                                        for n in before.nations]
    assert after.nations[0].annual_budget == 180 and after.nations[-1].annual_budget == 0
    assert variants.overrides["bigger_budget"] == {
        f"nations.{n.id}.annual_budget": 1.5 * n.annual_budget for n in before.nations}


def test_scaling_a_value_the_file_leaves_out_starts_from_the_schema_default(tmp_path):
    config = experiment_file(tmp_path, """\
  shaky:
    scale:
      nations.*.stability: 0.5
      parameters.half_life_days.trust_evidence: 2
      parameters.exercise.min_success: 0.25
""")
    variants = load_experiment(config)
    before, after = variants.scenarios["baseline"], variants.scenarios["shaky"]
    assert [n.stability for n in after.nations] == [0.5 * n.stability for n in before.nations]
    assert (after.parameters.half_life_days.trust_evidence
            == 2 * before.parameters.half_life_days.trust_evidence)
    assert after.parameters.exercise.min_success == 0.25  # written in the file as 1.0
    assert after.parameters.exercise.standards == before.parameters.exercise.standards


def test_a_count_scaled_to_a_whole_number_stays_a_count(tmp_path):
    config = experiment_file(tmp_path, """\
  more_trainers:
    scale: {nations.*.trainers: 2}
""", scenario=BASELINE)
    variants = load_experiment(config)
    recorded = variants.overrides["more_trainers"]
    assert recorded["nations.aldoria.trainers"] == 2 * variants.scenarios[
        "baseline"].nations[0].trainers
    assert all(type(value) is int for value in recorded.values())


def test_star_sets_every_item_of_a_list(tmp_path):
    config = experiment_file(tmp_path, """\
  free_exercises:
    set: {exercises.*.cost: 0}
""", scenario=BASELINE)
    variants = load_experiment(config)
    exercises = variants.scenarios["free_exercises"].exercises
    assert len(exercises) == 6 and all(exercise.cost == 0 for exercise in exercises)
    assert variants.overrides["free_exercises"] == {f"exercises.{e.id}.cost": 0
                                                    for e in exercises}


@pytest.mark.parametrize("variant, line, column, message", [
    ("""\
  both:
    set:
      exercises.sea_breeze.cost: 5
    scale:
      exercises.*.cost: 2
""", 4, 7, "exercises.*.cost: conflicts with 'exercises.sea_breeze.cost': give each value once"),
    ("""\
  both:
    exercises.sea_breeze.cost: 5
    scale:
      exercises.sea_breeze.cost: 2
""", 3, 7, "exercises.sea_breeze.cost: is set and scaled at once: give each value once"),
    ("""\
  twice:
    exercises.sea_breeze.cost: 5
    set:
      exercises.sea_breeze.cost: 6
""", 3, 7, "exercises.sea_breeze.cost: is set twice: give each value once"),
    ("""\
  role:
    scale:
      nations.aldoria.role: 2
""", 2, 7, "nations.aldoria.role: is not a number, so it cannot be scaled (got 'ally')"),
    ("""\
  regions:
    scale:
      nations.*.region: 2
""", 2, 7, "nations.aldoria.region: is not a number, so it cannot be scaled (got 'north'); "
           "as is 1 more value that 'nations.*.region' names"),
    ("""\
  initial:
    scale:
      nations.aldoria.initial: 2
""", 2, 7, "nations.aldoria.initial: is a mapping, not a number, so it cannot be scaled"),
    ("""\
  none:
    scale:
      workshops.*.cost: 2
""", 2, 7, "workshops: has no items for '*' to match"),
    ("""\
  mapping:
    set:
      parameters.*.min_success: 0.5
""", 2, 7, "parameters: is a mapping, not a list, so '*' matches nothing"),
    ("""\
  factor:
    scale:
      exercises.*.cost: twice
""", 2, 7, "exercises.*.cost: the factor should be a finite number (got 'twice')"),
    ("""\
  typo:
    scale:
      exercises.sea_breeze.cots: 2
""", 2, 7, "exercises.sea_breeze.cots: unknown key 'cots'; did you mean 'cost'?"),
    ("""\
  capable:
    scale:
      nations.*.capability: 2
""", 2, 7, "nations.aldoria.capability: should be less than or equal to 1 (got 1.6)"),
    ("""\
  half_range:
    scale:
      facilities.north_range.capacity: 1.5
""", 2, 7, "facilities.north_range.capacity: should be a valid integer, got a number with a "
           "fractional part (got 1.5)"),
    ("""\
  words:
    description: 5
""", 1, 5, "description: should be text (got 5)"),
    ("""\
  listed:
    set: [horizon_years, 2]
""", 1, 5, "set: should be a mapping of dotted paths to values"),
], ids=["set_and_scaled_by_star", "set_and_scaled", "set_twice", "not_a_number",
        "not_numbers_by_star", "a_mapping", "star_matches_nothing", "star_on_a_mapping",
        "bad_factor", "misspelt_key", "scaled_out_of_range", "scaled_count_not_whole",
        "description_not_text", "set_not_a_mapping"])
def test_a_bad_variant_is_located_at_its_line(tmp_path, variant, line, column, message):
    config = experiment_file(tmp_path, variant)
    name = variant.split(":")[0].strip()
    with pytest.raises(ScenarioError) as raised:
        load_experiment(config)
    at = f"{config}:{FIRST_VARIANT_LINE + line}:{column}"
    assert [str(p) for p in raised.value.problems][0].startswith(
        f"{at}: variants.{name}: {message}")


def test_star_and_its_errors_from_the_command_line():
    scenario = simulator.load_scenario(MINIMAL, [("nations.*.stability", 0.5)])
    assert [nation.stability for nation in scenario.nations] == [0.5, 0.5]
    with pytest.raises(ScenarioError) as raised:
        simulator.load_scenario(MINIMAL, [("workshops.*.cost", 1)])
    assert str(raised.value.problems[0]) == (
        "--set workshops.*.cost: workshops: has no items for '*' to match")
    with pytest.raises(ScenarioError) as raised:
        simulator.load_scenario(MINIMAL, [("nations.*.stability", 0.5),
                                          ("nations.borvia.stability", 0.4)])
    assert str(raised.value.problems[0]) == (
        "--set nations.borvia.stability: nations.borvia.stability: conflicts with "
        "'nations.*.stability': give each value once")


def test_the_shipped_variants_are_the_flat_overrides_they_replaced():
    """Descriptions and `set:` change nothing of the scenarios: the same hashes as the
    flat paths the file held before, so its results stay byte-identical."""
    shipped = load_experiment(ROOT / "configs" / "compare_policies.yaml")
    flat = shipped.experiment.model_copy(update={"variants": {
        name: dict(overrides) for name, overrides in shipped.overrides.items()}})
    again = plan(flat, BASELINE)
    assert {name: scenario_hash(s) for name, s in again.scenarios.items()} == {
        name: scenario_hash(s) for name, s in shipped.scenarios.items()}
    assert shipped.descriptions["bigger_budget"].startswith("half as much again")
    assert shipped.overrides["restraint_in_east"] == {
        "exercises.eastern_resolve.every_days": 270,
        "exercises.eastern_resolve.intensity": 1.0}


def test_the_manifest_records_resolved_values_and_descriptions(tmp_path):
    config = experiment_file(tmp_path, """\
  shorter_and_richer:
    description: a richer ally over two years
    set: {horizon_years: 2}
    scale: {nations.*.annual_budget: 1.5}
""")
    result = run_experiment(config, tmp_path / "out", workers=1)
    recorded = result.manifest.variants["shorter_and_richer"]
    assert recorded.description == "a richer ally over two years"
    assert recorded.overrides == {"horizon_years": 2, "nations.aldoria.annual_budget": 150,
                                     "nations.borvia.annual_budget": 0.0}
    assert recorded.scenario["nations"][0]["annual_budget"] == 150
    written = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert written["experiment"]["variants"]["shorter_and_richer"]["scale"] == {
        "nations.*.annual_budget": 1.5}
