"""Helpers shared by the `bench_*.py` scripts: git state, machine, load, the JSON report;
and, for the two runner benchmarks, the measuring itself (one copy, so that the experiment
and the exploration runners are measured the same way).

The scripts run as `.venv/bin/python benchmarks/<name>.py`; each puts this
folder on `sys.path` and does `import common`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
"""The project's root (the git checkout)."""

SOURCES = ("simulator", "pyproject.toml")
"""What counts as the measured code for `simulator_sources_modified`."""


def git(*arguments: str) -> str | None:
    """`git <arguments>` run in the project's root: its stripped stdout, or None if it fails."""
    try:
        return subprocess.run(["git", *arguments], cwd=ROOT, text=True,
                              capture_output=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def checkout() -> dict[str, Any]:
    """The commit measured, and whether the package's sources differ from it (None: unknown)."""
    status = git("status", "--porcelain", "--", *SOURCES)
    return {"git_commit": git("rev-parse", "HEAD"),
            "simulator_sources_modified": None if status is None else bool(status)}


def machine() -> dict[str, Any]:
    """CPUs, interpreter, platform, processor and (with psutil) total memory of this machine."""
    info: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
    }
    try:
        import psutil

        info["memory_bytes"] = psutil.virtual_memory().total
    except ImportError:
        pass
    return info


def headline(info: dict[str, Any], load: list[float] | None, commit: bool = True) -> str:
    """One line on the machine (`machine()` with `checkout()`) and its load average."""
    measured = f", commit {info['git_commit']}" if commit else ""
    return (f"{info['cpu_count']} CPUs, Python {info['python']}, {info['platform']}{measured}; "
            f"load average {load}")


def load_average() -> list[float] | None:
    """The 1, 5 and 15-minute load averages, rounded to 0.01 (None where unavailable)."""
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def utc_now() -> str:
    """The current UTC date and time, ISO 8601 to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def opening(benchmark: str, machine_info: dict[str, Any]) -> dict[str, Any]:
    """A report's first keys: `benchmark`, `date`, `machine` and `load_average_before`."""
    return {"benchmark": benchmark, "date": utc_now(), "machine": machine_info,
            "load_average_before": load_average()}


def write_json(path: Path, report: dict[str, Any]) -> None:
    """Write `report` as indented JSON to `path` atomically (a temporary file, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def save(path: Path, report: dict[str, Any]) -> None:
    """`write_json(path, report)`, then say so on stdout (`wrote <path>`)."""
    write_json(path, report)
    print(f"wrote {path}")


# --- what the runner benchmarks (bench_experiments.py, bench_explore.py) share ---------------

STARTED = time.perf_counter()
"""The scripts' clock: they import this module first thing, so it starts with them."""


def elapsed() -> float:
    """Seconds since the script started (`STARTED`): for progress lines, budgets, totals."""
    return time.perf_counter() - STARTED


def say(message: str) -> None:
    """A progress line stamped with `elapsed()`, flushed: long runs show where they are."""
    print(f"[{elapsed():6.1f}s] {message}", flush=True)


def mib(size: float | None) -> str:
    """Bytes as MiB to 0.1 for tables and progress lines; `n/a` for a figure not taken."""
    return "n/a" if size is None else f"{size / 2**20:.1f} MiB"


def ratio(a: float | None, b: float | None) -> float | None:
    """b / a, or None where either is missing or zero (a peak that could not be sampled)."""
    return b / a if a and b else None


def cpu_seconds() -> tuple[float, float]:
    """User + system CPU of this process and of its reaped children (a closed pool's workers),
    from `getrusage`: differences of two calls attribute CPU to the parent and the workers."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def sha256(path: Path) -> str:
    """A file's checksum: results of different executors must be byte-identical."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digest(value: Any) -> str:
    """The checksum of a JSON-able value (keys sorted): compares, say, every run's file
    checksums from a journal across executors in one string."""
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def read_journal(out: Path) -> list[dict[str, Any]]:
    """The entries of a results directory's `runs.jsonl`, one per run or task filed."""
    return [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    """`data` as YAML (keys in order) at `path`: the experiment and exploration files the
    scripts measure are written by them into a temporary directory."""
    import yaml

    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def local_cluster() -> tuple[Any, float]:
    """A Dask `LocalCluster` of 2 single-threaded worker processes (the pool's match on
    this machine) without dashboard or logs, and the seconds it took to start."""
    from dask.distributed import LocalCluster

    started = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=40)
    return cluster, time.perf_counter() - started


WRAPPER = """\
import json, resource, sys, time
started = time.perf_counter()
from simulator.cli import main
code = main(sys.argv[1:])
elapsed = time.perf_counter() - started
own = resource.getrusage(resource.RUSAGE_SELF)
children = resource.getrusage(resource.RUSAGE_CHILDREN)
scale = 1 if sys.platform == "darwin" else 1024
print("BENCH_RUSAGE " + json.dumps({
    "exit_code": code, "seconds": elapsed,
    "self_maxrss_bytes": own.ru_maxrss * scale,
    "children_maxrss_bytes": children.ru_maxrss * scale,
    "self_cpu_seconds": own.ru_utime + own.ru_stime,
    "children_cpu_seconds": children.ru_utime + children.ru_stime,
}), flush=True)
sys.exit(code)
"""
"""Run by a fresh interpreter per memory measurement, so that peaks never mix: the real
command line, in-process, then this process's own peak RSS and the largest peak RSS among
its reaped children (the pool's workers). Linux reports ru_maxrss in KiB, macOS in bytes."""

PEAK_KEYS = (("parent (the command's process)", "parent_peak_rss_bytes"),
             ("largest worker", "largest_worker_peak_rss_bytes"),
             ("whole tree, RSS sum (sampled)", "tree_peak_rss_sum_bytes"),
             ("whole tree, PSS sum (sampled)", "tree_peak_pss_sum_bytes"))
"""The peaks `Wrapped.figures` reports, with their labels in the tables."""


class TreeSampler(threading.Thread):
    """Samples the summed RSS (and PSS where readable) of a process and its descendants,
    and the process's own RSS with the time of each sample: `getrusage` gives each
    process's peak, not the tree's at one moment, nor when in the command it came."""

    def __init__(self, pid: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_rss = 0
        self.peak_pss: int | None = None
        self.peak_processes = 0
        self.own: list[tuple[float, int]] = []
        """(time.time(), RSS of the process itself) at every sample."""
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            import psutil
        except ImportError:
            return
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self.stopped.is_set():
            try:
                tree = [root] + root.children(recursive=True)
            except psutil.Error:
                break
            now = time.time()
            rss, pss, readable = 0, 0, True
            for process in tree:
                try:
                    resident = process.memory_info().rss
                    rss += resident
                    if process is root:
                        self.own.append((now, resident))
                    if readable:
                        pss += process.memory_full_info().pss
                except (psutil.Error, AttributeError):
                    readable = False
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_processes = max(self.peak_processes, len(tree))
            if readable:
                self.peak_pss = max(self.peak_pss or 0, pss)
            self.stopped.wait(self.interval)


@dataclass
class Wrapped:
    """A `simulator` command run by `WRAPPER` under a `TreeSampler`, once it has ended."""

    command: list[str]
    """As a user would type it: `simulator <arguments>`."""
    usage: dict[str, Any]
    """What the wrapper printed: exit code, seconds, its and its children's rusage."""
    sampler: TreeSampler
    seconds: float
    """Wall time from outside, start-up of the interpreter included."""
    began: float
    ended: float
    """time.time() at the start and end: to set the results' modification times against."""

    def figures(self, **between: Any) -> dict[str, Any]:
        """The command, its times, `between` (the caller's phases...), then the peaks and
        CPU: one layout for every memory measurement."""
        return {"command": self.command, "wall_seconds": self.seconds,
                "command_seconds": self.usage["seconds"], **between,
                "parent_peak_rss_bytes": self.usage["self_maxrss_bytes"],
                "largest_worker_peak_rss_bytes": self.usage["children_maxrss_bytes"],
                "tree_peak_rss_sum_bytes": self.sampler.peak_rss or None,
                "tree_peak_pss_sum_bytes": self.sampler.peak_pss,
                "tree_peak_processes": self.sampler.peak_processes,
                "parent_cpu_seconds": self.usage["self_cpu_seconds"],
                "worker_cpu_seconds": self.usage["children_cpu_seconds"]}


def run_wrapped(arguments: list[str], env: dict[str, str] | None = None) -> Wrapped:
    """`simulator <arguments>` in a fresh `WRAPPER` interpreter in the project's root,
    sampled every 50 ms until it ends (`env`: its environment, default ours); raises
    RuntimeError with the end of its output if it fails."""
    command = [sys.executable, "-c", WRAPPER, *arguments]
    started, began = time.perf_counter(), time.time()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=ROOT, env=env)
    sampler = TreeSampler(process.pid)
    sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    ended = time.time()
    sampler.stopped.set()
    sampler.join()
    lines = [line for line in stdout.splitlines() if line.startswith("BENCH_RUSAGE ")]
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"simulator {arguments[0]} failed (exit {process.returncode}):\n"
                           f"{stdout[-2000:]}\n{stderr[-2000:]}")
    usage = json.loads(lines[-1].removeprefix("BENCH_RUSAGE "))
    return Wrapped(["simulator", *arguments], usage, sampler, seconds, began, ended)


def simulator_machine(*packages: str) -> dict[str, Any]:
    """`machine()` and `checkout()`, with the simulator's dependency versions and those of
    `packages` (where installed): what the figures depend on, in the report."""
    info = machine() | checkout()
    try:
        from simulator.runs.store import versions

        info["versions"] = versions()
    except ImportError:
        pass
    if packages:
        try:
            from importlib import metadata

            info["versions"] = info.get("versions", {}) | {
                name: metadata.version(name) for name in packages}
        except Exception:  # a missing package: the versions stay as they are
            pass
    return info


def runner_options(parser: argparse.ArgumentParser, parts: list[str], results: Path) -> None:
    """The options both runner benchmarks end with: `--no-dask`, `--skip PART`, `--out`."""
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask cluster")
    parser.add_argument("--skip", choices=parts, action="append", default=[],
                        help="skip a part (repeatable)")
    parser.add_argument("--out", type=Path, default=results,
                        help=f"results file (default {results.relative_to(ROOT)})")


def measure_parts(report: dict[str, Any],
                  parts: list[tuple[str, Callable[[], dict[str, Any]]]],
                  skip: list[str]) -> int:
    """Each part not skipped into `report[part]`; one that fails is said and recorded as
    `<part>_error`, and the rest still run: 0 if every part was measured, else 1."""
    status = 0
    for part, measure in parts:
        if part in skip:
            continue
        try:
            report[part] = measure()
        except Exception as error:  # report what could be measured, then fail
            say(f"{part}: could not be measured: {type(error).__name__}: {error}")
            report[f"{part}_error"] = f"{type(error).__name__}: {error}"
            status = 1
    return status


def conclude(report: dict[str, Any]) -> None:
    """The report's last keys: load and checkout after (warning if the commit or the
    sources changed meanwhile, since figures could then mix versions) and total seconds."""
    report["load_average_after"] = load_average()
    report["checkout_after"] = checkout()
    info = report["machine"]
    if report["checkout_after"] != {key: info.get(key) for key in report["checkout_after"]}:
        say("warning: the checkout changed while this script ran (commit or sources of "
            "simulator/); figures may mix versions")
    report["total_seconds"] = elapsed()


def aligned(rows: list[tuple[str, str]]) -> list[str]:
    """Table rows (label, value) as lines, the values in one column."""
    width = max(len(label) for label, _ in rows) + 2
    return [f"{label:<{width}}{value}".rstrip() for label, value in rows]
