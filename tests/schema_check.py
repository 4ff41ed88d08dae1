"""A small JSON Schema checker for the subset pydantic's schemas use (``$ref``, ``anyOf``, ``type``, ``enum``,
``properties``, ``items``, ``additionalProperties``, ``required``, bounds, ``pattern``, ``minLength``): enough to check
a file against ``orchestrator schema NAME`` without a dependency."""

from __future__ import annotations

import re
from typing import Any

TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
                                      "null": (type(None),), "array": (list,), "object": (dict,)}


def problems(value: Any, schema: dict[str, Any], root: dict[str, Any] | None = None, at: str = "$") -> list[str]:
    """What in ``value`` the schema refuses, one line each; empty when it validates."""
    root = root if root is not None else schema
    if "$ref" in schema:
        schema = root["$defs"][schema["$ref"].rsplit("/", 1)[1]] | {k: v for k, v in schema.items() if k != "$ref"}
    if "anyOf" in schema:
        each = [problems(value, option, root, at) for option in schema["anyOf"]]
        return [] if any(not found for found in each) else [f"{at}: matches none of {len(each)} options: {each}"]
    found: list[str] = []
    kind = schema.get("type")
    if kind is not None:
        ok = isinstance(value, TYPES[kind]) and not (kind in ("integer", "number") and isinstance(value, bool))
        if not ok:
            return [f"{at}: {value!r} is not {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{at}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        found.append(f"{at}: {value!r} is not {schema['const']!r}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append(f"{at}: {value!r} does not match {schema['pattern']}")
        if len(value) < schema.get("minLength", 0):
            found.append(f"{at}: shorter than {schema['minLength']}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{at}: {value} < {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{at}: {value} > {schema['maximum']}")
    if isinstance(value, list) and "items" in schema:
        for n, item in enumerate(value):
            found += problems(item, schema["items"], root, f"{at}[{n}]")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        found += [f"{at}: {name} is required" for name in schema.get("required", []) if name not in value]
        for key, item in value.items():
            if key in properties:
                found += problems(item, properties[key], root, f"{at}.{key}")
            elif schema.get("additionalProperties") is False:
                found.append(f"{at}: {key} is not allowed")
            elif isinstance(schema.get("additionalProperties"), dict):
                found += problems(item, schema["additionalProperties"], root, f"{at}.{key}")
    return found


def undescribed(value: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """The keys of an object the schema accepts only as "any other field" (``additionalProperties``), not by name."""
    return sorted(set(value) - set(schema.get("properties", {})))
