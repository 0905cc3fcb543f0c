"""The exception family: every error survives the trip between processes intact."""

from __future__ import annotations

import importlib
import pickle
import pkgutil
from concurrent import futures

import pytest

import simulator
from simulator.errors import Location, Problem, ScenarioError, SimulatorError, UserError

PROBLEMS = [Problem(Location("world.yaml", 3, 5), "nations.borvia.region",
                    "unknown region 'south' (expected one of: north)"),
            Problem(Location("--set horizon_years"), "horizon_years", "should be > 0")]
EXAMPLES: dict[type[SimulatorError], SimulatorError] = {
    SimulatorError: SimulatorError("something went wrong"),
    UserError: UserError("results: not empty and not a results directory"),
    ScenarioError: ScenarioError(PROBLEMS),
}


def every_error_class() -> set[type[SimulatorError]]:
    """Every subclass of SimulatorError defined anywhere in the package."""
    for module in pkgutil.walk_packages(simulator.__path__, "simulator."):
        if module.name != "simulator.__main__":
            importlib.import_module(module.name)
    found, waiting = set(), [SimulatorError]
    while waiting:
        cls = waiting.pop()
        found.add(cls)
        waiting.extend(cls.__subclasses__())
    return {cls for cls in found if cls.__module__.startswith("simulator")}


def test_the_examples_cover_every_error_class():
    assert every_error_class() == set(EXAMPLES)


@pytest.mark.parametrize("error", EXAMPLES.values(), ids=lambda e: type(e).__name__)
def test_every_error_survives_pickle_with_its_message(error):
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert vars(copy) == vars(error)


def test_a_scenario_error_raised_in_a_worker_arrives_whole():
    with futures.ProcessPoolExecutor(max_workers=1) as pool:
        with pytest.raises(ScenarioError) as raised:
            pool.submit(_raise, ScenarioError(PROBLEMS)).result()
    assert raised.value.problems == PROBLEMS
    assert str(raised.value).startswith("2 problems found:\n  world.yaml:3:5: nations.borvia")


def _raise(error: Exception) -> None:
    raise error
