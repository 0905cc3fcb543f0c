"""From a file (and overrides) to a validated `Scenario`, or one message with every problem.

Every scenario is made one way: its document (a file read by `read_file`, or plain
data) is copied, overridden and validated by `resolve`, whether it comes from
`load_scenario`, `scenario_from_dict`, a variant of an experiment or a row of a design.
Overrides set values, then scale numbers, in the order given, before validation, in
the plain data read from the file; a path addresses list items by their `id`
(`exercises.maritime_shield.every_days`), or all of them with `*`
(`nations.*.annual_budget`). Validation errors are turned into `Problem`s that name
the file, line and column, the dotted path and what was expected.
"""

from __future__ import annotations

import difflib
import math
import re
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import pydantic
import yaml

from simulator.errors import Location, Problem, ScenarioError, UserError
from simulator.model.schema import Scenario
from simulator.model.yaml_source import Document, Path_, read_document

if TYPE_CHECKING:
    from typing_extensions import TypeForm

Override = tuple[str, Any]
ChangeKind = Literal["set", "scale"]
"""An override sets a value, or scales a number."""
Bounds = tuple[float, float]
"""A closed interval, low to high."""
OVERRIDE_SOURCE = "--set"
SCALE_SOURCE = "scale"
"""Where a scaling given without a location (from Python) is said to come from."""
WILDCARD = "*"
"""In an override's path: every item of the list there."""


def load_scenario(path: str | Path, overrides: Iterable[Override] = ()) -> Scenario:
    """Read, override and validate a scenario file.

    Raises:
        ScenarioError: with every problem found, each located in the file or the override.
        UserError: if the file is an experiment's.
    """
    return resolve(read_file(path, "scenario"), overrides)[0]


def resolve(base: Document, overrides: Iterable[Override] = (),
            where: Mapping[str, Location] | None = None, *,
            scale: Iterable[Override] = (), clip: Mapping[str, Bounds] | None = None
            ) -> tuple[Scenario, list[Override]]:
    """Override a copy of `base` (see `apply_overrides`) and validate it: the scenario, and
    the overrides as applied (each value changed, by path, and its final value). `base`
    is never changed, so one document serves many variants.

    Raises:
        ScenarioError: every override that does not apply and every problem of the
            result, in one message, located by `where` (each override's origin) and by
            the document.
    """
    document = Document(data=copy_data(base.data), source=base.source,
                        locations=dict(base.locations), problems=list(base.problems),
                        left_out=list(base.left_out))
    problems: list[Problem] = []
    applied: list[Override] = []
    try:  # every override that resolves is applied, so validation sees them all
        applied = apply_overrides(document, overrides, where, scale=scale, clip=clip)
    except ScenarioError as error:
        problems.extend(error.problems)
    try:
        scenario = validate(document, Scenario)
    except ScenarioError as error:
        problems.extend(error.problems)
    if problems:
        raise ScenarioError(problems)
    return scenario, applied


FileKind = Literal["scenario", "experiment", "checks", "exploration"]
KINDS: dict[FileKind, tuple[str, str]] = {
    "scenario": ("a scenario", "`simulator run` (in Python: simulator.simulate)"),
    "experiment": ("an experiment", "`simulator compare` (in Python: simulator.run_experiment)"),
    "checks": ("a check", "`simulator check` (in Python: simulator.check)"),
    "exploration": ("an exploration", "`simulator explore` (in Python: simulator.explore)"),
}
"""Each kind of file, as said in a sentence, and what runs it."""


def file_kind(document: Document) -> FileKind | None:
    """What a file is by its telling key: an experiment has `variants`, a file of checks
    `checks`, an exploration `uncertainties`, a scenario `nations`."""
    if "variants" in document.data:
        return "experiment"
    if "uncertainties" in document.data:
        return "exploration"
    if "checks" in document.data:
        return "checks"
    return "scenario" if "nations" in document.data else None


def read_file(path: str | Path, expected: FileKind) -> Document:
    """Read a scenario, an experiment or a checks file, refusing one of another kind in one
    line rather than with a dozen unknown keys.

    Raises:
        ScenarioError: if the file cannot be read as YAML.
        UserError: if it is a file of the other kind, naming the command that takes it.
    """
    document = read_document(path)
    kind = file_kind(document)
    if kind is not None and kind != expected:
        (this, runner), (wanted, _) = KINDS[kind], KINDS[expected]
        raise UserError(f"{document.source}: this is {this} file, not {wanted}: use {runner}")
    return document


def scenario_from_dict(data: Mapping[str, Any], overrides: Iterable[Override] = ()) -> Scenario:
    """Validate a scenario given as plain data (for notebooks, workers and generated designs).

    The fast path for making many scenarios: validating data takes about 0.5 ms for
    `scenarios/baseline.yaml`, against 30 ms for `load_scenario`, most of which is reading
    the YAML (2 cores, Python 3.11). Read the file once, with `yaml.safe_load` or as
    `load_scenario(path).model_dump()`, then give each variant's overrides here.
    """
    return resolve(Document(data=data, source="<scenario>"), overrides)[0]


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
                    where: Mapping[str, Location] | None = None, *,
                    scale: Iterable[Override] = (),
                    clip: Mapping[str, Bounds] | None = None) -> list[Override]:
    """Set each dotted path in the document's data, in order, then multiply each path of
    `scale` by its factor (and hold it within `clip`'s bounds for that path, if any, as an
    exploration's uncertain factor is held within [0, 1]); returns every value changed, by
    its path with list items named, and its final value (what a results manifest records).

    A `*` in a path stands for every item of a list (`nations.*.annual_budget`). A value
    the data leaves out is scaled from the schema's default, the only home of a default.
    Two overrides of one value, or of a value and a part of it, are an error whatever
    their order, since which should win would be unclear; so the order cannot change the
    result. `where` gives the location of each override (a line of an experiment file, a
    row of a design); without it, overrides are attributed to the command line's `--set`.

    Raises:
        ScenarioError: every override that does not resolve or cannot be scaled, after the
            others are applied (so that validation sees them); or every conflict, before any.
    """
    changes, problems = _changes(document, overrides, scale, where or {}, clip or {})
    conflicts = _conflicts(changes)
    if conflicts:
        raise ScenarioError(problems + conflicts)
    applied = []
    for change in changes:
        done, failed = _apply(document, change)
        applied.extend(done)
        problems.extend(_first_of(failed, change))
    if problems:
        raise ScenarioError(problems)
    return applied


def validate(document: Document, model: type[pydantic.BaseModel]) -> Any:
    """Validate the document's data against `model`, or raise every problem at once: those
    met reading the file, the values' own, and the cross-references among the rest."""
    skip = document.left_out
    try:
        validated = model.model_validate(document.data)
        problems = []
    except pydantic.ValidationError as error:
        problems = (_problems(error, document, model, skip)
                    + _cross_references_past(error, document, model, skip))
    if document.problems or problems:
        raise ScenarioError(sorted(document.problems + problems, key=_file_order))
    return validated


def _cross_references_past(error: pydantic.ValidationError, document: Document,
                           model: type[pydantic.BaseModel], skip: list[Path_]) -> list[Problem]:
    """Pydantic checks references across fields only once every value is valid: check them
    again without the values found wrong, so that one message lists both kinds.

    A wrong value is left out (its default takes its place); a required one, missing or
    left out, is stood in for by a valid value (see `STAND_INS`), whose own references are
    not reported. A wrong list item or id cannot be left out: then there is no second
    pass."""
    wrong = [_data_path(item["loc"], document.data, item["type"]) for item in error.errors()
             if item["type"] != "cross_reference"]
    if not wrong:  # pydantic got as far as the references itself
        return []
    rest = copy_data(document.data)
    for path in wrong:
        parent = _parent(rest, path)
        if not isinstance(parent, dict):
            return []
        parent.pop(path[-1], None)
    for _ in range(2):  # once as left out, once more with stand-ins for required values
        try:
            model.model_validate(rest)
            return []
        except pydantic.ValidationError as second:
            remaining = [item for item in second.errors() if item["type"] != "cross_reference"]
            if not remaining:
                return _problems(second, document, model, [*skip, *wrong])
            if not all(item["type"] == "missing" for item in remaining):
                return []
            for item in remaining:
                path = _data_path(item["loc"], rest, "missing")
                stand_in = _stand_in(model, path)
                parent = _parent(rest, path)
                if not _beneath(path, [*skip, *wrong]) or stand_in is _ABSENT or not isinstance(
                        parent, dict):
                    return []
                parent[path[-1]] = stand_in
    return []


STAND_INS: tuple[Any, ...] = (0.5, 1, "x", {})
"""Values tried, in turn, for a required value that is missing or wrong, so that the
references of the rest can still be checked: the first the field accepts stands in. No
list: a list of names (`domains`) is named by other parts, as an id is."""


def _stand_in(model: type[pydantic.BaseModel], path: Path_) -> Any:
    """A value the field at `path` accepts; none for an id, which other parts name (a
    stand-in would make their references look wrong)."""
    field = _field_at(model, path)
    if field is None or field.annotation is None or path[-1] == "id":
        return _ABSENT
    constrained = field.annotation
    if field.metadata:  # a form built at run time, which mypy cannot follow
        constrained = cast("TypeForm[Any]", typing.Annotated[field.annotation, *field.metadata])
    adapter = pydantic.TypeAdapter(constrained)
    for candidate in STAND_INS:
        try:
            adapter.validate_python(candidate)
        except pydantic.ValidationError:
            continue
        return copy_data(candidate)
    return _ABSENT


def _parent(data: Any, path: Path_) -> Any:
    node = data
    for part in path[:-1]:
        node = _child(node, part)
    return node if path else None


def _beneath(path: Path_, roots: list[Path_]) -> bool:
    return any(path[: len(root)] == root for root in roots)


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


def _changes(document: Document, overrides: Iterable[Override], scale: Iterable[Override],
             where: Mapping[str, Location], clip: Mapping[str, Bounds]
             ) -> tuple[list[_Change], list[Problem]]:
    """Each override with the concrete paths it names; and those that name none."""
    changes, problems = [], []
    kinds: list[tuple[ChangeKind, Iterable[Override]]] = [("set", overrides), ("scale", scale)]
    for kind, pairs in kinds:
        for dotted_path, value in pairs:
            origin = where.get(dotted_path, Location(OVERRIDE_SOURCE if kind == "set"
                                                     else SCALE_SOURCE))
            # a path that does not resolve is reported with the whole of it: its line in a
            # file, or the path beside where it came from (`--set exercises.nope.cost`)
            unresolved = origin if origin.line else Location(f"{origin.source} {dotted_path}")
            change = _Change(kind, dotted_path, value, origin, unresolved,
                             clip.get(dotted_path) if kind == "scale" else None)
            try:
                if kind == "scale" and not _is_number(value):
                    raise _error(origin, dotted_path,
                                 f"the factor should be a finite number (got {value!r})")
                change.paths = _expand(document, change)
            except ScenarioError as error:
                problems.extend(error.problems)
                continue
            changes.append(change)
    return changes, problems


def _apply(document: Document, change: _Change) -> tuple[list[Override], list[Problem]]:
    """Set or scale every value a change names; what it changed, and what it could not."""
    applied, problems = [], []
    for path in change.paths:
        try:
            if change.kind == "scale":
                value = _scale(document, path, change)
            else:
                value = _set(document, path, copy_data(change.value), change.origin)
        except ScenarioError as error:
            problems.extend(error.problems)
            continue
        applied.append((dotted(document.data, path), copy_data(value)))
    return applied, problems


@dataclass
class _Change:
    """One override as given, and the concrete paths (list items by index) it names."""

    kind: ChangeKind
    dotted_path: str
    value: Any
    origin: Location
    """Where the override was given: the location of the values it sets."""
    unresolved: Location
    """The same, naming the whole path: for problems that name only the part resolved."""
    clip: Bounds | None = None
    """The bounds a scaled value is held within."""
    paths: list[Path_] = field(default_factory=list)


def _conflicts(changes: list[_Change]) -> list[Problem]:
    """Two overrides of one value, or of a value and a part of it: which should win is unclear."""
    problems = []
    for position, change in enumerate(changes):
        for earlier in changes[:position]:
            same_value = _overlap(change.paths, earlier.paths)
            if same_value is None:
                continue
            if change.dotted_path != earlier.dotted_path:
                reason = f"conflicts with {earlier.dotted_path!r}"
            elif change.kind != earlier.kind:
                reason = "is set and scaled at once"
            else:
                reason = "is set twice" if change.kind == "set" else "is scaled twice"
            problems.append(Problem(change.unresolved, change.dotted_path,
                                    f"{reason}: give each value once"))
    return problems


def _overlap(paths: list[Path_], others: list[Path_]) -> bool | None:
    """None if no path is another's or a part of another's; else whether one is the same."""
    named = set(others)
    parts = {other[:end] for other in others for end in range(1, len(other))}
    overlap = None
    for path in paths:
        if path in named:
            return True
        if path in parts or any(path[:end] in named for end in range(1, len(path))):
            overlap = False
    return overlap


def _set(document: Document, path: Path_, value: Any, origin: Location) -> Any:
    """Put `value` at `path`, creating the mappings on the way that the data leaves out, and
    locate it at the override."""
    node = document.data
    for depth, key in enumerate(path[:-1]):
        if isinstance(node, dict) and key not in node:
            node[key] = {}
            document.locations[path[: depth + 1]] = origin
        node = node[key]
    replaced = _child(node, path[-1])
    node[path[-1]] = value
    if isinstance(replaced, (dict, list)):  # only a part of the file has parts located
        _relocate(document, path, origin)
    document.locations[path] = origin
    return value


def _scale(document: Document, path: Path_, change: _Change) -> Any:
    """Multiply the number at `path` (or the schema's default there) by the change's factor."""
    value = _current(document.data, path)
    where = dotted(document.data, path)
    if value is _ABSENT:
        allowed = _fields_at(Scenario, path[:-1])
        if allowed and path[-1] not in allowed:
            close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise _error(change.origin, where, f"unknown key {path[-1]!r}{hint} "
                                               f"(expected one of: {', '.join(allowed)})")
        raise _error(change.origin, where, "has no value to scale")
    if isinstance(value, (Mapping, pydantic.BaseModel, list)):
        kind = "a list" if isinstance(value, list) else "a mapping"
        raise _error(change.origin, where, f"is {kind}, not a number, so it cannot be scaled")
    if not _is_number(value):
        raise _error(change.origin, where,
                     f"is not a number, so it cannot be scaled (got {value!r})")
    scaled = value * change.value
    if change.clip is not None:
        low, high = change.clip
        scaled = type(scaled)(min(max(scaled, low), high))  # a bound does not change its type
    if isinstance(value, int) and float(scaled).is_integer():
        scaled = int(scaled)  # a count stays a count where the factor allows
    return _set(document, path, scaled, change.origin)


def counts_at(document: Document, dotted_path: str) -> bool:
    """Whether the schema takes whole numbers at every value a dotted path names (`*` for
    every item of a list): a count, such as trainers or a facility's capacity.

    Raises:
        ScenarioError: if the path names nothing in the document.
    """
    where = Location(f"{document.source} {dotted_path}")
    change = _Change("set", dotted_path, None, where, where)
    return all(_model_in(_annotation_at(Scenario, path)) is int
               for path in _expand(document, change))


def _first_of(problems: list[Problem], change: _Change) -> list[Problem]:
    """The first problem of an override with `*`, counting the rest: one line per item of a
    long list would bury the others."""
    if len(problems) < 2:
        return problems
    first = problems[0]
    rest = len(problems) - 1
    more = (f"; as {'is 1 more value' if rest == 1 else f'are {rest} more values'} that "
            f"{change.dotted_path!r} names")
    return [Problem(first.location, first.path, first.message + more)]


def _is_number(value: Any) -> bool:
    """A finite int or float; `true` is not a number here, though Python says it is 1."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _expand(document: Document, change: _Change) -> list[Path_]:
    """Every concrete path a dotted path names: `*` names each item of a list."""
    paths: list[Path_] = [()]
    for part in change.dotted_path.split("."):
        paths = [(*path, key) for path in paths
                 for key in _keys(document, path, part, change.unresolved)]
    return paths


def _keys(document: Document, path: Path_, part: str, origin: Location) -> list[str | int]:
    """The keys `part` names below `path`: one, or with `*` the index of every item there."""
    node = _node(document.data, path)
    if part != WILDCARD:
        return [_resolve(node, part, path, document, origin)]
    if isinstance(node, list) and node:
        return list(range(len(node)))
    where = dotted(document.data, path)
    if isinstance(node, list) or node is _ABSENT:
        raise _error(origin, where, f"has no items for {WILDCARD!r} to match")
    kind = "a mapping" if isinstance(node, dict) else "a value"
    raise _error(origin, where, f"is {kind}, not a list, so {WILDCARD!r} matches nothing")


def _resolve(node: Any, part: str, path: Path_, document: Document, origin: Location) -> Any:
    if isinstance(node, dict) or node is _ABSENT:  # a key the data leaves out is created
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


def _node(data: Any, path: Path_) -> Any:
    """The data at `path`, or `_ABSENT` where the data leaves it out."""
    for part in path:
        data = _child(data, part)
        if data is _ABSENT:
            break
    return data


def _current(data: Any, path: Path_) -> Any:
    """The value at `path`: the data's, or the schema's default where the data leaves it out."""
    node, annotation = data, Scenario
    for depth, part in enumerate(path):
        child = _child(node, part)
        if child is _ABSENT:
            return _default(annotation, path[depth:])
        node, annotation = child, _inner(annotation, part)
    return node


def _inner(annotation: Any, part: str | int) -> Any:
    """The annotation of a model's field, or of a list's items and a mapping's values."""
    holder = _model_in(annotation)
    if isinstance(holder, type) and issubclass(holder, pydantic.BaseModel):
        field_ = holder.model_fields.get(part) if isinstance(part, str) else None
        return field_.annotation if field_ is not None else None
    args = typing.get_args(holder)
    return args[-1] if args else None


def _default(annotation: Any, path: Path_) -> Any:
    """The schema's default for `path` below a model of type `annotation`, or `_ABSENT`."""
    holder = _model_in(annotation)
    if not (isinstance(holder, type) and issubclass(holder, pydantic.BaseModel)):
        return _ABSENT
    field_ = holder.model_fields.get(path[0]) if isinstance(path[0], str) else None
    if field_ is None or field_.is_required():
        return _ABSENT
    value = field_.get_default(call_default_factory=True)
    for part in path[1:]:  # inside a default: a model, a mapping or a list of its own
        if isinstance(value, pydantic.BaseModel):
            value = getattr(value, part, _ABSENT) if isinstance(part, str) else _ABSENT
        else:
            value = _child(value, part)
        if value is _ABSENT:
            break
    return value


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
              model: type[pydantic.BaseModel], skip: list[Path_]) -> list[Problem]:
    """Each problem of `error` located in the document; none beneath a path of `skip`
    (values left out, whose problem is already said)."""
    by_path: dict[Path_, list[str]] = {}
    for item in error.errors():
        if item["type"] == "cross_reference":
            for path, message in item["ctx"]["problems"]:
                if not _beneath(tuple(path), skip):
                    by_path.setdefault(tuple(path), []).append(message)
            continue
        path = _data_path(item["loc"], document.data, item["type"])
        if _beneath(path, skip):
            continue
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
    current = _model_in(_annotation_at(model, path))
    if isinstance(current, type) and issubclass(current, pydantic.BaseModel):
        return sorted(current.model_fields)
    return []


def _field_at(model: Any, path: Path_) -> Any:
    """The pydantic field at `path` (a key of a model), or None."""
    if not path or not isinstance(path[-1], str):
        return None
    parent = _model_in(_annotation_at(model, path[:-1]))
    if isinstance(parent, type) and issubclass(parent, pydantic.BaseModel):
        return parent.model_fields.get(path[-1])
    return None


def _annotation_at(model: Any, path: Path_) -> Any:
    """The annotation of the value at `path`, found by walking the schema's annotations."""
    current: Any = model
    for part in path:
        current = _model_in(current)
        if isinstance(part, str) and isinstance(current, type) and issubclass(
            current, pydantic.BaseModel
        ):
            field = current.model_fields.get(part)
            if field is None:
                return None
            current = field.annotation
        else:
            args = typing.get_args(current)
            current = args[-1] if args else None
    return current


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
