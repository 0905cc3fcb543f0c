"""Safe YAML loading that remembers where every value came from.

Only PyYAML's safe constructors are used, duplicate keys are rejected instead of
silently keeping the last one, and each value's line and column are kept so that
validation errors can point into the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from simulator.errors import Location, Problem, ScenarioError

MAX_FILE_BYTES = 10 * 1024 * 1024

Path_ = tuple[str | int, ...]


@dataclass
class Document:
    """Plain data from a YAML file, with the location of every key and item."""

    data: Any
    source: str
    locations: dict[Path_, Location] = field(default_factory=dict)

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
        raise _single(source, "file not found") from None
    except IsADirectoryError:
        raise _single(source, "is a directory, expected a YAML file") from None
    except OSError as error:
        raise _single(source, f"cannot be read: {error.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise _single(source, f"is {len(raw):,} bytes; the limit is {MAX_FILE_BYTES:,}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _single(source, f"is not UTF-8 text (byte {error.start})") from None
    return parse_document(text, source)


def parse_document(text: str, source: str) -> Document:
    """Parse YAML text into a `Document`; `source` names it in messages."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise _single(source, "is empty, expected a YAML mapping")
        document = Document(data=None, source=source)
        document.data = _build(node, (), loader, document)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        location = _location(source, mark) if mark else Location(source)
        message = " ".join(part for part in (error.context, error.problem) if part)
        raise ScenarioError([Problem(location, "", f"YAML syntax error: {message}")]) from None
    finally:
        loader.dispose()
    if not isinstance(document.data, dict):
        raise ScenarioError(
            [Problem(document.locate(()), "", "expected a YAML mapping of keys to values")]
        )
    return document


def _build(node: yaml.Node, path: Path_, loader: yaml.SafeLoader, document: Document) -> Any:
    document.locations[path] = _location(document.source, node.start_mark)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)):
                raise _marked(document.source, key_node, "keys must be plain scalars")
            if key in result:
                raise _marked(document.source, key_node, f"duplicate key {key!r}")
            key_path = (*path, key)
            result[key] = _build(value_node, key_path, loader, document)
            document.locations[key_path] = _location(document.source, key_node.start_mark)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, (*path, index), loader, document) for index, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)


def _location(source: str, mark: yaml.Mark) -> Location:
    return Location(source, mark.line + 1, mark.column + 1)


def _marked(source: str, node: yaml.Node, message: str) -> ScenarioError:
    return ScenarioError([Problem(_location(source, node.start_mark), "", message)])


def _single(source: str, message: str) -> ScenarioError:
    return ScenarioError([Problem(Location(source), "", message)])
