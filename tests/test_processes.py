"""Each SimPy process as a short story: the exact log of (time, event) on a tiny world."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import simpy
from scipy import stats

import simulator
from simulator.model import dynamics
from simulator.model.processes import Budget

from .conftest import Stepper, build

MARITIME, ALLY, PARTNER = 0, 0, 1


def story(stepper: Stepper, until: float, kinds: tuple[str, ...] | None = None) -> list:
    stepper.run_until(until)
    return [(round(event.time, 6), event.kind) for event in stepper.trace
            if kinds is None or event.kind in kinds]


def with_program(data: dict, **fields) -> dict:
    data = copy.deepcopy(data)
    data["nations"][ALLY]["trainers"] = 2
    data["nations"][PARTNER]["needs"] = ["maritime"]
    program = {"id": "coastguard", "provider": "aldoria", "partner": "borvia",
               "domains": ["maritime"], "tailored": True, "modules": 4,
               "module_every_days": 60, "module_days": 10, "trainers": 2, "cost": 5}
    data["programs"] = [program | fields]
    data["exercises"][0]["start_day"] = 1e5  # keep the exercise out of these stories
    data["parameters"]["program"] = {"interruption": 0.0}
    return data


# --- exercises ----------------------------------------------------------------------------


def test_exercise_series_story(minimal):
    stepper = Stepper(build(minimal))
    assert story(stepper, 500) == [
        (30.0, "exercise_start"), (40.0, "exercise_end"),
        (212.5, "exercise_start"), (222.5, "exercise_end"),
        (395.0, "exercise_start"), (405.0, "exercise_end"),
    ]


def test_exercises_queue_for_a_busy_facility(minimal):
    second = dict(minimal["exercises"][0], id="second_wave")
    minimal["exercises"].append(second)
    stepper = Stepper(build(minimal))
    stepper.run_until(100)
    starts = [(e.time, e.entity) for e in stepper.events("exercise_start")]
    assert starts == [(30.0, "exercises.sea_breeze"), (40.0, "exercises.second_wave")]


def test_an_exercise_waits_for_the_next_budget_year(minimal):
    """Cost 60 of a budget of 100: the second exercise waits for the budget year at day 365."""
    stepper = Stepper(build(minimal, exercises__sea_breeze__cost=60))
    assert story(stepper, 400, ("exercise_start",)) == [(30.0, "exercise_start"),
                                                        (365.0, "exercise_start")]


def test_an_exercise_it_cannot_pay_for_is_cancelled_after_max_wait(minimal):
    stepper = Stepper(build(minimal, exercises__sea_breeze__cost=150))
    stepper.run_until(300)
    cancelled = stepper.events("exercise_cancelled")
    assert [(e.time, e.detail["reason"]) for e in cancelled] == [(210.0, "no budget")]
    assert stepper.activities.budgets["aldoria"].level == 100.0  # nothing was taken


def test_fewer_than_two_participants_cancel_the_exercise(minimal):
    stepper = Stepper(build(minimal, nations__borvia__political_will=0.0))
    stepper.run_until(500)
    assert stepper.activities.counts.exercises_cancelled == 3
    assert stepper.activities.counts.exercises_held == 0


def test_participation_follows_will_times_interest(minimal):
    """Over many cycles, a partner with will 0.8 and interest 0.5 joins 40% of them."""
    minimal["nations"].append(dict(minimal["nations"][1], id="cordia", political_will=0.8,
                                   interests={"north": 0.5}))
    minimal["exercises"][0]["participants"].append("cordia")
    scenario = build(minimal, horizon_years=300, sample_every_days=3650)
    stepper = Stepper(scenario)
    stepper.run_until(scenario.horizon_days)
    starts = stepper.events("exercise_start")
    joined = sum("cordia" in e.detail["participants"] for e in starts)
    test = stats.binomtest(joined, len(starts), 0.4)
    assert test.pvalue > 0.001, (joined, len(starts))


# --- tension and escalation ------------------------------------------------------------------


def test_exercises_in_a_contested_region_raise_tension_and_escalate(minimal):
    """Tension +0.2 per exercise decaying with a 365-day half-life crosses 0.3 at the second
    exercise: the partner loses openness and the next exercise waits out the cooldown."""
    scenario = build(minimal, regions__north__contested=True,
                     parameters__escalation={"escalation_threshold": 0.3})
    stepper = Stepper(scenario)
    stepper.run_until(41)
    assert stepper.world.tension.at(40, 0) == pytest.approx(0.2, abs=1e-15)
    assert story(stepper, 410, ("escalation", "exercise_paused", "exercise_start")) == [
        (30.0, "exercise_start"), (212.5, "exercise_start"), (222.5, "escalation"),
        (395.0, "exercise_paused"), (402.5, "exercise_start"),
    ]
    assert stepper.world.openness(222.5, PARTNER) == pytest.approx(0.9, abs=1e-12)


def test_exercises_elsewhere_raise_no_tension(minimal):
    result = simulator.simulate(build(minimal))
    assert result.regions.tension.max() == 0.0
    assert result.kpis["escalations"] == 0


# --- capacity-building programs ----------------------------------------------------------------


def test_program_modules_story_and_capability(minimal):
    """Four modules every 60 days; capability follows the learning rule each time, and what
    it gained decays toward the scenario's value (half-life 3650 days) in between. The
    program is tailored: each module costs 5 x (1 + the premium 0.25)."""
    stepper = Stepper(build(with_program(minimal)))
    assert story(stepper, 400, ("module_start", "module_end")) == [
        (0.0, "module_start"), (10.0, "module_end"), (60.0, "module_start"),
        (70.0, "module_end"), (120.0, "module_start"), (130.0, "module_end"),
        (180.0, "module_start"), (190.0, "module_end"),
    ]
    gained, last = 0.0, 0.0
    for end in (10.0, 70.0, 130.0, 190.0):
        gained *= 2 ** (-(end - last) / 3650)
        gained += 0.02 * (1 - (0.3 + gained))
        last = end
    assert stepper.world.capability(190.0, PARTNER) == pytest.approx(0.3 + gained, abs=1e-15)
    assert stepper.world.capability(190.0 + 3650, PARTNER) == pytest.approx(
        0.3 + gained / 2, abs=1e-15)
    assert stepper.activities.counts.modules_delivered == 4
    assert stepper.activities.counts.budget_spent == 4 * 5 * 1.25


def test_programs_share_the_trainer_pool(minimal):
    """Two programs each needing the whole pool of 2 trainers take turns."""
    data = with_program(minimal)
    data["programs"].append(dict(data["programs"][0], id="second_team"))
    stepper = Stepper(build(data))
    stepper.run_until(30)
    starts = [(e.time, e.entity) for e in stepper.events("module_start")]
    assert starts == [(0.0, "programs.coastguard"), (10.0, "programs.second_team")]


def test_a_program_waits_for_the_partner_to_stabilise(minimal):
    """Stability 0.1 against a floor of 0.3: the first module waits exactly until
    0.9 - 0.8 exp(-lambda t) = 0.3."""
    scenario = build(with_program(minimal), nations__borvia__stability=0.9)
    stepper = Stepper(scenario)
    stepper.world.stability_lost.values[PARTNER] = 0.8
    stepper.run_until(400)
    rate = dynamics.decay_rate(365.0)
    expected = math.log(0.8 / 0.6) / rate
    first = stepper.events("module_start")[0]
    assert first.time == pytest.approx(expected, abs=1e-9)
    assert stepper.activities.counts.suspensions == 1


def test_a_program_for_a_partner_that_never_stabilises_is_abandoned(minimal):
    stepper = Stepper(build(with_program(minimal), nations__borvia__stability=0.2))
    stepper.run_until(1000)
    assert [e.kind for e in stepper.trace] == ["program_abandoned"]
    assert stepper.activities.counts.modules_delivered == 0


def test_interruptions_follow_instability(minimal):
    """With interruption 1 and stability 0.5, half the modules are preceded by a pause."""
    data = with_program(minimal, modules=2000, module_every_days=1, module_days=0.5, cost=0)
    data["parameters"]["program"] = {"interruption": 1.0, "pause_days": 1.0,
                                     "suspend_below": 0.0}
    scenario = build(data, nations__borvia__stability=0.5, horizon_years=30,
                     sample_every_days=3650)
    stepper = Stepper(scenario)
    stepper.run_until(scenario.horizon_days)
    counts = stepper.activities.counts
    assert counts.modules_delivered == 2000
    assert stats.binomtest(counts.interruptions, 2000, 0.5).pvalue > 0.001


def test_pressure_above_tolerance_is_seen_as_bias(minimal):
    """Untailored modules add pressure 1; tolerance 3 x openness 0.2 = 0.6 is crossed at the
    first module, adding bias evidence 1 x (1 - 0.6) to the partner's distrust."""
    data = with_program(minimal, tailored=False, module_every_days=10, module_days=1)
    stepper = Stepper(build(data, nations__borvia__openness=0.2))
    stepper.run_until(2)
    incidents = stepper.events("bias_incident")
    assert [(e.time, e.detail["evidence"]) for e in incidents] == [(1.0, pytest.approx(0.4))]
    assert stepper.world.negative.at(1.0, (PARTNER, ALLY)) == pytest.approx(0.4, abs=1e-12)


def test_tailored_modules_spaced_out_cause_no_bias(minimal):
    data = with_program(minimal, module_every_days=365)
    result = simulator.simulate(build(data, nations__borvia__openness=1.0))
    assert result.kpis["modules_delivered"] == 4
    assert result.kpis["bias_incidents"] == 0


def test_tailored_programs_earn_more_trust_than_generic_ones(minimal):
    """Face validity, paired over 30 seeds with an unstable partner: a tailored program
    raises the partner's trust in its provider more than the same program untailored."""
    def final_trust(tailored: bool, seed: int) -> float:
        data = with_program(minimal, tailored=tailored, modules=12, module_every_days=45)
        data["parameters"]["program"] = {"interruption": 0.5}
        scenario = build(data, nations__borvia__stability=0.5, nations__borvia__openness=0.5)
        return simulator.simulate(scenario, seed=seed).trust.loc["borvia", "aldoria"]

    differences = np.array([final_trust(True, s) - final_trust(False, s) for s in range(30)])
    assert differences.mean() > 0
    assert stats.ttest_1samp(differences, 0.0, alternative="greater").pvalue < 0.01


# --- standards ----------------------------------------------------------------------------------


def test_a_release_makes_adoption_obsolete_and_allies_readopt(minimal):
    minimal["standards"] = [{"id": "maritime", "release_every_days": 100}]
    scenario = build(minimal, exercises__sea_breeze__start_day=1e5,
                     nations__aldoria__political_will=0.5)
    stepper = Stepper(scenario)
    decay = dynamics.decay_rate(1825.0)
    stepper.run_until(101)
    assert stepper.world.standards.at(100, (PARTNER, MARITIME)) == pytest.approx(
        0.1 * math.exp(-decay * 100) * 0.9, abs=1e-15)
    stepper.run_until(191)
    before = 0.8 * math.exp(-decay * 190) * 0.9
    assert stepper.world.standards.at(190, (ALLY, MARITIME)) == pytest.approx(
        dynamics.learn(before, 0.5 * 0.5), abs=1e-15)
    # the partner does not re-adopt on its own
    assert stepper.world.standards.at(190, (PARTNER, MARITIME)) == pytest.approx(
        0.1 * math.exp(-decay * 190) * 0.9, abs=1e-15)


def test_workshops_teach_standards_in_proportion_to_openness(minimal):
    minimal["workshops"] = [{"id": "forum", "provider": "aldoria", "partners": ["borvia"],
                             "domains": ["maritime"], "every_days": 100, "cost": 1}]
    scenario = build(minimal, exercises__sea_breeze__start_day=1e5,
                     nations__borvia__openness=0.5)
    stepper = Stepper(scenario)
    stepper.run_until(1)
    assert stepper.world.standards.at(0, (PARTNER, MARITIME)) == pytest.approx(
        dynamics.learn(0.1, 0.05 * 0.5), abs=1e-15)
    assert stepper.activities.counts.workshops_held == 1


# --- crises and disruptions -----------------------------------------------------------------------


def crisis_world(**relations) -> dict:
    return {
        "name": "crisis", "horizon_years": 5, "sample_every_days": 365,
        "domains": ["land"], "regions": [{"id": "r"}],
        "nations": [
            {"id": "host", "role": "partner", "region": "r", "capability": 0.4},
            {"id": "near", "role": "ally", "region": "r", "capability": 0.8},
            {"id": "wary", "role": "ally", "region": "r", "capability": 0.8},
        ],
        "relations": [{"nations": ["near", "host"], "trust": 0.9},
                      {"nations": ["wary", "host"], "trust": 0.3}],
        "threats": [{"id": "t", "region": "r", "per_year": 3.0, "kinds": ["unrest"]}],
        "parameters": {"weights": {"shared_failure": 2.0}},
    }


def test_allies_that_trust_the_host_respond_to_its_crisis():
    """'near' trusts the partner host (0.9 >= 0.5) and responds, until failures (weighted 2
    here) bring its trust below 0.5; 'wary' (0.3) never responds."""
    scenario = simulator.scenario_from_dict(crisis_world())
    stepper = Stepper(scenario, seed=2)
    stepper.run_until(scenario.horizon_days)
    hosted = [e for e in stepper.events("crisis") if e.detail["host"] == "host"]
    assert len(hosted) >= 3
    assert hosted[0].detail["responders"] == ["host", "near"]
    replay = Stepper(scenario, seed=2)
    for crisis in hosted:
        replay.run_until(crisis.time - 1e-9)
        trust = replay.world.trust(crisis.time, (1, 0))  # near in host, just before
        expected = ["host", "near"] if trust >= 0.5 else ["host"]
        assert crisis.detail["responders"] == expected
    assert any(e.detail["responders"] == ["host"] for e in hosted)


def test_crisis_effectiveness_is_capability_usable_through_interoperability():
    """The first crisis meets the initial state: E = (1 - exp(-K)) x (1 + 0.2 x warning) with
    K = 0.4 x 0.3 (the host, familiarity 1 with itself) + 0.8 x 0.3 F(t) for 'near', F the
    pair's decayed initial familiarity (standards and proficiency are 0)."""
    scenario = simulator.scenario_from_dict(crisis_world())
    stepper = Stepper(scenario, seed=2)
    stepper.run_until(scenario.horizon_days)
    first = next(e for e in stepper.events("crisis") if e.detail["host"] == "host")
    assert first.detail["responders"] == ["host", "near"]
    familiarity = 0.05 * 2 ** (-first.time / 730)
    strength = 0.4 * 0.3 + 0.8 * 0.3 * familiarity
    assert first.detail["warning"] == 1.0  # allies, and a host that shares with 'near'
    assert first.detail["effectiveness"] == pytest.approx(
        -math.expm1(-strength) * (1 + 0.2 * 1.0), abs=1e-15)


def test_instability_shocks_arrive_at_the_thinned_rate(minimal):
    """Base stability 0: every candidate shock is accepted, so counts are Poisson(per_year x T)."""
    minimal["disruptions"] = {"instability": {"per_year": 2.0, "shock": 0.1}}
    scenario = build(minimal, nations__borvia__stability=0.0, horizon_years=10,
                     sample_every_days=365, exercises__sea_breeze__start_day=1e5)
    total = sum(simulator.simulate(scenario, seed=4, replication=k).output.series[-1][
        simulator.model.recorder.SERIES_METRICS.index("instability_shocks")] for k in range(100))
    low, high = stats.poisson.interval(0.99, 2.0 * 10 * 100)
    assert low <= total <= high


def test_a_budget_cut_takes_its_share_at_once_and_from_refills(minimal):
    minimal["disruptions"] = {"budget_cuts": {"per_year": 50.0, "depth": 0.5,
                                              "duration_days": 1e4}}
    scenario = build(minimal, exercises__sea_breeze__start_day=1e5)
    stepper = Stepper(scenario)
    stepper.run_until(366)
    cuts = stepper.activities.counts.budget_cuts
    assert cuts > 10
    # every cut halves what is left, and the next year's grant is cut by all active cuts
    assert stepper.activities.budgets["aldoria"].level == pytest.approx(100 * 0.5 ** cuts)


def test_a_budget_funds_what_it_can_afford_and_renewals_at_once():
    """Budget 100: A takes 60 at day 1; B's 70 waits, but C's 10 does not wait behind it.
    A cut of half at day 5 takes 15 and serves nobody; the renewal to 80 at day 10
    expires the 15 left and serves B at that very moment; D's 20, waiting since day 6,
    is then more than the 10 left and waits on."""
    env = simpy.Environment()
    budget = Budget(env)
    served, expired = [], []

    def request(name: str, amount: float, day: float):
        yield env.timeout(day)
        yield budget.get(amount)
        served.append((env.now, name))

    def budget_office():
        expired.append(budget.renew(100.0))
        yield env.timeout(5)
        assert budget.rescind(0.5) == 15.0
        yield env.timeout(5)
        expired.append(budget.renew(80.0))

    for name, amount, day in (("A", 60.0, 1), ("B", 70.0, 2), ("C", 10.0, 3), ("D", 20.0, 6)):
        env.process(request(name, amount, day))
    env.process(budget_office())
    env.run(until=5.5)
    assert served == [(1, "A"), (3, "C")] and budget.level == 15.0
    env.run()
    assert served == [(1, "A"), (3, "C"), (10, "B")]
    assert expired == [0.0, 15.0] and budget.level == 10.0
