"""What an analyst reads of an exploration: the findings in words, the figures, the console
summary and the report, each checked against the tables `simulator explore` wrote. Two tiny
explorations of the minimal world (a few seconds each) are run once for the module."""

from __future__ import annotations

import dataclasses
import math
import re

import pandas as pd
import pytest

from simulator.presentation.exploration_console import console_summary
from simulator.presentation.exploration_figures import draw_exploration
from simulator.presentation.exploration_findings import findings
from simulator.presentation.exploration_report import write_exploration_report
from simulator.presentation.exploration_robustness import outside_intervals
from simulator.presentation.explored import explored, number
from simulator.runs.explorer import explore
from simulator.runs.store import PLOTS, REPORT

from .conftest import SCENARIOS

EXPLORATION = """\
name: {name}
description: Two policies of the minimal world across a few futures.
scenario: {scenario}
seed: 7
uncertainties:
  parameters.half_life_days.proficiency: {{range: [200, 1500]}}
  exercises.sea_breeze.cost: {{range: [5, 60]}}
  nations.aldoria.annual_budget: {{scale: [0.3, 1.5], distribution: log-uniform}}
policies:
  baseline: {{description: the scenario as it is}}
  more_exercises:
    description: exercises twice as often
    scale: {{exercises.*.every_days: 0.5}}
sampler: sobol
futures: 40
replications: 2
outcomes: [mean_interop_ally_partner, budget_spent]
satisficing:
  mean_interop_ally_partner: {{min: {threshold}}}
keep_series: 2
"""
SECTIONS = ["findings", "robustness", "sensitivity", "discovery", "noise", "set-up",
            "reproducibility"]
"""The report's sections, in the order the analyst reads them; links into them use these."""


def _explore(folder, name, threshold):
    source = folder / f"{name}.yaml"
    source.write_text(EXPLORATION.format(name=name, scenario=SCENARIOS / "minimal.yaml",
                                         threshold=threshold), encoding="utf-8")
    return explore(source, folder / name, workers=1)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """An exploration in which both policies fail in some futures (interoperability below
    0.45): where exercises cost much and the budget is small."""
    return _explore(tmp_path_factory.mktemp("explorations"), "tiny", 0.45)


@pytest.fixture(scope="module")
def never_failing(tmp_path_factory):
    """The same exploration, with a criterion every future meets."""
    return _explore(tmp_path_factory.mktemp("explorations"), "lenient", 0.0)


@pytest.fixture(scope="module")
def report(result):
    return write_exploration_report(result.directory).read_text(encoding="utf-8")


def test_the_report_has_every_section_in_order_and_fetches_nothing(result, report):
    assert re.findall(r'<section id="([^"]+)"', report) == SECTIONS
    images = re.findall(r'<img [^>]*src="([^"]{0,30})', report)
    assert images and all(source.startswith("data:image/png;base64,") for source in images)
    assert "<link" not in report and "<script" not in report
    assert (result.directory / REPORT).exists()


def test_every_figure_is_written_and_not_empty(result):
    written = draw_exploration(result.directory)
    assert {path.stem for path in written} == {
        "sensitivity", "sensitivity_convergence", "sensitivity_over_time", "regret",
        "futures_satisficing", "discovery_tradeoff", "discovery_boxes"}
    for path in written:
        assert path.parent == result.directory / PLOTS
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path


def test_the_report_embeds_every_figure_drawn(result, report):
    drawn = {path.stem for path in (result.directory / PLOTS).glob("*.png")}
    assert set(re.findall(r'<figure id="([^"]+)"', report)) == drawn


def test_the_most_robust_policy_is_the_rank_one_row_of_each_metric(result):
    table = result.robustness
    said = findings(explored(result))
    primary = said.robustness[0]
    assert primary.outcome == "mean_interop_ally_partner"
    for standing in primary.standings:
        rows = table[(table.outcome == primary.outcome) & (table.metric == standing.metric)]
        assert standing.leaders == tuple(rows.loc[rows["rank"] == 1, "policy"])
    best = table[(table.outcome == primary.outcome) & (table.metric == "mean")
                 & (table["rank"] == 1)].iloc[0]
    assert best.policy == "more_exercises"  # twice the exercises: more interoperability
    assert f"**{best.policy}** leads on mean {number(best.value)} " \
           f"({number(best.low)}–{number(best.high)})" in primary.text


def test_a_tie_is_said_to_be_one(result):
    """Both policies' worst future is one where no exercise is affordable: the same value."""
    table = result.robustness
    worst = table[(table.outcome == "mean_interop_ally_partner") & (table.metric == "worst")]
    assert (worst["rank"] == 1).all()
    primary = findings(explored(result)).robustness[0]
    assert "**baseline** and **more_exercises** tie on worst case" in primary.text
    assert "baseline and more_exercises tie: no number of futures would separate them" \
        in primary.trust


def test_the_sufficiency_verdict_matches_sufficiency_csv(result):
    table = result.sufficiency
    said = findings(explored(result))
    assert [check.analysis for check in said.sample] == list(dict.fromkeys(table.analysis))
    for check in said.sample:
        rows = table[table.analysis == check.analysis]
        assert (check.outputs, check.enough) == (len(rows), int(rows.enough.sum()))
        short = rows.loc[~rows.enough, "futures_needed"]
        finite = short[short.map(math.isfinite)]
        if len(finite):
            assert f"{finite.max():,.0f} futures" in check.text
    complete = [check.analysis for check in said.sample if check.enough == check.outputs]
    assert ("enough for every analysis" in said.verdict) == (len(complete) == len(said.sample))
    assert not table[table.analysis == "sensitivity"].enough.any()
    assert "not enough for the sensitivity indices" in said.verdict


def test_the_console_summary_marks_the_rank_one_policy_of_the_primary_outcome(result):
    table = result.robustness
    leader = table[(table.outcome == "mean_interop_ally_partner") & (table.metric == "mean")
                   & (table["rank"] == 1)].policy.item()
    summary = console_summary(result)
    lines = summary.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("Robustness of"))
    end = next(k for k, line in enumerate(lines) if line.startswith("* ranks first"))
    rows = {line.split()[0]: line.split()[1] for line in lines[start + 2:end]}
    assert list(rows) == ["baseline", "more_exercises"]
    assert rows[leader].endswith("*")
    assert not any(cell.endswith("*") for policy, cell in rows.items() if policy != leader)
    assert f"simulator report {result.directory}" in summary
    assert max(len(line) for line in summary.splitlines()
               if not line.startswith(("Tables in", "The report"))) <= 100


def test_where_each_policy_fails_is_read_from_its_box(result):
    boxes = result.discovery
    failed = findings(explored(result)).failures
    assert [failure.policy for failure in failed] == ["baseline", "more_exercises"]
    assert any(failure.limits for failure in failed)
    for failure in failed:
        rows = boxes[boxes.policy == failure.policy]
        share = rows.failure_share.iloc[0]
        assert 0 < share < 1
        assert failure.text.startswith(f"fails in {100 * share:.0f}% of the futures "
                                       f"({round(share * 40)} of 40")
        box = rows[rows.restricted]
        assert [limit.uncertainty for limit in failure.limits] == list(box.uncertainty)
        for row in box.itertuples():
            assert f"`{row.uncertainty}`" in failure.text
            assert f"{100 * row.coverage:.0f}% of the failures" in failure.text
        if box.empty:
            assert rows.note.iloc[0] in failure.text


def test_a_policy_that_never_fails_is_said_so(never_failing):
    said = findings(explored(never_failing))
    assert [failure.policy for failure in said.failures] == ["baseline", "more_exercises"]
    for failure in said.failures:
        assert failure.never_fails
        assert failure.text == "never fails: it meets every criterion in all 40 futures."
    assert "**baseline** never fails." in said.headlines
    report = write_exploration_report(never_failing.directory).read_text(encoding="utf-8")
    assert "<b>baseline</b> never fails" in report
    assert not (never_failing.directory / PLOTS / "discovery_boxes.png").exists()


def test_noise_says_what_would_sharpen_an_outcome(result):
    """The minimal world draws no random numbers: its replications agree, so the futures
    make all of the spread; a noisy outcome is told to take more replications."""
    found = explored(result)
    quiet = findings(found).noise[0]
    assert quiet.shares == {"baseline": 0.0, "more_exercises": 0.0}
    assert "noise is 0% of its variance" in quiet.text
    assert "more futures, not more replications" in quiet.text
    noisy = dataclasses.replace(found, variance=found.variance.assign(noise_share=0.79))
    assert ("run-to-run noise is 79% of its variance: more replications per future, not more "
            "futures, would sharpen it.") == findings(noisy).noise[0].text


def test_an_extreme_outside_its_own_interval_is_flagged(result):
    found = explored(result)
    assert outside_intervals(found) == [] or all(
        not row.low <= row.value <= row.high for row in outside_intervals(found))
    biased = found.robustness.copy()
    worst = (biased.metric == "worst") & (biased.policy == "baseline") & (
        biased.outcome == "budget_spent")
    biased.loc[worst, ["low", "high"]] = biased.loc[worst, "value"].item() + pd.Series(
        [1.0, 2.0]).to_numpy()
    said = findings(dataclasses.replace(found, robustness=biased))
    assert [(o.outcome, o.metric, o.policy) for o in said.outside] == [
        ("budget_spent", "worst", "baseline")]
    assert "outside their own 95% interval" in said.bias


def test_one_policy_without_criteria_is_reported_with_what_was_left_out(tmp_path):
    """No robustness (nothing to compare) and no discovery (nothing to fail): the report
    still has every section, and says why those are empty."""
    source = tmp_path / "alone.yaml"
    source.write_text(f"""\
scenario: {SCENARIOS / "minimal.yaml"}
seed: 3
uncertainties:
  exercises.sea_breeze.cost: {{range: [5, 60]}}
policies:
  baseline: {{}}
sampler: lhs
futures: 8
replications: 1
outcomes: [mean_interop_ally_partner]
""", encoding="utf-8")
    alone = explore(source, tmp_path / "alone", workers=1)
    said = findings(explored(alone))
    assert (said.robustness, said.failures) == ([], [])
    report = write_exploration_report(alone.directory).read_text(encoding="utf-8")
    assert re.findall(r'<section id="([^"]+)"', report) == SECTIONS
    assert "No robustness metrics: one policy: robustness compares policies." in report
    assert "No scenario discovery: no satisficing criteria: nothing for a policy to fail." \
        in report
    assert "No robustness table: one policy" in console_summary(alone)
