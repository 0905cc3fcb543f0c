"""The findings read the comparison as an analyst would: percentages of the baseline, better
or worse by the catalogue's direction, practical size against the smallest effect of
interest, a best variant only when significantly better, and pairs moved across levels."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.model.dynamics import interoperability_level
from simulator.model.metrics import KPIS, smallest_effect
from simulator.presentation import findings as finding
from simulator.presentation.findings import Effect
from simulator.presentation.plot_data import load_results


def effect(kpi: str = "mean_interop_ally_partner", baseline: float = 0.2,
           difference: float = 0.02, low: float = 0.015, high: float = 0.025,
           significant: bool = True, smallest: float = 0.01) -> Effect:
    return Effect("v", KPIS[kpi], baseline, difference, low, high, 0.001, significant, smallest)


def test_an_effect_in_percent_of_the_baseline_and_none_of_nothing():
    assert effect().percent == pytest.approx((10.0, 7.5, 12.5))
    assert effect(kpi="escalations", baseline=0.0, difference=3.0).percent is None


@pytest.mark.parametrize("kpi, difference, significant, judgement", [
    ("mean_interop_ally_partner", 0.02, True, "better"),
    ("mean_interop_ally_partner", -0.02, True, "worse"),
    ("mean_interop_ally_partner", 0.02, False, "no difference"),
    ("escalations", 2.0, True, "worse"),  # lower is better
    ("escalations", -2.0, True, "better"),
    ("crises", 5.0, True, "no difference"),  # neither way is better
])
def test_better_or_worse_follows_the_catalogue_and_significance(kpi, difference, significant,
                                                                 judgement):
    assert effect(kpi=kpi, difference=difference, significant=significant).judgement == judgement


@pytest.mark.parametrize("difference, low, high, practical", [
    (0.02, 0.015, 0.025, "clearly"),   # the whole interval beyond 0.01
    (0.02, 0.005, 0.035, "possibly"),  # the estimate beyond, the interval not
    (0.005, 0.004, 0.006, "below"),
    (-0.02, -0.025, -0.015, "clearly"),
    (-0.02, -0.03, -0.002, "possibly"),
])
def test_practical_size_against_the_smallest_effect_of_interest(difference, low, high, practical):
    assert effect(difference=difference, low=low, high=high).practical == practical


def test_the_smallest_effect_of_interest_stated_or_by_default():
    """An index 0.01, a count 5% of the baseline; an experiment's number is the primary's,
    a mapping names its KPIs."""
    primary = "mean_interop_ally_partner"
    assert smallest_effect(primary, 0.17, primary) == 0.01
    assert smallest_effect("escalations", 8.0, primary) == pytest.approx(0.4)
    assert smallest_effect(primary, 0.17, primary, 0.03) == 0.03
    assert smallest_effect("escalations", 8.0, primary, 0.03) == pytest.approx(0.4)
    assert smallest_effect("escalations", 8.0, primary, {"escalations": 1.0}) == 1.0


def test_a_variant_is_best_only_when_significantly_better(small_clean):
    """On the small experiment of the fixtures, against its comparison: the best, if any, is
    significantly better on the primary KPI and the most improving of those that are."""
    results = load_results(small_clean)
    comparison = results.comparison
    found = finding.findings(results, results.manifest, comparison)
    primary = results.manifest.experiment.primary_metric
    rows = comparison[comparison.kpi == primary]
    improving = rows[rows.significant & (rows.difference > 0)]
    if improving.empty:
        assert found.best is None
    else:
        assert found.best.variant == improving.sort_values("difference").variant.iloc[-1]
    for variant in found.variants:
        row = rows[rows.variant == variant.variant].iloc[0]
        assert variant.primary.difference == row.difference
        assert variant.primary.percent[0] == pytest.approx(
            100 * row.difference / row.baseline_mean)


def test_no_variant_is_called_best_when_none_is_significantly_better(small_clean):
    results = load_results(small_clean)
    comparison = results.comparison.copy()
    comparison["significant"] = False
    assert finding.findings(results, results.manifest, comparison).best is None


def test_pairs_moved_across_levels_are_counted_replication_by_replication(small_clean):
    results = load_results(small_clean)
    variant = next(v for v in results.variants if v != results.baseline)
    moves = finding.level_moves(results, variant)
    ours, theirs = (results.pair_interoperability(v) for v in (variant, results.baseline))
    up = [np.sum(interoperability_level(ours[k]) > interoperability_level(theirs[k]))
          for k in sorted(ours)]
    down = [np.sum(interoperability_level(ours[k]) < interoperability_level(theirs[k]))
            for k in sorted(ours)]
    assert (moves.up, moves.down) == (pytest.approx(np.mean(up)), pytest.approx(np.mean(down)))
    assert moves.replications == len(ours)
    assert moves.pairs == len(next(iter(ours.values())))


def at_path(data, path):
    """The value at a dotted path of a resolved scenario, list items by id (None if none)."""
    for part in path.split("."):
        if isinstance(data, list):
            data = next((item for item in data if item.get("id") == part), None)
        else:
            data = data.get(part) if isinstance(data, dict) else None
    return data


def test_a_variant_changes_from_the_baselines_value_to_its_own(small_clean):
    """Every value the variant's overrides set differently from the baseline, and nothing
    else; the baseline changes nothing from itself."""
    results = load_results(small_clean)
    base = results.scenario(results.baseline)
    assert finding.changes(results, results.baseline) == []
    for variant in results.variants:
        overrides = results.manifest.variants[variant].overrides
        found = {change.path: change for change in finding.changes(results, variant)}
        assert set(found) == {path for path, value in overrides.items()
                              if at_path(base, path) != value}
        for path, change in found.items():
            assert change.after == overrides[path]
            assert change.before == at_path(base, path)


def test_differences_name_list_items_by_id_and_mark_what_one_side_lacks():
    base = {"exercises": [{"id": "a", "every_days": 90}, {"id": "b", "every_days": 30}],
            "parameters": {"exercise": {"min_success": 0.6}}}
    other = {"exercises": [{"id": "a", "every_days": 60}],
             "parameters": {"exercise": {"min_success": 0.6}}}
    assert finding.differences(base, other) == [
        ("exercises.a.every_days", 90, 60),
        ("exercises.b", {"id": "b", "every_days": 30}, finding.ABSENT)]


@pytest.mark.parametrize("kpi, words", [
    ("mean_interop_ally_partner", "time mean over the run: interoperability, ally–partner"),
    ("escalations", "total over the run: escalations"),
    ("final_sharing_links", "value at the horizon: information-sharing links"),
    ("crisis_success_rate", "crises handled over crises, at the horizon"),
    ("peak_tension", "highest over the run: highest tension in any region since the last "
                     "sample"),
])
def test_each_kpi_is_defined_in_words_from_how_it_sums_up_its_series(kpi, words):
    assert finding.definition(KPIS[kpi]) == words

