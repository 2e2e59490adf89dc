"""The exporter's HTTP API as reference, rendered from the OpenAPI document
its app serves at ``/openapi.json``: every operation with its parameters,
request body and responses, then every body schema."""

from __future__ import annotations

import re
from typing import Any

Schema = dict[str, Any]


def served_document() -> dict[str, Any]:
    """The OpenAPI document of an exporter built by the public app factory
    (no hall needed: the routes and bodies are the same for every config)."""
    from monitor.core.config import Settings
    from monitor.server.app import create_app

    app = create_app(Settings(halls=()), background=False)
    return app.openapi()


def _words(text: str | None) -> str:
    """Docstring text on one line for a table cell, reST literals as Markdown code."""
    text = re.sub(r":\w+:`~?([^`]+)`", r"`\1`", text or "")
    text = re.sub(r"``([^`]+)``", r"`\1`", text)
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _anchor(name: str) -> str:
    return "body-" + name.lower()


def type_text(schema: Schema, elsewhere: dict[str, str] | None = None) -> str:
    """A JSON schema in words: ``$ref`` as a link to its body, arrays, unions,
    enums; an inline object titled as a key of ``elsewhere`` links there."""
    elsewhere = elsewhere or {}
    if schema.get("title") in elsewhere and "properties" in schema:
        return f"[{schema['title']}]({elsewhere[schema['title']]})"
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{_anchor(name)})"
    if "anyOf" in schema:
        members = [s for s in schema["anyOf"] if s.get("type") != "null"]
        nullable = len(members) < len(schema["anyOf"])
        text = " or ".join(type_text(s, elsewhere) for s in members)
        return f"{text} or null" if nullable else text
    if "enum" in schema:
        return " or ".join(f"`{v}`" for v in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    kind = schema.get("type")
    if kind == "array":
        return f"array of {type_text(schema.get('items', {}), elsewhere)}"
    if kind == "object":
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            return f"object of {type_text(extra, elsewhere)}"
        return schema.get("title", "object") if "properties" in schema else "object"
    words = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}
    text = words.get(str(kind), str(kind) if kind else "any")
    if schema.get("format") == "date-time":
        text += " (RFC 3339)"
    limits = [
        f"{word} {schema[key]}"
        for key, word in (("minimum", "≥"), ("maximum", "≤"), ("exclusiveMinimum", ">"))
        if key in schema
    ]
    if schema.get("minLength"):
        limits.append("not empty")
    return f"{text} ({', '.join(limits)})" if limits else text


def _properties(schema: Schema) -> list[str]:
    required = set(schema.get("required", ()))
    rows = ["| field | type | | meaning |", "|---|---|---|---|"]
    for name, prop in schema.get("properties", {}).items():
        need = "required" if name in required else "optional"
        meaning = _words(prop.get("description"))
        rows.append(f"| `{name}` | {type_text(prop)} | {need} | {meaning} |")
    return [*rows, ""]


def _operation(path: str, method: str, op: dict[str, Any], elsewhere: dict[str, str]) -> list[str]:
    out = [f"### `{method.upper()} {path}`\n"]
    if op.get("description"):
        out.append(" ".join(op["description"].split()) + "\n")
    params = op.get("parameters", [])
    if params:
        out += ["| parameter | in | type | required | meaning |", "|---|---|---|---|---|"]
        for p in params:
            schema = p.get("schema", {})
            need = "yes" if p.get("required") else "no"
            default = f" Default `{schema['default']}`." if "default" in schema else ""
            meaning = _words(p.get("description")) + default
            out.append(f"| `{p['name']}` | {p['in']} | {type_text(schema)} | {need} | {meaning} |")
        out.append("")
    body = op.get("requestBody")
    if body:
        out.append(
            f"**Request body** ({'required' if body.get('required') else 'optional'}): "
            f"{_words(body.get('description'))}\n"
        )
        out += ["| content type | body |", "|---|---|"]
        inline: list[Schema] = []
        for content_type, media in body.get("content", {}).items():
            schema = media.get("schema", {})
            out.append(f"| `{content_type}` | {type_text(schema, elsewhere)} |")
            items = schema.get("items", {})
            documented = items.get("title") in elsewhere or items in inline
            if "properties" in items and not documented:
                inline.append(items)
        out.append("")
        for schema in inline:
            out.append(f"Each {schema.get('title', 'item')}: {_words(schema.get('description'))}\n")
            out += _properties(schema)
    out += ["| status | meaning | body |", "|---|---|---|"]
    for status, response in op.get("responses", {}).items():
        media = response.get("content", {}).values()
        bodies = sorted({type_text(m.get("schema", {})) for m in media})
        headers = ", ".join(f"`{h}`" for h in response.get("headers", {}))
        meaning = _words(response.get("description"))
        if headers:
            meaning += f" Headers: {headers}."
        out.append(f"| {status} | {meaning} | {', '.join(bodies) or '—'} |")
    return [*out, ""]


def reference(document: dict[str, Any], elsewhere: dict[str, str] | None = None) -> str:
    """Markdown for ``document``: its operations grouped by tag, then its bodies.
    Inline schemas titled as a key of ``elsewhere`` link to the page it names
    (the event format has its own reference)."""
    by_tag: dict[str, list[list[str]]] = {}
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            tag = (op.get("tags") or ["other"])[0]
            by_tag.setdefault(tag, []).append(_operation(path, method, op, elsewhere or {}))
    out: list[str] = []
    for tag, operations in by_tag.items():
        out.append(f"## {tag.capitalize()}\n")
        for lines in operations:
            out += lines
    out.append("## Bodies\n")
    for name, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
        out.append(f"### {name} {{#{_anchor(name)}}}\n")
        if schema.get("description"):
            out.append(_words(schema["description"]) + "\n")
        if "properties" in schema:
            out += _properties(schema)
        else:
            out.append(f"{type_text(schema)}\n")
    return "\n".join(out)
