"""Benchmark of the exploration runner: throughput by executor, the parent's share, the
analysis step, files written, and peak memory by number of futures.

Run it from anywhere with the project's interpreter:

    .venv/bin/python benchmarks/bench_explore.py

It prints progress lines and a table, and writes `benchmarks/results/explore.json`. It
only measures: nothing here is an assertion, and it exits 0 whenever every measurement
could be taken (1 if one could not; what was measured is still written).

Every exploration is written by this script into a temporary directory, over a copy of
`scenarios/baseline.yaml` with a shorter `horizon_years` (an exploration's `scenario` is a
file), with two policies (`baseline`, and `more_exercises`: every exercise series a third
more often) and the uncertainties `threats.*.per_year` (x 0.5-2),
`nations.*.political_will` (x 0.7-1.1, clipped to [0, 1]) and
`parameters.half_life_days.trust_evidence` (365-2190 days).

1. Throughput. A Sobol' design of 80 futures x 2 policies x 2 replications (320 runs, 5
   years each) is run with `simulator.runs.explorer.explore(path, out, workers=1)` (in
   this process), `workers=2` (local process pool) and `scheduler=` the address of a Dask
   `LocalCluster(n_workers=2, threads_per_worker=1, processes=True)`, each into a fresh
   directory, interleaved, `--repeat` times after a 20-run warm-up in this process (and
   on each cluster); best reported, every figure in the JSON. The cluster is started for
   its own measurement and closed after it: its scheduler runs in this process and costs
   it CPU even when idle (about 25 ms a second), which would count as the pool's.
   Two rates: end to end (the whole call: loading, runs, analysis) and of the runs alone
   (from the first to the last progress report, which the parent makes as it files each
   task). `outcomes.parquet` of every one must be byte-identical, and so must every task's
   files (by the checksums in `runs.jsonl`); the result is printed. Each measurement also
   records the workers' CPU (RUSAGE_CHILDREN for the pool, psutil for the cluster's live
   processes) and the cores the machine's other processes used meanwhile (all the CPU
   time psutil counts on the machine, less ours), since the machine is shared.

2. The parent's share. `getrusage(RUSAGE_SELF)` of this process at the first and last
   progress reports of the 2-worker runs (there the parent only receives, writes and
   journals each task's files), divided by the runs: P ms of parent CPU per run. With a
   run costing R ms of a worker's CPU, about R / P workers can be kept busy by one
   parent (both from the 2-worker round whose runs went fastest). Apart from that, the
   analysis step (`simulator.runs.analyse.analyse`, wrapped for the timing: wall and CPU
   time of that call alone, not the whole minus the runs) of every exploration; and,
   since its cost depends on the design, that of a Latin hypercube of the same size
   (read with Borgonovo's delta: kernel densities, whose evaluation calls a BLAS
   triangular solve thousands of times) run once with 2 workers; then both designs'
   analyses again in fresh interpreters (resuming the finished exploration, which then
   only analyses), with the BLAS library's default threads and with
   `OPENBLAS_NUM_THREADS=1`, on the machine as it is and with one core kept busy by a
   spinning process. The Latin hypercube is also run once by the command, `simulator
   explore FILE --out DIR --workers 2 --no-progress --no-plots` in a fresh wrapper
   interpreter, into a fresh directory (the machine as it is): its wall time, and its
   runs and what follows the last task (reading the runs back, the analysis, the
   manifest) from the task files' times, with the command's own one-thread BLAS default
   as users get it. Every command is started with the environment this script found
   (see `ENVIRONMENT`).

3. Files. The files under each results directory (none of `plots/`: `explore` draws
   none), per 1,000 runs: task files of runs (`runs/`) and of the series kept
   (`series/`), and the rest (manifest, journal, futures, outcomes, the analyses).

4. Peak memory. `simulator explore FILE --out DIR --workers 2 --no-progress --no-plots`
   (the real command, run in-process by a fresh wrapper interpreter) on Sobol' designs of
   256 and 2,048 futures x 2 policies x 1 replication (512 and 4,096 runs) of 1 year. A
   Sobol' design has N x (uncertainties + 2) futures, so these use six uncertainties:
   the three above and `nations.*.absorptive_capacity` (x 0.6-1.2),
   `parameters.program.influence_tolerance` (1-5, log-uniform) and
   `parameters.half_life_days.proficiency` (365-1460 days), as
   `configs/explore_outreach.yaml` has. Reported: the command's own peak RSS
   (`RUSAGE_SELF` of the wrapper), the largest peak RSS of a worker (`RUSAGE_CHILDREN`),
   the peak of the summed RSS and PSS of the process tree sampled every 50 ms (psutil),
   and from the same samples the parent's peak RSS while runs were filed and after the
   last task's file was written (the analysis), with the ratios 2,048 / 256.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from common import cpu_seconds, mib, say  # noqa: E402

SCENARIO = ROOT / "scenarios" / "baseline.yaml"
RESULTS = Path(__file__).resolve().parent / "results" / "explore.json"
ENVIRONMENT = dict(os.environ)
"""The environment as this script found it, for every command it starts: a Dask
`LocalCluster` sets OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS to 1 and
MALLOC_TRIM_THRESHOLD_ to 65536 in its creator's `os.environ` (for its workers) and
leaves them there, which would change the BLAS threads and the allocator of every
command started after it."""

SEED = 20260101
UNCERTAINTIES: dict[str, dict[str, Any]] = {
    "threats.*.per_year": {"scale": [0.5, 2.0]},
    "nations.*.political_will": {"scale": [0.7, 1.1], "clip": [0, 1]},
    "parameters.half_life_days.trust_evidence": {"range": [365, 2190]},
}
MORE_UNCERTAINTIES: dict[str, dict[str, Any]] = {
    "nations.*.absorptive_capacity": {"scale": [0.6, 1.2], "clip": [0, 1]},
    "parameters.program.influence_tolerance": {"range": [1, 5],
                                               "distribution": "log-uniform"},
    "parameters.half_life_days.proficiency": {"range": [365, 1460]},
}
"""Added for the memory runs: a Sobol' design of 256 or 2,048 futures needs 2 or 6."""
POLICIES: dict[str, dict[str, Any]] = {
    "baseline": {"description": "the scenario as it is"},
    "more_exercises": {"description": "every exercise series a third more often",
                       "scale": {"exercises.*.every_days": 0.67}},
}
OUTCOMES = ["mean_interop_ally_partner", "crisis_success_rate", "budget_spent"]
SATISFICING = {"mean_interop_ally_partner": {"min": 0.17}, "crisis_success_rate": {"min": 0.5}}
MEMORY_FUTURES = (256, 2048)

# Run by a fresh interpreter to time the analysis of a finished exploration: `explore` on
# its own directory resumes with nothing left to run, so it reads the runs and analyses.
REANALYSE = """\
import json, resource, sys, time
import simulator.runs.analyse as analyse_module
from simulator.runs.explorer import explore
original, timed = analyse_module.analyse, {}
def analyse(*arguments, **options):
    cpu, started = time.process_time(), time.perf_counter()
    try:
        return original(*arguments, **options)
    finally:
        timed.update(seconds=time.perf_counter() - started, cpu_seconds=time.process_time() - cpu)
analyse_module.analyse = analyse
started = time.perf_counter()
explore(sys.argv[1], sys.argv[2], workers=1)
print("BENCH_ANALYSIS " + json.dumps({"explore_seconds": time.perf_counter() - started,
                                      **timed}), flush=True)
"""

# --- explorations ---------------------------------------------------------------------------


def write_scenario(directory: Path, horizon: float) -> Path:
    """A copy of the baseline scenario with `horizon_years: horizon`."""
    import yaml

    data = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    return common.write_yaml(directory / f"baseline_{horizon:g}y.yaml",
                             data | {"horizon_years": horizon})


def write_exploration(directory: Path, name: str, horizon: float, sampler: str,
                      futures: int, replications: int,
                      uncertainties: dict[str, dict[str, Any]]) -> Path:
    """An exploration file in `directory`, on a copy of the baseline of `horizon` years."""
    scenario = write_scenario(directory, horizon)
    return common.write_yaml(directory / f"{name}.yaml", {
        "name": name,
        "description": "written by benchmarks/bench_explore.py",
        "scenario": scenario.name,
        "seed": SEED,
        "uncertainties": uncertainties,
        "policies": POLICIES,
        "sampler": sampler,
        "futures": futures,
        "replications": replications,
        "outcomes": OUTCOMES,
        "satisficing": SATISFICING,
    })


def files_written(out: Path, runs: int) -> dict[str, Any]:
    """The files under a results directory (not `plots/`), in all and per 1,000 runs."""
    files = [path for path in out.rglob("*") if path.is_file()
             and path.relative_to(out).parts[0] != "plots"]
    by_part = {"runs": 0, "series": 0, "other": 0}
    for path in files:
        part = path.relative_to(out).parts[0]
        by_part[part if part in by_part and len(path.relative_to(out).parts) > 1
                else "other"] += 1
    return {"files": len(files), **{f"{part}_files": count for part, count in by_part.items()},
            "bytes": sum(path.stat().st_size for path in files),
            "files_per_1000_runs": 1000 * len(files) / max(1, runs)}


def descendants_cpu() -> dict[int, float]:
    """CPU seconds so far of every live descendant of this process (a Dask cluster's nannies
    and workers; a local pool's workers are counted by RUSAGE_CHILDREN once reaped)."""
    import psutil

    found = {}
    for process in psutil.Process().children(recursive=True):
        try:
            times = process.cpu_times()
            found[process.pid] = times.user + times.system
        except psutil.Error:
            pass
    return found


def machine_busy_seconds() -> float:
    """CPU seconds every process of the machine has used so far (all cores)."""
    import psutil

    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def timed_explore(path: Path, out: Path, **executor: Any) -> dict[str, Any]:
    """One `explore` into a fresh directory: wall time, the runs' phase from the progress
    reports, the analysis step (the call to `analyse` itself), CPU of the parent and of
    the workers, and the cores other processes of the machine used meanwhile."""
    import simulator.runs.analyse as analyse_module
    from simulator.runs.explorer import explore

    reports: list[tuple[float, float, int]] = []

    def progress(done: int, total: int, failed: int) -> None:
        reports.append((time.perf_counter(), cpu_seconds()[0], done))

    analysis: dict[str, float] = {}
    original = analyse_module.analyse

    def analyse(*arguments: Any, **options: Any) -> Any:
        own, started = cpu_seconds()[0], time.perf_counter()
        try:
            return original(*arguments, **options)
        finally:
            analysis.update(seconds=time.perf_counter() - started,
                            cpu_seconds=cpu_seconds()[0] - own)

    live0, busy0 = descendants_cpu(), machine_busy_seconds()
    own0, children0 = cpu_seconds()
    started = time.perf_counter()
    analyse_module.analyse = analyse  # `explore` imports it when it gets there
    try:
        explore(path, out, progress=progress, **executor)
    finally:
        analyse_module.analyse = original
    seconds = time.perf_counter() - started
    own1, children1 = cpu_seconds()
    live1, busy1 = descendants_cpu(), machine_busy_seconds()
    workers_cpu = (children1 - children0) + sum(live1[pid] - live0[pid]
                                                for pid in live1.keys() & live0.keys())
    ours = (own1 - own0) + workers_cpu
    journal = common.read_journal(out)
    runs = sum(entry["runs"] for entry in journal)
    failed = sum(len(entry["failed"]) for entry in journal)
    (first, first_cpu, _), (last, last_cpu, _) = reports[0], reports[-1]
    runs_seconds = last - first
    task_seconds = sum(entry["wall_seconds"] for entry in journal)
    return {"seconds": seconds, "runs": runs, "failed_runs": failed, "tasks": len(journal),
            "runs_per_second": runs / seconds,
            "startup_seconds": first - started,
            "runs_seconds": runs_seconds,
            "runs_per_second_runs_phase": runs / runs_seconds if runs_seconds > 0 else None,
            "after_runs_seconds": started + seconds - last,
            "analyse_seconds": analysis.get("seconds"),
            "analyse_cpu_seconds": analysis.get("cpu_seconds"),
            "parent_cpu_seconds": own1 - own0,
            "parent_cpu_seconds_runs_phase": last_cpu - first_cpu,
            "parent_cpu_ms_per_run_runs_phase": 1000 * (last_cpu - first_cpu) / max(1, runs),
            "parent_cpu_ms_per_run_whole_call": 1000 * (own1 - own0) / max(1, runs),
            # a pool's workers are reaped when it closes; a Dask cluster's are measured live
            "worker_cpu_seconds": workers_cpu,
            "worker_cpu_ms_per_run": 1000 * workers_cpu / max(1, runs),
            "other_processes_cores": max(0.0, (busy1 - busy0) - ours) / seconds,
            "mean_run_wall_seconds": task_seconds / max(1, runs),
            "outcomes_sha256": common.sha256(out / "outcomes.parquet"),
            # every file a task wrote, by its checksum in the journal
            "task_files_sha256": common.digest(sorted(
                [entry["task"], entry["files"]] for entry in journal)),
            "written": files_written(out, runs),
            "load_average_after": common.load_average()}


def describe(path: Path) -> dict[str, Any]:
    """What an exploration file asks for: its design and size."""
    from simulator.runs.exploration import load_exploration

    plan = load_exploration(path)
    exploration = plan.exploration
    return {"sampler": exploration.sampler, "futures": len(plan.design),
            "policies": list(plan.policies), "replications": exploration.replications,
            "uncertainties": {name: u.model_dump(mode="json", exclude_defaults=True)
                              for name, u in exploration.uncertainties.items()},
            "horizon_years": plan.base["horizon_years"],
            "runs": len(plan.design) * len(plan.policies) * exploration.replications}


def throughput(workdir: Path, futures: int, replications: int, horizon: float, repeat: int,
               dask: bool) -> dict[str, Any]:
    path = write_exploration(workdir, "bench_throughput", horizon, "sobol", futures,
                             replications, UNCERTAINTIES)
    design = describe(path)
    say(f"throughput: {design['runs']} runs (Sobol' design, {futures} futures x 2 policies x "
        f"{replications} replications) of {SCENARIO.name} at {horizon:g} years; "
        f"best of {repeat}")

    say("warm-up: 20 runs in this process (imports, caches)")
    warm = write_exploration(workdir, "bench_warmup", 1, "sobol", 10, 1, UNCERTAINTIES)
    timed_explore(warm, workdir / "warmup", workers=1)

    measured: dict[str, list[dict[str, Any]]] = {}
    cluster_starts: list[float] = []

    def measure(label: str, round_: int, **executor: Any) -> None:
        out = workdir / f"throughput-{label.replace(' ', '_')}-{round_}"
        say(f"  {label}, round {round_ + 1}/{repeat} ...")
        figures = timed_explore(path, out, **executor)
        say(f"    {figures['runs']} runs in {figures['seconds']:.2f} s = "
            f"{figures['runs_per_second']:.1f} runs/s end to end; runs phase "
            f"{figures['runs_seconds']:.2f} s = {figures['runs_per_second_runs_phase']:.1f} "
            f"runs/s; analyse {figures['analyse_seconds']:.2f} s; CPU per run: parent "
            f"{figures['parent_cpu_ms_per_run_runs_phase']:.2f} ms (runs phase), workers "
            f"{figures['worker_cpu_ms_per_run']:.1f} ms; other processes "
            f"{figures['other_processes_cores']:.2f} cores")
        measured.setdefault(label, []).append(figures)

    for round_ in range(repeat):
        measure("1 worker", round_, workers=1)
        measure("2 workers", round_, workers=2)
        if not dask:
            continue
        # the cluster lives only for its own measurement: its scheduler runs in this
        # process and costs it CPU even when idle, which would count as the pool's
        cluster, cluster_start = common.local_cluster()
        try:
            cluster_starts.append(cluster_start)
            say(f"  Dask LocalCluster (2 worker processes x 1 thread) up in "
                f"{cluster_starts[-1]:.1f} s; warm-up: the 20 runs on it")
            timed_explore(warm, workdir / f"warmup-dask-{round_}",
                          scheduler=cluster.scheduler_address)
            measure("Dask LocalCluster 2x1", round_, scheduler=cluster.scheduler_address)
        finally:
            cluster.close()

    def best(label: str, key: str = "seconds") -> dict[str, Any]:
        return min(measured[label], key=lambda figures: figures[key])

    one, two = best("1 worker"), best("2 workers")
    one_runs, two_runs = best("1 worker", "runs_seconds"), best("2 workers", "runs_seconds")
    every = [figures for runs in measured.values() for figures in runs]
    result: dict[str, Any] = {
        "scenario": str(SCENARIO.relative_to(ROOT)), "design": design, "repeat": repeat,
        "runs": design["runs"],
        "runs_per_second_1_worker": one["runs_per_second"],
        "runs_per_second_2_workers": two["runs_per_second"],
        "speedup_2_over_1": two["runs_per_second"] / one["runs_per_second"],
        "runs_phase_runs_per_second_1_worker": one_runs["runs_per_second_runs_phase"],
        "runs_phase_runs_per_second_2_workers": two_runs["runs_per_second_runs_phase"],
        "runs_phase_speedup_2_over_1": two_runs["runs_per_second_runs_phase"]
                                       / one_runs["runs_per_second_runs_phase"],
        "measurements": measured,
        "outcomes_parquet_identical": len({f["outcomes_sha256"] for f in every}) == 1,
        "task_files_identical": len({f["task_files_sha256"] for f in every}) == 1,
        "written": two["written"],
    }
    if dask:
        dask_best = best("Dask LocalCluster 2x1")
        dask_runs = best("Dask LocalCluster 2x1", "runs_seconds")
        result |= {"dask_cluster_start_seconds": cluster_starts,
                   "runs_per_second_dask_2_workers": dask_best["runs_per_second"],
                   "dask_over_local_pool": dask_best["runs_per_second"]
                                           / two["runs_per_second"],
                   "runs_phase_runs_per_second_dask_2_workers":
                       dask_runs["runs_per_second_runs_phase"],
                   "runs_phase_dask_over_local_pool": dask_runs["runs_per_second_runs_phase"]
                                                      / two_runs["runs_per_second_runs_phase"]}
    # the parent's share with 2 workers, in the round whose runs went fastest
    parent_ms = two_runs["parent_cpu_ms_per_run_runs_phase"]
    run_ms = two_runs["worker_cpu_ms_per_run"]
    result["parent"] = {
        "cpu_ms_per_run_2_workers_runs_phase": parent_ms,
        "cpu_ms_per_run_2_workers_runs_phase_every_round": [
            f["parent_cpu_ms_per_run_runs_phase"] for f in measured["2 workers"]],
        "cpu_ms_per_run_2_workers_whole_call": two_runs["parent_cpu_ms_per_run_whole_call"],
        "worker_cpu_ms_per_run": run_ms,
        "workers_one_parent_keeps_busy": run_ms / parent_ms if parent_ms else None,
        "how": "getrusage(RUSAGE_SELF) of this process at the first and last progress "
               "report of explore(workers=2) (the parent receives, writes and journals "
               "each task), over the runs; a run's cost is the workers' CPU over the runs "
               "(RUSAGE_CHILDREN: the pool's workers); both from the round whose runs "
               "phase was fastest",
    }
    if dask:
        result["parent"]["cpu_ms_per_run_dask_runs_phase"] = dask_runs[
            "parent_cpu_ms_per_run_runs_phase"]
        result["parent"]["dask_worker_cpu_ms_per_run"] = dask_runs["worker_cpu_ms_per_run"]
    result["analysis_seconds"] = {label: sorted(f["analyse_seconds"] for f in runs)
                                  for label, runs in measured.items()}
    result["out_2_workers"] = str(workdir / "throughput-2_workers-0")
    result["path"] = str(path)
    result["other_processes_cores"] = {label: [f["other_processes_cores"] for f in runs]
                                       for label, runs in measured.items()}
    return result


def reanalyse(path: Path, out: Path, threads: str | None) -> dict[str, Any]:
    """The analysis of a finished exploration, in a fresh interpreter with the environment
    this script was started with (BLAS threads as the library chooses, unless that says
    otherwise), or with `OPENBLAS_NUM_THREADS=threads` added."""
    environment = dict(ENVIRONMENT)
    if threads is not None:
        environment["OPENBLAS_NUM_THREADS"] = threads
    process = subprocess.run([sys.executable, "-c", REANALYSE, str(path), str(out)],
                             capture_output=True, text=True, cwd=ROOT, env=environment)
    lines = [line for line in process.stdout.splitlines() if line.startswith("BENCH_ANALYSIS ")]
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"re-analysis failed (exit {process.returncode}):\n"
                           f"{process.stdout[-2000:]}\n{process.stderr[-2000:]}")
    return json.loads(lines[-1].removeprefix("BENCH_ANALYSIS "))


def analysis(workdir: Path, futures: int, replications: int, horizon: float,
             sobol: dict[str, Any] | None) -> dict[str, Any]:
    """The analysis step by design (Sobol' vs Latin hypercube) and by BLAS threads."""
    lhs = write_exploration(workdir, "bench_analysis_lhs", horizon, "lhs", futures,
                            replications, UNCERTAINTIES)
    say(f"analysis: a Latin hypercube of {futures} futures x 2 policies x {replications} "
        f"replications ({horizon:g} years), 2 workers, then each design's analysis again "
        "in fresh interpreters")
    out = workdir / "analysis-lhs"
    figures = timed_explore(lhs, out, workers=2)
    say(f"  lhs: {figures['runs']} runs in {figures['runs_seconds']:.2f} s; analyse "
        f"{figures['analyse_seconds']:.2f} s (CPU {figures['analyse_cpu_seconds']:.2f} s)")
    # the same exploration through the command, as users get it: a fresh interpreter whose
    # `main()` sets one BLAS thread unless the environment says otherwise
    command = measure_explore(lhs, workdir / "analysis-lhs-command")
    command["outcomes_identical_to_api_run"] = (
        common.sha256(workdir / "analysis-lhs-command" / "outcomes.parquet")
        == figures["outcomes_sha256"])
    say(f"  lhs, simulator explore --workers 2 (fresh interpreter): "
        f"{command['wall_seconds']:.2f} s wall (runs "
        f"{command['phases'].get('runs_seconds', 0):.2f} s, after the last task "
        f"{command['phases'].get('after_last_task_seconds', 0):.2f} s); outcomes.parquet "
        f"{'identical to' if command['outcomes_identical_to_api_run'] else 'DIFFERS from'}"
        " the API run's")
    designs = {"lhs": (lhs, out)}
    if sobol is not None:
        designs["sobol"] = (Path(sobol["path"]), Path(sobol["out_2_workers"]))
    again: dict[str, dict[str, dict[str, Any]]] = {}
    for condition in ("as it is", "one core busy"):
        spinner = None
        if condition == "one core busy":  # as on a shared machine, or beside another job
            spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"],
                                       env=ENVIRONMENT)
        try:
            for sampler, (path, directory) in designs.items():
                for label, threads in (("default BLAS threads", None),
                                       ("OPENBLAS_NUM_THREADS=1", "1")):
                    found = again.setdefault(condition, {}).setdefault(sampler, {})[label] = \
                        reanalyse(path, directory, threads)
                    say(f"  {sampler}, fresh interpreter, machine {condition}, {label}: "
                        f"analyse {found['seconds']:.2f} s (CPU {found['cpu_seconds']:.2f} s)")
        finally:
            if spinner is not None:
                spinner.kill()
                spinner.wait()
    return {"design": describe(lhs), "lhs_run": figures, "lhs_command": command,
            "fresh_interpreter": again}


# --- peak memory ----------------------------------------------------------------------------


def measure_explore(exploration: Path, out: Path) -> dict[str, Any]:
    """`simulator explore --workers 2 --no-progress --no-plots` in a fresh wrapper."""
    run = common.run_wrapped(["explore", str(exploration), "--out", str(out), "--workers", "2",
                              "--no-progress", "--no-plots"], env=ENVIRONMENT)
    # the phases, from when each task's file of runs was written: start-up (imports,
    # design, pool), the runs, and what follows the last task (reading the runs back,
    # the analysis, the manifest, the summary printed)
    written = sorted(path.stat().st_mtime for path in (out / "runs").glob("*.parquet"))
    phases: dict[str, float] = {}
    during = after = None
    if written:
        phases = {"startup_seconds": written[0] - run.began,
                  "runs_seconds": written[-1] - written[0],
                  "after_last_task_seconds": run.ended - written[-1]}
        own = run.sampler.own
        during = max((rss for when, rss in own if when <= written[-1]), default=None)
        after = max((rss for when, rss in own if when > written[-1]), default=None)
    journal = common.read_journal(out)
    runs = sum(entry["runs"] for entry in journal)
    return run.figures(phases=phases, runs=runs, tasks=len(journal)) | {
        "parent_sampled_peak_rss_runs_phase_bytes": during,
        "parent_sampled_peak_rss_after_runs_bytes": after,
        "written": files_written(out, runs),
        "load_average_after": common.load_average()}


MEMORY_KEYS = (common.PEAK_KEYS[0],
               ("  parent while runs are filed (sampled)",
                "parent_sampled_peak_rss_runs_phase_bytes"),
               ("  parent after the last task: analysis (sampled)",
                "parent_sampled_peak_rss_after_runs_bytes"),
               *common.PEAK_KEYS[1:])


def memory(workdir: Path, horizon: float, futures: tuple[int, int]) -> dict[str, Any]:
    small, large = futures
    uncertainties = UNCERTAINTIES | MORE_UNCERTAINTIES
    say(f"peak memory: simulator explore --workers 2 --no-progress --no-plots, Sobol' "
        f"designs of {small} and {large} futures x 2 policies x 1 replication, "
        f"{len(uncertainties)} uncertainties, {horizon:g}-year horizon")
    figures: dict[int, dict[str, Any]] = {}
    designs = {}
    for count in (small, large):
        path = write_exploration(workdir, f"bench_memory_{count}", horizon, "sobol", count, 1,
                                 uncertainties)
        designs[count] = describe(path)
        say(f"  {count} futures ({designs[count]['runs']} runs) ...")
        got = figures[count] = measure_explore(path, workdir / f"memory-{count}")
        say(f"    {got['command_seconds']:.1f} s (runs {got['phases'].get('runs_seconds', 0):.1f}"
            f" s, after the last task {got['phases'].get('after_last_task_seconds', 0):.1f} s);"
            f" parent {mib(got['parent_peak_rss_bytes'])} (runs phase "
            f"{mib(got['parent_sampled_peak_rss_runs_phase_bytes'])}, after "
            f"{mib(got['parent_sampled_peak_rss_after_runs_bytes'])}), largest worker "
            f"{mib(got['largest_worker_peak_rss_bytes'])}, tree RSS sum "
            f"{mib(got['tree_peak_rss_sum_bytes'])}, tree PSS sum "
            f"{mib(got['tree_peak_pss_sum_bytes'])}; {got['written']['files']} files")
    return {"scenario": str(SCENARIO.relative_to(ROOT)), "horizon_years": horizon,
            "workers": 2, "designs": {str(k): v for k, v in designs.items()},
            "futures": {"small": small, "large": large},
            "measurements": {str(k): v for k, v in figures.items()},
            "ratios_large_over_small": {key: common.ratio(figures[small][key], figures[large][key])
                                        for _, key in MEMORY_KEYS},
            "target_ratio": 1.2}


# --- report ---------------------------------------------------------------------------------


def table(report: dict[str, Any]) -> str:
    rows: list[tuple[str, str]] = []
    t = report.get("throughput")
    if t:
        d = t["design"]
        rows += [
            (f"throughput: {t['runs']} runs ({d['futures']} futures x {len(d['policies'])} "
             f"policies x {d['replications']} reps, {d['horizon_years']:g} y; best of "
             f"{t['repeat']})", "end to end | runs phase"),
            ("  1 worker (in process)", f"{t['runs_per_second_1_worker']:.1f} runs/s | "
                                        f"{t['runs_phase_runs_per_second_1_worker']:.1f} "
                                        "runs/s"),
            ("  2 workers (local pool)", f"{t['runs_per_second_2_workers']:.1f} runs/s | "
                                         f"{t['runs_phase_runs_per_second_2_workers']:.1f} "
                                         "runs/s"),
            ("  speed-up 2 over 1", f"{t['speedup_2_over_1']:.2f}x | "
                                    f"{t['runs_phase_speedup_2_over_1']:.2f}x"),
        ]
        if "runs_per_second_dask_2_workers" in t:
            rows += [("  Dask LocalCluster 2x1",
                      f"{t['runs_per_second_dask_2_workers']:.1f} runs/s | "
                      f"{t['runs_phase_runs_per_second_dask_2_workers']:.1f} runs/s"),
                     ("  Dask / local pool", f"{t['dask_over_local_pool']:.2f}x | "
                                             f"{t['runs_phase_dask_over_local_pool']:.2f}x")]
        rows += [("  outcomes.parquet byte-identical across executors",
                  "yes" if t["outcomes_parquet_identical"] else "NO"),
                 ("  every task's files identical too",
                  "yes" if t["task_files_identical"] else "NO")]
        p = t["parent"]
        rows += [("parent CPU per run, 2 workers, runs phase",
                  f"{p['cpu_ms_per_run_2_workers_runs_phase']:.2f} ms"),
                 ("  the same over the whole call (with the analysis)",
                  f"{p['cpu_ms_per_run_2_workers_whole_call']:.2f} ms")]
        if "cpu_ms_per_run_dask_runs_phase" in p:
            rows.append(("  Dask, runs phase (scheduler and client in the parent)",
                         f"{p['cpu_ms_per_run_dask_runs_phase']:.2f} ms"))
        rows += [("  one run: CPU in a pool worker (R)", f"{p['worker_cpu_ms_per_run']:.1f} ms"
                  + (f" (Dask worker {p['dask_worker_cpu_ms_per_run']:.1f} ms)"
                     if "dask_worker_cpu_ms_per_run" in p else "")),
                 ("  workers one parent keeps busy (R / P)",
                  "n/a" if p["workers_one_parent_keeps_busy"] is None
                  else f"about {p['workers_one_parent_keeps_busy']:.0f}")]
        others = [x for values in t["other_processes_cores"].values() for x in values]
        rows.append(("other processes on the machine during these runs",
                     f"{min(others):.2f}-{max(others):.2f} cores"))
        timings = sorted(v for values in t["analysis_seconds"].values() for v in values)
        rows.append(("analysis step (analyse), Sobol' design, in the runs above",
                     f"{timings[0]:.2f}-{timings[-1]:.2f} s"))
    found_analysis = report.get("analysis")
    if found_analysis:
        run = found_analysis["lhs_run"]
        rows.append(("  Latin hypercube, same size (delta), 2 workers: runs | analyse",
                     f"{run['runs_seconds']:.2f} s | {run['analyse_seconds']:.2f} s"))
        command = found_analysis.get("lhs_command")
        if command:
            rows.append(("  Latin hypercube, `simulator explore --workers 2` (fresh "
                         "interpreter): wall | runs | after the last task",
                         f"{command['wall_seconds']:.2f} s | "
                         f"{command['phases'].get('runs_seconds', 0):.2f} s | "
                         f"{command['phases'].get('after_last_task_seconds', 0):.2f} s"
                         + ("" if command["outcomes_identical_to_api_run"]
                            else " (outcomes differ from the API run's)")))
        for condition, designs in found_analysis["fresh_interpreter"].items():
            for sampler, found in designs.items():
                default, single = (found[k] for k in ("default BLAS threads",
                                                      "OPENBLAS_NUM_THREADS=1"))
                rows.append((f"  {sampler}, fresh interpreter, machine {condition}: "
                             "default BLAS | 1 thread",
                             f"{default['seconds']:.2f} s | {single['seconds']:.2f} s "
                             f"({default['seconds'] / single['seconds']:.1f}x)"))
    if t:
        w = t["written"]
        rows.append((f"files per 1,000 runs ({t['runs']}-run exploration, {w['files']} "
                     f"files: {w['runs_files']} runs/, {w['series_files']} series/, "
                     f"{w['other_files']} other)", f"{w['files_per_1000_runs']:.0f}"))
    m = report.get("memory")
    if m:
        small, large = (m["futures"][k] for k in ("small", "large"))
        a, b = (m["measurements"][str(k)] for k in (small, large))
        for count, found in ((small, a), (large, b)):
            w = found["written"]
            rows.append((f"files per 1,000 runs ({found['runs']}-run exploration, "
                         f"{w['files']} files)", f"{w['files_per_1000_runs']:.0f}"))
        rows.append((f"peak memory: simulator explore --workers 2 --no-progress --no-plots, "
                     f"{m['horizon_years']:g}-year horizon",
                     f"{small} futures | {large} futures | ratio"))
        for label, key in MEMORY_KEYS:
            r = m["ratios_large_over_small"][key]
            rows.append((f"  {label}", f"{mib(a[key])} | {mib(b[key])} | "
                                       + ("n/a" if r is None else f"{r:.2f}")))
        rows.append(("  time of the command (runs phase)",
                     f"{a['command_seconds']:.1f} s ({a['phases'].get('runs_seconds', 0):.1f})"
                     f" | {b['command_seconds']:.1f} s "
                     f"({b['phases'].get('runs_seconds', 0):.1f}) |"))
        rows.append(("  target ratio", f"<= {m['target_ratio']}"))
    rows.append(("total time of this script", f"{report['total_seconds']:.0f} s"))
    return "\n".join(common.aligned(rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--futures", type=int, default=80,
                        help="throughput: futures of the Sobol' design, N x 5 with N a power "
                             "of two (default 80: 320 runs with 2 replications)")
    parser.add_argument("--replications", type=int, default=2,
                        help="throughput: replications per future and policy (default 2)")
    parser.add_argument("--horizon", type=float, default=5.0,
                        help="throughput and analysis: horizon in years (default 5)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="throughput: rounds per executor, best reported (default 3)")
    parser.add_argument("--memory-horizon", type=float, default=1.0,
                        help="peak memory: horizon in years (default 1)")
    parser.add_argument("--memory-futures", type=int, nargs=2, metavar=("FEW", "MANY"),
                        default=list(MEMORY_FUTURES),
                        help="peak memory: the two design sizes, N x 8 with N a power of "
                             "two (default 256 2048)")
    common.runner_options(parser, ["throughput", "analysis", "memory"], RESULTS)
    arguments = parser.parse_args(argv)

    report = common.opening("explore", common.simulator_machine(
        "dask", "distributed", "SALib", "psutil"))
    say(common.headline(report["machine"], report["load_average_before"], commit=False))
    with tempfile.TemporaryDirectory(prefix="bench-explore-") as temporary:
        workdir = Path(temporary)
        status = common.measure_parts(report, [
            ("throughput", lambda: throughput(workdir, arguments.futures,
                                              arguments.replications, arguments.horizon,
                                              arguments.repeat, not arguments.no_dask)),
            ("analysis", lambda: analysis(workdir, arguments.futures, arguments.replications,
                                          arguments.horizon, report.get("throughput"))),
            ("memory", lambda: memory(workdir, arguments.memory_horizon,
                                      tuple(arguments.memory_futures)))], arguments.skip)
    for part in ("throughput",):  # paths into the temporary directory, gone now
        for key in ("path", "out_2_workers"):
            report.get(part, {}).pop(key, None)
    common.conclude(report)
    common.save(arguments.out, report)
    print()
    print(table(report))
    return status


if __name__ == "__main__":
    sys.exit(main())
