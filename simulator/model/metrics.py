"""Every metric and KPI once: its name in tables and files, the label and unit a reader
sees, which way is better, what kind of number it is, and the table it lives in.

Tables take their columns, in order, from here, and figures, the console, the report and
the comparison their labels and units, so a metric's name is spelled in this module
only. It is plain data, importing neither SimPy nor the engine: experiment files are
checked, and results read, without loading the model.

The counts a run keeps as it goes (`Counts`) live here too, each field with its label,
so that the recorder samples them without knowing the processes that count.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

Direction = Literal[1, -1, 0]
"""Which way is better: 1 higher, -1 lower, 0 neither (docs/model.md says where this is a
judgement)."""
HIGHER_IS_BETTER: Direction = 1
LOWER_IS_BETTER: Direction = -1
NEITHER: Direction = 0

Kind = Literal["index", "count", "money", "rate", "share"]
Table = Literal["series", "nations", "regions", "kpis"]
Statistic = Literal["final", "mean", "peak", "ratio", "gain_per"]
"""How a KPI sums up a run's series: the value at the horizon, the time mean, the maximum,
the first's final value over the second's, or the first's change over the second's final
value."""

INDEX = "index (0–1)"
UNBOUNDED_INDEX = "index (unbounded)"
BUDGET = "budget units"


@dataclass(frozen=True)
class SmallestEffect:
    """The smallest difference worth acting on: `size` in the metric's unit, or, if
    `relative`, as a share of the baseline's value (5% of the baseline's crises)."""

    size: float
    relative: bool = False

    def at(self, baseline: float) -> float:
        """The smallest effect of interest where the baseline is `baseline`."""
        return self.size * abs(baseline) if self.relative else self.size

    def __str__(self) -> str:
        return f"{100 * self.size:g}% of the baseline" if self.relative else f"{self.size:g}"


SMALLEST_EFFECTS: Mapping[Kind, SmallestEffect] = MappingProxyType({
    "index": SmallestEffect(0.01), "share": SmallestEffect(0.02),
    "count": SmallestEffect(0.05, relative=True), "money": SmallestEffect(0.05, relative=True),
    "rate": SmallestEffect(0.05, relative=True)})
"""Smallest effects of interest by kind of number, where an experiment states none: a
hundredth of an index (a twenty-fifth of an interoperability level), two percentage
points of a share, 5% of a count, an amount of money or a rate. They are judgements, so an
experiment file may state its own (`practical_difference`)."""


@dataclass(frozen=True)
class Metric:
    """A column of a table, as a reader is shown it."""

    name: str
    label: str
    unit: str
    direction: Direction
    kind: Kind
    table: Table

    @property
    def whole(self) -> bool:
        """Whether its values are whole numbers, which tables and files give as integers."""
        return self.kind == "count"

    @property
    def in_unit_interval(self) -> bool:
        """Whether every value lies in [0, 1]: indices and shares, but not tension."""
        return self.kind == "share" or self.unit == INDEX

    @property
    def smallest_effect(self) -> SmallestEffect:
        """The smallest difference worth acting on, by default (`SMALLEST_EFFECTS`)."""
        return SMALLEST_EFFECTS[self.kind]


@dataclass(frozen=True, kw_only=True)
class Kpi(Metric):
    """A number that sums up a run: a `statistic` of the series metrics `of`."""

    table: Table = "kpis"
    statistic: Statistic
    of: tuple[str, ...]

    @property
    def whole(self) -> bool:
        """A count at the horizon is whole; its time mean is not."""
        return self.kind == "count" and self.statistic == "final"


def _tally(label: str, unit: str, direction: Direction, kind: Kind = "count") -> Any:
    """A field of `Counts`: starts at nothing, and says what it counts."""
    return dataclasses.field(default=0 if kind == "count" else 0.0, metadata={
        "metric": (label, unit, direction, kind)})


@dataclass
class Counts:
    """Cumulative counts and budget flows of a run; the recorder samples them as they grow."""

    exercises_held: int = _tally("Exercises held", "exercises", NEITHER)
    exercises_cancelled: int = _tally("Exercises cancelled", "exercises", LOWER_IS_BETTER)
    partner_participations: int = _tally("Partners' participations in exercises held",
                                         "participations", HIGHER_IS_BETTER)
    modules_delivered: int = _tally("Program modules delivered", "modules", NEITHER)
    modules_cancelled: int = _tally("Program modules cancelled", "modules", LOWER_IS_BETTER)
    modules_due: int = _tally("Program modules due", "modules", NEITHER)
    modules_disrupted: int = _tally(
        "Program modules disrupted (interrupted, suspended or cancelled)", "modules",
        LOWER_IS_BETTER)
    interruptions: int = _tally("Program interruptions", "interruptions", LOWER_IS_BETTER)
    suspensions: int = _tally("Program suspensions", "suspensions", LOWER_IS_BETTER)
    bias_incidents: int = _tally("Bias incidents", "incidents", LOWER_IS_BETTER)
    workshops_held: int = _tally("Standards workshops held", "workshops", NEITHER)
    releases: int = _tally("Standards releases", "releases", NEITHER)
    crises: int = _tally("Crises", "crises", NEITHER)
    crisis_successes: int = _tally("Crises handled", "crises", HIGHER_IS_BETTER)
    escalations: int = _tally("Escalations", "escalations", LOWER_IS_BETTER)
    budget_cuts: int = _tally("Budget cuts", "cuts", NEITHER)
    instability_shocks: int = _tally("Instability shocks", "shocks", NEITHER)
    budget_granted: float = _tally("Budget granted", BUDGET, NEITHER, "money")
    budget_spent: float = _tally("Budget spent", BUDGET, LOWER_IS_BETTER, "money")
    budget_expired: float = _tally("Budget lost unspent (expired or cut)", BUDGET,
                                   LOWER_IS_BETTER, "money")


def _series(name: str, label: str, unit: str, direction: Direction, kind: Kind) -> Metric:
    return Metric(name, label, unit, direction, kind, "series")


def _by_name(metrics: Iterable[Metric]) -> Mapping[str, Metric]:
    return MappingProxyType({metric.name: metric for metric in metrics})


MAX_TENSION = _series("max_tension", "Tension in the most tense region", UNBOUNDED_INDEX,
                      LOWER_IS_BETTER, "index")
HIGHEST_TENSION = _series("highest_tension", "Highest tension in any region since the last sample",
                          UNBOUNDED_INDEX, LOWER_IS_BETTER, "index")
"""Tension peaks just after an exercise and decays; sampled every month it would rarely show
the peaks that cross the escalation threshold, so the recorder keeps the highest since the
previous sample."""
STATE = (
    _series("interop_ally_partner", "Interoperability, ally–partner", INDEX,
            HIGHER_IS_BETTER, "index"),
    _series("interop_ally_ally", "Interoperability, ally–ally", INDEX, HIGHER_IS_BETTER,
            "index"),
    _series("compatible_share", "Ally–partner pairs at level 2 or above",
            "share of pairs (0–1)", HIGHER_IS_BETTER, "share"),
    _series("engaged_pairs", "Engaged ally–partner pairs", "pairs", HIGHER_IS_BETTER, "count"),
    _series("interop_engaged", "Interoperability, engaged ally–partner pairs", INDEX,
            HIGHER_IS_BETTER, "index"),
    _series("engaged_compatible_share", "Engaged ally–partner pairs at level 2 or above",
            "share of pairs (0–1)", HIGHER_IS_BETTER, "share"),
    _series("trust_ally_partner", "Trust of allies in partners", INDEX, HIGHER_IS_BETTER,
            "index"),
    _series("trust_partner_ally", "Trust of partners in allies", INDEX, HIGHER_IS_BETTER,
            "index"),
    _series("sharing_links", "Information-sharing links", "pairs", HIGHER_IS_BETTER, "count"),
    _series("early_warning", "Mean early-warning coverage", "share of nations (0–1)",
            HIGHER_IS_BETTER, "share"),
    _series("partner_standards", "Partners' mean standards adoption", INDEX,
            HIGHER_IS_BETTER, "index"),
    _series("partner_proficiency", "Partners' mean proficiency", INDEX, HIGHER_IS_BETTER,
            "index"),
    _series("partner_capability", "Partners' mean capability", INDEX, HIGHER_IS_BETTER,
            "index"),
    _series("partner_stability", "Partners' mean stability", INDEX, HIGHER_IS_BETTER,
            "index"),
    MAX_TENSION,
    HIGHEST_TENSION,
)
"""The world's state, sampled; `compatible_share` is the share of ally-partner pairs whose
mean interoperability over domains is at level 2 (compatible) or above, `early_warning` the
mean of the regions' coverage. Engaged pairs trained together within
`parameters.engaged_within_days`; their interoperability is over the domains they trained
in (NaN with none engaged). The recorder works them out in this order."""
_TALLIES = tuple((field.name, *field.metadata["metric"]) for field in dataclasses.fields(Counts))
"""Name, label, unit, direction and kind of each field of `Counts`, in order."""
COUNTED = tuple(_series(name, f"{label} (cumulative)", unit, direction, kind)
                for name, label, unit, direction, kind in _TALLIES)
"""The counts, sampled as they grow."""
SERIES = _by_name((*STATE, *COUNTED))

NATIONS = _by_name((
    Metric("standards", "Standards adoption (mean over domains)", INDEX, HIGHER_IS_BETTER,
           "index", "nations"),
    Metric("proficiency", "Proficiency (mean over domains)", INDEX, HIGHER_IS_BETTER, "index",
           "nations"),
    Metric("capability", "Capability", INDEX, HIGHER_IS_BETTER, "index", "nations"),
    Metric("stability", "Stability", INDEX, HIGHER_IS_BETTER, "index", "nations"),
    Metric("openness", "Openness to engagement", INDEX, HIGHER_IS_BETTER, "index", "nations"),
))
TENSION = Metric("tension", "Regional tension", UNBOUNDED_INDEX, LOWER_IS_BETTER, "index",
                 "regions")
REGIONS = _by_name((
    TENSION,
    Metric("early_warning", "Early-warning coverage", "share of nations (0–1)",
           HIGHER_IS_BETTER, "share", "regions"),
))


def _summary(metric: Metric, statistic: Statistic, words: str) -> Kpi:
    """A state metric summed up: `final_<name>` or `mean_<name>`, labelled as such."""
    return Kpi(f"{statistic}_{metric.name}", f"{metric.label} ({words})", metric.unit,
               metric.direction, metric.kind, statistic=statistic, of=(metric.name,))


KPIS: Mapping[str, Kpi] = MappingProxyType({kpi.name: kpi for kpi in (
    *(kpi for metric in STATE if metric not in (MAX_TENSION, HIGHEST_TENSION)
      for kpi in (_summary(metric, "final", "final"), _summary(metric, "mean", "time mean"))),
    *(Kpi(name, label, unit, direction, kind, statistic="final", of=(name,))  # totals
      for name, label, unit, direction, kind in _TALLIES),
    Kpi("peak_tension", "Peak regional tension", UNBOUNDED_INDEX, LOWER_IS_BETTER, "index",
        statistic="peak", of=(HIGHEST_TENSION.name,)),
    Kpi("crisis_success_rate", "Crisis success rate", "share of crises (0–1)",
        HIGHER_IS_BETTER, "share", statistic="ratio", of=("crisis_successes", "crises")),
    Kpi("module_disruption_rate", "Share of program modules disrupted",
        "share of modules due (0–1)", LOWER_IS_BETTER, "share", statistic="ratio",
        of=("modules_disrupted", "modules_due")),
    Kpi("interop_gain_per_budget", "Ally–partner interoperability gained per budget unit",
        "index per budget unit", HIGHER_IS_BETTER, "rate", statistic="gain_per",
        of=("interop_ally_partner", "budget_spent")),
)})
"""State metrics by their final value and time mean (over the time they are defined; tension
by its peak), the counts by their totals, and three ratios (NaN where undefined: no crises,
no modules due, nothing spent)."""
CATALOGUE: Mapping[Table, Mapping[str, Metric]] = MappingProxyType(
    {"series": SERIES, "nations": NATIONS, "regions": REGIONS, "kpis": KPIS})
"""Every table's metrics, by name, in column order."""


Practical = float | dict[str, float] | None
"""An experiment's `practical_difference`: for the primary metric, by KPI, or not stated."""


def stated_smallest_effect(kpi: str, primary_metric: str,
                           practical_difference: Practical = None) -> float | None:
    """The smallest difference in `kpi` worth acting on, as the experiment's
    `practical_difference` states it (a number is the primary metric's); None if it does
    not."""
    if isinstance(practical_difference, dict):
        return practical_difference.get(kpi)
    if practical_difference is not None and kpi == primary_metric:
        return float(practical_difference)
    return None


def smallest_effect(kpi: str, baseline: float, primary_metric: str,
                    practical_difference: Practical = None) -> float:
    """The smallest difference in `kpi` worth acting on where the baseline is `baseline`: as
    the experiment states it, else the metric catalogue's default."""
    stated = stated_smallest_effect(kpi, primary_metric, practical_difference)
    return KPIS[kpi].smallest_effect.at(baseline) if stated is None else stated

# --- the names as the tables use them ---------------------------------------------------------

STATE_METRICS = tuple(metric.name for metric in STATE)
COUNT_METRICS = tuple(metric.name for metric in COUNTED)
SERIES_METRICS = tuple(SERIES)
WHOLE_METRICS = tuple(name for name, metric in SERIES.items() if metric.whole)
"""Series metrics that are whole numbers (events, pairs): the recorder keeps every metric in
one float block, and the tables give these back as integers (exact: they are far below 2**53)."""
NATION_METRICS = tuple(NATIONS)
REGION_METRICS = tuple(REGIONS)
KPI_NAMES = tuple(KPIS)
"""Every KPI of a run, in the order of `results.kpis()`."""
WHOLE_KPIS = tuple(name for name, kpi in KPIS.items() if kpi.whole)
"""KPIs that count something (the final or cumulative value of a whole-number metric): ints."""

# --- what readers are shown first -------------------------------------------------------------

HEADLINE_KPIS = (
    "mean_interop_ally_partner", "final_interop_ally_partner", "mean_interop_engaged",
    "mean_engaged_pairs", "mean_trust_partner_ally",
    "mean_trust_ally_partner", "final_compatible_share", "final_partner_capability",
    "mean_early_warning", "crisis_success_rate", "bias_incidents", "escalations",
    "module_disruption_rate", "exercises_held", "budget_spent",
)
"""The outcomes a policy is judged on: the forest plot, the KPI distributions and the
report show these, in this order."""
ALLY_PARTNER_INTEROPERABILITY = ("interop_ally_partner", "interop_engaged", "compatible_share",
                                 "engaged_compatible_share")
"""Series metrics of ally-partner interoperability: of a KPI of these, the report also says
how many pairs a variant moves across interoperability levels."""
TRADE_OFFS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "benefit": ("mean_interop_ally_partner", "mean_interop_engaged", "mean_trust_partner_ally",
                "crisis_success_rate", "mean_early_warning"),
    "cost": ("budget_spent",),
    "risk": ("escalations", "peak_tension", "bias_incidents", "module_disruption_rate"),
})
"""What a policy buys, what it costs and what it risks: the report's trade-off table, in
this order (the experiment's primary metric joins the benefits if it is not among them)."""
RUN_KPIS = (
    "final_interop_ally_partner", "mean_interop_ally_partner", "final_interop_ally_ally",
    "final_compatible_share", "final_engaged_pairs", "final_interop_engaged",
    "final_engaged_compatible_share", "final_trust_ally_partner", "final_trust_partner_ally",
    "final_sharing_links", "final_partner_capability", "exercises_held",
    "exercises_cancelled", "modules_delivered", "module_disruption_rate", "bias_incidents",
    "crises",
    "crisis_success_rate", "escalations", "budget_spent", "interop_gain_per_budget",
)
"""A run's summary as `simulator run` prints it."""
TRACKED_METRICS = (
    "interop_ally_partner", "interop_ally_ally", "compatible_share", "engaged_pairs",
    "interop_engaged", "engaged_compatible_share", "trust_ally_partner",
    "trust_partner_ally", "sharing_links", "early_warning", "partner_standards",
    "partner_proficiency", "partner_capability", "partner_stability", "bias_incidents",
    "escalations", "highest_tension", "budget_spent",
)
"""Series metrics an experiment's figures follow over the years (a fan chart each)."""


@dataclass(frozen=True)
class Theme:
    """Series metrics read together: one panel of a single run's figure."""

    title: str
    axis: str
    metrics: tuple[str, ...]


THEMES = (
    Theme("Interoperability", "index or share (0–1)",
          ("interop_ally_partner", "interop_ally_ally", "interop_engaged", "compatible_share",
           "engaged_compatible_share")),
    Theme("Trust and warning", "index or share (0–1)",
          ("trust_ally_partner", "trust_partner_ally", "early_warning")),
    Theme("Partners (mean)", INDEX, ("partner_standards", "partner_proficiency",
                                     "partner_capability", "partner_stability")),
    Theme("Activities (cumulative)", "count", (
        "exercises_held", "exercises_cancelled", "modules_delivered", "bias_incidents",
        "crises", "crisis_successes", "escalations")),
    Theme("Budget (cumulative)", BUDGET, ("budget_granted", "budget_spent")),
)
"""The main series metrics of a single run, by theme."""
