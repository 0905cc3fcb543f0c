"""Which uncertainties move an outcome: global sensitivity indices over a design of futures.

Each design is read by the analysis made for it (SALib): Saltelli's estimator of Sobol'
indices for a Sobol' design, Morris' elementary effects for Morris trajectories, and
Borgonovo's moment-independent delta (with a first-order index from the same data) for
any other design. Every index carries its bootstrap confidence interval and its value on
the first half of the design, so a reader sees both how precise it is and whether it has
settled. A future with no value is never dropped silently: the `note` says what was done."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from simulator.analysis.designs import MORRIS_LEVELS, Factor, problem, unit_space

Method = Literal["sobol", "morris", "delta"]
METHODS: dict[str, Method] = {"sobol": "sobol", "morris": "morris", "lhs": "delta",
                              "factorial": "delta", "table": "delta"}
"""The analysis each sampler's design is read with."""
INDICES: dict[Method, tuple[str, str]] = {"sobol": ("S1", "ST"), "morris": ("mu_star", "sigma"),
                                          "delta": ("delta", "S1")}
MAIN_INDEX: dict[Method, str] = {"sobol": "ST", "morris": "mu_star", "delta": "delta"}
"""The index sufficiency is judged on: total effect, mean absolute elementary effect, delta."""
RESAMPLES: dict[Method, int] = {"sobol": 500, "morris": 500, "delta": 20}
"""Bootstrap resamples of the confidence intervals. Sobol' and Morris bootstraps cost
microseconds, so 500 (half-widths stable to a few per cent). SALib's delta fits kernel
densities for every uncertainty in every resample, twice: 20 resamples already take about
0.35 s for one output of 256 futures and 6 uncertainties (0.6 s with its half sample,
single-threaded BLAS), and half-widths from 20 are good to about 15%."""
SETTLED = 0.05
"""Largest change of the main index between half and all of the futures for it to count
as settled (Morris' mu_star as a share of the largest mu_star)."""
PRECISE = 0.1
"""Largest confidence half-width of the main index for it to count as precise (same units)."""
COLUMNS = ["policy", "outcome", "year", "method", "uncertainty", "index", "value", "low",
           "high", "includes_zero", "half_value", "note"]
SUFFICIENCY_COLUMNS = ["policy", "outcome", "criterion", "value", "enough", "futures_needed"]
Found = dict[str, tuple[NDArray[np.float64], NDArray[np.float64] | None]]
"""Each index's values over the uncertainties, with their confidence half-widths if any."""


def indices(sampler: str, factors: Sequence[Factor], X: ArrayLike, y: ArrayLike, *,
            confidence: float = 0.95, resamples: int | None = None,
            seed: int = 0) -> pd.DataFrame:
    """The sensitivity indices of one output `y` (one value per future, in design order).

    Returns one row per (uncertainty, index): `value`, the interval `low`..`high` at
    `confidence`, `includes_zero` (the interval cannot tell the effect from none) and a
    `note` of what was done with missing futures, or of why nothing was computed (then the
    values are NaN). SALib gives Morris' sigma no interval: its low and high are NaN and
    its includes_zero False.
    """
    method = METHODS[sampler]
    names = [factor.name for factor in factors]
    outputs = np.asarray(y, dtype=float)
    kept, note = _complete(method, len(factors), outputs)
    if kept is not None and np.ptp(outputs[kept]) == 0:
        kept, note = None, "not computed: the output is the same in every future"
    if kept is None:
        nothing: Found = {index: (np.full(len(names), np.nan), None)
                          for index in INDICES[method]}
        return _tidy(names, nothing, note)
    design = unit_space(np.asarray(X, dtype=float), factors)[kept]
    spec = problem(factors)
    found, trouble = _analyse(method, spec, design, outputs[kept], confidence,
                              RESAMPLES[method] if resamples is None else resamples, seed)
    return _tidy(names, found, "; ".join(filter(None, [note, trouble])))


def first_half(sampler: str, uncertainties: int, X: ArrayLike,
               y: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The design and output cut to the first half that is itself a design of the sampler:
    the first N/2 blocks of a Sobol' design, the first half of the Morris trajectories, the
    first half of the rows of any other."""
    rows = len(np.asarray(y))
    step = {"sobol": uncertainties + 2, "morris": uncertainties + 1, "delta": 1}[
        METHODS[sampler]]
    keep = (rows // step // 2) * step
    return np.asarray(X, dtype=float)[:keep], np.asarray(y, dtype=float)[:keep]


def sensitivity_table(sampler: str, factors: Sequence[Factor], X: ArrayLike,
                      means: pd.DataFrame, outcomes: list[str], policies: list[str],
                      yearly: pd.DataFrame | None = None, *, confidence: float = 0.95,
                      resamples: int | None = None, seed: int = 0) -> pd.DataFrame:
    """The indices of every policy's outcomes (`year` <NA>) and of the primary outcome,
    `outcomes[0]`, as if the horizon ended at each year (`year` 1..H), each beside its
    value on the first half of the design (`half_value`). Written as `sensitivity.csv`.

    `means` and `yearly` are indexed by (future, policy), futures numbered 0..F-1 in
    design order; a future missing from them counts as a missing value.
    """
    design = np.asarray(X, dtype=float)
    futures = pd.RangeIndex(len(design))
    outputs: list[tuple[str, str, int | None, pd.Series]] = [
        (policy, outcome, None, means.xs(policy, level="policy")[outcome])
        for policy in policies for outcome in outcomes]
    if yearly is not None:
        outputs += [(policy, outcomes[0], int(str(column).removeprefix("year_")),
                     yearly.xs(policy, level="policy")[column])
                    for policy in policies for column in yearly.columns]
    frames = []
    for policy, outcome, year, values in outputs:
        y = values.reindex(futures).to_numpy(dtype=float)
        full = indices(sampler, factors, design, y, confidence=confidence,
                       resamples=resamples, seed=seed)
        half = indices(sampler, factors, *first_half(sampler, len(factors), design, y),
                       confidence=confidence, resamples=resamples, seed=seed)
        notes = [full["note"].iloc[0], half["note"].iloc[0]]
        if notes[1] and notes[1] != notes[0]:
            full["note"] = "; ".join(filter(None, [notes[0], f"half: {notes[1]}"]))
        frames.append(full.assign(policy=policy, outcome=outcome, year=year,
                                  method=METHODS[sampler], half_value=half["value"]))
    table = pd.concat(frames, ignore_index=True)[COLUMNS]
    return table.astype({"year": "Int64", "includes_zero": bool})


def sensitivity_sufficiency(table: pd.DataFrame, sampler: str,
                            factors: Sequence[Factor], futures: int) -> pd.DataFrame:
    """Whether the design had futures enough for each policy's whole-run outcomes.

    Enough when the main index (`MAIN_INDEX`) has settled, moving at most `SETTLED` from
    half the futures to all, and is precise, every confidence half-width at most `PRECISE`.
    `value` is the larger of the two measured as a share of its limit, so enough is
    `value <= 1`; both shrink as 1/sqrt(n), so `futures_needed` is F * value^2, rounded
    up to a size the sampler makes (<NA> when enough, or when nothing was computed).
    """
    method = METHODS[sampler]
    index = MAIN_INDEX[method]
    main = table[table["year"].isna() & (table["index"] == index)]
    rows = []
    for (policy, outcome), found in main.groupby(["policy", "outcome"], sort=False):
        scale = found["value"].max() if method == "morris" else 1.0
        change = float((found["value"] - found["half_value"]).abs().max() / scale)
        width = float(((found["high"] - found["low"]) / 2).max() / scale)
        shown = f"{index} / largest {index}" if method == "morris" else index
        if not (math.isfinite(change) and math.isfinite(width)):
            rows.append([policy, outcome, f"{shown}: not computed (see the note)", math.nan,
                         False, pd.NA])
            continue
        value = max(change / SETTLED, width / PRECISE)
        criterion = (f"{shown}: largest change from half the futures {change:.3f} "
                     f"(at most {SETTLED}), largest confidence half-width "
                     f"{width:.3f} (at most {PRECISE}); value = the larger share of its limit")
        needed = pd.NA if value <= 1 else design_size(
            sampler, len(factors), math.ceil(futures * value**2))
        rows.append([policy, outcome, criterion, value, value <= 1, needed])
    result = pd.DataFrame(rows, columns=SUFFICIENCY_COLUMNS)
    return result.astype({"enough": bool, "futures_needed": "Int64"})


def design_size(sampler: str, uncertainties: int, futures: int) -> int:
    """The smallest design of `sampler` with at least `futures` futures: N (D+2) with N a
    power of two from 2 for Sobol', r (D+1) with r >= 2 for Morris, levels^D for a full
    factorial; any count for the others."""
    if sampler == "sobol":
        blocks = max(2, math.ceil(futures / (uncertainties + 2)))
        return 2 ** math.ceil(math.log2(blocks)) * (uncertainties + 2)
    if sampler == "morris":
        return max(2, math.ceil(futures / (uncertainties + 1))) * (uncertainties + 1)
    if sampler == "factorial":
        levels = 2
        while levels**uncertainties < futures:
            levels += 1
        return levels**uncertainties
    return futures


def _complete(method: Method, uncertainties: int,
              y: NDArray[np.float64]) -> tuple[NDArray[np.bool_] | None, str]:
    """The futures the analysis can use, and what was left out (None: nothing usable)."""
    missing = ~np.isfinite(y)
    if method == "sobol":
        if missing.any():
            return None, ("not computed: Saltelli's estimator needs every future of the "
                          f"design, and futures {np.flatnonzero(missing).tolist()} have no value")
        return ~missing, ""
    if method == "morris":
        broken = missing.reshape(-1, uncertainties + 1).any(axis=1)
        if (~broken).sum() < 2:
            return None, (f"not computed: {int((~broken).sum())} of {broken.size} Morris "
                          "trajectories are complete, and elementary effects need 2")
        note = (f"{int(broken.sum())} of {broken.size} trajectories dropped for a future "
                "with no value") if broken.any() else ""
        return np.repeat(~broken, uncertainties + 1), note
    if (~missing).sum() < 2:
        return None, f"not computed: {int((~missing).sum())} futures have a value"
    note = f"{int(missing.sum())} of {y.size} futures dropped (no value)" if missing.any() else ""
    return ~missing, note


def _analyse(method: Method, spec: dict, X: NDArray[np.float64], y: NDArray[np.float64],
             confidence: float, resamples: int,
             seed: int) -> tuple[Found, str]:
    """SALib's analysis of a complete design: each index with its confidence half-width,
    and what SALib said of the uncertainties it could not compute (delta only)."""
    from SALib.analyze import delta, morris, sobol

    salib_seed = seed % (2**32 - 1) + 1  # SALib's sobol and delta take a seed of 0 as none
    if method == "sobol":
        found = sobol.analyze(spec, y, calc_second_order=False, num_resamples=resamples,
                              conf_level=confidence, seed=salib_seed)
        return {index: (found[index], found[f"{index}_conf"]) for index in ("S1", "ST")}, ""
    if method == "morris":
        found = morris.analyze(spec, X, y, num_resamples=resamples, conf_level=confidence,
                               num_levels=MORRIS_LEVELS, seed=seed)
        return {"mu_star": (found["mu_star"], found["mu_star_conf"]),
                "sigma": (found["sigma"], None)}, ""
    # SALib's delta seeds numpy's global generator and sets warning filters and the
    # warning format for the whole process: give all three back as they were.
    state, formatter = np.random.get_state(), warnings.formatwarning
    try:
        with warnings.catch_warnings(record=True) as heard:
            found = delta.analyze(spec, X, y, num_resamples=resamples, conf_level=confidence,
                                  seed=salib_seed)
    finally:
        np.random.set_state(state)
        warnings.formatwarning = formatter
    said = sorted({str(warning.message) for warning in heard})  # SALib's "[name] why"
    failed = ["; ".join(why for why in said if why.startswith(f"[{name}]"))
              or f"[{name}] SALib's delta gave no value"
              for name, value in zip(spec["names"], found["delta_raw"]) if math.isnan(value)]
    return {"delta": (found["delta_raw"], found["delta_raw_conf"]),
            "S1": (found["S1"], found["S1_conf"])}, "; ".join(failed)


def _tidy(names: list[str], found: Found, note: str) -> pd.DataFrame:
    """One row per (uncertainty, index), the interval value +- its half-width."""
    rows = []
    for index, (values, half_widths) in found.items():
        for position, name in enumerate(names):
            value = float(values[position])
            half_width = math.nan if half_widths is None else float(half_widths[position])
            low, high = value - half_width, value + half_width
            rows.append([name, index, value, low, high, bool(low <= 0 <= high), note])
    return pd.DataFrame(rows, columns=["uncertainty", "index", "value", "low", "high",
                                       "includes_zero", "note"])
