"""Helpers shared by the `bench_*.py` scripts: git state, machine, load, the JSON report.

The scripts run as `.venv/bin/python benchmarks/<name>.py`; each puts this
folder on `sys.path` and does `import common`.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

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
