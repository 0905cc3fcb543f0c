"""Generated worlds of N nations for scale benchmarks, as plain data for
`simulator.scenario_from_dict`.

`world(n)` returns a valid scenario of `n` nations (n >= 8): a quarter allies,
the rest partners; `max(4, n // 25)` regions, the second of them contested;
the six domains of the baseline, each with standards releases. Everything the
engine schedules grows linearly with n, in the proportions of
`scenarios/baseline.yaml` (20 nations: 6 exercise series, 8 programs, 2
workshops, 4 threats):

| part | count |
|---|---|
| exercise series | `round(0.3 n)`, 5-8 invited each: the host, 2-3 allies, local partners |
| facilities | `max(4, n // 5)`, spread over the regions, capacity 1 or 2 |
| programs | `round(0.4 n)`, each partner once while they last, modules over the horizon |
| workshops | `max(2, n // 10)`, 4-6 partners of one region each |
| threats | `max(4, n // 5)`, spread over the regions |
| relations | `n // 10` pairs with their own initial trust and familiarity |
| disruptions | budget cuts per ally and instability shocks per partner, at the baseline's rates |

So every exercise involves a bounded number of nations whatever n is, the load
of each facility and each ally's budget stays about the same, and the number
of SimPy events per simulated year is proportional to n. Each ally's
`annual_budget` is 1.1-1.6 times what its own exercises, programs and
workshops cost in a year, divided by its political will, so activities rarely
wait for money except after budget cuts.

Horizon 30 years, samples monthly (`sample_every_days: 30`, as the baseline);
`horizon_years=` changes the horizon. Numbers are drawn from
`random.Random(seed)`, so `world(n)` is the same dict every time.

    python benchmarks/worlds.py 100 > world100.json    # print one as JSON
"""

from __future__ import annotations

import json
import math
import random
import sys
from typing import Any

DOMAINS = ["land", "maritime", "air", "cyber", "c2", "counter_terrorism"]
KINDS = ["terrorism", "piracy", "cyber_attack", "hybrid", "unrest"]
SIZES = (20, 50, 100, 200, 500)


def counts(n: int) -> dict[str, int]:
    """How many of each part a world of `n` nations has."""
    allies = max(2, n // 4)
    return {
        "nations": n,
        "allies": allies,
        "partners": n - allies,
        "regions": max(4, n // 25),
        "facilities": max(4, n // 5),
        "exercises": max(6, round(0.3 * n)),
        "programs": max(8, round(0.4 * n)),
        "workshops": max(2, n // 10),
        "threats": max(4, n // 5),
        "relations": n // 10,
    }


def world(n: int, horizon_years: float = 30.0, seed: int = 2026) -> dict[str, Any]:
    """A valid scenario of `n` nations as plain data (see the module docstring)."""
    if n < 8:
        raise ValueError("a generated world needs at least 8 nations")
    rnd = random.Random(seed * 1_000_003 + n)
    size = counts(n)
    horizon_days = 365.0 * horizon_years
    regions = [f"r{r:02d}" for r in range(size["regions"])]
    contested = regions[1]

    # Nations: allies mostly in the first region (the alliance's home), the rest spread;
    # partners spread over every region but the first.
    nations: list[dict[str, Any]] = []
    allies: list[str] = []
    partners_in: dict[str, list[str]] = {region: [] for region in regions}
    allies_in: dict[str, list[str]] = {region: [] for region in regions}
    for a in range(size["allies"]):
        nation_id = f"ally{a:03d}"
        region = regions[0] if a % 2 == 0 else regions[(a // 2) % len(regions)]
        allies.append(nation_id)
        allies_in[region].append(nation_id)
        nations.append({
            "id": nation_id, "role": "ally", "region": region,
            "capability": round(rnd.uniform(0.55, 0.85), 2),
            "political_will": round(rnd.uniform(0.6, 0.9), 2),
            "interests": round(rnd.uniform(0.6, 0.9), 2),
            "trainers": rnd.randint(2, 6),
            "initial": {"standards": round(rnd.uniform(0.65, 0.85), 2),
                        "proficiency": round(rnd.uniform(0.35, 0.5), 2)},
        })
    partners: list[str] = []
    for p in range(size["partners"]):
        nation_id = f"partner{p:03d}"
        region = regions[1 + p % (len(regions) - 1)]
        partners.append(nation_id)
        partners_in[region].append(nation_id)
        nations.append({
            "id": nation_id, "role": "partner", "region": region,
            "capability": round(rnd.uniform(0.25, 0.45), 2),
            "absorptive_capacity": round(rnd.uniform(0.45, 0.8), 2),
            "stability": round(rnd.uniform(0.35, 0.8), 2),
            "openness": round(rnd.uniform(0.35, 0.7), 2),
            "political_will": round(rnd.uniform(0.5, 0.8), 2),
            "interests": {region: 1.0, regions[0]: 0.5},
            "needs": rnd.sample(DOMAINS, rnd.randint(1, 2)),
            "initial": {"standards": round(rnd.uniform(0.1, 0.35), 2),
                        "proficiency": round(rnd.uniform(0.1, 0.2), 2)},
        })
    spend = {ally: 0.0 for ally in allies}

    facilities = [{"id": f"range{f:03d}", "capacity": 1 + f % 2}
                  for f in range(size["facilities"])]
    facilities_in: dict[str, list[str]] = {region: [] for region in regions}
    for f, facility in enumerate(facilities):
        facilities_in[regions[f % len(regions)]].append(facility["id"])

    exercises = []
    for e in range(size["exercises"]):
        region = regions[e % len(regions)]
        host = allies[e % len(allies)]
        others = rnd.sample([a for a in allies if a != host],
                            min(len(allies) - 1, rnd.randint(2, 3)))
        local = partners_in[region] or partners
        guests = rnd.sample(local, min(len(local), rnd.randint(3, 4)))
        every = rnd.choice([180.0, 240.0, 365.0])
        cost = float(rnd.choice([15, 20, 25, 30, 40]))
        spend[host] += cost * 365.0 / every
        exercises.append({
            "id": f"ex{e:03d}", "host": host, "facility": rnd.choice(facilities_in[region]),
            "region": region, "domains": rnd.sample(DOMAINS, rnd.randint(2, 3)),
            "participants": [host, *others, *guests], "every_days": every,
            "jitter_days": float(rnd.choice([15, 20, 30])),
            "start_day": float(rnd.randint(0, 365)),
            "duration_days": float(rnd.randint(7, 14)), "cost": cost,
            "intensity": rnd.choice([1.0, 1.5]),
        })

    trainers = {nation["id"]: nation["trainers"] for nation in nations if nation["role"] == "ally"}
    programs = []
    for g in range(size["programs"]):
        provider = allies[g % len(allies)]
        partner = partners[g % len(partners)]
        every = float(rnd.choice([90, 100, 120, 150]))
        start = float(rnd.randint(0, 365))
        cost = float(rnd.choice([5, 6, 8]))
        spend[provider] += cost * 365.0 / every
        programs.append({
            "id": f"prog{g:03d}", "provider": provider, "partner": partner,
            "domains": rnd.sample(DOMAINS, rnd.randint(1, 2)), "tailored": rnd.random() < 0.5,
            "modules": max(1, int((horizon_days - start) / every)),
            "module_every_days": every, "module_days": float(rnd.choice([10, 14])),
            "trainers": rnd.randint(1, min(2, trainers[provider])), "cost": cost,
            "start_day": start,
        })

    workshops = []
    for w in range(size["workshops"]):
        region = regions[1 + w % (len(regions) - 1)]
        provider = allies[(3 * w) % len(allies)]
        local = partners_in[region]
        cost = float(rnd.choice([4, 5]))
        spend[provider] += cost
        workshops.append({
            "id": f"ws{w:03d}", "provider": provider, "every_days": 365.0,
            "start_day": float(rnd.randint(100, 300)), "cost": cost,
            "partners": rnd.sample(local, min(len(local), rnd.randint(4, 6))),
            "domains": rnd.sample(DOMAINS, rnd.randint(2, 4)),
        })

    for nation in nations:
        if nation["role"] == "ally":
            need = max(spend[nation["id"]], 10.0) * rnd.uniform(1.1, 1.6)
            nation["annual_budget"] = float(math.ceil(need / nation["political_will"]))

    threats = [{
        "id": f"threat{t:03d}", "region": regions[t % len(regions)],
        "per_year": round(rnd.uniform(0.3, 1.0), 2),
        "kinds": rnd.sample(KINDS, rnd.randint(1, 3)),
    } for t in range(size["threats"])]

    relations = []
    seen: set[frozenset[str]] = set()
    while len(relations) < size["relations"]:
        pair = rnd.sample(allies, 1) + rnd.sample(allies + partners, 1)
        if pair[0] == pair[1] or frozenset(pair) in seen:
            continue
        seen.add(frozenset(pair))
        relations.append({"nations": pair, "trust": round(rnd.uniform(0.35, 0.75), 2),
                          "familiarity": round(rnd.uniform(0.05, 0.5), 2)})

    return {
        "name": f"world{n}",
        "description": f"Generated world of {n} nations for the scale benchmark.",
        "horizon_years": horizon_years,
        "sample_every_days": 30,
        "domains": list(DOMAINS),
        "regions": [{"id": region, "contested": region == contested} for region in regions],
        "nations": nations,
        "relations": relations,
        "facilities": facilities,
        "exercises": exercises,
        "programs": programs,
        "workshops": workshops,
        "standards": [{"id": domain} for domain in DOMAINS],
        "threats": threats,
        "disruptions": {"budget_cuts": {"per_year": 0.1, "depth": 0.25, "duration_days": 365},
                        "instability": {"per_year": 0.5, "shock": 0.15}},
        "parameters": {"exercise": {"min_success": 0.5}},
    }


if __name__ == "__main__":
    print(json.dumps(world(int(sys.argv[1]) if len(sys.argv) > 1 else 20), indent=1))
