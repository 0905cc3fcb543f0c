"""Time the engine: its overhead over bare SimPy, and how it scales with the world's size.

1. Engine overhead. `simulator.model.engine.run_one` on `scenarios/baseline.yaml` vs
   `benchmarks/skeleton.py` (the same processes, timeouts, resource requests and
   random draws in bare SimPy, with no model state), in this process, for the
   seeds 0..k-1, interleaved (the order alternates from seed to seed) after one
   warm-up run of each. Reported: the median time of each, the ratio of the
   medians (target <= 3x), and the SimPy events each processes per second. Events
   are counted in separate runs of the same seeds (`skeleton.count_events`, which
   wraps `simpy.Environment.step`), never in the timed ones.
2. Scale. The generated worlds of `benchmarks/worlds.py` (20, 50, 100, 200 and
   500 nations, 30 years, monthly samples), each in a fresh subprocess of this
   script (`--world N`): a pilot run of 3 simulated years predicts the full run;
   if it would take more than `--max-run` seconds (60), the horizon is cut to
   fit and the output says so. Then a few timed replications (seeds 1..r); the
   same with samples only at day 0 and the horizon (the events' cost alone: the
   difference, per sample, is the recorder's cost, which grows with N^2), each
   timed beside the skeleton of the same world and seed; and the counting runs
   of the same seeds. Reported
   per N: events, median time per replication, events per second, the time
   without monthly samples, the recorder's ms per sample, the
   skeleton's time, and the peak memory of the subprocess
   (`resource.getrusage(RUSAGE_SELF).ru_maxrss`: resident set size, so it
   includes the interpreter and the imported libraries; the RSS before the first
   run is given beside it). Then the growth exponent: the least-squares slope of
   log(time) against log(events) over the worlds, the same
   without monthly samples, the same for the skeleton, the slope of the ratio
   (without monthly samples / skeleton, per seed, timed side by side: what the
   model adds to bare SimPy's own growth, with the shared machine's drift
   cancelled; target <= +0.03), the slope between neighbouring sizes, and the
   engine's ratio to the skeleton at 200 nations with monthly samples (target
   <= 2.5x).

Run: .venv/bin/python benchmarks/bench_engine.py          (about a minute and a half)
Options: --seeds 15, --sizes 20 50 100 200 500, --skip baseline|scale,
         --max-run 60, --out PATH.
Writes benchmarks/results/engine.json. Makes no assertions.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(HERE)]

import common  # noqa: E402
import simpy  # noqa: E402
import skeleton  # noqa: E402
import worlds  # noqa: E402

import simulator  # noqa: E402
from simulator.model.engine import run_one  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.yaml"
REPLICATIONS = {20: 7, 50: 5, 100: 5, 200: 3, 500: 3}
PILOT_YEARS = 3.0


WORKER = False
ADDED_EXPONENT = 0.03
"""Target: what the model may add to bare SimPy's own growth exponent."""
RATIO_AT_200 = 2.5
"""Target: the engine over the skeleton in a world of 200 nations."""
"""True in a `--world N` subprocess: progress goes to stderr, the result to stdout."""


def say(message: str) -> None:
    print(message, file=sys.stderr if WORKER else sys.stdout, flush=True)


def timed(function: Any, *args: Any, **kwargs: Any) -> float:
    """Wall time of one call, after collecting the garbage of earlier calls (a run's
    SimPy processes form reference cycles, which would otherwise add up in the
    peak memory of a loop of large runs)."""
    gc.collect()
    started = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - started


def counted(function: Any, *args: Any, **kwargs: Any) -> dict[str, int]:
    gc.collect()  # as in `timed`
    with skeleton.count_events() as counts:
        function(*args, **kwargs)
    return dict(counts)


def median(values: list[float]) -> float:
    return statistics.median(values)


# --- 1. engine overhead on the baseline -----------------------------------------------------


def overhead(seeds: int) -> dict[str, Any]:
    scenario = simulator.load_scenario(BASELINE)
    say(f"baseline: warm-up, then {seeds} seeds interleaved (engine, skeleton) ...")
    run_one(scenario, seed=seeds)
    skeleton.run(scenario, seed=seeds)
    engine_times, skeleton_times = [], []
    for seed in range(seeds):
        if seed % 2 == 0:
            engine_times.append(timed(run_one, scenario, seed=seed))
            skeleton_times.append(timed(skeleton.run, scenario, seed=seed))
        else:
            skeleton_times.append(timed(skeleton.run, scenario, seed=seed))
            engine_times.append(timed(run_one, scenario, seed=seed))
    say("baseline: counting events (separate runs) ...")
    engine_counts = [counted(run_one, scenario, seed=seed) for seed in range(seeds)]
    skeleton_counts = [counted(skeleton.run, scenario, seed=seed) for seed in range(seeds)]
    engine_events = [c["total"] for c in engine_counts]
    skeleton_events = [c["total"] for c in skeleton_counts]

    def by_kind(all_counts: list[dict[str, int]]) -> dict[str, float]:
        kinds = sorted({kind for counts in all_counts for kind in counts} - {"total"})
        return {kind: median([c.get(kind, 0) for c in all_counts]) for kind in kinds}

    engine_median, skeleton_median = median(engine_times), median(skeleton_times)
    result = {
        "scenario": str(BASELINE.relative_to(ROOT)),
        "horizon_years": scenario.horizon_years,
        "seeds": list(range(seeds)),
        "engine_seconds": engine_times,
        "skeleton_seconds": skeleton_times,
        "engine_median_seconds": engine_median,
        "skeleton_median_seconds": skeleton_median,
        "ratio_of_medians": engine_median / skeleton_median,
        "median_of_ratios": median([e / s for e, s in zip(engine_times, skeleton_times)]),
        "target_ratio": 3.0,
        "engine_events": engine_events,
        "skeleton_events": skeleton_events,
        "engine_median_events": median(engine_events),
        "skeleton_median_events": median(skeleton_events),
        "engine_events_by_kind_median": by_kind(engine_counts),
        "skeleton_events_by_kind_median": by_kind(skeleton_counts),
        "engine_events_per_second": median([e / t for e, t in zip(engine_events, engine_times)]),
        "skeleton_events_per_second": median(
            [e / t for e, t in zip(skeleton_events, skeleton_times)]),
    }
    result["engine_microseconds_per_event"] = 1e6 / result["engine_events_per_second"]
    result["skeleton_microseconds_per_event"] = 1e6 / result["skeleton_events_per_second"]
    result["target_met"] = result["ratio_of_medians"] <= 3.0
    return result


# --- 2. scale: one world per subprocess ------------------------------------------------------


def rss_kib() -> int | None:
    """Current resident set size (Linux), in KiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def one_world(n: int, replications: int, max_run: float) -> dict[str, Any]:
    """Measure world n in this (fresh) process; the parent reads the result as JSON."""
    full_years = 30.0
    scenario = simulator.scenario_from_dict(worlds.world(n, horizon_years=full_years))
    rss_before = rss_kib()
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pilot_scenario = simulator.scenario_from_dict(worlds.world(n, horizon_years=PILOT_YEARS))
    pilot = timed(run_one, pilot_scenario, seed=0)
    predicted = pilot * full_years / PILOT_YEARS
    horizon, note = full_years, None
    if predicted > max_run:
        horizon = max(1.0, math.floor(full_years * 0.75 * max_run / predicted))
        note = (f"horizon reduced from {full_years:g} to {horizon:g} years: a {PILOT_YEARS:g}-year "
                f"pilot took {pilot:.2f} s, predicting {predicted:.0f} s for {full_years:g} years "
                f"(limit {max_run:g} s)")
        say(f"  N={n}: {note}")
        scenario = simulator.scenario_from_dict(worlds.world(n, horizon_years=horizon))
    seeds = list(range(1, replications + 1))
    say(f"  N={n}: pilot {pilot:.2f} s ({PILOT_YEARS:g} years); "
        f"{replications} timed replications of {horizon:g} years ...")
    engine_times = []
    for seed in seeds:
        engine_times.append(timed(run_one, scenario, seed=seed))
        say(f"  N={n}: seed {seed}: {engine_times[-1]:.3f} s")
    maxrss_engine = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    unsampled = worlds.world(n, horizon_years=horizon)
    unsampled["sample_every_days"] = 365.0 * horizon  # samples at day 0 and the horizon only
    unsampled_scenario = simulator.scenario_from_dict(unsampled)
    skeleton.run(scenario, seed=0)
    unsampled_times, skeleton_times = [], []
    for seed in seeds:  # interleaved, so that both see the shared machine alike
        unsampled_times.append(timed(run_one, unsampled_scenario, seed=seed))
        skeleton_times.append(timed(skeleton.run, scenario, seed=seed))
    say(f"  N={n}: without monthly samples: {median(unsampled_times):.3f} s per replication; "
        f"skeleton {median(skeleton_times):.3f} s")
    say(f"  N={n}: counting events (separate runs) ...")
    engine_events = [counted(run_one, scenario, seed=seed)["total"] for seed in seeds]
    skeleton_events = [counted(skeleton.run, scenario, seed=seed)["total"] for seed in seeds]
    size = worlds.counts(n)
    samples = math.ceil(horizon * 365 / scenario.sample_every_days - 1e-9) + 1
    return {
        "nations": n,
        "parts": size,
        "horizon_years": horizon,
        "horizon_note": note,
        "samples": samples,
        "pilot_seconds": pilot,
        "seeds": seeds,
        "engine_seconds": engine_times,
        "engine_events": engine_events,
        "engine_median_seconds": median(engine_times),
        "engine_median_events": median(engine_events),
        "engine_events_per_second": median([e / t for e, t in zip(engine_events, engine_times)]),
        "unsampled_seconds": unsampled_times,
        "unsampled_median_seconds": median(unsampled_times),
        "recorder_seconds_per_sample": (median(engine_times) - median(unsampled_times))
        / (samples - 2),
        "skeleton_seconds": skeleton_times,
        "skeleton_events": skeleton_events,
        "skeleton_median_seconds": median(skeleton_times),
        "skeleton_median_events": median(skeleton_events),
        "ratio_engine_to_skeleton": median(engine_times) / median(skeleton_times),
        "memory_measure": "ru_maxrss of the subprocess (peak resident set, KiB on Linux)",
        "rss_before_runs_kib": rss_before,
        "maxrss_before_runs_kib": maxrss_before,
        "maxrss_after_timed_runs_kib": maxrss_engine,
        "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log(y) against log(x)."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return (sum((a - mx) * (b - my) for a, b in zip(lx, ly))
            / sum((a - mx) ** 2 for a in lx))


def scale(sizes: list[int], max_run: float) -> dict[str, Any]:
    rows = []
    for n in sizes:
        say(f"scale: world of {n} nations in a fresh subprocess ...")
        started = time.perf_counter()
        process = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--world", str(n),
             "--replications", str(REPLICATIONS.get(n, 3)), "--max-run", str(max_run)],
            cwd=ROOT, capture_output=True, text=True,
        )
        for line in process.stderr.splitlines():
            print(line, flush=True)
        if process.returncode != 0:
            say(f"scale: N={n} failed (exit {process.returncode}); skipped")
            rows.append({"nations": n, "error": process.stderr[-2000:]})
            continue
        row = json.loads(process.stdout.strip().splitlines()[-1])
        row["subprocess_wall_seconds"] = time.perf_counter() - started
        rows.append(row)
        say(f"scale: N={n}: {row['engine_median_events']:,.0f} events, "
            f"{row['engine_median_seconds']:.3f} s per replication, "
            f"{row['engine_events_per_second']:,.0f} events/s, "
            f"peak RSS {row['maxrss_kib'] / 1024:.1f} MiB")
    good = [row for row in rows if "error" not in row]
    result: dict[str, Any] = {"worlds": rows, "target_added_exponent": ADDED_EXPONENT,
                              "target_ratio_at_200": RATIO_AT_200}
    if len(good) >= 2:
        events = [row["engine_median_events"] for row in good]
        seconds = [row["engine_median_seconds"] for row in good]
        result["exponent_time_vs_events"] = slope(events, seconds)
        result["exponent_unsampled_time_vs_events"] = slope(
            events, [row["unsampled_median_seconds"] for row in good])
        result["exponent_skeleton_time_vs_events"] = slope(
            [row["skeleton_median_events"] for row in good],
            [row["skeleton_median_seconds"] for row in good])
        # the engine's per-event cost against bare SimPy's, timed side by side: what the
        # model adds to the growth, with the machine's own drift cancelled
        result["exponent_unsampled_over_skeleton_vs_events"] = slope(events, [
            median([u / k for u, k in zip(row["unsampled_seconds"], row["skeleton_seconds"])])
            for row in good])
        result["exponent_events_vs_nations"] = slope([row["nations"] for row in good], events)
        result["exponent_time_vs_nations"] = slope([row["nations"] for row in good], seconds)
        result["local_exponents_time_vs_events"] = {
            f"{a['nations']}->{b['nations']}": slope(
                [a["engine_median_events"], b["engine_median_events"]],
                [a["engine_median_seconds"], b["engine_median_seconds"]])
            for a, b in zip(good, good[1:])
        }
        at_200 = [row["ratio_engine_to_skeleton"] for row in good if row["nations"] == 200]
        result["target_met"] = {
            "added_exponent": result["exponent_unsampled_over_skeleton_vs_events"]
            <= ADDED_EXPONENT,
            "ratio_at_200": bool(at_200) and at_200[0] <= RATIO_AT_200}
        result["horizon_reduced"] = [row["nations"] for row in good if row["horizon_note"]]
    return result


# --- report --------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    import numpy

    return {
        **common.machine(),
        "versions": {"simpy": simpy.__version__, "numpy": numpy.__version__,
                     "simulator": simulator.__version__},
        **common.checkout(),
    }


def table(report: dict[str, Any]) -> str:
    lines = []
    base = report.get("baseline")
    if base:
        lines += [
            "",
            f"Engine overhead: {base['scenario']} ({base['horizon_years']:g} years), "
            f"{len(base['seeds'])} seeds, medians",
            f"{'':<10}{'seconds':>10}{'events':>10}{'events/s':>12}{'us/event':>10}",
            f"{'engine':<10}{base['engine_median_seconds']:>10.4f}"
            f"{base['engine_median_events']:>10,.0f}{base['engine_events_per_second']:>12,.0f}"
            f"{base['engine_microseconds_per_event']:>10.1f}",
            f"{'skeleton':<10}{base['skeleton_median_seconds']:>10.4f}"
            f"{base['skeleton_median_events']:>10,.0f}{base['skeleton_events_per_second']:>12,.0f}"
            f"{base['skeleton_microseconds_per_event']:>10.1f}",
            f"ratio engine / skeleton: {base['ratio_of_medians']:.2f}x (median of per-seed "
            f"ratios {base['median_of_ratios']:.2f}x; target <= 3x: "
            f"{'met' if base['target_met'] else 'MISSED'})",
        ]
    sc = report.get("scale")
    if sc:
        lines += [
            "",
            "Scale: generated worlds, medians per replication; memory = ru_maxrss of a fresh "
            "subprocess",
            f"{'N':>5}{'years':>6}{'events':>10}{'s/rep':>9}{'events/s':>10}"
            f"{'no smp s':>10}{'ms/smp':>8}{'skel s':>9}{'x skel':>8}{'RSS0 MiB':>10}"
            f"{'peak MiB':>10}",
        ]
        for row in sc["worlds"]:
            if "error" in row:
                lines.append(f"{row['nations']:>5}  failed")
                continue
            lines.append(
                f"{row['nations']:>5}{row['horizon_years']:>6g}{row['engine_median_events']:>10,.0f}"
                f"{row['engine_median_seconds']:>9.3f}{row['engine_events_per_second']:>10,.0f}"
                f"{row['unsampled_median_seconds']:>10.3f}"
                f"{1000 * row['recorder_seconds_per_sample']:>8.2f}"
                f"{row['skeleton_median_seconds']:>9.3f}{row['ratio_engine_to_skeleton']:>8.1f}"
                f"{(row['rss_before_runs_kib'] or 0) / 1024:>10.1f}"
                f"{row['maxrss_kib'] / 1024:>10.1f}")
        if "exponent_time_vs_events" in sc:
            local = ", ".join(f"{k}: {v:.2f}" for k, v in
                              sc["local_exponents_time_vs_events"].items())
            met = sc["target_met"]
            lines += [
                f"growth exponent, time vs events: {sc['exponent_time_vs_events']:.2f}; "
                f"skeleton {sc['exponent_skeleton_time_vs_events']:.2f}; without monthly "
                f"samples (per-event cost alone) {sc['exponent_unsampled_time_vs_events']:.2f}",
                "growth of (engine without monthly samples / skeleton), timed side by side: "
                f"{sc['exponent_unsampled_over_skeleton_vs_events']:+.2f} (what the model adds "
                f"to bare SimPy's growth; target <= +{ADDED_EXPONENT:g}: "
                f"{'met' if met['added_exponent'] else 'MISSED'})",
                f"engine / skeleton at 200 nations, monthly samples: target <= {RATIO_AT_200:g}x: "
                f"{'met' if met['ratio_at_200'] else 'MISSED'}",
                f"between neighbours: {local}",
                f"events vs nations: {sc['exponent_events_vs_nations']:.2f}; "
                f"time vs nations: {sc['exponent_time_vs_nations']:.2f}",
            ]
            for row in sc["worlds"]:
                if row.get("horizon_note"):
                    lines.append(f"N={row['nations']}: {row['horizon_note']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    global WORKER
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=15)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(worlds.SIZES))
    parser.add_argument("--skip", choices=["baseline", "scale"], action="append", default=[])
    parser.add_argument("--max-run", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "engine.json")
    parser.add_argument("--world", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--replications", type=int, default=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.world:
        WORKER = True
        print(json.dumps(one_world(args.world, args.replications, args.max_run)), flush=True)
        return 0

    started = time.perf_counter()
    report = common.opening("engine", machine())
    info = report["machine"]
    say(common.headline(info, report["load_average_before"]))
    if "baseline" not in args.skip:
        report["baseline"] = overhead(args.seeds)
    report["load_average_between"] = common.load_average()
    if "scale" not in args.skip:
        report["scale"] = scale(args.sizes, args.max_run)
    report["load_average_after"] = common.load_average()
    report["total_seconds"] = time.perf_counter() - started
    print(table(report))
    print(f"\nload average before / between / after: {report['load_average_before']} / "
          f"{report['load_average_between']} / {report['load_average_after']}; "
          f"total {report['total_seconds']:.0f} s")
    common.save(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
