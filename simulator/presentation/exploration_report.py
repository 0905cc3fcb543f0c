"""One self-contained HTML report of an exploration, in the order an analyst briefs: the
findings, then the robustness of each policy, which uncertainties matter, where each policy
fails, how much is noise, the set-up, and how to make it again.

The words live in `templates/exploration.html.j2` and the verdicts in
`exploration_findings.py`; this module gathers the tables they speak of. It looks like the
experiment's report (the same stylesheet), embeds its figures as PNG data and fetches
nothing, so the file opens anywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup, escape

from simulator.analysis.discovery import DENSITY_SLACK, MIN_COVERAGE, QP_SIGNIFICANCE
from simulator.analysis.robustness import ALL_CRITERIA
from simulator.model.metrics import KPIS, Kpi
from simulator.model.reference import direction_words
from simulator.presentation.exploration_drivers import drivers_over_policies
from simulator.presentation.exploration_figures import exploration_figures
from simulator.presentation.exploration_findings import findings
from simulator.presentation.explored import (
    METRIC_WORDS,
    Explored,
    criterion_words,
    explored,
    number,
    percent,
    records,
)
from simulator.presentation.findings import definition
from simulator.presentation.report import (
    EmbeddedFigure,
    embedded_png,
    stylesheet,
    template_environment,
)
from simulator.runs.store import REPORT, atomic_text

TEMPLATE = "exploration.html.j2"
SECTIONS = ("findings", "robustness", "sensitivity", "discovery", "noise", "set-up",
            "reproducibility")
"""The report's sections, by their ids, in order: links to them stay valid."""


@dataclass(frozen=True)
class Cell:
    """One policy's value under one metric, as the robustness table shows it."""

    value: str
    interval: str
    rank: int
    first_share: float
    outside: bool
    """The estimate lies outside its own interval (an extreme's biased bootstrap)."""


@dataclass(frozen=True)
class RobustnessTable:
    """One outcome's metrics, or the share of futures satisficed for every target: policies
    down, metrics (or targets) across."""

    title: str
    columns: list[str]
    rows: list[tuple[str, list[Cell]]]


@dataclass(frozen=True)
class IndexRow:
    """One uncertainty's main index for one outcome, each policy's with its interval and
    its value on the first half of the futures."""

    uncertainty: str
    cells: list[tuple[str, str, str]]
    """Per policy: the index, its interval, and its value at half the futures."""
    quiet: str
    """'negligible', 'not told from 0', or empty."""


@dataclass(frozen=True)
class Uncertainty:
    """An uncertainty as the exploration file gives it, for the set-up."""

    path: str
    kind: str
    low: float
    high: float
    distribution: str
    clip: str


def write_exploration_report(directory: str | Path) -> Path:
    """Write `DIR/report.html` for the exploration in `directory` (drawing any figure not
    drawn yet into `DIR/plots/`); return its path."""
    found = explored(directory)
    return atomic_text(found.directory / REPORT, render_exploration(found))


def render_exploration(found: Explored) -> str:
    """The whole report as one HTML page."""
    said = findings(found)
    environment = template_environment()
    environment.filters |= {"inline": _inline, "number": number, "percent": percent}
    environment.globals |= {"metric_words": METRIC_WORDS, "direction_words": direction_words,
                            "definition": definition, "percent": percent,
                            "prim": {"min_coverage": MIN_COVERAGE,
                                     "density_slack": DENSITY_SLACK,
                                     "qp_significance": QP_SIGNIFICANCE}}
    figures = {spec.name: EmbeddedFigure(spec.name, spec.caption, spec.note,
                                         embedded_png(spec, found.directory))
               for spec in exploration_figures(found)}
    manifest = found.manifest
    return environment.get_template(TEMPLATE).render(
        found=found, manifest=manifest, exploration=found.exploration, said=said,
        style=stylesheet(), figures=figures, robustness=_robustness_tables(found),
        indices=_index_tables(found), failures=_failure_rows(found),
        noise=_noise_table(found), uncertainties=_uncertainties(found),
        outcomes=[KPIS[name] for name in found.outcome_names],
        criteria=[criterion_words(kpi, bounds) for kpi, bounds in found.satisficing.items()],
        scenario=manifest.scenario, command=f"simulator explore {manifest.source} --out "
                                            f"{found.directory}",
        sections=SECTIONS)


def _inline(text: str) -> Markup:
    """Plain text with `names` set as code and **names** in bold, the rest escaped."""
    escaped = str(escape(text))
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    return Markup(re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", escaped))


def _robustness_tables(found: Explored) -> list[RobustnessTable]:
    """`robustness.csv` as one table per outcome (its metrics across), then one of the share
    of futures satisficed (every criterion, then each alone, across)."""
    table = found.robustness
    if table.empty:
        return []
    satisficing = table["metric"] == "satisficing_share"
    tables = []
    for outcome, rows in table[~satisficing].groupby("outcome", sort=False):
        kpi = KPIS[str(outcome)]
        tables.append(_table(f"{kpi.label} ({kpi.unit}; {direction_words(kpi)})", rows,
                             "metric", {metric: METRIC_WORDS[metric]
                                        for metric in dict.fromkeys(rows["metric"])},
                             found.policies))
    if satisficing.any():
        rows = table[satisficing]
        targets = {outcome: "every criterion" if outcome == ALL_CRITERIA else
                   criterion_words(outcome, found.satisficing[outcome])
                   for outcome in dict.fromkeys(rows["outcome"])}
        tables.append(_table("Share of futures satisficed", rows, "outcome", targets,
                             found.policies))
    return tables


def _table(title: str, rows: pd.DataFrame, across: str, columns: dict[str, str],
           policies: list[str]) -> RobustnessTable:
    cells = {(row["policy"], row[across]): _cell(row) for _, row in rows.iterrows()}
    return RobustnessTable(title, list(columns.values()),
                           [(policy, [cells[policy, column] for column in columns])
                            for policy in policies])


def _cell(row: pd.Series) -> Cell:
    shown = percent if row["metric"] == "satisficing_share" else number
    return Cell(shown(row["value"]), f"{shown(row['low'])}–{shown(row['high'])}",
                int(row["rank"]), float(row["first_share"]),
                not row["low"] <= row["value"] <= row["high"])


def _index_tables(found: Explored) -> list[tuple[Kpi, list[IndexRow]]]:
    """Per outcome, each uncertainty's main index under each policy, most influential
    first."""
    whole = found.main_indices
    if whole.empty:
        return []
    result = []
    for outcome in found.outcome_names:
        rows = {(row["uncertainty"], row["policy"]): row
                for row in records(whole[whole["outcome"] == outcome])}
        merged = drivers_over_policies(found, outcome)
        quiet = {e.uncertainty: "negligible" for e in merged.negligible}
        quiet |= {e.uncertainty: "not told from 0" for e in merged.unclear}
        mean = whole[whole["outcome"] == outcome].groupby("uncertainty")["value"].mean()
        order = sorted(found.uncertainties, key=lambda name: -np.nan_to_num(mean[name]))
        result.append((KPIS[outcome], [IndexRow(name, [
            _index_cell(rows[name, policy]) for policy in found.policies],
            quiet.get(name, "")) for name in order]))
    return result


def _index_cell(row: dict[str, Any]) -> tuple[str, str, str]:
    if pd.isna(row["value"]):
        return "—", "", ""
    return (_index(row["value"]), f"{_index(row['low'])} to {_index(row['high'])}",
            _index(row["half_value"]))


def _index(value: float) -> str:
    """An index to two decimals, 0 where it rounds to nothing (never -0.00)."""
    return "0" if abs(value) < 0.005 else f"{value:.2f}"


def _failure_rows(found: Explored) -> dict[str, list[dict[str, Any]]]:
    """Each policy's restricted limits, with their spread over the resamples."""
    boxes = found.discovery
    result: dict[str, list[dict[str, Any]]] = {}
    for policy, rows in boxes.groupby("policy", sort=False):
        restricted = rows[rows["restricted"].astype(bool)]
        result[str(policy)] = [{
            "uncertainty": row["uncertainty"],
            "low": number(row["low"]), "high": number(row["high"]),
            "low_spread": _spread_words(row, "low"), "high_spread": _spread_words(row, "high"),
            "restricted_share": percent(row["restricted_share"]),
            "qp_value": f"{row['qp_value']:.2g}"} for row in records(restricted)]
    return result


def _spread_words(row: dict[str, Any], side: str) -> str:
    """Where a limit fell in 90% of the resamples that restrict the uncertainty."""
    low, high = row[f"{side}_p05"], row[f"{side}_p95"]
    return f"{number(low)} in each" if low == high else f"{number(low)}–{number(high)}"


def _noise_table(found: Explored) -> list[tuple[Kpi, list[str]]]:
    """Per outcome, each policy's share of the variance that is run-to-run noise."""
    table = found.variance
    if table.empty:
        return []
    shares = table.set_index(["outcome", "policy"])["noise_share"]
    return [(KPIS[outcome], [percent(shares[outcome, policy])
                             if pd.notna(shares[outcome, policy]) else "—"
                             for policy in found.policies])
            for outcome in dict.fromkeys(table["outcome"])]


def _uncertainties(found: Explored) -> list[Uncertainty]:
    written = found.exploration["uncertainties"]
    return [Uncertainty(path, "factor of the scenario's value" if found.scaled(path)
                        else "value", *found.bounds(path), written[path]["distribution"],
                        "—" if written[path]["clip"] is None else
                        f"{written[path]['clip'][0]:g} to {written[path]['clip'][1]:g}")
            for path in found.uncertainties]

