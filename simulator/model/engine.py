"""One run of a scenario: build the world, start its processes, run, finalise.

`run_one` is pure in the sense that matters: a scenario and a seed in, plain
numpy data out, the same bits every time. The engine never reads files, plots
or prints.
"""

from __future__ import annotations

import time as wallclock
from dataclasses import dataclass

import numpy as np
import simpy
from numpy.typing import NDArray
from simpy.events import NORMAL, EventPriority

from simulator.model.processes import Activities, Process, TraceEvent
from simulator.model.recorder import Recorder, sample_times
from simulator.model.schema import Scenario
from simulator.model.state import State
from simulator.model.streams import stream
from simulator.model.world import World


@dataclass(frozen=True)
class RunOutput:
    """What one run produced, as plain arrays that pickle cheaply between processes."""

    scenario: str
    seed: int
    replication: int
    times: NDArray[np.float64]
    series: NDArray[np.float64]
    """Sample x metric, in the order of `metrics.SERIES_METRICS`."""
    nations: NDArray[np.float64]
    """Sample x nation x metric, in the order of `metrics.NATION_METRICS`."""
    regions: NDArray[np.float64]
    """Sample x region x metric, in the order of `metrics.REGION_METRICS`."""
    trust: NDArray[np.float64]
    """End-of-run trust of row nation in column nation."""
    interoperability: NDArray[np.float64]
    """End-of-run interoperability, nation x nation x domain."""
    nation_ids: tuple[str, ...]
    roles: tuple[str, ...]
    region_ids: tuple[str, ...]
    domains: tuple[str, ...]
    trace: tuple[TraceEvent, ...] | None
    wall_seconds: float


@dataclass(frozen=True)
class Simulation:
    """One run built, its processes started and its clock at 0: what `run_one` runs to the
    horizon, and what tests step through and look inside."""

    env: simpy.Environment
    world: World
    activities: Activities
    recorder: Recorder
    trace: list[TraceEvent] | None


def build(scenario: Scenario, seed: int = 0, replication: int = 0,
          trace: bool = False) -> Simulation:
    """The world of `scenario` with every process started on the random streams of
    (`seed`, `replication`); with `trace`, the processes log what happens."""
    env = simpy.Environment()
    world = World(scenario)
    events: list[TraceEvent] | None = [] if trace else None
    activities = Activities(env, world, scenario, events)
    times = sample_times(scenario.horizon_days, scenario.sample_every_days)
    recorder = Recorder(world, activities.counts, times)
    start_processes(env, activities, scenario, seed, replication, recorder)
    return Simulation(env, world, activities, recorder, events)


def run_one(scenario: Scenario, seed: int = 0, replication: int = 0,
            trace: bool = False) -> RunOutput:
    """Simulate `scenario` once with the random streams of (`seed`, `replication`)."""
    started = wallclock.perf_counter()
    simulation = build(scenario, seed, replication, trace)
    simulation.env.run(until=scenario.horizon_days)
    recorder, world = simulation.recorder, simulation.world
    recorder.sample(scenario.horizon_days)
    assert recorder.samples == len(recorder.times)
    final = world.snapshot(scenario.horizon_days)
    return RunOutput(
        scenario=scenario.name,
        seed=seed,
        replication=replication,
        times=recorder.times,
        series=recorder.series,
        nations=recorder.nations,
        regions=recorder.regions,
        trust=final.trust,
        interoperability=final.interoperability(world.weights),
        nation_ids=tuple(world.nation_ids),
        roles=tuple(nation.role for nation in scenario.nations),
        region_ids=tuple(world.region_ids),
        domains=tuple(world.domains),
        trace=tuple(simulation.trace) if simulation.trace is not None else None,
        wall_seconds=wallclock.perf_counter() - started,
    )


def start_processes(env: simpy.Environment, activities: Activities, scenario: Scenario,
                    seed: int, replication: int, recorder: Recorder) -> None:
    """One process per activity, each with its own named random stream."""

    def rng(name: str) -> np.random.Generator:
        return stream(seed, replication, name)

    env.process(activities.budget_years())
    for exercise in scenario.exercises:
        env.process(activities.exercise_series(exercise, rng(f"exercise/{exercise.id}")))
    for program in scenario.programs:
        env.process(activities.capacity_program(program, rng(f"program/{program.id}")))
    for workshop in scenario.workshops:
        env.process(activities.workshop_series(workshop))
    for cycle in scenario.standards:
        env.process(activities.standards_releases(cycle))
    for threat in scenario.threats:
        env.process(activities.crises(threat, rng(f"crises/{threat.id}")))
    disruptions = scenario.disruptions
    for nation in scenario.nations:
        if nation.role == "ally" and disruptions.budget_cuts.per_year > 0:
            env.process(activities.budget_cuts(nation.id, rng(f"budget_cuts/{nation.id}")))
        if nation.role == "partner" and disruptions.instability.per_year > 0:
            partner = activities.world.nation(nation.id)
            env.process(activities.instability_shocks(partner, rng(f"instability/{nation.id}")))
    env.process(record(env, recorder))
    env.process(keep_origins_recent(env, activities.world.state))


LATE = EventPriority(NORMAL + 1)
"""A SimPy priority after every ordinary event: a sample at an instant sees all of its events."""


class AfterTheInstant(simpy.Event):
    """A timeout that fires after every other event of its instant, even those scheduled
    later at that instant, so a series does not depend on the sampling grid."""

    def __init__(self, env: simpy.Environment, delay: float):
        super().__init__(env)
        self._ok, self._value = True, None  # as a Timeout is: triggered, with no value
        env.schedule(self, LATE, delay)


def record(env: simpy.Environment, recorder: Recorder) -> Process:
    """Every `sample_every_days`, after the events of that instant, record the metrics;
    the engine takes the last sample, at the horizon, itself."""
    for time in recorder.times[:-1]:
        yield AfterTheInstant(env, time - env.now)
        recorder.sample(env.now)


def keep_origins_recent(env: simpy.Environment, state: State) -> Process:
    """Every `state.rebase_every` days, keep the state's values as of now: the same levels
    (so no other event sees a difference), in numbers that never grow large."""
    while True:
        yield env.timeout(state.rebase_every)
        state.rebase(env.now)
