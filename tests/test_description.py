"""The model description in the STRESS-DES and ODD structures, read back against the
standards' item lists, the results directory it was filled in from, the code that owns each
fact and the sections of docs/model.md it cites."""

from __future__ import annotations

import platform
import re

import numpy as np
import pyarrow.parquet as pq
import pytest

from simulator.cli import main
from simulator.model import engine, streams
from simulator.model.schema import Parameters
from simulator.presentation.description import (
    FILLED,
    NOT_APPLICABLE,
    NOT_STATED,
    PROCESSES,
    STATUSES,
    SUBMODELS,
    Description,
    odd,
    stress_des,
)
from simulator.presentation.plot_data import load_results
from simulator.runs.store import run_file

from .conftest import ROOT, SCENARIOS, loaded_by
from .test_imports import ENGINE, YAML_LOADER

STRESS_DES_ITEMS = [
    "1.1", "1.2", "1.3",
    "2.1", "2.2", "2.3", "2.4", "2.5.1", "2.5.2", "2.5.3", "2.5.4", "2.5.5",
    "3.1", "3.2", "3.3", "3.4",
    "4.1", "4.2", "4.3",
    "5.1", "5.2", "5.3", "5.4",
    "6.1",
]
"""STRESS-DES (Monks et al. 2019), as ../shared/REFERENCES.md lists it: 2.5 by its parts."""
ODD_ELEMENTS = ["Purpose and patterns", "Entities, state variables and scales",
                "Process overview and scheduling", "Design concepts", "Initialization",
                "Input data", "Submodels"]
SECTION = r"\d+(?:\.\d+)?"
CITATION = rf"docs/model\.md sections? ({SECTION}(?:(?:, | and ){SECTION})*)"
"""How the description cites the model's reference: `docs/model.md sections 4.5 and 4.6`."""
DESIGN_CONCEPTS = ["Basic principles", "Emergence", "Adaptation", "Objectives", "Learning",
                   "Prediction", "Sensing", "Interaction", "Stochasticity", "Collectives",
                   "Observation"]


@pytest.fixture(scope="module")
def experiment(small_clean) -> Description:
    """The small experiment of conftest: 2 variants, 4 replications, seed 5, 3 years."""
    return stress_des(load_results(small_clean))


@pytest.fixture(scope="module")
def single_run(tmp_path_factory):
    """A run of the baseline with a constant set away from its default."""
    out = tmp_path_factory.mktemp("described") / "run"
    assert main(["run", str(SCENARIOS / "baseline.yaml"), "--out", str(out), "--no-plots",
                 "--seed", "11", "--set", "horizon_years=2",
                 "--set", "parameters.exercise.min_success=0.5"]) == 0
    return out


def item(description: Description, number: str):
    (found,) = [item for item in description.items if item.number == number]
    return found


def text(description: Description, number: str) -> str:
    return " ".join(item(description, number).paragraphs)


def test_every_stress_des_item_appears_once_in_order_with_a_status(experiment):
    assert [item.number for item in experiment.items] == STRESS_DES_ITEMS
    assert [section.number for section in experiment.sections] == ["1", "2", "3", "4", "5",
                                                                   "6"]
    for section in experiment.sections:
        assert all(item.number.startswith(f"{section.number}.") for item in section.items)
    for each in experiment.items:
        assert each.status in STATUSES and each.title
        assert each.paragraphs and all(isinstance(p, str) and p.strip()
                                       for p in each.paragraphs)


def test_the_completeness_count_is_the_number_of_items_answered(experiment):
    answered = [each for each in experiment.items if each.status != NOT_STATED]
    assert experiment.answered == len(answered) and experiment.total == 24
    unstated = [each.number for each in experiment.items if each.status == NOT_STATED]
    assert experiment.completeness == (
        f"{len(answered)} of 24 items answered (filled or not applicable)"
        + (f"; not stated in the inputs: {', '.join(unstated)}" if unstated else ""))


def test_the_markdown_gives_every_item_in_order_with_its_status_and_the_count(experiment):
    markdown = experiment.markdown()
    assert markdown.startswith("# Model description (STRESS-DES 1.0): experiment `small`\n")
    assert f"Completeness: {experiment.completeness}." in markdown
    assert "`simulator report`" in markdown and "results directory" in markdown
    headings = re.findall(r"^### (\S+) (.+)$", markdown, flags=re.MULTILINE)
    assert headings == [(each.number, each.title) for each in experiment.items]
    assert markdown.count("*Status: ") == 24
    for each in experiment.items:
        assert all(paragraph in markdown for paragraph in each.paragraphs)
    assert "```text\n" in markdown and item(experiment, "2.1").diagram in markdown
    assert "<p>" not in markdown and "<b>" not in markdown


def test_experiment_facts_come_from_the_results_directory(small_clean, experiment):
    manifest = load_results(small_clean).manifest
    assert "4 of each of the 2 variants (8 runs)" in text(experiment, "4.3")
    assert f"Stopped because: {manifest.stop_reason}." in text(experiment, "4.3")
    assert "Root seed: 5, replications 0 to 3 of every variant." in text(experiment, "5.2")
    assert ("`more_exercises`: `exercises.eastern_resolve.every_days` 180 -> 60; "
            "`exercises.sea_breeze.every_days` 180 -> 60 (acts through docs/model.md "
            "sections 4.5 and 4.6).") in item(experiment, "2.3").paragraphs  # scenario order
    assert ("The baseline `baseline` itself changes the scenario file by: `horizon_years` = 3."
            in item(experiment, "2.3").paragraphs)
    assert "The primary metric, which decides the best variant: `mean_interop_ally_partner`" \
        in text(experiment, "1.2")
    rows = pq.ParquetFile(small_clean / run_file("series", "baseline", 0)).metadata.num_rows
    assert text(experiment, "4.2").startswith(
        f"Run length: 3 years (1095 days), sampled every 30 days ({rows} samples")
    assert f"Python {manifest.versions['python']}" in text(experiment, "5.1")
    assert f"simpy {manifest.versions['simpy']}" in text(experiment, "5.1")
    assert manifest.started in text(experiment, "5.4")


def test_a_single_run_marks_the_experiment_items_and_states_its_own_facts(single_run):
    described = stress_des(load_results(single_run))
    assert [each.number for each in described.items] == STRESS_DES_ITEMS
    for number in ("1.3", "2.3", "4.3"):
        assert item(described, number).status == NOT_APPLICABLE
        assert "single" in text(described, number)
    assert "`parameters.exercise.min_success` = 0.5" in text(described, "2.3")
    default = Parameters().exercise.min_success
    assert (f"`parameters.exercise.min_success` = 0.5 (default {default:g})"
            in text(described, "3.3"))
    assert f"(the calibrated default is {default:g})" in text(described, "3.4")
    assert "Root seed: 11, replication 0." in text(described, "5.2")
    assert "replication 0 of seed 11" in text(described, "4.3")
    assert "Confidence intervals: none here" in text(described, "1.2")
    assert described.markdown().startswith(
        "# Model description (STRESS-DES 1.0): single run of scenario `baseline`\n")


def test_the_platform_the_manifest_records_specifies_the_system(experiment):
    assert item(experiment, "5.4").status == FILLED
    assert platform.platform() in text(experiment, "5.4")
    assert f"Operating system and machine: {platform.platform()}" in text(experiment, "5.1")


def test_what_the_inputs_do_not_record_is_said_to_be_not_stated(experiment):
    """Where to obtain the code: neither the manifest nor the package says."""
    assert item(experiment, "6.1").status == NOT_STATED


def test_odd_has_its_seven_elements_and_eleven_design_concepts(small_clean):
    described = odd(load_results(small_clean))
    assert [(s.number, s.title) for s in described.sections] == [
        (str(k), title) for k, title in enumerate(ODD_ELEMENTS, start=1)]
    concepts = described.sections[3].items
    assert [(each.number, each.title) for each in concepts] == [
        (f"4.{k}", title) for k, title in enumerate(DESIGN_CONCEPTS, start=1)]
    for section in described.sections:
        if section.number != "4":
            assert [(each.number, each.title) for each in section.items] == [
                (section.number, section.title)]
    assert all(each.status in STATUSES and each.paragraphs for each in described.items)
    assert described.total == 17 and described.answered == sum(
        each.status != NOT_STATED for each in described.items)
    markdown = described.markdown()
    assert markdown.count("*Status: ") == 17
    assert all(f"### 4.{k} {title}" in markdown for k, title in enumerate(DESIGN_CONCEPTS, 1))
    assert "20 nations" not in markdown and "Nations: 20" in text(described, "2")


def test_every_section_of_docs_model_md_it_cites_exists(experiment, small_clean):
    headings = _headings()
    cited = set()
    for description in (experiment, odd(load_results(small_clean))):
        for match in re.finditer(CITATION, description.markdown()):
            cited |= set(re.split(r", | and ", match.group(1)))
    assert cited and cited <= set(headings), cited - set(headings)
    assert [(number, headings[number]) for number, _ in SUBMODELS] == list(SUBMODELS)


def _headings() -> dict[str, str]:
    """docs/model.md's numbered sections: number -> title."""
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    return {number.rstrip("."): title for number, title in
            re.findall(r"^#{2,3} (\d+(?:\.\d+)?\.?) (.+)$", text, flags=re.MULTILINE)}


def test_the_processes_and_streams_it_describes_are_those_the_engine_starts(baseline,
                                                                           monkeypatch):
    named = []

    def recorded(seed, replication, name):
        named.append(name)
        return streams.stream(seed, replication, name)

    monkeypatch.setattr(engine, "stream", recorded)
    engine.build(baseline, seed=1)
    scenario = baseline.model_dump(mode="json")
    for process in PROCESSES:
        if process.stream:
            prefix = process.stream.split("/")[0] + "/"
            assert sum(name.startswith(prefix) for name in named) == process.count(scenario)
    assert {name.split("/")[0] for name in named} == {
        process.stream.split("/")[0] for process in PROCESSES if process.stream}


def test_the_streams_are_seeded_as_it_says():
    name = "exercise/sea_breeze"
    said = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
        7, spawn_key=(3, streams.stable_hash(name)))))
    assert streams.stream(7, 3, name).random(4).tolist() == said.random(4).tolist()


def test_describing_results_loads_neither_the_engine_nor_the_yaml_loader():
    assert loaded_by("simulator.presentation.description", ENGINE + YAML_LOADER) == []
