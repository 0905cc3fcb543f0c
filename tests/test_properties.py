"""Property tests: generated valid scenarios never crash the engine or leave the [0, 1] ranges."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simulator
from simulator.model.recorder import COUNT_METRICS, SERIES_METRICS

DOMAINS = ["land", "maritime", "cyber", "c2", "counter_terrorism"]
KINDS = ["terrorism", "piracy", "cyber_attack", "hybrid", "unrest"]
INDEX_METRICS = ["interop_ally_partner", "interop_ally_ally", "compatible_share",
                 "trust_ally_partner", "trust_partner_ally", "early_warning",
                 "partner_standards", "partner_proficiency", "partner_capability",
                 "partner_stability"]

unit = st.floats(0.0, 1.0)


@st.composite
def scenarios(draw) -> dict:
    """A small but complete world with every kind of activity, drawn across the schema's ranges."""
    regions = [{"id": f"r{k}", "contested": draw(st.booleans())}
               for k in range(draw(st.integers(1, 3)))]
    region_ids = [region["id"] for region in regions]
    allies = draw(st.integers(1, 3))
    partners = draw(st.integers(1, 4))
    nations = []
    for k in range(allies + partners):
        ally = k < allies
        nations.append({
            "id": f"n{k}", "role": "ally" if ally else "partner",
            "region": draw(st.sampled_from(region_ids)),
            "capability": draw(unit), "absorptive_capacity": draw(unit),
            "stability": draw(unit), "openness": draw(unit), "political_will": draw(unit),
            "interests": draw(unit), "needs": draw(st.lists(st.sampled_from(DOMAINS),
                                                            unique=True, max_size=2)),
            "annual_budget": draw(st.floats(0, 200)) if ally else 0.0,
            "trainers": draw(st.integers(1, 3)) if ally else 0,
            "initial": {"standards": draw(unit), "proficiency": draw(unit)},
        })
    ally_ids = [n["id"] for n in nations[:allies]]
    partner_ids = [n["id"] for n in nations[allies:]]
    everyone = ally_ids + partner_ids
    days = st.floats(1.0, 400.0)
    domains = st.lists(st.sampled_from(DOMAINS), min_size=1, max_size=3, unique=True)
    return {
        "name": "generated",
        "horizon_years": draw(st.floats(0.5, 6.0)),
        "sample_every_days": draw(st.floats(5.0, 90.0)),
        "domains": DOMAINS,
        "regions": regions,
        "nations": nations,
        "facilities": [{"id": "range", "capacity": draw(st.integers(1, 2))}],
        "exercises": [{
            "id": f"x{k}", "host": draw(st.sampled_from(ally_ids)), "facility": "range",
            "region": draw(st.sampled_from(region_ids)), "domains": draw(domains),
            "participants": draw(st.lists(st.sampled_from(everyone), min_size=1, unique=True)),
            "every_days": draw(days), "jitter_days": draw(st.floats(0, 30)),
            "duration_days": draw(st.floats(0.5, 20)), "cost": draw(st.floats(0, 80)),
            "intensity": draw(st.floats(0.1, 3.0)),
        } for k in range(draw(st.integers(0, 3)))],
        "programs": [{
            "id": f"p{k}", "provider": draw(st.sampled_from(ally_ids)),
            "partner": draw(st.sampled_from(partner_ids)), "domains": draw(domains),
            "tailored": draw(st.booleans()), "modules": draw(st.integers(1, 30)),
            "module_every_days": draw(days), "module_days": draw(st.floats(0.5, 30)),
            "trainers": 1, "cost": draw(st.floats(0, 30)), "intensity": draw(st.floats(0.1, 3)),
        } for k in range(draw(st.integers(0, 3)))],
        "workshops": [{"id": "w", "provider": ally_ids[0], "partners": partner_ids,
                       "domains": draw(domains), "every_days": draw(days)}],
        "standards": [{"id": d} for d in draw(st.lists(st.sampled_from(DOMAINS), unique=True))],
        "threats": [{"id": f"t{r}", "region": r, "per_year": draw(st.floats(0, 6)),
                     "kinds": draw(st.lists(st.sampled_from(KINDS), min_size=1, unique=True))}
                    for r in region_ids],
        "disruptions": {
            "budget_cuts": {"per_year": draw(st.floats(0, 3)), "depth": draw(st.floats(0, 0.9)),
                            "duration_days": draw(days)},
            "instability": {"per_year": draw(st.floats(0, 6)), "shock": draw(unit)},
        },
        "parameters": {
            "half_life_days": {"proficiency": draw(st.floats(1.0, 1e5))},
            "exercise": {"proficiency": draw(st.floats(0, 1)), "min_success": draw(unit)},
            "escalation": {"escalation_threshold": draw(st.floats(0.1, 3.0))},
        },
    }


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenarios(), seed=st.integers(0, 2**32))
def test_generated_worlds_stay_in_range_and_reproduce(data, seed):
    scenario = simulator.scenario_from_dict(data)
    result = simulator.simulate(scenario, seed=seed)
    series = result.output.series
    column = {name: series[:, k] for k, name in enumerate(SERIES_METRICS)}
    assert np.isfinite(series[:, [SERIES_METRICS.index(m) for m in COUNT_METRICS]]).all()
    for name in INDEX_METRICS:
        values = column[name]
        undefined = name == "interop_ally_ally" and len([n for n in data["nations"]
                                                         if n["role"] == "ally"]) < 2
        if undefined:
            assert np.isnan(values).all()
        else:
            assert np.isfinite(values).all(), name
            assert ((values >= 0) & (values <= 1 + 1e-12)).all(), name
    for name in COUNT_METRICS:
        assert (np.diff(column[name]) >= 0).all(), name
    assert (column["budget_spent"] <= column["budget_granted"] + 1e-9).all()
    assert np.isfinite(result.output.trust).all()
    assert ((result.output.trust >= 0) & (result.output.trust <= 1)).all()
    levels = result.output.nations
    assert ((levels >= 0) & (levels <= 1 + 1e-12)).all()
    assert not math.isnan(column["max_tension"][-1])
    again = simulator.simulate(scenario, seed=seed).output
    assert np.array_equal(series, again.series, equal_nan=True)
