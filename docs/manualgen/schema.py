"""A tree of pydantic models as reference tables: one section per model, one
row per key with its type, default, constraints and description.

Descriptions are the fields' attribute docstrings (the string literal under a
field, as Sphinx and mkdocstrings read them) or ``Field(description=...)``;
a model's own docstring introduces its section. The scenario's people's units
(durations, times of day, schedules) are recognised by the validators of
their annotated types, so a field typed ``DurationS`` reads "duration"."""

from __future__ import annotations

import ast
import enum
import inspect
import re
import textwrap
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePath
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import AwareDatetime, BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined


@dataclass(frozen=True)
class Unit:
    """A people's unit a field is written in: its name and how a default reads."""

    name: str
    show: Callable[[Any], str]


@dataclass
class Section:
    """One model of the tree and the YAML paths where it appears."""

    model: type[BaseModel]
    paths: list[str] = field(default_factory=list)


def attribute_docstrings(model: type[BaseModel]) -> dict[str, str]:
    """``{field: docstring}`` for the string literals that follow fields in the
    class bodies of ``model`` and its bases (a subclass's own wins)."""
    docs: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or cls is BaseModel:
            continue
        try:
            source = textwrap.dedent(inspect.getsource(cls))
        except (OSError, TypeError):
            continue
        body = ast.parse(source).body[0]
        assert isinstance(body, ast.ClassDef)
        for stmt, following in zip(body.body, body.body[1:], strict=False):
            if (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                docs[stmt.target.id] = inspect.cleandoc(following.value.value)
    return docs


def own_docstring(model: type) -> str:
    """The class's own docstring (not a base class's), cleaned; empty if none."""
    doc = model.__dict__.get("__doc__")
    return inspect.cleandoc(doc) if isinstance(doc, str) else ""


def _models_in(annotation: object) -> Iterator[tuple[type[BaseModel], str]]:
    """Models inside ``annotation`` with the YAML suffix of their place:
    ``""`` (a value), ``"[]"`` (list items) or ``".<name>"`` (mapping values)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation, ""
        return
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        yield from _models_in(args[0])
    elif origin in (tuple, list, frozenset, set):
        for model, suffix in _models_in(args[0] if args else None):
            yield model, "[]" + suffix
    elif origin is dict:
        for model, suffix in _models_in(args[1]):
            yield model, f".<{_key_word(args[0])}>" + suffix
    else:
        for arg in args:
            yield from _models_in(arg)


def sections(root: type[BaseModel]) -> list[Section]:
    """Every model reachable from ``root``, depth first, each once, with the
    YAML paths where it appears (``""`` for the root)."""
    found: dict[type[BaseModel], Section] = {}

    def visit(model: type[BaseModel], path: str) -> None:
        if model in found:
            found[model].paths.append(path)
            return
        found[model] = Section(model, [path])
        for name, info in model.model_fields.items():
            key = info.alias or name
            for child, suffix in _models_in(info.annotation):
                visit(child, f"{path}.{key}{suffix}" if path else f"{key}{suffix}")

    visit(root, "")
    return list(found.values())


def anchor(model: type[BaseModel]) -> str:
    return "schema-" + model.__name__.lstrip("_").lower()


class Renderer:
    """Markdown for a tree of models, with ``units`` keyed by the validator
    objects of annotated types (``get_args(DurationS)[1]``)."""

    def __init__(self, units: dict[int, Unit]) -> None:
        self._units = units

    def unit(self, metadata: list[Any]) -> Unit | None:
        for item in metadata:
            if id(item) in self._units:
                return self._units[id(item)]
        return None

    def type_text(self, annotation: object, metadata: list[Any]) -> str:
        """``annotation`` in words, with its constraints."""
        unit = self.unit(metadata)
        text = unit.name if unit else self._bare(annotation)
        limits = _constraints(metadata)
        return f"{text} ({', '.join(limits)})" if limits else text

    def _bare(self, annotation: object) -> str:
        origin, args = get_origin(annotation), get_args(annotation)
        if origin is Annotated:
            return self.type_text(args[0], list(_flat_metadata(args[1:])))
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return f"[{annotation.__name__.lstrip('_')}](#{anchor(annotation)})"
        if origin is Literal:
            return " or ".join(f"`{a}`" for a in args)
        if origin in (Union, types.UnionType):
            members = [a for a in args if a is not type(None)]
            return " or ".join(self._bare(a) for a in members)
        if origin in (tuple, list, frozenset, set):
            return f"list of {self._bare(args[0])}" if args else "list"
        if origin is dict:
            return f"mapping of {_key_word(args[0])} to {self._bare(args[1])}"
        if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            return " or ".join(f"`{m.value}`" for m in annotation)
        names: dict[object, str] = {
            str: "text",
            int: "integer",
            float: "number",
            bool: "`true` or `false`",
            AwareDatetime: "time (RFC 3339 with a UTC offset)",
            datetime: "time (RFC 3339)",
        }
        if annotation in names:
            return names[annotation]
        if isinstance(annotation, type) and issubclass(annotation, PurePath):
            return "path"
        return getattr(annotation, "__name__", str(annotation))

    def default_text(self, info: FieldInfo) -> str:
        if info.default is PydanticUndefined and info.default_factory is None:
            return "**required**"
        value = info.get_default(call_default_factory=True)
        if value is None or (isinstance(value, tuple | list | dict) and not value):
            return "optional"
        unit = self.unit(info.metadata) or self._optional_unit(info.annotation)
        if unit is not None:
            return f"`{unit.show(value)}`"
        if isinstance(value, BaseModel):
            return "its keys' defaults"
        if isinstance(value, bool):
            return f"`{str(value).lower()}`"
        if isinstance(value, float) and value.is_integer():
            return f"`{int(value)}`"
        if isinstance(value, enum.Enum):
            return f"`{value.value}`"
        return f"`{value}`"

    def _optional_unit(self, annotation: object) -> Unit | None:
        """The unit of ``X | None`` where ``X`` is an annotated type with a unit."""
        if get_origin(annotation) not in (Union, types.UnionType):
            return None
        for arg in get_args(annotation):
            if get_origin(arg) is Annotated:
                unit = self.unit(list(_flat_metadata(get_args(arg)[1:])))
                if unit is not None:
                    return unit
        return None

    def render(
        self, root: type[BaseModel], *, heading: str = "###", docstrings: bool = True
    ) -> str:
        """One section per model: a heading, the YAML paths where it appears,
        its docstring (unless ``docstrings`` is false), and a table of its keys."""
        out: list[str] = []
        found = sections(root)
        for section in found:
            model = section.model
            title = model.__name__.lstrip("_")
            where = ", ".join(f"`{p}`" for p in section.paths if p)
            if len(found) > 1:
                out.append(f"{heading} {title} {{#{anchor(model)}}}\n")
            if any(section.paths):
                out.append(f"At {where}.\n")
            doc = own_docstring(model) if docstrings else ""
            if doc:
                out.append(_one_paragraph(doc) + "\n")
            out.append("| key | type | default | meaning |\n|---|---|---|---|")
            docs = attribute_docstrings(model)
            for name, info in model.model_fields.items():
                key = info.alias or name
                meaning = docs.get(name) or info.description or ""
                cells = [
                    f"`{key}`",
                    self.type_text(info.annotation, info.metadata),
                    self.default_text(info),
                    _one_paragraph(meaning),
                ]
                out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
            out.append("")
        return "\n".join(out)


def _key_word(key_type: object) -> str:
    """What the keys of a mapping are: names (ids), or dates written ``2027-01-01``."""
    return "date" if key_type is date else "name"


def _flat_metadata(items: tuple[Any, ...]) -> Iterator[Any]:
    """Annotated metadata with ``Field(...)`` objects opened into their constraints."""
    for item in items:
        if isinstance(item, FieldInfo):
            yield from item.metadata
        else:
            yield item


def _constraints(metadata: list[Any]) -> list[str]:
    words: list[str] = []
    for item in metadata:
        if isinstance(item, annotated_types.Ge):
            words.append(f"≥ {item.ge:g}" if isinstance(item.ge, float) else f"≥ {item.ge}")
        elif isinstance(item, annotated_types.Gt):
            words.append(f"> {item.gt:g}" if isinstance(item.gt, float) else f"> {item.gt}")
        elif isinstance(item, annotated_types.Le):
            words.append(f"≤ {item.le:g}" if isinstance(item.le, float) else f"≤ {item.le}")
        elif isinstance(item, annotated_types.Lt):
            words.append(f"< {item.lt:g}" if isinstance(item.lt, float) else f"< {item.lt}")
        elif isinstance(item, annotated_types.MinLen) and item.min_length:
            words.append("not empty")
        elif isinstance(item, annotated_types.MaxLen):
            words.append(f"at most {item.max_length}")
        elif getattr(item, "pattern", None):
            words.append(f"matching `{item.pattern}`")
    return words


def _one_paragraph(text: str) -> str:
    """Docstring text on one line (a table cell), reST literals and roles as Markdown code."""
    text = re.sub(r":\w+:`~?([^`]+)`", r"`\1`", text)
    return re.sub(r"``([^`]+)``", r"`\1`", " ".join(text.split()))


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
