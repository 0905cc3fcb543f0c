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
from simulator.model.results import RunResult
from simulator.presentation import figures
from simulator.presentation.plot_data import load_results
from simulator.runs.store import ExperimentResult

from .conftest import SCENARIOS, world_of


@pytest.fixture(scope="module")
def experiment(small_clean):
    return load_results(small_clean)


@pytest.fixture(scope="module")
def single_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("single") / "run"
    assert main(["run", str(SCENARIOS / "baseline.yaml"), "--out", str(out), "--trace",
                 "--no-plots", "--set", "horizon_years=4"]) == 0
    return out


def end_of_runs(results) -> pd.DataFrame:
    """The baseline's end-of-run tables, read straight from its files."""
    folder = results.directory / "final" / "variant=baseline"
    return pd.concat(pd.read_parquet(path) for path in sorted(folder.glob("*.parquet")))


def test_fan_chart_draws_median_and_bands_per_variant(experiment):
    figure = plots.fan_chart(experiment, "interop_ally_partner")
    ax = figure.axes[0]
    # per variant: the median, and the two edges of the 90% band
    assert len(ax.lines) == 3 * len(experiment.variants)
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 2
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend[:2] == ["baseline", "more_exercises"]
    assert "50% of replications" in legend and "90% of replications" in legend
    assert ax.get_xlabel() == "time (years)" and ax.get_ylabel() == "index (0–1)"
    assert ax.get_title() == "Interoperability, ally–partner (4 replications per variant)"
    # the median line is the median over replications, computed independently
    series = pd.concat(pd.read_parquet(path) for path in
                       sorted((experiment.directory / "series" / "variant=baseline")
                              .glob("*.parquet")))
    expected = series.groupby("time_days")["interop_ally_partner"].median().to_numpy()
    medians = [line for line in ax.lines if line.get_label() == "baseline"][0]
    assert np.allclose(medians.get_ydata(), expected, rtol=0, atol=1e-12)
    low, high = ax.get_ylim()
    assert 0 <= low and high <= 1


def test_fan_chart_draws_into_a_given_axes(experiment):
    figure = Figure()
    ax = figure.add_subplot()
    assert plots.fan_chart(experiment, "bias_incidents", ax=ax) is figure
    assert ax.get_ylabel() == "incidents"


def test_forest_plot_has_one_interval_per_variant_and_kpi(experiment):
    figure = plots.forest_plot(experiment)
    kpis = plots.informative_kpis(experiment)
    visible = [ax for ax in figure.axes if ax.get_visible()]
    assert len(visible) == len(kpis)
    comparison = experiment.comparison.set_index(["kpi", "variant"])
    for ax, kpi in zip(visible, kpis):
        bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
        assert len(bars) == 1  # one variant besides the baseline
        zero = [line for line in ax.lines if list(line.get_xdata()) == [0, 0]]
        assert zero, "the zero line is drawn"
        marker = [line for line in ax.lines if line.get_marker() == "o"][0]
        significant = comparison.loc[(kpi, "more_exercises"), "significant"]
        assert (marker.get_markerfacecolor() != "white") == bool(significant)
        assert marker.get_xdata()[0] == pytest.approx(
            comparison.loc[(kpi, "more_exercises"), "difference"])


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


def test_kpi_distributions_have_a_box_per_variant(experiment):
    figure = plots.kpi_distributions(experiment)
    visible = [ax for ax in figure.axes if ax.get_visible()]
    for ax in visible:
        assert [t.get_text() for t in ax.get_yticklabels()] == experiment.variants
        assert len(ax.patches) == len(experiment.variants)


def test_draw_all_writes_every_figure_in_each_format(small_clean, tmp_path):
    import shutil

    target = tmp_path / "copy"
    shutil.copytree(small_clean, target)
    written = plots.draw_all(target, ("png", "svg"))
    specs = plots.figures(load_results(target))
    assert len(written) == 2 * len(specs)
    for path in written:
        head = path.read_bytes()[:200]
        assert head.startswith(b"\x89PNG") if path.suffix == ".png" else b"<svg" in head or (
            b"<?xml" in head)


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
