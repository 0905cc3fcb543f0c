"""Safe YAML loading that remembers where every value came from.

Only PyYAML's safe constructors are used, and only plain mappings and lists:
a tag on either (`!!python/object/apply:...`, `!!set`) is rejected rather than
silently dropped. Duplicate keys are rejected instead of silently keeping the
last one (keys written beside a `<<` merge override merged ones, as YAML says),
a recursive alias is an error rather than a crash, and each value's line and
column are kept so that validation errors can point into the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from simulator.errors import Location, Problem, ScenarioError

MAX_FILE_BYTES = 10 * 1024 * 1024
MAP_TAG = "tag:yaml.org,2002:map"
SEQUENCE_TAG = "tag:yaml.org,2002:seq"
MERGE_TAG = "tag:yaml.org,2002:merge"

Path_ = tuple[str | int, ...]


@dataclass
class Document:
    """Plain data from a YAML file, with the location of every key and item."""

    data: Any
    source: str
    locations: dict[Path_, Location] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    """What was wrong in the file but did not stop the reading: a duplicate key, a tag.
    Validation reports them with its own problems, in one message."""
    left_out: list[Path_] = field(default_factory=list)
    """Where a value was left out of `data` for one of those problems (validation says
    nothing more about them)."""

    def locate(self, path: Path_) -> Location:
        """The location of the deepest part of `path` that exists in the file."""
        for end in range(len(path), -1, -1):
            location = self.locations.get(tuple(path[:end]))
            if location is not None:
                return location
        return Location(self.source)


def read_document(path: str | Path) -> Document:
    """Read a YAML file into a `Document`, or raise a `ScenarioError` saying why not."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _single(Location(source), "file not found") from None
    except IsADirectoryError:
        raise _single(Location(source), "is a directory, expected a YAML file") from None
    except OSError as error:
        raise _single(Location(source), f"cannot be read: {error.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise _single(Location(source),
                      f"is {len(raw):,} bytes; the limit is {MAX_FILE_BYTES:,}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise _single(Location(source, line, column),
                      f"is not UTF-8 text (byte {error.start})") from None
    return parse_document(text, source)


def parse_document(text: str, source: str) -> Document:
    """Parse YAML text into a `Document`; `source` names it in messages."""
    loader = yaml.SafeLoader(text)
    document = Document(data=None, source=source)
    try:
        node = loader.get_single_node()
        if node is None:
            raise _single(Location(source), "is empty, expected a YAML mapping")
        document.data = _Builder(loader, document).build(node, ())
        if document.data is _LEFT_OUT:
            raise ScenarioError(document.problems)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        location = _location(source, mark) if mark else Location(source)
        message = " ".join(part for part in (error.context, error.problem) if part)
        raise _single(location, f"YAML syntax error: {message}") from None
    finally:
        loader.dispose()
    if not isinstance(document.data, dict):
        raise ScenarioError([*document.problems, Problem(
            document.locate(()), "", "expected a YAML mapping of keys to values")])
    return document


class _Builder:
    """Turns a composed YAML node tree into plain data, recording locations as it goes."""

    def __init__(self, loader: yaml.SafeLoader, document: Document):
        self.loader = loader
        self.document = document
        self.names: dict[Path_, str] = {}
        self.open: set[int] = set()

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.document.locations.setdefault(path, self._at(node))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if id(node) in self.open:
            return self._leave_out(node, path, "recursive alias: a value that contains itself")
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            # the composer makes only scalars, mappings and sequences
            return self._sequence(cast(yaml.SequenceNode, node), path)
        finally:
            self.open.discard(id(node))

    def _scalar(self, node: yaml.Node, path: Path_) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as error:
            return self._leave_out(node, path, str(error.problem))

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> Any:
        if node.tag != MAP_TAG:
            return self._leave_out(node, path, f"unsupported tag {node.tag!r} on a mapping")
        written = {id(key) for key, _ in node.value if key.tag != MERGE_TAG}
        self.loader.flatten_mapping(node)  # merged pairs first, then the written ones
        result: dict[Any, Any] = {}
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self._leave_out(key_node, path, "keys must be plain scalars")
                continue
            key = self._scalar(key_node, path)
            if key is _LEFT_OUT:
                continue
            key_path = (*path, key)
            if id(key_node) in written:
                if key in seen:  # said, and the first value kept for validation
                    self.document.problems.append(Problem(
                        self._at(key_node), self._dotted(key_path), f"duplicate key {key!r}"))
                    continue
                seen.add(key)
                self.document.locations[key_path] = self._at(key_node)
            value = self.build(value_node, key_path)
            if value is not _LEFT_OUT:
                result[key] = value
            if key == "id" and isinstance(value, str) and path and isinstance(path[-1], int):
                self.names[path] = value
        return result

    def _sequence(self, node: yaml.SequenceNode, path: Path_) -> Any:
        if node.tag != SEQUENCE_TAG:
            return self._leave_out(node, path, f"unsupported tag {node.tag!r} on a list")
        items = [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        return [None if item is _LEFT_OUT else item for item in items]  # positions kept

    def _at(self, node: yaml.Node) -> Location:
        return _location(self.document.source, node.start_mark)

    def _leave_out(self, node: yaml.Node, path: Path_, message: str) -> Any:
        """Record a problem and go on reading without the value, so that one message can
        list it beside every other problem of the file."""
        self.document.problems.append(Problem(self._at(node), self._dotted(path), message))
        self.document.left_out.append(path)
        return _LEFT_OUT

    def _dotted(self, path: Path_) -> str:
        return ".".join(self.names.get(path[: end + 1], str(part))
                        for end, part in enumerate(path))


_LEFT_OUT = object()
"""A value not read because of a problem already recorded."""


def _location(source: str, mark: yaml.Mark) -> Location:
    return Location(source, mark.line + 1, mark.column + 1)


def _single(location: Location, message: str) -> ScenarioError:
    return ScenarioError([Problem(location, "", message)])
