"""Shared helpers: the shipped scenarios as plain data, and a way to run the engine step by step."""

from __future__ import annotations

import ctypes
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

import simulator
from simulator.model import engine
from simulator.model.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
PR_SET_CHILD_SUBREAPER = 36
"""From Linux's <sys/prctl.h>."""
HUNG_AFTER_SECONDS = 600
HELPERS_THAT_END_WITH_US = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")
"""Python's own helper processes: they exit when this process does."""


@pytest.fixture(scope="session", autouse=True)
def no_process_left_behind():
    """Fail the run if a process the tests started outlives them.

    On Linux this process becomes the subreaper of its descendants, so that a pool worker
    orphaned by a killed `simulator compare` is adopted here, and seen, rather than by init.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    yield
    give_up = time.monotonic() + 10
    while (children := _descendants()) and time.monotonic() < give_up:
        psutil.wait_procs(children, timeout=give_up - time.monotonic())  # reaps the adopted
    left = [_describe(process) for process in children]
    for process in children:
        process.kill()
    psutil.wait_procs(children, timeout=10)
    assert not left, f"processes left behind by the tests: {left}"


def _descendants() -> list[psutil.Process]:
    """This process's descendants, orphans it adopted included, but Python's own helpers."""
    return [child for child in psutil.Process().children(recursive=True)
            if not _ends_with_us(child)]


def _ends_with_us(process: psutil.Process) -> bool:
    try:
        command = " ".join(process.cmdline())
    except psutil.Error:
        return False
    return any(helper in command for helper in HELPERS_THAT_END_WITH_US)


def _describe(process: psutil.Process) -> str:
    try:
        return f"{process.pid} {' '.join(process.cmdline())[:120]}"
    except psutil.Error:
        return str(process.pid)


def loaded_by(module: str, watched: tuple[str, ...]) -> list[str]:
    """Those of `watched` that importing `module` loads, in a fresh interpreter (this one
    holds whatever the tests imported before)."""
    code = (f"import json, sys, {module}\n"
            f"print(json.dumps(sorted(set({list(watched)!r}) & set(sys.modules))))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(done.stdout)


# --- the command line in a subprocess, and its observable progress -------------------------------


def start_compare(config: Path, out: Path, workers: int = 2) -> subprocess.Popen:
    """`simulator compare` in its own process, as a user starts it."""
    return subprocess.Popen(
        [sys.executable, "-m", "simulator", "compare", str(config), "--out", str(out),
         "--workers", str(workers), "--no-progress", "--no-plots"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_compare(config: Path, out: Path, workers: int = 2) -> subprocess.CompletedProcess:
    """`simulator compare` in its own process, to its end."""
    process = start_compare(config, out, workers)
    stdout, stderr = process.communicate(timeout=HUNG_AFTER_SECONDS)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def kill(process: subprocess.Popen) -> None:
    """SIGKILL, as a crash or the OOM killer would; the pipes are closed rather than read to
    their end, which a surviving worker that inherited them would never reach."""
    process.kill()
    process.wait()
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def journal_lines(out: Path) -> int:
    """Runs recorded so far: the experiment's observable progress."""
    try:
        return (out / "runs.jsonl").read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def wait_for_runs(out: Path, count: int, process: subprocess.Popen) -> bool:
    """Wait until `count` runs are journalled (True), or the process has ended (False).

    Waits on progress, not on the clock: a slow machine only makes it wait longer (the
    cap is a safety net against a hung process, far beyond any machine's pace)."""
    give_up = time.monotonic() + HUNG_AFTER_SECONDS
    while journal_lines(out) < count:
        if process.poll() is not None:
            return journal_lines(out) >= count
        if time.monotonic() > give_up:
            process.kill()
            raise AssertionError(f"no progress in {HUNG_AFTER_SECONDS} s: the process hangs")
        time.sleep(0.01)
    return True


def scenario_data(name: str) -> dict[str, Any]:
    """A fresh, mutable copy of a shipped scenario's data."""
    return yaml.safe_load((SCENARIOS / f"{name}.yaml").read_text())


def build(data: dict[str, Any], **overrides: Any) -> Scenario:
    """Validate scenario data with overrides given as `dotted__path=value` keywords."""
    pairs = [(path.replace("__", "."), value) for path, value in overrides.items()]
    return simulator.scenario_from_dict(data, pairs)


class Stepper:
    """Runs one replication's processes and lets a test stop at chosen times and look inside."""

    def __init__(self, scenario: Scenario, seed: int = 0, replication: int = 0):
        simulation = engine.build(scenario, seed, replication, trace=True)
        self.env, self.world = simulation.env, simulation.world
        self.activities, self.trace = simulation.activities, simulation.trace

    def run_until(self, time: float) -> None:
        self.env.run(until=time)

    def events(self, kind: str) -> list:
        return [event for event in self.trace if event.kind == kind]


SMALL = f"""\
name: small
scenario: {SCENARIOS / 'baseline.yaml'}
replications: 4
seed: 5
primary_metric: mean_interop_ally_partner
variants:
  baseline: {{horizon_years: 3}}
  more_exercises:
    horizon_years: 3
    exercises.sea_breeze.every_days: 60
    exercises.eastern_resolve.every_days: 60
"""


LONG = SMALL.replace("name: small", "name: long").replace("replications: 4",
                                                             "replications: 100")
"""The small experiment with 200 runs: a signal sent after its first few always finds it
running, however fast the machine."""


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def data_files(directory: Path) -> dict[str, bytes]:
    """Every result file but the manifest (timestamps), the journal (completion order) and
    the figures."""
    return {str(path.relative_to(directory)): path.read_bytes()
            for path in sorted(directory.rglob("*"))
            if path.is_file() and path.name not in ("manifest.json", "runs.jsonl")
            and "plots" not in path.relative_to(directory).parts}


@pytest.fixture(scope="session")
def small_clean(tmp_path_factory) -> Path:
    """The small experiment, run once in this process: the reference for identity tests."""
    from simulator.runs.runner import run_experiment

    directory = tmp_path_factory.mktemp("clean")
    config = write(directory / "small.yaml", SMALL)
    run_experiment(config, directory / "out", workers=1)
    return directory / "out"


@pytest.fixture(scope="session")
def long_clean(tmp_path_factory) -> Path:
    """The long experiment, run once: the reference for interruption tests."""
    from simulator.runs.runner import run_experiment

    directory = tmp_path_factory.mktemp("long")
    run_experiment(write(directory / "long.yaml", LONG), directory / "out", workers=2)
    return directory / "out"


@pytest.fixture
def minimal() -> dict[str, Any]:
    return scenario_data("minimal")


@pytest.fixture(scope="session")
def baseline() -> Scenario:
    return simulator.load_scenario(SCENARIOS / "baseline.yaml")


def world_of(nations: int, years: float = 2.0) -> dict:
    """A generated world: a quarter allies, four regions, activities growing with the size."""
    regions = [f"r{k}" for k in range(4)]
    allies = max(1, nations // 4)
    data = {
        "name": f"world_{nations}", "horizon_years": years, "sample_every_days": 60,
        "domains": ["land", "maritime", "cyber"], "regions": [{"id": r} for r in regions],
        "nations": [{"id": f"n{k}", "role": "ally" if k < allies else "partner",
                     "region": regions[k % 4], "capability": 0.5, "stability": 0.7,
                     "openness": 0.6, "annual_budget": 100.0 if k < allies else 0.0,
                     "trainers": 2 if k < allies else 0,
                     "initial": {"standards": 0.4, "proficiency": 0.3}}
                    for k in range(nations)],
        "facilities": [{"id": "range", "capacity": 4}],
        "exercises": [{"id": f"x{k}", "host": f"n{k % allies}", "facility": "range",
                       "region": regions[k % 4], "domains": ["land"], "every_days": 120,
                       "participants": [f"n{(k * 7 + j) % nations}" for j in range(6)],
                       "cost": 10} for k in range(nations // 5)],
        "programs": [{"id": f"p{k}", "provider": f"n{k % allies}", "partner": f"n{allies + k}",
                      "domains": ["maritime"], "modules": 6, "module_every_days": 90,
                      "cost": 5} for k in range(min(nations - allies, nations // 5))],
        "threats": [{"id": f"t{r}", "region": r, "per_year": 2, "kinds": ["piracy"]}
                    for r in regions],
    }
    for exercise in data["exercises"]:
        exercise["participants"] = sorted(set(exercise["participants"]))
    return data
