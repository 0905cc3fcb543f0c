"""Simulate joint exercises and capacity building among allies and partners.

The Python API in three calls::

    import simulator
    scenario = simulator.load_scenario("scenarios/baseline.yaml")
    result = simulator.simulate(scenario, seed=1)
    result.series            # pandas DataFrame, one row per sample time
"""

from __future__ import annotations

from simulator.errors import RunError, ScenarioError, SimulatorError, UserError
from simulator.loading import load_scenario, scenario_from_dict
from simulator.schema import Scenario

__all__ = [
    "RunError", "Scenario", "ScenarioError", "SimulatorError", "UserError",
    "load_scenario", "scenario_from_dict", "simulate",
]
__version__ = "0.1.0"


def simulate(scenario: Scenario, seed: int = 0, replication: int = 0, trace: bool = False):
    """Run `scenario` once and return a `RunResult` whose tables are pandas DataFrames.

    Args:
        scenario: a validated scenario (see `load_scenario`).
        seed: the root seed; the same seed gives bit-identical results.
        replication: which replication's random streams to use (common random numbers).
        trace: keep the event trace (`result.output.trace`).
    """
    from simulator.engine import run_one
    from simulator.results import RunResult

    return RunResult(run_one(scenario, seed=seed, replication=replication, trace=trace), scenario)
