"""What an exploration found, in words computed from its tables, each finding with how far
to trust it: which uncertainties move each outcome, which policy is most robust by each
metric (and where the metrics disagree), where each policy fails, how much of each
outcome's spread is run-to-run noise, and whether the sample of futures was large enough.

Nothing here computes a statistic: the indices, robustness metrics, boxes and checks of
sufficiency are the analyses' (`simulator.analysis`), as `simulator explore` wrote them;
this module reads them (`explored.py`) against the metric catalogue and says what they
mean. The report and the console summary (`exploration_console.py`) speak from the same
records.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulator.analysis.discovery import LIMIT_SPREAD, RESTRICTED_SHARE
from simulator.analysis.robustness import ALL_CRITERIA, ENOUGH
from simulator.model.metrics import KPIS
from simulator.model.reference import direction_words
from simulator.presentation.explored import (
    METRIC_WORDS,
    Explored,
    criterion_words,
    futures_words,
    limit_words,
    listed,
    number,
    outcome_label,
    percent,
    records,
)

NEGLIGIBLE = 0.01
"""A main index whose whole interval lies below this (Sobol' ST or delta: a share of the
outcome's variance; Morris' mu_star: a share of the largest mu_star) is negligible."""
NOISY, QUIET = 0.5, 0.1
"""Shares of an outcome's variance that are run-to-run noise above which more replications
would sharpen it most, and below which the futures make nearly all of its spread."""
FIRM_CUT = 0.2
"""A restriction that leaves out at least this share of an uncertainty's range is firm
enough to name as where every policy fails, in the findings in brief."""
EXTREMES = ("worst", "max_regret")
"""Metrics that are an extreme over futures, whose bootstrap intervals are biased."""
ANALYSIS_WORDS = {"sensitivity": "sensitivity indices", "robustness": "robustness leaders",
                  "discovery": "failure boxes"}


# --- which uncertainties matter ---------------------------------------------------------------


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
    table = found.sensitivity
    if table.empty:
        return []
    whole = table[table["year"].isna() & (table["index"] == found.main_index)]
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


# --- which policy is most robust --------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """The leader under one metric of one outcome, with its interval and how settled it is."""

    metric: str
    leaders: tuple[str, ...]
    """The policies ranked first (more than one: tied), in the exploration's order."""
    value: float
    low: float
    high: float
    first_share: float
    enough: bool
    futures_needed: float

    @property
    def leader(self) -> str:
        return self.leaders[0]

    def value_words(self) -> str:
        shown = percent if self.metric == "satisficing_share" else number
        return f"{shown(self.value)} ({shown(self.low)}–{shown(self.high)})"


@dataclass(frozen=True)
class Robustness:
    """Which policy leads one outcome (or the satisficing criteria) under each metric."""

    outcome: str
    standings: list[Standing]
    criteria: str
    """For the share of futures satisficed: what a policy must reach there, in words; else
    empty."""

    @property
    def satisficing(self) -> bool:
        return bool(self.criteria)

    @property
    def subject(self) -> str:
        if self.satisficing:
            return f"Meeting {self.criteria}"
        kpi = KPIS[self.outcome]
        return f"{kpi.label}, {direction_words(kpi)}"

    @property
    def agree(self) -> bool:
        return len({standing.leaders for standing in self.standings}) == 1

    @property
    def text(self) -> str:
        if self.satisficing:
            standing = self.standings[0]
            them = "them all" if self.outcome == ALL_CRITERIA else "it"
            return (f"{_leaders(standing, 'meets', 'meet')} {them} in the most futures: "
                    f"{standing.value_words()} with its 95% interval, first in "
                    f"{percent(standing.first_share)} of resamples.")
        if self.agree:
            standing = self.standings[0]
            return (f"{_leaders(standing, 'is', 'are')} the most robust under every metric "
                    "(95% intervals in parentheses): "
                    + "; ".join(f"{METRIC_WORDS[s.metric]} {s.value_words()}"
                                for s in self.standings) + ".")
        by_leader: dict[tuple[str, ...], list[Standing]] = {}
        for standing in self.standings:
            by_leader.setdefault(standing.leaders, []).append(standing)
        return ("The metrics disagree (95% intervals in parentheses): " + "; ".join(
            f"{_leaders(group[0], 'leads on', 'tie on')} "
            + listed([f"{METRIC_WORDS[s.metric]} {s.value_words()}" for s in group])
            for group in by_leader.values())
            + ". The mean rewards the typical future, the worst case and regret the bad ones: "
            "choose the metric for the risk you carry.")

    @property
    def line(self) -> str:
        """The leaders in one line, for the console."""
        if self.agree:
            led = f"{_leaders(self.standings[0], 'leads', 'tie')} under every metric"
        else:
            led = "; ".join(f"{METRIC_WORDS[s.metric]}: {listed(list(s.leaders))}"
                            for s in self.standings)
        open_ = [f"{METRIC_WORDS[s.metric]} ({percent(s.first_share)} of resamples; "
                 + ("a tie no sample would break)" if s.futures_needed == math.inf else
                    f"{futures_words(s.futures_needed)})") for s in self.standings
                 if not s.enough]
        return f"{led}; " + (f"not settled under {listed(open_)}" if open_ else "settled")

    @property
    def trust(self) -> str:
        open_ = [s for s in self.standings if not s.enough]
        if not open_:
            return (f"Settled: each leader ranks first in at least {percent(ENOUGH)} of "
                    "resamples of the futures.")
        return "Not settled under " + listed([
            f"{METRIC_WORDS[s.metric]} ({s.leader} first in {percent(s.first_share)} of "
            f"resamples; {futures_words(s.futures_needed)} would settle it)"
            if len(s.leaders) == 1 else
            f"{METRIC_WORDS[s.metric]} ({listed(list(s.leaders))} tie: "
            f"{futures_words(s.futures_needed)} would separate them)" for s in open_]) + "."


def _leaders(standing: Standing, one: str = "", several: str = "") -> str:
    """'**a** is', or '**a** and **b** are': the leaders, and the verb for their number."""
    names = listed([f"**{policy}**" for policy in standing.leaders])
    verb = one if len(standing.leaders) == 1 else several
    return f"{names} {verb}".rstrip()


def robustness(found: Explored) -> list[Robustness]:
    """The leaders of every outcome and satisficing target of `robustness.csv`, in order."""
    table = found.robustness
    if table.empty:
        return []
    checks = found.sufficiency[found.sufficiency["analysis"] == "robustness"]
    settled = {(row["outcome"], str(row["criterion"]).split(":")[0]):
               (bool(row["enough"]), float(row["futures_needed"])) for row in records(checks)}
    result = []
    kinds = table.assign(satisficing=table["metric"] == "satisficing_share")
    for (outcome, satisficing), rows in kinds.groupby(["outcome", "satisficing"], sort=False):
        standings = []
        for metric, ranked in rows.groupby("metric", sort=False):
            first = ranked[ranked["rank"] == 1]
            lead = first.iloc[0]
            enough, needed = settled.get((str(outcome), str(metric)),
                                         (bool(lead["first_share"] >= ENOUGH), math.nan))
            standings.append(Standing(str(metric), tuple(first["policy"]), float(lead["value"]),
                                      float(lead["low"]), float(lead["high"]),
                                      float(lead["first_share"]), enough, needed))
        criteria = found.satisficing
        words = ("" if not satisficing else
                 listed([criterion_words(kpi, bounds) for kpi, bounds in criteria.items()])
                 if outcome == ALL_CRITERIA else criterion_words(str(outcome),
                                                                 criteria[str(outcome)]))
        result.append(Robustness(str(outcome), standings, words))
    return result


def trade_off(found: list[Robustness]) -> str:
    """Whether one policy leads on the mean of every outcome; if not, who leads on what."""
    means = {r.outcome: r.standings[0] for r in found if not r.satisficing}
    leaders = {standing.leaders for standing in means.values()}
    if len(means) < 2:
        return ""
    if len(leaders) == 1:
        return (f"{_leaders(next(iter(means.values())), 'leads', 'tie on')} every outcome on "
                "the mean: no trade-off between outcomes.")
    groups: dict[tuple[str, ...], list[str]] = {}
    for outcome, standing in means.items():
        groups.setdefault(standing.leaders, []).append(KPIS[outcome].label.lower())
    return "No policy leads on every outcome: " + "; ".join(
        f"{listed([f'**{p}**' for p in leaders_])} on {listed(labels)}"
        for leaders_, labels in groups.items()) + " (by the mean)."


@dataclass(frozen=True)
class OutsideInterval:
    """A worst-case or max-regret estimate outside its own bootstrap interval."""

    outcome: str
    metric: str
    policy: str
    value: float
    low: float
    high: float

    def words(self) -> str:
        return (f"{self.policy}'s {METRIC_WORDS[self.metric]} of "
                f"{KPIS[self.outcome].label.lower()}, {number(self.value)} against "
                f"{number(self.low)}–{number(self.high)}")


def outside_intervals(found: Explored) -> list[OutsideInterval]:
    table = found.robustness
    if table.empty:
        return []
    extremes = table[table["metric"].isin(EXTREMES)
                     & ((table["value"] < table["low"]) | (table["value"] > table["high"]))]
    return [OutsideInterval(row["outcome"], row["metric"], row["policy"], row["value"],
                            row["low"], row["high"]) for row in records(extremes)]


def bias_words(outside: list[OutsideInterval]) -> str:
    if not outside:
        return ""
    examples = "; ".join(item.words() for item in outside[:3])
    more = f" and {len(outside) - 3} more" if len(outside) > 3 else ""
    return (f"{len(outside)} worst-case or max-regret estimates lie outside their own 95% "
            f"interval ({examples}{more}). An extreme over futures is biased under the "
            "bootstrap: resampling the replications adds noise that pushes it outwards, and "
            "resampling the futures can only lose the extreme one. Read these intervals as "
            "the spread of the extreme, not as its confidence interval.")


# --- where each policy fails ------------------------------------------------------------------


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


# --- noise, and the sample ---------------------------------------------------------------------


@dataclass(frozen=True)
class Noise:
    """How much of one outcome's variance across runs is run-to-run noise, per policy."""

    outcome: str
    shares: dict[str, float]

    @property
    def subject(self) -> str:
        return KPIS[self.outcome].label

    @property
    def text(self) -> str:
        shares = [share for share in self.shares.values() if math.isfinite(share)]
        if not shares:
            return ("noise cannot be told from the futures with one replication per future "
                    "and policy.")
        low, high = min(shares), max(shares)
        amount = percent(low) if percent(low) == percent(high) else \
            f"{percent(low)}–{percent(high)} (by policy)"
        said = f"run-to-run noise is {amount} of its variance"
        if high >= NOISY:
            return said + (": more replications per future, not more futures, would "
                           "sharpen it.")
        if high <= QUIET:
            return said + (": nearly all of its spread comes from the futures, and more "
                           "futures, not more replications, would sharpen it.")
        return said + ": both more replications and more futures would sharpen it."


def noise(found: Explored) -> list[Noise]:
    table = found.variance
    return [Noise(str(outcome), {str(policy): float(share) for policy, share
                                 in zip(rows["policy"], rows["noise_share"])})
            for outcome, rows in table.groupby("outcome", sort=False)] if len(table) else []


@dataclass(frozen=True)
class SampleCheck:
    """Whether the futures were enough for one analysis's outputs."""

    analysis: str
    outputs: int
    enough: int
    needed: list[float]
    """The futures each output that was not enough would need (finite ones)."""
    tied: int
    """Outputs no number of futures would settle (a tie)."""

    @property
    def text(self) -> str:
        what = ANALYSIS_WORDS.get(self.analysis, self.analysis)
        if self.enough == self.outputs:
            return f"{what}: enough futures for all {self.outputs}."
        short = self.outputs - self.enough
        said = (f"{what}: enough futures for {self.enough} of {self.outputs}"
                if self.enough else f"{what}: not enough futures for any of the {self.outputs}")
        if self.needed:
            low, high = min(self.needed), max(self.needed)
            span = f"{low:,.0f}" if low == high else f"{low:,.0f} to {high:,.0f}"
            said += f"; the {short - self.tied} short would need about {span} futures"
        if self.tied:
            ties = "is a tie" if self.tied == 1 else "are ties"
            said += f"; {self.tied} {ties} no sample would break"
        return said + "."


def sample_checks(found: Explored) -> list[SampleCheck]:
    """`sufficiency.csv`, summed up per analysis."""
    result = []
    for analysis, rows in found.sufficiency.groupby("analysis", sort=False):
        short = rows[~rows["enough"].astype(bool)]["futures_needed"].astype(float)
        result.append(SampleCheck(str(analysis), len(rows), int(rows["enough"].sum()),
                                  [float(n) for n in short if math.isfinite(n)],
                                  int(np.isinf(short).sum())))
    return result


def verdict(checks: list[SampleCheck], futures: int) -> str:
    """One sentence: for which analyses the futures were enough."""
    if not checks:
        return ""
    enough = [ANALYSIS_WORDS.get(c.analysis, c.analysis) for c in checks if c.enough == c.outputs]
    partly = [ANALYSIS_WORDS.get(c.analysis, c.analysis) for c in checks
              if 0 < c.enough < c.outputs]
    short = [ANALYSIS_WORDS.get(c.analysis, c.analysis) for c in checks if c.enough == 0]
    said = [f"enough for the {listed(enough)}"] if enough else []
    said += [f"enough for some of the {listed(partly)}"] if partly else []
    said += [f"not enough for the {listed(short)}"] if short else []
    if not short and not partly:
        return f"The {futures} futures were enough for every analysis."
    return f"The {futures} futures were {listed(said)}."


# --- everything at once ------------------------------------------------------------------------


@dataclass(frozen=True)
class Findings:
    """Every finding of an exploration, in the order an analyst reads them."""

    verdict: str
    drivers: list[Drivers]
    robustness: list[Robustness]
    trade_off: str
    failures: list[Failure]
    noise: list[Noise]
    sample: list[SampleCheck]
    outside: list[OutsideInterval]

    headlines: list[str]
    """The findings in brief: a line each on robustness, the uncertainties, failure and
    noise."""

    @property
    def bias(self) -> str:
        return bias_words(self.outside)


def headlines(found: Explored, leaders: list[Robustness], failed: list[Failure],
              noisy: list[Noise]) -> list[str]:
    """What a briefing would open with, each line computed from the findings below it."""
    lines = []
    outcomes = [finding for finding in leaders if not finding.satisficing]
    if outcomes:
        split = [KPIS[finding.outcome].label.lower() for finding in outcomes
                 if not finding.agree]
        lines.append(trade_off(leaders) or outcomes[0].text)
        lines.append("Every robustness metric names the same leader within each outcome."
                     if not split else f"The robustness metrics disagree on {listed(split)}.")
    satisficed = [finding for finding in leaders if finding.satisficing]
    if satisficed:
        most = satisficed[0].standings[0]
        lines.append(f"{_leaders(most, 'meets', 'meet')} every criterion in the most futures "
                     f"({percent(most.value)}).")
    lines += _top_drivers(found)
    lines += _common_failure(found, failed)
    lines += [f"Run-to-run noise makes {percent(max(n.shares.values()))} of the variance of "
              f"{n.subject.lower()} under some policy: more replications, not more futures, "
              "would sharpen it." for n in noisy
              if max(n.shares.values(), default=0) >= NOISY]
    return lines


def _top_drivers(found: Explored) -> list[str]:
    """The uncertainty with the largest index under every policy, per outcome, and whether
    it is clearly ahead of the next (its interval clear of theirs under every policy)."""
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


def _common_failure(found: Explored, failed: list[Failure]) -> list[str]:
    """How often the policies fail, and an end of a range every box restricts towards."""
    failing = [failure for failure in failed if 0 < failure.failure_share < 1]
    if not failed:
        return []
    shares = [failure.failure_share for failure in failed]
    low, high = percent(min(shares)), percent(max(shares))
    lines = [f"The policies fail the criteria in {low if low == high else f'{low[:-1]}–{high}'} "
             "of the futures." if len(failed) > 1 else ""]
    lines += [f"**{failure.policy}** never fails." for failure in failed if failure.never_fails]
    sides = [{(limit.uncertainty, limit.side) for limit in failure.limits
              if limit.cut >= FIRM_CUT} for failure in failing]
    common = set.intersection(*sides) if sides else set()
    if len(failing) > 1 and common:
        lines.append("Every policy's failures gather at " + listed(
            [f"{side} `{name}`" for name, side in sorted(common)]) + ".")
    return [line for line in lines if line]


def findings(found: Explored) -> Findings:
    """Every finding; of the satisficing criteria, those met all at once (each criterion's
    leaders are in the report's table)."""
    checks = sample_checks(found)
    leaders = [finding for finding in robustness(found)
               if not finding.satisficing or finding.outcome == ALL_CRITERIA]
    failed, noisy = failures(found), noise(found)
    return Findings(verdict(checks, len(found.futures)), drivers(found), leaders,
                    trade_off(leaders), failed, noisy, checks, outside_intervals(found),
                    headlines(found, leaders, failed, noisy))
