"""A small JSON Schema checker: the subset viewer/openapi.py uses, strictly enforced.

Written for the tests so the project needs no jsonschema dependency. Unknown keywords fail
loudly, so the OpenAPI document cannot drift into features this checker would ignore.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlparse

KNOWN = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "anyOf",
    "$ref",
    "minimum",
    "maximum",
    "format",
    "description",
    "maxLength",
}
TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def errors(
    instance: Any, schema: dict[str, Any], document: dict[str, Any], path: str = "$"
) -> list[str]:
    unknown = set(schema) - KNOWN
    if unknown:
        return [f"{path}: schema uses unsupported keywords {sorted(unknown)}"]
    if "$ref" in schema:
        target: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return errors(instance, target, document, path)
    if "anyOf" in schema:
        options = [errors(instance, option, document, path) for option in schema["anyOf"]]
        if all(options):
            return [f"{path}: matches no option: {[e[0] for e in options]}"]
        return []
    found: list[str] = []
    kind = schema.get("type")
    if kind == "integer":
        if not isinstance(instance, int) or isinstance(instance, bool):
            return [f"{path}: expected integer, got {instance!r}"]
    elif kind is not None:
        if not isinstance(instance, TYPES[kind]) or (
            kind != "boolean" and isinstance(instance, bool)
        ):
            return [f"{path}: expected {kind}, got {instance!r}"]
    if "enum" in schema and instance not in schema["enum"]:
        found.append(f"{path}: {instance!r} not in {schema['enum']}")
    if "minimum" in schema and instance < schema["minimum"]:
        found.append(f"{path}: {instance} < {schema['minimum']}")
    if "maximum" in schema and instance > schema["maximum"]:
        found.append(f"{path}: {instance} > {schema['maximum']}")
    if "maxLength" in schema and len(instance) > schema["maxLength"]:
        found.append(f"{path}: longer than {schema['maxLength']}")
    if schema.get("format") == "date-time":
        try:
            parsed = dt.datetime.fromisoformat(instance)
            if parsed.tzinfo is None:
                found.append(f"{path}: date-time without an offset")
        except ValueError:
            found.append(f"{path}: not a date-time: {instance!r}")
    if schema.get("format") == "uri":
        parsed_url = urlparse(instance)
        if not parsed_url.scheme or not parsed_url.netloc:
            found.append(f"{path}: not an absolute URI: {instance!r}")
    if kind == "object":
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in instance:
                found.append(f"{path}: missing {name!r}")
        for name, value in instance.items():
            if name in properties:
                found += errors(value, properties[name], document, f"{path}.{name}")
            elif schema.get("additionalProperties") is False:
                found.append(f"{path}: unexpected property {name!r}")
    if kind == "array" and "items" in schema:
        for index, item in enumerate(instance):
            found += errors(item, schema["items"], document, f"{path}[{index}]")
    return found


def response_errors(document: dict[str, Any], path: str, status: int, body: Any) -> list[str]:
    """Check `body` against the document's schema for GET `path` answering `status`."""
    operation = document["paths"][path]["get"]
    content = operation["responses"][str(status)]["content"]["application/json"]
    return errors(body, content["schema"], document)
