"""One self-contained HTML report of a results directory, in the order an analyst briefs:
findings, trade-offs, set-up, the model described (STRESS-DES), validation, figures and
reproducibility; and beside it `model_description.md`, the model description alone.

The words live in `templates/report.html.j2` and the verdicts in `findings.py`; this module
gathers what they speak of. Figures are embedded as PNG data, styles are inline, and nothing
is fetched: the file opens anywhere, with no network.
"""

from __future__ import annotations

import base64
import json
import math
import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from simulator.model.metrics import HEADLINE_KPIS, KPIS, Kpi, stated_smallest_effect
from simulator.model.reference import direction_words
from simulator.presentation import findings as finding
from simulator.presentation.description import Description, odd, stress_des
from simulator.presentation.figures import (
    FigureSpec,
    figures,
    informative_kpis,
    omitted,
    save_figure,
)
from simulator.presentation.plot_data import Results, load_results
from simulator.runs.store import (
    CHECKS,
    MANIFEST,
    MODEL_DESCRIPTION,
    PLOTS,
    REPORT,
    ExperimentManifest,
    SelectionRecord,
    atomic_text,
    read_reproduction,
    read_selection,
    run_file,
)

TEMPLATE = "report.html.j2"


@dataclass(frozen=True)
class World:
    """The scenario, counted, for the sentences that describe it."""

    name: str
    description: str
    years: float
    nations: int
    allies: int
    partners: int
    regions: int
    contested: list[str]
    domains: list[str]
    exercises: int
    programs: int
    tailored: int
    workshops: int
    threats: int
    budget: float
    """Allies' annual budgets, summed."""
    crises_per_year: float
    budget_cuts_per_year: float
    instability_per_year: float


@dataclass(frozen=True)
class Difference:
    """A variant's paired difference to the baseline in one KPI, as the comparison has it."""

    difference: float
    low: float
    high: float
    p_holm: float
    significant: bool


@dataclass(frozen=True)
class Row:
    """A KPI of the results table: a run's value, or the baseline's mean and each other
    variant's difference to it."""

    kpi: Kpi
    value: float
    differences: list[Difference]


@dataclass(frozen=True)
class Validation:
    """The validation suite's outcome (`checks.csv`), for the section that shows it."""

    checks: list[dict[Any, Any]]
    """One row of `checks.csv` per check, as written; a measured value or bound that is
    undefined (NaN) is None."""
    passed: int
    files: int


@dataclass(frozen=True)
class Selected:
    """The outcome of the experiment's selection (`selection.json`), for its section."""

    record: SelectionRecord
    kpi: Kpi
    """The primary metric, on which the selection was made."""

    @property
    def saved_percent(self) -> float:
        """The runs saved, in % of those of every variant to the last replication."""
        return 100 * self.record.runs_saved / self.record.fixed_design_runs


@dataclass(frozen=True)
class EmbeddedFigure:
    """A figure as the page shows it: its PNG file in base64, and its caption."""

    name: str
    caption: str
    note: str
    png: str


def write_report(directory: str | Path, with_odd: bool = False) -> Path:
    """Write `DIR/report.html` and `DIR/model_description.md` for the results in `directory`
    (with `with_odd`, the model described in the ODD structure too); return the report's
    path."""
    results = load_results(directory)
    description = stress_des(results)
    odd_view = odd(results) if with_odd else None
    atomic_text(Path(directory) / MODEL_DESCRIPTION, description.markdown()
                + (f"\n\n{odd_view.markdown()}" if odd_view else ""))
    return atomic_text(Path(directory) / REPORT, render(results, description, odd_view))


def render(results: Results, description: Description | None = None,
           odd_view: Description | None = None) -> str:
    """The whole report as one HTML page; a figure not drawn yet is drawn into `DIR/plots/`."""
    manifest, comparison = results.manifest, results.comparison
    found, changes, selection = None, {}, None
    if isinstance(manifest, ExperimentManifest) and comparison is not None:  # an experiment
        rows = _comparison(results, comparison, manifest.experiment.primary_metric)
        found = finding.findings(results, manifest, comparison)
        changes = {name: finding.changes(results, name) for name in results.variants}
        selection = _selection(results.directory)
    else:
        rows = _kpi_values(results)
    environment = template_environment()
    environment.globals |= {"definition": finding.definition,
                            "direction_words": direction_words,
                            "smallest_words": partial(_smallest_words, manifest)}
    return environment.get_template(TEMPLATE).render(
        results=results, manifest=manifest, world=_world(results.scenario()),
        compared=_compared(results), rows=rows, found=found, variant_changes=changes,
        defined=_defined(found, rows), description=description or stress_des(results),
        description_file=MODEL_DESCRIPTION, odd=odd_view,
        figures=[_embedded(results, spec) for spec in figures(results)],
        omitted=omitted(results), validation=_validation(results.directory),
        reproduction=read_reproduction(results.directory), selection=selection)


def template_environment() -> Environment:
    """Templates from the package, HTML-escaped, failing on a misspelt name; numbers are
    formatted by the filters named here, so the template says how precise each one is."""
    environment = Environment(loader=PackageLoader("simulator.presentation", "templates"),
                              autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True, keep_trailing_newline=True)
    environment.filters |= {
        "number": lambda value: f"{value:g}",
        "sig": lambda value, digits=4: f"{value:.{digits}g}",
        "signed": lambda value, digits=4: f"{value:+.{digits}g}",
        "fixed": lambda value, digits: f"{value:.{digits}f}",
        "signed_percent": _percent,
        "p_value": lambda value: "< 0.001" if value < 0.001 else f"= {value:.2g}",
        "lower_first": lambda text: text[:1].lower() + text[1:],
        "value": _value,
        "code_spans": _code_spans,
        "json": json.dumps,
    }
    return environment


def stylesheet() -> Markup:
    """The report's CSS, as its template states it: for other pages (an exploration's report)
    to look the same without a copy of it."""
    environment = template_environment()
    assert environment.loader is not None
    source, _, _ = environment.loader.get_source(environment, TEMPLATE)
    found = re.search(r"<style>(.*?)</style>", source, flags=re.DOTALL)
    assert found is not None, f"{TEMPLATE} has no <style>"
    return Markup(found.group(1).strip())


def embedded_png(spec: FigureSpec, directory: Path) -> str:
    """The figure's PNG in `DIR/plots/`, in base64 for a data URL; drawn there first if it is
    missing or older than the manifest, so that the next report need not draw it."""
    path = directory / PLOTS / f"{spec.name}.png"
    manifest = directory / MANIFEST
    if not path.exists() or path.stat().st_mtime_ns < manifest.stat().st_mtime_ns:
        save_figure(spec, path.parent)
    return base64.b64encode(path.read_bytes()).decode("ascii")


def _world(scenario: dict[str, Any]) -> World:
    nations, programs, threats = scenario["nations"], scenario["programs"], scenario["threats"]
    allies = sum(nation["role"] == "ally" for nation in nations)
    disruptions = scenario["disruptions"]
    return World(
        name=scenario["name"], description=scenario["description"],
        years=scenario["horizon_years"], nations=len(nations), allies=allies,
        partners=len(nations) - allies, regions=len(scenario["regions"]),
        contested=[region["id"] for region in scenario["regions"] if region["contested"]],
        domains=scenario["domains"], exercises=len(scenario["exercises"]),
        programs=len(programs), tailored=sum(program["tailored"] for program in programs),
        workshops=len(scenario["workshops"]), threats=len(threats),
        budget=sum(nation["annual_budget"] for nation in nations),
        crises_per_year=sum(threat["per_year"] for threat in threats),
        budget_cuts_per_year=disruptions["budget_cuts"]["per_year"],
        instability_per_year=disruptions["instability"]["per_year"])


def _compared(results: Results) -> list[str]:
    """The variants compared with the baseline, in the experiment's order (none in a run)."""
    return [variant for variant in results.variants if variant != results.baseline]


def _comparison(results: Results, comparison: pd.DataFrame, primary: str) -> list[Row]:
    """KPIs down, variants across: the primary metric first, then every headline KPI that
    varies; each with the baseline's mean and each variant's paired difference to it."""
    kpis = [primary] + [kpi for kpi in informative_kpis(results) if kpi != primary]
    compared = {(row["kpi"], row["variant"]): row for row in comparison.to_dict("records")}
    variants = _compared(results)
    return [Row(KPIS[kpi], float(compared[kpi, variants[0]]["baseline_mean"]),
                [_difference(compared[kpi, variant]) for variant in variants])
            for kpi in kpis]


def _difference(row: dict[Any, Any]) -> Difference:
    return Difference(float(row["difference"]), float(row["ci_low"]), float(row["ci_high"]),
                      float(row["p_holm"]), bool(row["significant"]))


def _defined(found: finding.Findings | None, rows: list[Row]) -> list[Kpi]:
    """The KPIs the report speaks of, for the set-up's table of definitions."""
    kpis = [row.kpi for row in rows]
    if found:
        kpis += [kpi for _, group in found.trade_offs for kpi in group if kpi not in kpis]
    return kpis


def _percent(value: float) -> str:
    """A signed percentage to three significant digits: +11.8%, +6.84%, -0.423%, +112%."""
    if value == 0 or not math.isfinite(value):
        return f"{value:+g}%"
    digits = max(0, 2 - math.floor(math.log10(abs(value))))
    return f"{value:+.{digits}f}%"


def _value(value: Any) -> str:
    """A scenario value as written in a file: 365 rather than 365.0, true rather than True;
    a dash where a variant has no such item."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return json.dumps(value)


def _code_spans(text: str) -> Markup:
    """Plain text with `names` in backticks, escaped, the names set as code."""
    escaped = str(escape(text))
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped))


def _smallest_words(manifest: Any, kpi: Kpi) -> str:
    """The smallest effect of interest of `kpi`, and where it comes from."""
    experiment = getattr(manifest, "experiment", None)
    stated = (stated_smallest_effect(kpi.name, experiment.primary_metric,
                                     experiment.practical_difference)
              if experiment is not None else None)
    if stated is not None:
        return f"{stated:g} (stated by the experiment)"
    article = "an" if kpi.kind[0] in "aeiou" else "a"
    return f"{kpi.smallest_effect} (the catalogue's default for {article} {kpi.kind})"


def _kpi_values(results: Results) -> list[Row]:
    """A single run's headline KPIs, from its `kpis.csv`."""
    kpis = pd.read_csv(results.directory / run_file("kpis", suffix="csv")).iloc[0]
    return [Row(KPIS[kpi], float(kpis[kpi]), []) for kpi in HEADLINE_KPIS]


def _selection(directory: Path) -> Selected | None:
    """What the experiment's selection found, if it made one."""
    record = read_selection(directory)
    return None if record is None else Selected(record, KPIS[record.primary_metric])


def _validation(directory: Path) -> Validation | None:
    """What `simulator check --out DIR` wrote into the directory, if it did."""
    path = directory / CHECKS
    if not path.exists():
        return None
    table = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={"passed": bool})
    checks = table.astype(object).where(table.notna(), None).to_dict("records")  # NaN: none
    return Validation(checks, int(table.passed.sum()), table.file.nunique())


def _embedded(results: Results, spec: FigureSpec) -> EmbeddedFigure:
    """The figure's PNG as `run`, `compare` or `plot` wrote it into `DIR/plots/`.

    Drawing is nearly all of a report's time, and those commands have drawn every figure
    already. One missing (`--no-plots`) or older than the manifest (an experiment resumed
    with `--no-plots`, whose figures show fewer runs) is drawn first, into `DIR/plots/` as
    `draw_all` would, so that the next report need not draw it.
    """
    return EmbeddedFigure(spec.name, spec.caption, spec.note,
                          embedded_png(spec, results.directory))
