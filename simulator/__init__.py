"""Simulate joint exercises and capacity building among allies and partners.

The Python API::

    import simulator
    scenario = simulator.load_scenario("scenarios/baseline.yaml")
    result = simulator.simulate(scenario, seed=1)
    result.series            # pandas DataFrame, one row per sample time

    experiment = simulator.run_experiment("configs/compare_policies.yaml")
    experiment.comparison    # each variant against the baseline, per KPI

    rows = [{"nations.*.political_will": 0.6}, {"nations.*.political_will": 0.9}]
    table = simulator.run_design("scenarios/baseline.yaml", rows, replications=4)
    table                    # one row of KPIs per (row, replication)

    result = simulator.check(["validation/extremes.yaml"])   # the validation suite
    result.passed, result.table                              # and checks.csv written

    check = simulator.reproduce("results/compare_policies")  # runs made again, compared
    check.summary, check.differences                         # and reproduction.json written

    found = simulator.explore("configs/explore_outreach.yaml")  # policies across futures
    found.robustness, found.sensitivity, found.discovery        # and their files written

Everything but the errors is imported on first use (pydantic, numpy and SimPy
included), so that `import simulator` and `simulator --help` stay light.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from simulator.errors import ScenarioError, SimulatorError, UserError

__version__ = "0.1.0"

_LAZY = {
    "Scenario": "simulator.model.schema",
    "load_scenario": "simulator.model.loading",
    "scenario_from_dict": "simulator.model.loading",
    "simulate": "simulator.model.results",
    "load_experiment": "simulator.runs.experiment",
    "run_experiment": "simulator.runs.runner",
    "run_design": "simulator.runs.design",
    "check": "simulator.runs.checks",
    "reproduce": "simulator.runs.reproduce",
    "explore": "simulator.runs.explorer",
    "load_exploration": "simulator.runs.exploration",
}

__all__ = [
    "Scenario", "ScenarioError", "SimulatorError", "UserError",
    "check", "explore", "load_experiment", "load_exploration", "load_scenario", "reproduce",
    "run_design", "run_experiment",
    "scenario_from_dict", "simulate",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")
