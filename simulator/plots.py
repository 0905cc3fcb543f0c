"""Figures of a run, built on matplotlib's object API (no pyplot, no global state).

Each function returns the Figure so notebooks can show or compose it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.figure import Figure

if TYPE_CHECKING:
    from simulator.results import RunResult

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
             "#000000")
"""A palette that stays distinct for colour-blind readers (Okabe and Ito, 2008)."""

PANELS = (
    ("Interoperability", "index (0-1)", {
        "interop_ally_partner": "ally-partner", "interop_ally_ally": "ally-ally",
        "compatible_share": "ally-partner pairs at level >= 2 (share)"}),
    ("Trust", "index (0-1)", {
        "trust_ally_partner": "ally in partner", "trust_partner_ally": "partner in ally",
        "early_warning": "early-warning coverage (share)"}),
    ("Partners (mean)", "index (0-1)", {
        "partner_standards": "standards", "partner_proficiency": "proficiency",
        "partner_capability": "capability", "partner_stability": "stability"}),
    ("Activities (cumulative)", "count", {
        "exercises_held": "exercises held", "exercises_cancelled": "exercises cancelled",
        "modules_delivered": "program modules", "bias_incidents": "bias incidents",
        "crises": "crises", "crisis_successes": "crises handled",
        "escalations": "escalations"}),
    ("Budget (cumulative)", "budget units", {
        "budget_granted": "granted", "budget_spent": "spent"}),
)


def metrics_over_time(result: RunResult) -> Figure:
    """The main metrics of one run over the years, one panel per theme."""
    figure = Figure(figsize=(15, 8.5), layout="constrained")
    axes = figure.subplots(2, 3).ravel()
    series = result.series
    for ax, (title, unit, metrics) in zip(axes, PANELS):
        for colour, (column, label) in zip(OKABE_ITO, metrics.items()):
            ax.plot(series["year"], series[column], color=colour, label=label, linewidth=1.6)
        _decorate(ax, title, unit)
        if unit.startswith("index"):
            ax.set_ylim(0, 1)
    tension_axis = axes[-1]
    regions = result.regions
    for colour, (region, rows) in zip(OKABE_ITO, regions.groupby("region", sort=False)):
        tension_axis.plot(rows["year"], rows["tension"], color=colour, label=region,
                          linewidth=1.6)
    threshold = result.scenario.parameters.escalation.escalation_threshold
    tension_axis.axhline(threshold, color="grey", linestyle="--", linewidth=1,
                         label="escalation threshold")
    _decorate(tension_axis, "Regional tension", "tension (index, no upper bound)")
    top = max(threshold, float(regions["tension"].max()))
    tension_axis.set_ylim(0, top * 1.45)
    tension_axis.legend(fontsize=8, loc="upper left", ncols=3, frameon=False)
    figure.suptitle(f"Scenario {result.output.scenario!r}, seed {result.seed}", fontsize=13)
    return figure


def _decorate(ax, title: str, unit: str) -> None:
    ax.set_title(title)
    ax.set_xlabel("time (years)")
    ax.set_ylabel(unit)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best", frameon=False)
