"""Does the engine of this tree agree with the engine of an earlier revision?

The evidence an optimisation needs before the pinned runs are renewed (issue 18):

1. Outputs. The pinned runs (`tests/test_pinned.py`) and generated worlds of 20, 50
   and 120 nations (`worlds.py`, 30 years, seeds 1-3) are run by both engines, each
   in its own interpreter; every array of every run (series, nation and region
   tables, end-of-run trust and interoperability) is compared. Reported per run:
   the largest relative difference, |a - b| / max(|a|, |b|), over every number
   (NaN must meet NaN), the arrays where it passes 1e-12, the largest difference
   scaled by its metric's largest value (for values that come from cancellation,
   such as a stability of base - loss near 0, where a unit in the last place of
   the terms is a large relative difference), and whether the two traces hold the
   same events in the same order at the same times to 1e-12 (the event order is
   unchanged).
2. Distributions. `scenarios/baseline.yaml` with seeds 0-199 in both engines; for
   every KPI the paired differences (same seed, same random streams) are summed up
   by their mean with a 95% t interval, and those beyond rounding (1e-12
   relative) by the Wilcoxon signed-rank test (rounding is not a shift in
   distribution: a sum taken in another order moves a last bit one way more often
   than the other). An optimisation that changes the order of simultaneous events
   must leave every KPI's distribution indistinguishable: no p-value below
   0.05 / KPIs (Bonferroni).

Run:  .venv/bin/python benchmarks/equivalence.py --against REV   (about 2 minutes)
Options: --seeds 200, --sizes 20 50 120, --skip outputs|distributions, --out PATH.
The earlier revision is exported with `git archive` to a temporary directory (the
repository is not touched). Writes benchmarks/results/equivalence.json.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE)]

import common  # noqa: E402
import numpy as np  # noqa: E402

PINNED = [("minimal", 0, 0), ("baseline", 0, 0), ("baseline", 7, 0), ("baseline", 7, 3)]
ROUNDING = 1e-12
"""Relative differences up to this are rounding (the order of a sum, another `exp`)."""
ARRAYS = ("times", "series", "nations", "regions", "trust", "interoperability")


def cases(sizes: list[int]) -> list[tuple[str, int, int]]:
    """(scenario, seed, replication): a pinned run, or `world-N` for a generated world."""
    return PINNED + [(f"world-{n}", seed, 0) for n in sizes for seed in (1, 2, 3)]


def dump(tree: Path, target: Path, sizes: list[int], seeds: int) -> None:
    """Run `tree`'s engine on every case and on the baseline's seeds; save what it gave.
    Runs in an interpreter whose `simulator` is `tree`'s."""
    sys.path.insert(0, str(tree))
    import worlds

    import simulator
    from simulator.model.engine import run_one
    from simulator.model.loading import scenario_from_dict
    from simulator.model.results import kpis

    if not simulator.__file__ or not Path(simulator.__file__).is_relative_to(tree):
        raise SystemExit(f"simulator was imported from {simulator.__file__}, not {tree}")
    saved: dict[str, Any] = {}
    for name, seed, replication in cases(sizes):
        if name.startswith("world-"):
            scenario = scenario_from_dict(worlds.world(int(name.split("-")[1])))
        else:
            scenario = simulator.load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        output = run_one(scenario, seed=seed, replication=replication, trace=True)
        key = f"{name}/{seed}/{replication}"
        for array in ARRAYS:
            saved[f"{key}/{array}"] = getattr(output, array)
        assert output.trace is not None
        saved[f"{key}/trace"] = np.array([
            (event.time, zlib.crc32(f"{event.kind} {event.entity}".encode()))
            for event in output.trace])
    baseline = simulator.load_scenario(ROOT / "scenarios" / "baseline.yaml")
    rows = [kpis(run_one(baseline, seed=seed)) for seed in range(seeds)]
    names = list(rows[0]) if rows else []
    saved["kpi_names"] = np.array(names)
    saved["kpis"] = np.array([[float(row[name]) for name in names] for row in rows])
    np.savez(target, **saved)


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    """The largest |a - b| / max(|a|, |b|) (0 where both are 0; inf where only one is NaN
    or the shapes differ)."""
    if a.shape != b.shape or not np.array_equal(np.isnan(a), np.isnan(b)):
        return math.inf
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    scale = np.maximum(np.abs(a), np.abs(b))
    difference = np.abs(a - b)
    nonzero = scale > 0
    return float(np.max(difference[nonzero] / scale[nonzero], initial=0.0))


def same_story(old: np.ndarray, new: np.ndarray, ordered: bool = True) -> bool:
    """Whether two traces hold the same events at the same times to 1e-12 relative (a
    wait worked out from a decayed level may end a last bit apart): in the same order,
    or, if not `ordered`, in any order within each instant."""
    if old.shape != new.shape:
        return False
    if not ordered:
        old, new = (trace[np.lexsort((trace[:, 1], trace[:, 0].round(6)))]
                    for trace in (old, new))
    return bool(np.array_equal(old[:, 1], new[:, 1])
                and np.allclose(old[:, 0], new[:, 0], rtol=1e-12, atol=0.0))


def scaled_difference(a: np.ndarray, b: np.ndarray) -> float:
    """The largest |a - b| over the largest |a| of the array (of its last axis, a metric
    in the nation and region tables): the measure for values that come from
    cancellation, such as a stability of base - loss close to 0, where one unit in
    the last place of the terms is a large relative difference of the result."""
    if a.shape != b.shape or not np.array_equal(np.isnan(a), np.isnan(b)):
        return math.inf
    axes = tuple(range(a.ndim - 1)) if a.ndim > 2 else None
    scale = np.nanmax(np.abs(a), axis=axes, keepdims=axes is not None, initial=0.0)
    difference = np.nan_to_num(np.abs(a - b))
    return float(np.max(np.divide(difference, scale, out=np.zeros_like(difference),
                                  where=scale > 0), initial=0.0))


def compare_outputs(old: Any, new: Any, sizes: list[int]) -> list[dict[str, Any]]:
    rows = []
    for name, seed, replication in cases(sizes):
        key = f"{name}/{seed}/{replication}"
        worst = {array: relative_difference(old[f"{key}/{array}"], new[f"{key}/{array}"])
                 for array in ARRAYS}
        scaled = {array: scaled_difference(old[f"{key}/{array}"], new[f"{key}/{array}"])
                  for array in ARRAYS}
        traces = old[f"{key}/trace"], new[f"{key}/trace"]
        rows.append({"run": key, "max_relative": max(worst.values()), "by_array": worst,
                     "max_scaled": max(scaled.values()), "scaled_by_array": scaled,
                     "same_order": same_story(*traces),
                     "same_events": same_story(*traces, ordered=False),
                     "events": int(len(new[f"{key}/trace"]))})
    return rows


def compare_distributions(old: Any, new: Any) -> list[dict[str, Any]]:
    from scipy import stats

    rows = []
    names = [str(name) for name in new["kpi_names"]]
    for k, name in enumerate(names):
        a, b = old["kpis"][:, k], new["kpis"][:, k]
        keep = ~(np.isnan(a) | np.isnan(b))
        a, b = a[keep], b[keep]
        differences = b - a
        rounding = np.abs(differences) <= ROUNDING * np.maximum(np.abs(a), np.abs(b))
        apart = differences[~rounding]
        mean = float(differences.mean()) if len(differences) else math.nan
        half = (float(stats.t.ppf(0.975, len(differences) - 1)
                      * differences.std(ddof=1) / math.sqrt(len(differences)))
                if len(differences) > 1 else math.nan)
        p_value = float(stats.wilcoxon(apart).pvalue) if len(apart) >= 10 else None
        rows.append({"kpi": name, "pairs": int(keep.sum()),
                     "identical": int(np.sum(differences == 0)),
                     "within_rounding": int(rounding.sum()), "mean_old": float(a.mean()),
                     "mean_difference": mean, "ci_half_width": half, "wilcoxon_p": p_value})
    return rows


def yes(answer: bool) -> str:
    return "yes" if answer else "NO"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="HEAD")
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 50, 120])
    parser.add_argument("--skip", choices=["outputs", "distributions"], action="append",
                        default=[])
    parser.add_argument("--out", type=Path, default=HERE / "results" / "equivalence.json")
    parser.add_argument("--dump", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--tree", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.dump:
        dump(arguments.tree, arguments.dump, arguments.sizes, arguments.seeds)
        return

    report = common.opening("equivalence", common.machine())
    revision = common.git("rev-parse", arguments.against)
    report["against"] = {"revision": arguments.against, "commit": revision}
    seeds = 0 if "distributions" in arguments.skip else arguments.seeds
    with tempfile.TemporaryDirectory(prefix="equivalence-") as scratch:
        earlier = Path(scratch) / "earlier"
        earlier.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", arguments.against,
                                  "simulator"], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(earlier)], input=archive, check=True)
        results = {}
        for label, tree in (("earlier", earlier), ("this tree", ROOT)):
            common.say(f"running the engine of {label} ...")
            target = Path(scratch) / f"{label.replace(' ', '_')}.npz"
            subprocess.run([sys.executable, __file__, "--dump", str(target), "--tree",
                            str(tree), "--seeds", str(seeds),
                            "--sizes", *map(str, arguments.sizes)], check=True)
            results[label] = np.load(target)
        old, new = results["earlier"], results["this tree"]
        if "outputs" not in arguments.skip:
            report["outputs"] = compare_outputs(old, new, arguments.sizes)
        if seeds:
            report["distributions"] = compare_distributions(old, new)

    print(f"\nThis tree against {arguments.against} ({revision})")
    for row in report.get("outputs", []):
        beyond = [array for array, value in row["by_array"].items() if value > ROUNDING]
        print(f"  {row['run']:<16} max relative difference {row['max_relative']:.2e}"
              f"{' (' + ', '.join(beyond) + ')' if beyond else ''}, scaled "
              f"{row['max_scaled']:.1e}; events {row['events']:>6,}, the same: "
              f"{yes(row['same_events'])}, in the same order: {yes(row['same_order'])}")
    distributions = report.get("distributions", [])
    if distributions:
        threshold = 0.05 / len(distributions)
        print(f"\nKPIs over {seeds} paired seeds of the baseline (Wilcoxon signed-rank; "
              f"Bonferroni threshold {threshold:.4f})")
        for row in distributions:
            p_value = row["wilcoxon_p"]
            test = ("fewer than 10 pairs apart" if p_value is None else
                    f"p {p_value:.3f}{' DIFFERENT' if p_value < threshold else ''}")
            print(f"  {row['kpi']:<36} within 1e-12 {row['within_rounding']:>3}/{row['pairs']}"
                  f"  mean diff {row['mean_difference']:+.2g} ± {row['ci_half_width']:.2g}"
                  f"  {test}")
    common.save(arguments.out, report)


if __name__ == "__main__":
    main()
