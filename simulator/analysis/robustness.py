"""Robustness of policies across futures the analyst cannot rule out (McPhail et al. 2018).

No single future is the forecast, so a policy is judged by how it does across all of
them: on average (Laplace), in its worst future (maximin, or minimax for a KPI where lower
is better), by how far it falls short of the best policy of each future (regret), and by
the share of futures in which it meets every threshold the analyst set (Starr's domain
criterion). Different metrics rank policies differently, so all are reported side by side.

Each future is itself estimated from a few noisy replications, and the futures are a
sample of the space, so every metric carries a two-stage bootstrap interval: futures are
resampled, then replications within each future, the same replications for every policy.
Replication r ran with the same random numbers under every policy (common random
numbers), so keeping the pairing lets the noise the policies share cancel from regret, as
it does in the real comparison.

Resampling the replications adds their noise to each future's mean once more, so an
extreme over futures (the worst case, the maximum regret) is pushed outwards in the
resamples and its estimate may lie outside its own interval: for these the interval is the
spread of the extreme under both kinds of uncertainty, not a confidence interval of it, and
the report says so where it happens.

A future in which some policy has no value of a KPI cannot be compared across policies;
it is left out of that KPI's metrics and named in the result, never dropped silently.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
import scipy.stats
from numpy.typing import NDArray

from simulator.analysis.stats import check_confidence
from simulator.errors import UserError

Array = NDArray[np.float64]
Bounds = tuple[float | None, float | None]

ALL_CRITERIA = "all criteria"
"""The `outcome` of the rows judging every satisficing criterion at once."""
ENOUGH = 0.9
"""Share of resamples in which the leader must rank first for the futures to be enough:
below it, another sample of futures could well name another leader."""
REGRET_PERCENTILE = 90
"""The percentile of regret over futures that `p90_regret` reports (numpy's linear one)."""
_CHUNK_ELEMENTS = 2**19
"""Resampled runs held at once (future x policy x replication x resample), 4 MiB a copy: a
cap on the memory the bootstrap takes however many futures there are."""
COLUMNS = ["outcome", "metric", "policy", "value", "low", "high", "rank", "first_share",
           "margin", "margin_se", "better", "futures_used"]


@dataclass(frozen=True)
class _Target:
    """What one set of rows judges: KPIs in, metrics out, and which way each is better."""

    outcome: str
    kpis: tuple[str, ...]
    measure: Callable[[list[Array]], dict[str, Array]]
    better: dict[str, int]


def replication_means(runs: pd.DataFrame, kpis: list[str]) -> pd.DataFrame:
    """Each KPI's mean over the ok replications of each (future, policy), and their number `n`.

    A future's value under a policy is what robustness works from; a failed run carries no
    value, and a KPI undefined in a run (NaN) is left out of that KPI's mean.
    """
    ok = runs["status"] == "ok"
    values = runs[kpis].where(ok).assign(n=ok.astype(int), future=runs["future"],
                                         policy=runs["policy"])
    grouped = values.groupby(["future", "policy"], sort=False)
    means = grouped[kpis].mean().join(grouped["n"].sum())
    return means.sort_index(level="future", sort_remaining=False)


def satisfices(means: pd.DataFrame, satisficing: dict[str, Bounds]) -> pd.Series:
    """Whether each row of replication means (a future under a policy) meets every
    satisficing criterion; a KPI without a value there does not meet its criterion (the
    policy did not show that it does)."""
    meets = pd.Series(True, index=means.index)
    for kpi, (minimum, maximum) in satisficing.items():
        values = means[kpi]
        within = values.notna()
        if minimum is not None:
            within &= values >= minimum
        if maximum is not None:
            within &= values <= maximum
        meets &= within
    return meets


def regret(means: Array, direction: int) -> Array:
    """How far each policy (last axis) falls short of the best policy in the same future.

    Always >= 0 and in the KPI's unit; 0 for the best policy of each future.
    """
    oriented = direction * means
    return np.max(oriented, axis=-1, keepdims=True) - oriented


def robustness(runs: pd.DataFrame, outcomes: list[str], directions: dict[str, int],
               satisficing: dict[str, Bounds], policies: list[str], *, resamples: int = 1000,
               confidence: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Every robustness metric of every policy, with bootstrap intervals and ranks.

    One row per (outcome, metric, policy), in that order, policies in the order given.
    `low`/`high` are percentile intervals; `rank` 1 is best, tied policies sharing the lower
    rank; `first_share` is the share of resamples in which the policy ranks first, a tie
    for first splitting that resample equally (so the shares of a metric sum to 1).
    `margin` is the policy's lead over the best of the others (negative: behind), signed so
    that positive is better whichever way the metric runs, and `margin_se` its bootstrap
    standard error (`robustness_sufficiency` reads both). `futures_used` counts the
    futures compared; `dropped_futures` names those left out, and why.
    """
    check_confidence(confidence)
    if resamples < 2:
        raise ValueError(f"resamples must be at least 2; got {resamples}")
    if len(policies) < 2:
        raise UserError(f"robustness compares policies; got only {policies}")
    futures, cubes, compared = _comparable(runs, outcomes, satisficing, policies)
    tables = []
    for target in _targets(outcomes, directions, satisficing):
        kept = compared[target.outcome]
        if kept.sum() < 2:
            raise UserError(
                f"robustness of {target.outcome!r} needs at least 2 futures in which every "
                f"policy has a value; {int(kept.sum())} of {futures.size} have")
        tables.append(_assess(target, [cubes[kpi][kept] for kpi in target.kpis],
                              policies, resamples, confidence, seed))
    return pd.concat(tables, ignore_index=True)


def dropped_futures(runs: pd.DataFrame, outcomes: list[str], satisficing: dict[str, Bounds],
                    policies: list[str]) -> pd.DataFrame:
    """The futures `robustness` leaves out of each outcome, and why: one row per
    (outcome, future), naming the policies with no ok replication there, or else the
    KPI and the policies in whose runs it is undefined."""
    futures, cubes, compared = _comparable(runs, outcomes, satisficing, policies)
    ok_runs = replication_means(runs, [])["n"].unstack("policy")
    no_ok = ok_runs.reindex(index=futures, columns=policies, fill_value=0).to_numpy() == 0
    rows = []
    for outcome, kept in compared.items():
        for index in np.flatnonzero(~kept):
            failed = [policies[p] for p in np.flatnonzero(no_ok[index])]
            reasons = [f"no ok replication of {failed}"] if failed else []
            for kpi in _kpis_of(outcome, satisficing):
                undefined = [policy for policy, mean in zip(policies, _cell_means(
                    cubes[kpi][index])) if np.isnan(mean) and policy not in failed]
                reasons += [f"{kpi} undefined for {undefined}"] if undefined else []
            rows.append((outcome, int(futures[index]), "; ".join(reasons)))
    return pd.DataFrame(rows, columns=["outcome", "future", "reason"])


def robustness_sufficiency(table: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Whether each metric's leader is clear, and roughly how many futures would make it so.

    The leader is the first policy (in the table's order) ranked 1. It is clear when it
    ranks first in at least `ENOUGH` of the resamples. Otherwise its margin over the best
    other policy, `gap`, is set against the bootstrap standard error of that margin, `se`:
    the error shrinks as 1/sqrt(futures), so `n * (z * se / gap)**2` futures would put the
    gap z standard errors from 0 (z the two-sided normal quantile of `confidence`). That
    normal estimate is raised to at least n + 1, as the resamples say n is not enough; it
    is +inf when the leader is tied (gap 0), and NaN when the futures are already enough.
    """
    check_confidence(confidence)
    z = float(scipy.stats.norm.ppf(0.5 + confidence / 2))
    rows = []
    for (outcome, metric), rows_of_metric in table.groupby(["outcome", "metric"], sort=False):
        leader = rows_of_metric[rows_of_metric["rank"] == 1].iloc[0]
        enough = bool(leader["first_share"] >= ENOUGH)
        needed = math.nan if enough else _futures_needed(
            int(leader["futures_used"]), float(leader["margin"]), float(leader["margin_se"]), z)
        rows.append({"outcome": outcome, "metric": metric, "leader": leader["policy"],
                     "first_share": float(leader["first_share"]), "enough": enough,
                     "futures_needed": needed})
    columns = ["outcome", "metric", "leader", "first_share", "enough", "futures_needed"]
    return pd.DataFrame(rows, columns=columns)


def variance_split(runs: pd.DataFrame, outcomes: list[str], policies: list[str]) -> pd.DataFrame:
    """How much of each KPI's spread the futures explain, and how much is run-to-run noise.

    The one-way random-effects ANOVA estimate, per policy: `within` is the mean over
    futures of the variance across replications (ddof=1); `between` is the variance of the
    future means less the part of it the noise makes (`within` times the mean of 1/n over
    futures, `within / R` when balanced), floored at 0. A large `noise_share` says more
    replications, not more futures, would sharpen the picture. With one replication
    (`replications` = 1) noise cannot be told from futures: `within`, `between` and
    `noise_share` are NaN.
    """
    _, cubes = _cubes(runs, outcomes, policies)
    rows = [{"policy": policy, "outcome": kpi, **_split(cubes[kpi][:, index, :])}
            for index, policy in enumerate(policies) for kpi in outcomes]
    columns = ["policy", "outcome", "futures", "replications", "total", "within", "between",
               "noise_share"]
    return pd.DataFrame(rows, columns=columns)


def _split(values: Array) -> dict[str, float]:
    """The variance split of one KPI under one policy, from values[future, replication]."""
    counts = np.isfinite(values).sum(axis=1)
    total = float(_variance(values.reshape(1, -1))[0])
    within = between = noise_share = math.nan
    if np.any(counts >= 2):
        within = float(np.mean(_variance(values[counts >= 2])))
        future_means = _cell_means(values[counts >= 1])
        noise = within * float(np.mean(1 / counts[counts >= 1]))
        between = float(np.maximum(0.0, _variance(future_means[np.newaxis])[0] - noise))
        if within + between > 0:
            noise_share = within / (within + between)
    return {"futures": int(np.sum(counts >= 1)), "replications": values.shape[1],
            "total": total, "within": within, "between": between, "noise_share": noise_share}


def _targets(outcomes: list[str], directions: dict[str, int],
             satisficing: dict[str, Bounds]) -> list[_Target]:
    """The outcomes' metrics, then all satisficing criteria at once, then each alone."""
    targets = []
    for kpi in outcomes:
        direction = directions[kpi]
        if direction not in (1, -1):
            raise ValueError(f"direction of {kpi!r} must be +1 or -1; got {direction}")
        better = {"mean": direction, "worst": direction, "max_regret": -1, "p90_regret": -1}
        targets.append(_Target(kpi, (kpi,), partial(_outcome_metrics, direction=direction),
                               better))
    criteria = list(satisficing.items())
    groups = [(ALL_CRITERIA, criteria)] if criteria else []
    for label, chosen in groups + [(kpi, [(kpi, bounds)]) for kpi, bounds in criteria]:
        targets.append(_Target(label, tuple(kpi for kpi, _ in chosen),
                               partial(_satisficing_share, criteria=chosen),
                               {"satisficing_share": 1}))
    return targets


def _outcome_metrics(kpi_means: list[Array], direction: int) -> dict[str, Array]:
    """Laplace, worst case and regret metrics of one KPI's means[..., future, policy]."""
    means = kpi_means[0]
    regrets = regret(means, direction)
    worst = np.min(means, axis=-2) if direction > 0 else np.max(means, axis=-2)
    return {"mean": np.mean(means, axis=-2), "worst": worst,
            "max_regret": np.max(regrets, axis=-2),
            "p90_regret": np.percentile(regrets, REGRET_PERCENTILE, axis=-2)}


def _satisficing_share(means: list[Array], criteria: list[tuple[str, Bounds]]) -> dict[str, Array]:
    """Share of futures in which the means of every criterion lie within their bounds."""
    meets = np.ones(means[0].shape, dtype=bool)
    for values, (_, (minimum, maximum)) in zip(means, criteria):
        if minimum is not None:
            meets &= values >= minimum
        if maximum is not None:
            meets &= values <= maximum
    return {"satisficing_share": np.mean(meets, axis=-2)}


def _assess(target: _Target, cubes: list[Array], policies: list[str], resamples: int,
            confidence: float, seed: int) -> pd.DataFrame:
    """The target's metrics at the observed runs, and their bootstrap distributions."""
    point = target.measure([_cell_means(cube) for cube in cubes])
    draws = [target.measure(means) for means in _resampled_means(cubes, resamples, seed)]
    tables = []
    for metric, better in target.better.items():
        boot = np.concatenate([draw[metric] for draw in draws])
        table = _summary(point[metric], boot, better, confidence)
        table.insert(0, "policy", policies)
        tables.append(table.assign(outcome=target.outcome, metric=metric,
                                   better="higher" if better > 0 else "lower",
                                   futures_used=cubes[0].shape[0]))
    return pd.concat(tables, ignore_index=True)[COLUMNS]


def _summary(point: Array, boot: Array, better: int, confidence: float) -> pd.DataFrame:
    """Interval, rank, share of resamples won and margin over the rest, per policy."""
    low, high = np.percentile(boot, [50 * (1 - confidence), 50 * (1 + confidence)], axis=0)
    firsts = better * boot == np.max(better * boot, axis=1, keepdims=True)
    return pd.DataFrame({
        "value": point, "low": low, "high": high,
        "rank": scipy.stats.rankdata(-better * point, method="min").astype(int),
        "first_share": np.mean(firsts / firsts.sum(axis=1, keepdims=True), axis=0),
        "margin": _margins(better * point),
        "margin_se": np.std(_margins(better * boot), axis=0, ddof=1)})


def _margins(oriented: Array) -> Array:
    """Each policy's lead (last axis, higher is better) over the best of the others."""
    top = np.sort(oriented, axis=-1)
    best, second = top[..., -1:], top[..., -2:-1]
    return oriented - np.where(oriented == best, second, best)


def _resampled_means(cubes: list[Array], resamples: int, seed: int) -> Iterator[list[Array]]:
    """Replication means of two-stage paired resamples of cube[future, policy, replication].

    Futures are drawn with replacement, then replications within each drawn future, the
    same ones for every policy and KPI. A drawn cell whose drawn replications all lack a
    value keeps its observed mean: it has too few runs to say anything of its noise.
    """
    rng = np.random.default_rng(seed)
    observed = [_cell_means(cube) for cube in cubes]
    present = [np.isfinite(cube).astype(float) for cube in cubes]
    filled = [np.where(np.isfinite(cube), cube, 0.0) for cube in cubes]
    futures, _, replications = cubes[0].shape
    size = max(1, _CHUNK_ELEMENTS // cubes[0].size)
    for start in range(0, resamples, size):
        count = min(size, resamples - start)
        drawn = rng.integers(futures, size=(count, futures))
        weights = _draw_counts(rng.integers(replications, size=(count, futures, replications)))
        yield [_weighted_means(total[drawn] @ weights, number[drawn] @ weights, kept[drawn])
               for total, number, kept in zip(filled, present, observed)]


def _draw_counts(draws: NDArray[np.int64]) -> Array:
    """How often each replication was drawn, from draws[..., draw] of replication indices,
    as a column [..., replication, 1] to weigh the drawn future's runs with."""
    replications = draws.shape[-1]
    rows = draws.reshape(-1, replications)  # the draws of one drawn future per row
    cells = np.arange(rows.shape[0])[:, None] * replications + rows  # (row, replication)
    counts = np.bincount(cells.ravel(), minlength=draws.size)  # one pass, unlike ==
    return counts.reshape(*draws.shape, 1).astype(float)


def _weighted_means(sums: Array, counts: Array, kept: Array) -> Array:
    """Means of the drawn runs; a cell with none of its drawn runs valued keeps `kept`."""
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums[..., 0] / counts[..., 0]
    return np.where(np.isnan(means), kept, means)


def _comparable(runs: pd.DataFrame, outcomes: list[str], satisficing: dict[str, Bounds],
                policies: list[str]) -> tuple[NDArray[np.int64], dict[str, Array],
                                              dict[str, NDArray[np.bool_]]]:
    """The runs as cubes, and for each `outcome` of the table the futures it can compare:
    those where every policy has a mean of each KPI the outcome is judged on."""
    labels = [*outcomes, *([ALL_CRITERIA] if satisficing else []), *satisficing]
    kpis = list(dict.fromkeys([*outcomes, *satisficing]))
    futures, cubes = _cubes(runs, kpis, policies)
    defined = {kpi: np.all(np.isfinite(_cell_means(cube)), axis=1) for kpi, cube in cubes.items()}
    return futures, cubes, {label: np.all([defined[kpi] for kpi in _kpis_of(label, satisficing)],
                                          axis=0) for label in labels}


def _kpis_of(outcome: str, satisficing: dict[str, Bounds]) -> list[str]:
    """The KPIs a row's `outcome` is judged on: itself, or every satisficing criterion's."""
    return list(satisficing) if outcome == ALL_CRITERIA else [outcome]


def _cubes(runs: pd.DataFrame, kpis: list[str],
           policies: list[str]) -> tuple[NDArray[np.int64], dict[str, Array]]:
    """The ok runs' KPIs as arrays [future, policy, replication], NaN where there is none."""
    _check_runs(runs, kpis, policies)
    futures = np.sort(runs["future"].unique())
    replications = np.sort(runs["replication"].unique())
    index = pd.MultiIndex.from_product([futures, policies, replications])
    keys = [runs["future"], runs["policy"], runs["replication"]]
    values = runs[kpis].where(runs["status"] == "ok").set_axis(
        pd.MultiIndex.from_arrays(keys)).reindex(index)
    shape = (futures.size, len(policies), replications.size)
    return futures, {kpi: values[kpi].to_numpy(dtype=float).reshape(shape) for kpi in kpis}


def _cell_means(cube: Array) -> Array:
    """Mean over the last axis of the finite values, NaN where there are none."""
    finite = np.isfinite(cube)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(finite, cube, 0.0).sum(axis=-1) / finite.sum(axis=-1)


def _variance(values: Array) -> Array:
    """Variance (ddof=1) of each row's finite values, NaN with fewer than two."""
    finite = np.isfinite(values)
    count = finite.sum(axis=-1)
    deviations = np.where(finite, values - _cell_means(values)[..., None], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count >= 2, (deviations**2).sum(axis=-1) / (count - 1), np.nan)


def _futures_needed(futures: int, gap: float, se: float, z: float) -> float:
    if gap <= 0:
        return math.inf
    return float(max(math.ceil(futures * (z * se / gap) ** 2), futures + 1))


def _check_runs(runs: pd.DataFrame, kpis: list[str], policies: list[str]) -> None:
    """The runner's contract: the columns, the policies named, one row per run."""
    needed = ["future", "policy", "replication", "status", *kpis]
    missing = [name for name in needed if name not in runs.columns]
    if missing:
        raise ValueError(f"runs have no column(s) {missing}; they have {list(runs.columns)}")
    found = set(runs["policy"])
    if found != set(policies):
        raise ValueError(f"runs are of policies {sorted(found)}, not of {policies}")
    repeated = runs.duplicated(["future", "policy", "replication"])
    if repeated.any():
        raise ValueError("runs have more than one row for (future, policy, replication) "
                         f"{runs.loc[repeated, ['future', 'policy', 'replication']].values[0]}")
