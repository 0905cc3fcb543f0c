"""Time drawing every figure of an experiment with 1,000 replications x 5 variants.

Running 5,000 replications just to time the plots would take many minutes, so
the script runs 5 variants x 8 real replications of the baseline scenario, then
copies each run's files to make 1,000 replications per variant (renumbered), a
results directory of the full size. It then times `simulator.presentation.figures.draw_all`
(every figure, PNG) and `simulator.presentation.report.write_report`.

Run: .venv/bin/python benchmarks/bench_plots.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

from simulator.presentation.figures import draw_all  # noqa: E402
from simulator.presentation.report import write_report  # noqa: E402
from simulator.runs.experiment import load_experiment  # noqa: E402
from simulator.runs.runner import run_experiment  # noqa: E402

REAL, TARGET = 8, 1000


def enlarge(directory: Path) -> None:
    """Copy each variant's real runs until there are TARGET replications, renumbered."""
    summary = pd.read_csv(directory / "summary.csv")
    rows = []
    for folder in ("series", "final"):
        for variant_dir in sorted((directory / folder).iterdir()):
            sources = sorted(variant_dir.glob("rep-*.parquet"))
            originals = [pd.read_parquet(path) for path in sources]
            for replication in range(REAL, TARGET):
                frame = originals[replication % REAL].assign(replication=replication)
                frame.to_parquet(variant_dir / f"rep-{replication:05d}.parquet", index=False)
    for variant, rows_of in summary.groupby("variant", sort=False):
        for replication in range(TARGET):
            row = rows_of.iloc[replication % REAL].copy()
            row["replication"], row["run_id"] = replication, f"{variant}/{replication}"
            rows.append(row)
    enlarged = pd.DataFrame(rows)
    enlarged.to_csv(directory / "summary.csv", index=False)
    enlarged.to_parquet(directory / "summary.parquet", index=False)  # what the figures read
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["replications"] = TARGET
    (directory / "manifest.json").write_text(json.dumps(manifest))


def main() -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        config = scratch / "plots.yaml"
        source = (ROOT / "configs" / "compare_policies.yaml").read_text()
        config.write_text(source.replace("../scenarios/baseline.yaml",
                                         str(ROOT / "scenarios" / "baseline.yaml"))
                          .replace("replications: 30", f"replications: {REAL}"))
        out = scratch / "out"
        print(f"running 5 variants x {REAL} replications ...", flush=True)
        run_experiment(load_experiment(config), out, workers=os.cpu_count())
        print(f"copying runs up to {TARGET} replications per variant ...", flush=True)
        enlarge(out)
        rows = len(pd.read_parquet(out / "series", columns=["replication"]))
        print(f"{rows:,} series rows; drawing every figure ...", flush=True)
        tick = time.perf_counter()
        figures = draw_all(out)
        plot_seconds = time.perf_counter() - tick
        tick = time.perf_counter()
        write_report(out)
        report_seconds = time.perf_counter() - tick
    result = {
        "date": common.utc_now(),
        # "cpus": the key this report has always had; the rest as in the other reports
        "machine": {"cpus": os.cpu_count(), **common.machine()},
        "replications_per_variant": TARGET, "variants": 5, "series_rows": rows,
        "figures": len(figures), "draw_all_seconds": round(plot_seconds, 2),
        "report_seconds": round(report_seconds, 2), "target_seconds": 10,
        "script_seconds": round(time.perf_counter() - started, 1),
    }
    common.write_json(ROOT / "benchmarks" / "results" / "plots.json", result)
    print(f"draw_all: {len(figures)} figures in {plot_seconds:.2f} s (target < 10 s); "
          f"report: {report_seconds:.2f} s")


if __name__ == "__main__":
    main()
