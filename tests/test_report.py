"""The HTML report, read back as a browser parses it: its sections, numbers, figures and words."""

from __future__ import annotations

import base64
import os
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from simulator import plots
from simulator.cli import main
from simulator.model.metrics import HEADLINE_KPIS, KPIS
from simulator.presentation.plot_data import load_results
from simulator.presentation.report import render, write_report

from .conftest import SCENARIOS

HOSTILE = "<script>alert('x & y')</script> <b>bold</b>"
"""A scenario description that would run, or restyle the page, if it were not escaped."""


class Page(HTMLParser):
    """A report as a reader sees it: headings, tables of cell texts, figures and text, each
    with its whitespace collapsed as a browser does."""

    def __init__(self, html: str):
        super().__init__()
        self.sections: list[str] = []
        self.figures: list[dict[str, str]] = []
        self.bold: list[str] = []
        self.links: list[str] = []
        self.tags: list[str] = []
        self._tables: list[list[list[str]]] = []
        self._text: list[str] = []
        self._open: list[str] = []
        self.feed(html)
        self.close()

    @property
    def text(self) -> str:
        return _collapsed("".join(self._text))

    @property
    def tables(self) -> list[list[list[str]]]:
        return [[[_collapsed(cell) for cell in row] for row in table] for table in self._tables]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        self.links += [attrs[key] for key in ("href", "src") if key in attrs]
        if tag == "table":
            self._tables.append([])
        elif tag == "tr":
            self._tables[-1].append([])
        elif tag in ("td", "th"):
            self._tables[-1][-1].append("")
        elif tag == "figure":
            self.figures.append({"id": attrs["id"], "caption": ""})
        elif tag == "img":
            self.figures[-1] |= {"alt": attrs["alt"], "src": attrs["src"]}
        if tag == "br":
            self.handle_data("\n")
        elif tag not in ("img", "meta"):  # elements without an end tag
            self._open.append(tag)

    def handle_endtag(self, tag):
        self._open.remove(tag)

    def handle_data(self, data):
        self._text.append(data)
        if "h2" in self._open:
            self.sections.append(_collapsed(data))
        if "b" in self._open:
            self.bold.append(_collapsed(data))
        if "figcaption" in self._open:
            self.figures[-1]["caption"] += _collapsed(data)
        if {"td", "th"} & set(self._open):
            self._tables[-1][-1][-1] += data

    def png(self, figure: dict[str, str]) -> bytes:
        scheme, data = figure["src"].split(",", 1)
        assert scheme == "data:image/png;base64"
        return base64.b64decode(data)


def _collapsed(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def drawn(small_clean, tmp_path_factory) -> Path:
    """The small experiment with its figures, as `simulator compare` leaves it."""
    directory = tmp_path_factory.mktemp("drawn") / "small"
    shutil.copytree(small_clean, directory)
    plots.draw_all(directory)
    return directory


@pytest.fixture
def experiment(drawn, tmp_path) -> Path:
    """A copy of the drawn experiment for a test to change."""
    return Path(shutil.copytree(drawn, tmp_path / "small"))


@pytest.fixture(scope="module")
def single_run(tmp_path_factory) -> Path:
    """A traced run of a scenario with a hostile description, without figures (--no-plots)."""
    out = tmp_path_factory.mktemp("single") / "run"
    assert main(["run", str(SCENARIOS / "baseline.yaml"), "--out", str(out), "--trace",
                 "--no-plots", "--set", "horizon_years=4", "--set",
                 f"description={HOSTILE}"]) == 0
    return out


def pngs(directory: Path) -> dict[str, bytes]:
    return {path.stem: path.read_bytes() for path in (directory / "plots").glob("*.png")}


def test_the_report_of_an_experiment_says_what_was_compared_and_how_it_came_out(experiment):
    page = Page(write_report(experiment).read_text(encoding="utf-8"))
    results = load_results(experiment)
    manifest = results.manifest
    assert page.sections == ["What was simulated", "What was compared", "Results", "Figures",
                             "Validation", "Provenance"]
    assert ("An experiment of 2 variants, 4 paired replications each, root seed 5; finished "
            f"{manifest.finished}.") in page.text
    assert ("It runs 3 years with 20 nations (8 allies, 12 partners) in 4 regions, of which "
            "east is contested, across 6 domains") in page.text
    assert ("baseline (baseline): horizon_years = 3 more_exercises: horizon_years = 3; "
            "exercises.sea_breeze.every_days = 60; exercises.eastern_resolve.every_days = 60 "
            "Replication k of every variant") in page.text
    assert "common random numbers" in page.text and "Stopped because: " in page.text
    # the comparison: the primary metric first, then every headline KPI that varies
    header, *rows = page.tables[0]
    assert header == ["KPI", "baseline (mean)", "more_exercises"]
    kpis = ["mean_interop_ally_partner"] + [kpi for kpi in plots.informative_kpis(results)
                                            if kpi != "mean_interop_ally_partner"]
    assert len(rows) == len(kpis) > 1
    comparison = results.comparison.set_index(["kpi", "variant"])
    for row, kpi in zip(rows, kpis):
        c = comparison.loc[(kpi, "more_exercises")]
        assert row == [f"{KPIS[kpi].label} {KPIS[kpi].unit}", f"{c.baseline_mean:.4g}",
                       f"{c.difference:+.4g} [{c.ci_low:+.3g}, {c.ci_high:+.3g}] "
                       f"p={c.p_holm:.2g}"]
        assert (f"{c.difference:+.4g}" in page.bold) == c.significant
    provenance = dict(page.tables[-1])
    assert provenance["root seed"] == "5" and provenance["experiment identity"] == (
        manifest.identity)
    assert provenance["scenario hash (more_exercises)"] == (
        manifest.variants["more_exercises"].scenario_hash)


def test_every_figure_is_embedded_once_as_drawn_with_its_caption(experiment):
    drawn = pngs(experiment)
    # a figure file that no drawing makes: the report must embed the file, not redraw it
    drawn["heatmaps"] = drawn["forest"]
    (experiment / "plots" / "heatmaps.png").write_bytes(drawn["heatmaps"])
    page = Page(write_report(experiment).read_text(encoding="utf-8"))
    specs = plots.figures(load_results(experiment))
    assert [(figure["id"], figure["alt"], figure["caption"]) for figure in page.figures] == [
        (spec.name, spec.caption, spec.caption) for spec in specs]
    assert {figure["id"]: page.png(figure) for figure in page.figures} == drawn
    assert page.tags.count("img") == len(specs)
    assert not [link for link in page.links if link.startswith(("http:", "https:", "//"))]


def test_a_missing_or_outdated_figure_is_drawn_into_plots_and_kept(experiment):
    plots_folder = experiment / "plots"
    (plots_folder / "forest.png").unlink()
    outdated = plots_folder / "heatmaps.png"
    outdated.write_bytes(b"the figure of fewer runs")  # as a resumed --no-plots run leaves it
    before = (experiment / "manifest.json").stat().st_mtime_ns - 1_000_000_000
    os.utime(outdated, ns=(before, before))
    kept = {name: (plots_folder / f"{name}.png").stat().st_mtime_ns
            for name in pngs(experiment) if name not in ("forest", "heatmaps")}
    page = Page(write_report(experiment).read_text(encoding="utf-8"))
    drawn = pngs(experiment)
    assert drawn["forest"][:4] == drawn["heatmaps"][:4] == b"\x89PNG"
    assert {figure["id"]: page.png(figure) for figure in page.figures} == drawn
    assert {name: (plots_folder / f"{name}.png").stat().st_mtime_ns for name in kept} == kept


def test_the_report_of_a_run_gives_its_kpis_and_draws_its_figures(single_run):
    page = Page(write_report(single_run).read_text(encoding="utf-8"))
    results = load_results(single_run)
    assert page.sections == ["What was simulated", "Results", "Figures", "Validation",
                             "Provenance"]
    assert "A single run, seed 0, finished" in page.text
    kpis = pd.read_csv(single_run / "kpis.csv").iloc[0]
    assert page.tables[0] == [["KPI", "value"]] + [
        [f"{KPIS[kpi].label} {KPIS[kpi].unit}", f"{kpis[kpi]:.4g}"] for kpi in HEADLINE_KPIS]
    names = [spec.name for spec in plots.figures(results)]
    assert names == ["metrics", "heatmaps", "sharing_network", "timeline"]
    assert [figure["id"] for figure in page.figures] == names
    assert {figure["id"]: page.png(figure) for figure in page.figures} == pngs(single_run)
    assert dict(page.tables[-1])["scenario hash"] == results.manifest.scenario_hash


def test_a_hostile_description_is_shown_as_text(single_run):
    html = render(load_results(single_run))
    assert "<script" not in html and "<b>bold</b>" not in html
    page = Page(html)
    assert f"Scenario baseline: {HOSTILE} It runs 4 years" in page.text
    assert "script" not in page.tags and page.bold == ["baseline"]


def test_the_report_command(single_run, tmp_path, capsys):
    assert main(["report", str(single_run)]) == 0
    assert capsys.readouterr().out == f"report written to {single_run / 'report.html'}\n"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", str(empty)]) == 2
    assert "not a results directory" in capsys.readouterr().err
