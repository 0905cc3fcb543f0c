"""What an exploration found, in words computed from its tables, each finding with how far
to trust it: which uncertainties move each outcome (`exploration_drivers.py`), which policy
is most robust by each metric (`exploration_robustness.py`), where each policy fails
(`exploration_failures.py`), how much of each outcome's spread is run-to-run noise, and
whether the sample of futures was large enough; and, from them all, the findings in brief.

Nothing here computes a statistic: the indices, robustness metrics, boxes and checks of
sufficiency are the analyses' (`simulator.analysis`), as `simulator explore` wrote them;
these modules read them (`explored.py`) against the metric catalogue and say what they
mean. The report and the console summary (`exploration_console.py`) speak from the same
records.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulator.analysis.robustness import ALL_CRITERIA
from simulator.model.metrics import KPIS
from simulator.presentation.exploration_drivers import Drivers, drivers, top_drivers
from simulator.presentation.exploration_failures import Failure, failures
from simulator.presentation.exploration_robustness import (
    OutsideInterval,
    Robustness,
    bias_words,
    leaders_words,
    outside_intervals,
    robustness,
    trade_off,
)
from simulator.presentation.explored import Explored, listed, percent

NOISY, QUIET = 0.5, 0.1
"""Shares of an outcome's variance that are run-to-run noise above which more replications
would sharpen it most, and below which the futures make nearly all of its spread."""
FIRM_CUT = 0.2
"""A restriction that leaves out at least this share of an uncertainty's range is firm
enough to name as where every policy fails, in the findings in brief."""
ANALYSIS_WORDS = {"sensitivity": "sensitivity indices", "robustness": "robustness leaders",
                  "discovery": "failure boxes"}


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
        lines.append(f"{leaders_words(most, 'meets', 'meet')} every criterion in the most "
                     f"futures ({percent(most.value)}).")
    lines += top_drivers(found)
    lines += _common_failure(found, failed)
    lines += [f"Run-to-run noise makes {percent(max(n.shares.values()))} of the variance of "
              f"{n.subject.lower()} under some policy: more replications, not more futures, "
              "would sharpen it." for n in noisy
              if max(n.shares.values(), default=0) >= NOISY]
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
