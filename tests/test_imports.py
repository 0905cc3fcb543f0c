"""Imports flow one way: what reads results, and what reads experiment files, stands apart
from the engine. Each import runs in a fresh interpreter, so `sys.modules` holds what it
loaded and nothing a test loaded before."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import ROOT

ENGINE = ("simpy", "simulator.model.engine", "simulator.model.processes",
          "simulator.model.results")
YAML_LOADER = ("yaml", "simulator.model.loading", "simulator.model.yaml_source")


def loaded_by(module: str, watched: tuple[str, ...]) -> list[str]:
    """Those of `watched` that importing `module` loads."""
    code = (f"import json, sys, {module}\n"
            f"print(json.dumps(sorted(set({list(watched)!r}) & set(sys.modules))))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(done.stdout)


@pytest.mark.parametrize("module", ["simulator.plots", "simulator.presentation.plot_data",
                                    "simulator.presentation.report", "simulator.runs.store"])
def test_the_read_side_loads_neither_the_engine_nor_the_yaml_loader(module):
    assert loaded_by(module, ENGINE + YAML_LOADER) == []


def test_experiment_files_are_read_without_the_engine():
    assert loaded_by("simulator.runs.experiment", ENGINE) == []
