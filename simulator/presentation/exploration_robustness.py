"""Which policy is most robust, in words, with how far to trust it: the leader of each outcome
(and of the satisficing criteria) under each robustness metric, where the metrics or the
outcomes disagree (the trade-off), and the extreme estimates that lie outside their own
bootstrap interval.

The metrics, ranks and checks of sufficiency are `simulator.analysis.robustness`'s, as
`simulator explore` wrote them; this module reads them (`explored.py`) and says what they
mean, for the findings (`exploration_findings.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simulator.analysis.robustness import ALL_CRITERIA, ENOUGH
from simulator.model.metrics import KPIS
from simulator.model.reference import direction_words
from simulator.presentation.explored import (
    METRIC_WORDS,
    Explored,
    criterion_words,
    futures_words,
    listed,
    number,
    percent,
    records,
)

EXTREMES = ("worst", "max_regret")
"""Metrics that are an extreme over futures, whose bootstrap intervals are biased."""


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
            return (f"{leaders_words(standing, 'meets', 'meet')} {them} in the most futures: "
                    f"{standing.value_words()} with its 95% interval, first in "
                    f"{percent(standing.first_share)} of resamples.")
        if self.agree:
            standing = self.standings[0]
            return (f"{leaders_words(standing, 'is', 'are')} the most robust under every metric "
                    "(95% intervals in parentheses): "
                    + "; ".join(f"{METRIC_WORDS[s.metric]} {s.value_words()}"
                                for s in self.standings) + ".")
        by_leader: dict[tuple[str, ...], list[Standing]] = {}
        for standing in self.standings:
            by_leader.setdefault(standing.leaders, []).append(standing)
        return ("The metrics disagree (95% intervals in parentheses): " + "; ".join(
            f"{leaders_words(group[0], 'leads on', 'tie on')} "
            + listed([f"{METRIC_WORDS[s.metric]} {s.value_words()}" for s in group])
            for group in by_leader.values())
            + ". The mean rewards the typical future, the worst case and regret the bad ones: "
            "choose the metric for the risk you carry.")

    @property
    def line(self) -> str:
        """The leaders in one line, for the console."""
        if self.agree:
            led = f"{leaders_words(self.standings[0], 'leads', 'tie')} under every metric"
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


def leaders_words(standing: Standing, one: str = "", several: str = "") -> str:
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
        return (f"{leaders_words(next(iter(means.values())), 'leads', 'tie on')} every outcome on "
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
