"""Benchmark of the experiment runner: throughput by executor, peak memory by replications.

Run it from anywhere with the project's interpreter:

    .venv/bin/python benchmarks/bench_experiments.py

It prints progress lines and a table, and writes
`benchmarks/results/experiments.json`. It only measures: nothing here is an
assertion, and it exits 0 whenever every measurement could be taken (1 if one
could not; what was measured is still written).

1. Throughput. An experiment of `scenarios/baseline.yaml` with two variants
   (the baseline and one override), `--replications` each (100: 200 runs), is run through
   `simulator.runs.runner.run_experiment` with 1 worker (no pool), 2 workers (local
   process pool) and a Dask `LocalCluster` of 2 single-threaded worker
   processes, each into a fresh directory, `--repeat` times; the best time of
   each is reported. The `summary.csv` files of all of them must be
   byte-identical (determinism across executors); the result is printed.

2. Peak memory. `simulator compare --workers 2 --no-progress` (the real
   command, run in-process by a small wrapper interpreter, one fresh wrapper per
   measurement) on a short-horizon variant of the baseline world, with 100 and
   with 1,000 replications per variant. Reported: the peak RSS of the command's
   own process (`RUSAGE_SELF` of the wrapper), the largest peak RSS of any of
   its worker processes (`RUSAGE_CHILDREN` of the wrapper), and the peak of the
   summed RSS and PSS of the whole process tree, sampled by this script every
   50 ms. Where the command draws figures after the runs, it is measured once
   as a user runs it and once with `--no-plots`, which leaves the runner alone.
   If the 1,000-replication runs would end the script after `--budget`
   seconds, the horizon is halved (and the output says so).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from common import mib, say  # noqa: E402

SCENARIO = ROOT / "scenarios" / "baseline.yaml"
RESULTS = Path(__file__).resolve().parent / "results" / "experiments.json"

SEED = 20260101
THROUGHPUT_OVERRIDE = {"exercises.sea_breeze.every_days": 120}
MEMORY_REPLICATIONS = (100, 1000)
BUDGET_SECONDS = 360.0
"""If the 1,000-replication runs would make the script end later, the horizon is shortened."""

# --- experiments ----------------------------------------------------------------------------


def write_experiment(directory: Path, name: str, replications: int,
                     variants: dict[str, dict[str, Any]]) -> Path:
    """An experiment file on the baseline scenario (by absolute path) in `directory`."""
    return common.write_yaml(directory / f"{name}.yaml", {
        "name": name,
        "description": "written by benchmarks/bench_experiments.py",
        "scenario": str(SCENARIO),
        "replications": replications,
        "seed": SEED,
        "primary_metric": "mean_interop_ally_partner",
        "baseline": "baseline",
        "variants": variants,
    })


def timed_run(plan, out: Path, **executor: Any) -> dict[str, Any]:
    """One `run_experiment` into a fresh directory: wall time, and CPU where it is ours."""
    from simulator.runs.runner import run_experiment

    own0, children0 = common.cpu_seconds()
    started = time.perf_counter()
    run_experiment(plan, out, **executor)
    seconds = time.perf_counter() - started
    own1, children1 = common.cpu_seconds()
    journal = common.read_journal(out)
    failed = sum(1 for entry in journal if entry.get("error"))
    return {"seconds": seconds, "runs": len(journal), "failed_runs": failed,
            "runs_per_second": len(journal) / seconds,
            "parent_cpu_seconds": own1 - own0,
            # pool workers are reaped when the pool closes; Dask workers are not ours
            "worker_cpu_seconds": (children1 - children0) if "scheduler" not in executor else None,
            "mean_run_wall_seconds": sum(e.get("wall_seconds", 0.0) for e in journal)
                                     / max(1, len(journal)),
            "summary_sha256": common.sha256(out / "summary.csv"),
            "comparison_sha256": common.sha256(out / "comparison.csv"),
            # every file a run wrote, by its checksum in the journal
            "run_files_sha256": common.digest(sorted(
                [e["variant"], e["replication"], e.get("files", e.get("sha256"))]
                for e in journal)),
            "load_average_after": common.load_average()}


def throughput(workdir: Path, replications: int, repeat: int, dask: bool) -> dict[str, Any]:
    from simulator.runs.experiment import load_experiment

    path = write_experiment(workdir, "bench_throughput", replications,
                            {"baseline": {}, "more_sea_breeze": THROUGHPUT_OVERRIDE})
    plan = load_experiment(path)
    total = replications * len(plan.scenarios)
    say(f"throughput: {total} runs ({replications} replications x {len(plan.scenarios)} "
        f"variants) of {SCENARIO.name}, {plan.scenarios['baseline'].horizon_years:g} years "
        f"each; best of {repeat}")

    say("warm-up: 2 x 2 runs in this process (imports, caches)")
    warm = write_experiment(workdir, "bench_warmup", 2,
                            {"baseline": {}, "more_sea_breeze": THROUGHPUT_OVERRIDE})
    timed_run(load_experiment(warm), workdir / "warmup", workers=1)

    configurations: list[tuple[str, dict[str, Any]]] = [("1 worker", {"workers": 1}),
                                                        ("2 workers", {"workers": 2})]
    cluster = None
    measured: dict[str, list[dict[str, Any]]] = {}
    try:
        if dask:
            say("starting a Dask LocalCluster: 2 worker processes x 1 thread")
            cluster, cluster_start = common.local_cluster()
            say(f"  cluster up in {cluster_start:.1f} s at {cluster.scheduler_address}")
            configurations.append(("Dask LocalCluster 2x1",
                                   {"scheduler": cluster.scheduler_address}))
        for round_ in range(repeat):
            for label, executor in configurations:
                out = workdir / f"throughput-{label.replace(' ', '_')}-{round_}"
                say(f"  {label}, round {round_ + 1}/{repeat} ...")
                figures = timed_run(plan, out, **executor)
                say(f"    {figures['runs']} runs in {figures['seconds']:.2f} s = "
                    f"{figures['runs_per_second']:.2f} runs/s")
                measured.setdefault(label, []).append(figures)
    finally:
        if cluster is not None:
            cluster.close()

    def best(label: str) -> dict[str, Any]:
        return min(measured[label], key=lambda figures: figures["seconds"])

    one, two = best("1 worker"), best("2 workers")
    every = [figures for runs in measured.values() for figures in runs]
    result: dict[str, Any] = {
        "scenario": str(SCENARIO.relative_to(ROOT)),
        "variants": {"baseline": {}, "more_sea_breeze": THROUGHPUT_OVERRIDE},
        "replications_per_variant": replications,
        "runs": total,
        "repeat": repeat,
        "runs_per_second_1_worker": one["runs_per_second"],
        "runs_per_second_2_workers": two["runs_per_second"],
        "speedup_2_over_1": two["runs_per_second"] / one["runs_per_second"],
        "measurements": measured,
        "summary_csv_identical": len({figures["summary_sha256"] for figures in every}) == 1,
        "comparison_csv_identical": len({figures["comparison_sha256"] for figures in every}) == 1,
        "run_files_identical": len({figures["run_files_sha256"] for figures in every}) == 1,
    }
    if dask:
        dask_best = best("Dask LocalCluster 2x1")
        result |= {"dask_cluster_start_seconds": cluster_start,
                   "runs_per_second_dask_2_workers": dask_best["runs_per_second"],
                   "dask_over_local_pool": dask_best["runs_per_second"]
                                           / two["runs_per_second"]}
    return result


# --- peak memory ----------------------------------------------------------------------------


def measure_compare(experiment: Path, out: Path, extra: list[str]) -> dict[str, Any]:
    """`simulator compare --workers 2 --no-progress [extra]` in a fresh wrapper; its peaks."""
    run = common.run_wrapped(["compare", str(experiment), "--out", str(out),
                              "--workers", "2", "--no-progress", *extra])
    # the phases, from when each run's series file was written: start-up (imports, pool),
    # the runs, and what follows the last run (summary, comparison, figures, printing)
    written = sorted(path.stat().st_mtime for path in (out / "series").rglob("*.parquet"))
    phases = {}
    if len(written) >= 2:
        phases = {"startup_seconds": written[0] - run.began,
                  "runs_seconds": written[-1] - written[0],
                  "seconds_per_run": (written[-1] - written[0]) / (len(written) - 1),
                  "after_last_run_seconds": run.ended - written[-1]}
    return run.figures(phases=phases) | {"load_average_after": common.load_average()}


def compare_options() -> set[str]:
    """The options `simulator compare` has in this checkout."""
    from simulator.cli import build_parser

    parser = build_parser()
    commands = next(action for action in parser._actions
                    if isinstance(action, argparse._SubParsersAction))
    return {option for action in commands.choices["compare"]._actions
            for option in action.option_strings}


MEMORY_KEYS = common.PEAK_KEYS


def predict(measured: dict[str, Any], small: int, large: int) -> float:
    """Seconds the command would take with `large` replications: the runs at the measured
    pace, and what follows them (which may read every run's files back) growing by at most
    as much per run as a run took."""
    phases = measured["phases"]
    if not phases:
        return measured["command_seconds"] * large / small
    per_run = phases["seconds_per_run"]
    return (phases["startup_seconds"] + per_run * 2 * large
            + phases["after_last_run_seconds"] + per_run * 2 * (large - small))


def memory(workdir: Path, horizon: float, replications: tuple[int, int],
           budget_seconds: float) -> dict[str, Any]:
    small, large = replications
    # the command as a user runs it; and, where it draws figures after the runs, without
    # them, which leaves the runner's own memory
    modes: dict[str, list[str]] = {"default": []}
    if "--no-plots" in compare_options():
        modes["--no-plots"] = ["--no-plots"]
    say(f"peak memory: simulator compare --workers 2 --no-progress "
        f"[{' | '.join(' '.join(extra) or '(default)' for extra in modes.values())}], "
        f"{horizon:g}-year horizon, {small} vs {large} replications x 2 variants")
    notes = []
    while True:
        variants = {"baseline": {"horizon_years": horizon},
                    "more_sea_breeze": {"horizon_years": horizon, **THROUGHPUT_OVERRIDE}}
        figures: dict[str, dict[int, dict[str, Any]]] = {mode: {} for mode in modes}
        for count in (small, large):
            if count == large:
                predicted = sum(predict(figures[mode][small], small, large) for mode in modes)
                finish = common.elapsed() + predicted
                if finish > budget_seconds and horizon > 0.5:
                    shorter = horizon / 2
                    note = (f"{large} replications at {horizon:g} years predicted to take up to "
                            f"{predicted:.0f} s (script would end after {finish:.0f} s > "
                            f"{budget_seconds:.0f} s): horizon reduced to {shorter:g} years, "
                            f"{small} replications measured again")
                    say("  " + note)
                    notes.append(note)
                    horizon = shorter
                    break
                say(f"  {large} replications: at most about {predicted:.0f} s predicted")
            tag = f"{horizon:g}y".replace(".", "p")
            path = write_experiment(workdir, f"bench_memory_{count}_{tag}", count, variants)
            for mode, extra in modes.items():
                say(f"  {count} replications per variant ({2 * count} runs), {mode} ...")
                out = workdir / f"memory-{count}-{tag}-{mode.strip('-')}"
                got = figures[mode][count] = measure_compare(path, out, extra)
                say(f"    {got['command_seconds']:.1f} s; parent "
                    f"{mib(got['parent_peak_rss_bytes'])}, largest worker "
                    f"{mib(got['largest_worker_peak_rss_bytes'])}, tree RSS sum "
                    f"{mib(got['tree_peak_rss_sum_bytes'])}, tree PSS sum "
                    f"{mib(got['tree_peak_pss_sum_bytes'])}")
        else:
            break

    def ratios(mode: str) -> dict[str, float | None]:
        return {key: common.ratio(figures[mode][small][key], figures[mode][large][key])
                for _, key in MEMORY_KEYS}

    return {"scenario": str(SCENARIO.relative_to(ROOT)), "horizon_years": horizon,
            "workers": 2, "variants": 2, "notes": notes,
            "replications_per_variant": {"small": small, "large": large},
            "modes": {mode: {"extra_options": extra,
                             "measurements": {str(k): v for k, v in figures[mode].items()},
                             "ratios_large_over_small": ratios(mode)}
                      for mode, extra in modes.items()},
            "target_ratio": 1.2}


# --- report ---------------------------------------------------------------------------------


def table(report: dict[str, Any]) -> str:
    rows: list[tuple[str, str]] = []
    t = report.get("throughput")
    if t:
        rows += [
            (f"throughput: {t['runs']} runs of {t['scenario']} (best of {t['repeat']})", ""),
            ("  1 worker (in process)", f"{t['runs_per_second_1_worker']:.2f} runs/s"),
            ("  2 workers (local pool)", f"{t['runs_per_second_2_workers']:.2f} runs/s"),
            ("  speed-up 2 over 1", f"{t['speedup_2_over_1']:.2f}x"),
        ]
        if "runs_per_second_dask_2_workers" in t:
            rows += [("  Dask LocalCluster 2x1", f"{t['runs_per_second_dask_2_workers']:.2f} "
                                                 "runs/s"),
                     ("  Dask / local pool", f"{t['dask_over_local_pool']:.2f}x")]
        rows += [("  summary.csv byte-identical across executors",
                  "yes" if t["summary_csv_identical"] else "NO"),
                 ("  comparison.csv and every run's files identical too",
                  "yes" if t["comparison_csv_identical"] and t["run_files_identical"]
                  else "NO")]
    m = report.get("memory")
    if m:
        small, large = (m["replications_per_variant"][k] for k in ("small", "large"))
        for mode, found in m["modes"].items():
            a, b = (found["measurements"][str(k)] for k in (small, large))
            options = " ".join(["--workers 2 --no-progress", *found["extra_options"]])
            rows.append((f"peak memory: simulator compare {options}, "
                         f"{m['horizon_years']:g}-year horizon",
                         f"{small} reps | {large} reps | ratio"))
            for label, key in MEMORY_KEYS:
                r = found["ratios_large_over_small"][key]
                rows.append((f"  {label}", f"{mib(a[key])} | {mib(b[key])} | "
                                           + ("n/a" if r is None else f"{r:.2f}")))
            rows.append(("  time of the command", f"{a['command_seconds']:.1f} s | "
                                                  f"{b['command_seconds']:.1f} s |"))
        rows.append(("  target ratio", f"<= {m['target_ratio']}"))
    rows.append(("total time of this script", f"{report['total_seconds']:.0f} s"))
    lines = common.aligned(rows)
    lines += [f"note: {note}" for note in (m or {}).get("notes", [])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replications", type=int, default=100,
                        help="throughput: replications per variant (default 100: the "
                             "issue's 200 runs; each experiment's fixed cost, about "
                             "0.15 s, is then a small share)")
    parser.add_argument("--repeat", type=int, default=2,
                        help="throughput: rounds per executor, best reported (default 2)")
    parser.add_argument("--horizon", type=float, default=2.0,
                        help="peak memory: horizon in years (default 2; halved if too slow)")
    parser.add_argument("--memory-replications", type=int, nargs=2, metavar=("FEW", "MANY"),
                        default=list(MEMORY_REPLICATIONS),
                        help="peak memory: the two replication counts per variant "
                             "(default 100 1000)")
    parser.add_argument("--budget", type=float, default=BUDGET_SECONDS,
                        help="seconds the whole script should take at most; the memory runs' "
                             f"horizon is halved to stay within it (default {BUDGET_SECONDS:g})")
    common.runner_options(parser, ["throughput", "memory"], RESULTS)
    arguments = parser.parse_args(argv)

    report = common.opening("experiments", common.simulator_machine())
    say(common.headline(report["machine"], report["load_average_before"], commit=False))
    with tempfile.TemporaryDirectory(prefix="bench-experiments-") as temporary:
        workdir = Path(temporary)
        status = common.measure_parts(report, [
            ("throughput", lambda: throughput(workdir, arguments.replications,
                                              arguments.repeat, not arguments.no_dask)),
            ("memory", lambda: memory(workdir, arguments.horizon,
                                      tuple(arguments.memory_replications),
                                      arguments.budget))], arguments.skip)
    common.conclude(report)
    common.write_json(arguments.out, report)
    print()
    print(table(report))
    print(f"\nwritten to {arguments.out}")
    return status


if __name__ == "__main__":
    sys.exit(main())
