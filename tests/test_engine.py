"""The engine against mathematics: closed forms of docs/model.md on scenarios small enough to
solve."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import simulator
from simulator.model import dynamics, engine
from simulator.model.engine import run_one
from simulator.model.recorder import SERIES_METRICS

from .conftest import Stepper, build, scenario_data

MARITIME = 0  # the only domain of minimal.yaml
ALLY, PARTNER = 0, 1


def minimal_exercise_ends(count: int, start: float = 30.0, every: float = 182.5,
                          duration: float = 10.0) -> list[float]:
    return [start + k * every + duration for k in range(count)]


def test_proficiency_after_each_exercise_follows_the_learning_rule(minimal):
    """Right after every exercise, P equals the recursion of docs/model.md section 4.2 and
    settles at its closed-form steady state g / (1 - (1 - g) exp(-lambda tau))."""
    scenario = build(minimal, horizon_years=60)
    stepper = Stepper(scenario)
    rate = dynamics.decay_rate(scenario.parameters.half_life_days.proficiency)
    gain = scenario.parameters.exercise.proficiency  # intensity 1, absorb 1, fit 1
    ends = minimal_exercise_ends(115)
    expected, previous_time = 0.2, 0.0  # borvia's initial proficiency
    for end in ends:
        stepper.run_until(end + 1e-6)
        expected = dynamics.learn(expected * math.exp(-rate * (end - previous_time)), gain)
        previous_time = end
        assert stepper.world.proficiency.at(end, (PARTNER, MARITIME)) == pytest.approx(
            expected, rel=0, abs=1e-12)
    steady = dynamics.trained_steady_state(gain, rate, 182.5)
    assert stepper.world.proficiency.at(ends[-1], (PARTNER, MARITIME)) == pytest.approx(
        steady, rel=0, abs=1e-9)
    assert stepper.world.proficiency.at(ends[-1], (ALLY, MARITIME)) == pytest.approx(
        steady, rel=0, abs=1e-9)


def test_decay_between_events_is_exact(minimal):
    """Between two exercises proficiency falls by exactly exp(-ln2 dt / h), sample by sample."""
    result = simulator.simulate(build(minimal))
    nations = result.nations[result.nations.nation == "borvia"]
    between = nations[(nations.time_days > 41) & (nations.time_days < 212)]
    half_life = 730.0
    first = between.iloc[0]
    for _, row in between.iterrows():
        factor = 2.0 ** (-(row.time_days - first.time_days) / half_life)
        assert row.proficiency == pytest.approx(first.proficiency * factor, rel=1e-12)


def test_trust_follows_the_beta_reputation_of_its_evidence(minimal):
    """Every exercise succeeds in minimal.yaml, adding weight 1 to A both ways; trust at the
    end is (W t0 + A) / (W + A) with A the decayed sum of that evidence."""
    scenario = build(minimal)
    result = simulator.simulate(scenario)
    mu = dynamics.decay_rate(scenario.parameters.half_life_days.trust_evidence)
    horizon = scenario.horizon_days
    ends = [t for t in minimal_exercise_ends(20) if t < horizon]
    evidence = sum(math.exp(-mu * (horizon - t)) for t in ends)
    expected = (2 * 0.45 + evidence) / (2 + evidence)
    assert result.trust.loc["aldoria", "borvia"] == pytest.approx(expected, abs=1e-12)
    assert result.trust.loc["borvia", "aldoria"] == pytest.approx(expected, abs=1e-12)


def test_trust_returns_to_its_prior_without_events(minimal):
    """One exercise, then nothing for a century: the evidence ages away and trust is t0 again."""
    scenario = build(minimal, horizon_years=100, sample_every_days=365,
                     exercises__sea_breeze__every_days=1e5)
    result = simulator.simulate(scenario)
    assert result.series.exercises_held.iloc[-1] == 1
    assert result.series.trust_ally_partner.max() > 0.6
    assert result.trust.loc["aldoria", "borvia"] == pytest.approx(0.45, abs=1e-9)
    assert result.trust.loc["borvia", "aldoria"] == pytest.approx(0.45, abs=1e-9)


def test_familiarity_stays_symmetric_in_a_busy_world(baseline):
    stepper = Stepper(baseline, seed=3)
    stepper.run_until(baseline.horizon_days)
    familiarity = stepper.world.familiarity.at(baseline.horizon_days)
    assert np.array_equal(familiarity, familiarity.T)
    assert np.all(np.diag(familiarity) == 0)
    assert familiarity.max() > 0.3


def test_budget_is_conserved(baseline):
    """Granted = spent + expired + what is left, exactly; spent never exceeds granted."""
    scenario = build(baseline.model_dump(), disruptions__budget_cuts__per_year=1.0)
    stepper = Stepper(scenario, seed=5)
    stepper.run_until(scenario.horizon_days)
    counts = stepper.activities.counts
    left = sum(budget.level for budget in stepper.activities.budgets.values())
    assert counts.budget_cuts > 0 and counts.budget_expired > 0
    assert counts.budget_granted == pytest.approx(
        counts.budget_spent + counts.budget_expired + left, rel=1e-12)
    result = simulator.simulate(scenario, seed=5)
    assert (result.series.budget_spent <= result.series.budget_granted).all()


def test_budget_year_grants_budget_times_will(minimal):
    """Each year aldoria gets annual_budget x will; what is left expires."""
    scenario = build(minimal, nations__aldoria__political_will=0.5,
                     nations__aldoria__interests=1.0)
    # political will 0.5 also halves participation; only the grant is checked here
    result = simulator.simulate(scenario)
    granted = result.series.budget_granted
    assert granted.iloc[0] == 50.0
    assert granted.iloc[-1] == 50.0 * 5  # years 0..4 start within the 5-year horizon


def test_crisis_counts_are_poisson():
    """Crises per region arrive as a Poisson process: the total over 200 replications of
    10 years at 2 per year lies in the 99% interval of Poisson(4000)."""
    data = {
        "name": "crises_only", "horizon_years": 10, "sample_every_days": 365,
        "domains": ["land"], "regions": [{"id": "r"}],
        "nations": [{"id": "a", "role": "ally", "region": "r", "capability": 0.5},
                    {"id": "p", "role": "partner", "region": "r", "capability": 0.5}],
        "threats": [{"id": "t", "region": "r", "per_year": 2.0, "kinds": ["unrest"]}],
    }
    scenario = simulator.scenario_from_dict(data)
    counts = [simulator.simulate(scenario, seed=11, replication=k).kpis["crises"]
              for k in range(200)]
    low, high = stats.poisson.interval(0.99, 2.0 * 10 * 200)
    assert low <= sum(counts) <= high
    # and the counts are dispersed like a Poisson variable (variance = mean)
    assert np.var(counts, ddof=1) == pytest.approx(np.mean(counts), rel=0.3)


def test_same_seed_same_series_different_seed_different_series(baseline):
    first = simulator.simulate(baseline, seed=7).output
    again = simulator.simulate(baseline, seed=7).output
    other = simulator.simulate(baseline, seed=8).output
    for name in ("series", "nations", "regions", "trust", "interoperability"):
        assert np.array_equal(getattr(first, name), getattr(again, name), equal_nan=True)
    assert not np.array_equal(first.series, other.series, equal_nan=True)


def test_a_built_run_stepped_to_the_horizon_ends_as_run_one(baseline):
    """`build` is the first half of `run_one`: stepping a built run in pieces to the
    horizon leaves the same trace and end-of-run trust, bit for bit."""
    simulation = engine.build(baseline, seed=4, trace=True)
    for time in (100.0, 1000.5, baseline.horizon_days):
        simulation.env.run(until=time)
    whole = run_one(baseline, seed=4, trace=True)
    assert tuple(simulation.trace) == whole.trace
    assert np.array_equal(simulation.world.snapshot(baseline.horizon_days).trust, whole.trust)


def test_replications_use_distinct_streams(baseline):
    first = simulator.simulate(baseline, seed=7, replication=0).output
    second = simulator.simulate(baseline, seed=7, replication=1).output
    assert not np.array_equal(first.series, second.series, equal_nan=True)


def test_sampling_does_not_change_the_run(minimal):
    """Reading state never changes it, so the state at the horizon does not depend on
    how often the recorder samples."""
    coarse = simulator.simulate(build(minimal, sample_every_days=365)).output
    fine = simulator.simulate(build(minimal, sample_every_days=7)).output
    assert np.array_equal(coarse.trust, fine.trust)
    assert np.array_equal(coarse.series[-1], fine.series[-1], equal_nan=True)


@pytest.mark.parametrize("scenario_name, coarse_days, fine_days", [
    ("minimal", 40.0, 10.0),  # the first exercise ends on day 40, a sample of both grids
    ("baseline", 30.0, 15.0),
])
def test_a_sample_does_not_depend_on_the_sampling_grid(scenario_name, coarse_days, fine_days):
    """A sample at time t is taken after every event of t (even those scheduled at t by
    other events of t), so the samples two grids share are the same, bit for bit (but for
    the highest tension since the previous sample, which is about the grid)."""
    data = scenario_data(scenario_name)
    coarse = run_one(build(data, sample_every_days=coarse_days), seed=5)
    fine = run_one(build(data, sample_every_days=fine_days), seed=5)
    shared = np.isin(fine.times, coarse.times)
    assert shared.sum() == len(coarse.times)
    about_the_grid = SERIES_METRICS.index("highest_tension")
    for name in ("series", "nations", "regions"):
        ours, theirs = getattr(coarse, name), getattr(fine, name)[shared]
        if name == "series":
            ours, theirs = (np.delete(table, about_the_grid, axis=1) for table in (ours, theirs))
        assert np.array_equal(ours, theirs, equal_nan=True), name
    if scenario_name == "minimal":
        held = coarse.series[:, SERIES_METRICS.index("exercises_held")]
        assert held[coarse.times == 40.0] == 1  # the exercise ending at the sample is in it


def test_the_highest_tension_since_the_last_sample_keeps_the_peak(minimal):
    """A contested region: the exercise ending on day 40 leaves tension 0.2. The sample of
    day 60 sees it decayed, but keeps the peak of day 40; the sample of day 90, with no
    exercise since, sees the decayed value in both."""
    minimal["regions"][0]["contested"] = True
    output = run_one(build(minimal), seed=0)
    at = {time: row for time, row in zip(output.times, output.series, strict=True)}
    current, highest = (SERIES_METRICS.index(m) for m in ("max_tension", "highest_tension"))
    assert at[60.0][current] == pytest.approx(0.2 * 2 ** (-20 / 365), rel=1e-12)
    assert at[60.0][highest] == pytest.approx(0.2, rel=1e-12)
    assert at[90.0][highest] == at[90.0][current]


def test_the_recorded_metrics_agree_with_numpy_on_the_final_state(baseline):
    """The recorder works its metrics out in one compiled pass over the cells; at the
    horizon they must agree, to rounding, with the same definitions written in numpy
    on the world's final snapshot (trust and interoperability as whole matrices)."""
    simulation = engine.build(baseline, seed=3)
    horizon = baseline.horizon_days
    simulation.env.run(until=horizon)
    world, recorder = simulation.world, simulation.recorder
    engaged = horizon - world.trained_together <= baseline.parameters.engaged_within_days
    recorder.sample(horizon)
    last = dict(zip(SERIES_METRICS, recorder.series[recorder.samples - 1], strict=True))
    final = world.snapshot(horizon)
    allies, partners = world.allies, world.partners
    interop = final.interoperability(world.weights)
    ally_partner = interop[np.ix_(allies, partners)]
    upper = np.triu_indices(len(allies), k=1)
    shares = dynamics.sharing(final.trust, world.share_threshold)
    warned = dynamics.warned(shares[:, allies], world.is_ally)
    coverage = [warned[world.region_of == r].mean() for r in range(len(world.region_ids))]
    pair_means = (np.where(engaged, ally_partner, 0).sum(-1)
                  / np.maximum(engaged.sum(-1), 1))
    expected = {
        "interop_ally_partner": ally_partner.mean(),
        "interop_ally_ally": interop[allies[upper[0]], allies[upper[1]]].mean(),
        "compatible_share": (ally_partner.mean(-1) >= 0.5).mean(),
        "engaged_pairs": engaged.any(-1).sum(),
        "interop_engaged": ally_partner[engaged].mean(),
        "engaged_compatible_share": (pair_means[engaged.any(-1)] >= 0.5).mean(),
        "trust_ally_partner": final.trust[np.ix_(allies, partners)].mean(),
        "trust_partner_ally": final.trust[np.ix_(partners, allies)].mean(),
        "sharing_links": shares.sum() // 2,
        "early_warning": np.mean(coverage),
        "partner_standards": final.standards[partners].mean(),
        "partner_proficiency": final.proficiency[partners].mean(),
        "partner_capability": final.capability[partners].mean(),
        "partner_stability": final.stability[partners].mean(),
        "max_tension": final.tension.max(),
    }
    assert engaged.any() and 0 < expected["sharing_links"]  # nothing vacuous
    for name, value in expected.items():
        assert last[name] == pytest.approx(value, rel=1e-12, abs=1e-15), name
    nations = recorder.nations[recorder.samples - 1]
    np.testing.assert_allclose(nations, np.column_stack([
        final.standards.mean(-1), final.proficiency.mean(-1), final.capability,
        final.stability, final.openness]), rtol=1e-12)
    regions = recorder.regions[recorder.samples - 1]
    np.testing.assert_allclose(regions, np.column_stack([final.tension, coverage]), rtol=1e-12)


def test_metrics_stay_in_their_ranges(baseline):
    result = simulator.simulate(baseline, seed=1)
    series = result.series
    indices = ["interop_ally_partner", "interop_ally_ally", "compatible_share",
               "trust_ally_partner", "trust_partner_ally", "early_warning",
               "partner_standards", "partner_proficiency", "partner_capability",
               "partner_stability"]
    assert series[indices].notna().all().all()
    assert ((series[indices] >= 0) & (series[indices] <= 1)).all().all()
    counts = [name for name in SERIES_METRICS if name.endswith(("_held", "_cancelled",
                                                                  "_delivered", "crises"))]
    assert (series[counts].diff().dropna() >= 0).all().all()
    assert ((result.output.trust >= 0) & (result.output.trust <= 1)).all()
    levels = result.nations[["standards", "proficiency", "capability", "stability", "openness"]]
    assert ((levels >= 0) & (levels <= 1)).all().all()
