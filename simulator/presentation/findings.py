"""What an experiment found, in words and tables generated from its numbers: the verdict on
the primary KPI, the trade-offs of each variant, and the set-up a reader needs to judge it.

Nothing here computes a statistic: the paired differences, intervals and Holm-corrected
p-values are the comparison's (`comparison.csv`); this module reads them against the
metric catalogue (which way is better, the smallest effect worth acting on) and says
what they mean. The report's template turns these records into HTML.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from simulator.model.dynamics import interoperability_level
from simulator.model.metrics import (
    ALLY_PARTNER_INTEROPERABILITY,
    COUNT_METRICS,
    HIGHER_IS_BETTER,
    KPIS,
    SERIES,
    TRADE_OFFS,
    Kpi,
    smallest_effect,
)
from simulator.presentation.plot_data import Results
from simulator.runs.store import ExperimentManifest, ExperimentRecord, VariantRecord

Judgement = Literal["better", "worse", "no difference"]
Practical = Literal["clearly", "possibly", "below"]


@dataclass(frozen=True)
class Effect:
    """One variant's paired difference to the baseline in one KPI, read as an analyst would."""

    variant: str
    kpi: Kpi
    baseline: float
    difference: float
    low: float
    high: float
    p_holm: float
    significant: bool
    smallest: float
    """The smallest effect of interest, in the KPI's unit."""

    @property
    def percent(self) -> tuple[float, float, float] | None:
        """The difference and its interval as % of the baseline's mean (None where that is
        0: a percentage of nothing is undefined)."""
        if self.baseline == 0 or math.isnan(self.baseline):
            return None
        scale = 100.0 / abs(self.baseline)
        return self.difference * scale, self.low * scale, self.high * scale

    @property
    def judgement(self) -> Judgement:
        """Better or worse for the catalogue's direction, where significant after Holm;
        for a KPI with no better direction, `no difference` unless significant."""
        if not self.significant or self.difference == 0:
            return "no difference"
        if self.kpi.direction == 0:
            return "no difference"
        up = self.difference > 0
        return "better" if up == (self.kpi.direction == HIGHER_IS_BETTER) else "worse"

    @property
    def practical(self) -> Practical:
        """`clearly` when the whole interval is at least the smallest effect of interest away
        from 0, `possibly` when the estimate is but the interval reaches below it,
        `below` when the estimate itself is smaller."""
        if abs(self.difference) < self.smallest:
            return "below"
        beyond = self.low >= self.smallest if self.difference > 0 else self.high <= -self.smallest
        return "clearly" if beyond else "possibly"


@dataclass(frozen=True)
class LevelMoves:
    """How a variant moves ally-partner pairs across interoperability levels by the end of
    the run, against the baseline's same replication: means over the paired replications."""

    up: float
    down: float
    pairs: int
    replications: int


@dataclass(frozen=True)
class VariantFinding:
    """A variant's effect on the primary KPI, and what else it changes for better or worse."""

    variant: str
    description: str
    primary: Effect
    levels: LevelMoves | None
    better: list[Effect]
    worse: list[Effect]


@dataclass(frozen=True)
class Findings:
    """The verdict: the best variant (only if significantly better on the primary KPI) and
    every variant's finding, in the experiment's order."""

    primary: Kpi
    goal: str
    best: VariantFinding | None
    variants: list[VariantFinding]
    trade_offs: list[tuple[str, list[Kpi]]]
    """The trade-off table's column groups: benefit, cost, risk, each its KPIs."""
    effects: dict[tuple[str, str], Effect]
    """Every (variant, KPI) effect of the comparison."""

    def effect(self, variant: str, kpi: Kpi) -> Effect:
        return self.effects[variant, kpi.name]

    @property
    def improving(self) -> int:
        """How many variants are significantly better than the baseline on the primary KPI."""
        sign = 1 if self.goal == "maximize" else -1
        return sum(finding.primary.significant and sign * finding.primary.difference > 0
                   for finding in self.variants)


def findings(results: Results, manifest: ExperimentManifest, comparison: pd.DataFrame
             ) -> Findings:
    """Read an experiment's comparison against the catalogue and its goal."""
    experiment = manifest.experiment
    effects = {(row["variant"], row["kpi"]): _effect(row, experiment)
               for row in comparison.to_dict("records")}
    primary = KPIS[experiment.primary_metric]
    compared = [variant for variant in results.variants if variant != results.baseline]
    variants = [_variant_finding(results, manifest.variants[variant], effects, variant, primary)
                for variant in compared]
    return Findings(primary, experiment.goal, _best(variants, experiment.goal), variants,
                    _trade_off_columns(primary, effects), effects)


def _effect(row: dict[Any, Any], experiment: ExperimentRecord) -> Effect:
    kpi = KPIS[row["kpi"]]
    baseline = float(row["baseline_mean"])
    return Effect(row["variant"], kpi, baseline, float(row["difference"]), float(row["ci_low"]),
                  float(row["ci_high"]), float(row["p_holm"]), bool(row["significant"]),
                  smallest_effect(kpi.name, baseline, experiment.primary_metric,
                                  experiment.practical_difference))


def _variant_finding(results: Results, record: VariantRecord,
                     effects: dict[tuple[str, str], Effect], variant: str,
                     primary: Kpi) -> VariantFinding:
    own = [effect for (name, _), effect in effects.items() if name == variant]
    headline = [effect for effect in own if effect.kpi.name in _trade_off_names(primary)
                and effect.kpi is not primary]
    levels = (level_moves(results, variant)
              if primary.of[0] in ALLY_PARTNER_INTEROPERABILITY else None)
    return VariantFinding(
        variant, record.description, effects[variant, primary.name], levels,
        better=[effect for effect in headline if effect.judgement == "better"],
        worse=[effect for effect in headline if effect.judgement == "worse"])


def _best(variants: list[VariantFinding], goal: str) -> VariantFinding | None:
    """The variant most improving the primary KPI among those significantly better; none if
    no variant is."""
    sign = 1 if goal == "maximize" else -1
    improving = [finding for finding in variants if finding.primary.significant
                 and sign * finding.primary.difference > 0]
    return max(improving, key=lambda finding: sign * finding.primary.difference, default=None)


def _trade_off_names(primary: Kpi) -> set[str]:
    return {primary.name, *(kpi for kpis in TRADE_OFFS.values() for kpi in kpis)}


def _trade_off_columns(primary: Kpi, effects: dict[tuple[str, str], Effect]
                       ) -> list[tuple[str, list[Kpi]]]:
    """Benefit, cost and risk KPIs the comparison holds, the primary one first."""
    held = {kpi for _, kpi in effects}
    columns = []
    for group, names in TRADE_OFFS.items():
        chosen = [primary.name] if group == "benefit" else []
        chosen += [name for name in names if name != primary.name]
        columns.append((group, [KPIS[name] for name in chosen if name in held]))
    return columns


# --- pairs across interoperability levels ------------------------------------------------------


def level_moves(results: Results, variant: str) -> LevelMoves:
    """Ally-partner pairs whose end-of-run level (of interoperability averaged over domains)
    is above, or below, the baseline's in the same replication; means over replications."""
    ours, theirs = results.pair_interoperability(variant), results.pair_interoperability(
        results.baseline)
    shared = sorted(set(ours) & set(theirs))
    if not shared:
        return LevelMoves(math.nan, math.nan, 0, 0)
    steps = np.array([interoperability_level(ours[k]) - interoperability_level(theirs[k])
                      for k in shared])
    return LevelMoves(float((steps > 0).sum(axis=1).mean()), float((steps < 0).sum(axis=1).mean()),
                      steps.shape[1], len(shared))


# --- the set-up -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One value a variant changes: where, from what (the baseline's), to what."""

    path: str
    before: Any
    after: Any


def changes(results: Results, variant: str) -> list[Change]:
    """Every value `variant`'s resolved scenario has other than the baseline's (scaled values
    as they ended up), from the baseline's to its own; None where one has no such item."""
    return [Change(path, None if before is ABSENT else before,
                   None if after is ABSENT else after)
            for path, before, after in differences(results.scenario(results.baseline),
                                                   results.scenario(variant))]


ABSENT = object()
"""What `differences` gives for an item one side does not have."""


def differences(base: Any, other: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """Every value that differs between two resolved scenarios (or parts of them), by dotted
    path (list items by id), with its value in each (`ABSENT` where one has no such item)."""
    if isinstance(base, dict) and isinstance(other, dict):
        return [change for key in {**base, **other}
                for change in differences(base.get(key, ABSENT), other.get(key, ABSENT),
                                          f"{path}.{key}" if path else str(key))]
    if by_id(base) and by_id(other):
        ours = {item["id"]: item for item in base}
        theirs = {item["id"]: item for item in other}
        return [change for key in {**ours, **theirs}
                for change in differences(ours.get(key, ABSENT), theirs.get(key, ABSENT),
                                          f"{path}.{key}")]
    return [] if base == other else [(path, base, other)]


def by_id(value: Any) -> bool:
    """A list of items named by id (an empty one too), which a dotted path names by id."""
    return isinstance(value, list) and all(
        isinstance(item, dict) and "id" in item for item in value)


def definition(kpi: Kpi) -> str:
    """What a KPI is, in words, from how it sums up its series."""
    first = SERIES[kpi.of[0]].label.removesuffix(" (cumulative)")
    if kpi.statistic == "final":
        return (f"total over the run: {first.lower()}" if kpi.of[0] in COUNT_METRICS
                else f"value at the horizon: {first.lower()}")
    if kpi.statistic == "mean":
        return f"time mean over the run: {first.lower()}"
    if kpi.statistic == "peak":
        return f"highest over the run: {first.lower()}"
    second = SERIES[kpi.of[1]].label.removesuffix(" (cumulative)").lower()
    if kpi.statistic == "ratio":
        return f"{first.lower()} over {second}, at the horizon"
    return f"change over the run of {first.lower()}, per unit of {second}"
