"""Figures, checked on the matplotlib objects, not on file existence."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure

import simulator
from simulator import plots
from simulator.cli import main
from simulator.errors import UserError
from simulator.model import metrics
from simulator.model.results import RunResult
from simulator.presentation import figures
from simulator.presentation.plot_data import load_results
from simulator.runs.store import ExperimentResult

from .conftest import SCENARIOS, world_of, write


@pytest.fixture(scope="module")
def experiment(small_clean):
    return load_results(small_clean)


COINCIDING = f"""\
name: coinciding
scenario: {SCENARIOS / 'baseline.yaml'}
replications: 3
seed: 5
primary_metric: mean_interop_ally_partner
practical_difference: {{mean_interop_ally_partner: 1.0}}
variants:
  baseline: {{horizon_years: 2}}
  more_exercises:
    horizon_years: 2
    exercises.sea_breeze.every_days: 60
    exercises.eastern_resolve.every_days: 60
  unchanged: {{horizon_years: 2}}
"""
"""Three variants, one of them the baseline again (identical in every run), and a smallest
effect of interest for the primary metric that no difference reaches."""


@pytest.fixture(scope="module")
def coinciding(tmp_path_factory):
    from simulator.runs.runner import run_experiment

    directory = tmp_path_factory.mktemp("coinciding")
    run_experiment(write(directory / "coinciding.yaml", COINCIDING), directory / "out",
                   workers=1)
    return load_results(directory / "out")


def run_files(results, table: str, variant: str) -> pd.DataFrame:
    """One variant's table of every run, read straight from its files."""
    folder = results.directory / table / f"variant={variant}"
    return pd.concat(pd.read_parquet(path) for path in sorted(folder.glob("*.parquet")))


@pytest.fixture(scope="module")
def single_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("single") / "run"
    assert main(["run", str(SCENARIOS / "baseline.yaml"), "--out", str(out), "--trace",
                 "--no-plots", "--set", "horizon_years=4"]) == 0
    return out


def end_of_runs(results, variant: str = "baseline") -> pd.DataFrame:
    """A variant's end-of-run tables, read straight from its files."""
    return run_files(results, "final", variant)


def test_fan_chart_draws_median_and_bands_per_variant(experiment):
    figure = plots.fan_chart(experiment, "interop_ally_partner")
    ax = figure.axes[0]
    # per variant: the median, and the two edges of the 90% band
    assert len(ax.lines) == 3 * len(experiment.variants)
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 2
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend[:2] == ["baseline", "more_exercises"]
    assert "50% of replications" in legend and "90% of replications" in legend
    assert ax.get_xlabel() == "time (years)"
    assert ax.get_title() == "Interoperability, ally–partner (4 replications per variant)"
    # the values lie in the upper half of the range from 0: the axis starts above 0, and
    # says so, on the figure and in the note the report prints
    low, high = ax.get_ylim()
    assert 0 < low < high <= 1
    assert ax.get_ylabel() == f"index (0–1)\n(axis starts at {low:g}, not 0)"
    [spec] = [spec for spec in plots.figures(experiment) if spec.name == "fan_interop_ally_partner"]
    assert spec.note == f"The value axis starts at {low:g}, not at 0."
    # the median line is the median over replications, computed independently
    series = pd.concat(pd.read_parquet(path) for path in
                       sorted((experiment.directory / "series" / "variant=baseline")
                              .glob("*.parquet")))
    expected = series.groupby("time_days")["interop_ally_partner"].median().to_numpy()
    medians = [line for line in ax.lines if line.get_label() == "baseline"][0]
    assert np.allclose(medians.get_ydata(), expected, rtol=0, atol=1e-12)


def test_fan_chart_draws_into_a_given_axes(experiment):
    figure = Figure()
    ax = figure.add_subplot()
    assert plots.fan_chart(experiment, "bias_incidents", ax=ax) is figure
    assert ax.get_ylabel() == "incidents"


MARKERS = ("^", "v", "o")
"""Better, worse, neither: the forest plot's direction marks."""


def forest_marks(ax, variants: list[str]) -> dict[str, object]:
    """The mark of each variant in a panel of the forest plot (drawn bottom up)."""
    marks = [line for line in ax.lines if line.get_marker() in MARKERS]
    return {list(reversed(variants))[round(line.get_ydata()[0])]: line for line in marks}


def test_forest_plot_gives_differences_in_percent_of_the_baseline_mean(coinciding):
    figure = plots.forest_plot(coinciding)
    kpis = plots.informative_kpis(coinciding)
    visible = [ax for ax in figure.axes if ax.get_visible()]
    assert len(visible) == len(kpis)
    comparison = pd.read_csv(coinciding.directory / "comparison.csv").set_index(["kpi", "variant"])
    variants = ["more_exercises", "unchanged"]
    greys = set()
    for ax, kpi in zip(visible, kpis):
        assert len([c for c in ax.containers if isinstance(c, ErrorbarContainer)]) == 2
        assert [line for line in ax.lines if list(line.get_xdata()) == [0, 0]], "a zero line"
        for variant, mark in forest_marks(ax, variants).items():
            row = comparison.loc[kpi, variant]
            if row.baseline_mean != 0:
                assert ax.get_xlabel() == "% of the baseline's mean"
                assert mark.get_xdata()[0] == pytest.approx(
                    row.difference / row.baseline_mean * 100, rel=1e-12)
            assert (mark.get_markerfacecolor() != "white") == bool(row.significant)
            smallest = metrics.smallest_effect(kpi, row.baseline_mean, "mean_interop_ally_partner",
                                               {"mean_interop_ally_partner": 1.0})
            grey = mark.get_color() == figures.SMALL_COLOUR
            assert grey == (abs(row.difference) < smallest)
            greys.add(grey)
            direction = metrics.KPIS[kpi].direction
            better = (row.difference > 0) == (direction == metrics.HIGHER_IS_BETTER)
            assert mark.get_marker() == ("o" if direction == 0 or row.difference == 0 else
                                         "^" if better else "v")
    assert greys == {True, False}  # the test sees both
    assert figure.get_suptitle().endswith("in % of its mean, with 95% confidence intervals, "
                                          "over 3 paired replications")
    legend = [text.get_text() for text in figure.legends[0].get_texts()]
    assert "grey: smaller than the smallest effect of interest (shaded about 0)" in legend
    assert {"better than the baseline", "worse than the baseline"} <= set(legend)


def test_forest_plot_gives_a_kpi_whose_baseline_mean_is_0_in_its_own_unit(experiment):
    """A % of 0 is undefined: the panel says so and shows the difference as it is."""
    comparison = experiment.comparison.set_index("kpi")
    assert comparison.loc["escalations", "baseline_mean"] == 0
    figure = plots.forest_plot(experiment, kpis=["escalations", "mean_interop_ally_partner"])
    escalations, interoperability = figure.axes[:2]
    assert escalations.get_xlabel() == "difference in escalations (baseline mean 0: no %)"
    [mark] = forest_marks(escalations, ["more_exercises"]).values()
    assert mark.get_xdata()[0] == comparison.loc["escalations", "difference"] == 0
    assert interoperability.get_xlabel() == "% of the baseline's mean"
    note = figures._forest_note(experiment, ["escalations", "mean_interop_ally_partner"])
    assert note == ("Escalations: the baseline's mean is 0, so a % of it is undefined; the "
                    "panel gives the difference in escalations.")


def test_difference_bands_are_the_quantiles_of_paired_differences(coinciding):
    """Replication k of the variant minus replication k of the baseline, at each sample."""
    metric = "interop_ally_partner"
    ours = run_files(coinciding, "series", "more_exercises")
    theirs = run_files(coinciding, "series", "baseline")
    paired = ours.merge(theirs, on=["replication", "time_days"], suffixes=("", "_baseline"))
    paired["difference"] = paired[metric] - paired[f"{metric}_baseline"]
    by_time = paired.pivot(index="replication", columns="time_days", values="difference")
    expected = np.quantile(by_time.to_numpy(), [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    differences = coinciding.differences("more_exercises", [metric])[metric]
    assert differences.replications == 3 and not differences.identical
    assert np.allclose(differences.quantiles, expected, rtol=0, atol=1e-12)
    assert np.allclose(differences.years, by_time.columns / 365.0)
    assert differences.lowest == pytest.approx(paired.difference.min())
    assert differences.highest == pytest.approx(paired.difference.max())
    # and the figure draws them: the median line of the variant's panel, and a zero line
    figure = figures.difference_fan(coinciding, metric)
    more, unchanged = figure.axes[:2]
    [median] = [line for line in more.lines if len(line.get_xdata()) > 2]
    assert np.allclose(median.get_ydata(), expected[2], rtol=0, atol=1e-12)
    assert [line for line in more.lines if list(line.get_ydata()) == [0, 0]]
    assert more.get_title() == "more_exercises" and more.get_ylabel() == "difference, index (0–1)"
    assert figure.get_suptitle() == ("Interoperability, ally–partner\nvariant minus baseline, "
                                     "replication by replication (3 paired replications per "
                                     "variant)")
    # the variant that is the baseline again says so rather than draw a flat line
    assert [text.get_text() for text in unchanged.texts] == [
        "identical to baseline\nin every replication"]
    assert coinciding.differences("unchanged", [metric])[metric].identical


def test_a_variant_identical_to_the_baseline_is_named_not_drawn_over_it(coinciding):
    figure = plots.fan_chart(coinciding, "interop_ally_partner")
    ax = figure.axes[0]
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend[:3] == ["baseline", "more_exercises", "unchanged: identical to baseline"]
    assert not [line for line in ax.lines if line.get_label() == "unchanged"]
    specs = {spec.name: spec for spec in plots.figures(coinciding)}
    assert ("unchanged: identical to baseline in every replication. Its line would hide the "
            "baseline's: the legend names it instead.") in specs["fan_interop_ally_partner"].note
    assert specs["diff_interop_ally_partner"].note == (
        "unchanged: identical to baseline in every replication.")
    assert specs["kpi_distributions"].note.startswith(
        "unchanged: identical to baseline in Interoperability, ally–partner (time mean), ")
    assert specs["kpi_distributions"].note.endswith(", in every replication.")
    # nor has it a heatmap of differences: they would all be 0
    assert "diff_heatmaps_unchanged" not in specs and "diff_heatmaps_more_exercises" in specs
    assert ("End-of-run trust and interoperability of unchanged: the same as baseline's in "
            "every pair; no heatmap of differences.") in figures.omitted(coinciding)


def test_a_constant_metric_has_no_figure_and_a_line_saying_why(experiment):
    """Escalations: 0 in every run of the small experiment."""
    summary = experiment.summary
    assert (summary.escalations == 0).all()
    names = [spec.name for spec in plots.figures(experiment)]
    assert "fan_escalations" not in names and "diff_escalations" not in names
    assert "fan_bias_incidents" in names and "diff_bias_incidents" in names
    lines = figures.omitted(experiment)
    assert "Escalations (cumulative): 0 in every run of every variant; no figure." in lines
    assert ("Escalations: 0 in every run of every variant; not in the forest plot or the KPI "
            "box plots.") in lines
    assert figures.omitted(load_results(experiment.directory)) == lines


def test_figures_come_in_reading_order(experiment):
    names = [spec.name for spec in plots.figures(experiment)]
    tracked = [metric for metric in metrics.TRACKED_METRICS if metric != "escalations"]
    assert names == ["forest", *(f"diff_{m}" for m in tracked), *(f"fan_{m}" for m in tracked),
                     "kpi_distributions", "heatmaps", "diff_heatmaps_more_exercises",
                     "sharing_network", "timeline"]


def test_the_highest_tension_is_drawn_with_the_escalation_threshold(experiment, single_run):
    threshold = experiment.scenario()["parameters"]["escalation"]["escalation_threshold"]
    ax = plots.fan_chart(experiment, "highest_tension").axes[0]
    [line] = [line for line in ax.lines if line.get_label() == "escalation threshold"]
    assert list(line.get_ydata()) == [threshold, threshold]
    results = load_results(single_run)
    tension = plots.metrics_over_time(results).axes[-1]
    [peaks] = [line for line in tension.lines
               if line.get_label() == "highest in any region since the last sample"]
    series = pd.read_parquet(single_run / "series.parquet")
    assert np.array_equal(peaks.get_ydata(), series.highest_tension)
    assert [line for line in tension.lines if line.get_label() == "escalation threshold"]


def test_heatmaps_group_allies_then_partners(experiment):
    figure = plots.heatmaps(experiment)
    trust_ax, interop_ax = figure.axes[:2]
    roles = experiment.roles()
    labels = [t.get_text() for t in trust_ax.get_yticklabels()]
    assert len(labels) == len(roles) == 20
    assert [roles[name] for name in labels] == sorted(roles.values())  # 'ally' < 'partner'
    trust = trust_ax.images[0].get_array()
    assert trust.shape == (20, 20) and np.all(np.ma.getmaskarray(trust).diagonal()
                                              | np.isnan(np.ma.getdata(trust).diagonal()))
    final = end_of_runs(experiment)
    expected = final[(final.nation == labels[0]) & (final.other == labels[1])]["trust"].mean()
    assert np.ma.getdata(trust)[0, 1] == pytest.approx(expected)
    colourbar = figure.axes[-1]
    assert [t.get_text() for t in colourbar.get_yticklabels()] == [
        "0 not interoperable", "1 deconflicted", "2 compatible", "3 integrated"]


def test_sharing_network_draws_every_pair_that_shares(experiment):
    figure = plots.sharing_network(experiment)
    ax = figure.axes[0]
    [nodes] = [c for c in ax.collections if isinstance(c, PathCollection)]
    [links] = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(nodes.get_offsets()) == 20
    assert len(ax.texts) == 20  # every nation named
    final = end_of_runs(experiment)
    threshold = experiment.scenario()["parameters"]["sharing"]["share_threshold"]
    both = final.merge(final, left_on=["replication", "nation", "other"],
                       right_on=["replication", "other", "nation"], suffixes=("", "_back"))
    shares = both[np.minimum(both.trust, both.trust_back) >= threshold]
    pairs = {tuple(sorted(pair)) for pair in zip(shares.nation, shares.other)}
    assert len(links.get_segments()) == len(pairs)


@pytest.fixture(scope="module")
def large_world(tmp_path_factory) -> Path:
    scenario = tmp_path_factory.mktemp("large") / "world.yaml"
    scenario.write_text(json.dumps(world_of(60, years=1.0)))  # JSON is YAML
    out = scenario.parent / "run"
    assert main(["run", str(scenario), "--out", str(out), "--no-plots"]) == 0
    return out


def test_a_large_world_names_groups_not_nations(large_world):
    """Past `NAMED_NATIONS` names would overlap (and take seconds to lay out)."""
    results = load_results(large_world)
    heatmaps = plots.heatmaps(results)
    for ax in heatmaps.axes[:2]:
        for labels in (ax.get_xticklabels(), ax.get_yticklabels()):
            assert [t.get_text() for t in labels] == ["allies (15)", "partners (45)"]
    network = plots.sharing_network(results).axes[0]
    assert len(network.texts) == 0
    [nodes] = [c for c in network.collections if isinstance(c, PathCollection)]
    assert len(nodes.get_offsets()) == 60


def test_a_long_timeline_names_kinds_and_keeps_its_height(tmp_path):
    scenario = tmp_path / "world.yaml"
    scenario.write_text(json.dumps(world_of(160, years=1.0)))
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(out), "--trace", "--no-plots"]) == 0
    events = [json.loads(line) for line in (out / "trace.jsonl").open()]
    rows = {e["entity"] for e in events if e["kind"] in ("exercise_end", "module_end")}
    assert len(rows) > figures.NAMED_ROWS
    figure = plots.timeline(load_results(out))
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert labels[:2] == ["exercises (32)", "programs (32)"]
    assert figure.get_size_inches()[1] == pytest.approx(1.5 + 0.3 * figures.NAMED_ROWS)


def test_timeline_shows_the_trace(single_run):
    results = load_results(single_run)
    figure = plots.timeline(results)
    ax = figure.axes[0]
    events = [json.loads(line) for line in (single_run / "trace.jsonl").open()]
    entities = {e["entity"] for e in events if e["kind"] in ("exercise_end", "module_end")}
    assert len(ax.collections) >= len(entities)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert set(entities) <= set(labels)
    assert labels[0].startswith("exercises.")
    escalations = sum(e["kind"] == "escalation" for e in events)
    dashed = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert len(dashed) == escalations
    assert ax.get_xlabel() == "time (years)"


def test_kpi_distributions_are_boxes_of_paired_differences(coinciding):
    figure = plots.kpi_distributions(coinciding)
    summary = pd.read_csv(coinciding.directory / "summary.csv").set_index(
        ["variant", "replication"])
    visible = [ax for ax in figure.axes if ax.get_visible()]
    kpis = plots.informative_kpis(coinciding)
    assert len(visible) == len(kpis)
    for ax, kpi in zip(visible, kpis):
        variants = ["more_exercises", "unchanged"]
        assert [t.get_text() for t in ax.get_yticklabels()] == variants
        assert len(ax.patches) == len(variants)
        for patch, variant in zip(ax.patches, variants):
            differences = (summary.loc[variant, kpi] - summary.loc["baseline", kpi]).dropna()
            low, high = patch.get_path().vertices[:, 0].min(), patch.get_path().vertices[:, 0].max()
            assert (low, high) == pytest.approx(tuple(np.percentile(differences, [25, 75])))
        assert [text.get_text() for text in ax.texts] == ["identical to baseline"]
    assert figure.get_suptitle() == ("Paired differences to 'baseline' in the KPIs, replication "
                                     "by replication, over 3 paired replications")


def test_heatmaps_of_a_variant_are_its_differences_to_the_baseline(experiment):
    figure = figures.difference_heatmaps(experiment, "more_exercises")
    trust_ax, interop_ax = figure.axes[:2]
    labels = [t.get_text() for t in trust_ax.get_yticklabels()]
    ours, theirs = end_of_runs(experiment, "more_exercises"), end_of_runs(experiment)
    for ax, column in ((trust_ax, "trust"), (interop_ax, "interoperability")):
        image = ax.images[0]
        low, high = image.get_clim()
        assert low == -high and high > 0  # centred on 0
        values = np.ma.getdata(image.get_array())
        for row, col in ((0, 1), (3, 12), (15, 2)):
            def mean(final):
                return final[(final.nation == labels[row]) & (final.other == labels[col])][
                    column].mean()
            assert values[row, col] == pytest.approx(mean(ours) - mean(theirs), abs=1e-12)
        assert "more_exercises minus baseline" in ax.get_title()


def test_pngs_are_drawn_at_200_dpi_and_vector_formats_as_asked(experiment, tmp_path):
    from PIL import Image

    [spec] = [spec for spec in plots.figures(experiment) if spec.name == "sharing_network"]
    [png, svg, pdf] = figures.save_figure(spec, tmp_path, ("png", "svg", "pdf"))
    with Image.open(png) as image:
        assert image.info["dpi"] == pytest.approx((200, 200), abs=0.01)
        assert image.size == (8 * 200, 8 * 200)  # inches x dots per inch
    assert b"<svg" in svg.read_bytes()[:500] and pdf.read_bytes().startswith(b"%PDF")


def test_draw_all_writes_every_figure_at_200_dpi(small_clean, tmp_path):
    """Every figure of the experiment, drawn (SVG is drawn for a run's, below)."""
    import shutil

    from PIL import Image

    target = tmp_path / "copy"
    shutil.copytree(small_clean, target)
    written = plots.draw_all(target)
    specs = plots.figures(load_results(target))
    assert [path.name for path in written] == [f"{spec.name}.png" for spec in specs]
    for path in written:
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert image.info["dpi"] == pytest.approx((200, 200), abs=0.01)


def test_single_run_figures(single_run):
    results = load_results(single_run)
    names = [spec.name for spec in plots.figures(results)]
    assert names == ["metrics", "heatmaps", "sharing_network", "timeline"]
    figure = plots.metrics_over_time(results)
    assert len(figure.axes) == 6
    assert all(ax.get_xlabel() == "time (years)" for ax in figure.axes)


def test_the_plot_command_draws_every_figure_of_a_run(single_run):
    assert main(["plot", str(single_run), "--format", "svg"]) == 0
    assert sorted(p.name for p in (single_run / "plots").glob("*.svg")) == [
        "heatmaps.svg", "metrics.svg", "sharing_network.svg", "timeline.svg"]


# --- what the figures take -------------------------------------------------------------------


@pytest.fixture(scope="module")
def memory_run() -> RunResult:
    """The run of `single_run`, never written: `simulate` with the same scenario and seed."""
    scenario = simulator.load_scenario(SCENARIOS / "baseline.yaml", [("horizon_years", 4)])
    return simulator.simulate(scenario, seed=0, trace=True)


def drawn(figure: Figure, ticks: bool = True) -> list[tuple]:
    """What a figure shows, axes by axes: titles, tick labels (which depend on the size of
    the axes where they are numbers, unless `ticks` is False), and every number drawn."""
    def numbers(values) -> bytes:
        return np.asarray(values, dtype=float).tobytes()

    return [(ax.get_title(), [t.get_text() for t in ax.get_yticklabels()] if ticks else [],
             [numbers(line.get_xydata()) for line in ax.lines],
             [numbers(np.ma.getdata(image.get_array())) for image in ax.images],
             [numbers(c.get_offsets()) for c in ax.collections
              if isinstance(c, PathCollection)],
             [numbers(p.get_path().vertices) for p in ax.patches])
            for ax in figure.axes]


EXPERIMENT_FIGURES = {
    "fan_chart": lambda source: plots.fan_chart(source, "crises"),
    "difference_fan": lambda source: figures.difference_fan(source, "trust_partner_ally"),
    "difference_heatmaps": lambda source: figures.difference_heatmaps(source, "more_exercises"),
    "forest_plot": plots.forest_plot,
    "kpi_distributions": plots.kpi_distributions,
    "heatmaps": lambda source: plots.heatmaps(source, variant="more_exercises"),
    "sharing_network": plots.sharing_network,
    "timeline": lambda source: plots.timeline(source, variant="more_exercises"),
}
RUN_FIGURES = {
    "metrics_over_time": plots.metrics_over_time,
    "fan_chart": lambda source: plots.fan_chart(source, "interop_ally_partner"),
    "heatmaps": plots.heatmaps,
    "sharing_network": plots.sharing_network,
    "timeline": plots.timeline,
}


@pytest.mark.parametrize("name", EXPERIMENT_FIGURES)
def test_every_figure_takes_a_directory_or_an_experiment_result(name, small_clean, experiment):
    draw = EXPERIMENT_FIGURES[name]
    expected = drawn(draw(experiment))
    assert expected and any(lines or images or marks or patches
                            for _, _, lines, images, marks, patches in expected)
    for source in (small_clean, str(small_clean), ExperimentResult(small_clean)):
        assert drawn(draw(source)) == expected, type(source).__name__


@pytest.mark.parametrize("name", RUN_FIGURES)
def test_a_run_result_draws_from_memory_what_its_files_draw(name, memory_run, single_run):
    draw = RUN_FIGURES[name]
    assert drawn(draw(memory_run)) == drawn(draw(single_run))


def test_figures_of_a_run_result_are_those_of_a_run(memory_run, single_run, experiment,
                                                     small_clean):
    assert [spec.name for spec in plots.figures(memory_run)] == [
        spec.name for spec in plots.figures(single_run)] == [
        "metrics", "heatmaps", "sharing_network", "timeline"]
    assert plots.informative_kpis(memory_run) == []
    assert plots.informative_kpis(ExperimentResult(small_clean)) == plots.informative_kpis(
        experiment)
    for draw in (plots.forest_plot, plots.kpi_distributions):
        with pytest.raises(ValueError, match="an experiment's"):
            draw(memory_run)
    with pytest.raises(TypeError, match="cannot draw figures of a dict"):
        plots.heatmaps({"kind": "run"})
    with pytest.raises(ValueError, match="needs its scenario"):
        plots.heatmaps(RunResult(memory_run.output))


SINGLE_PANEL = {
    "fan_chart": lambda source, ax: plots.fan_chart(source, "crises", ax=ax),
    "sharing_network": lambda source, ax: plots.sharing_network(source, ax=ax),
    "timeline": lambda source, ax: plots.timeline(source, ax=ax),
}
MULTI_PANEL = {
    "forest_plot": (lambda source, fig: plots.forest_plot(source, fig=fig), "experiment"),
    "kpi_distributions": (lambda source, fig: plots.kpi_distributions(source, fig=fig),
                          "experiment"),
    "heatmaps": (lambda source, fig: plots.heatmaps(source, fig=fig), "experiment"),
    "difference_heatmaps": (lambda source, fig: figures.difference_heatmaps(
        source, "more_exercises", fig=fig), "experiment"),
    "difference_fan": (lambda source, fig: figures.difference_fan(source, "crises", fig=fig),
                       "experiment"),
    "metrics_over_time": (lambda source, fig: plots.metrics_over_time(source, fig=fig), "run"),
}


@pytest.mark.parametrize("name", SINGLE_PANEL)
def test_single_panel_figures_draw_into_the_given_axes(name, small_clean):
    root = Figure()
    left, right = root.subfigures(1, 2)
    left.add_subplot()
    ax = right.add_subplot()
    assert SINGLE_PANEL[name](small_clean, ax) is root
    assert ax.get_title() and (ax.lines or ax.collections)
    assert not left.axes[0].has_data() and len(root.axes) == 2


@pytest.mark.parametrize("name", MULTI_PANEL)
def test_multi_panel_figures_draw_into_the_given_figure_or_subfigure(name, small_clean,
                                                                     memory_run):
    draw, kind = MULTI_PANEL[name]
    source = small_clean if kind == "experiment" else memory_run
    alone = draw(source, None)
    whole = Figure()
    assert draw(source, whole) is whole
    assert drawn(whole, ticks=False) == drawn(alone, ticks=False)
    root = Figure(layout="constrained")
    left, right = root.subfigures(1, 2)
    assert draw(source, right) is root
    assert left.axes == [] and drawn(right, ticks=False) == drawn(alone, ticks=False)
    assert right.get_suptitle() == alone.get_suptitle()


# --- saving a run from Python ----------------------------------------------------------------


def test_run_result_save_writes_what_simulator_run_writes(tmp_path):
    scenario = SCENARIOS / "minimal.yaml"
    assert main(["run", str(scenario), "--seed", "3", "--trace", "--out",
                 str(tmp_path / "cli")]) == 0
    result = simulator.simulate(simulator.load_scenario(scenario), seed=3, trace=True)
    written = result.save(tmp_path / "api")

    def files(directory: Path) -> dict[str, bytes]:
        return {str(path.relative_to(directory)): path.read_bytes()
                for path in sorted(directory.rglob("*")) if path.is_file()}

    cli, api = files(tmp_path / "cli"), files(tmp_path / "api")
    assert sorted(cli) == sorted(api) == sorted(str(path.relative_to(tmp_path / "api"))
                                                for path in written)
    data = [name for name in cli if name != "manifest.json" and not name.startswith("plots")]
    assert {"series.parquet", "kpis.csv", "final.parquet", "trace.jsonl"} <= set(data)
    assert all(cli[name] == api[name] for name in data)
    by_cli, by_api = (json.loads(files["manifest.json"]) for files in (cli, api))
    assert by_api["files"] == by_cli["files"]
    assert by_api["source"] == "simulator.simulate (Python)" and by_api["overrides"] == []
    for key in ("kind", "scenario", "scenario_hash", "seed", "replication", "versions"):
        assert by_api[key] == by_cli[key], key
    assert result.save(tmp_path / "api", plots=False)  # a previous run's directory: replaced
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("not results")
    with pytest.raises(UserError, match="not a results directory of a run"):
        result.save(tmp_path / "mine")
    with pytest.raises(ValueError, match="needs its scenario"):
        RunResult(result.output).save(tmp_path / "other")


def test_draw_all_of_a_run_in_memory_needs_a_folder(memory_run, tmp_path):
    with pytest.raises(ValueError, match="pass folder="):
        plots.draw_all(memory_run)
    written = plots.draw_all(memory_run, folder=tmp_path / "figures")
    assert sorted(path.name for path in written) == [
        "heatmaps.png", "metrics.png", "sharing_network.png", "timeline.png"]
