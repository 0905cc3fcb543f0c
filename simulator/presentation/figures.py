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
`figures(results)` lists every figure that applies, with a one-line caption;
`draw_all` writes them under `DIR/plots/` and the report embeds them.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import BoundaryNorm, ListedColormap, to_rgba
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from simulator.model.dynamics import LEVEL_EDGES
from simulator.model.metrics import HEADLINE_KPIS, KPIS, SERIES, TENSION, THEMES, TRACKED_METRICS
from simulator.presentation.plot_data import Results, Source, as_results, load_results

__all__ = ["OKABE_ITO", "FigureSpec", "draw_all", "fan_chart", "figures", "forest_plot",
           "heatmaps", "informative_kpis", "kpi_distributions", "load_results", "metrics_over_time",
           "save_figure", "sharing_network", "timeline"]

Panels = Figure | SubFigure
"""Where a multi-panel figure draws: a whole Figure or a SubFigure of one."""

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
             "#000000")
"""A palette that stays distinct for colour-blind readers (Okabe and Ito, 2008)."""
ALLY_COLOUR, PARTNER_COLOUR = OKABE_ITO[0], OKABE_ITO[1]
NAMED_NATIONS = 40
"""Beyond this many nations, figures name the groups (allies, partners) instead of each
nation: hundreds of names overlap into a black band and take seconds to lay out."""
NAMED_ROWS = 60
"""Beyond this many activities, the timeline names their kinds instead of each one, and
stops growing taller."""

@dataclass(frozen=True)
class FigureSpec:
    """A figure of the report: its file name, what it shows, and how to draw it."""

    name: str
    caption: str
    draw: Callable[[], Figure]


def variant_colours(results: Results) -> dict[str, str]:
    """One colour per variant, the same in every figure."""
    return {variant: OKABE_ITO[k % len(OKABE_ITO)] for k, variant in enumerate(results.variants)}


# --- over time ---------------------------------------------------------------------------------


def fan_chart(source: Source, metric: str, ax: Axes | None = None) -> Figure:
    """Median and 50% and 90% bands of `metric` over replications, one colour per variant."""
    results = as_results(source)
    figure, ax = _axes(ax, (10, 4.5))
    shown = SERIES[metric]
    colours = variant_colours(results)
    for variant in results.variants:
        bands = results.bands(variant, [metric])[metric]
        q05, q25, q50, q75, q95 = bands.quantiles
        colour = colours[variant]
        # the 90% band as thin edges, so that five variants on one axis stay readable
        ax.plot(bands.years, q05, bands.years, q95, color=colour, linewidth=0.7, alpha=0.7,
                linestyle=":")
        ax.fill_between(bands.years, q25, q75, color=colour, alpha=0.2, linewidth=0)
        ax.plot(bands.years, q50, color=colour, linewidth=1.8, label=variant)
    ax.set_title(f"{shown.label} ({_runs_shown(results, results.variants)})")
    ax.set_xlabel("time (years)")
    ax.set_ylabel(shown.unit)
    ax.grid(alpha=0.3)
    if shown.in_unit_interval:  # zoom in on the data, but never past the metric's own range
        low, high = ax.get_ylim()
        ax.set_ylim(max(0.0, low), min(1.0, high))
    handles, labels = ax.get_legend_handles_labels()
    if results.kind == "experiment":
        from matplotlib.patches import Patch

        handles += [Patch(facecolor="grey", alpha=0.3),
                    Line2D([], [], color="grey", linewidth=0.7, linestyle=":")]
        labels += ["50% of replications", "90% of replications"]
    ax.legend(handles, labels, fontsize=8, frameon=False, loc="upper left",
              bbox_to_anchor=(1.01, 1.0))
    return figure


def metrics_over_time(source: Source, fig: Panels | None = None) -> Figure:
    """The main metrics of a single run over the years, one panel per theme."""
    results = as_results(source)
    series = results.series([metric for theme in THEMES for metric in theme.metrics])
    figure = _panels(fig, (15, 8.5))
    axes = figure.subplots(2, 3).ravel()
    for ax, theme in zip(axes, THEMES):
        for colour, metric in zip(OKABE_ITO, theme.metrics):
            ax.plot(series["year"], series[metric], color=colour, label=SERIES[metric].label,
                    linewidth=1.6)
        _decorate(ax, theme.title, "time (years)", theme.axis)
        if all(SERIES[metric].in_unit_interval for metric in theme.metrics):
            ax.set_ylim(0, 1)
    _regional_tension(results, axes[-1])
    figure.suptitle(f"Scenario {results.name!r}, seed {results.manifest.seed}",
                    fontsize=13)
    return _root(figure)


def _regional_tension(results: Results, ax: Axes) -> None:
    regions = results.regions()
    for colour, (region, rows) in zip(OKABE_ITO, regions.groupby("region", sort=False)):
        ax.plot(rows["year"], rows[TENSION.name], color=colour, label=region, linewidth=1.6)
    threshold = results.scenario()["parameters"]["escalation"]["escalation_threshold"]
    ax.axhline(threshold, color="grey", linestyle="--", linewidth=1,
               label="escalation threshold")
    ax.set_ylim(0, max(threshold, float(regions[TENSION.name].max())) * 1.45)
    _decorate(ax, TENSION.label, "time (years)", TENSION.unit)
    ax.legend(fontsize=8, loc="upper left", ncols=3, frameon=False)


# --- comparisons -------------------------------------------------------------------------------


def _panel_title(label: str) -> str:
    """A KPI's label on lines short enough for a panel a third of a figure wide."""
    return textwrap.fill(label, 42)


def forest_plot(source: Source, kpis: list[str] | None = None,
                fig: Panels | None = None) -> Figure:
    """Each variant's paired difference to the baseline with its 95% CI, one panel per KPI;
    filled markers are significant after Holm correction, hollow ones are not."""
    results = as_results(source)
    comparison = results.comparison
    if comparison is None:
        raise ValueError("a forest plot needs an experiment's comparison with its baseline")
    kpis = kpis or informative_kpis(results)
    variants = [v for v in results.variants if v != results.baseline]
    colours = variant_colours(results)
    columns = 3
    rows = math.ceil(len(kpis) / columns)
    figure = _panels(fig, (13, 2.1 + 1.9 * rows))
    axes = np.atleast_1d(figure.subplots(rows, columns, squeeze=False).ravel())
    for ax, kpi in zip(axes, kpis):
        table = comparison[comparison.kpi == kpi].set_index("variant")
        for position, variant in enumerate(reversed(variants)):
            if variant not in table.index:
                continue
            row = table.loc[variant]
            colour = colours[variant]
            ax.errorbar(row.difference, position,
                        xerr=[[row.difference - row.ci_low], [row.ci_high - row.difference]],
                        color=colour, capsize=3, linewidth=1.5)
            ax.plot(row.difference, position, "o", markersize=7, color=colour,
                    markerfacecolor=colour if row.significant else "white")
        ax.axvline(0, color="grey", linewidth=1)
        ax.set_yticks(range(len(variants)), list(reversed(variants)), fontsize=8)
        ax.set_title(_panel_title(KPIS[kpi].label), fontsize=10)
        ax.set_xlabel("difference to baseline", fontsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="x", alpha=0.3)
    for ax in axes[len(kpis):]:
        ax.set_visible(False)
    legend = [Line2D([], [], marker="o", color="grey", markerfacecolor="grey", linestyle="",
                     label="significant (Holm-corrected p < 0.05)"),
              Line2D([], [], marker="o", color="grey", markerfacecolor="white", linestyle="",
                     label="not significant")]
    figure.legend(handles=legend, loc="outside lower center", ncols=2, frameon=False)
    pairs = comparison.loc[comparison.kpi.isin(kpis), "n"]
    figure.suptitle(f"Paired differences to {results.baseline!r} with 95% confidence "
                    f"intervals, over {_replications(pairs.tolist(), 'paired ')}")
    return _root(figure)


def kpi_distributions(source: Source, kpis: list[str] | None = None,
                      fig: Panels | None = None) -> Figure:
    """Box plots of KPIs over replications, one box per variant."""
    results = as_results(source)
    summary = results.summary
    if summary is None:
        raise ValueError("KPI distributions need an experiment's replications")
    kpis = kpis or informative_kpis(results)[:9]
    colours = variant_colours(results)
    columns = 3
    rows = math.ceil(len(kpis) / columns)
    figure = _panels(fig, (13, 1.5 + 2.6 * rows))
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax, kpi in zip(axes, kpis):
        values = [summary.loc[summary.variant == v, kpi].dropna().to_numpy()
                  for v in results.variants]
        boxes = ax.boxplot(values, orientation="horizontal", patch_artist=True, widths=0.6,
                           tick_labels=results.variants, medianprops={"color": "black"})
        for patch, variant in zip(boxes["boxes"], results.variants):
            patch.set_facecolor(colours[variant])
            patch.set_alpha(0.6)
        ax.invert_yaxis()
        ax.tick_params(axis="y", labelsize=8)
        ax.set_title(_panel_title(KPIS[kpi].label), fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    for ax in axes[len(kpis):]:
        ax.set_visible(False)
    figure.suptitle(f"KPIs over {_runs_shown(results, results.variants)}")
    return _root(figure)


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
    (which, like the figure, says how many runs it shows)."""
    results = as_results(source)
    specs: list[FigureSpec] = []
    experiment = results.kind == "experiment"
    if not experiment:
        specs.append(FigureSpec("metrics", "The main metrics of the run over the years.",
                                lambda: metrics_over_time(results)))
    if experiment:
        for variant in results.variants:  # one pass over the runs' files for every fan chart
            results.bands(variant, list(TRACKED_METRICS))
        every = _runs_shown(results, results.variants)
        specs.append(FigureSpec(
            "forest", "Each variant's paired difference to the baseline for the main KPIs, "
                      f"with 95% confidence intervals over {every}; filled markers are "
                      "significant.",
            lambda: forest_plot(results)))
        for metric in TRACKED_METRICS:
            specs.append(FigureSpec(
                f"fan_{metric}", f"{SERIES[metric].label} over time: median (line), 50% and "
                                 f"90% (bands) of {every}, one colour per variant.",
                partial(fan_chart, results, metric)))
        specs.append(FigureSpec(
            "kpi_distributions", f"How the KPIs vary over {every}.",
            lambda: kpi_distributions(results)))
    baseline = results.baseline
    specs += [
        FigureSpec("heatmaps", "End-of-run trust and interoperability levels between every "
                               f"pair ({baseline}, {_runs_shown(results, [baseline], 'mean of')})"
                               ", allies first, then partners.",
                   lambda: heatmaps(results)),
        FigureSpec("sharing_network", "Who shares information at the end of the run "
                                      f"({baseline}, "
                                      f"{_runs_shown(results, [baseline], 'share of')}).",
                   lambda: sharing_network(results)),
    ]
    if results.trace():
        specs.append(FigureSpec("timeline", "What happened in one replication of "
                                            f"{results.baseline!r}: activities, crises, "
                                            "escalations.", lambda: timeline(results)))
    return specs


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
    """Draw one figure once and write it into `folder` in each format: what `draw_all`
    does for every figure, and the report for one it finds missing, so both write the same
    file."""
    from simulator.runs.store import atomic_write

    folder.mkdir(parents=True, exist_ok=True)
    figure = spec.draw()
    return [atomic_write(folder / f"{spec.name}.{fmt}",
                         lambda path: figure.savefig(path, format=fmt, dpi=100))
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
