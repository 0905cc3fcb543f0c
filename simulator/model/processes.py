"""The activities of docs/model.md section 4, one SimPy process each.

Each process reads as its sentence in docs/model.md: it waits for its turn, for
money, trainers and facilities (real SimPy resources, so activities queue and
contend), then makes one call into the world's dynamics and counts what
happened. Randomness comes only from the generator handed to each process, and
each process draws a fixed number of numbers per cycle, so variants that change
what happens keep their draws aligned (common random numbers).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import simpy

from simulator.model import dynamics
from simulator.model.metrics import Counts
from simulator.model.schema import (
    DAYS_PER_YEAR,
    CrisisKind,
    Exercise,
    Program,
    Scenario,
    StandardsCycle,
    Threat,
    Workshop,
)
from simulator.model.world import ModuleEffects, TrustCells, World

Process = Generator[simpy.Event, Any, Any]


class Budget(simpy.resources.base.BaseResource[simpy.resources.base.Put,
                                                "Withdrawal | Renewal"]):
    """An ally's money, drawn as from a SimPy `Container`, but renewed, not topped up, at
    each budget year (what is left is not carried over), and cut at once by a share of
    what is left.

    An ally funds what it can afford: a waiting request is served as soon as its money
    is there, whatever waits ahead of it, so an expensive exercise never holds cheap
    modules back. A renewal serves the requests waiting for money at the moment it
    happens, in their order, each if affordable. SimPy serves waiting requests at once
    only when a request arrives (a put serves them later, once processed, after other
    events of the moment), so a renewal is itself a request, one that goes ahead of the
    queue. It is built on SimPy's hooks for new resources (the queue type, `_do_get`),
    not on the internals of a `Container`.
    """

    class Requests(list):
        """Requests in their order of arrival, but a renewal goes first."""

        def append(self, request: simpy.resources.base.Get) -> None:
            if isinstance(request, Renewal):
                self.insert(0, request)
            else:
                super().append(request)

    GetQueue = Requests

    def __init__(self, env: simpy.Environment):
        super().__init__(env, capacity=math.inf)
        self.level = 0.0

    # SimPy declares BaseResource.get() without arguments, though resources' requests take
    # them: its own Container.get(amount) silences the same error
    def get(self, amount: float) -> Withdrawal:  # type: ignore[override]
        return Withdrawal(self, amount)

    def renew(self, amount: float) -> float:
        """Replace the level by `amount`; returns what expired."""
        return cast(float, Renewal(self, amount).value)  # served at once: ahead of the queue

    def rescind(self, share: float) -> float:
        """Take away `share` of what is left; returns the amount taken."""
        taken = self.level * share
        self.level -= taken
        return taken

    def _do_get(self, request: Withdrawal | Renewal) -> bool:
        """Serve `request` if the money is there; either way, go on to the requests behind
        it (answering True: none is blocked by one it cannot afford)."""
        if isinstance(request, Renewal):
            expired, self.level = self.level, request.amount
            request.succeed(expired)
        elif self.level >= request.amount:
            self.level -= request.amount
            request.succeed()
        return True


class Withdrawal(simpy.resources.base.Get[Budget]):
    """A request for `amount` of a budget's money, refused as a SimPy `ContainerGet` is
    unless positive."""

    def __init__(self, budget: Budget, amount: float):
        if amount <= 0:
            raise ValueError(f"amount(={amount}) must be > 0.")
        self.amount = amount
        super().__init__(budget)


class Renewal(simpy.resources.base.Get[Budget]):
    """A budget's level replaced by `amount`; its value is what expired."""

    def __init__(self, budget: Budget, amount: float):
        self.amount = amount
        super().__init__(budget)


@dataclass(frozen=True)
class TraceEvent:
    """One thing that happened, for the timeline and for tests that read a run's story."""

    time: float
    kind: str
    entity: str
    detail: dict[str, Any] = field(default_factory=dict)


class Activities:
    """The processes of one run, sharing the world, its resources and its counts."""

    def __init__(self, env: simpy.Environment, world: World, scenario: Scenario,
                 trace: list[TraceEvent] | None = None):
        self.env = env
        self.world = world
        self.scenario = scenario
        self.parameters = scenario.parameters
        self.counts = Counts()
        self.trace = trace
        self.facilities = {
            facility.id: simpy.Resource(env, capacity=facility.capacity)
            for facility in scenario.facilities
        }
        allies = [n for n in scenario.nations if n.role == "ally"]
        self.budgets = {nation.id: Budget(env) for nation in allies}
        self.trainers = {
            nation.id: simpy.Container(env, capacity=max(nation.trainers, 1), init=nation.trainers)
            for nation in allies
        }
        self.cuts: dict[str, list[tuple[float, float]]] = {nation.id: [] for nation in allies}
        self.cooldown_until = np.zeros(len(world.region_ids))
        self.heightened_until = np.zeros(len(world.region_ids))
        self._allies_but: dict[int, tuple[np.ndarray, TrustCells]] = {}
        """For each crisis host so far, the other allies and their trust in it."""

    # --- joint exercises --------------------------------------------------------------

    def exercise_series(self, exercise: Exercise, rng: np.random.Generator) -> Process:
        """From `start_day`, an exercise every `every_days` (plus jitter) counted from the
        previous one's actual start (or cancellation), once the region's cooldown is over.
        Each invited nation takes part with chance will x interest, less if it trusts the
        host little; fewer than two cancel it."""
        world, env = self.world, self.env
        invited = world.nations_of(exercise.participants)
        region = world.region(exercise.region)
        willing = world.will[invited] * world.interest[invited, region]
        trust_in_host = world.trust_cells((invited, np.full(len(invited),
                                                          world.nation(exercise.host))))
        full_trust = self.parameters.exercise.full_participation_trust
        next_start = exercise.start_day
        end = math.inf if exercise.end_day is None else exercise.end_day
        while next_start < end:
            yield env.timeout(max(0.0, next_start - env.now))
            yield from self._wait_out_cooldown(region, exercise.id)
            draws = rng.random(len(invited) + 2)  # all of them, even if it is cancelled
            joins, outcome, jitter = draws[:-2], draws[-2], draws[-1]
            chance = dynamics.participation_chance(willing, trust_in_host.at(env.now),
                                                   full_trust)
            started = yield from self._exercise(exercise, invited[joins < chance], outcome)
            next_start = started + exercise.every_days + jitter * exercise.jitter_days

    def _exercise(self, exercise: Exercise, participants: np.ndarray, outcome: float
                  ) -> Process:
        """One exercise: the host pays, it holds a facility slot for `duration_days`, and at
        its end the participants learn and their trust moves with the outcome. Returns
        the day it started, or was cancelled."""
        world, env = self.world, self.env
        if len(participants) < 2:
            self._cancel_exercise(exercise, "fewer than two participants")
            return env.now
        if not (yield from self._pay(exercise.host, exercise.cost)):
            self._cancel_exercise(exercise, "no budget")
            return env.now
        with self.facilities[exercise.facility].request() as slot:
            yield slot
            started = env.now
            if self.trace is not None:  # names only for a trace
                self._log("exercise_start", f"exercises.{exercise.id}",
                          participants=[world.nation_ids[i] for i in participants])
            yield env.timeout(exercise.duration_days)
        self._conclude_exercise(exercise, participants, outcome)
        return started

    def _conclude_exercise(self, exercise: Exercise, participants: np.ndarray,
                           outcome: float) -> None:
        """Success with a chance that grows with the participants' interoperability; they
        learn either way, and the outcome is trust evidence among them."""
        world, now = self.world, self.env.now
        domains, region = world.domains_of(exercise.domains), world.region(exercise.region)
        mean_interoperability, success = world.hold_exercise(now, participants, domains,
                                                             exercise.intensity, outcome)
        self.counts.exercises_held += 1
        self.counts.partner_participations += int(np.count_nonzero(
            ~world.is_ally[participants]))
        self._log("exercise_end", f"exercises.{exercise.id}", success=bool(success),
                  interoperability=mean_interoperability)
        if world.contested[region]:
            self._raise_tension(region, exercise.intensity)

    def _cancel_exercise(self, exercise: Exercise, reason: str) -> None:
        self.counts.exercises_cancelled += 1
        self._log("exercise_cancelled", f"exercises.{exercise.id}", reason=reason)

    # --- tension and escalation ---------------------------------------------------------

    def _raise_tension(self, region: int, intensity: float) -> None:
        """Exercises in a contested region add tension; past the threshold, it escalates:
        the region's partners lose openness and its exercises pause."""
        rules, world, now = self.parameters.escalation, self.world, self.env.now
        world.tension.add(now, region, rules.tension_per_exercise * intensity)
        tension = world.tension.at(now, region)
        world.tension_high[region] = max(world.tension_high[region], tension)
        if tension < rules.escalation_threshold:
            return
        if now < self.cooldown_until[region]:
            return
        members = world.members[region]
        partners = members[~world.is_ally[members]]
        world.openness_lost.add(now, partners, rules.openness_drop)
        self.cooldown_until[region] = now + rules.cooldown_days
        self.heightened_until[region] = now + rules.heightened_days
        self.counts.escalations += 1
        self._log("escalation", f"regions.{world.region_ids[region]}",
                  tension=float(world.tension.at(now, region)))

    def _wait_out_cooldown(self, region: int, exercise_id: str) -> Process:
        pause = self.cooldown_until[region] - self.env.now
        if pause > 0:
            self._log("exercise_paused", f"exercises.{exercise_id}", days=float(pause))
            yield self.env.timeout(pause)

    # --- capacity building --------------------------------------------------------------

    def capacity_program(self, program: Program, rng: np.random.Generator) -> Process:
        """A provider ally trains one partner, `modules` modules, one every
        `module_every_days`. An unstable partner may interrupt it for a while, and
        it waits while the partner's stability is below `suspend_below`. Each
        module needs trainers and money, and leaves learning, trust in the
        provider, and engagement pressure that past tolerance is seen as bias."""
        partner = self.world.nation(program.partner)
        entity = f"programs.{program.id}"
        effects = self.world.module_effects(program)
        rules = self.parameters.program
        cost = program.cost * (1.0 + rules.tailoring_premium if program.tailored else 1.0)
        yield self.env.timeout(program.start_day)
        for module in range(program.modules):
            due = self.env.now + program.module_every_days
            self.counts.modules_due += 1
            interrupted = yield from self._interruption(partner, entity, rng)
            suspended = yield from self._wait_for_stability(partner, entity)
            if math.isinf(suspended):
                self.counts.modules_disrupted += 1
                return
            paid = yield from self._pay(program.provider, cost)
            self.counts.modules_disrupted += bool(interrupted or suspended or not paid)
            if not paid:
                self.counts.modules_cancelled += 1
                self._log("module_cancelled", entity, module=module, reason="no budget")
                continue
            yield from self._teach_module(program, entity, module)
            self._deliver_module(entity, effects)
            yield self.env.timeout(max(0.0, due - self.env.now))

    def _interruption(self, partner: int, entity: str, rng: np.random.Generator) -> Process:
        """With chance `interruption` x the partner's instability, a pause of exponential
        length (mean `pause_days`); both numbers are drawn either way. True if it paused."""
        rules = self.parameters.program
        interrupts, pause_length = rng.random(2)
        unstable = 1.0 - float(self.world.stability(self.env.now, partner))
        if interrupts >= rules.interruption * unstable:
            return False
        pause = -rules.pause_days * math.log1p(-pause_length)
        self.counts.interruptions += 1
        self._log("interruption", entity, days=pause)
        yield self.env.timeout(pause)
        return True

    def _teach_module(self, program: Program, entity: str, module: int) -> Process:
        """The module's `module_days`, holding its trainers from the provider's pool (once
        they are free) until it ends."""
        pool = self.trainers[program.provider]
        if program.trainers:
            yield pool.get(program.trainers)
        self._log("module_start", entity, module=module)
        yield self.env.timeout(program.module_days)
        if program.trainers:
            yield pool.put(program.trainers)

    def _deliver_module(self, entity: str, effects: ModuleEffects) -> None:
        bias = effects.deliver(self.env.now)
        self.counts.modules_delivered += 1
        self._log("module_end", entity, fit=effects.mean_fit)
        if bias > 0:
            self.counts.bias_incidents += 1
            self._log("bias_incident", entity, evidence=bias)

    def _wait_for_stability(self, partner: int, entity: str) -> Process:
        """Wait until the partner's stability is back at `suspend_below`; returns the days
        waited (infinite if it never will be)."""
        world, floor = self.world, self.parameters.program.suspend_below
        waited = 0.0
        while True:
            days = dynamics.recovery_days(
                float(world.base_stability[partner]),
                float(world.stability_lost.at(self.env.now, partner)),
                floor, world.stability_lost.rate,
            )
            if days <= 1e-9:
                return waited
            self.counts.suspensions += 1
            if math.isinf(days):
                self._log("program_abandoned", entity)
                return days
            self._log("suspension", entity, days=days)
            yield self.env.timeout(days)
            waited += days

    # --- standards -------------------------------------------------------------------------

    def workshop_series(self, workshop: Workshop) -> Process:
        """Every `every_days`, a cheap dissemination workshop: partners learn standards
        in proportion to their openness."""
        world, env = self.world, self.env
        partners = world.nations_of(workshop.partners)
        domains = world.domains_of(workshop.domains)
        rate = self.parameters.standards.workshop_standards
        yield env.timeout(workshop.start_day)
        while True:
            due = env.now + workshop.every_days
            if (yield from self._pay(workshop.provider, workshop.cost)):
                openness = world.openness(env.now, partners)
                world.train(world.standards, env.now, partners, domains, rate,
                            workshop.intensity, openness[:, None])
                self.counts.workshops_held += 1
                self._log("workshop", f"workshops.{workshop.id}")
            yield env.timeout(max(0.0, due - env.now))

    def standards_releases(self, cycle: StandardsCycle) -> Process:
        """Every release interval a new version makes part of everyone's adoption
        obsolete; allies re-adopt after a lag, partners only through training."""
        rules = self.parameters.standards
        every = cycle.release_every_days or (
            rules.cyber_release_every_days if cycle.id == "cyber" else rules.release_every_days
        )
        domain = self.world.domains_of([cycle.id])
        everyone = np.arange(len(self.world.nation_ids))
        while True:
            yield self.env.timeout(every)
            self.world.standards.scale(self.env.now, np.ix_(everyone, domain),
                                       1.0 - rules.obsolescence)
            self.counts.releases += 1
            self._log("release", f"standards.{cycle.id}")
            self.env.process(self._ally_adoption(domain))

    def _ally_adoption(self, domain: np.ndarray) -> Process:
        world, rules = self.world, self.parameters.standards
        yield self.env.timeout(rules.adoption_lag_days)
        allies = world.allies
        world.train(world.standards, self.env.now, allies, domain, rules.ally_adoption, 1.0,
                    world.will[allies][:, None])

    # --- crises ------------------------------------------------------------------------------

    def crises(self, threat: Threat, rng: np.random.Generator) -> Process:
        """Crises arrive in a region as a Poisson process, at `crisis_factor` times the rate
        while the region is heightened after an escalation (drawn exactly by thinning).
        The host and the allies that trust it enough respond; capability,
        interoperability and early warning decide the chance of success, and the outcome
        is trust evidence."""
        world, env = self.world, self.env
        region = world.region(threat.region)
        members = world.members[region]
        if threat.per_year <= 0 or len(members) == 0:
            return
        factor = self.parameters.escalation.crisis_factor
        mean_gap = DAYS_PER_YEAR / (threat.per_year * factor)
        while True:
            gap, thinning, which_kind, which_host, outcome = rng.random(5)
            yield env.timeout(-mean_gap * math.log1p(-gap))
            heightened = env.now < self.heightened_until[region]
            if not heightened and thinning * factor >= 1.0:
                continue
            kind = threat.kinds[int(which_kind * len(threat.kinds))]
            host = int(members[int(which_host * len(members))])
            responders = self._coalition(host)
            self._resolve_crisis(threat, region, kind, responders, outcome)

    def _coalition(self, host: int) -> np.ndarray:
        """The host, then at most `max_coalition` other allies whose trust in it is at least
        `respond_threshold`, the most trusting first."""
        world, rules = self.world, self.parameters.sharing
        if host not in self._allies_but:
            others = world.allies[world.allies != host]
            self._allies_but[host] = others, world.trust_cells((others, np.full(len(others),
                                                                               host)))
        others, trust_cells = self._allies_but[host]
        trust_in_host = trust_cells.at(self.env.now)
        willing = trust_in_host >= rules.respond_threshold
        most_trusting = np.argsort(-trust_in_host[willing], kind="stable")
        return np.concatenate(([host], others[willing][most_trusting][: rules.max_coalition]))

    def _resolve_crisis(self, threat: Threat, region: int, kind: CrisisKind,
                        responders: np.ndarray, outcome: float) -> None:
        """The responders' capability, interoperability and early warning make the chance of
        success; the outcome is trust evidence among them, and a failure shakes the host
        (the first responder)."""
        world, now = self.world, self.env.now
        host = int(responders[0])
        domain = world.domains_of([self.parameters.crisis_domains[kind]])
        warning = world.early_warning(now, region)
        effectiveness, success = world.respond_to_crisis(now, responders, domain, warning,
                                                         outcome)
        self.counts.crises += 1
        self.counts.crisis_successes += int(success)
        self._log("crisis", f"threats.{threat.id}", crisis=kind, host=world.nation_ids[host],
                  responders=[world.nation_ids[i] for i in responders], warning=warning,
                  effectiveness=effectiveness, success=bool(success))

    # --- disruptions and budgets -----------------------------------------------------------

    def budget_years(self) -> Process:
        """Every 365 days each ally's budget is renewed to annual budget x will x
        (1 - current cut); what is left is not carried over."""
        while True:
            for nation in self.scenario.nations:
                if nation.role != "ally":
                    continue
                grant = dynamics.budget_grant(nation.annual_budget, nation.political_will,
                                              self._current_cut(nation.id))
                self.counts.budget_expired += self.budgets[nation.id].renew(grant)
                self.counts.budget_granted += grant
            yield self.env.timeout(DAYS_PER_YEAR)

    def budget_cuts(self, ally: str, rng: np.random.Generator) -> Process:
        """Cuts arrive as a Poisson process; each takes `depth` of what is left at once
        and of every refill while it lasts."""
        rules = self.scenario.disruptions.budget_cuts
        mean_gap = DAYS_PER_YEAR / rules.per_year
        while True:
            yield self.env.timeout(-mean_gap * math.log1p(-rng.random()))
            self.cuts[ally].append((self.env.now + rules.duration_days, rules.depth))
            self.counts.budget_expired += self.budgets[ally].rescind(rules.depth)
            self.counts.budget_cuts += 1
            self._log("budget_cut", f"nations.{ally}", depth=rules.depth)

    def _current_cut(self, ally: str) -> float:
        now = self.env.now
        self.cuts[ally] = [(end, depth) for end, depth in self.cuts[ally] if end > now]
        return dynamics.combined_cut([depth for _, depth in self.cuts[ally]])

    def instability_shocks(self, partner: int, rng: np.random.Generator) -> Process:
        """Shocks arrive at `per_year` times the partner's fragility (1 - its scenario
        stability: not its current stability, so no feedback makes a tipping point), and
        recover with the stability half-life."""
        rules, world = self.scenario.disruptions.instability, self.world
        rate = rules.per_year * (1.0 - float(world.base_stability[partner]))
        if rate <= 0:
            return
        mean_gap = DAYS_PER_YEAR / rate
        while True:
            yield self.env.timeout(-mean_gap * math.log1p(-rng.random()))
            world.stability_lost.add(self.env.now, partner, rules.shock)
            self.counts.instability_shocks += 1
            self._log("instability_shock", f"nations.{world.nation_ids[partner]}")

    def _pay(self, ally: str, cost: float) -> Process:
        """Draw `cost` from the ally's budget, waiting up to `max_wait_days`; False if unpaid.
        When the money is there it is drawn at once, with no request to schedule: a
        waiting request is one the budget cannot afford, so none is passed over."""
        if cost <= 0:
            return True
        budget = self.budgets[ally]
        if budget.level >= cost:
            budget.level -= cost
            self.counts.budget_spent += cost
            return True
        request = budget.get(cost)
        yield request | self.env.timeout(self.parameters.budget.max_wait_days)
        if not request.triggered:
            request.cancel()
            return False
        self.counts.budget_spent += cost
        return True

    def _log(self, kind: str, entity: str, **detail: Any) -> None:
        if self.trace is not None:
            self.trace.append(TraceEvent(float(self.env.now), kind, entity, detail))
