"""The `simulator` command: the one place that ties schema, engine, outputs and plots together.

Heavy libraries are imported inside the commands that need them, so `--help`
and `validate` start quickly. User errors print a message and exit with status
2; anything else exits with 1, with a traceback only under `--debug`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from simulator.errors import UserError

if TYPE_CHECKING:
    from rich.progress import Progress

    from simulator.model.results import RunResult
    from simulator.runs.checks import CheckResult
    from simulator.runs.experiment import Plan
    from simulator.runs.store import ExperimentResult, Reproduction, SelectionRecord

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

ONE_THREAD_MATHS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
"""Linear algebra in one thread per process, unless the user says otherwise: the simulator
runs a process per core, and further threads only contend with them (SALib's delta makes
thousands of tiny solves, each 7 times slower with a second thread spinning beside it)."""


def main(argv: list[str] | None = None) -> int:
    for name in ONE_THREAD_MATHS:  # before numpy is first imported, which the commands do
        os.environ.setdefault(name, "1")
    parser = build_parser()
    arguments = parser.parse_args(argv)
    try:
        return arguments.command(arguments)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as error:  # a full disk, a read-only directory: nothing half-written stays
        where = f"{error.filename}: " if error.filename else ""
        print(f"error: cannot write the results: {where}{error.strerror or error}",
              file=sys.stderr)
        return EXIT_FAILURE
    except Exception as error:  # the one boundary where unexpected errors are reported
        if arguments.debug:
            traceback.print_exc()
        else:
            print(f"internal error: {type(error).__name__}: {error}\n"
                  "(run again with --debug for the traceback)", file=sys.stderr)
        return EXIT_FAILURE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="simulator",
        description="Simulate joint exercises and capacity building among allies and "
                    "partners, and track interoperability and trust over time.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    def print_help(_: argparse.Namespace) -> int:  # `simulator` alone
        parser.print_help()
        return EXIT_OK

    parser.set_defaults(command=print_help)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = commands.add_parser("run", help="run a scenario once and write its results",
                              description="Run a scenario once; write series, KPIs, "
                                          "matrices and a plot; print the KPIs.")
    run.add_argument("scenario", type=Path, help="scenario file (YAML)")
    run.add_argument("--seed", type=seed_number, default=0, help="root random seed (default 0)")
    run.add_argument("--out", type=Path, help="output directory (default results/<scenario>)")
    run.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="PATH=VALUE",
                     help="override a value by dotted path, list items by id, e.g. "
                          "exercises.sea_breeze.every_days=90 (repeatable)")
    run.add_argument("--trace", action="store_true", help="also write the event trace "
                                                          "(trace.jsonl)")
    add_plot_options(run)
    run.set_defaults(command=run_command)

    compare = commands.add_parser(
        "compare", help="run an experiment: policy variants over paired replications",
        description="Run every variant of an experiment file for its replications (common "
                    "random numbers), write the results and print the comparison with the "
                    "baseline. Re-running the same command resumes an interrupted experiment.")
    compare.add_argument("experiment", type=Path, help="experiment file (YAML)")
    add_runner_options(compare, "experiment")
    compare.set_defaults(command=compare_command)

    explore = commands.add_parser(
        "explore", help="run an exploration: policies across a design of plausible futures",
        description="Run every policy of an exploration file in every future of its design "
                    "(common random numbers across the whole design), then analyse: "
                    "sensitivity of each outcome to each uncertainty, robustness of each "
                    "policy across futures (mean, worst case, regret, satisficing), the "
                    "futures where each policy fails (PRIM), and whether the sample of "
                    "futures was large enough for each. Re-running the same command resumes; "
                    "a Sobol', Morris or table design given more futures extends.")
    explore.add_argument("exploration", type=Path, help="exploration file (YAML)")
    add_runner_options(explore, "exploration")
    explore.set_defaults(command=explore_command)

    plot = commands.add_parser("plot", help="(re)draw every figure of a results directory",
                               description="Draw every figure of a results directory of "
                                           "`run`, `compare` or `explore` into DIR/plots/.")
    plot.add_argument("directory", type=Path, help="results directory")
    add_format_option(plot)
    plot.set_defaults(command=plot_command)

    report = commands.add_parser("report", help="write DIR/report.html: one self-contained "
                                                "file with findings, trade-offs, set-up, "
                                                "the model described, validation, figures "
                                                "and reproducibility; and "
                                                "DIR/model_description.md")
    report.add_argument("directory", type=Path, help="results directory")
    report.add_argument("--odd", action="store_true",
                        help="describe the model in the ODD structure too")
    report.set_defaults(command=report_command)

    check = commands.add_parser(
        "check", help="run the validation suite: expectations of the model over seeds",
        description=CHECK_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument("files", type=Path, nargs="*",
                       help="files of checks (YAML; default: validation/*.yaml)")
    check.add_argument("--out", type=Path, metavar="DIR",
                       help="directory for checks.csv (default results/checks; a run's or an "
                            "experiment's results directory, for its report)")
    check.add_argument("--workers", type=worker_count,
                       help="local worker processes (default: all cores; 1: no pool)")
    check.add_argument("--quiet", action="store_true", help="print only the one-line summary")
    check.add_argument("--no-progress", action="store_true", help="no progress bar")
    check.set_defaults(command=check_command)

    reproduce = commands.add_parser(
        "reproduce", help="make a results directory's runs again and compare their files",
        description="With --check: make a sample of DIR's runs again from its manifest alone "
                    "(the resolved scenarios and seed it records), compare each file with "
                    "DIR's and with the hash recorded when it was written, write "
                    "DIR/reproduction.json, and exit with 1 if anything differs (0 if not, 2 "
                    "if DIR is not a results directory). Files are compared byte for byte, "
                    "and where the bytes differ value for value, to 1e-12 relative. Without "
                    "--check: print a command that makes DIR again from scratch.")
    reproduce.add_argument("directory", type=Path, help="results directory")
    reproduce.add_argument("--check", action="store_true",
                           help="make runs again and compare their files with DIR's")
    sample = reproduce.add_mutually_exclusive_group()
    sample.add_argument("--runs", type=run_count, metavar="K",
                        help="check K runs (default 3), replication 0 of every variant "
                             "among them, so at least one per variant")
    sample.add_argument("--all", action="store_true", help="check every current run")
    reproduce.add_argument("--workers", type=worker_count,
                           help="local worker processes (default: all cores; 1: no pool)")
    reproduce.add_argument("--no-progress", action="store_true", help="no progress bar")
    reproduce.set_defaults(command=reproduce_command)

    validate = commands.add_parser("validate", help="check scenario, experiment, checks and "
                                                    "exploration files without running them")
    validate.add_argument("files", type=Path, nargs="+",
                          help="scenario, experiment, checks or exploration files (YAML)")
    validate.set_defaults(command=validate_command)

    schema = commands.add_parser(
        "schema", help="print the JSON Schema of scenario (or experiment, or exploration) "
                       "files",
        description="Print the JSON Schema (draft 2020-12) of scenario files, or with "
                    "--experiment of experiment files, or with --exploration of exploration "
                    "files, for editors to complete and check them. References between parts "
                    "are checked by `validate` only.")
    kinds = schema.add_mutually_exclusive_group()
    kinds.add_argument("--experiment", action="store_true",
                       help="the schema of experiment files instead")
    kinds.add_argument("--exploration", action="store_true",
                       help="the schema of exploration files instead")
    schema.set_defaults(command=schema_command)
    return parser


def seed_number(text: str) -> int:
    """A root seed: a whole number from 0 to 2**63 - 1."""
    try:
        seed = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= seed < 2**63:
        raise argparse.ArgumentTypeError(f"expected 0 <= seed < 2**63, got {seed}")
    return seed


def run_command(arguments: argparse.Namespace) -> int:
    from simulator.model.loading import load_scenario, parse_override

    overrides = [parse_override(text) for text in arguments.overrides]
    scenario = load_scenario(arguments.scenario, overrides)
    out = arguments.out or Path("results") / arguments.scenario.stem

    from simulator.model.results import simulate
    from simulator.runs.store import prepare_directory

    prepare_directory(out, "run")  # refuse a foreign directory before the run, not after
    result = simulate(scenario, seed=arguments.seed, trace=arguments.trace)
    written = result.save(out, plots=not arguments.no_plots, formats=formats(arguments),
                          source=str(arguments.scenario), overrides=overrides)
    print_kpis(result, scenario.name, out, len(written))
    return EXIT_OK


FORMATS = ("png", "svg", "pdf")


def add_runner_options(command: argparse.ArgumentParser, what: str) -> None:
    """Where the runs of an experiment or an exploration go, and where their results do."""
    command.add_argument("--out", type=Path,
                         help=f"results directory (default results/<{what} name>)")
    command.add_argument("--workers", type=worker_count,
                         help="local worker processes (default: all cores; 1: no pool)")
    command.add_argument("--scheduler", metavar="ADDRESS",
                         help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786")
    command.add_argument("--timeout", type=seconds, metavar="SECONDS",
                         help="with --scheduler: give up when the scheduler cannot be reached, "
                              "or has no workers, for this long (default: 10 s to reach it, "
                              "then wait for workers as long as it takes)")
    command.add_argument("--force", action="store_true",
                         help=f"replace the results of a different {what} in --out")
    command.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_plot_options(command)


def add_plot_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--no-plots", action="store_true", help="skip drawing the figures")
    add_format_option(command)


def add_format_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--format", dest="formats", action="append", choices=FORMATS,
                         help="also draw the figures in this format (repeatable; PNG always, "
                              "for the report)")


def formats(arguments: argparse.Namespace) -> tuple[str, ...]:
    """PNG, and every other format asked for: formats add up, they do not replace PNG."""
    return tuple(dict.fromkeys(["png", *(arguments.formats or [])]))


def draw_plots(arguments: argparse.Namespace, out: Path) -> list[Path]:
    """Every figure of the results in `out`, in the formats asked for."""
    if is_exploration(out):
        from simulator.presentation.exploration_figures import draw_exploration

        return draw_exploration(out, formats(arguments))
    from simulator.presentation.figures import draw_all

    return draw_all(out, formats(arguments))


def is_exploration(directory: Path) -> bool:
    """Whether `directory` holds an exploration's results (its figures and report differ)."""
    from simulator.runs.store import read_manifest

    return read_manifest(directory).kind == "exploration"


def plot_command(arguments: argparse.Namespace) -> int:
    written = draw_plots(arguments, arguments.directory)
    print(f"{len(written)} figures written to {arguments.directory / 'plots'}/")
    return EXIT_OK


def report_command(arguments: argparse.Namespace) -> int:
    if is_exploration(arguments.directory):
        from simulator.presentation.exploration_report import write_exploration_report

        print(f"report written to {write_exploration_report(arguments.directory)}")
        return EXIT_OK
    from simulator.presentation.report import write_report

    print(f"report written to {write_report(arguments.directory, with_odd=arguments.odd)}")
    return EXIT_OK


def print_kpis(result: RunResult, name: str, out: Path, files: int) -> None:
    """A run's summary (`metrics.RUN_KPIS`), labelled as the figures and the report are."""
    from rich.console import Console
    from rich.table import Table

    from simulator.model.metrics import KPIS, RUN_KPIS

    table = Table(title=f"{name}, seed {result.seed}: "
                        f"{result.output.times[-1] / 365:g} years in "
                        f"{result.output.wall_seconds:.2f} s")
    table.add_column("KPI")
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("unit", style="dim", max_width=20)  # the labels read first; units may wrap
    for kpi in RUN_KPIS:
        table.add_row(KPIS[kpi].label, f"{result.kpis[kpi]:.4g}", KPIS[kpi].unit)
    console = Console()
    console.print(table)
    console.print(f"{files} files written to {out}/")


def worker_count(text: str) -> int:
    """A number of worker processes: a whole number from 1 to 1024."""
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= count <= 1024:
        raise argparse.ArgumentTypeError(f"expected 1 to 1024 workers, got {count}")
    return count


def seconds(text: str) -> float:
    """A duration in seconds: a number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text}")
    return value


def compare_command(arguments: argparse.Namespace) -> int:
    from simulator.runs.experiment import load_experiment
    from simulator.runs.runner import run_experiment

    plan = load_experiment(arguments.experiment)
    out = arguments.out or Path("results") / plan.name
    result = interruptible(out, arguments, lambda progress: run_experiment(
        plan, out, workers=arguments.workers, scheduler=arguments.scheduler,
        timeout=arguments.timeout, force=arguments.force, progress=progress,
        contention=progress.contention if progress else None))
    if result is None:
        return 130
    if not arguments.no_plots:
        draw_plots(arguments, out)
    print_comparison(result, plan)
    return EXIT_OK


def explore_command(arguments: argparse.Namespace) -> int:
    from simulator.runs.exploration import load_exploration
    from simulator.runs.explorer import explore

    plan = load_exploration(arguments.exploration)
    out = arguments.out or Path("results") / plan.name
    result = interruptible(out, arguments, lambda progress: explore(
        plan, out, workers=arguments.workers, scheduler=arguments.scheduler,
        timeout=arguments.timeout, force=arguments.force, progress=progress))
    if result is None:
        return 130
    if not arguments.no_plots:
        draw_plots(arguments, out)
    from simulator.presentation.exploration_console import console_summary

    print(console_summary(result))
    return EXIT_OK


Made = TypeVar("Made")


def interruptible(out: Path, arguments: argparse.Namespace,
                  run: Callable[[ProgressBar | None], Made]) -> Made | None:
    """`run(progress bar)`, with a bar if asked for on a terminal; None if Ctrl-C or SIGTERM
    stopped it, said with how to resume."""
    stop_on_terminate()
    try:
        with ProgressBar(not arguments.no_progress and sys.stderr.isatty()) as progress:
            return run(progress)
    except KeyboardInterrupt:
        print(f"interrupted: finished runs are kept in {out}/; run the same command again "
              "to resume", file=sys.stderr)
        return None


def stop_on_terminate() -> None:
    """Treat SIGTERM like Ctrl-C, so a terminated experiment stops cleanly and can resume."""
    import signal

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


class ProgressBar:
    """A rich progress bar of runs: done, rate, failures and time left, and during a
    selection the variants still in contention; or nothing.

    It starts at the first report, which the runner makes once its pool's workers have
    started: a process forked beside the bar's thread could inherit a held lock.
    """

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar: Progress | None = None
        self.first_done = 0
        self.contenders = ""

    def __enter__(self) -> ProgressBar | None:
        return self if self.enabled else None

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def __call__(self, done: int, total: int, failed: int) -> None:
        if self.bar is None:
            self.bar, self.first_done = self._start(), done
        elapsed = self.bar.tasks[0].elapsed or 0.0
        rate = (done - self.first_done) / elapsed if elapsed > 0 else 0.0
        self.bar.update(self.bar.task_ids[0], completed=done, total=total,
                        rate=f"{rate:.1f} runs/s", failed=f"{failed} failed" if failed else "",
                        contenders=self.contenders)

    def contention(self, contenders: list[str]) -> None:
        """A selection's variants still in contention, round by round (the runs in all,
        which the bar counts, grow with each round)."""
        self.contenders = f"in contention ({len(contenders)}): {', '.join(contenders)}"
        if self.bar is not None:
            self.bar.update(self.bar.task_ids[0], contenders=self.contenders)

    @staticmethod
    def _start() -> Progress:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        bar = Progress(TextColumn("runs"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("{task.fields[rate]}"), TextColumn("[red]{task.fields[failed]}"),
                       TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                       TextColumn("{task.fields[contenders]}"))
        bar.start()
        bar.add_task("runs", total=None, rate="", failed="", contenders="")
        return bar


def print_comparison(result: ExperimentResult, plan: Plan) -> None:
    """The primary metric per variant, its paired difference to the baseline, and the best."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from simulator.analysis.stats import summarise
    from simulator.model.metrics import KPIS
    from simulator.runs.store import COMPARISON, PLOTS, SERIES, SUMMARY_CSV, read_selection

    experiment = plan.experiment
    metric, sign = experiment.primary_metric, 1 if experiment.goal == "maximize" else -1
    summary = result.summary
    means = summarise(summary[summary.status == "ok"], [metric]).set_index("variant")
    comparison = result.comparison
    rows = comparison[comparison.kpi == metric].set_index("variant")
    better = rows[rows.significant & (sign * rows.difference > 0)]
    best = (better.difference * sign).idxmax() if len(better) else None
    manifest = result.manifest
    counts = sorted(set(summary.variant.value_counts()))
    replications = (f"{counts[0]}" if len(counts) == 1 else
                    f"{counts[0]} to {counts[-1]}")  # a selection stops some variants early
    table = Table(title=f"{plan.name}: {KPIS[metric].label} ({experiment.goal}), "
                        f"{replications} paired replications per variant")
    table.add_column("variant", min_width=max(map(len, plan.variant_names)))
    for column in ("mean [95% CI]", "difference to baseline [95% CI]", "p (Holm)", ""):
        table.add_column(column, justify="right", no_wrap=True)
    for variant in plan.variant_names:
        mean = means.loc[variant]
        description = plan.descriptions[variant]
        name = f"{variant}\n[dim]{escape(description)}[/dim]" if description else variant
        cells = [name, f"{mean['mean']:.4f} [{mean.ci_low:.4f}, {mean.ci_high:.4f}]"]
        if variant in rows.index:
            row = rows.loc[variant]
            direction = "better" if sign * row.difference > 0 else "worse"
            verdict = "best" if variant == best else direction if row.significant else ""
            cells += [f"{row.difference:+.4f} [{row.ci_low:+.4f}, {row.ci_high:+.4f}]",
                      f"{row.p_holm:.2g}", verdict]
        else:
            cells += ["(baseline)", "", ""]
        table.add_row(*cells)
    console = Console(width=max(Console().width, 110))
    console.print(table)
    if best is None:
        console.print(f"No variant is significantly better than {experiment.baseline!r} on "
                      f"{KPIS[metric].label} at the 5% level (Holm-corrected).")
    selection = read_selection(result.directory)
    if selection is not None:
        console.print(escape(selection_outcome(selection)))
    console.print(f"{manifest.stop_reason}; {len(manifest.failures)} failed runs. Results "
                  f"in {result.directory}/ ({SUMMARY_CSV}, {COMPARISON}, {SERIES}/, {PLOTS}/); "
                  f"`simulator report {result.directory}` writes the HTML report.")


def selection_outcome(selection: SelectionRecord) -> str:
    """A selection's outcome in one line: the best, or why there is none, and its runs
    against those of every variant to the last replication."""
    procedure = "Kim-Nelson" if selection.procedure == "kn" else "subset"
    outcome = (f"best {selection.best}" if selection.best else selection.reason)
    if selection.procedure == "subset":
        outcome = f"subset {{{', '.join(selection.contenders)}}}: {outcome}"
    runs = (f"{selection.runs} runs, {selection.runs_saved} fewer than the "
            f"{selection.fixed_design_runs} of every variant to replication "
            f"{selection.replications}" if selection.runs_saved else
            f"{selection.runs} runs, as many as every variant to replication "
            f"{selection.replications}")
    return (f"Selection ({procedure}, delta {selection.delta:g}, confidence "
            f"{selection.confidence:g}): {outcome}; {runs}.")


CHECK_DESCRIPTION = """\
Run every check of the files, every arm over its seeds, in parallel; print each check's
measured value against what it expects, write DIR/checks.csv, and exit with 1 if any
check fails (0 if all pass, 2 on bad input).

A check with one arm expects a range (between: [low, high], at_least, at_most) of a KPI,
or of a series metric at a time. It passes when the one-sided (1 - level) confidence
bounds of the mean over the seeds (Student t) lie inside the range: each side of the
range is a one-sided test of "the mean is outside", rejected at `level` (default 0.05).
If every run gives the same value (a deterministic run), the bound is that value.

A check with two arms (treatment, control) expects a direction. Replication k of both
arms uses the same base seed and replication k (common random numbers), and the mean of
the paired differences treatment - control is tested: `higher` passes when its lower
one-sided (1 - level) bound exceeds `min_effect` (default 0), `lower` when its upper
bound is below -min_effect.

Runs where the value is undefined (NaN) are left out; a check with fewer than two
values left fails, and so does a check with a failed run. The measured value shown is
the mean (or mean difference) with its deciding one-sided bound."""


def check_command(arguments: argparse.Namespace) -> int:
    from simulator.runs.checks import DEFAULT_OUT, check

    stop_on_terminate()
    show = not (arguments.quiet or arguments.no_progress) and sys.stderr.isatty()
    with ProgressBar(show) as progress:
        result = check(arguments.files or None, workers=arguments.workers,
                       out=arguments.out or DEFAULT_OUT, progress=progress)
    if not arguments.quiet:
        print_checks(result)
    print(check_summary(result))
    return EXIT_OK if result.passed else EXIT_FAILURE


def check_summary(result: CheckResult) -> str:
    """The outcome in one line: 12 of 12 checks passed (3 files, 240 runs, 41 s)."""
    passed = sum(row.passed for row in result.rows)
    seconds = result.wall_seconds
    return (f"{passed} of {len(result.rows)} checks passed ({counted(len(result.files), 'file')}, "
            f"{counted(result.runs, 'run')}, {seconds:.{0 if seconds >= 10 else 1}f} s)")


def print_checks(result: CheckResult) -> None:
    """Each check: what it tests, the measured mean with its bound, what it expects, and
    whether it passed; then why each failed check failed."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table()
    table.add_column("check", no_wrap=True)
    table.add_column("pattern", ratio=2)
    table.add_column("measured", no_wrap=True, justify="right")
    longest_word = max(len(word) for row in result.rows
                       for word in f"{row.metric} {row.expected}".split())
    table.add_column("expected", ratio=1, overflow="fold", min_width=longest_word)
    table.add_column("", no_wrap=True, min_width=6)
    for row in result.rows:
        measured = "undefined" if math.isnan(row.measured) else f"{row.measured:.4g}"
        if row.bound == row.measured:
            measured += "\n[dim]no spread[/dim]"
        elif not math.isnan(row.bound):
            measured += f"\n[dim]{100 * (1 - row.level):g}% bound {row.bound:.4g}[/dim]"
        table.add_row(f"{row.check}\n[dim]{escape(row.file)}[/dim]", escape(row.pattern),
                      measured, f"{escape(row.metric)}\n{escape(row.expected)}",
                      "[green]✓ pass[/green]" if row.passed else "[red]✗ fail[/red]")
    console = Console(width=max(Console().width, 120))
    console.print(table)
    for row in result.rows:
        if not row.passed:
            console.print(f"[red]✗ {row.check}[/red]: {escape(row.reason)}")
    console.print(f"Written to {result.path}; `simulator report DIR` shows it when DIR holds "
                  "a run's or an experiment's results.")


def run_count(text: str) -> int:
    """A number of runs: a whole number from 1."""
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"expected 1 run or more, got {count}")
    return count


def reproduce_command(arguments: argparse.Namespace) -> int:
    from simulator.runs.reproduce import DEFAULT_RUNS, reproduce, reproduction_command

    directory = arguments.directory
    if not arguments.check:
        if arguments.runs or arguments.all or arguments.workers:
            raise UserError("--runs, --all and --workers are options of --check")
        command, note = reproduction_command(directory)
        print(command or "no command makes these results again")
        print(f"  {note}")
        print(f"`simulator reproduce {directory} --check` makes runs again and compares their "
              "files with the directory's")
        return EXIT_OK
    stop_on_terminate()
    with ProgressBar(not arguments.no_progress and sys.stderr.isatty()) as progress:
        record = reproduce(directory, runs=arguments.runs or DEFAULT_RUNS, all=arguments.all,
                           workers=arguments.workers, progress=progress)
    print_reproduction(record, directory)
    return EXIT_OK if record.passed else EXIT_FAILURE


def print_reproduction(record: Reproduction, directory: Path) -> None:
    """The outcome in one line, then what differs, what else was found, and how to make
    the whole directory again."""
    from simulator.runs.store import REPRODUCTION

    print(record.summary)
    if record.differences:
        print(f"What differs ({len(record.differences)}):")
        for line in record.differences:
            print(f"  {line}")
    for note in record.notes:
        print(f"Note: {note}")
    shown = 8
    more = f" and {len(record.runs) - shown} more" if len(record.runs) > shown else ""
    print(f"Checked: {', '.join(record.runs[:shown])}{more}. Recorded in "
          f"{directory / REPRODUCTION}.")
    if record.command is not None:
        print(f"The whole directory is made again by: {record.command}")
    print(f"  {record.command_note}")


def validate_command(arguments: argparse.Namespace) -> int:
    from simulator.errors import ScenarioError

    failed = []
    for path in arguments.files:
        try:
            print(f"{path}: ok ({describe(path)})")
        except ScenarioError as error:
            failed.append(str(error))
    if failed:
        raise UserError("\n".join(failed))
    return EXIT_OK


def describe(path: Path) -> str:
    """Validate a scenario, an experiment or a checks file and say what it holds."""
    from simulator.model.loading import file_kind, load_scenario
    from simulator.model.yaml_source import read_document

    kind = file_kind(read_document(path))
    if kind == "checks":
        from simulator.runs.checks import load_checks

        planned = load_checks([path])
        runs = sum(item.check.seeds * len(item.arms) for item in planned)
        return f"{len(planned)} checks, {runs} runs"
    if kind == "exploration":
        from simulator.runs.exploration import load_exploration

        explored = load_exploration(path)
        exploration = explored.exploration
        futures, policies = len(explored.design), len(explored.policies)
        return (f"exploration: {counted(policies, 'policy', 'policies')} x "
                f"{counted(futures, 'future')} ({exploration.sampler}) x "
                f"{counted(exploration.replications, 'replication')} = "
                f"{counted(policies * futures * exploration.replications, 'run')} of "
                f"{explored.scenario_source}")
    if kind == "experiment":
        from simulator.runs.experiment import load_experiment  # and the engine behind its KPIs

        plan = load_experiment(path)
        experiment = plan.experiment
        return (f"experiment: {len(plan.scenarios)} variants of {plan.scenario_source}, "
                f"{experiment.replications} replications, primary metric "
                f"{experiment.primary_metric}")
    scenario = load_scenario(path)
    return (f"{counted(len(scenario.nations), 'nation')}, "
            f"{counted(len(scenario.exercises), 'exercise series', 'exercise series')}, "
            f"{counted(len(scenario.programs), 'program')}, "
            f"{counted(scenario.horizon_years, 'year')}")


def counted(number: float, one: str, many: str | None = None) -> str:
    """`1 program`, `8 programs`, `2.5 years`."""
    return f"{number:g} {one if number == 1 else many or one + 's'}"


def schema_command(arguments: argparse.Namespace) -> int:
    from simulator.runs.json_schema import experiment_schema, exploration_schema, scenario_schema

    schema = (experiment_schema() if arguments.experiment else exploration_schema()
              if arguments.exploration else scenario_schema())
    print(json.dumps(schema, indent=2))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
