"""Replications needed to select the best: Kim & Nelson's KN against Rinott's two-stage procedure.

Not a test: it measures cost (system-replications, the simulator's unit of work)
and the observed probability of correct selection (PCS) of `simulator.select.kn`
and `simulator.select.rinott` on normal systems, configuration by configuration:

- k = 2, 5 and 10 systems; the best is the last column;
- means: `slippage` (the best ahead of all the others, which are equal, by
  exactly delta: where the guarantee binds) or `spread` (means delta apart,
  mu_i = i * delta: most systems are clearly worse);
- standard deviations all 1 (`equal`), or evenly from 0.5 to 2 with the best
  the noisiest (`unequal`);
- common correlation rho = 0 (independent runs) or 0.5 (as common random
  numbers give).

Each macro-replication draws both procedures' rows from generators seeded
alike, so the two see the same first stage. delta = 0.5, n0 = 10, 95%
confidence. Rinott's procedure assumes independent systems and ignores CRN;
its PCS under rho = 0.5 is reported, not promised.

Run: .venv/bin/python benchmarks/bench_selection.py      (about 30 s on 2 cores)
Options: --macro 1000, --seed 20260117, --out PATH. Writes benchmarks/results/selection.json.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import common  # noqa: E402

from simulator import select  # noqa: E402

DELTA, N0, CONFIDENCE = 0.5, 10, 0.95
SYSTEMS = (2, 5, 10)
MEANS = ("slippage", "spread")
SPREADS = ("equal", "unequal")
CORRELATIONS = (0.0, 0.5)


def configuration(k: int, means: str, spreads: str, rho: float) -> dict[str, Any]:
    """Means, standard deviations and the covariance's Cholesky root of one configuration."""
    if means == "slippage":
        mu = np.zeros(k)
        mu[-1] = DELTA
    else:
        mu = DELTA * np.arange(k, dtype=float)
    sds = np.ones(k) if spreads == "equal" else np.linspace(0.5, 2.0, k)
    correlation = np.full((k, k), rho)
    np.fill_diagonal(correlation, 1.0)
    root = np.linalg.cholesky(np.outer(sds, sds) * correlation)
    return {"k": k, "means": means, "spreads": spreads, "rho": rho, "mu": mu, "root": root}


def sampler(config: dict[str, Any], seed: list[int]):
    rng = np.random.default_rng(seed)
    mu, root = config["mu"], config["root"]

    def sample(n: int) -> np.ndarray:
        return mu + rng.standard_normal((n, len(mu))) @ root.T

    return sample


def measure(config: dict[str, Any], macro: int, seed: list[int]) -> dict[str, Any]:
    """`macro` runs of each procedure; PCS with its binomial standard error, mean costs."""
    best = config["k"] - 1
    outcome: dict[str, Any] = {}
    for name, procedure in (("kn", select.kn), ("rinott", select.rinott)):
        started = time.perf_counter()
        results = [procedure(sampler(config, [*seed, m]), delta=DELTA, confidence=CONFIDENCE,
                             n0=N0) for m in range(macro)]
        runs = np.array([result.runs for result in results], dtype=float)
        rows = np.array([result.replications for result in results], dtype=float)
        pcs = float(np.mean([result.best == best for result in results]))
        outcome[name] = {
            "pcs": pcs, "pcs_standard_error": math.sqrt(pcs * (1 - pcs) / macro),
            "mean_runs": float(runs.mean()),
            "runs_standard_error": float(runs.std(ddof=1) / math.sqrt(macro)),
            "mean_replications": float(rows.mean()), "max_replications": int(rows.max()),
            "seconds": time.perf_counter() - started,
        }
    outcome["runs_ratio_kn_to_rinott"] = outcome["kn"]["mean_runs"] / outcome["rinott"]["mean_runs"]
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--macro", type=int, default=1000, help="macro-replications per cell")
    parser.add_argument("--seed", type=int, default=20260117)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "selection.json")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    report = common.opening("selection", {**common.machine(), **common.checkout()}) | {
        "method": "normal systems, paired rows with common correlation rho; both procedures "
                  "draw from generators seeded alike per macro-replication; runs = "
                  "system-replications used (Selection.runs)",
        "delta": DELTA, "n0": N0, "confidence": CONFIDENCE, "macro_replications": args.macro,
        "seed": args.seed,
        "rinott_h": {str(k): select.rinott_h(k, N0, CONFIDENCE) for k in SYSTEMS},
        "kn_h2": {str(k): select.kn_h2(k, CONFIDENCE, N0) for k in SYSTEMS},
    }
    print(common.headline(report["machine"], report["load_average_before"]), flush=True)
    cells = []
    grid = itertools.product(SYSTEMS, MEANS, SPREADS, CORRELATIONS)
    for index, (k, means, spreads, rho) in enumerate(grid):
        config = configuration(k, means, spreads, rho)
        outcome = measure(config, args.macro, [args.seed, index])
        cells.append({"k": k, "means": means, "spreads": spreads, "rho": rho, **outcome})
        print(f"k={k:<3}{means:<10}{spreads:<9}rho={rho:<4} KN PCS {outcome['kn']['pcs']:.3f} "
              f"runs {outcome['kn']['mean_runs']:7.1f} | Rinott PCS "
              f"{outcome['rinott']['pcs']:.3f} runs {outcome['rinott']['mean_runs']:7.1f} | "
              f"KN/Rinott {outcome['runs_ratio_kn_to_rinott']:.2f}", flush=True)
    fewer = sum(cell["runs_ratio_kn_to_rinott"] < 1 for cell in cells)
    report |= {"cells": cells, "kn_needs_fewer_runs_in": f"{fewer} of {len(cells)}",
               "load_average_after": common.load_average(),
               "total_seconds": time.perf_counter() - started}

    print(f"\nMean system-replications (runs) and PCS over {args.macro} macro-replications; "
          f"delta {DELTA}, n0 {N0}, {CONFIDENCE:.0%}")
    print("| k | means | sds | rho | KN PCS | KN runs | KN rows | Rinott PCS | Rinott runs | "
          "KN / Rinott |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for cell in cells:
        kn, rinott = cell["kn"], cell["rinott"]
        print(f"| {cell['k']} | {cell['means']} | {cell['spreads']} | {cell['rho']:g} | "
              f"{kn['pcs']:.3f} | {kn['mean_runs']:.1f} | {kn['mean_replications']:.1f} | "
              f"{rinott['pcs']:.3f} | {rinott['mean_runs']:.1f} | "
              f"{cell['runs_ratio_kn_to_rinott']:.2f} |")
    print(f"KN needs fewer runs in {fewer} of {len(cells)} configurations; "
          f"total {report['total_seconds']:.0f} s")
    common.save(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
