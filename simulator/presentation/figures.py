"""Figures of results, on matplotlib's object API (no pyplot, no global state).

Every figure function takes what the API hands back: a results directory, an
`ExperimentResult` (from `run_experiment`), a `RunResult` (from `simulate`,
drawn from memory) or the `Results` of `load_results`, which reads each file
once for all the figures drawn from it. Each returns its matplotlib Figure;
one drawing a single axes accepts `ax=`, one drawing several panels `fig=` (a
Figure or a SubFigure), so notebooks can compose them::

    from simulator import plots
    results = plots.load_results("results/compare_policies")
    plots.fan_chart(results, "interop_ally_partner")

Each figure says how many runs it shows: those of the results' tables.
`figures(results)` lists every figure that applies, with a one-line caption and
a note where the figure needs one (an axis that does not start at 0, a variant
identical to the baseline); `omitted(results)` says, a line each, which figures
are left out because they would show a constant; `draw_all` writes the figures
under `DIR/plots/` and the report embeds them.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import BoundaryNorm, ListedColormap, to_rgba
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from simulator.model.dynamics import LEVEL_EDGES
from simulator.model.metrics import (
    HEADLINE_KPIS,
    HIGHER_IS_BETTER,
    HIGHEST_TENSION,
    KPIS,
    NEITHER,
    SERIES,
    TENSION,
    THEMES,
    TRACKED_METRICS,
    smallest_effect,
)
from simulator.presentation.plot_data import Results, Source, as_results, load_results
from simulator.runs.store import ExperimentManifest

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["OKABE_ITO", "FigureSpec", "difference_fan", "difference_heatmaps", "draw_all",
           "fan_chart", "figures", "forest_plot", "heatmaps", "informative_kpis",
           "kpi_distributions", "load_results", "metrics_over_time", "omitted", "save_figure",
           "sharing_network", "timeline"]

Panels = Figure | SubFigure
"""Where a multi-panel figure draws: a whole Figure or a SubFigure of one."""

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
             "#000000")
"""A palette that stays distinct for colour-blind readers (Okabe and Ito, 2008)."""
ALLY_COLOUR, PARTNER_COLOUR = OKABE_ITO[0], OKABE_ITO[1]
SMALL_COLOUR = "#9a9a9a"
"""Effects smaller than the smallest effect of interest, in the forest plot."""
NAMED_NATIONS = 40
"""Beyond this many nations, figures name the groups (allies, partners) instead of each
nation: hundreds of names overlap into a black band and take seconds to lay out."""
NAMED_ROWS = 60
"""Beyond this many activities, the timeline names their kinds instead of each one, and
stops growing taller."""
PNG_DPI = 200
"""Dots per inch of the PNG files: sharp on a slide or a projector (SVG and PDF are
vector graphics, drawn at matplotlib's 100)."""


@dataclass(frozen=True)
class FigureSpec:
    """A figure of the report: its file name, what it shows, and how to draw it."""

    name: str
    caption: str
    draw: Callable[[], Figure]
    note: str = ""
    """What a reader must know to read the figure right, for the report to print under the
    caption: an axis that does not start at the scale's floor, a variant identical to the
    baseline (whose line is not drawn over the baseline's). Empty if nothing."""


def variant_colours(results: Results) -> dict[str, str]:
    """One colour per variant, the same in every figure."""
    return {variant: OKABE_ITO[k % len(OKABE_ITO)] for k, variant in enumerate(results.variants)}


# --- over time ---------------------------------------------------------------------------------


def fan_chart(source: Source, metric: str, ax: Axes | None = None) -> Figure:
    """Median and 50% and 90% bands of `metric` over replications, one colour per variant.

    A variant identical to the baseline in every run is named in the legend, not drawn over
    the baseline's line; the highest tension since the last sample is drawn with the
    escalation threshold it is compared with.
    """
    results = as_results(source)
    figure, ax = _axes(ax, (10, 4.5))
    shown = SERIES[metric]
    colours = variant_colours(results)
    identical = _identical(results, metric)
    for variant in results.variants:
        if variant not in identical:
            bands = results.bands(variant, [metric])[metric]
            q05, q25, q50, q75, q95 = bands.quantiles
            colour = colours[variant]
            # the 90% band as thin edges, so that five variants on one axis stay readable
            ax.plot(bands.years, q05, bands.years, q95, color=colour, linewidth=0.7,
                    alpha=0.7, linestyle=":")
            ax.fill_between(bands.years, q25, q75, color=colour, alpha=0.2, linewidth=0)
            ax.plot(bands.years, q50, color=colour, linewidth=1.8, label=variant)
    if metric == HIGHEST_TENSION.name:
        ax.axhline(_escalation_threshold(results), color="black", linestyle="--", linewidth=1.2,
                   label="escalation threshold")
    ax.set_title(_titled(shown.label, f"({_runs_shown(results, results.variants)})", 80))
    ax.set_xlabel("time (years)")
    bottom, top = _fan_axis(results, metric)
    ax.set_ylim(bottom, top)
    ax.set_ylabel(shown.unit + _floor_label(bottom))
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    handles += [Line2D([], [], color=colours[variant], linewidth=1.8) for variant in identical]
    labels += [f"{variant}: identical to {results.baseline}" for variant in identical]
    if results.kind == "experiment":
        handles += [Patch(facecolor="grey", alpha=0.3),
                    Line2D([], [], color="grey", linewidth=0.7, linestyle=":")]
        labels += ["50% of replications", "90% of replications"]
    ax.legend(handles, labels, fontsize=8, frameon=False, loc="upper left",
              bbox_to_anchor=(1.01, 1.0))
    return figure


def difference_fan(source: Source, metric: str, fig: Panels | None = None) -> Figure:
    """Each variant's paired difference to the baseline in `metric` over the years, one
    panel per variant: median, 50% and 90% bands of replication k of the variant minus
    replication k of the baseline, and 0 marked. It shows when an effect appears, and
    whether it lasts."""
    results = as_results(source)
    compared = _compared(results)
    if not compared:
        raise ValueError("a difference fan needs an experiment's variants besides its baseline")
    shown = SERIES[metric]
    colours = variant_colours(results)
    columns = min(len(compared), 2)
    rows = math.ceil(len(compared) / columns)
    figure = _panels(fig, (12, 1.5 + 2.5 * rows))
    axes = figure.subplots(rows, columns, squeeze=False, sharex=True, sharey=True)
    for ax, variant in zip(axes.ravel(), compared):
        differences = results.differences(variant, [metric])[metric]
        ax.axhline(0, color="black", linewidth=1)
        if differences.identical:
            ax.text(0.5, 0.6, f"identical to {results.baseline}\nin every replication",
                    transform=ax.transAxes, ha="center", va="center", fontsize=10)
        else:
            q05, q25, q50, q75, q95 = differences.quantiles
            colour = colours[variant]
            ax.fill_between(differences.years, q05, q95, color=colour, alpha=0.15, linewidth=0)
            ax.fill_between(differences.years, q25, q75, color=colour, alpha=0.35, linewidth=0)
            ax.plot(differences.years, q50, color=colour, linewidth=1.8)
        ax.set_title(variant, fontsize=10)
        ax.grid(alpha=0.3)
    _label_outer(axes, len(compared), "time (years)", f"difference, {shown.unit}")
    figure.legend(handles=[Line2D([], [], color="black", linewidth=1.8),
                           Patch(facecolor="grey", alpha=0.5), Patch(facecolor="grey", alpha=0.2),
                           Line2D([], [], color="black", linewidth=1)],
                  labels=["median", "50% of paired replications", "90% of paired replications",
                          "no difference"],
                  loc="outside lower center", ncols=4, frameon=False, fontsize=9)
    figure.suptitle(f"{textwrap.fill(shown.label, 100)}\nvariant minus {results.baseline}, "
                    f"replication by replication ({_paired_shown(results, compared)})")
    return _root(figure)


def metrics_over_time(source: Source, fig: Panels | None = None) -> Figure:
    """The main metrics of a single run over the years, one panel per theme."""
    results = as_results(source)
    series = results.series([metric for theme in THEMES for metric in theme.metrics]
                            + [HIGHEST_TENSION.name])
    figure = _panels(fig, (15, 8.5))
    axes = figure.subplots(2, 3).ravel()
    for ax, theme in zip(axes, THEMES):
        for colour, metric in zip(OKABE_ITO, theme.metrics):
            ax.plot(series["year"], series[metric], color=colour, label=SERIES[metric].label,
                    linewidth=1.6)
        _decorate(ax, theme.title, "time (years)", theme.axis)
        if all(SERIES[metric].in_unit_interval for metric in theme.metrics):
            ax.set_ylim(0, 1)
    _regional_tension(results, series[["year", HIGHEST_TENSION.name]], axes[-1])
    figure.suptitle(f"Scenario {results.name!r}, seed {results.manifest.seed}",
                    fontsize=13)
    return _root(figure)


def _regional_tension(results: Results, highest: pd.DataFrame, ax: Axes) -> None:
    """Each region's tension as sampled, and the highest in any region since the previous
    sample: the peaks, which the samples miss, are what cross the escalation threshold."""
    peaks = highest[HIGHEST_TENSION.name]  # wide and pale, under the samples it tops
    ax.plot(highest["year"], peaks, color="#b0b0b0", linewidth=3.5,
            label="highest in any region since the last sample")
    regions = results.regions()
    for colour, (region, rows) in zip(OKABE_ITO, regions.groupby("region", sort=False)):
        ax.plot(rows["year"], rows[TENSION.name], color=colour, label=region, linewidth=1.4)
    threshold = _escalation_threshold(results)
    ax.axhline(threshold, color="black", linestyle="--", linewidth=1.2,
               label="escalation threshold")
    ax.set_ylim(0, max(threshold, float(peaks.max())) * 1.45)
    _decorate(ax, TENSION.label, "time (years)", TENSION.unit)
    ax.legend(fontsize=8, loc="upper left", ncols=2, frameon=False)


def _escalation_threshold(results: Results) -> float:
    """The tension above which a crisis escalates, as the baseline's scenario sets it."""
    return float(results.scenario()["parameters"]["escalation"]["escalation_threshold"])


def _fan_axis(results: Results, metric: str) -> tuple[float, float]:
    """Where a fan chart's value axis runs: over every band drawn (and the escalation
    threshold, for the highest tension)."""
    drawn = np.concatenate([results.bands(variant, [metric])[metric].quantiles.ravel()
                            for variant in results.variants])
    drawn = drawn[np.isfinite(drawn)]
    low, high = (float(drawn.min()), float(drawn.max())) if drawn.size else (0.0, 1.0)
    if metric == HIGHEST_TENSION.name:
        high = max(high, _escalation_threshold(results))
    return _value_axis(low, high, SERIES[metric].in_unit_interval)


def _value_axis(low: float, high: float, unit_interval: bool) -> tuple[float, float]:
    """Where the value axis of a quantity that is never negative runs, a little past its
    values: from its floor, 0, unless the values all lie in the upper half of the range from
    0 (then from a round number just below them, which the figure must say)."""
    margin = 0.05 * ((high - low) or abs(high) or 1.0)
    top = min(high + margin, 1.0) if unit_interval and high <= 1.0 else high + margin
    if low > 0 and low > high / 2:  # from 0, the values would fill less than half the axis
        return max(0.0, float(MaxNLocator(6).tick_values(low - margin, top)[0])), top
    return (0.0 if unit_interval else min(low, 0.0) - margin), top


def _floor_label(bottom: float) -> str:
    """What the value axis's label adds where the axis does not start at the floor, 0."""
    return f"\n(axis starts at {bottom:g}, not 0)" if bottom > 0 else ""


def _floor_note(bottom: float) -> str:
    return f"The value axis starts at {bottom:g}, not at 0." if bottom > 0 else ""


def _compared(results: Results) -> list[str]:
    """The variants compared with the baseline: an experiment's others, if it has a
    comparison (a table of runs, `run_design`, has none)."""
    comparison = results.comparison
    if comparison is None or comparison.empty:
        return []
    return [variant for variant in results.variants if variant != results.baseline]


def _identical(results: Results, metric: str) -> list[str]:
    """The variants whose `metric` equals the baseline's at every sample of every paired
    replication."""
    return [variant for variant in _compared(results)
            if results.differences(variant, [metric])[metric].identical]


def _identical_note(results: Results, identical: list[str]) -> str:
    """'restraint_in_east: identical to baseline in every replication.', or ''."""
    if not identical:
        return ""
    return f"{_listed(identical)}: identical to {results.baseline} in every replication."


def _listed(names: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


# --- comparisons -------------------------------------------------------------------------------


def _panel_title(label: str) -> str:
    """A KPI's label on lines short enough for a panel a third of a figure wide."""
    return textwrap.fill(label, 42)


def _titled(title: str, count: str, width: int) -> str:
    """A title and the count of runs it shows (in parentheses), on one line if it has room
    for both, else the count on a line of its own: wrapped, never cut."""
    if len(title) + 1 + len(count) <= width:
        return f"{title} {count}"
    return f"{textwrap.fill(title, width)}\n{count}"


def forest_plot(source: Source, kpis: list[str] | None = None,
                fig: Panels | None = None) -> Figure:
    """Each variant's paired difference to the baseline with its 95% CI, one panel per KPI,
    in % of the baseline's mean (in the KPI's own unit where that mean is 0 and a % is
    undefined).

    Triangles point to better or worse, as the metric catalogue has it; filled markers are
    significant after Holm correction, hollow ones are not; grey ones are smaller than the
    smallest effect of interest (the experiment's `practical_difference`, or the catalogue's
    default), which is shaded either side of 0.
    """
    results = as_results(source)
    comparison = results.comparison
    if comparison is None:
        raise ValueError("a forest plot needs an experiment's comparison with its baseline")
    kpis = kpis or informative_kpis(results)
    variants = _compared(results)
    columns = 3
    rows = math.ceil(len(kpis) / columns)
    figure = _panels(fig, (13, 2.4 + 1.9 * rows))
    axes = np.atleast_1d(figure.subplots(rows, columns, squeeze=False).ravel())
    for ax, kpi in zip(axes, kpis):
        _forest_panel(ax, results, kpi, comparison[comparison.kpi == kpi], variants)
    for ax in axes[len(kpis):]:
        ax.set_visible(False)
    figure.legend(handles=_forest_legend(), loc="outside lower center", ncols=2, frameon=False,
                  fontsize=9)
    pairs = comparison.loc[comparison.kpi.isin(kpis), "n"]
    figure.suptitle(f"Paired differences to {results.baseline!r} in % of its mean, with 95% "
                    f"confidence intervals, over {_replications(pairs.tolist(), 'paired ')}")
    return _root(figure)


def _forest_panel(ax: Axes, results: Results, kpi: str, rows: pd.DataFrame,
                  variants: list[str]) -> None:
    """One KPI's panel of the forest plot: a mark and an interval per variant, bottom up,
    from its `rows` of the comparison."""
    colours = variant_colours(results)
    percent = _in_percent(rows.baseline_mean.to_numpy(dtype=float))
    by_variant = rows.set_index("variant").to_dict("index")
    for position, variant in enumerate(reversed(variants)):
        if variant not in by_variant:
            continue
        row = by_variant[variant]
        baseline_mean, difference, low, high = (
            float(row[column]) for column in ("baseline_mean", "difference", "ci_low", "ci_high"))
        if not math.isfinite(difference):
            continue
        scale = 100.0 / abs(baseline_mean) if percent else 1.0
        small = abs(difference) < _smallest_effect(results, kpi, baseline_mean)
        colour = SMALL_COLOUR if small else colours[variant]
        ax.errorbar(scale * difference, position,
                    xerr=[[scale * (difference - low)], [scale * (high - difference)]],
                    color=colour, capsize=3, linewidth=1.5)
        ax.plot(scale * difference, position, _direction_marker(difference, kpi), markersize=8,
                color=colour, markerfacecolor=colour if row["significant"] else "white")
    if len(rows):
        baseline_mean = float(rows.baseline_mean.iloc[0])
        band = _smallest_effect(results, kpi, baseline_mean) * (
            100.0 / abs(baseline_mean) if percent else 1.0)
        if math.isfinite(band) and band > 0:
            ax.axvspan(-band, band, color="grey", alpha=0.15, linewidth=0)
    ax.axvline(0, color="grey", linewidth=1)
    ax.set_yticks(range(len(variants)), list(reversed(variants)), fontsize=8)
    ax.set_title(_panel_title(KPIS[kpi].label), fontsize=10)
    ax.set_xlabel("% of the baseline's mean" if percent else
                  f"difference in {KPIS[kpi].unit} (baseline mean "
                  f"{_baseline_mean_words(rows)}: no %)", fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", alpha=0.3)


def _in_percent(baseline_means: np.ndarray) -> bool:
    """Whether a KPI's differences can be given in % of the baseline's mean: not where it is
    0 or undefined."""
    return bool(baseline_means.size) and bool(np.all(np.isfinite(baseline_means)
                                                     & (baseline_means != 0)))


def _baseline_mean_words(table: pd.DataFrame) -> str:
    means = table.baseline_mean.to_numpy(dtype=float)
    return "undefined" if not np.any(np.isfinite(means)) else f"{np.nanmean(means):g}"


def _smallest_effect(results: Results, kpi: str, baseline: float) -> float:
    """The smallest difference in `kpi` worth acting on, as the results' experiment states it
    or the catalogue's default."""
    manifest = results.manifest
    if not isinstance(manifest, ExperimentManifest):
        raise ValueError("a smallest effect of interest is an experiment's")
    experiment = manifest.experiment
    return smallest_effect(kpi, baseline, experiment.primary_metric,
                           experiment.practical_difference)


def _direction_marker(difference: float, kpi: str) -> str:
    """A triangle pointing up where the variant is better than the baseline, down where it
    is worse (as the catalogue has it); a circle where neither is better, or no change."""
    direction = KPIS[kpi].direction
    if direction == NEITHER or difference == 0:
        return "o"
    return "^" if (difference > 0) == (direction == HIGHER_IS_BETTER) else "v"


def _forest_legend() -> list[Line2D | Patch]:
    """The marks of the forest plot: shape for the direction, fill for significance, grey
    for effects too small to matter; two columns of three."""
    def mark(marker: str, label: str, filled: bool = True, colour: str = "black") -> Line2D:
        return Line2D([], [], marker=marker, linestyle="", markersize=8, color=colour,
                      markerfacecolor=colour if filled else "white", label=label)

    return [mark("^", "better than the baseline"), mark("v", "worse than the baseline"),
            mark("o", "neither way is better, or no change"),
            mark("^", "filled: significant (Holm-corrected p < 0.05)"),
            mark("^", "hollow: not significant", filled=False),
            Patch(facecolor=SMALL_COLOUR, alpha=0.45,
                  label="grey: smaller than the smallest effect of interest (shaded about 0)")]


def kpi_distributions(source: Source, kpis: list[str] | None = None,
                      fig: Panels | None = None) -> Figure:
    """Box plots of each variant's paired differences to the baseline in KPIs, replication
    by replication (replication k of the variant minus replication k of the baseline): one
    box per variant, one panel per KPI, 0 marked."""
    results = as_results(source)
    if results.summary is None:
        raise ValueError("KPI distributions need an experiment's replications")
    compared = _compared(results)
    if not compared:
        raise ValueError("KPI distributions of differences need variants besides the baseline")
    kpis = kpis or informative_kpis(results)
    colours = variant_colours(results)
    columns = 3
    rows = math.ceil(len(kpis) / columns)
    figure = _panels(fig, (13, 1.2 + 2.2 * rows))
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    pairs: list[int] = []
    for ax, kpi in zip(axes, kpis):
        differences = results.paired_differences(kpi)
        values = [differences[variant] for variant in compared]
        pairs += [len(value) for value in values]
        ax.axvline(0, color="black", linewidth=1)
        boxes = ax.boxplot(values, orientation="horizontal", patch_artist=True, widths=0.6,
                           tick_labels=compared, medianprops={"color": "black"},
                           flierprops={"markersize": 4})
        for patch, variant in zip(boxes["boxes"], compared):
            patch.set_facecolor(colours[variant])
            patch.set_alpha(0.6)
        for position, value in enumerate(values, start=1):
            if value.size and not np.any(value):
                ax.annotate(f"identical to {results.baseline}", (0, position), xytext=(6, 0),
                            textcoords="offset points", va="center", fontsize=8)
        ax.invert_yaxis()
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.tick_params(axis="both", labelsize=8)
        ax.set_title(_panel_title(KPIS[kpi].label), fontsize=10)
        ax.set_xlabel(f"difference, {KPIS[kpi].unit}", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    for ax in axes[len(kpis):]:
        ax.set_visible(False)
    figure.suptitle(f"Paired differences to {results.baseline!r} in the KPIs, replication by "
                    f"replication, over {_replications(pairs, 'paired ')}")
    return _root(figure)


def _identical_kpis(results: Results, kpis: list[str]) -> dict[str, list[str]]:
    """Per variant, the KPIs in which it equals the baseline in every paired replication."""
    identical: dict[str, list[str]] = {}
    for kpi in kpis:
        for variant, values in results.paired_differences(kpi).items():
            if values.size and not np.any(values):
                identical.setdefault(variant, []).append(KPIS[kpi].label)
    return identical


# --- end of run --------------------------------------------------------------------------------


def informative_kpis(source: Source) -> list[str]:
    """The headline KPIs (`metrics.HEADLINE_KPIS`) that vary at all over an experiment's
    runs: a KPI that is the same in every run says nothing (nor does any, over a single
    run)."""
    summary = as_results(source).summary
    if summary is None:
        return []
    return [kpi for kpi in HEADLINE_KPIS
            if kpi in summary and summary[kpi].nunique(dropna=True) > 1]


def heatmaps(source: Source, variant: str | None = None,
             fig: Panels | None = None) -> Figure:
    """End-of-run trust (row in column) and interoperability levels, averaged over
    replications, with allies and partners grouped."""
    results = as_results(source)
    variant = variant or results.baseline
    end = results.end_state(variant)
    figure = _panels(fig, (15, 6.8))
    trust_ax, interop_ax = figure.subplots(1, 2)
    image = trust_ax.imshow(end.trust, cmap="viridis", vmin=0, vmax=1)
    figure.colorbar(image, ax=trust_ax, shrink=0.8, label="trust (0-1)")
    levels = ListedColormap(["#f0f0f0", "#c6dbef", "#6baed6", "#08519c"])
    edges = (0.0, *LEVEL_EDGES, 1.0)
    image = interop_ax.imshow(end.interoperability, cmap=levels,
                              norm=BoundaryNorm(edges, levels.N))
    bar = figure.colorbar(image, ax=interop_ax, shrink=0.8, label="interoperability level")
    bar.set_ticks([0.125, 0.375, 0.625, 0.875],
                  labels=["0 not interoperable", "1 deconflicted", "2 compatible",
                          "3 integrated"])
    for ax, title in ((trust_ax, "Trust of row nation in column nation"),
                      (interop_ax, "Interoperability (mean over domains)")):
        _group_axes(ax, end.order, end.allies)
        ax.set_title(f"{title}\n{variant}, end of run "
                     f"({_runs_shown(results, [variant], 'mean of')})", fontsize=10)
    return _root(figure)


def difference_heatmaps(source: Source, variant: str, fig: Panels | None = None) -> Figure:
    """A variant's end-of-run trust (row in column) and interoperability minus the
    baseline's, means over replications, on a diverging scale centred on 0: the same scale
    for every variant, so that their figures compare (`_difference_limits`)."""
    results = as_results(source)
    if variant not in _compared(results):
        raise ValueError(f"{variant!r} is not a variant compared with a baseline")
    trust, interoperability = _end_differences(results, variant)
    trust_limit, interoperability_limit = _difference_limits(results)
    end = results.end_state(variant)
    figure = _panels(fig, (15, 6.8))
    trust_ax, interop_ax = figure.subplots(1, 2)
    colours = colormaps["RdBu"].with_extremes(bad="#d0d0d0")  # the diagonal: no pair
    for ax, values, limit, label, title in (
            (trust_ax, trust, trust_limit, "trust (0-1): variant minus baseline",
             "Trust of row nation in column nation"),
            (interop_ax, interoperability, interoperability_limit,
             "interoperability (0-1, a level is 0.25): variant minus baseline",
             "Interoperability (mean over domains)")):
        image = ax.imshow(values, cmap=colours, vmin=-limit, vmax=limit)
        beyond = bool(np.nanmax(np.abs(values)) > limit)
        figure.colorbar(image, ax=ax, shrink=0.8, label=label,
                        extend="both" if beyond else "neither")
        _group_axes(ax, end.order, end.allies)
        ax.set_title(f"{title}\n{variant} minus {results.baseline}, end of run "
                     f"({_runs_shown(results, [results.baseline, variant], 'means of')})",
                     fontsize=10)
    return _root(figure)


def _end_differences(results: Results, variant: str) -> tuple[np.ndarray, np.ndarray]:
    """The variant's mean end-of-run trust and interoperability minus the baseline's, per
    pair (the diagonal NaN)."""
    end, baseline = results.end_state(variant), results.end_state()
    if end.order != baseline.order:
        raise ValueError(f"{variant!r} has other nations, or other roles, than the baseline: "
                         "its pairs have no counterpart to subtract")
    return end.trust - baseline.trust, end.interoperability - baseline.interoperability


def _difference_limits(results: Results) -> tuple[float, float]:
    """Where the shared colour scales of trust and interoperability differences end: at the
    99th percentile of the size of every variant's differences, so that a few pairs that
    change a lot do not wash out the rest (the colour bars mark those beyond)."""
    differences = [_end_differences(results, variant) for variant in _compared(results)]

    def limit(values: list[np.ndarray]) -> float:
        sizes = np.abs(np.concatenate([v.ravel() for v in values]))
        sizes = sizes[np.isfinite(sizes)]
        if not sizes.size or sizes.max() == 0:
            return 1.0
        return float(np.percentile(sizes, 99)) or float(sizes.max())

    return (limit([trust for trust, _ in differences]),
            limit([interop for _, interop in differences]))


def _end_identical(results: Results, variant: str) -> bool:
    """Whether the variant's mean end-of-run trust and interoperability equal the baseline's
    in every pair."""
    return not any(np.any(np.nan_to_num(values)) for values in _end_differences(results, variant))


def sharing_network(source: Source, variant: str | None = None,
                    ax: Axes | None = None) -> Figure:
    """Who shares information at the end of the run: allies and partners on a circle,
    each link as strong as the share of replications in which the pair shares."""
    results = as_results(source)
    variant = variant or results.baseline
    figure, ax = _axes(ax, (8, 8))
    end = results.end_state(variant)
    order, shares = end.order, end.sharing
    roles = results.roles(variant)
    threshold = results.scenario(variant)["parameters"]["sharing"]["share_threshold"]
    angles = np.linspace(0.5 * np.pi, 2.5 * np.pi, len(order), endpoint=False)
    x, y = np.cos(angles), np.sin(angles)
    crowding = min(1.0, NAMED_NATIONS / len(order))  # marks and links thin out in big worlds
    first, second = np.nonzero(np.triu(shares, k=1))
    strength = shares[first, second]
    links = np.stack([np.column_stack([x[first], y[first]]),
                      np.column_stack([x[second], y[second]])], axis=1)
    ax.add_collection(LineCollection(
        list(links),  # one (2, 2) array per link
        colors=[to_rgba("#555555", 0.15 + 0.85 * share) for share in strength],
        linewidths=(0.5 + 2.5 * strength) * crowding))
    colours = [ALLY_COLOUR if roles[n] == "ally" else PARTNER_COLOUR for n in order]
    ax.scatter(x, y, s=260 * crowding, c=colours, zorder=3, edgecolors="white",
               linewidths=crowding)
    if len(order) <= NAMED_NATIONS:
        for name, xi, yi in zip(order, x, y):
            ax.annotate(name, (xi * 1.13, yi * 1.13), ha="center", va="center", fontsize=8)
    ax.set_xlim(-1.35, 1.35)
    ax.set_ylim(-1.35, 1.35)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.legend(handles=[Line2D([], [], marker="o", linestyle="", color=ALLY_COLOUR,
                              markersize=10, label="ally"),
                       Line2D([], [], marker="o", linestyle="", color=PARTNER_COLOUR,
                              markersize=10, label="partner"),
                       Line2D([], [], color="#555555", linewidth=3,
                              label="shares in every replication"),
                       Line2D([], [], color="#555555", alpha=0.3, linewidth=1,
                              label="shares in some")],
              loc="lower center", bbox_to_anchor=(0.5, -0.06), ncols=2, frameon=False,
              fontsize=8)
    ax.set_title(f"Information sharing at the end of the run ({variant}, "
                 f"{_runs_shown(results, [variant], 'share of')}): trust both ways "
                 f">= {threshold:g}", fontsize=10)
    return figure


def timeline(source: Source, variant: str | None = None, ax: Axes | None = None) -> Figure:
    """One replication's story: exercises and program modules as bars, interruptions,
    cancellations, crises and escalations as marks, over the years."""
    results = as_results(source)
    variant = variant or results.baseline
    started: dict[str, float] = {}
    bars: dict[str, list[tuple[float, float]]] = {}
    marks: list[tuple[float, str, str]] = []
    escalations: list[float] = []
    for event in results.trace(variant):
        kind, entity, year = event["kind"], event["entity"], event["time"] / 365.0
        if kind in ("exercise_start", "module_start"):
            started[entity] = year
        elif kind in ("exercise_end", "module_end") and entity in started:
            bars.setdefault(entity, []).append((started.pop(entity), year))
        elif kind == "escalation":
            escalations.append(year)
        elif kind == "crisis":
            marks.append((year, entity, "crisis_success" if event["success"] else
                          "crisis_failure"))
        elif kind in _MARKS:
            marks.append((year, entity, kind))
    kinds_first = ("exercises", "programs", "threats")
    labels = sorted({*bars, *(row for _, row, _ in marks)},
                    key=lambda entity: (kinds_first.index(entity.split(".")[0])
                                        if entity.split(".")[0] in kinds_first else 3, entity))
    position = {entity: k for k, entity in enumerate(labels)}
    named = len(labels) <= NAMED_ROWS
    figure, ax = _axes(ax, (14, 1.5 + 0.3 * min(max(len(labels), 4), NAMED_ROWS)))
    for entity, spans in bars.items():
        colour = OKABE_ITO[0] if entity.startswith("exercises") else OKABE_ITO[2]
        ax.broken_barh([(start, max(end - start, 0.02)) for start, end in spans],
                       (position[entity] - 0.35, 0.7), facecolors=colour)
    for kind, (marker, colour, label) in _MARKS.items():
        points = [(year, position[row]) for year, row, mark in marks if mark == kind]
        if points:
            years, positions = zip(*points)
            ax.scatter(years, positions, marker=marker, color=colour, zorder=3, label=label,
                       s=36 * min(1.0, NAMED_ROWS / len(labels)))  # smaller in squeezed rows
    for year in escalations:
        ax.axvline(year, color=OKABE_ITO[3], linestyle="--", linewidth=1, alpha=0.6)
    handles, names = ax.get_legend_handles_labels()
    handles += [Line2D([], [], color=OKABE_ITO[0], linewidth=6),
                Line2D([], [], color=OKABE_ITO[2], linewidth=6),
                Line2D([], [], color=OKABE_ITO[3], linestyle="--")]
    names += ["exercise", "program module", "escalation"]
    ax.legend(handles, names, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              fontsize=8)
    if named:
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
    else:  # one tick in the middle of each kind's rows
        kinds = [entity.split(".")[0] for entity in labels]
        groups = {kind: [k for k, other in enumerate(kinds) if other == kind]
                  for kind in dict.fromkeys(kinds)}
        ax.set_yticks([(rows[0] + rows[-1]) / 2 for rows in groups.values()],
                      [f"{kind} ({len(rows)})" for kind, rows in groups.items()], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("time (years)")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"Timeline of one replication ({variant})")
    return figure


_MARKS = {
    "exercise_cancelled": ("x", "#999999", "exercise cancelled"),
    "interruption": ("v", OKABE_ITO[4], "program interrupted"),
    "bias_incident": ("d", "black", "bias incident"),
    "crisis_success": ("o", OKABE_ITO[2], "crisis handled"),
    "crisis_failure": ("X", OKABE_ITO[3], "crisis failed"),
}


# --- all figures -------------------------------------------------------------------------------


def figures(source: Source) -> list[FigureSpec]:
    """Every figure that applies to these results, in reading order, with its caption
    (which, like the figure, says how many runs it shows) and its note: for an experiment,
    the forest plot, the fan charts of differences to the baseline, the fan charts of the
    variants, the box plots of differences, then for both kinds the heatmaps, the sharing
    network and the timeline. A figure that would show a constant is left out
    (`omitted` says why)."""
    results = as_results(source)
    specs: list[FigureSpec] = []
    if results.kind == "experiment":
        specs += _experiment_figures(results)
    else:
        specs.append(FigureSpec("metrics", "The main metrics of the run over the years, with "
                                           "the highest tension since each sample and the "
                                           "escalation threshold.",
                                lambda: metrics_over_time(results)))
    baseline = results.baseline
    specs.append(FigureSpec(
        "heatmaps", "End-of-run trust and interoperability levels between every pair "
                    f"({baseline}, {_runs_shown(results, [baseline], 'mean of')}), allies "
                    "first, then partners.",
        lambda: heatmaps(results)))
    for variant in _compared(results):
        if not _end_identical(results, variant):
            specs.append(FigureSpec(
                f"diff_heatmaps_{variant}",
                f"End-of-run trust and interoperability of every pair: {variant} minus "
                f"{baseline} ({_runs_shown(results, [baseline, variant], 'means of')}); blue "
                f"where {variant} is higher, red where it is lower, on the same scale for "
                "every variant (the darkest colours include the few pairs beyond it).",
                partial(difference_heatmaps, results, variant)))
    specs.append(FigureSpec(
        "sharing_network", "Who shares information at the end of the run "
                           f"({baseline}, {_runs_shown(results, [baseline], 'share of')}).",
        lambda: sharing_network(results)))
    if results.trace():
        specs.append(FigureSpec("timeline", "What happened in one replication of "
                                            f"{baseline!r}: activities, crises, escalations.",
                                lambda: timeline(results)))
    return specs


def _experiment_figures(results: Results) -> list[FigureSpec]:
    """The figures over an experiment's replications, before its heatmaps."""
    for variant in results.variants:  # one pass over the runs' files for every fan chart
        results.bands(variant, list(TRACKED_METRICS))
    compared = _compared(results)
    every = _runs_shown(results, results.variants)
    paired = _paired_shown(results, compared)
    kpis = informative_kpis(results) if compared else []
    drawn = [metric for metric in TRACKED_METRICS if _constant(results, metric) is None]
    specs: list[FigureSpec] = []
    if kpis:
        specs.append(FigureSpec(
            "forest", "Each variant's paired difference to the baseline in the main KPIs, in % "
                      f"of the baseline's mean, with 95% confidence intervals over {paired}: "
                      "triangles point to better or worse, filled markers are significant "
                      "after Holm correction, grey ones smaller than the smallest effect of "
                      "interest.",
            lambda: forest_plot(results), _forest_note(results, kpis)))
    for metric in drawn if compared else []:
        identical = _identical(results, metric)
        if len(identical) < len(compared):
            specs.append(FigureSpec(
                f"diff_{metric}", f"{SERIES[metric].label}: each variant minus the baseline "
                                  "over time, replication by replication: median (line), 50% "
                                  f"and 90% (bands) of {paired}; above 0, the variant is "
                                  "higher.",
                partial(difference_fan, results, metric), _identical_note(results, identical)))
    for metric in drawn:
        identical = _identical(results, metric)
        threshold = (", and the escalation threshold (dashed)"
                     if metric == HIGHEST_TENSION.name else "")
        notes = [_floor_note(_fan_axis(results, metric)[0]),
                 _identical_note(results, identical) + (
                     " Its line would hide the baseline's: the legend names it instead."
                     if len(identical) == 1 else
                     " Their lines would hide the baseline's: the legend names them instead."
                     if identical else "")]
        specs.append(FigureSpec(
            f"fan_{metric}", f"{SERIES[metric].label} over time: median (line), 50% and 90% "
                             f"(bands) of {every}, one colour per variant{threshold}.",
            partial(fan_chart, results, metric), " ".join(note for note in notes if note)))
    if kpis:
        specs.append(FigureSpec(
            "kpi_distributions", "Each variant's paired differences to the baseline in the "
                                 f"main KPIs, replication by replication, over {paired}: the "
                                 "box holds the middle half, the whiskers reach the furthest "
                                 "within 1.5 box lengths, dots lie beyond.",
            lambda: kpi_distributions(results), _kpi_note(results, kpis)))
    return specs


def omitted(source: Source) -> list[str]:
    """The figures (and forest-plot panels) left out because they would show a constant, a
    line each saying why, for the report to print with the figures."""
    results = as_results(source)
    if results.kind != "experiment":
        return []
    compared, baseline = _compared(results), results.baseline
    lines = []
    if compared:
        summary = results.summary
        assert summary is not None  # an experiment's
        shown = informative_kpis(results)
        for kpi in HEADLINE_KPIS:
            if kpi in summary and kpi not in shown:
                values = summary[kpi].dropna().unique()
                value = f"{values[0]:g}" if len(values) else "undefined"
                lines.append(f"{KPIS[kpi].label}: {value} in every run of every variant; not "
                             "in the forest plot or the KPI box plots.")
    for metric in TRACKED_METRICS:
        constant = _constant(results, metric)
        if constant is not None:
            lines.append(f"{SERIES[metric].label}: {constant} in every run of every variant; "
                         "no figure.")
        elif compared and len(_identical(results, metric)) == len(compared):
            who = "every variant" if len(compared) > 1 else compared[0]
            lines.append(f"{SERIES[metric].label}: {who} identical to {baseline} in every "
                         "run; no figure of differences.")
    lines += [f"End-of-run trust and interoperability of {variant}: the same as {baseline}'s "
              "in every pair; no heatmap of differences."
              for variant in compared if _end_identical(results, variant)]
    return lines


def _constant(results: Results, metric: str) -> str | None:
    """What `metric` is at every sample of every run of every variant, if it is the same
    there ('0'; 'undefined' where it is never defined); None if it varies."""
    every = [results.bands(variant, [metric])[metric] for variant in results.variants]
    defined = [value for bands in every for value in (bands.lowest, bands.highest)
               if not math.isnan(value)]
    if not defined:
        return "undefined"
    return f"{defined[0]:g}" if min(defined) == max(defined) else None


def _forest_note(results: Results, kpis: list[str]) -> str:
    """Which panels of the forest plot give differences in the KPI's own unit."""
    comparison = results.comparison
    assert comparison is not None  # a forest plot's
    own = [kpi for kpi in kpis if not _in_percent(
        comparison.loc[comparison.kpi == kpi, "baseline_mean"].to_numpy(dtype=float))]
    return " ".join(f"{KPIS[kpi].label}: the baseline's mean is "
                    f"{_baseline_mean_words(comparison[comparison.kpi == kpi])}, so a % of it is "
                    f"undefined; the panel gives the difference in {KPIS[kpi].unit}."
                    for kpi in own)


def _kpi_note(results: Results, kpis: list[str]) -> str:
    """Which variants equal the baseline in a KPI in every replication (a box at 0)."""
    return " ".join(f"{variant}: identical to {results.baseline} in {_listed(labels)}, in "
                    "every replication." for variant, labels in
                    _identical_kpis(results, kpis).items())


def draw_all(source: Source, formats: tuple[str, ...] = ("png",),
             folder: str | Path | None = None) -> list[Path]:
    """(Re)draw every figure into `folder`, by default the results directory's `plots/`
    (a run held in memory has none: save it with `RunResult.save`, or name a folder)."""
    results = as_results(source)
    if folder is None and results.saved_in is None:
        raise ValueError("a run held in memory has no results directory: pass folder=, or "
                         "save it with result.save(directory)")
    folder = Path(folder) if folder is not None else results.directory / "plots"
    return [path for spec in figures(results) for path in save_figure(spec, folder, formats)]


def save_figure(spec: FigureSpec, folder: Path, formats: tuple[str, ...] = ("png",)
                ) -> list[Path]:
    """Draw one figure once and write it into `folder` in each format (PNG at `PNG_DPI`):
    what `draw_all` does for every figure, and the report for one it finds missing, so both
    write the same file."""
    from simulator.runs.store import atomic_write

    folder.mkdir(parents=True, exist_ok=True)
    figure = spec.draw()
    return [atomic_write(folder / f"{spec.name}.{fmt}",
                         lambda path: figure.savefig(path, format=fmt,
                                                     dpi=PNG_DPI if fmt == "png" else 100))
            for fmt in formats]


# --- helpers -----------------------------------------------------------------------------------


def _axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    """The given axes and the Figure holding it, or a new Figure with one axes."""
    if ax is not None:
        figure = ax.get_figure(root=True)
        if figure is None:
            raise ValueError("the axes given (ax=) belong to no figure")
        return figure, ax
    figure = Figure(figsize=size, layout="constrained")
    return figure, figure.add_subplot()


def _panels(fig: Panels | None, size: tuple[float, float]) -> Panels:
    """Where a multi-panel figure draws: the given Figure or SubFigure, or a new Figure."""
    return fig if fig is not None else Figure(figsize=size, layout="constrained")


def _root(panels: Panels) -> Figure:
    """The Figure that holds `panels` (itself, or a SubFigure's figure)."""
    return panels.get_figure(root=True)


def _runs_shown(results: Results, variants: list[str], statistic: str = "") -> str:
    """How many runs a figure shows, in words for its title: 'one run', or, for an
    experiment, e.g. 'mean of 30 replications per variant'."""
    if results.kind == "run":
        return "one run"
    counts = [len(results.runs(variant)) for variant in variants]
    per_variant = " per variant" if len(variants) > 1 else ""
    return f"{statistic} {_replications(counts)}{per_variant}".strip()


def _replications(counts: list[int], kind: str = "") -> str:
    """'30 replications', '1 replication', or '29-30 replications' where runs failed."""
    low, high = (min(counts), max(counts)) if counts else (0, 0)
    number = str(high) if low == high else f"{low}-{high}"
    return f"{number} {kind}replication{'' if high == 1 else 's'}"


def _decorate(ax: Axes, title: str, xlabel: str, ylabel: str) -> None:
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best", frameon=False)


def _group_axes(ax: Axes, order: list[str], allies: int) -> None:
    if len(order) <= NAMED_NATIONS:
        ax.set_xticks(range(len(order)), order, rotation=90, fontsize=7)
        ax.set_yticks(range(len(order)), order, fontsize=7)
    else:  # one tick in the middle of each group
        groups = [(f"allies ({allies})", 0, allies),
                  (f"partners ({len(order) - allies})", allies, len(order))]
        centres = [(start + end - 1) / 2 for _, start, end in groups if end > start]
        names = [name for name, start, end in groups if end > start]
        ax.set_xticks(centres, names, fontsize=8)
        ax.set_yticks(centres, names, fontsize=8, rotation=90, va="center")
    for edge in (allies - 0.5,):
        ax.axhline(edge, color="white", linewidth=2)
        ax.axvline(edge, color="white", linewidth=2)
    ax.set_xlabel(f"allies (first {allies})  |  partners")
    ax.set_ylabel(f"allies (first {allies})  |  partners")


def _paired_shown(results: Results, variants: list[str]) -> str:
    """How many replications of each variant pair with the baseline's, in words:
    '30 paired replications per variant'."""
    baseline = set(results.runs())
    counts = [len(baseline.intersection(results.runs(variant))) for variant in variants]
    per_variant = " per variant" if len(variants) > 1 else ""
    return _replications(counts, "paired ") + per_variant


def _label_outer(axes: np.ndarray, used: int, xlabel: str, ylabel: str) -> None:
    """Hide the panels past the `used` first, and label the value axes of the left column
    and the time axis of each column's lowest panel shown."""
    columns = axes.shape[1]
    for k, ax in enumerate(axes.ravel()):
        if k >= used:
            ax.set_visible(False)
            continue
        if k % columns == 0:
            ax.set_ylabel(ylabel)
        if k + columns >= used:  # no panel shown below it
            ax.set_xlabel(xlabel)
            ax.tick_params(axis="x", labelbottom=True)
