"""The result tables: who produced each row, counts as integers, one glob per table, and the
same runs in every table and figure of a results directory."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulator
from simulator import plots
from simulator.model.metrics import KPI_NAMES, SERIES_METRICS, WHOLE_KPIS, WHOLE_METRICS
from simulator.presentation.plot_data import load_results
from simulator.presentation.report import render
from simulator.runs.runner import run_experiment
from simulator.runs.store import ExperimentResult

from .conftest import SCENARIOS, SMALL, write

IDENTITY = ["scenario", "seed", "replication"]


@pytest.fixture(scope="module")
def traced_run() -> simulator.model.results.RunResult:
    scenario = simulator.load_scenario(SCENARIOS / "baseline.yaml", [("horizon_years", 3)])
    return simulator.simulate(scenario, seed=4, replication=2, trace=True)


@pytest.fixture(scope="module")
def saved_run(traced_run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("saved") / "run"
    traced_run.save(out, plots=False)
    return out


@pytest.fixture(scope="module")
def shrunk(tmp_path_factory) -> Path:
    """The small experiment with 30 replications, then asked again for 10 into the same
    directory: it resumes, and 20 runs per variant stay on disk, kept for reuse."""
    directory = tmp_path_factory.mktemp("shrunk")
    for replications in (30, 10):
        config = write(directory / "small.yaml",
                       SMALL.replace("replications: 4", f"replications: {replications}"))
        run_experiment(config, directory / "out", workers=1)
    return directory / "out"


# --- identity and integer counts ----------------------------------------------------------


def test_every_table_of_a_run_says_which_run_made_it(traced_run, saved_run):
    expected = {"scenario": "baseline", "seed": 4, "replication": 2}
    frames = {name: getattr(traced_run, name)
              for name in ("series", "nations", "regions", "final", "interoperability")}
    frames |= {f"{name}.parquet": pd.read_parquet(saved_run / f"{name}.parquet")
               for name in ("series", "nations", "regions", "final")}
    frames |= {name: pd.read_csv(saved_run / name)
               for name in ("series.csv", "kpis.csv", "interoperability.csv")}
    frames["trace.jsonl"] = pd.read_json(saved_run / "trace.jsonl", lines=True)
    for name, frame in frames.items():
        assert list(frame.columns[:3]) == IDENTITY, name
        assert "variant" not in frame, name  # a run of `simulate` belongs to no experiment
        for column, value in expected.items():
            assert (frame[column] == value).all(), (name, column)
    assert len(frames["trace.jsonl"]) == len(traced_run.output.trace)


def test_counts_are_integers_with_the_engines_values(traced_run, saved_run):
    series, raw = traced_run.series, traced_run.output.series
    for k, metric in enumerate(SERIES_METRICS):
        whole = metric in WHOLE_METRICS
        assert (series[metric].dtype == np.int64) == whole, metric
        assert np.array_equal(series[metric].to_numpy(dtype=float), raw[:, k], equal_nan=True)
    assert "exercises_held" in WHOLE_METRICS and "budget_spent" not in WHOLE_METRICS
    kpis = traced_run.kpis
    assert list(kpis) == list(KPI_NAMES)
    for name, value in kpis.items():
        assert type(value) is (int if name in WHOLE_KPIS else float), name
    column = {metric: raw[:, k] for k, metric in enumerate(SERIES_METRICS)}
    assert kpis["crises"] == column["crises"][-1] and kpis["crises"] > 0
    assert kpis["final_sharing_links"] == column["sharing_links"][-1]
    assert kpis["crisis_success_rate"] == column["crisis_successes"][-1] / column["crises"][-1]
    for name in ("series.csv", "kpis.csv"):
        written = pd.read_csv(saved_run / name)
        for metric in set(WHOLE_KPIS) & set(written.columns):
            assert written[metric].dtype == np.int64, (name, metric)


def test_experiment_files_say_their_variant_and_counts_are_integers(small_clean):
    path = small_clean / "series" / "variant=more_exercises" / "rep-00001.parquet"
    alone = pd.read_parquet(path)  # one file, read without its folder, still says it all
    assert list(alone.columns[:4]) == ["scenario", "variant", "seed", "replication"]
    assert (alone.variant == "more_exercises").all() and (alone.replication == 1).all()
    assert (alone.seed == 5).all() and (alone.scenario == "baseline").all()
    assert alone.exercises_held.dtype == np.int64
    final = pd.read_parquet(small_clean / "final" / "variant=baseline" / "rep-00003.parquet")
    assert list(final.columns[:4]) == ["scenario", "variant", "seed", "replication"]
    assert (final.replication == 3).all() and (final.variant == "baseline").all()
    trace = small_clean / "traces" / "variant=more_exercises" / "rep-00000.jsonl"
    first = json.loads(trace.read_text().splitlines()[0])
    assert {key: first[key] for key in ("scenario", "variant", "seed", "replication")} == {
        "scenario": "baseline", "variant": "more_exercises", "seed": 5, "replication": 0}
    # the whole folder reads as one dataset, the variant from the files and the folders alike
    series = pd.read_parquet(small_clean / "series")
    assert series.groupby("variant", observed=True).replication.nunique().to_dict() == {
        "baseline": 4, "more_exercises": 4}


def test_summary_parquet_holds_the_summary_typed(small_clean):
    typed = pd.read_parquet(small_clean / "summary.parquet")
    text = pd.read_csv(small_clean / "summary.csv")
    assert list(typed.columns) == list(text.columns)
    assert list(typed.columns[:6]) == ["run_id", "variant", "replication", "seed", "status",
                                       "scenario"]
    for name in WHOLE_KPIS:
        assert typed[name].dtype == "Int64" and text[name].dtype == np.int64, name
    pd.testing.assert_frame_equal(typed.astype({"variant": str}), text, check_dtype=False)
    journal = {(entry["variant"], entry["replication"]): entry["kpis"] for entry in
               map(json.loads, (small_clean / "runs.jsonl").read_text().splitlines())}
    for row in typed.itertuples():
        kpis = journal[row.variant, row.replication]
        assert [getattr(row, name) for name in KPI_NAMES] == pytest.approx(
            [kpis[name] for name in KPI_NAMES], rel=0, abs=0, nan_ok=True)
    manifest = json.loads((small_clean / "manifest.json").read_text())
    assert "summary.parquet" in manifest["files"]
    assert ExperimentResult(small_clean).summary["crises"].dtype == "Int64"


# --- one glob per table -------------------------------------------------------------------

GLOBS = {"run": {"series": "series.parquet", "final": "final.parquet"},
         "experiment": {"series": "series/**/*.parquet", "final": "final/**/*.parquet"}}
"""One glob per table, relative to a results directory of each kind (README, "Reading the
results elsewhere")."""


def directories(small_clean: Path, saved_run: Path) -> list[tuple[str, Path, int]]:
    """Each kind of results directory with the runs it holds per variant."""
    return [("run", saved_run, 1), ("experiment", small_clean, 4)]


def test_duckdb_reads_each_table_of_any_results_directory_with_one_glob(small_clean,
                                                                        saved_run):
    duckdb = pytest.importorskip("duckdb")
    for kind, directory, runs in directories(small_clean, saved_run):
        for table, pattern in GLOBS[kind].items():
            glob = f"read_parquet('{directory}/{pattern}')"
            types = dict(duckdb.sql(f"SELECT column_name, column_type FROM (DESCRIBE "
                                    f"SELECT * FROM {glob})").fetchall())
            assert types["seed"] == types["replication"] == "BIGINT"
            assert types["scenario"] == "VARCHAR"
            assert ("variant" in types) == (kind == "experiment")
            if table == "series":
                assert {types[name] for name in WHOLE_METRICS} == {"BIGINT"}
            key = "variant, " if kind == "experiment" else ""
            counts = duckdb.sql(f"SELECT {key}count(DISTINCT replication) FROM {glob} "
                                f"GROUP BY ALL").fetchall()
            assert {row[-1] for row in counts} == {runs}, (kind, table)
    traces = duckdb.sql(f"SELECT variant, replication, count(*) FROM "
                        f"read_json('{small_clean}/traces/**/*.jsonl') GROUP BY ALL "
                        "ORDER BY variant").fetchall()
    assert [row[:2] for row in traces] == [("baseline", 0), ("more_exercises", 0)]


def test_polars_reads_each_table_of_any_results_directory_with_one_glob(small_clean,
                                                                        saved_run):
    pl = pytest.importorskip("polars")
    for kind, directory, runs in directories(small_clean, saved_run):
        for table, pattern in GLOBS[kind].items():
            frame = pl.read_parquet(f"{directory}/{pattern}")
            assert frame.schema["seed"] == frame.schema["replication"] == pl.Int64
            assert ("variant" in frame.schema) == (kind == "experiment")
            if table == "series":
                assert {frame.schema[name] for name in WHOLE_METRICS} == {pl.Int64}
            keys = ["variant"] if kind == "experiment" else ["scenario"]
            counts = frame.group_by(keys).agg(pl.col("replication").n_unique())
            assert set(counts["replication"].to_list()) == {runs}, (kind, table)


# --- the same runs everywhere (issue 13, item 5) --------------------------------------------


def test_fewer_replications_later_read_only_the_current_runs(shrunk):
    manifest = json.loads((shrunk / "manifest.json").read_text())
    assert manifest["replications"] == 10
    kept = sorted((shrunk / "series" / "variant=baseline").glob("*.parquet"))
    assert len(kept) == 30  # kept for reuse, but not current
    experiment = ExperimentResult(shrunk)
    assert experiment.summary.groupby("variant", observed=True).size().to_dict() == {
        "baseline": 10, "more_exercises": 10}
    for table in (experiment.series, experiment.final):
        per_variant = table.groupby("variant", observed=True).replication.unique()
        assert {variant: sorted(runs) for variant, runs in per_variant.items()} == {
            "baseline": list(range(10)), "more_exercises": list(range(10))}
    results = load_results(shrunk)
    for variant in results.variants:
        assert results.runs(variant) == list(range(10))
        assert results.bands(variant, ["crises"])["crises"].replications == 10
        assert results.end_state(variant).replications == 10


def test_fewer_replications_later_draw_only_the_current_runs(shrunk):
    results = load_results(shrunk)
    fan = plots.fan_chart(results, "interop_ally_partner").axes[0]
    assert fan.get_title().endswith("(10 replications per variant)")
    current = ExperimentResult(shrunk).series
    baseline = current[current.variant == "baseline"]
    expected = baseline.groupby("time_days").interop_ally_partner.median().to_numpy()
    [median] = [line for line in fan.lines if line.get_label() == "baseline"]
    assert np.allclose(median.get_ydata(), expected, rtol=0, atol=1e-12)
    heatmap = plots.heatmaps(results).axes[0]
    assert heatmap.get_title().endswith("(mean of 10 replications)")
    final = ExperimentResult(shrunk).final.query("variant == 'baseline'")
    nation, other = [t.get_text() for t in heatmap.get_yticklabels()[:2]]
    pair = final[(final.nation == nation) & (final.other == other)]
    assert np.ma.getdata(heatmap.images[0].get_array())[0, 1] == pytest.approx(
        pair.trust.mean(), rel=1e-12)
    assert "share of 10 replications" in plots.sharing_network(results).axes[0].get_title()
    assert plots.kpi_distributions(results).get_suptitle().endswith(
        "over 10 paired replications")
    assert plots.forest_plot(results).get_suptitle().endswith(
        "over 10 paired replications")
    captions = " ".join(spec.caption for spec in plots.figures(results))
    assert "10 replications" in captions and "30" not in captions
    page = render(results)
    assert "10 paired replications each" in page and "30 replications" not in page


def test_sql_reads_the_current_runs_by_joining_the_summary(shrunk):
    """A glob reads every run kept on disk; the summary says which ones are current."""
    duckdb = pytest.importorskip("duckdb")
    [(every, current)] = duckdb.sql(f"""
        SELECT count(DISTINCT (s.variant, s.replication)),
               count(DISTINCT (s.variant, s.replication)) FILTER (WHERE r.status = 'ok')
        FROM read_parquet('{shrunk}/series/**/*.parquet') s
        LEFT JOIN read_parquet('{shrunk}/summary.parquet') r USING (variant, replication)
    """).fetchall()
    assert (every, current) == (60, 20)
