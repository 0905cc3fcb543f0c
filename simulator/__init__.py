"""Simulate joint exercises and capacity building among allies and partners.

The Python API::

    import simulator
    scenario = simulator.load_scenario("scenarios/baseline.yaml")
    result = simulator.simulate(scenario, seed=1)
    result.series            # pandas DataFrame, one row per sample time

    experiment = simulator.run_experiment("configs/compare_policies.yaml")
    experiment.comparison    # each variant against the baseline, per KPI

The engine and the experiment runner are imported on first use, so that
`import simulator` (and the command line's start-up) stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from simulator.errors import RunError, ScenarioError, SimulatorError, UserError
from simulator.loading import load_scenario, scenario_from_dict
from simulator.schema import Scenario

__version__ = "0.1.0"

_LAZY = {
    "simulate": "simulator.results",
    "load_experiment": "simulator.experiment",
    "run_experiment": "simulator.runner",
}

__all__ = [
    "RunError", "Scenario", "ScenarioError", "SimulatorError", "UserError",
    "load_experiment", "load_scenario", "run_experiment", "scenario_from_dict", "simulate",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")
