"""Honest statistics for comparing policy variants over replications.

Replication k of every variant runs with the same seed (common random numbers,
docs/model.md section 5), so a variant is judged by its paired differences from the
baseline, replication by replication: the noise the arms share cancels, and the
intervals are as narrow as the design allows. Several variants tested against
one baseline are a family, so their p-values are Holm-adjusted per KPI.

A KPI is NaN where it is undefined in a run (no crises, nothing spent); such
values, and any other non-finite ones, are left out, pairwise for differences.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.stats
from numpy.typing import ArrayLike, NDArray

_ROUNDING = 64 * float(np.finfo(float).eps)
"""Relative spread below which paired differences count as one difference repeated."""


@dataclass(frozen=True)
class Interval:
    """A mean with its Student-t confidence interval over `n` finite values."""

    mean: float
    low: float
    high: float
    half_width: float
    n: int


@dataclass(frozen=True)
class PairedDifference:
    """Mean of `variant - baseline` over `n` pairs, its t interval and paired t-test p-value."""

    mean: float
    low: float
    high: float
    p_value: float
    n: int


def mean_interval(values: ArrayLike, confidence: float = 0.95) -> Interval:
    """Student-t confidence interval of the mean of the finite values.

    Replications are few and their KPIs roughly normal, so the t interval is the
    honest one. With one value there is a mean but no spread to judge it by, so
    the interval is NaN; identical values give a zero-width interval.
    """
    check_confidence(confidence)
    finite = _finite(values)
    n = int(finite.size)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, math.nan, 0)
    mean = float(np.mean(finite))
    if n < 2:
        return Interval(mean, math.nan, math.nan, math.nan, n)
    if np.all(finite == finite[0]):
        half_width = 0.0
    else:
        quantile = float(scipy.stats.t.ppf(0.5 + confidence / 2, df=n - 1))
        half_width = quantile * float(np.std(finite, ddof=1)) / math.sqrt(n)
    return Interval(mean, mean - half_width, mean + half_width, half_width, n)


def paired_difference(
    baseline: ArrayLike, variant: ArrayLike, confidence: float = 0.95
) -> PairedDifference:
    """Mean paired difference `variant - baseline`, its t interval and two-sided p-value.

    Element k of both arrays is replication k, run with the same seed, so only
    pairs where both values are finite count. When every difference is the same
    (to within the rounding of the KPI values), the variant shifts the KPI by a
    deterministic amount under common random numbers: there is no sampling
    spread left to test against, so the difference is certain. The interval is
    then the single point and p is 0, or [0, 0] with p = 1 when that shift is zero.
    """
    check_confidence(confidence)
    base = np.asarray(baseline, dtype=float)
    other = np.asarray(variant, dtype=float)
    if base.ndim != 1 or base.shape != other.shape:
        raise ValueError(
            "baseline and variant must be 1-D arrays of the same length, aligned by "
            f"replication; got shapes {base.shape} and {other.shape}"
        )
    both = np.isfinite(base) & np.isfinite(other)
    base, other = base[both], other[both]
    differences = other - base
    n = int(differences.size)
    if n == 0:
        return PairedDifference(math.nan, math.nan, math.nan, math.nan, 0)
    mean = float(np.mean(differences))
    if n < 2:
        return PairedDifference(mean, math.nan, math.nan, math.nan, n)
    scale = max(abs(mean), float(np.max(np.abs(base))), float(np.max(np.abs(other))))
    tolerance = _ROUNDING * scale
    if float(np.max(np.abs(differences - mean))) <= tolerance:
        if abs(mean) <= tolerance:
            return PairedDifference(0.0, 0.0, 0.0, 1.0, n)
        return PairedDifference(mean, mean, mean, 0.0, n)
    test = scipy.stats.ttest_rel(other, base)
    interval = test.confidence_interval(confidence)
    return PairedDifference(mean, float(interval.low), float(interval.high),
                            float(test.pvalue), n)


def holm(p_values: ArrayLike) -> NDArray[np.float64]:
    """Holm-Bonferroni step-down adjusted p-values, in the order given.

    Holm controls the family-wise error rate like Bonferroni but rejects more:
    the i-th smallest of m p-values is multiplied by m - i + 1, then made
    monotone and capped at 1. NaN p-values (untestable comparisons) are passed
    through and do not enlarge the family.
    """
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"p-values must be a 1-D array; got shape {p.shape}")
    present = np.flatnonzero(~np.isnan(p))
    if np.any((p[present] < 0) | (p[present] > 1)):
        raise ValueError(f"p-values must lie in [0, 1]; got {p[present].tolist()}")
    adjusted = p.copy()
    order = present[np.argsort(p[present], kind="stable")]
    family = order.size
    scaled = (family - np.arange(family)) * p[order]
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return adjusted


def summarise(summary: pd.DataFrame, kpis: list[str], confidence: float = 0.95) -> pd.DataFrame:
    """Mean and confidence interval of each KPI for each variant.

    One row per (variant, kpi), variants in their order of first appearance and
    KPIs in the order asked, so tables read the way the experiment was written.
    """
    _check_columns(summary, kpis)
    rows = []
    for variant in _variants(summary):
        runs = summary[summary["variant"] == variant]
        for kpi in kpis:
            interval = mean_interval(runs[kpi].to_numpy(dtype=float), confidence)
            rows.append({
                "variant": variant, "kpi": kpi, "n": interval.n, "mean": interval.mean,
                "ci_low": interval.low, "ci_high": interval.high,
                "half_width": interval.half_width,
            })
    columns = ["variant", "kpi", "n", "mean", "ci_low", "ci_high", "half_width"]
    return pd.DataFrame(rows, columns=columns).astype({"n": int})


def compare(
    summary: pd.DataFrame, baseline: str, kpis: list[str], confidence: float = 0.95
) -> pd.DataFrame:
    """Each variant against the baseline: paired differences with Holm-adjusted p-values.

    Runs are paired on `replication` (the same seed in both arms), whatever the
    row order. For each KPI the variants compared with the baseline form one
    family, so adding a variant makes every claim about that KPI more cautious.
    `baseline_mean` and `variant_mean` are taken over the same pairs as the
    difference, so the three columns agree. `significant` is `p_holm < 1 - confidence`.
    """
    _check_columns(summary, kpis)
    variants = _variants(summary)
    if baseline not in variants:
        raise ValueError(
            f"baseline variant {baseline!r} is not in the summary; its variants are {variants}"
        )
    _check_pairing(summary)
    others = [variant for variant in variants if variant != baseline]
    results: dict[tuple[str, str], dict[str, object]] = {}
    by_replication = summary.pivot(index="replication", columns="variant", values=kpis)
    for kpi in kpis:
        base = by_replication[kpi, baseline].to_numpy(dtype=float)
        p_values = []
        for variant in others:
            other = by_replication[kpi, variant].to_numpy(dtype=float)
            paired = np.isfinite(base) & np.isfinite(other)
            difference = paired_difference(base[paired], other[paired], confidence)
            results[variant, kpi] = {
                "variant": variant, "kpi": kpi, "n": difference.n,
                "baseline_mean": _mean(base[paired]), "variant_mean": _mean(other[paired]),
                "difference": difference.mean, "ci_low": difference.low,
                "ci_high": difference.high, "p_value": difference.p_value,
            }
            p_values.append(difference.p_value)
        adjusted = holm(p_values)
        for variant, p_holm in zip(others, adjusted):
            results[variant, kpi]["p_holm"] = float(p_holm)
            results[variant, kpi]["significant"] = bool(p_holm < 1 - confidence)
    columns = ["variant", "kpi", "n", "baseline_mean", "variant_mean", "difference",
               "ci_low", "ci_high", "p_value", "p_holm", "significant"]
    rows = [results[variant, kpi] for variant in others for kpi in kpis]
    return pd.DataFrame(rows, columns=columns).astype({"n": int, "significant": bool})


def precision_reached(values: ArrayLike, precision: float, confidence: float = 0.95) -> bool:
    """Whether the CI half-width of the mean is at most `precision` times its size.

    The stopping rule for replications (docs/model.md section 7): a relative
    precision, so with fewer than two finite values it is never reached, and
    with a mean of zero only a zero-width interval reaches it.
    """
    interval = mean_interval(values, confidence)
    if interval.n < 2:
        return False
    return bool(interval.half_width <= precision * abs(interval.mean))


def difference_precision_reached(baseline: ArrayLike, variant: ArrayLike, half_width: float,
                                 confidence: float = 0.95) -> bool:
    """Whether the CI of the mean paired difference `variant - baseline` is at most
    `half_width` either side of it: an absolute precision, in the KPI's unit, of what a
    comparison claims. With fewer than two pairs it is never reached; a difference that is
    the same in every pair (certain, see `paired_difference`) always is."""
    difference = paired_difference(baseline, variant, confidence)
    if difference.n < 2:
        return False
    return bool((difference.high - difference.low) / 2 <= half_width)


def _finite(values: ArrayLike) -> NDArray[np.float64]:
    """The finite values of a 1-D array: NaN marks a KPI undefined in that run."""
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"values must be a 1-D array; got shape {array.shape}")
    return array[np.isfinite(array)]


def _mean(values: NDArray[np.float64]) -> float:
    """Mean of an array, NaN when it is empty (without numpy's empty-slice warning)."""
    return float(np.mean(values)) if values.size else math.nan


def check_confidence(confidence: float) -> None:
    """A confidence level is a probability strictly between 0 and 1."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1; got {confidence}")


def _check_columns(summary: pd.DataFrame, kpis: list[str]) -> None:
    """Name every missing column at once rather than fail on the first."""
    missing = [name for name in ["variant", "replication", *kpis] if name not in summary.columns]
    if missing:
        raise ValueError(
            f"summary has no column(s) {missing}; its columns are {list(summary.columns)}"
        )


def _variants(summary: pd.DataFrame) -> list[str]:
    """Variant names in their order of first appearance."""
    return list(pd.unique(summary["variant"]))


def _check_pairing(summary: pd.DataFrame) -> None:
    """Pairs must be one run per (variant, replication), with one seed per replication."""
    duplicated = summary.duplicated(["variant", "replication"], keep=False)
    if duplicated.any():
        pairs = sorted(set(zip(summary.loc[duplicated, "variant"],
                               summary.loc[duplicated, "replication"])))
        raise ValueError(f"summary has more than one row for (variant, replication) {pairs}")
    if "seed" in summary.columns:
        seeds = summary.groupby("replication")["seed"].nunique()
        mixed = seeds.index[seeds > 1].tolist()
        if mixed:
            raise ValueError(
                f"replications {mixed} ran with different seeds in different variants, "
                "so they cannot be paired (common random numbers need the same seed)"
            )
