"""From a file (and overrides) to a validated `Scenario`, or one message with every problem.

Overrides are applied in the order given, before validation, to the plain data
read from the file; a path addresses list items by their `id`
(`exercises.maritime_shield.every_days`). Validation errors are turned into
`Problem`s that name the file, line and column, the dotted path and what was
expected.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pydantic
import yaml

from simulator.errors import Location, Problem, ScenarioError
from simulator.schema import Scenario
from simulator.yaml_source import Document, Path_, read_document

Override = tuple[str, Any]
OVERRIDE_SOURCE = "--set"


def load_scenario(path: str | Path, overrides: Iterable[Override] = ()) -> Scenario:
    """Read, override and validate a scenario file.

    Raises:
        ScenarioError: with every problem found, each located in the file or the override.
    """
    document = read_document(path)
    apply_overrides(document, overrides)
    return validate(document, Scenario)


def scenario_from_dict(data: Mapping[str, Any], overrides: Iterable[Override] = ()) -> Scenario:
    """Validate a scenario given as plain data (for notebooks and workers)."""
    document = Document(data=copy_data(data), source="<scenario>")
    apply_overrides(document, overrides)
    return validate(document, Scenario)


def parse_override(text: str) -> Override:
    """Turn a command-line `dotted.path=value` into an override; the value is read as YAML."""
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise _error(Location(f"{OVERRIDE_SOURCE} {text}"), "", "expected dotted.path=value")
    try:
        parsed = yaml.safe_load(value) if value.strip() else None
    except yaml.YAMLError:
        raise _error(Location(f"{OVERRIDE_SOURCE} {text}"), path,
                     f"cannot read value {value!r} as YAML") from None
    return path.strip(), parsed


def apply_overrides(document: Document, overrides: Iterable[Override],
                    where: Mapping[str, Location] | None = None) -> list[Override]:
    """Set each dotted path in the document's data, in order; returns what was applied.

    `where` gives the location of each override (a line of an experiment file);
    without it, overrides are attributed to the command line's `--set`.
    """
    overrides = list(overrides)
    conflicts = _conflicts(overrides, where or {})
    if conflicts:
        raise ScenarioError(conflicts)
    applied, problems = [], []
    for dotted_path, value in overrides:
        origin = (where or {}).get(dotted_path, Location(OVERRIDE_SOURCE))
        # a path that does not resolve is reported with the whole of it
        unresolved = (where or {}).get(dotted_path, Location(f"{OVERRIDE_SOURCE} {dotted_path}"))
        try:
            path = _set(document, dotted_path.split("."), value, origin, unresolved)
        except ScenarioError as error:
            problems.extend(error.problems)
            continue
        _relocate(document, path, origin)
        applied.append((dotted_path, value))
    if problems:
        raise ScenarioError(problems)
    return applied


def _conflicts(overrides: list[Override], where: Mapping[str, Location]) -> list[Problem]:
    """Two overrides of one value, or of a value and a part of it: which should win is unclear."""
    problems = []
    paths = [path for path, _ in overrides]
    for position, path in enumerate(paths):
        for earlier in paths[:position]:
            if path == earlier or path.startswith(earlier + ".") or earlier.startswith(path + "."):
                origin = where.get(path, Location(f"{OVERRIDE_SOURCE} {path}"))
                reason = "is set twice" if path == earlier else f"conflicts with {earlier!r}"
                problems.append(Problem(origin, path, f"{reason}: give each value once"))
    return problems


def _set(document: Document, parts: list[str], value: Any, origin: Location,
         unresolved: Location) -> Path_:
    node, path = document.data, ()
    for position, part in enumerate(parts):
        key = _resolve(node, part, path, document, unresolved)
        path = (*path, key)
        if position == len(parts) - 1:
            node[key] = copy_data(value)
        elif isinstance(node, dict) and key not in node:
            node[key] = {}
            document.locations[path] = origin
        node = node[key]
    return path


def validate(document: Document, model: type[pydantic.BaseModel]) -> Any:
    """Validate the document's data against `model`, or raise every problem at once."""
    try:
        return model.model_validate(document.data)
    except pydantic.ValidationError as error:
        raise ScenarioError(_problems(error, document, model)) from None


def dotted(data: Any, path: Path_) -> str:
    """A path as users write it: list items named by their `id` where they have one."""
    parts, node = [], data
    for part in path:
        child = _child(node, part)
        if isinstance(part, int) and isinstance(child, dict) and isinstance(child.get("id"), str):
            parts.append(child["id"])
        else:
            parts.append(str(part))
        node = child
    return ".".join(parts)


# --- overrides ------------------------------------------------------------------------------


def _resolve(node: Any, part: str, path: Path_, document: Document, origin: Location) -> Any:
    if isinstance(node, dict):
        return part
    where = dotted(document.data, path)
    if isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, dict) and item.get("id") == part:
                return index
        if part.isdigit() and int(part) < len(node):
            return int(part)
        ids = [item["id"] for item in node if isinstance(item, dict) and "id" in item]
        known = ", ".join(map(str, ids)) or f"indices 0-{len(node) - 1}"
        raise _error(origin, where, f"no item {part!r} (expected one of: {known})")
    raise _error(origin, where, f"is a value, not a mapping, so it has no {part!r}")


def _relocate(document: Document, path: Path_, origin: Location) -> None:
    """Point the overridden value, and everything under it, at the override."""
    for known in [known for known in document.locations if known[: len(path)] == path]:
        del document.locations[known]
    document.locations[path] = origin


def _error(location: Location, path: str, message: str) -> ScenarioError:
    return ScenarioError([Problem(location, path, message)])


def copy_data(value: Any) -> Any:
    """A deep copy of plain data (mappings, lists, scalars), so the caller's is never changed."""
    if isinstance(value, Mapping):
        return {key: copy_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [copy_data(item) for item in value]
    return value


# --- validation errors -----------------------------------------------------------------------


def _problems(error: pydantic.ValidationError, document: Document,
              model: type[pydantic.BaseModel]) -> list[Problem]:
    by_path: dict[Path_, list[str]] = {}
    for item in error.errors():
        if item["type"] == "cross_reference":
            for path, message in item["ctx"]["problems"]:
                by_path.setdefault(tuple(path), []).append(message)
            continue
        path = _data_path(item["loc"], document.data, item["type"])
        message = _message(item, path, model)
        messages = by_path.setdefault(path, [])
        if message not in messages:
            messages.append(message)
    problems = [
        Problem(document.locate(path), dotted(document.data, path), " or ".join(messages))
        for path, messages in by_path.items()
    ]
    return sorted(problems, key=_file_order)


def _file_order(problem: Problem) -> tuple[int, int, str]:
    location = problem.location
    return (location.line or 0, location.column or 0, problem.path)


def _data_path(loc: tuple[Any, ...], data: Any, error_type: str) -> Path_:
    """Drop the parts of a pydantic location that are not in the data (union member tags)."""
    path: list[str | int] = []
    node = data
    for position, part in enumerate(loc):
        child = _child(node, part)
        if child is not _ABSENT:
            path.append(part)
            node = child
        elif error_type == "missing" and position == len(loc) - 1:
            path.append(part)
    return tuple(path)


_ABSENT = object()


def _child(node: Any, part: Any) -> Any:
    if isinstance(node, dict) and part in node:
        return node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return _ABSENT


def _message(item: Mapping[str, Any], path: Path_, model: type[pydantic.BaseModel]) -> str:
    kind = item["type"]
    if kind == "extra_forbidden":
        allowed = _fields_at(model, path[:-1])
        key = str(path[-1]) if path else "?"
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown key {key!r}{hint} (expected one of: {', '.join(allowed)})"
    if kind == "missing":
        return "required key is missing"
    if kind == "string_pattern_mismatch":
        message = "should be a name: a letter, then letters, digits, '_' or '-'"
    else:
        message = re.sub(r"^(Input|String|List|Value|Dictionary) should", "should", item["msg"])
    value = item.get("input")
    if isinstance(value, (str, int, float, bool)) or value is None:
        message += f" (got {value!r})"
    return message


def _fields_at(model: Any, path: Path_) -> list[str]:
    """Names of the keys allowed at `path`, found by walking the schema's annotations."""
    current: Any = model
    for part in path:
        current = _model_in(current)
        if isinstance(part, str) and isinstance(current, type) and issubclass(
            current, pydantic.BaseModel
        ):
            field = current.model_fields.get(part)
            if field is None:
                return []
            current = field.annotation
        else:
            args = typing.get_args(current)
            current = args[-1] if args else None
    current = _model_in(current)
    if isinstance(current, type) and issubclass(current, pydantic.BaseModel):
        return sorted(current.model_fields)
    return []


def _model_in(annotation: Any) -> Any:
    """Unwrap Annotated and unions to the model (or container) they hold."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [_model_in(member) for member in typing.get_args(annotation)]
        containers = [m for m in members if typing.get_origin(m) in (list, dict)
                      or (isinstance(m, type) and issubclass(m, pydantic.BaseModel))]
        return containers[0] if containers else annotation
    return annotation
