"""A validator for the subset of JSON Schema (draft 2020-12) that `docs/release-notes.schema.json`
uses. The `jsonschema` package is not installable where this suite is built (no network, no
wheel); this covers every keyword the schema holds and refuses any other, so the schema cannot
grow a keyword the tests silently ignore."""

import re
from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "null": (type(None),),
}
_ANNOTATIONS = {"$schema", "$id", "title", "description", "format"}


class SchemaError(AssertionError):
    pass


def validate(instance: Any, schema: dict[str, Any], path: str = "$") -> None:
    for keyword, expected in schema.items():
        if keyword in _ANNOTATIONS or keyword == "properties":
            continue
        _check(keyword, expected, instance, schema, path)
    if isinstance(instance, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, value in instance.items():
            if key in properties:
                validate(value, properties[key], f"{path}.{key}")
            elif extra is False:
                raise SchemaError(f"{path}: unexpected property {key!r}")
            elif isinstance(extra, dict):
                validate(value, extra, f"{path}.{key}")


def _check(keyword: str, expected: Any, instance: Any, schema: dict[str, Any], path: str) -> None:
    if keyword == "type":
        names = expected if isinstance(expected, list) else [expected]
        valid = any(
            isinstance(instance, _TYPES[name]) and not isinstance(instance, bool) for name in names
        )
        if not valid:
            raise SchemaError(f"{path}: {instance!r} is not of type {expected}")
    elif keyword == "required":
        missing = [key for key in expected if key not in instance]
        if missing:
            raise SchemaError(f"{path}: missing {missing}")
    elif keyword == "const" and instance != expected:
        raise SchemaError(f"{path}: {instance!r} is not {expected!r}")
    elif keyword == "enum" and instance not in expected:
        raise SchemaError(f"{path}: {instance!r} is not one of {expected}")
    elif keyword == "pattern" and isinstance(instance, str) and not re.search(expected, instance):
        raise SchemaError(f"{path}: {instance!r} does not match {expected}")
    elif keyword == "minimum" and instance < expected:
        raise SchemaError(f"{path}: {instance} < {expected}")
    elif keyword in {"minItems", "minLength"} and len(instance) < expected:
        raise SchemaError(f"{path}: shorter than {expected}")
    elif keyword == "items":
        for index, item in enumerate(instance):
            validate(item, expected, f"{path}[{index}]")
    elif keyword not in {"const", "enum", "pattern", "minimum", "minItems", "minLength"} | {
        "additionalProperties"
    }:
        raise SchemaError(f"the test validator does not know the keyword {keyword!r}")
