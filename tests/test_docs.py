"""The documentation stands on its own: docs/model.md's reference tables are the schema's
and the metric catalogue's as they are now, the parameters its prose names exist, and the
README and docs link only inside the repository, to files and headings that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator.model import reference
from simulator.model.schema import Parameters

from .conftest import ROOT

MODEL = ROOT / "docs" / "model.md"
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
"""A Markdown link's target: [text](target "title")."""


def test_the_model_reference_tables_are_up_to_date():
    stale = reference.stale(MODEL.read_text(encoding="utf-8"))
    if stale:
        pytest.fail(f"docs/model.md: the generated block(s) {', '.join(stale)} are out of "
                    f"date with the schema or the metric catalogue; renew them with "
                    f"`{reference.COMMAND}`", pytrace=False)


def test_renewing_changes_only_the_generated_blocks():
    others = "".join(f"<!-- {name}:begin -->\n<!-- {name}:end -->\n"
                     for name in reference.BLOCKS if name != "parameters")
    text = ("intro\n<!-- parameters:begin -->\nstale rows\n<!-- parameters:end -->\nmiddle\n"
            + others + "outro\n")
    renewed = reference.renew(text)
    assert reference.stale(renewed) == []
    assert reference.renew(renewed) == renewed
    assert renewed.startswith("intro\n<!-- parameters:begin -->\n<!-- Generated from")
    assert "\n<!-- parameters:end -->\nmiddle\n" in renewed and renewed.endswith("outro\n")
    assert "stale rows" not in renewed
    with pytest.raises(ValueError, match="expected one"):
        reference.renew(text.replace("<!-- metrics:end -->", ""))


def test_every_default_in_the_schema_is_in_the_reference():
    """The generator walks the schema; a parameter it missed would be silently undocumented."""
    text = MODEL.read_text(encoding="utf-8")
    leaves = {path for path in reference.parameter_paths()
              if not any(other.startswith(f"{path}.") for other in reference.parameter_paths())}
    missing = sorted(path for path in leaves if f"| `{path}` |" not in text)
    assert not missing, f"parameters without a row in docs/model.md: {missing}"
    assert "| `parameters.exercise.min_success` |" in text  # the check sees the rows


def test_parameters_named_in_the_model_reference_exist():
    """Prose names parameters by dotted path (`parameters.sharing.crisis_difficulty`, or
    within a group, `sharing.crisis_difficulty`), so a renamed one must be renamed there."""
    groups = set(Parameters.model_fields)
    known = reference.parameter_paths()
    unknown = set()
    for name in re.findall(r"`([a-z_]+(?:\.[a-z_]+)+)\.?\*?`", MODEL.read_text(encoding="utf-8")):
        first = name.split(".")[0]
        if first in ("parameters", "disruptions"):
            path = name
        elif first in groups:
            path = f"parameters.{name}"
        else:
            continue
        if path not in known:
            unknown.add(name)
    assert not unknown, f"docs/model.md names parameters the schema lacks: {sorted(unknown)}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_documents_point_nowhere_outside_the_repository(document: Path):
    """A clone holds everything the documents refer to: no sibling folder, no file outside
    the repository, no missing file or heading."""
    text = document.read_text(encoding="utf-8")
    assert "../shared" not in text
    assert "DESIGN.md" not in text, "the model's reference is docs/model.md"
    for target in LINK.findall(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        file, _, anchor = target.partition("#")
        linked = (document.parent / file).resolve() if file else document
        assert linked.is_relative_to(ROOT), f"{document.name}: {target} is outside the repository"
        assert linked.exists(), f"{document.name}: {target} does not exist"
        if anchor and linked.suffix == ".md":
            assert anchor in _anchors(linked), f"{document.name}: no heading for {target}"


def test_the_readme_links_the_model_reference():
    assert "(docs/model.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def _anchors(document: Path) -> set[str]:
    """The anchors GitHub gives a document's headings: lower case, punctuation dropped,
    spaces as hyphens, repeats numbered."""
    anchors: set[str] = set()
    in_code = False
    for line in document.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        heading = re.match(r"#{1,6}\s+(.*)", line)
        if in_code or not heading:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
        anchor, repeat = slug, 0
        while anchor in anchors:
            repeat += 1
            anchor = f"{slug}-{repeat}"
        anchors.add(anchor)
    return anchors
