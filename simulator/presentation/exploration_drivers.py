"""Which uncertainties move each outcome, in words, with how far to trust the order: the main
sensitivity index of each uncertainty over the policies, ranked in tiers of overlapping
intervals, and those that cannot be told from no effect or hardly matter.

The indices and their checks of sufficiency are `simulator.analysis.sensitivity`'s, as
`simulator explore` wrote them; this module reads them (`explored.py`) and says what they
mean, for the findings (`exploration_findings.py`), the figures and the console.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from typing import Any

import pandas as pd

from simulator.model.metrics import KPIS
from simulator.presentation.explored import (
    Explored,
    futures_words,
    listed,
    number,
    outcome_label,
)

NEGLIGIBLE = 0.01
"""A main index whose whole interval lies below this (Sobol' ST or delta: a share of the
outcome's variance; Morris' mu_star: a share of the largest mu_star) is negligible."""


@dataclass(frozen=True)
class Effect:
    """One uncertainty's main index, over the policies a finding speaks for."""

    uncertainty: str
    lowest: float
    highest: float
    """The lowest and highest estimate over those policies (equal for one policy)."""
    low: float
    high: float
    """The widest interval over those policies."""
    negligible: bool
    """Its whole interval lies below `NEGLIGIBLE`, under every policy: it hardly matters."""
    unclear: bool
    """Not negligible, but no policy shows a clear effect (each interval includes 0, or lies
    below `NEGLIGIBLE`): the futures cannot tell its effect from none."""

    def words(self) -> str:
        """'0.61', or '0.47–0.67' over the policies; in the outcome's unit (Morris' mu_star)
        as `number` gives it where values run past 10."""
        shown = number if max(abs(self.lowest), abs(self.highest)) >= 10 else "{:.2f}".format
        low, high = shown(self.lowest), shown(self.highest)
        return low if low == high else f"{low}–{high}"


@dataclass(frozen=True)
class Drivers:
    """Which uncertainties move one outcome: under every policy at once when the policies
    agree (the same factors, in the same order as far as it is settled), else under one."""

    outcome: str
    policies: tuple[str, ...]
    every_policy: bool
    index: str
    tiers: list[list[Effect]]
    """The uncertainties that matter, most first; those of a tier have overlapping
    intervals, so their order is not settled."""
    unclear: list[Effect]
    negligible: list[Effect]
    not_computed: str
    enough: bool
    futures_needed: float

    @property
    def subject(self) -> str:
        whose = "every policy" if self.every_policy else self.policies[0]
        return f"{outcome_label(self.outcome)}, under {whose}"

    @property
    def text(self) -> str:
        if self.not_computed:
            first = self.not_computed.split("; ")[0]
            return f"no indices ({textwrap.shorten(first, 160, placeholder=' …')}; the " \
                   "full reason is in `sensitivity.csv`)."
        parts = []
        for position, tier in enumerate(self.tiers):
            names = listed([f"`{effect.uncertainty}` ({self.index} {effect.words()})"
                            for effect in tier])
            lead = "moves most with " if position == 0 else "then "
            parts.append(lead + names + (", in no settled order" if len(tier) > 1 else ""))
        said = "; ".join(parts) if parts else "no uncertainty's effect is clear"
        if self.unclear:
            one = len(self.unclear) == 1
            said += (". " + listed([f"`{e.uncertainty}` ({self.index} {e.words()})"
                                    for e in self.unclear])
                     + " cannot be told from no effect: "
                     + ("its interval includes 0" if one else "their intervals include 0"))
        if self.negligible:
            one = len(self.negligible) == 1
            said += (". " + listed([f"`{e.uncertainty}`" for e in self.negligible])
                     + f" hardly {'moves' if one else 'move'} it ({self.index} below "
                     f"{NEGLIGIBLE:g} across {'its interval' if one else 'their intervals'})")
        return said + "."

    @property
    def trust(self) -> str:
        if self.not_computed:
            return ""
        ranked = sum(len(tier) for tier in self.tiers)
        order = ("" if ranked < 2 else
                 "The order is settled: each interval clears the next. " if all(
                     len(tier) == 1 for tier in self.tiers) else
                 "Overlapping intervals leave the order open where it says so. ")
        if self.enough:
            return order + "The indices had settled with the futures run."
        return (order + f"The indices had not settled ({futures_words(self.futures_needed)} "
                "would settle them): read the values as rough.")


def drivers(found: Explored) -> list[Drivers]:
    """For each outcome, which uncertainties move it: once if the policies agree, else one
    finding per policy."""
    whole = found.main_indices
    if whole.empty:
        return []
    result = []
    for outcome in found.outcome_names:
        per_policy = {policy: whole[(whole["policy"] == policy) & (whole["outcome"] == outcome)]
                      for policy in found.policies}
        each = {policy: _drivers(found, outcome, [policy], [rows])
                for policy, rows in per_policy.items()}
        shapes = {_shape(finding) for finding in each.values()}
        if len(shapes) == 1 and len(each) > 1:
            result.append(_drivers(found, outcome, found.policies, list(per_policy.values())))
        else:
            result += each.values()
    return result


def drivers_over_policies(found: Explored, outcome: str) -> Drivers:
    """Which uncertainties move an outcome under some policy: each index's lowest and highest
    estimate over the policies, for a summary (the console's, a figure's marks)."""
    table = found.sensitivity
    rows = table[table["year"].isna() & (table["index"] == found.main_index)
                 & (table["outcome"] == outcome)]
    return _drivers(found, outcome, found.policies, [rows])


def top_drivers(found: Explored) -> list[str]:
    """For the findings in brief: the uncertainty with the largest index under every policy,
    per outcome, and whether it is clearly ahead of the next (its interval clear of theirs
    under every policy)."""
    if found.sensitivity.empty:
        return []
    whole = found.sensitivity[found.sensitivity["year"].isna()
                              & (found.sensitivity["index"] == found.main_index)]
    tops: dict[str, list[tuple[str, bool]]] = {}
    for outcome in found.outcome_names:
        rows = whole[(whole["outcome"] == outcome) & whole["value"].notna()]
        leaders = {str(group.sort_values("value")["uncertainty"].iloc[-1])
                   for _, group in rows.groupby("policy")}
        if len(leaders) == 1:
            each = [_drivers(found, outcome, [str(policy)], [group])
                    for policy, group in rows.groupby("policy")]
            clear = all(d.tiers and len(d.tiers[0]) == 1 for d in each)
            tops.setdefault(leaders.pop(), []).append((KPIS[outcome].label.lower(), clear))
    lines = []
    for name, moved in tops.items():
        every = len(moved) == len(found.outcome_names) > 1
        unclear = [label for label, clear in moved if not clear]
        lines.append(f"`{name}` has the largest {found.main_index} for "
                     + ("every outcome" if every else listed([label for label, _ in moved]))
                     + " under every policy"
                     + (f" (not clearly ahead of the next for {listed(unclear)})"
                        if unclear else ", clearly ahead of the next") + ".")
    return lines


def _drivers(found: Explored, outcome: str, policies: list[str],
             tables: list[pd.DataFrame]) -> Drivers:
    index = found.main_index
    notes = [str(note) for rows in tables for note in rows["note"].dropna() if str(note)]
    checks = found.sufficiency[(found.sufficiency["analysis"] == "sensitivity")
                               & (found.sufficiency["outcome"] == outcome)
                               & found.sufficiency["policy"].isin(policies)]
    enough = bool(checks["enough"].all())
    needed = float(checks["futures_needed"].max()) if not enough else math.nan
    values = pd.concat(tables)
    if values["value"].isna().all():
        return Drivers(outcome, tuple(policies), len(policies) > 1, index, [], [], [],
                       notes[0] if notes else "not computed", enough, needed)
    scale = float(values["value"].max()) if index == "mu_star" else 1.0
    effects = []
    for uncertainty in found.uncertainties:
        rows = values[values["uncertainty"] == uncertainty]
        small = rows["high"] < NEGLIGIBLE * scale
        negligible = bool(small.all())
        effects.append(Effect(uncertainty, float(rows["value"].min()), float(rows["value"].max()),
                              float(rows["low"].min()), float(rows["high"].max()), negligible,
                              not negligible and bool((small | rows["includes_zero"]).all())))
    effects.sort(key=lambda e: -(e.lowest + e.highest))
    material = [e for e in effects if not (e.negligible or e.unclear)]
    tiers: list[list[Effect]] = []
    for effect in material:
        if tiers and effect.high >= tiers[-1][-1].low:
            tiers[-1].append(effect)
        else:
            tiers.append([effect])
    return Drivers(outcome, tuple(policies), len(policies) > 1, index, tiers,
                   [e for e in effects if e.unclear], [e for e in effects if e.negligible], "",
                   enough, needed)


def _shape(finding: Drivers) -> tuple[Any, ...]:
    """What must be the same under every policy for one finding to speak for all."""
    return (tuple(frozenset(e.uncertainty for e in tier) for tier in finding.tiers),
            frozenset(e.uncertainty for e in finding.unclear),
            frozenset(e.uncertainty for e in finding.negligible), bool(finding.not_computed))
