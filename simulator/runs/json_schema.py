"""JSON Schema documents of scenario and experiment files, for editors and other tools.

Both are generated from the pydantic models, so no field, default or range is written
twice. On top of what pydantic says, each document names its dialect and a stable `$id`,
each numeric field's description ends with its range (editors show descriptions on
hover, not `minimum`), and a mapping keyed by names constrains its keys, so that a
misspelt key is flagged instead of accepted. What only the loader can check (references
between parts, duplicate ids, sums, overrides) stays out: `simulator validate` does it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_ID = "https://simulator.example/schemas/"
"""Under the reserved `.example` domain: a stable name that is nobody's web page."""
SCENARIO_ID = BASE_ID + "scenario.json"
EXPERIMENT_ID = BASE_ID + "experiment.json"
EXPLORATION_ID = BASE_ID + "exploration.json"
BOUNDS = (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="),
          ("exclusiveMaximum", "<"))


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files, as `simulator schema` prints it."""
    from simulator.model.schema import Scenario

    return _document(Scenario, SCENARIO_ID)


def experiment_schema() -> dict[str, Any]:
    """The JSON Schema of experiment files, as `simulator schema --experiment` prints it.

    Two of the experiment's own checks can be said in JSON Schema and are added to what
    pydantic generates: the primary metric is one of the KPIs, and a file that leaves
    `baseline` to its default has a variant of that name. The variants' overrides are
    checked against the scenario by the loader only.
    """
    from simulator.model.metrics import KPI_NAMES
    from simulator.runs.experiment import Experiment

    document = _document(Experiment, EXPERIMENT_ID)
    properties = document["properties"]
    properties["primary_metric"]["enum"] = list(KPI_NAMES)
    default_baseline = properties["baseline"]["default"]
    document["if"] = {"required": ["variants"], "properties": {"variants": {
        "minProperties": 1, "not": {"required": [default_baseline]}}}}
    document["then"] = {"required": ["baseline"]}
    return document


def exploration_schema() -> dict[str, Any]:
    """The JSON Schema of exploration files, as `simulator schema --exploration` prints it;
    its outcomes and satisficing criteria are KPIs. The paths of its uncertainties and
    policies are checked against the scenario by the loader only."""
    from simulator.model.metrics import KPI_NAMES
    from simulator.runs.exploration import Exploration

    document = _document(Exploration, EXPLORATION_ID)
    properties = document["properties"]
    properties["outcomes"]["items"]["enum"] = list(KPI_NAMES)
    properties["satisficing"]["propertyNames"] = {"enum": list(KPI_NAMES)}
    return document


class _Generator(GenerateJsonSchema):
    """Pydantic's generator, with the keys of name-keyed mappings held to their pattern.

    Pydantic puts a key pattern in `patternProperties`, which lets any key that misses the
    pattern through with any value; the loader rejects such keys, so the schema does too.
    """

    def dict_schema(self, schema: core_schema.DictSchema) -> JsonSchemaValue:
        json_schema = super().dict_schema(schema)
        patterns = json_schema.pop("patternProperties", None)
        if patterns:
            ((pattern, values),) = patterns.items()
            json_schema["propertyNames"] = {**json_schema.get("propertyNames", {}),
                                            "pattern": pattern}
            json_schema["additionalProperties"] = values
        return json_schema


def _document(model: type[BaseModel], schema_id: str) -> dict[str, Any]:
    schema = model.model_json_schema(schema_generator=_Generator)
    for part in (schema, *schema.get("$defs", {}).values()):
        _tidy(part)
        for field in part.get("properties", {}).values():
            _tidy(field)
            numbers = _numbers(field)
            if "description" in field and numbers is not None:
                field["description"] += f" Range: {_interval(numbers)}."
    return {"$schema": DIALECT, "$id": schema_id, **schema}


def _tidy(part: dict[str, Any]) -> None:
    """A docstring wrapped to the line length reads as one paragraph."""
    if "description" in part:
        part["description"] = " ".join(part["description"].split())


def _numbers(field: dict[str, Any]) -> dict[str, Any] | None:
    """The schema of the numbers a field holds: its own, an `anyOf` or `oneOf` member's (one
    value or one per domain, a value or null, a number or a mapping told apart by its type),
    a pair's (`[low, high]`), or its mapping's values; None for other fields."""
    if field.get("type") in ("number", "integer"):
        return field
    for member in (*field.get("anyOf", []), *field.get("oneOf", []),
                   *field.get("prefixItems", [])):
        numbers = _numbers(member)
        if numbers is not None:
            return numbers
    values = field.get("additionalProperties")
    return _numbers(values) if isinstance(values, dict) else None


def _interval(numbers: dict[str, Any]) -> str:
    """The bounds as an analyst says them: '0 to 1', or '> 0 and <= 365000'."""
    if "minimum" in numbers and "maximum" in numbers:
        text = f"{_number(numbers['minimum'])} to {_number(numbers['maximum'])}"
    else:
        text = " and ".join(f"{sign} {_number(numbers[key])}" for key, sign in BOUNDS
                            if key in numbers) or "any number"
    return text + (", a whole number" if numbers.get("type") == "integer" else "")


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"
