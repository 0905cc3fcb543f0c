"""One self-contained HTML report of a results directory: words, tables, figures, provenance.

Figures are embedded as PNG data, styles are inline, and nothing is fetched:
the file opens anywhere, with no network.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

from simulator.model.metrics import HEADLINE_KPIS, KPIS
from simulator.presentation.figures import figures, informative_kpis
from simulator.presentation.plot_data import Results, load_results
from simulator.runs.store import REPORT, atomic_text, run_file

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222;
       line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.85em; }
th, td { padding: 0.3em 0.7em; border-bottom: 1px solid #e5e5e5; text-align: right; }
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
.ci { color: #666; font-size: 0.85em; white-space: nowrap; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.95em; margin-top: 0.3em; }
.muted { color: #666; } code { background: #f4f4f4; padding: 0 0.25em; }
"""


def write_report(directory: str | Path) -> Path:
    """Write `DIR/report.html` for the results in `directory` and return its path."""
    results = load_results(directory)
    return atomic_text(Path(directory) / REPORT, render(results))


def render(results: Results) -> str:
    """The whole report as one HTML page."""
    body = [f"<h1>{_e(results.name)}</h1>",
            f"<p class='muted'>{_e(_kind_line(results))}</p>",
            "<h2>What was simulated</h2>", _scenario_words(results)]
    if results.kind == "experiment":
        body += ["<h2>What was compared</h2>", _experiment_words(results),
                 "<h2>Results</h2>", _comparison_table(results)]
    else:
        body += ["<h2>Results</h2>", _kpi_table(results)]
    body.append("<h2>Figures</h2>")
    for spec in figures(results):
        body.append(f"<figure id='{_e(spec.name)}'><img alt='{_e(spec.caption)}' "
                    f"src='data:image/png;base64,{_png(spec.draw())}'>"
                    f"<figcaption>{_e(spec.caption)}</figcaption></figure>")
    body += ["<h2>Provenance</h2>", _provenance(results)]
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{_e(results.name)}: simulation report</title><style>{STYLE}</style>"
            "</head><body>" + "\n".join(body) + "</body></html>\n")


def _kind_line(results: Results) -> str:
    manifest = results.manifest
    if results.kind == "run":
        return (f"A single run, seed {manifest.seed}, finished {manifest.finished} "
                f"in {manifest.wall_seconds:.2f} s.")
    return (f"An experiment of {len(results.variants)} variants, "
            f"{manifest.replications} paired replications each, root seed "
            f"{manifest.seed}; finished {manifest.finished}.")


def _scenario_words(results: Results) -> str:
    scenario = results.scenario()
    nations = scenario["nations"]
    allies = sum(nation["role"] == "ally" for nation in nations)
    contested = [region["id"] for region in scenario["regions"] if region["contested"]]
    programs = scenario["programs"]
    tailored = sum(program["tailored"] for program in programs)
    disruptions = scenario["disruptions"]
    sentences = [
        f"Scenario <b>{_e(scenario['name'])}</b>: {_e(scenario['description'].strip())}",
        f"It runs {scenario['horizon_years']:g} years with {len(nations)} nations "
        f"({allies} allies, {len(nations) - allies} partners) in {len(scenario['regions'])} "
        f"regions{_contested(contested)}, across {len(scenario['domains'])} domains "
        f"({_e(', '.join(scenario['domains']))}).",
        f"Allies hold {len(scenario['exercises'])} joint exercise series and run "
        f"{len(programs)} capacity-building programs ({tailored} tailored to partners' "
        f"needs), and {len(scenario['workshops'])} standards workshops.",
        f"Crises arrive from {len(scenario['threats'])} threat sources "
        f"({sum(t['per_year'] for t in scenario['threats']):g} per year in all); budget cuts "
        f"hit each ally {disruptions['budget_cuts']['per_year']:g} times a year and "
        f"instability shocks each partner up to {disruptions['instability']['per_year']:g} "
        "times a year.",
        "All indices are abstract, in [0, 1]; no real nation or data is represented.",
    ]
    return "<p>" + " ".join(sentences) + "</p>"


def _contested(regions: list[str]) -> str:
    if not regions:
        return ""
    return f", of which {_e(', '.join(regions))} {'is' if len(regions) == 1 else 'are'} contested"


def _experiment_words(results: Results) -> str:
    manifest = results.manifest
    experiment = manifest.experiment
    items = []
    for variant in results.variants:
        entry = manifest.variants[variant]
        change = "; ".join(f"<code>{_e(path)}</code> = {_e(json.dumps(value))}"
                           for path, value in entry.overrides.items())
        said = _e(entry.description)
        words = f"{said} ({change})" if said and change else said or change
        role = " (baseline)" if variant == results.baseline else ""
        items.append(f"<li><b>{_e(variant)}</b>{role}: {words or 'the scenario as it is'}</li>")
    description = experiment.description.strip()
    return (f"<p>{_e(description)}</p>" if description else "") + (
        f"<ul>{''.join(items)}</ul><p>Replication <i>k</i> of every variant uses the same "
        "random numbers (common random numbers), so each difference to the baseline is "
        "paired. Differences are means over replications with 95% t-intervals; p-values are "
        "from paired t-tests, Holm-corrected across the variants for each KPI. The primary "
        f"metric is <code>{_e(experiment.primary_metric)}</code> ({experiment.goal}). "
        f"Stopped because: {_e(manifest.stop_reason)}; failed runs: "
        f"{len(manifest.failed_runs)}.</p>")


def _comparison_table(results: Results) -> str:
    """KPIs down, variants across: each variant's paired difference to the baseline."""
    comparison = results.comparison.set_index(["kpi", "variant"])
    primary = results.manifest.experiment.primary_metric
    kpis = [primary] + [kpi for kpi in informative_kpis(results) if kpi != primary]
    variants = [variant for variant in results.variants if variant != results.baseline]
    header = "".join(f"<th>{_e(variant)}</th>" for variant in variants)
    rows = [f"<table><tr><th>KPI</th><th>{_e(results.baseline)} (mean)</th>{header}</tr>"]
    for kpi in kpis:
        cells = []
        for variant in variants:
            row = comparison.loc[(kpi, variant)]
            difference = f"{row.difference:+.4g}"
            if row.significant:
                difference = f"<b>{difference}</b>"
            cells.append(f"<td>{difference}<br><span class='ci'>[{row.ci_low:+.3g}, "
                         f"{row.ci_high:+.3g}] p={row.p_holm:.2g}</span></td>")
        baseline_mean = comparison.loc[(kpi, variants[0]), "baseline_mean"]
        rows.append(f"<tr>{_kpi_cell(kpi)}<td>{baseline_mean:.4g}</td>{''.join(cells)}</tr>")
    rows.append("</table><p class='muted'>Each cell: the variant's mean difference to the "
                "baseline over paired replications, its 95% confidence interval and "
                "Holm-corrected p-value; bold differences are significant at the 5% level. "
                "KPIs that are the same in every run are left out; every KPI is in "
                "<code>comparison.csv</code>.</p>")
    return "".join(rows)


def _kpi_table(results: Results) -> str:
    import pandas as pd

    kpis = pd.read_csv(results.directory / run_file("kpis", suffix="csv")).iloc[0]
    rows = "".join(f"<tr>{_kpi_cell(kpi)}<td>{kpis[kpi]:.4g}</td></tr>"
                   for kpi in HEADLINE_KPIS)
    return f"<table><tr><th>KPI</th><th>value</th></tr>{rows}</table>"


def _kpi_cell(kpi: str) -> str:
    """A KPI as a reader is shown it: its label, and its unit below."""
    shown = KPIS[kpi]
    return f"<td>{_e(shown.label)}<br><small class='muted'>{_e(shown.unit)}</small></td>"


def _provenance(results: Results) -> str:
    manifest = results.manifest
    facts: dict[str, Any] = {"results directory": str(results.directory),
                             "source": manifest.source, "root seed": manifest.seed,
                             "started": manifest.started, "finished": manifest.finished}
    if results.kind == "experiment":
        facts["experiment identity"] = manifest.identity
        facts |= {f"scenario hash ({name})": entry.scenario_hash
                  for name, entry in manifest.variants.items()}
    else:
        facts["scenario hash"] = manifest.scenario_hash
        facts["overrides"] = json.dumps(manifest.overrides)
    facts |= {f"version of {package}": version
              for package, version in manifest.versions.items()}
    rows = "".join(f"<tr><td>{_e(key)}</td><td>{_e(str(value))}</td></tr>"
                   for key, value in facts.items())
    return f"<table>{rows}</table>"


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _e(text: str) -> str:
    return html.escape(text, quote=True)
