"""The world against docs/model.md sections 2, 4 and Appendix A and the shipped scenario files.

Expected numbers come from the files and the documented defaults, with decay
written as powers of one half, so they do not reuse the code under test.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import yaml

import simulator
from simulator.model import dynamics
from simulator.model.state import ordered_pairs
from simulator.model.world import World

from .test_state import half

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
WEIGHTS = (0.4, 0.3, 0.3)
"""docs/model.md, Appendix A interoperability weights: standards, proficiency, familiarity."""


def mean_interoperability(world: World, time: float, members: Sequence[int] | np.ndarray,
                          domains: Sequence[int] | np.ndarray) -> float:
    """Mean I over the pairs of `members` and `domains`, as a joint activity reads it."""
    return world.joint(time, np.asarray(members), np.asarray(domains)).mean_interoperability()


def interoperability(s_i, s_j, p_i, p_j, familiarity):
    """docs/model.md sections 2 and 4.4, written out again with the default weights."""
    return 0.4 * min(s_i, s_j) + 0.3 * math.sqrt(p_i * p_j) + 0.3 * familiarity


@pytest.fixture(scope="module")
def minimal_scenario():
    return simulator.load_scenario(SCENARIOS / "minimal.yaml")


@pytest.fixture(scope="module")
def baseline_scenario():
    return simulator.load_scenario(SCENARIOS / "baseline.yaml")


@pytest.fixture
def minimal(minimal_scenario):
    """A fresh world per test: the world is mutable."""
    return World(minimal_scenario)


@pytest.fixture
def baseline(baseline_scenario):
    return World(baseline_scenario)


# --- the world built from the shipped scenarios ---------------------------------------------


def test_minimal_world_initial_state(minimal):
    """minimal.yaml: ally aldoria (S 0.8, P 0.7), partner borvia (S 0.1, P 0.2)."""
    assert minimal.nation_ids == ["aldoria", "borvia"]
    np.testing.assert_array_equal(minimal.allies, [0])
    np.testing.assert_array_equal(minimal.partners, [1])
    np.testing.assert_array_equal(minimal.standards.at(0.0), [[0.8], [0.1]])
    np.testing.assert_array_equal(minimal.proficiency.at(0.0), [[0.7], [0.2]])
    np.testing.assert_array_equal(minimal.trust(0.0), [[1.0, 0.45], [0.45, 1.0]])
    np.testing.assert_array_equal(minimal.familiarity.at(0.0), [[0.0, 0.05], [0.05, 0.0]])


class BaselineFile:
    """baseline.yaml read as plain data, with the model's defaults where it sets nothing.

    Expectations are derived from the file rather than copied from it, so the
    tests follow a recalibration of the scenario but not a mistake in the code.
    """

    def __init__(self):
        self.data = yaml.safe_load((SCENARIOS / "baseline.yaml").read_text())
        self.nations = {nation["id"]: nation for nation in self.data["nations"]}
        self.names = list(self.nations)
        self.domains = self.data["domains"]

    def constant(self, group, key, default):
        """A constant from `parameters`, or its default."""
        return ((self.data.get("parameters") or {}).get(group) or {}).get(key, default)

    def half_life(self, quantity):
        defaults = {"standards": 1825.0, "proficiency": 730.0, "familiarity": 730.0,
                    "trust_evidence": 1095.0, "stability": 365.0}
        return self.constant("half_life_days", quantity, defaults[quantity])

    def is_ally(self, name):
        return self.nations[name]["role"] == "ally"

    def initial(self, name, level, domain):
        """A scalar for every domain, or a mapping per domain (0 for a domain left out)."""
        value = (self.nations[name].get("initial") or {}).get(level, 0.0)
        return value.get(domain, 0.0) if isinstance(value, dict) else value

    def relations(self):
        """Trust t0 and familiarity by roles (docs/model.md, Appendix A), then `relations`."""
        trust_by_roles = {(True, True): self.constant("initial_trust", "ally_ally", 0.6),
                          (False, False): self.constant("initial_trust", "partner_partner", 0.5)}
        ally_partner = self.constant("initial_trust", "ally_partner", 0.45)
        allies_familiarity = self.constant("initial_familiarity", "ally_ally", 0.3)
        with_partner = self.constant("initial_familiarity", "with_partner", 0.05)
        n = len(self.names)
        prior, familiarity = np.ones((n, n)), np.zeros((n, n))
        for i, a in enumerate(self.names):
            for j, b in enumerate(self.names):
                if i != j:
                    roles = (self.is_ally(a), self.is_ally(b))
                    prior[i, j] = trust_by_roles.get(roles, ally_partner)
                    familiarity[i, j] = allies_familiarity if all(roles) else with_partner
        for relation in self.data.get("relations") or []:
            i, j = (self.names.index(name) for name in relation["nations"])
            if relation.get("trust") is not None:
                prior[i, j] = prior[j, i] = relation["trust"]
            if relation.get("familiarity") is not None:
                familiarity[i, j] = familiarity[j, i] = relation["familiarity"]
        return prior, familiarity


@pytest.fixture(scope="module")
def baseline_file():
    return BaselineFile()


def test_baseline_initial_trust_follows_roles_and_relations(baseline, baseline_file):
    prior, _ = baseline_file.relations()
    assert baseline.nation_ids == baseline_file.names
    np.testing.assert_array_equal(baseline.trust_prior, prior)
    aldoria, brevland = baseline.nation("aldoria"), baseline.nation("brevland")
    prior = baseline.trust_prior
    assert prior[aldoria, brevland] == prior[brevland, aldoria] == 0.75


def test_baseline_initial_familiarity_follows_roles_and_relations(baseline, baseline_file):
    """Symmetric, zero on the diagonal; a relation giving only trust keeps the default."""
    _, familiarity = baseline_file.relations()
    initial = baseline.familiarity.at(0.0)
    np.testing.assert_array_equal(initial, familiarity)
    np.testing.assert_array_equal(initial, initial.T)
    np.testing.assert_array_equal(initial.diagonal(), 0.0)


def test_trust_at_the_start_is_the_prior_off_the_diagonal(baseline, baseline_file):
    """No evidence yet, so T = t0 for every directed pair; a nation trusts itself fully."""
    prior, _ = baseline_file.relations()
    trust = baseline.trust(0.0)
    off = ~np.eye(len(prior), dtype=bool)
    np.testing.assert_allclose(trust[off], prior[off], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(trust.diagonal(), 1.0)


def add_evidence(world: World, time: float, members: list[int], success: bool,
                 amount: float) -> None:
    """Trust evidence among `members`, as a joint activity in no domain leaves it."""
    joint = world.joint(time, np.array(members), np.array([], dtype=np.int64))
    joint.add_evidence(success, amount)
    joint.commit()


def test_trust_returns_to_the_prior_as_evidence_ages(minimal):
    """A = 1 at day 0: T = (0.9 + 1) / 3; after one evidence half-life (1095 d) A = 0.5."""
    add_evidence(minimal, 0.0, [0, 1], True, 1.0)
    assert minimal.trust(0.0, (0, 1)) == pytest.approx(1.9 / 3.0, abs=1e-14)
    assert minimal.trust(0.0, (1, 0)) == pytest.approx(1.9 / 3.0, abs=1e-14)
    assert minimal.trust(1095.0, (0, 1)) == pytest.approx(1.4 / 2.5, abs=1e-14)
    assert minimal.trust(1095.0 * 60, (0, 1)) == pytest.approx(0.45, abs=1e-12)
    add_evidence(minimal, 1095.0, [0, 1], False, 2.0)
    assert minimal.trust(1095.0, (1, 0)) == pytest.approx(1.4 / 4.5, abs=1e-14)


def test_baseline_initial_levels_interests_and_needs(baseline, baseline_file):
    """Per-domain initial mappings, interests by region (home 1 unless given), needs."""
    for level in ("standards", "proficiency"):
        expected = [[baseline_file.initial(name, level, domain) for domain in baseline_file.domains]
                    for name in baseline_file.names]
        np.testing.assert_array_equal(getattr(baseline, level).at(0.0), expected)
    regions = [region["id"] for region in baseline_file.data["regions"]]
    for name, nation in baseline_file.nations.items():
        interests = nation.get("interests", 1.0)
        if isinstance(interests, dict):
            interests = [interests.get(r, 1.0 if r == nation["region"] else 0.0) for r in regions]
        np.testing.assert_array_equal(baseline.interest[baseline.nation(name)],
                                      np.broadcast_to(interests, len(regions)))
        np.testing.assert_array_equal(baseline.needs[baseline.nation(name)],
                                      [d in nation.get("needs", []) for d in baseline_file.domains])


def test_acquaint_keeps_familiarity_exactly_symmetric(baseline, baseline_file):
    """Familiarity learning for every pair, at different times and in overlapping groups."""
    aldoria, istrava, pelagos = (baseline.nation(n) for n in ("aldoria", "istrava", "pelagos"))
    for time, members, gain in [(100.0, [aldoria, istrava, pelagos], 0.3),
                                (250.0, [aldoria, istrava], 0.3),
                                (251.5, [pelagos, istrava, baseline.nation("galdor")], 0.1)]:
        joint = baseline.joint(time, np.array(members), baseline.domains_of(["maritime"]))
        joint.acquaint(gain)
        joint.commit()
    for time in (251.5, 400.0):
        familiarity = baseline.familiarity.at(time)
        np.testing.assert_array_equal(familiarity, familiarity.T)
        np.testing.assert_array_equal(familiarity.diagonal(), 0.0)
    h = baseline_file.half_life("familiarity")
    start = baseline_file.relations()[1][aldoria, istrava] * half(100, h)
    after_first = start + 0.3 * (1 - start)
    before_second = after_first * half(150, h)
    after_second = before_second + 0.3 * (1 - before_second)
    assert baseline.familiarity.at(250.0, (istrava, aldoria)) == pytest.approx(
        after_second, abs=1e-14)


def test_mean_interoperability_of_two_nations_by_hand(minimal):
    """minimal.yaml at day 0: 0.4 min(0.8, 0.1) + 0.3 sqrt(0.7 * 0.2) + 0.3 * 0.05."""
    got = mean_interoperability(minimal, 0.0, [0, 1], [0])
    assert got == pytest.approx(0.04 + 0.3 * math.sqrt(0.14) + 0.015, abs=1e-14)
    assert got == pytest.approx(mean_interoperability(minimal, 0.0, [1, 0], [0]), abs=1e-15)


def baseline_pair_by_hand(baseline_file, a, b, domain, day):
    """I of nations a and b in one domain at `day`, from the file's S, P, F and half-lives."""
    s = half(day, baseline_file.half_life("standards"))
    p = half(day, baseline_file.half_life("proficiency"))
    f = half(day, baseline_file.half_life("familiarity"))
    weights = [baseline_file.constant("interoperability_weights", key, default)
               for key, default in zip(("standards", "proficiency", "familiarity"), WEIGHTS)]
    familiarity = baseline_file.relations()[1][baseline_file.names.index(a),
                                               baseline_file.names.index(b)]
    return (weights[0] * s * min(baseline_file.initial(a, "standards", domain),
                                 baseline_file.initial(b, "standards", domain))
            + weights[1] * p * math.sqrt(baseline_file.initial(a, "proficiency", domain)
                                         * baseline_file.initial(b, "proficiency", domain))
            + weights[2] * f * familiarity)


@pytest.mark.parametrize("day", [0.0, 365.0, 1000.0])
def test_mean_interoperability_over_domains_decays_by_hand(baseline, baseline_file, day):
    """castellan-pelagos (a relation) in two domains, each part decaying with its half-life."""
    domains = ["maritime", "counter_terrorism"]
    expected = np.mean([baseline_pair_by_hand(baseline_file, "castellan", "pelagos", d, day)
                        for d in domains])
    got = mean_interoperability(baseline, day, baseline.nations_of(["castellan", "pelagos"]),
                                baseline.domains_of(domains))
    assert got == pytest.approx(expected, abs=1e-14)


def test_mean_interoperability_of_three_nations_averages_the_pairs(baseline, baseline_file):
    """aldoria, brevland (a relation) and istrava in land and c2: the mean of three pairs."""
    pairs = [("aldoria", "brevland"), ("aldoria", "istrava"), ("brevland", "istrava")]
    domains = ["land", "c2"]
    expected = np.mean([baseline_pair_by_hand(baseline_file, a, b, d, 200.0)
                        for a, b in pairs for d in domains])
    got = mean_interoperability(baseline, 200.0,
                                baseline.nations_of(["aldoria", "brevland", "istrava"]),
                                baseline.domains_of(domains))
    assert got == pytest.approx(expected, abs=1e-14)


def test_a_lone_nation_is_its_own_pair_with_familiarity_one(minimal):
    """Documented in the docstring: aldoria alone is 0.4 * 0.8 + 0.3 * 0.7 + 0.3 * 1."""
    assert mean_interoperability(minimal, 0.0, [0], [0]) == pytest.approx(0.83, abs=1e-14)
    assert mean_interoperability(minimal, 0.0, [1], [0]) == pytest.approx(0.4, abs=1e-14)
    at_one_year = 0.4 * 0.8 * half(365, 1825) + 0.3 * 0.7 * half(365, 730) + 0.3
    assert mean_interoperability(minimal, 365.0, [0], [0]) == pytest.approx(
        at_one_year, abs=1e-14)


def test_early_warning_in_the_baseline_at_the_start(baseline, baseline_file):
    """A region's share of allies and of nations trusting an ally both ways at least 0.65.

    At the start trust is the prior, so the expected shares follow from the file alone.
    """
    prior, _ = baseline_file.relations()
    threshold = baseline_file.constant("sharing", "share_threshold", 0.65)
    allies = [i for i, name in enumerate(baseline_file.names) if baseline_file.is_ally(name)]
    for region in baseline_file.data["regions"]:
        members = [i for i, name in enumerate(baseline_file.names)
                   if baseline_file.nations[name]["region"] == region["id"]]
        covered = [i in allies or any(min(prior[i, a], prior[a, i]) >= threshold
                                      for a in allies if a != i) for i in members]
        assert baseline.early_warning(0.0, baseline.region(region["id"])) == pytest.approx(
            sum(covered) / len(covered) if members else 0.0, abs=1e-15)


def test_early_warning_follows_trust_over_time(minimal):
    """Evidence 2 both ways lifts trust to (0.9 + 2) / 4 = 0.725 >= 0.65, so borvia shares.

    Trust falls back below 0.65 once A < 8/7, i.e. after 1095 log2(7/4) = 884 days.
    """
    north = minimal.region("north")
    assert minimal.early_warning(0.0, north) == 0.5
    add_evidence(minimal, 0.0, [0, 1], True, 2.0)
    assert minimal.early_warning(0.0, north) == 1.0
    crossing = 1095.0 * math.log2(7 / 4)
    assert minimal.early_warning(crossing - 1.0, north) == 1.0
    assert minimal.early_warning(crossing + 1.0, north) == 0.5


def test_early_warning_of_a_region_without_nations_is_zero():
    data = yaml.safe_load((SCENARIOS / "minimal.yaml").read_text())
    data["regions"].append({"id": "empty"})
    world = World(simulator.scenario_from_dict(data))
    assert world.early_warning(0.0, world.region("empty")) == 0.0
    assert world.early_warning(0.0, world.region("north")) == 0.5


def test_stability_recovers_with_its_half_life(baseline, baseline_file):
    """A shock of half mirsk's stability leaves half, then three quarters after a half-life."""
    mirsk = baseline.nation("mirsk")
    base = baseline_file.nations["mirsk"].get("stability", 1.0)
    h = baseline_file.half_life("stability")
    baseline.stability_lost.add(0.0, mirsk, base / 2)
    assert baseline.stability(0.0, mirsk) == pytest.approx(base / 2, abs=1e-14)
    assert baseline.stability(h, mirsk) == pytest.approx(base * 3 / 4, abs=1e-14)
    baseline.stability_lost.add(h, mirsk, 2.0)
    assert baseline.stability(h, mirsk) == 0.0
    kalvar = baseline.nation("kalvar")
    assert baseline.stability(h, kalvar) == baseline_file.nations["kalvar"].get("stability", 1.0)


def test_snapshot_interoperability_uses_familiarity_one_on_the_diagonal(minimal):
    """The end-of-run matrix: pairs by hand off the diagonal, a nation with itself on it."""
    day = 365.0
    s, p, f = half(day, 1825), half(day, 730), half(day, 730)
    matrix = minimal.snapshot(day).interoperability(WEIGHTS)
    assert matrix.shape == (2, 2, 1)
    pair = interoperability(0.8 * s, 0.1 * s, 0.7 * p, 0.2 * p, 0.05 * f)
    np.testing.assert_allclose(matrix[:, :, 0], [
        [interoperability(0.8 * s, 0.8 * s, 0.7 * p, 0.7 * p, 1.0), pair],
        [pair, interoperability(0.1 * s, 0.1 * s, 0.2 * p, 0.2 * p, 1.0)],
    ], rtol=0, atol=1e-14)
    assert matrix[0, 1, 0] == pytest.approx(
        mean_interoperability(minimal, day, [0, 1], [0]), abs=1e-15)


def test_without_allies_nobody_is_warned():
    """Two partners trusting each other 0.5 < 0.65 and no ally to share with: warning 0."""
    data = yaml.safe_load((SCENARIOS / "minimal.yaml").read_text())
    data["nations"][0]["role"] = "partner"
    del data["nations"][0]["annual_budget"], data["exercises"], data["facilities"]
    world = World(simulator.scenario_from_dict(data))
    np.testing.assert_array_equal(world.trust(0.0), [[1.0, 0.5], [0.5, 1.0]])
    assert world.early_warning(0.0, world.region("north")) == 0.0


def test_an_interest_mapping_without_the_home_region_counts_home_as_one():
    """Schema: a mapping leaves out regions of no interest (0), but home is 1 unless given."""
    data = yaml.safe_load((SCENARIOS / "minimal.yaml").read_text())
    data["regions"] += [{"id": "south"}, {"id": "west"}]
    data["nations"][1]["interests"] = {"south": 0.5}
    data["nations"][0]["interests"] = {"north": 0.25}
    world = World(simulator.scenario_from_dict(data))
    np.testing.assert_array_equal(world.interest, [[0.25, 0.0, 0.0], [1.0, 0.5, 0.0]])


# --- what activities change: one gather and one scatter ------------------------------


def test_a_joint_activity_changes_exactly_what_separate_trainings_would(baseline):
    """`Joint` gathers once and scatters once; cell by cell it must match training the
    quantities and adding evidence one by one, and leave every other cell (and clock)
    alone."""
    members, domains = baseline.nations_of(["aldoria", "istrava", "galdor"]), np.array([0, 2])
    is_partner = ~baseline.is_ally[members]
    separate = World(baseline.scenario)
    joint = baseline.joint(120.0, members, domains)
    before = joint.mean_interoperability()
    joint.train("proficiency", 0.2, 1.5)
    joint.train("standards", 0.1, 1.5, who=is_partner)
    joint.acquaint(0.3)
    joint.add_evidence(False, 0.7)
    joint.commit()
    assert before == mean_interoperability(separate, 120.0, members, domains)
    absorb = separate.absorb[members][:, None]
    separate.proficiency.learn(120.0, np.ix_(members, domains),
                               dynamics.learning_gain(0.2, 1.5, absorb, 1.0))
    separate.standards.learn(120.0, np.ix_(members[is_partner], domains),
                             dynamics.learning_gain(0.1, 1.5, absorb[is_partner], 1.0))
    separate.familiarity.learn(120.0, ordered_pairs(members), 0.3)
    separate.negative.add(120.0, ordered_pairs(members), 0.7)
    np.testing.assert_array_equal(baseline.state.values, separate.state.values)
    np.testing.assert_array_equal(baseline.state.stamps, separate.state.stamps)


@pytest.mark.parametrize("outcome", [0.0, 0.999])
@pytest.mark.parametrize("names", [["aldoria", "istrava", "galdor"], ["aldoria", "brevland"]])
def test_an_exercise_changes_exactly_what_its_joint_steps_would(baseline_scenario, names,
                                                                 outcome):
    """`World.hold_exercise`, one compiled call, against docs/model.md 4.5 done with the
    steps of a `Joint`: the same mean interoperability and outcome, the same bits in
    every cell and clock, the same days of training together (a success and a failure;
    with partners, and allies alone, who learn no standards from each other)."""
    rates, weights = baseline_scenario.parameters.exercise, baseline_scenario.parameters.weights
    held, stepped = World(baseline_scenario), World(baseline_scenario)
    members, domains = held.nations_of(names), held.domains_of(["land", "maritime"])
    mean, success = held.hold_exercise(250.0, members, domains, 1.5, outcome)
    joint = stepped.joint(250.0, members, domains)
    assert mean == joint.mean_interoperability()
    assert success == (outcome < dynamics.exercise_success_probability(mean, rates.min_success))
    joint.train("proficiency", rates.proficiency, 1.5)
    is_partner = ~stepped.is_ally[members]
    if is_partner.any() and not is_partner.all():
        joint.train("standards", rates.standards, 1.5, who=is_partner)
    joint.acquaint(min(1.0, rates.familiarity * 1.5))
    joint.add_evidence(success, (weights.success if success else weights.failure) * 1.5)
    joint.commit()
    stepped.note_training(250.0, members, domains)
    np.testing.assert_array_equal(held.state.values, stepped.state.values)
    np.testing.assert_array_equal(held.state.stamps, stepped.state.stamps)
    np.testing.assert_array_equal(held.trained_together, stepped.trained_together)
    assert (held.state.values != World(baseline_scenario).state.values).any()


@pytest.mark.parametrize("outcome", [0.0, 0.999])
def test_a_crisis_response_changes_exactly_what_its_joint_steps_would(baseline_scenario,
                                                                      outcome):
    """`World.respond_to_crisis`, one compiled call, against docs/model.md 4.10 done with
    a `Joint`'s steps: the same chance of success (capability, interoperability with
    the host, early warning), the same evidence, and a failure's shock to the host."""
    rules, weights = baseline_scenario.parameters.sharing, baseline_scenario.parameters.weights
    held, stepped = World(baseline_scenario), World(baseline_scenario)
    responders, domain = held.nations_of(["istrava", "aldoria", "galdor"]), np.array([1])
    effectiveness, success = held.respond_to_crisis(400.0, responders, domain, 0.5, outcome)
    joint = stepped.joint(400.0, responders, domain)
    expected = dynamics.crisis_effectiveness(
        stepped.capability(400.0, responders), joint.interoperability_with_first(), 0.5,
        rules.early_warning_bonus, rules.crisis_difficulty)
    assert effectiveness == expected and success == (outcome < expected)
    joint.add_evidence(success, weights.success if success else weights.shared_failure)
    joint.commit()
    if not success:
        stepped.stability_lost.add(400.0, responders[0], rules.failure_shock)
    np.testing.assert_array_equal(held.state.values, stepped.state.values)
    np.testing.assert_array_equal(held.state.stamps, stepped.state.stamps)


@pytest.mark.parametrize("program_id", ["istrava_command", "kalvar_land_forces"])
def test_modules_change_exactly_what_their_trainings_would_one_by_one(baseline_scenario,
                                                                      program_id):
    """A program's modules, delivered with one gather and one scatter each, against docs/model.md
    5's list done quantity by quantity: the same bits in every cell and clock, and the same
    bias evidence once the pressure of modules close together passes the tolerance."""
    program = next(p for p in baseline_scenario.programs if p.id == program_id)
    rates = baseline_scenario.parameters.program
    weights = baseline_scenario.parameters.weights
    delivered, separate = World(baseline_scenario), World(baseline_scenario)
    effects = delivered.module_effects(program)
    partner, provider = separate.nation(program.partner), separate.nation(program.provider)
    domains = separate.domains_of(program.domains)
    fit = dynamics.program_fit(program.tailored, separate.needs[partner, domains],
                               rates.untailored_fit)
    absorb, mean_fit = separate.absorb[partner], dynamics.mean(fit)
    pressure = program.intensity * (rates.tailored_pressure if program.tailored else 1.0)
    biases = []
    for day in (30.0, 31.0, 32.5, 33.0, 34.0, 35.0, 36.0, 37.0):
        biases.append(effects.deliver(day))
        for levels, rate in ((separate.standards, rates.standards),
                             (separate.proficiency, rates.proficiency)):
            levels.learn(day, (partner, domains),
                         dynamics.learning_gain(rate, program.intensity, absorb, fit))
        capability = separate.capability(day, partner)
        separate.capability_gained.add(day, partner, dynamics.learning_gain(
            rates.capability, program.intensity, absorb, mean_fit) * (1 - capability))
        separate.trained_together[separate.ally_rank[provider], separate.partner_rank[partner],
                                  domains] = day
        separate.familiarity.learn(day, ordered_pairs([partner, provider]),
                                   min(1.0, rates.familiarity * program.intensity))
        separate.positive.add(day, (partner, provider),
                              weights.success * program.intensity * mean_fit)
        separate.pressure.add(day, partner, pressure)
        bias = dynamics.bias_evidence(separate.pressure.at(day, partner),
                                      rates.influence_tolerance,
                                      separate.openness(day, partner), weights.bias)
        if bias > 0:
            separate.negative.add(day, (partner, provider), bias)
        assert biases[-1] == bias
    assert biases[0] == 0 and biases[-1] > 0
    np.testing.assert_array_equal(delivered.state.values, separate.state.values)
    np.testing.assert_array_equal(delivered.state.stamps, separate.state.stamps)
    np.testing.assert_array_equal(delivered.trained_together, separate.trained_together)
