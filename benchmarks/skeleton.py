"""A bare SimPy skeleton of a scenario: the engine's events without the model.

`build(scenario, seed)` starts, in a fresh `simpy.Environment`, the same
processes as `simulator/engine.py` and `simulator/processes.py`, yielding the
same kinds of events (timeouts, facility `simpy.Resource` requests, budget and
trainer `simpy.Container` gets and puts, the `request | timeout(max_wait_days)`
condition of every payment, the ally-adoption sub-process of every standards
release), drawing from the same named random streams
(`simulator.model.streams.stream(seed, replication, name)`) the same number of
numbers per cycle. What it leaves out is the model: no world state, no
learning, no trust, no metrics, no trace. So:

* every invited nation always takes part (a series with fewer than two invited
  nations is cancelled every cycle, as in the engine);
* budgets never run out (the containers hold `inf`), so every payment succeeds
  at once; no budget year ever has to refill them, so `budget_years` is its
  yearly timeout only;
* no tension, hence no escalation and no exercise waits out a cooldown;
* nothing waits on stability: a program is interrupted with the chance
  `interruption * (1 - stability)` of the partner's *scenario* stability (a
  constant; shocks change nothing), so the pauses are the same kind of
  timeout in about the same number, but no program is suspended or abandoned;
* trainer pools and facilities keep the scenario's sizes: they are resources,
  not model state, so programs and exercises still queue for them;
* the recorder is its timeout every `sample_every_days` and nothing else.

`count_events()` counts the events SimPy processes, by class, by wrapping
`simpy.core.Environment.step` for as long as the `with` block lasts; it works
for the engine's `run_one` (which makes its own environment) and for the
skeleton alike. Use it for separate counting runs, never for timed ones.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import simpy

from simulator.model.recorder import sample_times
from simulator.model.schema import (
    DAYS_PER_YEAR,
    Exercise,
    Program,
    Scenario,
    StandardsCycle,
    Threat,
    Workshop,
)
from simulator.model.streams import stream

Process = Generator[simpy.Event, Any, Any]


class Skeleton:
    """The engine's processes as pure event scheduling."""

    def __init__(self, env: simpy.Environment, scenario: Scenario):
        self.env = env
        self.scenario = scenario
        self.parameters = scenario.parameters
        self.facilities = {
            facility.id: simpy.Resource(env, capacity=facility.capacity)
            for facility in scenario.facilities
        }
        allies = [n for n in scenario.nations if n.role == "ally"]
        self.budgets = {nation.id: simpy.Container(env, capacity=math.inf, init=math.inf)
                        for nation in allies}
        self.trainers = {
            nation.id: simpy.Container(env, capacity=max(nation.trainers, 1), init=nation.trainers)
            for nation in allies
        }
        self.stability = {nation.id: nation.stability for nation in scenario.nations}
        self.members = Counter(nation.region for nation in scenario.nations)

    def budget_years(self) -> Process:
        while True:
            yield self.env.timeout(DAYS_PER_YEAR)

    def exercise_series(self, exercise: Exercise, rng: np.random.Generator) -> Process:
        env = self.env
        invited = len(exercise.participants)
        next_start = exercise.start_day
        while True:
            yield env.timeout(max(0.0, next_start - env.now))
            draws = rng.random(invited + 2)
            next_start = env.now + exercise.every_days + draws[-1] * exercise.jitter_days
            if invited < 2:
                continue
            yield from self._pay(exercise.host, exercise.cost)
            with self.facilities[exercise.facility].request() as slot:
                yield slot
                yield env.timeout(exercise.duration_days)

    def capacity_program(self, program: Program, rng: np.random.Generator) -> Process:
        env, rules = self.env, self.parameters.program
        unstable = 1.0 - self.stability[program.partner]
        yield env.timeout(program.start_day)
        for _ in range(program.modules):
            due = env.now + program.module_every_days
            draws = rng.random(2)
            if draws[0] < rules.interruption * unstable:
                yield env.timeout(-rules.pause_days * math.log1p(-draws[1]))
            yield from self._pay(program.provider, program.cost)
            pool = self.trainers[program.provider]
            if program.trainers:
                yield pool.get(program.trainers)
            yield env.timeout(program.module_days)
            if program.trainers:
                yield pool.put(program.trainers)
            yield env.timeout(max(0.0, due - env.now))

    def workshop_series(self, workshop: Workshop) -> Process:
        env = self.env
        yield env.timeout(workshop.start_day)
        while True:
            due = env.now + workshop.every_days
            yield from self._pay(workshop.provider, workshop.cost)
            yield env.timeout(max(0.0, due - env.now))

    def standards_releases(self, cycle: StandardsCycle) -> Process:
        rules = self.parameters.standards
        every = cycle.release_every_days or (
            rules.cyber_release_every_days if cycle.id == "cyber" else rules.release_every_days
        )
        while True:
            yield self.env.timeout(every)
            self.env.process(self._ally_adoption())

    def _ally_adoption(self) -> Process:
        yield self.env.timeout(self.parameters.standards.adoption_lag_days)

    def crises(self, threat: Threat, rng: np.random.Generator) -> Process:
        if threat.per_year <= 0 or self.members[threat.region] == 0:
            return
        mean_gap = DAYS_PER_YEAR / threat.per_year
        while True:
            draws = rng.random(4)
            yield self.env.timeout(-mean_gap * math.log1p(-draws[0]))

    def budget_cuts(self, rng: np.random.Generator) -> Process:
        mean_gap = DAYS_PER_YEAR / self.scenario.disruptions.budget_cuts.per_year
        while True:
            yield self.env.timeout(-mean_gap * math.log1p(-rng.random()))

    def instability_shocks(self, rng: np.random.Generator) -> Process:
        mean_gap = DAYS_PER_YEAR / self.scenario.disruptions.instability.per_year
        while True:
            draws = rng.random(2)
            yield self.env.timeout(-mean_gap * math.log1p(-draws[0]))

    def record(self, times: np.ndarray) -> Process:
        for time in times[:-1]:
            yield self.env.timeout(time - self.env.now)

    def _pay(self, ally: str, cost: float) -> Process:
        if cost <= 0:
            return
        request = self.budgets[ally].get(cost)
        yield request | self.env.timeout(self.parameters.budget.max_wait_days)


def build(scenario: Scenario, seed: int = 0, replication: int = 0) -> simpy.Environment:
    """A fresh environment with every process of the engine started, as `start_processes` does."""
    env = simpy.Environment()
    skeleton = Skeleton(env, scenario)

    def rng(name: str) -> np.random.Generator:
        return stream(seed, replication, name)

    env.process(skeleton.budget_years())
    for exercise in scenario.exercises:
        env.process(skeleton.exercise_series(exercise, rng(f"exercise/{exercise.id}")))
    for program in scenario.programs:
        env.process(skeleton.capacity_program(program, rng(f"program/{program.id}")))
    for workshop in scenario.workshops:
        env.process(skeleton.workshop_series(workshop))
    for cycle in scenario.standards:
        env.process(skeleton.standards_releases(cycle))
    for threat in scenario.threats:
        env.process(skeleton.crises(threat, rng(f"crises/{threat.id}")))
    disruptions = scenario.disruptions
    for nation in scenario.nations:
        if nation.role == "ally" and disruptions.budget_cuts.per_year > 0:
            env.process(skeleton.budget_cuts(rng(f"budget_cuts/{nation.id}")))
        if nation.role == "partner" and disruptions.instability.per_year > 0:
            env.process(skeleton.instability_shocks(rng(f"instability/{nation.id}")))
    env.process(skeleton.record(sample_times(scenario.horizon_days, scenario.sample_every_days)))
    return env


def run(scenario: Scenario, seed: int = 0, replication: int = 0) -> simpy.Environment:
    """Build the skeleton and run it to the horizon, as `run_one` runs the engine."""
    env = build(scenario, seed, replication)
    env.run(until=scenario.horizon_days)
    return env


@contextmanager
def count_events() -> Iterator[Counter[str]]:
    """Count the events processed by any `simpy.Environment` inside the block, by class
    (`"total"` too). The count includes the stop event of `run(until=...)`."""
    counts: Counter[str] = Counter()
    original = simpy.core.Environment.step

    def step(self: simpy.Environment) -> None:
        queue = self._queue
        if queue:
            counts[type(queue[0][3]).__name__] += 1
            counts["total"] += 1
        original(self)

    simpy.core.Environment.step = step  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        simpy.core.Environment.step = original  # type: ignore[method-assign]
