"""Where a policy fails: scenario discovery with PRIM (Friedman and Fisher 1999; Bryant and
Lempert 2010), and how far the box it finds can be trusted.

PRIM peels the space of futures, a sliver at a time, towards the futures where the policy
fails the satisficing criteria, tracing a trajectory of boxes from everything (all the
failures, few of them per future) to a small dense corner. One box is chosen from the
trajectory by a stated rule (`choose`), and the same rule is applied to PRIM refitted on
bootstrap resamples of the futures: limits that wander from resample to resample, or an
uncertainty restricted in some resamples only, mean the box says more than the futures do.
PRIM itself is the `prim` package (Project Platypus), with its default peeling (5% of the
futures a step) and pasting, minimum mass 5%, and its lenient objective.
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from simulator.analysis.designs import Factor
from simulator.analysis.sensitivity import SUFFICIENCY_COLUMNS, design_size

MIN_COVERAGE = 0.5
"""A box must hold at least half of the failures: a scenario that explains fewer explains
too little (the trade-off of coverage against density in Bryant and Lempert 2010)."""
DENSITY_SLACK = 0.02
"""Boxes within this much of the densest are as good: of those, the first on the
trajectory is chosen, the largest and the one with the fewest restrictions, so that
peeling on into noise does not buy a restriction for a sliver of density."""
QP_SIGNIFICANCE = 0.05
"""A restriction of the chosen box whose quasi-p-value (Bryant and Lempert 2010) is above
this is dropped, the least significant first: the failures would be about as dense without
it, so it says nothing the futures show. Peeling takes slivers off every side it can, and
unimportant uncertainties lose some by chance (the EMA Workbench advises inspecting the
qp values and dropping such restrictions)."""
RESAMPLES = 50
"""Bootstrap refits for the box's stability (about 20 ms each on 256 futures)."""
LIMIT_SPREAD = 0.2
"""A restricted limit is stable when its 5th-95th percentile over the resamples spans at
most this share of the uncertainty's range (in the space the design is uniform in)."""
RESTRICTED_SHARE = 0.8
"""A restriction is stable when the resampled boxes restrict that uncertainty this often."""
BOX_COLUMNS = ["policy", "uncertainty", "low", "high", "restricted", "qp_value", "low_p05",
               "low_p95", "high_p05", "high_p95", "restricted_share", "coverage", "density",
               "mass", "coverage_p05", "coverage_p95", "density_p05", "density_p95",
               "failure_share", "note"]
TRAJECTORY_COLUMNS = ["policy", "step", "coverage", "density", "mass", "res_dim", "chosen"]


class Discovery(NamedTuple):
    """One policy's box (a row per uncertainty), its peeling trajectory, and whether the
    futures were enough to trust it (one row, columns as `sensitivity_sufficiency`)."""

    box: pd.DataFrame
    trajectory: pd.DataFrame
    sufficiency: pd.DataFrame


class _Fit(NamedTuple):
    """PRIM's chosen box on one set of futures: limits in the factors' units (a side PRIM
    did not peel at the end of the range), what it restricts, and its statistics."""

    limits: dict[str, tuple[float, float]]
    restricted: dict[str, bool]
    qp_values: dict[str, float]
    coverage: float
    density: float
    mass: float
    trajectory: pd.DataFrame
    chosen: int


def choose(trajectory: pd.DataFrame) -> int:
    """The step chosen from a peeling trajectory: of the boxes holding at least
    `MIN_COVERAGE` of the failures, the first within `DENSITY_SLACK` of the densest."""
    covering = trajectory["coverage"].to_numpy() >= MIN_COVERAGE
    density = trajectory["density"].to_numpy()
    best = density[covering].max()
    return int(np.flatnonzero(covering & (density >= best - DENSITY_SLACK))[0])


def discover(X: pd.DataFrame, fails: ArrayLike, *, resamples: int = RESAMPLES, seed: int = 0,
             factors: Sequence[Factor] | None = None,
             sampler: str | None = None) -> Discovery:
    """PRIM's box of the futures (rows of `X`, columns the uncertainties in their units) in
    which a policy fails, with its stability over `resamples` bootstrap refits.

    `factors` give each uncertainty's range (the design's, else the futures' own); with
    `sampler`, `futures_needed` is rounded up to a size that sampler makes. A policy that
    never fails, or always does, has no box: one row with a note says so.
    """
    futures = X.astype(float).reset_index(drop=True)
    failed = np.asarray(fails, dtype=bool)
    ranges = _ranges(futures, factors)
    share = float(failed.mean())
    fit = _fit(futures, failed, ranges)
    if fit is None:
        what = "never fails in any" if share == 0 else "fails in every one"
        note = f"no box: the policy {what} of the {len(failed)} futures"
        box = pd.DataFrame([{"uncertainty": None, "restricted": False,
                             "failure_share": share, "note": note}])
        criterion = f"no box to settle ({note.removeprefix('no box: ')})"
        return Discovery(box.reindex(columns=BOX_COLUMNS[1:]),
                         pd.DataFrame(columns=TRAJECTORY_COLUMNS[1:]),
                         _sufficiency_row(criterion, math.nan, True, None))
    refits = _refits(futures, failed, ranges, resamples, seed)
    box = _box(fit, refits, share)
    unboxed = sum(refit is None for refit in refits)
    notes = [] if any(fit.restricted.values()) else [
        "PRIM restricted no uncertainty: the failures are not gathered in a box"]
    if unboxed:
        notes.append(f"{unboxed} of {resamples} resamples held no failure (or only failures)")
    box["note"] = "; ".join(notes)
    trajectory = fit.trajectory.assign(chosen=fit.trajectory["step"] == fit.chosen)
    return Discovery(box.reindex(columns=BOX_COLUMNS[1:]), trajectory,
                     _sufficiency(box, len(failed), ranges, factors, sampler))


def discovery_table(X: pd.DataFrame, fails_by_policy: Mapping[str, ArrayLike], *,
                    resamples: int = RESAMPLES, seed: int = 0,
                    factors: Sequence[Factor] | None = None,
                    sampler: str | None = None,
                    map_: Callable[[Callable[[Any], Discovery], Iterable[Any]],
                                   Iterable[Discovery]] = map
                    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """`discover` for each policy: the boxes (written as `discovery.csv`), the peeling
    trajectories and the sufficiency, each with a `policy` column first. Every policy is
    resampled alike (same seed), so their stabilities are compared on the same futures.
    The policies are independent jobs: `map_` may run them on other processes."""
    jobs = [(X, fails, resamples, seed, factors, sampler) for fails in fails_by_policy.values()]
    found = dict(zip(fails_by_policy, map_(_discover_job, jobs), strict=True))
    tables = []
    for part, columns in zip(Discovery._fields, (BOX_COLUMNS, TRAJECTORY_COLUMNS,
                                                 SUFFICIENCY_COLUMNS)):
        frames = [getattr(each, part).assign(policy=policy) for policy, each in found.items()
                  if not getattr(each, part).empty]
        table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        tables.append(table.reindex(columns=columns))
    boxes, trajectories, sufficiency = tables
    return (boxes.astype({"restricted": bool}),
            trajectories.astype({"step": int, "res_dim": int, "chosen": bool}),
            sufficiency.astype({"enough": bool, "futures_needed": "Int64"}))


def _discover_job(job: tuple[pd.DataFrame, ArrayLike, int, int, Sequence[Factor] | None,
                             str | None]) -> Discovery:
    """`discover` of one policy, as a job for another process (a module-level function)."""
    X, fails, resamples, seed, factors, sampler = job
    return discover(X, fails, resamples=resamples, seed=seed, factors=factors, sampler=sampler)


def _ranges(futures: pd.DataFrame,
            factors: Sequence[Factor] | None) -> dict[str, tuple[float, float]]:
    design = {factor.name: (factor.low, factor.high) for factor in factors or []}
    return {name: design.get(name, (float(futures[name].min()), float(futures[name].max())))
            for name in futures.columns}


def _fit(futures: pd.DataFrame, failed: NDArray[np.bool_],
         ranges: Mapping[str, tuple[float, float]]) -> _Fit | None:
    """PRIM's first box on these futures, chosen by `choose`; None without both outcomes."""
    import prim

    if failed.all() or not failed.any():
        return None
    with _quiet():
        box = prim.Prim(futures, failed).find_box()
        steps = box.peeling_trajectory.reset_index(drop=True)
        chosen = choose(steps)
        box.select(chosen)
        peeled = _significant(box)  # restricted uncertainties only: min, max, qp values
    limits, restricted = {}, {}
    for name, (low, high) in ranges.items():
        restricted[name] = name in peeled.index
        if not restricted[name]:
            limits[name] = (low, high)
            continue
        lower, upper = float(peeled.at[name, "min"]), float(peeled.at[name, "max"])
        limits[name] = (lower if lower > futures[name].min() else low,
                        upper if upper < futures[name].max() else high)
    trajectory = pd.DataFrame({"step": steps.index, "coverage": steps["coverage"],
                               "density": steps["density"], "mass": steps["mass"],
                               "res_dim": steps["res dim"].astype(int)})
    return _Fit(limits, restricted, peeled["qp values"].astype(float).to_dict(),
                float(box.coverage), float(box.density), float(box.mass), trajectory, chosen)


def _significant(box: Any) -> Any:
    """The box's limits once every restriction above `QP_SIGNIFICANCE` is dropped, the
    least significant first (each drop changes the others' qp values)."""
    while True:
        peeled = box.limits
        qp = peeled["qp values"].astype(float)
        if peeled.empty or qp.max() <= QP_SIGNIFICANCE:
            return peeled
        box.drop_restriction(qp.idxmax())


def _refits(futures: pd.DataFrame, failed: NDArray[np.bool_],
            ranges: Mapping[str, tuple[float, float]], resamples: int,
            seed: int) -> list[_Fit | None]:
    """The chosen box on each bootstrap resample of the futures (with replacement)."""
    rng = np.random.default_rng(seed)
    refits = []
    for _ in range(resamples):
        drawn = rng.integers(len(futures), size=len(futures))
        refits.append(_fit(futures.iloc[drawn].reset_index(drop=True), failed[drawn], ranges))
    return refits


def _box(fit: _Fit, refits: list[_Fit | None], share: float) -> pd.DataFrame:
    """A row per uncertainty: the box's limits, and their 5th-95th percentiles over the
    resamples that restrict the uncertainty at all; coverage and density likewise over
    every resample with a box."""
    boxed = [refit for refit in refits if refit is not None]
    rows = []
    for name, (low, high) in fit.limits.items():
        restricting = [refit.limits[name] for refit in boxed if refit.restricted[name]]
        lows, highs = [limit[0] for limit in restricting], [limit[1] for limit in restricting]
        rows.append({
            "uncertainty": name, "low": low, "high": high, "restricted": fit.restricted[name],
            "qp_value": fit.qp_values.get(name, math.nan),
            "low_p05": _percentile(lows, 5), "low_p95": _percentile(lows, 95),
            "high_p05": _percentile(highs, 5), "high_p95": _percentile(highs, 95),
            "restricted_share": len(restricting) / len(refits) if refits else math.nan,
        })
    box = pd.DataFrame(rows).assign(
        coverage=fit.coverage, density=fit.density, mass=fit.mass,
        coverage_p05=_percentile([refit.coverage for refit in boxed], 5),
        coverage_p95=_percentile([refit.coverage for refit in boxed], 95),
        density_p05=_percentile([refit.density for refit in boxed], 5),
        density_p95=_percentile([refit.density for refit in boxed], 95),
        failure_share=share, note="")
    return box


def _spread(limits: pd.Series, ranges: Mapping[str, tuple[float, float]],
            factors: Sequence[Factor] | None) -> float:
    """The wider 5th-95th percentile span of an uncertainty's two limits over the
    resamples, as a share of its range in the space the design is uniform in (log for a
    log-uniform factor)."""
    name = limits["uncertainty"]
    logged = any(factor.name == name and factor.log for factor in factors or [])
    scale = np.log if logged else np.asarray
    low, high = ranges[name]
    spans = [abs(scale(limits[f"{side}_p95"]) - scale(limits[f"{side}_p05"]))
             for side in ("low", "high")]
    return float(max(spans) / (scale(high) - scale(low)))


def _sufficiency(box: pd.DataFrame, futures: int, ranges: Mapping[str, tuple[float, float]],
                 factors: Sequence[Factor] | None, sampler: str | None) -> pd.DataFrame:
    """Enough when every restricted limit is stable (`LIMIT_SPREAD`) and every restriction
    recurs (`RESTRICTED_SHARE`); the spread shrinks as 1/sqrt(n), so `futures_needed` is
    F * (spread / LIMIT_SPREAD)^2. A restriction that does not recur gives no such law:
    then futures_needed stays <NA> and the criterion says why."""
    restricted = box[box["restricted"]]
    if restricted.empty:
        return _sufficiency_row("no restriction to settle", 0.0, True, None)
    spread = max(_spread(limits, ranges, factors) for _, limits in restricted.iterrows())
    recurs = float(restricted["restricted_share"].min())
    criterion = (f"largest 5-95% spread of a restricted limit {spread:.3f} of its range "
                 f"(at most {LIMIT_SPREAD}); rarest restriction in {recurs:.0%} of the "
                 f"resamples (at least {RESTRICTED_SHARE:.0%}); value = the spread")
    enough = bool(spread <= LIMIT_SPREAD and recurs >= RESTRICTED_SHARE)
    needed = None
    if spread > LIMIT_SPREAD:
        needed = math.ceil(futures * (spread / LIMIT_SPREAD) ** 2)
        if sampler is not None and factors is not None:
            needed = design_size(sampler, len(factors), needed)
    elif not enough:
        criterion += "; a restriction that does not recur gives no 1/sqrt(n) estimate"
    return _sufficiency_row(criterion, spread, enough, needed)


def _sufficiency_row(criterion: str, value: float, enough: bool,
                     needed: int | None) -> pd.DataFrame:
    row = {"outcome": "satisficing", "criterion": criterion, "value": value,
           "enough": enough, "futures_needed": pd.NA if needed is None else needed}
    return pd.DataFrame([row]).astype({"futures_needed": "Int64"})


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else math.nan


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """PRIM logs each box at INFO and pandas may warn inside it: neither reaches the CLI's
    progress bar. The `prim` logger's level is given back afterwards."""
    logger = logging.getLogger("prim")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings(record=True):
            yield
    finally:
        logger.setLevel(level)
