"""Selection in experiments: Kim and Nelson's procedure run round by round, subsets, MCB,
replications sized on paired differences, and what the console and the report say of them."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from simulator.analysis.stats import paired_difference
from simulator.cli import main
from simulator.presentation.plot_data import load_results
from simulator.runs.runner import run_experiment
from simulator.runs.store import (
    SELECTION,
    SUMMARY_CSV,
    ExperimentResult,
    read_experiment_manifest,
    read_selection,
    read_summary,
)
from simulator.select import KimNelson

from .conftest import SCENARIOS, SMALL, data_files, kill, run_compare, start_compare, wait_for_runs
from .conftest import write as write_file

PRIMARY = "mean_interop_ally_partner"
VARIANTS = """\
variants:
  baseline: {horizon_years: 3}
  more_exercises:
    horizon_years: 3
    exercises.sea_breeze.every_days: 60
    exercises.eastern_resolve.every_days: 60
  somewhat_more:
    horizon_years: 3
    exercises.sea_breeze.every_days: 90
    exercises.eastern_resolve.every_days: 90
  fewer_exercises:
    horizon_years: 3
    exercises.sea_breeze.every_days: 365
    exercises.eastern_resolve.every_days: 365
"""
"""Four variants of three years: more exercises are clearly better on the primary metric,
fewer clearly worse, and somewhat more close to the best (about 2 delta below it)."""

KN = f"""\
name: kn
scenario: {SCENARIOS / 'baseline.yaml'}
replications: 4
seed: 5
primary_metric: {PRIMARY}
max_replications: 60
batch: 1
selection: {{procedure: kn, delta: 0.0005, n0: 5}}
{VARIANTS}"""

SUBSET = f"""\
name: subset
scenario: {SCENARIOS / 'baseline.yaml'}
replications: 8
seed: 5
primary_metric: {PRIMARY}
selection: {{procedure: subset, delta: 0.0005}}
{VARIANTS}"""


def write(directory: Path, text: str, name: str = "experiment.yaml") -> Path:
    return write_file(directory / name, text)


@pytest.fixture(scope="module")
def kn_clean(tmp_path_factory) -> Path:
    """The KN experiment, run once in this process: the reference for identity tests."""
    directory = tmp_path_factory.mktemp("kn")
    run_experiment(write(directory, KN), directory / "out", workers=1)
    return directory / "out"


def counts(directory: Path) -> dict[str, int]:
    """Each variant's current replications, as the summary lists them."""
    summary = read_summary(directory)
    return {str(name): int(size) for name, size
            in summary.groupby("variant", observed=True).size().items()}


# --- kn: the clearly best variant, early ----------------------------------------------------------


def test_kn_selects_the_clearly_best_variant_and_stops_early(kn_clean):
    record = read_selection(kn_clean)
    assert record is not None and record.procedure == "kn"
    assert record.best == "more_exercises" and record.contenders == ["more_exercises"]
    assert (record.delta, record.confidence, record.n0, record.batch) == (0.0005, 0.95, 5, 1)
    variants = record.variants
    assert counts(kn_clean) == {name: variant.replications for name, variant in variants.items()}
    assert variants["more_exercises"].eliminated_at is None
    assert variants["more_exercises"].replications == record.replications > 5
    for name in ("baseline", "somewhat_more", "fewer_exercises"):  # eliminated: fewer runs
        assert variants[name].eliminated_at == variants[name].replications <= record.replications
    assert variants["fewer_exercises"].replications < record.replications
    assert record.runs == sum(counts(kn_clean).values()) < record.fixed_design_runs
    assert record.fixed_design_runs == 4 * record.replications
    assert record.runs_saved == record.fixed_design_runs - record.runs > 0
    assert record.runs_in_rounds == record.runs  # one replication per round: none unused
    assert len(list((kn_clean / "series").rglob("*.parquet"))) == record.runs
    manifest = read_experiment_manifest(kn_clean)
    assert manifest.replications == record.replications
    assert manifest.stop_reason == ("selection made: more_exercises alone in contention after "
                                    f"{record.replications} replications")
    assert SELECTION in manifest.files


def test_kn_decides_on_the_data_in_replication_order(kn_clean):
    """Fed the summary's primary metric row by row, a fresh procedure makes the same
    eliminations: the runner adds nothing and drops nothing."""
    record = read_selection(kn_clean)
    summary = read_summary(kn_clean)
    table = summary.pivot(index="replication", columns="variant", values=PRIMARY)
    names = list(record.variants)
    values = table[names].to_numpy(dtype=float)  # NaN past each eliminated variant's last
    procedure = KimNelson(4, delta=0.0005, confidence=0.95, n0=5)
    fed = 0
    while not procedure.done:
        size = procedure.needed()
        procedure.add(values[fed:fed + size])
        fed += size
    outcome = procedure.result()
    assert fed == record.replications and names[outcome.best] == record.best
    assert {names[j]: rows for j, rows in outcome.eliminated.items()} == {
        name: variant.eliminated_at for name, variant in record.variants.items()
        if variant.eliminated_at is not None}


def test_mcb_intervals_are_over_the_replications_every_variant_has(kn_clean):
    record = read_selection(kn_clean)
    shared = min(counts(kn_clean).values())
    assert record.mcb_replications == shared >= 5
    table = read_summary(kn_clean).pivot(index="replication", columns="variant", values=PRIMARY)
    for name, interval in record.mcb.items():
        assert interval.mean == pytest.approx(table[name][:shared].mean(), rel=1e-12)
        assert interval.low <= interval.high


def test_the_contenders_are_told_round_by_round(tmp_path):
    told: list[list[str]] = []
    run_experiment(write(tmp_path, KN), tmp_path / "out", workers=1, contention=told.append)
    assert told[0] == ["baseline", "more_exercises", "somewhat_more", "fewer_exercises"]
    assert told[-1] == ["more_exercises"]
    assert all(set(later) <= set(earlier) for earlier, later in zip(told, told[1:]))


# --- identical results: workers, batches, resumption ----------------------------------------------


def test_one_worker_or_two_give_identical_results(kn_clean, tmp_path):
    run_experiment(write(tmp_path, KN), tmp_path / "pool", workers=2)
    assert data_files(tmp_path / "pool") == data_files(kn_clean)


def test_a_batch_changes_only_the_runs_past_the_deciding_replication(kn_clean, tmp_path):
    batched = KN.replace("batch: 1", "batch: 7")
    run_experiment(write(tmp_path, batched), tmp_path / "out", workers=2)
    clean, record = read_selection(kn_clean), read_selection(tmp_path / "out")
    assert record.model_dump(exclude={"batch", "runs_in_rounds"}) == clean.model_dump(
        exclude={"batch", "runs_in_rounds"})
    assert record.batch == 7 and record.runs_in_rounds >= record.runs
    assert (tmp_path / "out" / SUMMARY_CSV).read_bytes() == (kn_clean / SUMMARY_CSV).read_bytes()
    on_disk = len(list((tmp_path / "out" / "series").rglob("*.parquet")))
    assert on_disk == record.runs_in_rounds


def test_a_truncated_journal_resumes_to_the_same_files(kn_clean, tmp_path):
    """Runs the journal lost are made again, and the replayed selection decides the same."""
    target = Path(shutil.copytree(kn_clean, tmp_path / "out"))
    journal = target / "runs.jsonl"
    lines = journal.read_text().splitlines(keepends=True)
    journal.write_text("".join(lines[:len(lines) // 3]))
    shutil.rmtree(target / "series" / "variant=more_exercises")
    run_experiment(write(tmp_path, KN), target, workers=2)
    assert data_files(target) == data_files(kn_clean)


@pytest.mark.slow
def test_killed_midway_then_resumed_gives_the_same_selection(kn_clean, tmp_path):
    config = write(tmp_path, KN)
    out = tmp_path / "out"
    process = start_compare(config, out, workers=1)
    assert wait_for_runs(out, 30, process)
    kill(process)
    assert not (out / SELECTION).exists()
    resumed = run_compare(config, out, workers=2)
    assert resumed.returncode == 0, resumed.stderr
    assert data_files(out) == data_files(kn_clean)


def test_a_failed_run_in_contention_stops_the_selection_until_it_is_tried_again(
        kn_clean, tmp_path, monkeypatch):
    import simulator.runs.executors as executors

    real = executors.run_one

    def flaky(scenario, seed, replication, trace=False):
        if replication == 7 and scenario.exercises[2].every_days == 60:  # more_exercises
            raise RuntimeError("boom")
        return real(scenario, seed=seed, replication=replication, trace=trace)

    monkeypatch.setattr(executors, "run_one", flaky)
    config = write(tmp_path, KN)
    result = run_experiment(config, tmp_path / "out", workers=1)
    record = read_selection(tmp_path / "out")
    assert record.best is None
    assert record.reason.startswith("run more_exercises/7 failed")
    assert result.manifest.stop_reason == record.reason
    assert result.manifest.failed_runs == ["more_exercises/7"]
    summary = result.summary
    assert summary.loc[summary.status == "failed", "run_id"].tolist() == ["more_exercises/7"]
    monkeypatch.setattr(executors, "run_one", real)
    run_experiment(config, tmp_path / "out", workers=1)
    assert data_files(tmp_path / "out") == data_files(kn_clean)


def test_variants_that_cannot_be_separated_reach_the_cap_and_none_is_selected(tmp_path):
    text = KN.replace("max_replications: 60", "max_replications: 8").replace(
        "delta: 0.0005", "delta: 0.00002")
    result = run_experiment(write(tmp_path, text), tmp_path / "out", workers=1)
    record = read_selection(tmp_path / "out")
    assert record.best is None and {"more_exercises", "somewhat_more"} <= set(record.contenders)
    assert record.reason == ("no variant can be separated within delta (2e-05) in 8 "
                             f"replications: {', '.join(record.contenders)} remain in contention")
    assert result.manifest.stop_reason == (f"replication cap reached (8) with "
                                           f"{len(record.contenders)} variants in contention")
    assert all(record.variants[name].replications == 8 for name in record.contenders)
    assert record.replications == 8


def test_a_resumption_without_the_selection_leaves_no_selection_behind(kn_clean, tmp_path):
    target = Path(shutil.copytree(kn_clean, tmp_path / "out"))
    fixed = KN.replace("selection: {procedure: kn, delta: 0.0005, n0: 5}\n", "")
    result = run_experiment(write(tmp_path, fixed), target, workers=1)
    assert not (target / SELECTION).exists()
    assert counts(target) == dict.fromkeys(
        ["baseline", "more_exercises", "somewhat_more", "fewer_exercises"], 4)
    assert result.manifest.stop_reason == "fixed number of replications (4)"


@pytest.mark.parametrize("experiment", [KN, SUBSET], ids=["kn", "subset"])
def test_an_undefined_primary_metric_stops_a_selection_with_a_clear_error(experiment, tmp_path,
                                                                         capsys):
    text = (experiment.replace(f"primary_metric: {PRIMARY}", "primary_metric: crisis_success_rate")
            .replace("  baseline: {horizon_years: 3}",
                     "  baseline: {horizon_years: 3, threats.*.per_year: 0}"))
    out = tmp_path / "out"
    assert main(["compare", str(write(tmp_path, text)), "--out", str(out), "--workers", "1",
                 "--no-plots", "--no-progress"]) == 2
    error = capsys.readouterr().err
    assert ("error: selection: crisis_success_rate is undefined (NaN) in run baseline/0; a "
            "selection compares every variant's primary metric in each replication") in error
    assert "choose another primary_metric" in error and "Traceback" not in error
    assert read_experiment_manifest(out).status == "failed"


# --- subset ---------------------------------------------------------------------------------------


def test_subset_runs_the_fixed_design_and_keeps_the_best(tmp_path):
    result = run_experiment(write(tmp_path, SUBSET), tmp_path / "out", workers=2)
    record = read_selection(tmp_path / "out")
    assert record.procedure == "subset" and record.n0 is None and record.batch is None
    assert "more_exercises" in record.contenders and "fewer_exercises" not in record.contenders
    assert (record.best is None) == (len(record.contenders) > 1)
    assert record.best in (None, "more_exercises")
    assert all(variant.replications == 8 and variant.eliminated_at is None
               for variant in record.variants.values())
    assert record.runs == record.fixed_design_runs == record.runs_in_rounds == 32
    assert record.runs_saved == 0 and record.mcb_replications == 8
    assert set(record.mcb) == set(record.variants)
    assert result.manifest.stop_reason == "fixed number of replications (8)"


def test_the_report_of_a_subset_names_its_members(tmp_path, monkeypatch):
    from .test_report import Page

    run_experiment(write(tmp_path, SUBSET), tmp_path / "out", workers=2)
    record = read_selection(tmp_path / "out")
    page = Page(report_page(tmp_path / "out", monkeypatch))
    assert ("Its guarantee: the subset holds the best with probability at least 0.95 whenever "
            "the best exceeds every other by at least δ = 0.0005") in page.text
    table = next(t for t in page.tables if t[0][:3] == ["variant", "outcome", "replications"])
    outcomes = {row[0]: row[1] for row in table[1:]}
    assert outcomes["fewer_exercises"] == "left out"
    assert outcomes["more_exercises"] == ("selected" if record.best else "in the subset")
    assert "32 runs made, against 32 for every variant to replication 8: none saved." in page.text


# --- replications sized on the paired differences -------------------------------------------------


def half_widths(directory: Path, replications: int, kpi: str = PRIMARY) -> float:
    """The widest 95% CI half-width of the variants' paired differences to the baseline over
    the first `replications`."""
    table = read_summary(directory).pivot(index="replication", columns="variant", values=kpi)
    widest = 0.0
    for variant in table.columns.drop("baseline"):
        difference = paired_difference(table.baseline[:replications],
                                       table[variant][:replications])
        widest = max(widest, (difference.high - difference.low) / 2)
    return widest


def test_precision_on_differences_adds_batches_until_it_is_met(tmp_path):
    text = SMALL + (f"precision: {{on: differences, half_width: {{{PRIMARY}: 0.0016, "
                    "exercises_held: 100}}\nbatch: 2\nmax_replications: 12\n")
    result = run_experiment(write(tmp_path, text), tmp_path / "out", workers=1)
    manifest = result.manifest
    assert manifest.replications == 8
    assert manifest.stop_reason == (
        "precision reached: 95% CI half-width of every variant's paired difference to the "
        f"baseline within 0.0016 on {PRIMARY} and 100 on exercises_held")
    assert half_widths(tmp_path / "out", 8) <= 0.0016 < half_widths(tmp_path / "out", 6)
    comparison = result.comparison.set_index(["variant", "kpi"]).loc[("more_exercises", PRIMARY)]
    assert (comparison.ci_high - comparison.ci_low) / 2 <= 0.0016


def test_precision_on_differences_stops_at_the_cap_when_it_cannot_be_met(tmp_path):
    text = SMALL + "precision: {on: differences, half_width: 0.00001}\nbatch: 2\n" + (
        "max_replications: 6\n")
    result = run_experiment(write(tmp_path, text), tmp_path / "out", workers=1)
    assert result.manifest.replications == 6
    assert result.manifest.stop_reason == "replication cap reached (6)"


# --- bad selection blocks -------------------------------------------------------------------------


@pytest.mark.parametrize("block, path, message", [
    ("selection: {procedure: kim, delta: 0.01}", "selection.procedure",
     "should be 'kn' or 'subset' (got 'kim')"),
    ("selection: {procedure: kn, delta: 0}", "selection.delta",
     "should be greater than 0 (got 0)"),
    ("selection: {procedure: kn, delta: 0.01, n0: 1}", "selection.n0",
     "should be greater than or equal to 2 (got 1)"),
    ("selection: {procedure: kn, delta: 0.01, confidence: 1.2}", "selection.confidence",
     "should be less than 1 (got 1.2)"),
    ("selection: {procedure: kn, delta: 0.01, confidence: 0.5}", "selection.confidence",
     "should be above 1/k = 0.5 for k = 2 variants: a guess among them is right that often"),
    ("selection: {procedure: kn, delta: 0.01, cofidence: 0.9}", "selection.cofidence",
     "unknown key 'cofidence'; did you mean 'confidence'?"),
    ("selection: {procedure: subset, delta: 0.01, n0: 5}", "selection.n0",
     "applies to `kn` only: `subset` runs the experiment's `replications` (4)"),
    ("selection: {procedure: kn, delta: 0.01, n0: 20}\nmax_replications: 12", "max_replications",
     "must be at least the selection's n0 (20)"),
    ("selection: {procedure: kn, delta: 0.01}\nprecision: 0.01", "precision",
     "cannot go with `selection`, which sets the replications itself"),
    ("precision: {on: differences, half_width: {interop: 0.01}}", "precision.half_width.interop",
     "unknown KPI 'interop'"),
    ("precision: {on: differences, half_width: -0.01}", "precision.half_width",
     "should be greater than 0 (got -0.01)"),
])
def test_a_bad_selection_or_precision_is_located(block, path, message, tmp_path, capsys):
    config = write(tmp_path, SMALL + block + "\n")
    out = tmp_path / "out"
    assert main(["compare", str(config), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    key = path.split(".")[-1]
    number, line = next((number, line) for number, line in
                        enumerate(config.read_text().splitlines(), 1)
                        if f"{key}:" in line and number > 11)
    located = f"{config}:{number}:{line.index(key + ':') + 1}: {path}: {message}"
    assert located in error, error
    assert not out.exists()


@pytest.mark.parametrize("block, path, message", [
    ("selection: {procedure: kn, delta: 0.01}", "selection",
     "needs at least two variants to select from"),
    ("precision: {on: differences, half_width: 0.01}", "precision",
     "differences to the baseline need a variant besides the baseline"),
])
def test_selection_and_differences_need_two_variants(block, path, message, tmp_path, capsys):
    text = SMALL.split("  more_exercises:")[0] + block + "\n"
    assert main(["compare", str(write(tmp_path, text)), "--out", str(tmp_path / "out")]) == 2
    assert f"{tmp_path / 'experiment.yaml'}:8:1: {path}: {message}" in capsys.readouterr().err


# --- what the console and the report say ---------------------------------------------------------


def test_compare_prints_the_selection_in_one_line(kn_clean, tmp_path, capsys):
    target = shutil.copytree(kn_clean, tmp_path / "out")
    record = read_selection(kn_clean)
    assert main(["compare", str(write(tmp_path, KN)), "--out", str(target), "--no-plots",
                 "--no-progress"]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert (f"Selection (Kim-Nelson, delta 0.0005, confidence 0.95): best more_exercises; "
            f"{record.runs} runs, {record.runs_saved} fewer than the "
            f"{record.fixed_design_runs} of every variant to replication "
            f"{record.replications}.") in printed
    low, high = min(counts(kn_clean).values()), record.replications
    assert f"{low} to {high} paired replications per variant" in printed


def report_page(directory: Path, monkeypatch) -> str:
    """The report's page, without its figures (drawing them is the figures' tests' work)."""
    import simulator.presentation.report as report

    monkeypatch.setattr(report, "figures", lambda results: [])
    return report.render(load_results(directory))


def test_the_report_has_a_selection_section_after_the_findings(kn_clean, monkeypatch):
    from .test_report import Page

    page = Page(report_page(kn_clean, monkeypatch))
    record = read_selection(kn_clean)
    assert page.section_ids == ["findings", "selection", "trade-offs", "set-up", "model",
                                "validation", "figures", "reproducibility"]
    text = page.text
    assert ("Its guarantee: the variant it selects is the best with probability at least 0.95 "
            "whenever the best exceeds every other by at least δ = 0.0005") in text
    assert (f"Selected: more_exercises: one variant remained after {record.replications} "
            "replications.") in text
    saved = round(100 * record.runs_saved / record.fixed_design_runs)
    assert (f"{record.runs} runs used, against {record.fixed_design_runs} for every variant to "
            f"replication {record.replications}: {record.runs_saved} saved ({saved}%).") in text
    table = next(t for t in page.tables if t[0][:3] == ["variant", "outcome", "replications"])
    rows = {row[0]: row[1:] for row in table[1:]}
    assert rows["more_exercises"][:2] == ["selected", str(record.replications)]
    fewer = record.variants["fewer_exercises"]
    assert rows["fewer_exercises"][:2] == [f"eliminated after replication {fewer.eliminated_at}",
                                           str(fewer.replications)]
    interval = record.mcb["baseline"]
    assert rows["baseline"][2:] == [f"{interval.mean:.4g}",
                                    f"[{interval.low:+.3g}, {interval.high:+.3g}]"]
    assert f"over the {record.mcb_replications} replications every variant has" in text
    assert ("an upper bound of 0 says the variant is not the best, a lower bound of 0 that it "
            "is") in text
    assert "Replications: up to" in text and "as many as the selection needed" in text


def test_the_report_of_a_precision_on_differences_says_so(tmp_path, monkeypatch):
    from .test_report import Page

    text = SMALL + "precision: {on: differences, half_width: 0.01}\n"
    run_experiment(write(tmp_path, text), tmp_path / "out", workers=1)
    page = Page(report_page(tmp_path / "out", monkeypatch))
    assert "selection" not in page.section_ids
    assert ("added in batches until the 95% half-width of every variant's paired difference to "
            "the baseline was within 0.01 on the primary KPI, or at most 1000; stopped because: "
            "precision reached") in page.text


def test_selection_json_is_plain_json_with_the_variants_in_order(kn_clean):
    data = json.loads((kn_clean / SELECTION).read_text())
    assert list(data["variants"]) == ["baseline", "more_exercises", "somewhat_more",
                                      "fewer_exercises"]
    assert data["best"] == "more_exercises" and math.isfinite(data["mcb"]["baseline"]["low"])
    assert ExperimentResult(kn_clean).manifest.files[SELECTION]
    assert np.isclose(data["delta"], 0.0005)


def test_a_selection_reproduces_run_by_run(kn_clean, tmp_path):
    """Each variant's current runs are as many as the selection gave it, not the most any
    variant had: reproduce checks those and finds them bit for bit."""
    directory = Path(shutil.copytree(kn_clean, tmp_path / "kn"))
    assert main(["reproduce", str(directory), "--check", "--all", "--no-progress"]) == 0
    record = json.loads((directory / "reproduction.json").read_text(encoding="utf-8"))
    assert record["total"] == sum(counts(directory).values())
