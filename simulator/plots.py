"""The figures, where users import them (`from simulator import plots`); they are drawn
in `simulator.presentation.figures`."""

from simulator.presentation.figures import (
    FigureSpec,
    difference_fan,
    difference_heatmaps,
    draw_all,
    fan_chart,
    figures,
    forest_plot,
    heatmaps,
    informative_kpis,
    kpi_distributions,
    metrics_over_time,
    omitted,
    sharing_network,
    timeline,
    variant_colours,
)
from simulator.presentation.plot_data import Results, as_results, load_results

__all__ = [
    "FigureSpec", "Results", "as_results", "difference_fan", "difference_heatmaps", "draw_all",
    "fan_chart", "figures", "forest_plot", "heatmaps", "informative_kpis", "kpi_distributions",
    "load_results", "metrics_over_time", "omitted", "sharing_network", "timeline",
    "variant_colours",
]
