"""An exploration's runs analysed into its tables: the outcomes, sensitivity, robustness,
the split of variance into noise and uncertainty, scenario discovery, and whether the
sample of futures was large enough for each.

Each analysis is a pure function of `simulator.analysis`; this module feeds them the
design and the runs, writes what they return, and collects what each could not use
(`left_out`), which the manifest and the report then say.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from simulator.errors import UserError
from simulator.model.metrics import KPIS
from simulator.runs.exploration import ExplorationPlan
from simulator.runs.store import (
    DISCOVERY,
    OUTCOMES,
    ROBUSTNESS,
    SENSITIVITY,
    SUFFICIENCY,
    TRAJECTORIES,
    VARIANCE,
    atomic_csv,
    atomic_write,
)

Map = Callable[[Callable[[Any], Any], Iterable[Any]], Iterable[Any]]
"""How jobs become results, in order: builtin `map` here, `executors.mapper` on workers."""

SUFFICIENCY_COLUMNS = ["analysis", "policy", "outcome", "criterion", "value", "enough",
                       "futures_needed"]
"""One row per output whose sample was judged: large enough, or how many futures it needs."""


def analyse(directory: Path, plan: ExplorationPlan, runs: pd.DataFrame,
            workers: Map | None = None) -> tuple[list[str], dict[str, str]]:
    """Write the outcomes and every analysis; the files written, and what was left out.
    With `workers` (a map onto the exploration's worker processes), PRIM's jobs go
    there first, policy by policy, and this process works out robustness and
    sensitivity meanwhile; without, each in turn here."""
    from simulator.analysis.robustness import replication_means, variance_split

    exploration = plan.exploration
    policies = list(plan.policies)
    satisficing = {kpi: (bounds.min, bounds.max)
                   for kpi, bounds in exploration.satisficing.items()}
    kpis = list(dict.fromkeys([*exploration.outcomes, *satisficing]))
    means = replication_means(runs, kpis)
    atomic_write(directory / OUTCOMES, lambda path: means.reset_index().to_parquet(
        path, index=False))
    incomplete = sorted(set(runs.future[runs.status != "ok"]))
    left_out: dict[str, str] = {}
    if incomplete:  # compared on fewer replications, a future would not be like the others
        left_out["failed runs"] = (
            f"{len(incomplete)} futures with a failed run ({_listed(incomplete)}) are left out "
            "of every analysis; Sobol' indices, which need every future, are not computed")
        runs = runs[~runs.future.isin(incomplete)]
        kept = ~means.index.get_level_values("future").isin(incomplete)
        means = means.astype(float).where(pd.Series(kept, index=means.index), axis=0)
    tables: dict[str, pd.DataFrame] = {}
    checks: list[pd.DataFrame] = []

    waiter = ThreadPoolExecutor(max_workers=1)  # waits on the workers' PRIM jobs
    try:
        discovery = (waiter.submit(_discovery, plan, means, satisficing, incomplete, workers)
                     if workers is not None else None)
        robust, robust_checks, note = _robustness(runs, exploration.outcomes, satisficing,
                                                  policies)
        tables[ROBUSTNESS] = robust
        checks.append(robust_checks)
        if note:
            left_out["robustness"] = note
        tables[VARIANCE] = variance_split(runs, exploration.outcomes, policies)
        sensitivity, sensitivity_checks = _sensitivity(plan, runs, means)
        tables[SENSITIVITY] = sensitivity
        checks.append(sensitivity_checks)
        boxes, trajectories, discovery_checks, note = (
            discovery.result() if discovery is not None
            else _discovery(plan, means, satisficing, incomplete, map))
    finally:  # an interrupted analysis does not wait for the jobs
        waiter.shutdown(wait=False, cancel_futures=True)
    tables[DISCOVERY], tables[TRAJECTORIES] = boxes, trajectories
    checks.append(discovery_checks)
    if note:
        left_out["discovery"] = note
    tables[SUFFICIENCY] = pd.concat([check for check in checks if len(check)],
                                    ignore_index=True).reindex(columns=SUFFICIENCY_COLUMNS) \
        if any(len(check) for check in checks) else pd.DataFrame(columns=SUFFICIENCY_COLUMNS)
    for name, table in tables.items():
        atomic_csv(directory / name, table)
    return [OUTCOMES, *tables], left_out


def _robustness(runs: pd.DataFrame, outcomes: list[str],
                satisficing: dict[str, tuple[float | None, float | None]], policies: list[str]
                ) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Every robustness metric of every policy; its sufficiency; and what was left out."""
    from simulator.analysis.robustness import (
        COLUMNS,
        dropped_futures,
        robustness,
        robustness_sufficiency,
    )

    directions: dict[str, int] = {kpi: KPIS[kpi].direction for kpi in outcomes
                                  if KPIS[kpi].direction}
    judged = [kpi for kpi in outcomes if kpi in directions]
    empty = pd.DataFrame(columns=COLUMNS), pd.DataFrame(columns=SUFFICIENCY_COLUMNS)
    if len(policies) < 2:
        return *empty, "one policy: robustness compares policies"
    if not judged and not satisficing:
        return *empty, "no outcome with a better direction, and no satisficing criteria"
    try:
        table = robustness(runs, judged, directions, satisficing, policies)
    except UserError as error:
        return *empty, str(error)
    dropped = dropped_futures(runs, judged, satisficing, policies)
    note = ""
    if len(dropped):
        futures = sorted(set(dropped.future))
        note = (f"{len(futures)} futures left out where a policy had no value "
                f"({_listed(futures)})")
    unjudged = [kpi for kpi in outcomes if kpi not in directions]
    if unjudged:
        note = "; ".join(filter(None, [note, f"{', '.join(unjudged)}: neither more nor less "
                                              "is better, so no robustness metric"]))
    checks = robustness_sufficiency(table)
    checks = pd.DataFrame({
        "analysis": "robustness", "policy": checks.leader, "outcome": checks.outcome,
        "criterion": [f"{metric}: the leader ranks first in {share:.0%} of resamples"
                      for metric, share in zip(checks.metric, checks.first_share)],
        "value": checks.first_share, "enough": checks.enough,
        "futures_needed": checks.futures_needed})
    return table, checks, note


def _sensitivity(plan: ExplorationPlan, runs: pd.DataFrame, means: pd.DataFrame
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sensitivity indices of every outcome under every policy, and of the primary outcome
    year by year; with whether the sample was large enough."""
    from simulator.analysis.robustness import replication_means
    from simulator.analysis.sensitivity import sensitivity_sufficiency, sensitivity_table

    exploration = plan.exploration
    years = [column for column in runs.columns if column.startswith("year_")]
    yearly = replication_means(runs, years).drop(columns="n") if years else None
    table = sensitivity_table(exploration.sampler, plan.factors, plan.design, means,
                              exploration.outcomes, list(plan.policies), yearly,
                              seed=exploration.seed)
    checks = sensitivity_sufficiency(table, exploration.sampler, plan.factors, len(plan.design))
    return table, checks.assign(analysis="sensitivity")


def _discovery(plan: ExplorationPlan, means: pd.DataFrame,
               satisficing: dict[str, tuple[float | None, float | None]],
               incomplete: list[int], map_: Map
               ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    """PRIM's box of the futures where each policy fails the satisficing criteria, among
    the futures whose runs all finished (a future left out is neither a failure nor not)."""
    from simulator.analysis.discovery import discovery_table

    if not satisficing:
        return (pd.DataFrame(), pd.DataFrame(), pd.DataFrame(columns=SUFFICIENCY_COLUMNS),
                "no satisficing criteria: nothing for a policy to fail")
    from simulator.analysis.robustness import satisfices

    futures = plan.futures.set_index("future").drop(index=incomplete)
    meets = satisfices(means, satisficing)
    fails = {policy: ~meets.xs(policy, level="policy").reindex(futures.index, fill_value=False)
             .to_numpy() for policy in plan.policies}
    boxes, trajectories, checks = discovery_table(futures, fails, seed=plan.exploration.seed,
                                                  factors=plan.factors,
                                                  sampler=plan.exploration.sampler, map_=map_)
    return boxes, trajectories, checks.assign(analysis="discovery"), ""


def _listed(futures: list[int]) -> str:
    """`futures 3, 7 and 12`, the first ten of a long list."""
    shown = ", ".join(map(str, futures[:10]))
    return f"futures {shown}{' and more' if len(futures) > 10 else ''}"
