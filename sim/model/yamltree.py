"""Reading YAML trees into validated models: the parser (YAML 1.2 integers, so
``12:30`` stays a string), the file reader, and the validation whose every
problem becomes one line naming the YAML path and the bad value, with a "did
you mean" for a mistyped key. The scenario, the roster rules and the ops
configuration are all read through it."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ValidationError,
)

from sim.model.errors import InputError


class ScenarioError(InputError):
    """A scenario that cannot be used; the message names the YAML path and value."""


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


_FRIENDLY = {
    "extra_forbidden": "unknown key",
    "missing": "is required",
}


def field_names(model: type[BaseModel]) -> set[str]:
    """Every key a YAML tree of ``model`` may use, at any depth (for "did you mean")."""
    names: set[str] = set()
    todo, seen = [model], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for name, field in current.model_fields.items():
            names.add(field.alias or name)
            todo.extend(_models_in(field.annotation))
    return names


def _models_in(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _models_in(arg)]


def describe_error(error: Mapping[str, Any], known: set[str] | None = None) -> str:
    """One pydantic error as ``path: value reason``; an unknown key is named with
    the closest key of ``known`` when one is close (a typo)."""
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    reason = _FRIENDLY.get(error["type"], str(error["msg"]).removeprefix("Value error, "))
    if error["type"] == "missing":
        return f"{_path(loc)}: {reason}"
    if error["type"] == "extra_forbidden" and loc:
        key = str(loc[-1])
        close = difflib.get_close_matches(key, sorted(known or ()), n=1, cutoff=0.75)
        hint = f", did you mean `{close[0]}`?" if close else ""
        return f"{_path(loc)}: unknown key `{key}`{hint}"
    value = error["input"]
    if isinstance(value, Mapping | list | tuple) and len(repr(value)) > 40:
        return f"{_path(loc)}: {reason}"  # a whole table: the reason names the part
    return f"{_path(loc)}: {value!r} {reason}"


M = TypeVar("M", bound=BaseModel)


def validate_tree(model: type[M], data: object, source: str) -> M:
    """``data`` (a parsed YAML tree) validated as ``model``; every problem becomes
    a line of one :class:`ScenarioError` naming the YAML path and value."""
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{source}: the top level must be a mapping, not {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # a list whose only item failed also reports "too short": noise after the real error
        deeper = [tuple(e["loc"]) for e in errors]
        errors = [
            e
            for e in errors
            if not (
                e["type"] == "too_short"
                and any(
                    len(d) > len(e["loc"]) and d[: len(e["loc"])] == tuple(e["loc"]) for d in deeper
                )
            )
        ]
        known = field_names(model)
        raise ScenarioError("\n".join(describe_error(e, known) for e in errors)) from None


class _YamlLoader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's base-60 integers, so ``12:30`` stays a string."""


_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:int",)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(
        r"^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"
    ),
    list("-+0123456789"),
)


def parse_yaml(text: str, *, source: str) -> object:
    """Parse YAML text; a syntax error becomes a :class:`ScenarioError` with the line."""
    try:
        return yaml.load(text, Loader=_YamlLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{source}:{where}: {problem}") from None


def read_text_file(path: str | Path) -> str:
    """A file's text (UTF-8); an unreadable file becomes a :class:`ScenarioError`
    naming it."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror})") from None


def read_yaml_file(path: str | Path) -> object:
    """The parsed YAML tree of a file; an unreadable file or a syntax error
    becomes a :class:`ScenarioError` naming the file (and line)."""
    return parse_yaml(read_text_file(path), source=str(path))
