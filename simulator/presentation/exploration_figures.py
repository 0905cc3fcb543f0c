"""Figures of an exploration, on matplotlib's object API (no pyplot, no global state).

Which uncertainties move each outcome (the main sensitivity index with its interval, whether
it had settled at half the futures, and year by year for the primary outcome); how far each
policy falls short of the best in each future (regret); the futures each policy satisfices
and fails, as parallel coordinates; and PRIM's boxes of failure, with the trade-off of
coverage against density they were chosen from. Each function takes the `Explored` tables
and returns its Figure; `exploration_figures` lists those that apply, with a caption, and
`draw_exploration` writes them into `DIR/plots/`, as `simulator plot` and the report do.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from simulator.analysis.discovery import MIN_COVERAGE
from simulator.analysis.robustness import REGRET_PERCENTILE, regret, satisfices
from simulator.analysis.sensitivity import SETTLED
from simulator.model.metrics import KPIS, NEITHER
from simulator.presentation.exploration_drivers import NEGLIGIBLE, drivers_over_policies
from simulator.presentation.explored import (
    Explored,
    criterion_words,
    explored,
    listed,
    number,
    percent,
    records,
)
from simulator.presentation.figures import OKABE_ITO, SMALL_COLOUR, FigureSpec, save_figure
from simulator.runs.store import PLOTS

MEETS, FAILS = OKABE_ITO[2], OKABE_ITO[3]
"""Futures a policy satisfices, and those it fails: bluish green and vermilion."""
INDEX_WORDS = {"ST": "ST, total-effect index (share of the outcome's variance)",
               "delta": "δ, moment-independent index (0–1)"}


def policy_colours(found: Explored) -> dict[str, str]:
    """One colour per policy, the same in every figure."""
    return {policy: OKABE_ITO[k % len(OKABE_ITO)] for k, policy in enumerate(found.policies)}


def path_label(path: str, width: int = 26) -> str:
    """A dotted path on lines of at most `width` characters, broken after its dots."""
    lines: list[str] = []
    for part in path.split("."):
        if lines and len(lines[-1]) + len(part) + 1 <= width:
            lines[-1] += "." + part
        else:
            lines.append(part if not lines else "." + part)
    return "\n".join(lines)


def _index_label(found: Explored, outcome: str) -> str:
    if found.main_index == "mu_star":
        return f"μ*, mean absolute elementary effect, in {KPIS[outcome].unit}"
    return INDEX_WORDS[found.main_index]


def _whole_run(found: Explored) -> pd.DataFrame:
    """The main index of every policy's outcomes over the whole run."""
    table = found.sensitivity
    return table[table["year"].isna() & (table["index"] == found.main_index)]


def _grid(count: int, columns: int) -> tuple[int, int]:
    columns = min(count, columns)
    return math.ceil(count / columns), columns


# --- sensitivity ------------------------------------------------------------------------------


def sensitivity_bars(found: Explored) -> Figure:
    """The main index of each uncertainty for each outcome, policies side by side, with 95%
    intervals; an uncertainty that hardly matters, or whose effect cannot be told from none,
    is greyed and says so."""
    whole = _whole_run(found)
    outcomes, uncertainties, policies = found.outcome_names, found.uncertainties, found.policies
    colours = policy_colours(found)
    rows, columns = _grid(len(outcomes), 3)
    figure = Figure(figsize=(5.0 * columns, 1.4 + rows * (0.9 + 0.22 * len(policies)
                                                          * len(uncertainties))),
                    layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False, sharey=True).ravel()
    height = 0.8 / len(policies)
    for ax, outcome in zip(axes, outcomes):
        rows_of = whole[whole["outcome"] == outcome]
        merged = drivers_over_policies(found, outcome)
        quiet = {e.uncertainty: "negligible" for e in merged.negligible}
        quiet |= {e.uncertainty: "not told from 0" for e in merged.unclear}
        scale = float(rows_of["value"].max()) if found.main_index == "mu_star" else 1.0
        for k, policy in enumerate(policies):
            mine = rows_of[rows_of["policy"] == policy].set_index("uncertainty").reindex(
                uncertainties)
            y = np.arange(len(uncertainties)) + (k - (len(policies) - 1) / 2) * height
            values = mine["value"].to_numpy(dtype=float)
            errors = np.vstack([values - mine["low"].to_numpy(dtype=float),
                                mine["high"].to_numpy(dtype=float) - values])
            faded = (mine["includes_zero"].astype(bool)
                     | (mine["high"] < NEGLIGIBLE * scale)).to_numpy()
            ax.barh(y, values, height=height * 0.92,
                    color=[SMALL_COLOUR if fade else colours[policy] for fade in faded],
                    alpha=0.9, label=policy)
            ax.errorbar(values, y, xerr=np.nan_to_num(np.abs(errors)), fmt="none",
                        ecolor="#333333", elinewidth=0.8, capsize=1.5)
        for k, name in enumerate(uncertainties):
            if name in quiet:
                ax.text(0.02, k, quiet[name], transform=ax.get_yaxis_transform(),
                        va="center", fontsize=7.5, color="#666666", style="italic")
        ax.axvline(0, color="grey", linewidth=0.8)
        ax.set_title(textwrap.fill(KPIS[outcome].label, 45), fontsize=10)
        ax.set_xlabel(_index_label(found, outcome), fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(uncertainties)), [path_label(name) for name in uncertainties],
                       fontsize=8)
    axes[0].invert_yaxis()
    for ax in axes[len(outcomes):]:
        ax.set_visible(False)
    handles = [Patch(color=colours[policy]) for policy in policies]
    handles.append(Patch(color=SMALL_COLOUR))
    figure.legend(handles, [*policies, "negligible, or not told from no effect"],
                  loc="outside lower center", ncols=len(policies) + 1, frameon=False, fontsize=9)
    figure.suptitle(f"Which uncertainties move each outcome: {found.main_index} with 95% "
                    f"intervals, over {len(found.futures)} futures ({found.sampler})")
    return figure


def sensitivity_convergence(found: Explored) -> Figure:
    """Each uncertainty's main index on the first half of the futures against all of them,
    per outcome: points off the diagonal's band had not settled."""
    whole = _whole_run(found)
    outcomes = found.outcome_names
    colours = policy_colours(found)
    rows, columns = _grid(len(outcomes), 3)
    figure = Figure(figsize=(4.6 * columns, 1.2 + 4.0 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax, outcome in zip(axes, outcomes):
        rows_of = whole[whole["outcome"] == outcome]
        scale = float(rows_of["value"].max()) if found.main_index == "mu_star" else 1.0
        values = rows_of[["half_value", "value"]].to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        low, high = (min(0.0, finite.min()), finite.max()) if finite.size else (0.0, 1.0)
        edge = np.array([low - 0.05 * (high - low), high + 0.05 * (high - low)])
        ax.plot(edge, edge, color="black", linewidth=0.8)
        ax.fill_between(edge, edge - SETTLED * scale, edge + SETTLED * scale, color="grey",
                        alpha=0.2, linewidth=0)
        for policy, mine in rows_of.groupby("policy", sort=False):
            ax.scatter(mine["half_value"], mine["value"], s=22, color=colours[str(policy)],
                       label=policy, alpha=0.85)
        if len(rows_of):
            moved = rows_of.assign(change=(rows_of["value"] - rows_of["half_value"]).abs())
            worst = moved.sort_values("change").iloc[-1]
            ax.annotate(f"{worst['uncertainty']}\n({worst['policy']})",
                        (worst["half_value"], worst["value"]), fontsize=7,
                        xytext=(6, -14), textcoords="offset points")
        ax.set_xlim(*edge)
        ax.set_ylim(*edge)
        ax.set_title(textwrap.fill(KPIS[outcome].label, 45), fontsize=10)
        ax.set_xlabel(f"{found.main_index} on the first {len(found.futures) // 2} futures",
                      fontsize=8)
        ax.set_ylabel(f"{found.main_index} on all {len(found.futures)} futures", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in axes[len(outcomes):]:
        ax.set_visible(False)
    handles: list[Line2D | Patch] = [Line2D([], [], marker="o", linestyle="", color=colours[p])
                                     for p in found.policies]
    handles.append(Patch(color="grey", alpha=0.2))
    figure.legend(handles, [*found.policies, f"settled: within {SETTLED:g} of the diagonal"],
                  loc="outside lower center", ncols=len(found.policies) + 1, frameon=False,
                  fontsize=9)
    figure.suptitle(f"Has the sensitivity settled? {found.main_index} at half the futures "
                    "against all of them (one point per uncertainty and policy)")
    return figure


def sensitivity_over_time(found: Explored) -> Figure:
    """The primary outcome's main index per uncertainty as if the horizon ended at each
    year, with 95% bands; one panel per policy."""
    table = found.sensitivity
    yearly = table[table["year"].notna() & (table["index"] == found.main_index)
                   & (table["outcome"] == found.primary)]
    rows, columns = _grid(len(found.policies), 2)
    figure = Figure(figsize=(6.0 * columns, 1.6 + 3.4 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False, sharex=True, sharey=True).ravel()
    palette = [colour for colour in OKABE_ITO if colour != "#F0E442"]  # yellow fades on white
    colours = {name: palette[k % len(palette)] for k, name in enumerate(found.uncertainties)}
    styles = ["-", "--", "-.", ":"]
    merged = drivers_over_policies(found, found.primary)
    quiet = {e.uncertainty for e in [*merged.negligible, *merged.unclear]}
    for ax, policy in zip(axes, found.policies):
        for k, name in enumerate(found.uncertainties):
            line = yearly[(yearly["policy"] == policy) & (yearly["uncertainty"] == name)
                          ].sort_values("year")
            years = line["year"].to_numpy(dtype=float)
            ax.fill_between(years, line["low"].to_numpy(dtype=float),
                            line["high"].to_numpy(dtype=float), color=colours[name],
                            alpha=0.12, linewidth=0)
            ax.plot(years, line["value"].to_numpy(dtype=float), color=colours[name],
                    linestyle=styles[k // len(palette) % len(styles)],
                    linewidth=0.9 if name in quiet else 1.8,
                    label=name + (" (hardly matters over the whole run)"
                                  if name in quiet else ""))
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.set_title(policy, fontsize=10)
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for k, ax in enumerate(axes):
        if k >= len(found.policies):
            ax.set_visible(False)
            continue
        if k % columns == 0:
            ax.set_ylabel(_index_label(found, found.primary), fontsize=8)
        if k + columns >= len(found.policies):
            ax.set_xlabel("horizon (years): the outcome as if the run ended then", fontsize=9)
            ax.tick_params(axis="x", labelbottom=True)
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False,
                  fontsize=8)
    figure.suptitle(f"{KPIS[found.primary].label}: {found.main_index} of each uncertainty, "
                    "year by year, with 95% bands")
    return figure


# --- robustness ---------------------------------------------------------------------------------


def judged_outcomes(found: Explored) -> list[str]:
    """The outcomes with a better direction: those regret is defined for."""
    return [kpi for kpi in found.outcome_names if KPIS[kpi].direction != NEITHER]


def regrets(found: Explored, outcome: str) -> pd.DataFrame:
    """Each policy's regret in each future (a column per policy): how far it falls short of
    the best policy of that future, in the outcome's unit. Futures where some policy has no
    value are left out, as robustness leaves them."""
    means = found.outcomes.pivot(index="future", columns="policy", values=outcome)
    means = means[found.policies].dropna()
    return pd.DataFrame(regret(means.to_numpy(dtype=float), KPIS[outcome].direction),
                        index=means.index, columns=found.policies)


def regret_distributions(found: Explored) -> Figure:
    """Each policy's regret over the futures, per outcome with a better direction: a box of
    the futures, its 90th percentile and its maximum marked."""
    outcomes = judged_outcomes(found)
    colours = policy_colours(found)
    rows, columns = _grid(len(outcomes), 3)
    figure = Figure(figsize=(4.8 * columns, 1.4 + 3.8 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax, outcome in zip(axes, outcomes):
        table = regrets(found, outcome)
        positions = np.arange(len(found.policies))
        boxes = ax.boxplot([table[p].to_numpy() for p in found.policies], positions=positions,
                           widths=0.55, patch_artist=True, showfliers=True,
                           flierprops={"markersize": 2.5, "alpha": 0.4},
                           medianprops={"color": "black"})
        for patch, policy in zip(boxes["boxes"], found.policies):
            patch.set_facecolor(colours[policy])
            patch.set_alpha(0.6)
        p90 = np.percentile(table.to_numpy(), REGRET_PERCENTILE, axis=0)
        ax.scatter(positions + 0.33, p90, marker="<", color="black", s=28, zorder=3)
        ax.scatter(positions + 0.33, table.max().to_numpy(), marker="v", color=FAILS, s=30,
                   zorder=3)
        ax.set_xticks(positions, found.policies, rotation=20, ha="right", fontsize=8)
        ax.set_ylabel(f"regret ({KPIS[outcome].unit})", fontsize=8)
        ax.set_title(textwrap.fill(f"{KPIS[outcome].label}", 45)
                     + f"\n({len(table)} futures)", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[len(outcomes):]:
        ax.set_visible(False)
    figure.legend([Line2D([], [], marker="<", linestyle="", color="black"),
                   Line2D([], [], marker="v", linestyle="", color=FAILS)],
                  [f"{REGRET_PERCENTILE}th percentile over futures", "maximum over futures"],
                  loc="outside lower center", ncols=2, frameon=False, fontsize=9)
    figure.suptitle("Regret: how far each policy falls short of the best policy of each future "
                    "(0: it is the best there)")
    return figure


# --- futures, satisficed and failed -------------------------------------------------------------


def meets_criteria(found: Explored) -> pd.Series:
    """Whether each (future, policy) meets every satisficing criterion."""
    return satisfices(found.outcomes.set_index(["future", "policy"]), found.satisficing)


def futures_satisficing(found: Explored) -> Figure:
    """Parallel coordinates of the futures, each uncertainty an axis from the low to the high
    end of its range; a line per future, coloured by whether the policy meets every
    satisficing criterion there. One panel per policy."""
    meets = meets_criteria(found)
    names = _by_importance(found)
    futures = found.futures.set_index("future")
    positions = np.column_stack([found.unit_position(name, futures[name].to_numpy(dtype=float))
                                 for name in names])
    rows, columns = _grid(len(found.policies), 2)
    figure = Figure(figsize=(max(6.5, 1.15 * len(names)) * columns, 1.4 + 4.2 * rows),
                    layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    x = np.arange(len(names))
    for ax, policy in zip(axes, found.policies):
        ok = meets.xs(policy, level="policy").reindex(futures.index, fill_value=False
                                                      ).to_numpy(dtype=bool)
        groups = [(ok, MEETS), (~ok, FAILS)]
        groups.sort(key=lambda group: -int(group[0].sum()))  # the fewer drawn on top
        for chosen, colour in groups:
            lines = [np.column_stack([x, row]) for row in positions[chosen]]
            ax.add_collection(LineCollection(lines, colors=colour, linewidths=0.6, alpha=0.3,
                                             antialiaseds=False))  # 10x smaller PNG
        for k, name in enumerate(names):
            ax.axvline(k, color="#444444", linewidth=0.8)
            low, high = found.bounds(name)
            times = "×" if found.scaled(name) else ""
            ax.text(k, -0.04, f"{times}{number(low)}", ha="center", va="top", fontsize=7)
            ax.text(k, 1.04, f"{times}{number(high)}", ha="center", va="bottom", fontsize=7)
        ax.set_xlim(-0.3, len(names) - 0.7)
        ax.set_ylim(-0.12, 1.12)
        ax.set_yticks([])
        ax.set_xticks(x, [path_label(name, 18) for name in names], fontsize=7)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.set_title(f"{policy}: meets every criterion in {percent(ok.mean())} of futures",
                     fontsize=10)
    for ax in axes[len(found.policies):]:
        ax.set_visible(False)
    figure.legend([Line2D([], [], color=MEETS), Line2D([], [], color=FAILS)],
                  ["meets every criterion", "fails at least one"], loc="outside lower center",
                  ncols=2, frameon=False, fontsize=9)
    criteria = listed([criterion_words(kpi, bounds) for kpi, bounds in found.satisficing.items()])
    figure.suptitle(textwrap.fill(f"Where each policy meets {criteria}", 110)
                    + "\n(each future a line; each axis an uncertainty's range, low end at the "
                    "bottom, × a factor of the scenario's value; most influential first)",
                    fontsize=11)
    return figure


def _by_importance(found: Explored) -> list[str]:
    """The uncertainties, those that move the primary outcome most first (as written where
    no index was computed)."""
    whole = _whole_run(found)
    mean = whole[whole["outcome"] == found.primary].groupby("uncertainty")["value"].mean()
    if mean.isna().all():
        return found.uncertainties
    return sorted(found.uncertainties, key=lambda name: -np.nan_to_num(mean.get(name, 0.0)))


# --- where each policy fails ----------------------------------------------------------------------


def prim_tradeoff(found: Explored) -> Figure:
    """PRIM's peeling trajectory of each policy: the coverage and density of each box, by the
    number of uncertainties it restricts, the chosen box ringed."""
    boxes = {row["policy"]: row for row in records(found.discovery.groupby(
        "policy", sort=False).first().reset_index())}
    rows, columns = _grid(len(found.policies), 2)
    figure = Figure(figsize=(5.6 * columns, 1.4 + 3.8 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False, sharex=True, sharey=True).ravel()
    most = int(found.trajectories["res_dim"].max()) if len(found.trajectories) else 1
    scatter = None
    for ax, policy in zip(axes, found.policies):
        steps = found.trajectories[found.trajectories["policy"] == policy]
        ax.axvline(MIN_COVERAGE, color="grey", linestyle="--", linewidth=0.9)
        ax.set_title(policy, fontsize=10)
        ax.grid(alpha=0.3)
        if steps.empty:
            note = boxes[policy]["note"] if policy in boxes else "no box"
            ax.text(0.5, 0.5, textwrap.fill(str(note), 40), transform=ax.transAxes,
                    ha="center", va="center", fontsize=9)
            continue
        ax.plot(steps["coverage"], steps["density"], color="#999999", linewidth=0.8)
        scatter = ax.scatter(steps["coverage"], steps["density"], c=steps["res_dim"],
                             cmap="viridis", vmin=0, vmax=max(most, 1), s=26, zorder=3)
        chosen = steps[steps["chosen"].astype(bool)].iloc[0]
        ax.scatter([chosen["coverage"]], [chosen["density"]], s=160, facecolors="none",
                   edgecolors=FAILS, linewidths=2, zorder=4)
        kept = boxes[policy]
        ax.scatter([kept["coverage"]], [kept["density"]], marker="*", s=140, color=FAILS,
                   zorder=5)
        restricted = int(found.discovery[(found.discovery["policy"] == policy)]
                         ["restricted"].astype(bool).sum())
        ax.text(0.98, 0.98, f"reported: coverage {percent(kept['coverage'])}, density "
                f"{percent(kept['density'])},\n{restricted} restricted (chosen on the "
                f"trajectory: {int(chosen['res_dim'])})", transform=ax.transAxes,
                ha="right", va="top", fontsize=7.5)
        base = float(kept["failure_share"])
        ax.axhline(base, color=FAILS, linestyle=":", linewidth=1)
        ax.text(0.02, base, f"base rate {percent(base)}", color=FAILS, fontsize=7,
                va="bottom", transform=ax.get_yaxis_transform())
    for k, ax in enumerate(axes):
        if k >= len(found.policies):
            ax.set_visible(False)
            continue
        if k % columns == 0:
            ax.set_ylabel("density: share of the box's futures that fail", fontsize=8)
        if k + columns >= len(found.policies):
            ax.set_xlabel("coverage: share of the failures inside the box", fontsize=8)
            ax.tick_params(axis="x", labelbottom=True)
    if scatter is not None:
        figure.colorbar(scatter, ax=list(axes[:len(found.policies)]),
                        label="uncertainties restricted", shrink=0.6,
                        ticks=range(max(most, 1) + 1))
        figure.legend(handles=[
            Line2D([], [], marker="o", linestyle="", markersize=11, markerfacecolor="none",
                   markeredgecolor=FAILS, markeredgewidth=2,
                   label="the box chosen on the trajectory"),
            Line2D([], [], marker="*", linestyle="", markersize=12, color=FAILS,
                   label="the box reported: restrictions that may be chance (qp > 0.05) "
                         "dropped")], loc="outside lower center", ncols=2, fontsize=8)
    figure.suptitle("Where each policy fails: PRIM's boxes from all futures (right) to a "
                    f"dense corner (left); boxes left of {MIN_COVERAGE:g} coverage are not chosen")
    return figure


def prim_boxes(found: Explored) -> Figure:
    """Each policy's chosen box: each uncertainty's range from its low end (0) to its high
    end (1), the box's limits on it, and where those limits fell in 90% of the resamples."""
    names = found.uncertainties
    rows, columns = _grid(len(found.policies), 2)
    figure = Figure(figsize=(6.2 * columns, 1.4 + (0.8 + 0.42 * len(names)) * rows),
                    layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    colours = policy_colours(found)
    for ax, policy in zip(axes, found.policies):
        box = found.discovery[found.discovery["policy"] == policy].set_index("uncertainty")
        first = found.discovery[found.discovery["policy"] == policy].iloc[0]
        y = np.arange(len(names))
        ax.barh(y, 1.0, color="#eeeeee", height=0.6)
        restricted = box["restricted"].astype(bool) if len(box) else pd.Series(dtype=bool)
        for k, name in enumerate(names):
            if name not in box.index or not restricted.get(name, False):
                continue
            row = records(box.loc[[name]])[0]
            low, high = found.unit_position(name, np.array([row["low"], row["high"]]))
            ax.barh(k, high - low, left=low, color=colours[policy], height=0.6, alpha=0.8)
            for side in ("low", "high"):
                ends = found.unit_position(name, np.array([row[f"{side}_p05"],
                                                           row[f"{side}_p95"]]))
                ax.plot(ends, [k, k], color="black", linewidth=2.2, solid_capstyle="butt")
            start, end = found.bounds(name)
            for position, value, edge in ((low, row["low"], start), (high, row["high"], end)):
                if value != edge:
                    times = "×" if found.scaled(name) else ""
                    ax.text(position, k - 0.32, times + number(value), ha="center",
                            va="bottom", fontsize=7)
        if not restricted.any() and pd.notna(first["note"]):
            ax.text(0.5, (len(names) - 1) / 2, textwrap.fill(str(first["note"]), 50),
                    ha="center", va="center", fontsize=8.5, color="#444444")
        ax.set_yticks(y, [path_label(name) for name in names], fontsize=7.5)
        for tick, name in zip(ax.get_yticklabels(), names):
            tick.set_color("black" if restricted.get(name, False) else "#999999")
        ax.invert_yaxis()
        ax.set_xlim(-0.02, 1.02)
        ax.set_xlabel("position in the uncertainty's range (0: low end, 1: high end)",
                      fontsize=8)
        if pd.isna(first["coverage"]):
            ax.set_title(f"{policy}: {first['note']}", fontsize=9)
        else:
            ax.set_title(f"{policy}: coverage {percent(first['coverage'])}, density "
                         f"{percent(first['density'])} (base rate "
                         f"{percent(first['failure_share'])})", fontsize=10)
    for ax in axes[len(found.policies):]:
        ax.set_visible(False)
    figure.legend([Patch(color="#eeeeee"), Patch(color="#777777"),
                   Line2D([], [], color="black", linewidth=2.2)],
                  ["range (not restricted: label in grey)", "the box's limits",
                   "5–95% of a limit over resamples"], loc="outside lower center", ncols=3,
                  frameon=False, fontsize=9)
    figure.suptitle("The chosen box of each policy's failures, in each uncertainty's range")
    return figure


# --- the list, and drawing it -------------------------------------------------------------------


def exploration_figures(found: Explored) -> list[FigureSpec]:
    """Every figure of the exploration that applies, with its caption, in the report's order."""
    specs: list[FigureSpec] = []
    if len(found.sensitivity) and not _whole_run(found)["value"].isna().all():
        specs += [
            FigureSpec("sensitivity", "Which uncertainties move each outcome: the main "
                       f"sensitivity index ({found.main_index}) per policy, with 95% intervals.",
                       lambda: sensitivity_bars(found),
                       "Grey bars hardly matter (negligible) or cannot be told from no effect. "
                       + ("Saltelli's estimates can leave [0, 1] on few futures."
                          if found.main_index == "ST" else "")),
            FigureSpec("sensitivity_convergence", "Whether the indices had settled: each index "
                       "on the first half of the futures against all of them.",
                       lambda: sensitivity_convergence(found)),
            FigureSpec("sensitivity_over_time", f"{KPIS[found.primary].label}: which "
                       "uncertainties move it as the horizon grows, year by year.",
                       lambda: sensitivity_over_time(found))]
    if len(found.policies) > 1 and judged_outcomes(found):
        specs.append(FigureSpec("regret", "Regret of each policy over the futures, per "
                                "outcome with a better direction.",
                                lambda: regret_distributions(found)))
    if found.satisficing:
        specs.append(FigureSpec("futures_satisficing", "The futures each policy satisfices "
                                "and fails, across the uncertainties' ranges.",
                                lambda: futures_satisficing(found)))
    if len(found.trajectories):
        specs += [
            FigureSpec("discovery_tradeoff", "PRIM's trade-off of coverage against density, "
                       "per policy, with the box chosen.", lambda: prim_tradeoff(found)),
            FigureSpec("discovery_boxes", "The chosen box of each policy's failures, with how "
                       "far its limits wander over resamples.", lambda: prim_boxes(found))]
    return specs


def draw_exploration(directory: str | Path, formats: tuple[str, ...] = ("png",)) -> list[Path]:
    """(Re)draw every figure of the exploration in `directory` into its `plots/`."""
    found = explored(directory)
    folder = found.directory / PLOTS
    return [path for spec in exploration_figures(found)
            for path in save_figure(spec, folder, formats)]
