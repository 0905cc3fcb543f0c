"""What `simulator explore` prints when it finishes: the findings in brief, as plain text
for a terminal of 100 columns (the report says them in full)."""

from __future__ import annotations

import math
import textwrap

from simulator.analysis.robustness import ALL_CRITERIA
from simulator.model.metrics import KPIS
from simulator.model.reference import direction_words
from simulator.presentation.exploration_drivers import drivers_over_policies
from simulator.presentation.exploration_findings import findings
from simulator.presentation.explored import (
    METRIC_WORDS,
    Explored,
    explored,
    number,
    percent,
    records,
)
from simulator.runs.store import ExplorationResult


def console_summary(result: ExplorationResult) -> str:
    """What `simulator explore` prints when it finishes: the primary outcome's robustness
    table, the leading uncertainties, each policy's failure box and the verdict on the
    sample, in plain text for a terminal of 100 columns."""
    found = explored(result)
    said = findings(found)
    manifest = found.manifest
    runs = f"{manifest.runs:,} runs, {len(manifest.failed_runs or [])} failed"
    lines = [f"{found.name}: {_counted(len(found.policies), 'policy', 'policies')} x "
             f"{_counted(manifest.futures, 'future')} ({found.sampler}) x "
             f"{_counted(manifest.replications, 'replication')} = {runs}", ""]
    lines += _robustness_table(found)
    lines += [""] if said.robustness else []
    for finding in said.robustness:
        lines += _wrapped(f"{finding.subject}: {finding.line}")
    if said.trade_off:
        lines += _wrapped(said.trade_off)
    lines += ["", f"Uncertainties that matter ({found.main_index}, lowest to highest estimate "
                  "over the policies):"]
    for outcome in found.outcome_names if len(found.sensitivity) else []:
        lines += _wrapped(f"{KPIS[outcome].label}: {_top_uncertainties(found, outcome)}",
                          indent="  ")
    if said.failures:
        lines += ["", "Where each policy fails the satisficing criteria (PRIM's box):"]
        for failure in said.failures:
            lines += _wrapped(failure.line, indent="  ")
    lines += ["", *_wrapped(said.verdict)]
    lines += _wrapped(" ".join(check.text[0].upper() + check.text[1:] for check in said.sample),
                      indent="  ")
    directory = found.directory
    lines += ["", f"Tables in {directory}/, figures in {directory}/plots/",
              f"The report: simulator report {directory}"]
    return "\n".join(lines).replace("`", "").replace("**", "")


def _top_uncertainties(found: Explored, outcome: str) -> str:
    """The uncertainties that clearly move an outcome under some policy, most first."""
    merged = drivers_over_policies(found, outcome)
    if merged.not_computed:
        return merged.text
    shown = [f"`{e.uncertainty}` {e.words()}" for tier in merged.tiers for e in tier]
    unsettled = any(len(tier) > 1 for tier in merged.tiers)
    return "; ".join(filter(None, [
        (", ".join(shown) if shown else "none clearly")
        + (" (order not settled)" if unsettled else ""),
        f"{len(merged.negligible)} negligible" if merged.negligible else "",
        f"{len(merged.unclear)} not told from no effect" if merged.unclear else ""]))


def _robustness_table(found: Explored) -> list[str]:
    """The primary outcome's metrics (and the share of futures meeting every criterion),
    policies down, a star on each metric's leader."""
    table = found.robustness
    rows = table[((table["outcome"] == found.primary) & (table["metric"] != "satisficing_share"))
                 | (table["outcome"] == ALL_CRITERIA)]
    if rows.empty:
        return [f"No robustness table: {found.manifest.left_out.get('robustness', 'none')}"]
    columns = list(dict.fromkeys(rows["metric"]))
    cells = {(row["policy"], row["metric"]): (percent(row["value"])
                                              if row["metric"] == "satisficing_share"
                                              else _significant(row["value"]))
             + ("*" if row["rank"] == 1 else " ") for row in records(rows)}
    width = max(len(policy) for policy in found.policies) + 2
    heads = [METRIC_WORDS[metric].replace("90th-percentile", "p90").replace(
        "share of futures satisficed", "meets all") for metric in columns]
    kpi = KPIS[found.primary]
    lines = [f"Robustness of {kpi.label} ({kpi.unit}; {direction_words(kpi)})",
             " " * width + "".join(f"{head:>14}" for head in heads)]
    lines += [f"{policy:<{width}}" + "".join(f"{cells.get((policy, metric), '-'):>14}"
                                             for metric in columns)
              for policy in found.policies]
    lines.append("* ranks first under that metric (95% intervals in the report)")
    return lines


def _significant(value: float) -> str:
    """A value to three significant figures, trailing zeros kept so that a column reads
    evenly (0.100 beside 0.0982); what rounds to thousands as `number` gives it."""
    if math.isfinite(value) and abs(value) < 999.5:
        return f"{value:#.3g}".removesuffix(".")
    return number(value)


def _counted(count: int, one: str, many: str = "") -> str:
    return f"{count:,} {one if count == 1 else many or one + 's'}"


def _wrapped(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(text, width=100, initial_indent=indent,
                         subsequent_indent=indent + "  ", break_on_hyphens=False)
