"""The reference tables of docs/model.md, generated from their owners.

Every default and range lives in the schema (`model/schema.py`) and every metric in the
catalogue (`model/metrics.py`); the model's documentation shows them in tables written
from there, between markers, so that a change of default needs no hand edit:

    <!-- parameters:begin --> ... <!-- parameters:end -->

`python -m simulator.model.reference --write docs/model.md` renews every block of the
file; `--check` says whether it is up to date (the test suite does the same).
"""

from __future__ import annotations

import argparse
import re
import sys
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from simulator.model import metrics, schema

COMMAND = "python -m simulator.model.reference --write docs/model.md"
"""What renews the generated blocks of the model's documentation."""
NOTE = (f"<!-- Generated from simulator/model/{{source}} by `{COMMAND}`; "
        "edit the source, not this block. -->")

Row = tuple[str, ...]


# --- the schema as rows -------------------------------------------------------------------


def _is_model(annotation: object) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _number(value: float) -> str:
    """A number as a reader writes it: 365, 0.05, 1000000, 1e+12."""
    if value == int(value) and abs(value) < 1e9:
        return str(int(value))
    return f"{value:g}"


def _bounds(metadata: list[object]) -> str:
    """The interval that constraints allow, in interval notation: [0, 1], (0, 365000]."""
    low = high = None
    for item in metadata:
        if isinstance(item, annotated_types.Ge):
            low = f"[{_number(float(typing.cast(float, item.ge)))}"
        elif isinstance(item, annotated_types.Gt):
            low = f"({_number(float(typing.cast(float, item.gt)))}"
        elif isinstance(item, annotated_types.Le):
            high = f"{_number(float(typing.cast(float, item.le)))}]"
        elif isinstance(item, annotated_types.Lt):
            high = f"{_number(float(typing.cast(float, item.lt)))})"
    if low and high:
        return f"{low}, {high}"
    if low:
        return f"≥ {low[1:]}" if low.startswith("[") else f"> {low[1:]}"
    if high:
        return f"≤ {high[:-1]}" if high.endswith("]") else f"< {high[:-1]}"
    return ""


def _kind(annotation: object, metadata: list[object] | None = None) -> str:
    """What values a field takes, in a few words."""
    metadata = list(metadata or [])
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        inner = [item for extra in arguments[1:]
                 for item in (extra.metadata if isinstance(extra, FieldInfo) else [extra])]
        return _kind(arguments[0], metadata + inner)
    if origin in (typing.Union, types.UnionType):
        kinds = [_kind(argument) for argument in arguments if argument is not type(None)]
        unset = " or unset" if type(None) in arguments else ""
        return " or ".join(kinds) + unset
    if origin is typing.Literal:
        return ", ".join(f"`{value}`" for value in arguments)
    if origin is list:
        return "list" if _is_model(arguments[0]) else f"list of {_plural(arguments[0])}"
    if origin is dict:
        return f"mapping from {_plural(arguments[0])} to {_plural(arguments[1])}"
    if annotation is bool:
        return "true or false"
    if annotation is str:
        return "name" if any(_is_pattern(item) for item in metadata) else "text"
    if annotation is int:
        return " ".join(filter(None, ("whole number", _bounds(metadata))))
    if annotation is float:
        return _bounds(metadata) or "number"
    return getattr(annotation, "__name__", str(annotation))


def _plural(annotation: object) -> str:
    kind = _kind(annotation)
    return {"name": "names"}.get(kind, kind)


def _is_pattern(item: object) -> bool:
    return getattr(item, "pattern", None) is not None


def _unit(path: str) -> str:
    """The unit a field's name says (every time in a file says its unit in its key)."""
    parts = path.split(".")
    if parts[-1].endswith("_days") or "half_life_days" in parts:
        return "days"
    if parts[-1].endswith("_day"):
        return "day"
    if parts[-1].endswith("per_year"):
        return "per year"
    if parts[-1].endswith("_years"):
        return "years"
    if parts[-1] in ("cost", "annual_budget"):
        return "budget units"
    return ""


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return _number(value)
    if value is None:
        return "unset"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return ", ".join(f"{key}: {item}" for key, item in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def _text(description: str | None) -> str:
    """A docstring as one table cell."""
    return re.sub(r"\s+", " ", description or "").strip().replace("|", "\\|")


def _fields(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, FieldInfo]]:
    for name, field in model.model_fields.items():
        yield f"{prefix}.{name}" if prefix else name, field


def _groups(model: type[BaseModel], prefix: str, title: str
            ) -> Iterator[tuple[str, str, list[Row]]]:
    """(heading, what the group is, rows) for `model` and, after it, each group nested in
    it: a field whose value is itself a set of fields."""
    rows: list[Row] = []
    nested: list[tuple[type[BaseModel], str, str]] = []
    for path, field in _fields(model, prefix):
        if _is_model(field.annotation):
            nested.append((typing.cast(type[BaseModel], field.annotation), path,
                           _text(field.description)))
            continue
        rows.append((f"`{path}`", _default(field), _kind(field.annotation, field.metadata),
                     _unit(path), _text(field.description)))
    if rows:
        yield prefix or "scenario", title, rows
    for group, path, description in nested:
        yield from _groups(group, path, description)


def _table(header: Row, rows: Sequence[Row]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


PARAMETER_HEADER = ("path", "default", "values", "unit", "meaning")


def _sections(groups: Iterator[tuple[str, str, list[Row]]], level: str) -> list[str]:
    lines: list[str] = []
    for heading, description, rows in groups:
        lines += ["", f"{level} `{heading}`", ""]
        if description:
            lines += [description, ""]
        lines += _table(PARAMETER_HEADER, rows)
    return lines


def parameters_block() -> list[str]:
    """Every constant of the model (`parameters`), a table per group."""
    groups = _groups(schema.Parameters, "parameters",
                     _text(schema.Scenario.model_fields["parameters"].description))
    return _sections(groups, "###")


ENTITIES = (
    ("regions", schema.Region), ("nations", schema.Nation),
    ("relations", schema.Relation), ("facilities", schema.Facility),
    ("exercises", schema.Exercise), ("programs", schema.Program),
    ("workshops", schema.Workshop), ("standards", schema.StandardsCycle),
    ("threats", schema.Threat),
)
"""The lists of a scenario, with the model of their items."""


def scenario_block() -> list[str]:
    """Every other key of a scenario file: its top level, each kind of list item (a path
    names an item by its id, or by its position where it has none), the disruptions."""
    entities = dict(ENTITIES)
    missing = {name for name, field in schema.Scenario.model_fields.items()
               if typing.get_origin(field.annotation) is list and _is_model(
                   typing.get_args(field.annotation)[0])} - set(entities)
    if missing:
        raise ValueError(f"no table for the scenario's lists {sorted(missing)}: add them to "
                         "ENTITIES")
    top = [(path, field) for path, field in _fields(schema.Scenario, "")
           if path != "parameters" and not _is_model(field.annotation)]
    rows = [(f"`{path}`", _default(field), _kind(field.annotation, field.metadata),
             _unit(path), _text(field.description)) for path, field in top]
    lines = ["", "### The scenario", ""] + _table(PARAMETER_HEADER, rows)
    for name, model in ENTITIES:
        item = "<n>" if "id" not in model.model_fields else "<id>"
        lines += _sections(_groups(model, f"{name}.{item}", _text(model.__doc__)), "###")
    lines += _sections(_groups(schema.Disruptions, "disruptions",
                               _text(schema.Disruptions.__doc__)), "###")
    return lines


# --- the metric catalogue as rows ---------------------------------------------------------

BETTER = {metrics.HIGHER_IS_BETTER: "higher", metrics.LOWER_IS_BETTER: "lower",
          metrics.NEITHER: "neither"}


def direction_words(metric: metrics.Metric) -> str:
    """Which way is better, in words: "higher is better", ..., "neither way is better"."""
    better = BETTER[metric.direction]
    return "neither way is better" if better == "neither" else f"{better} is better"
STATISTIC: dict[str, Callable[[tuple[str, ...]], str]] = {
    "final": lambda of: f"value of `{of[0]}` at the horizon",
    "mean": lambda of: f"time mean of `{of[0]}` (trapezoid rule)",
    "peak": lambda of: f"largest sampled value of `{of[0]}`",
    "ratio": lambda of: f"`{of[0]}` / `{of[1]}` at the horizon (NaN if `{of[1]}` is 0)",
    "gain_per": lambda of: (f"change in `{of[0]}` over the run / `{of[1]}` at the horizon "
                            f"(NaN if `{of[1]}` is 0)"),
}
TABLE_TITLES = {
    "series": "Series: one row per sample time (`series` tables)",
    "nations": "Per nation: one row per sample time and nation (`nations` tables)",
    "regions": "Per region: one row per sample time and region (`regions` tables)",
    "kpis": "KPIs: one value per run (`kpis.csv`, `summary.csv`)",
}


def metrics_block() -> list[str]:
    """Every metric and KPI of the catalogue, a table per results table, in column order."""
    lines: list[str] = []
    for table, entries in metrics.CATALOGUE.items():
        lines += ["", f"### {TABLE_TITLES.get(table, table)}", ""]
        rows: list[Row]
        if table == "kpis":
            rows = [(f"`{kpi.name}`", _text(kpi.label), kpi.unit, BETTER[kpi.direction],
                     STATISTIC[kpi.statistic](kpi.of))
                    for kpi in entries.values() if isinstance(kpi, metrics.Kpi)]
            lines += _table(("name", "label", "unit", "better", "how"), rows)
        else:
            rows = [(f"`{metric.name}`", _text(metric.label), metric.unit,
                     BETTER[metric.direction]) for metric in entries.values()]
            lines += _table(("name", "label", "unit", "better"), rows)
    return lines


BLOCKS: dict[str, tuple[str, Callable[[], list[str]]]] = {
    "parameters": ("schema.py", parameters_block),
    "scenario": ("schema.py", scenario_block),
    "metrics": ("metrics.py", metrics_block),
}
"""Each generated block of the documentation: its source and what writes it."""


# --- the blocks in a document -------------------------------------------------------------


def render(name: str) -> str:
    """The body of block `name`, between its markers."""
    source, write = BLOCKS[name]
    return "\n".join([NOTE.format(source=source), *write(), ""])


def _marker(name: str, end: str) -> str:
    return f"<!-- {name}:{end} -->"


def _split(text: str, name: str) -> tuple[str, str, str]:
    """`text` around the body of block `name`: what precedes it (its begin marker and
    line end included), the body, and what follows (its end marker included)."""
    begin, end = _marker(name, "begin"), _marker(name, "end")
    if text.count(begin) != 1 or text.count(end) != 1:
        raise ValueError(f"expected one {begin} and one {end}")
    head, rest = text.split(begin)
    if end not in rest:
        raise ValueError(f"{end} comes before {begin}")
    body, tail = rest.split(end)
    return f"{head}{begin}\n", body.removeprefix("\n"), f"{end}{tail}"


def stale(text: str) -> list[str]:
    """The generated blocks of `text` whose body is not what the sources give now."""
    return [name for name in BLOCKS if _split(text, name)[1] != render(name)]


def renew(text: str) -> str:
    """`text` with the body of every generated block written afresh. A block's markers
    must each appear once, begin before end."""
    for name in BLOCKS:
        head, _, tail = _split(text, name)
        text = f"{head}{render(name)}{tail}"
    return text


def parameter_paths() -> set[str]:
    """Every dotted path under `parameters`, of groups and of values, for checking the
    names prose uses."""
    paths: set[str] = set()

    def walk(model: type[BaseModel], prefix: str) -> None:
        for path, field in _fields(model, prefix):
            paths.add(path)
            if _is_model(field.annotation):
                walk(typing.cast(type[BaseModel], field.annotation), path)

    walk(schema.Scenario, "")
    return {path for path in paths if path.startswith(("parameters", "disruptions"))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m simulator.model.reference",
        description="Write the reference tables of docs/model.md from the schema and the "
                    "metric catalogue.")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", metavar="FILE", type=Path,
                        help="renew the generated blocks of FILE in place")
    action.add_argument("--check", metavar="FILE", type=Path,
                        help="exit 1 if the generated blocks of FILE are out of date")
    arguments = parser.parse_args(argv)
    path = arguments.write or arguments.check
    if path is None:
        for name in BLOCKS:
            print(render(name))
        return 0
    text = path.read_text(encoding="utf-8")
    try:
        out_of_date, renewed = stale(text), renew(text)
    except ValueError as error:
        print(f"error: {path}: {error}", file=sys.stderr)
        return 2
    if arguments.check:
        if out_of_date:
            print(f"{path}: {', '.join(out_of_date)} out of date: run `{COMMAND}`",
                  file=sys.stderr)
            return 1
        return 0
    if renewed != text:
        path.write_text(renewed, encoding="utf-8")
        print(f"renewed {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
