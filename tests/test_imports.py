"""Imports flow one way: what reads results, and what reads experiment files, stands apart
from the engine. Each import runs in a fresh interpreter, so `sys.modules` holds what it
loaded and nothing a test loaded before."""

from __future__ import annotations

import ast

import pytest

from .conftest import ROOT, loaded_by

ENGINE = ("simpy", "simulator.model.engine", "simulator.model.processes",
          "simulator.model.results")
YAML_LOADER = ("yaml", "simulator.model.loading", "simulator.model.yaml_source")


@pytest.mark.parametrize("module", ["simulator.plots", "simulator.presentation.plot_data",
                                    "simulator.presentation.report", "simulator.runs.store"])
def test_the_read_side_loads_neither_the_engine_nor_the_yaml_loader(module):
    assert loaded_by(module, ENGINE + YAML_LOADER) == []


def test_experiment_files_are_read_without_the_engine():
    assert loaded_by("simulator.runs.experiment", ENGINE) == []


ROOMS = ("errors", "model", "analysis", "select", "runs", "presentation", "plots", "cli",
         "__main__")
"""The package's rooms, lowest first: a module imports only from its own room or below."""
UPWARD_ON_PURPOSE = {
    ("simulator.model.results", "simulator.runs.store"):
        "RunResult.save, a convenience of the API: imported when called, never on import",
    ("simulator.model.results", "simulator.presentation.figures"):
        "RunResult.save draws the figures: imported when called, never on import",
}


def test_imports_flow_one_way_between_the_rooms():
    """Every import in the package (in functions too) goes to the module's own room or one
    below it, but for the few listed on purpose."""
    found = set()
    for path in sorted((ROOT / "simulator").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(
            ".__init__")
        for target in _imported(path):
            if _rank(target) > _rank(module):
                found.add((module, target))
    assert found == set(UPWARD_ON_PURPOSE)


def _imported(path) -> set[str]:
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("simulator"):
            if node.module == "simulator":
                targets |= {f"simulator.{alias.name}" for alias in node.names}
            else:
                targets.add(node.module)
        elif isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names
                        if alias.name.startswith("simulator")}
    return targets


def _rank(module: str) -> int:
    """The room of `simulator.<room>...`; the package itself sits with the CLI on top,
    but for its own metadata (`__version__`), which imports nothing."""
    parts = module.split(".")
    if parts[-1] == "__version__":
        return 0
    room = parts[1] if len(parts) > 1 else "cli"
    return ROOMS.index(room) if room in ROOMS else ROOMS.index("cli")
