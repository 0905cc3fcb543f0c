"""Benchmark against a peer: our SimPy engine versus the same core written in Mesa 3.

Run it from anywhere with the project's interpreter (Mesa must be installed:
`pip install "mesa>=3,<4"`):

    .venv/bin/python benchmarks/bench_mesa.py

It prints a table and writes `benchmarks/results/mesa.json`. It only measures:
nothing here is an assertion, and it exits 0.

The peer is `benchmarks/mesa_port.py`: the core dynamics (exercise series with
learning, daily decay, familiarity and trust evidence, a DataCollector) as a
time-stepped daily Mesa model, written the way a Mesa user would write it.

1. Agreement. Our engine is made deterministic and comparable to the port by
   overriding the baseline scenario: every nation's political will and
   interests 1 and participation regardless of trust, every exercise's jitter 0,
   `min_success` 1, no programs,
   workshops, standards releases or threats, no disruptions, facilities large
   enough that exercises never queue, and no contested region (otherwise
   tension escalates and pauses the eastern exercises, which the port does not
   model). The series `interop_ally_partner` and `trust_ally_partner` of
   `simulator.simulate(...)` are compared with the port's at the same sample
   times (maximum absolute difference). Two more comparisons show what each
   difference is made of: the overrides without the last one (escalation left
   in), and the deterministic world with every exercise starting half a day
   later (event times off the daily grid, so the port's day-boundary stepping
   shows).
2. Speed. In this process, interleaved, after a warm-up: the full baseline
   scenario in our engine (`simulator.model.engine.run_one`, seeds 0, 1, ...), and
   the port on the same scenario (20 years, 7,300 daily steps); then both on
   the deterministic world (the same work on both sides, near enough). Medians;
   every time is in the JSON. As a sensitivity check, the port with the
   nations' daily decay vectorised (`VectorisedMesaExerciseModel`) too.
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import numpy as np  # noqa: E402
from mesa_port import VectorisedMesaExerciseModel, run_port  # noqa: E402

import simulator  # noqa: E402
from simulator.model.engine import run_one  # noqa: E402
from simulator.model.schema import Scenario  # noqa: E402

SCENARIO = ROOT / "scenarios" / "baseline.yaml"
RESULTS = Path(__file__).resolve().parent / "results" / "mesa.json"
COMPARED = ("interop_ally_partner", "trust_ally_partner")
TARGET_RATIO = 8.0
LARGE_CAPACITY = 10_000
"""The schema's largest facility capacity: more than any number of overlapping exercises."""


def deterministic_overrides(base: Scenario, no_escalation: bool = True) -> list[tuple[str, Any]]:
    """Overrides that make our engine deterministic and comparable to the port."""
    overrides: list[tuple[str, Any]] = []
    for nation in base.nations:
        overrides += [(f"nations.{nation.id}.political_will", 1.0),
                      (f"nations.{nation.id}.interests", 1.0)]
    for exercise in base.exercises:
        overrides.append((f"exercises.{exercise.id}.jitter_days", 0.0))
    for facility in base.facilities:
        overrides.append((f"facilities.{facility.id}.capacity", LARGE_CAPACITY))
    overrides += [
        ("programs", []), ("workshops", []), ("standards", []), ("threats", []),
        ("disruptions.budget_cuts.per_year", 0.0), ("disruptions.instability.per_year", 0.0),
        ("parameters.exercise.min_success", 1.0),
        ("parameters.exercise.full_participation_trust", 0.0),  # joins whatever its trust
    ]
    if no_escalation:
        overrides += [(f"regions.{region.id}.contested", False) for region in base.regions]
    return overrides


def agreement(scenario: Scenario, label: str) -> dict[str, Any]:
    """Our engine's series against the port's at the same sample times."""
    ours = simulator.simulate(scenario, seed=0, trace=True)
    series = ours.series
    theirs = run_port(scenario, seed=0).samples()
    times = series["time_days"].to_numpy()
    same_times = len(times) == len(theirs["time_days"]) and np.allclose(times, theirs["time_days"])
    result: dict[str, Any] = {
        "label": label,
        "samples": int(len(times)),
        "same_sample_times": bool(same_times),
        "exercises_held_ours": int(series["exercises_held"].iloc[-1]),
        "exercises_cancelled_ours": int(series["exercises_cancelled"].iloc[-1]),
        "escalations_ours": int(series["escalations"].iloc[-1]),
    }
    # Did every exercise of ours end exactly on its schedule (no budget, facility or cooldown wait)?
    late = 0
    for exercise in scenario.exercises:
        ends = [event.time for event in ours.output.trace
                if event.kind == "exercise_end" and event.entity == f"exercises.{exercise.id}"]
        due = [exercise.start_day + k * exercise.every_days + exercise.duration_days
               for k in range(len(ends))]
        late += sum(abs(end - when) > 1e-9 for end, when in zip(ends, due))
    result["exercises_off_schedule_ours"] = late
    # Samples taken less than a day after an exercise ended off the daily grid: our engine
    # has applied its learning, the port (which applies it at the next day boundary) not yet.
    scheduled_ends = np.array([
        exercise.start_day + k * exercise.every_days + exercise.duration_days
        for exercise in scenario.exercises
        for k in range(int(scenario.horizon_days // exercise.every_days) + 1)])
    straddled = np.array([bool(np.any((scheduled_ends > t - 1) & (scheduled_ends < t)))
                          for t in times]) if same_times else np.zeros(0, dtype=bool)
    result["samples_less_than_a_day_after_an_off_grid_end"] = int(straddled.sum())
    for name in COMPARED:
        if not same_times:
            result[name] = None
            continue
        ours_values, port_values = series[name].to_numpy(), theirs[name]
        difference = np.abs(ours_values - port_values)
        worst = int(np.argmax(difference))
        elsewhere = difference[~straddled]
        result[name] = {
            "max_abs_diff": float(difference.max()),
            "max_abs_diff_other_samples": float(elsewhere.max()) if elsewhere.size else None,
            "at_day": float(times[worst]),
            "max_rel_diff": float(np.max(difference / np.abs(ours_values))),
            "final_ours": float(ours_values[-1]),
            "final_port": float(port_values[-1]),
        }
    return result


def timed(function: Callable[[], Any]) -> float:
    gc.collect()
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def speed(scenarios: dict[str, Scenario], engine_runs: int, port_runs: int
          ) -> dict[str, dict[str, list[float]]]:
    """Wall seconds per run: our engine (one seed per run) and the ports, interleaved."""
    contenders: dict[str, Callable[[Scenario, int], Any]] = {
        "engine": lambda scenario, k: run_one(scenario, seed=k),
        "mesa_port": lambda scenario, k: run_port(scenario, seed=k),
        "mesa_port_vectorised": lambda scenario, k: run_port(
            scenario, seed=k, model_class=VectorisedMesaExerciseModel),
    }
    runs = {"engine": engine_runs, "mesa_port": port_runs, "mesa_port_vectorised": port_runs}
    times: dict[str, dict[str, list[float]]] = {
        name: {who: [] for who in contenders} for name in scenarios}
    for scenario in scenarios.values():  # warm-up: imports, caches, first allocations
        for run in contenders.values():
            run(scenario, 0)
    for k in range(max(runs.values())):
        for name, scenario in scenarios.items():
            for who, run in contenders.items():
                if k < runs[who]:
                    times[name][who].append(timed(lambda: run(scenario, k)))
    return times


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in ("mesa", "simpy", "numpy", "pandas"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def git_state() -> dict[str, Any]:
    """The commit, and whether the package's sources had uncommitted changes (figures depend
    on them); this report's own key names for `common.checkout()`."""
    state = common.checkout()
    return {"commit": state["git_commit"],
            "simulator_uncommitted_changes": state["simulator_sources_modified"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine-runs", type=int, default=15,
                        help="runs (seeds 0, 1, ...) of our engine per scenario (default 15)")
    parser.add_argument("--port-runs", type=int, default=7,
                        help="runs of each Mesa port per scenario (default 7)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    started = time.perf_counter()

    baseline = simulator.load_scenario(SCENARIO)
    deterministic = simulator.load_scenario(SCENARIO, deterministic_overrides(baseline))
    with_escalation = simulator.load_scenario(
        SCENARIO, deterministic_overrides(baseline, no_escalation=False))
    off_grid = simulator.load_scenario(SCENARIO, deterministic_overrides(baseline) + [
        (f"exercises.{exercise.id}.start_day", exercise.start_day + 0.5)
        for exercise in baseline.exercises])

    print("agreement (deterministic parts, seed 0) ...", flush=True)
    agreements = [
        agreement(deterministic, "deterministic"),
        agreement(with_escalation, "deterministic, escalation left in"),
        agreement(off_grid, "deterministic, exercises start half a day later"),
    ]
    print(f"speed ({args.engine_runs} engine runs, {args.port_runs} runs of each port, "
          "per scenario) ...", flush=True)
    times = speed({"baseline": baseline, "deterministic": deterministic},
                  args.engine_runs, args.port_runs)

    figures: dict[str, Any] = {}
    for name, by_who in times.items():
        medians = {who: statistics.median(values) for who, values in by_who.items()}
        figures[name] = {
            "median_seconds": medians,
            "all_seconds": by_who,
            "ratio_port_over_engine": medians["mesa_port"] / medians["engine"],
            "ratio_vectorised_port_over_engine":
                medians["mesa_port_vectorised"] / medians["engine"],
            "port_microseconds_per_step": medians["mesa_port"] / 7300 * 1e6,
        }
    total = time.perf_counter() - started

    print()
    print("agreement: max |ours - port| over the sampled series")
    print("  (in brackets: the other samples, leaving out those less than a day after an\n"
          "   exercise ended off the daily grid; late: our exercises off their schedule)")
    print(f"  {'configuration':<48} {'interop ally-partner':>21} {'trust ally->partner':>21}"
          f" {'late':>5}")
    for entry in agreements:
        cells = [f"{entry[name]['max_abs_diff']:.1e} "
                 f"({entry[name]['max_abs_diff_other_samples']:.1e})"
                 if entry[name] else "n/a" for name in COMPARED]
        print(f"  {entry['label']:<48} {cells[0]:>21} {cells[1]:>21} "
              f"{entry['exercises_off_schedule_ours']:>5}")
    print()
    print("speed: median wall seconds per 20-year run")
    print("  (ratio: port time / our time; vectorised: the port with whole-matrix daily decay)")
    print(f"  {'scenario':<15} {'our engine':>11} {'Mesa port':>11} {'ratio':>7} "
          f"{'vectorised':>11} {'ratio':>7}")
    for name, entry in figures.items():
        medians = entry["median_seconds"]
        print(f"  {name:<15} {medians['engine']:>10.3f}s {medians['mesa_port']:>10.3f}s "
              f"{entry['ratio_port_over_engine']:>6.1f}x {medians['mesa_port_vectorised']:>10.3f}s "
              f"{entry['ratio_vectorised_port_over_engine']:>6.1f}x")
    met = figures["baseline"]["ratio_port_over_engine"] >= TARGET_RATIO
    print(f"  target: our engine >= {TARGET_RATIO:g}x faster than the Mesa port on the baseline: "
          f"{'met' if met else 'not met'}")
    print(f"\nwhole script: {total:.1f} s")

    report = {
        "benchmark": "mesa",
        "date": common.utc_now(),
        "machine": common.machine(),
        "versions": versions(),
        "git": git_state(),
        "scenario": str(SCENARIO.relative_to(ROOT)),
        "horizon_days": baseline.horizon_days,
        "port_steps": int(round(baseline.horizon_days)),
        "engine_runs": args.engine_runs,
        "port_runs": args.port_runs,
        "deterministic_overrides": [[path, value] for path, value
                                    in deterministic_overrides(baseline)],
        "agreement": agreements,
        "speed": figures,
        "target_ratio": TARGET_RATIO,
        "target_met": figures["baseline"]["ratio_port_over_engine"] >= TARGET_RATIO,
        "script_seconds": total,
    }
    common.save(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
