"""The HTML report, read back as a browser parses it: its sections, numbers, figures and words."""

from __future__ import annotations

import base64
import math
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
        self.section_ids: list[str] = []
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
        if tag == "section":
            self.section_ids.append(attrs["id"])
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
        if tag == "figcaption":
            self.figures[-1]["caption"] = _collapsed(self.figures[-1]["caption"])

    def handle_data(self, data):
        self._text.append(data)
        if "h2" in self._open:
            self.sections.append(_collapsed(data))
        if "b" in self._open:
            self.bold.append(_collapsed(data))
        if "figcaption" in self._open:
            self.figures[-1]["caption"] += data
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


SECTIONS = ["findings", "trade-offs", "set-up", "model", "validation", "figures",
            "reproducibility"]
"""The report's sections, in the order an analyst briefs, by their stable ids."""


def percent(value: float) -> str:
    """As the report writes a change in % of the baseline: three significant digits."""
    digits = max(0, 2 - math.floor(math.log10(abs(value))))
    return f"{value:+.{digits}f}%"


def test_the_report_of_an_experiment_says_what_it_found_first(experiment):
    page = Page(write_report(experiment).read_text(encoding="utf-8"))
    results = load_results(experiment)
    manifest, comparison = results.manifest, results.comparison
    assert page.section_ids == SECTIONS
    assert ("An experiment of 2 variants, 4 paired replications each, root seed 5; finished "
            f"{manifest.finished}.") in page.text
    # the verdict: best only when significantly better on the primary KPI
    primary = comparison[(comparison.kpi == "mean_interop_ally_partner")
                         & (comparison.variant == "more_exercises")].iloc[0]
    better = primary.significant and primary.difference > 0
    assert ("Best on interoperability, ally–partner (time mean): more_exercises" in page.text
            ) == better
    assert ("No variant is significantly better than the baseline" in page.text) == (not better)
    change = 100 * primary.difference / primary.baseline_mean
    assert (f"more_exercises: {primary.difference:+.4g} ({percent(change)} of the baseline's "
            f"{primary.baseline_mean:.4g}; 95% interval "
            f"{percent(100 * primary.ci_low / primary.baseline_mean)} to "
            f"{percent(100 * primary.ci_high / primary.baseline_mean)})") in page.text
    assert "common random numbers make even small differences significant" in page.text.lower()


def test_the_trade_offs_give_every_variant_in_percent_with_its_interval(experiment):
    page = Page(write_report(experiment).read_text(encoding="utf-8"))
    comparison = load_results(experiment).comparison.set_index(["kpi", "variant"])
    table = next(t for t in page.tables if t[0][:3] == ["", "KPI", "baseline (mean)"])
    assert table[0][3:] == ["more_exercises"]
    groups = [row[0] for row in table[1:] if row[0] in ("benefit", "cost", "risk")]
    assert groups == ["benefit", "cost", "risk"]
    budget = next(row for row in table[1:] if row[-3].startswith("Budget spent"))
    c = comparison.loc[("budget_spent", "more_exercises")]
    mark = "▲ " if c.significant and c.difference < 0 else "▼ " if c.significant else ""
    assert budget[-1] == (f"{mark}{percent(100 * c.difference / c.baseline_mean)} "
                          f"[{percent(100 * c.ci_low / c.baseline_mean)}, "
                          f"{percent(100 * c.ci_high / c.baseline_mean)}]")


def test_the_set_up_shows_each_change_from_the_baseline_to_the_variant(experiment):
    page = Page(write_report(experiment).read_text(encoding="utf-8"))
    table = next(t for t in page.tables if t[0] == ["variant", "what it changes", "from", "to"])
    rows = {row[1]: row[2:] for row in table[1:] if len(row) == 4}
    assert rows["exercises.sea_breeze.every_days"] == ["180", "60"]
    assert rows["exercises.eastern_resolve.every_days"] == ["180", "60"]
    assert "Run type: terminating" in page.text
    assert "common random numbers" in page.text


def test_the_report_says_how_to_check_its_reproduction_and_shows_the_last_check(experiment):
    page = Page(write_report(experiment).read_text(encoding="utf-8"))
    assert "Not checked yet: simulator reproduce" in page.text
    assert main(["reproduce", str(experiment), "--check", "--no-progress"]) == 0
    page = Page(write_report(experiment).read_text(encoding="utf-8"))
    assert "3 of 3 runs reproduced bit for bit" in page.text
    provenance = dict(row for row in page.tables[-1] if len(row) == 2)
    manifest = load_results(experiment).manifest
    assert provenance["root seed"] == "5" and provenance["experiment identity"] == (
        manifest.identity)
    assert provenance["scenario hash (more_exercises)"] == (
        manifest.variants["more_exercises"].scenario_hash)


def test_the_model_is_described_beside_the_report(experiment):
    page = Page(write_report(experiment).read_text(encoding="utf-8"))
    written = (experiment / "model_description.md").read_text(encoding="utf-8")
    assert "items answered" in written and "4.3" in written
    assert "items answered" in page.text


def test_every_headline_kpi_is_in_the_report_with_its_paired_difference(experiment):
    page = Page(write_report(experiment).read_text(encoding="utf-8"))
    results = load_results(experiment)
    header, *rows = next(t for t in page.tables if t[0][:2] == ["KPI", "baseline (mean)"])
    assert header == ["KPI", "baseline (mean)", "more_exercises"]
    kpis = ["mean_interop_ally_partner"] + [kpi for kpi in plots.informative_kpis(results)
                                            if kpi != "mean_interop_ally_partner"]
    assert len(rows) == len(kpis) > 1
    comparison = results.comparison.set_index(["kpi", "variant"])
    for row, kpi in zip(rows, kpis):
        c = comparison.loc[(kpi, "more_exercises")]
        p_value = "< 0.001" if c.p_holm < 0.001 else f"= {c.p_holm:.2g}"
        assert row == [f"{KPIS[kpi].label} {KPIS[kpi].unit}", f"{c.baseline_mean:.4g}",
                       f"{c.difference:+.4g} [{c.ci_low:+.3g}, {c.ci_high:+.3g}] "
                       f"p {p_value}"]


def test_every_figure_is_embedded_once_as_drawn_with_its_caption(experiment):
    drawn = pngs(experiment)
    # a figure file that no drawing makes: the report must embed the file, not redraw it
    drawn["heatmaps"] = drawn["forest"]
    (experiment / "plots" / "heatmaps.png").write_bytes(drawn["heatmaps"])
    page = Page(write_report(experiment).read_text(encoding="utf-8"))
    specs = plots.figures(load_results(experiment))
    assert [(figure["id"], figure["alt"], figure["caption"]) for figure in page.figures] == [
        (spec.name, spec.caption, f"{spec.caption} {spec.note}".strip()) for spec in specs]
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
    assert page.section_ids == [section for section in SECTIONS if section != "trade-offs"]
    assert "A single run of scenario baseline, seed 0, finished" in page.text
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


def test_the_odd_view_is_added_on_request(experiment):
    assert main(["report", str(experiment), "--odd"]) == 0
    page = Page((experiment / "report.html").read_text(encoding="utf-8"))
    written = (experiment / "model_description.md").read_text(encoding="utf-8")
    assert "ODD view" in page.text and "Design concepts" in page.text
    assert "STRESS-DES" in written and "Design concepts" in written
