"""The metric catalogue: the one place that names metrics and KPIs, in the tables' order."""

from __future__ import annotations

import ast
import typing
from collections import defaultdict

import pandas as pd
import pytest
from pydantic import BaseModel

import simulator
from simulator.model import metrics
from simulator.model.schema import Scenario

from .conftest import ROOT, SCENARIOS, loaded_by

PACKAGE = ROOT / "simulator"
CATALOGUE_MODULE = "model/metrics.py"
SCENARIO_READERS = ("model/", "presentation/report.py", "presentation/description.py")
"""Where a homonym's literal may name the scenario's key or the world's state variable of that
spelling: the model, and the report's and the model description's account of the scenario."""


def literals() -> dict[str, set[str]]:
    """Every string literal of the package, with the modules (relative paths) that spell it."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        module = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found[node.value].add(module)
    return found


def scenario_keys() -> set[str]:
    """Every key a scenario file may hold, at any depth."""
    keys: set[str] = set()
    seen: set[type] = set()

    def walk(annotation: object) -> None:
        for argument in typing.get_args(annotation):
            walk(argument)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and (
                annotation not in seen):
            seen.add(annotation)
            for name, field in annotation.model_fields.items():
                keys.add(name)
                walk(field.annotation)

    walk(Scenario)
    return keys


def test_no_module_but_the_catalogue_spells_a_metric_or_kpi():
    spelled = literals()
    homonyms = scenario_keys()
    names = {name for table in metrics.CATALOGUE.values() for name in table}
    elsewhere = {}
    for name in sorted(names):
        modules = {module for module in spelled[name] if module != CATALOGUE_MODULE
                   and not (name in homonyms and module.startswith(SCENARIO_READERS))}
        if modules:
            elsewhere[name] = sorted(modules)
    assert not elsewhere, f"metric names spelled outside {CATALOGUE_MODULE}: {elsewhere}"
    # the check sees the names: the catalogue spells each metric it defines
    defined = set(metrics.STATE_METRICS) | set(metrics.NATION_METRICS) | set(
        metrics.REGION_METRICS)
    assert {name for name in defined if CATALOGUE_MODULE in spelled[name]} == defined
    # and the homonyms are few, all keys of scenario files (nations' levels, a section)
    assert names & homonyms == {"budget_cuts", "capability", "openness", "proficiency",
                                "stability", "standards", "tension"}


def test_tables_and_files_have_the_catalogues_columns_in_order(tmp_path):
    scenario = simulator.load_scenario(SCENARIOS / "minimal.yaml")
    result = simulator.simulate(scenario, seed=3)
    tables = {"series": result.series, "nations": result.nations, "regions": result.regions}
    result.save(tmp_path, plots=False)
    files = {table: pd.read_csv(tmp_path / f"{table}.csv") for table in tables}
    for table, frame in [*tables.items(), *files.items()]:
        names = list(metrics.CATALOGUE[table])
        assert list(frame.columns[-len(names):]) == names, table
        assert not set(frame.columns[:-len(names)]) & set(names), table
    assert list(result.kpis) == list(metrics.KPIS)
    kpis = pd.read_csv(tmp_path / "kpis.csv")
    assert list(kpis.columns[-len(metrics.KPIS):]) == list(metrics.KPIS)


def test_labels_are_unique_and_selections_name_catalogue_entries():
    every = [metric for table in metrics.CATALOGUE.values() for metric in table.values()]
    labels = [metric.label for metric in every]
    assert len(set(labels)) == len(labels)
    assert metrics.KPIS["mean_interop_ally_partner"].label == (
        "Interoperability, ally–partner (time mean)")
    selections = {"HEADLINE_KPIS": (metrics.HEADLINE_KPIS, metrics.KPIS),
                  "RUN_KPIS": (metrics.RUN_KPIS, metrics.KPIS),
                  "TRACKED_METRICS": (metrics.TRACKED_METRICS, metrics.SERIES),
                  "THEMES": ([m for theme in metrics.THEMES for m in theme.metrics],
                             metrics.SERIES)}
    for selection, (names, table) in selections.items():
        assert set(names) <= set(table), selection
        assert len(set(names)) == len(names), selection


def test_each_kpi_is_worked_out_from_series_metrics_and_counts_are_whole():
    for kpi in metrics.KPIS.values():
        assert kpi.of and set(kpi.of) <= set(metrics.SERIES), kpi.name
        assert len(kpi.of) == (2 if kpi.statistic in ("ratio", "gain_per") else 1), kpi.name
    assert metrics.WHOLE_METRICS == ("engaged_pairs", "sharing_links", *(
        name for name, value in vars(metrics.Counts()).items() if type(value) is int))
    assert "final_sharing_links" in metrics.WHOLE_KPIS
    assert "mean_sharing_links" not in metrics.WHOLE_KPIS  # a time mean of whole numbers


@pytest.mark.parametrize(("module", "absent"), [
    ("simulator.model.metrics", ("simpy", "pydantic", "simulator.model.engine",
                                 "simulator.model.schema")),
    ("simulator.model.recorder", ("simulator.model.processes",)),
])
def test_importing_leaves_the_rest_unloaded(module, absent):
    assert loaded_by(module, absent) == []
