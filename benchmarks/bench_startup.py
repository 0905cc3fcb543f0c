"""Time the command line's start-up against a bare `import simpy, numpy`.

Four commands, each in a fresh subprocess, wall clock from before the
process is started to after it has exited (`time.perf_counter` around
`subprocess.run`), run from the project's root:

| label | command |
|---|---|
| bare import | `.venv/bin/python -c "import simpy, numpy"` |
| --help | `.venv/bin/simulator --help` |
| validate | `.venv/bin/simulator validate scenarios/baseline.yaml` |
| first run | `.venv/bin/python -c`: import the engine, run `scenarios/minimal.yaml` once |

The first run is what a fresh worker pays before its first result: numba, and the
compiled kernels loaded from its cache.

After one warm-up run of each (so every file is in the page cache), the four
are run in turn, `--repeat` times (7); the order rotates from round to round.
Reported: the median (and min, max) of each, and the ratios of the medians of
`--help` and `validate` to the bare import (the issue's target, <= 2x, is for
`--help`; `validate` and the first run are shown against the same line, for
reference). Each command's
exit status is checked and recorded; a failing command is reported, not raised.

Run: .venv/bin/python benchmarks/bench_startup.py      (about 15 s)
Options: --repeat 7, --out PATH. Writes benchmarks/results/startup.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(HERE))

import common  # noqa: E402

FIRST_RUN = ("import simulator; from simulator.model.engine import run_one; "
             "run_one(simulator.load_scenario('scenarios/minimal.yaml'))")
"""What a fresh worker does before its first result: import the engine and run (loading the
compiled kernels from numba's cache)."""
COMMANDS = {
    "bare_import": [str(BIN / "python"), "-c", "import simpy, numpy"],
    "help": [str(BIN / "simulator"), "--help"],
    "validate": [str(BIN / "simulator"), "validate", "scenarios/baseline.yaml"],
    "first_run": [str(BIN / "python"), "-c", FIRST_RUN],
}
LABELS = {
    "bare_import": '.venv/bin/python -c "import simpy, numpy"',
    "help": ".venv/bin/simulator --help",
    "validate": ".venv/bin/simulator validate scenarios/baseline.yaml",
    "first_run": "a first run in a fresh interpreter (minimal.yaml)",
}
TARGET = 2.0


def run(command: list[str]) -> tuple[float, int, str]:
    started = time.perf_counter()
    process = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    return seconds, process.returncode, process.stderr[-500:]


def machine() -> dict[str, Any]:
    versions = subprocess.run(
        [str(BIN / "python"), "-c",
         "import json, simpy, numpy, pydantic, sys; print(json.dumps({'python': "
         "sys.version.split()[0], 'simpy': simpy.__version__, 'numpy': numpy.__version__, "
         "'pydantic': pydantic.__version__}))"],
        capture_output=True, text=True)
    return {
        **common.machine(),
        "venv_versions": json.loads(versions.stdout) if versions.returncode == 0 else None,
        **common.checkout(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "startup.json")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    report = common.opening("startup", machine()) | {
        "method": "wall clock (perf_counter) around subprocess.run of each command, cwd = "
                  "project root; one warm-up run each, then --repeat rounds, order rotating",
        "commands": LABELS,
    }
    info = report["machine"]
    print(common.headline(info, report["load_average_before"]), flush=True)
    names = list(COMMANDS)
    times: dict[str, list[float]] = {name: [] for name in names}
    failures: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    print("warm-up ...", flush=True)
    for name in names:
        seconds, status, stderr = run(COMMANDS[name])
        if status != 0:
            failures[name].append({"round": "warm-up", "status": status, "stderr": stderr})
    for round_ in range(args.repeat):
        order = names[round_ % len(names):] + names[: round_ % len(names)]
        for name in order:
            seconds, status, stderr = run(COMMANDS[name])
            times[name].append(seconds)
            if status != 0:
                failures[name].append({"round": round_, "status": status, "stderr": stderr})
        print(f"round {round_ + 1}/{args.repeat}: " + ", ".join(
            f"{name} {times[name][-1]:.3f} s" for name in names), flush=True)

    results = {
        name: {"seconds": times[name], "median_seconds": statistics.median(times[name]),
               "min_seconds": min(times[name]), "max_seconds": max(times[name]),
               "failures": failures[name]}
        for name in names
    }
    bare = results["bare_import"]["median_seconds"]
    ratios = {name: results[name]["median_seconds"] / bare
              for name in ("help", "validate", "first_run")}
    report |= {
        "results": results,
        "ratio_to_bare_import": ratios,
        "target_ratio": TARGET,
        "target_met": {"help": ratios["help"] <= TARGET},
        "load_average_after": common.load_average(),
        "total_seconds": time.perf_counter() - started,
    }

    print(f"\nStart-up, median of {args.repeat} fresh processes (wall clock)")
    print(f"{'command':<56}{'median s':>10}{'min s':>8}{'max s':>8}{'x bare':>8}")
    for name in names:
        row = results[name]
        ratio = f"{ratios[name]:.2f}" if name in ratios else "1.00"
        flag = "" if not row["failures"] else f"  ({len(row['failures'])} FAILED)"
        print(f"{LABELS[name]:<56}{row['median_seconds']:>10.3f}{row['min_seconds']:>8.3f}"
              f"{row['max_seconds']:>8.3f}{ratio:>8}{flag}")
    print(f"help: {ratios['help']:.2f}x the bare import (target <= {TARGET:g}x: "
          f"{'met' if ratios['help'] <= TARGET else 'MISSED'})")
    print(f"validate: {ratios['validate']:.2f}x the bare import (no target; "
          f"{'within' if ratios['validate'] <= TARGET else 'above'} {TARGET:g}x)")
    print(f"first run in a fresh interpreter: {ratios['first_run']:.2f}x the bare import "
          "(no target)")
    print(f"load average before / after: {report['load_average_before']} / "
          f"{report['load_average_after']}; total {report['total_seconds']:.0f} s")
    common.save(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
