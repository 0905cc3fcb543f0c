"""Where each policy fails the satisficing criteria, in words, with how far to trust it:
PRIM's box of failure, each restriction's limits and which end of the range it keeps, and
whether the limits stay put over resamples of the futures.

The boxes and their checks of sufficiency are `simulator.analysis.discovery`'s, as
`simulator explore` wrote them; this module reads them (`explored.py`) and says what they
mean, for the findings (`exploration_findings.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulator.analysis.discovery import LIMIT_SPREAD, RESTRICTED_SHARE
from simulator.presentation.explored import (
    Explored,
    futures_words,
    limit_words,
    listed,
    percent,
    records,
)


@dataclass(frozen=True)
class Limit:
    """A restriction of a failure box: the uncertainty's limits, and how stable they are."""

    uncertainty: str
    words: str
    side: str
    """Which end of the range the box keeps: `low` or `high` values, or `middle`."""
    qp_value: float
    restricted_share: float
    spread: float
    """The wider 5-95% span of its limits over the resamples, as a share of the range."""
    cut: float
    """The share of the range the box leaves out (in the space the design is uniform in)."""

    @property
    def stable(self) -> bool:
        return self.restricted_share >= RESTRICTED_SHARE and self.spread <= LIMIT_SPREAD


@dataclass(frozen=True)
class Failure:
    """Where one policy fails the satisficing criteria: PRIM's box, and how far to trust it."""

    policy: str
    failure_share: float
    futures: int
    limits: list[Limit]
    coverage: tuple[float, float, float]
    density: tuple[float, float, float]
    """The chosen box's value, and its 5th and 95th percentiles over the resamples."""
    mass: float
    note: str
    enough: bool
    futures_needed: float

    @property
    def subject(self) -> str:
        return self.policy

    @property
    def never_fails(self) -> bool:
        return self.failure_share == 0

    @property
    def text(self) -> str:
        failed = round(self.failure_share * self.futures)
        if self.never_fails:
            return f"never fails: it meets every criterion in all {self.futures} futures."
        if self.failure_share == 1:
            return f"fails in every one of the {self.futures} futures: there is no box to find."
        said = (f"fails in {percent(self.failure_share)} of the futures ({failed} of "
                f"{self.futures}, the base rate). ")
        if not self.limits:
            return said + (self.note or "PRIM found no box") + "."
        coverage, density = self.coverage, self.density
        return said + (
            f"They gather where {listed([limit.words for limit in self.limits])}: that box "
            f"holds {percent(coverage[0])} of the failures (coverage; "
            f"{percent(coverage[1])}–{percent(coverage[2])} over resamples) in "
            f"{percent(self.mass)} of the futures, and it fails in {percent(density[0])} of "
            f"them (density; {percent(density[1])}–{percent(density[2])}).")

    @property
    def line(self) -> str:
        """The box in one line, for the console."""
        if self.never_fails or self.failure_share == 1 or not self.limits:
            return f"{self.policy} {self.text}"
        box = ", ".join(limit.words.split(" (of ")[0] for limit in self.limits)
        trust = "stable" if all(limit.stable for limit in self.limits) else "not stable"
        return (f"{self.policy} fails in {percent(self.failure_share)} of futures; box "
                f"(density {percent(self.density[0])}, coverage {percent(self.coverage[0])}, "
                f"{trust}): {box}")

    @property
    def trust(self) -> str:
        if not self.limits:
            return ""
        stable = [f"`{limit.uncertainty}`" for limit in self.limits if limit.stable]
        wander = [f"`{limit.uncertainty}`" for limit in self.limits if not limit.stable]
        said = []
        if stable:
            said.append(f"Stable over resamples: {listed(stable)}.")
        if wander:
            said.append(f"Not stable (a limit wanders, or the restriction comes and goes): "
                        f"{listed(wander)}.")
        if not self.enough and math.isfinite(self.futures_needed):
            said.append(f"{futures_words(self.futures_needed).capitalize()} would settle "
                        "the box.")
        return " ".join(said)


def failures(found: Explored) -> list[Failure]:
    """Each policy's failure box, in the exploration's order (none without criteria)."""
    boxes = found.discovery
    if boxes.empty:
        return []
    checks = found.sufficiency[found.sufficiency["analysis"] == "discovery"].set_index("policy")
    result = []
    for policy, rows in boxes.groupby("policy", sort=False):
        first = rows.iloc[0]
        restricted = rows[rows["restricted"].astype(bool)]
        limits = [Limit(row["uncertainty"], limit_words(row["uncertainty"], row["low"],
                                                        row["high"], found),
                        _side(found, row), float(row["qp_value"]),
                        float(row["restricted_share"]), _spread(found, row), _cut(found, row))
                  for row in records(restricted)]
        check = records(checks.loc[[policy]])[0] if policy in checks.index else None
        result.append(Failure(
            str(policy), float(first["failure_share"]), len(found.futures), limits,
            (float(first["coverage"]), float(first["coverage_p05"]), float(first["coverage_p95"])),
            (float(first["density"]), float(first["density_p05"]), float(first["density_p95"])),
            float(first["mass"]), "" if pd.isna(first["note"]) else str(first["note"]),
            True if check is None else bool(check["enough"]),
            math.nan if check is None else float(check["futures_needed"])))
    return result


def _cut(found: Explored, row: dict[str, Any]) -> float:
    low, high = found.unit_position(row["uncertainty"], np.array([row["low"], row["high"]]))
    return float(1 - (high - low))


def _side(found: Explored, row: dict[str, Any]) -> str:
    start, end = found.bounds(row["uncertainty"])
    if row["low"] > start and row["high"] < end:
        return "middle"
    return "high" if row["low"] > start else "low"


def _spread(found: Explored, row: dict[str, Any]) -> float:
    """The wider 5-95% span of a restricted uncertainty's two limits over the resamples, as a
    share of its range, in the space the design is uniform in."""
    ends = [found.unit_position(row["uncertainty"], row[side]) for side in
            ("low_p05", "low_p95", "high_p05", "high_p95")]
    return float(max(abs(ends[1] - ends[0]), abs(ends[3] - ends[2])))
