"""Settings applied to a scenario by path, as ``hallsim sweep --set`` and the
what-ifs take them: ``counters[1].count=3,4,5`` parsed (:func:`parse_set`),
applied to the scenario's YAML tree (:func:`apply_path`) and validated like a
loaded file (:func:`apply_sets`). Errors name the path and what is there."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any

from sim.model.scenario import Scenario, ScenarioError, parse_yaml, scenario_from_dict
from sim.model.scenario_io import scenario_to_dict

Scalar = str | int | float | bool
_PIECE = re.compile(r"([^.\[\]=\s]+)((?:\[\d+\])*)")
_LIST_NOUNS = {"counters": "counter group", "kiosks": "kiosk group"}
SET_HINT = "use PATH=V1,V2,... e.g. arrivals.scale=0.8,1.0,1.2 or counters[1].count=3,4,5"


def _path_steps(path: str) -> list[str | int]:
    """``counters[1].count`` as ``["counters", 1, "count"]``."""
    steps: list[str | int] = []
    for piece in path.split("."):
        match = _PIECE.fullmatch(piece)
        if match is None:
            raise ScenarioError(f"{path}: is not a scenario path ({SET_HINT})")
        steps.append(match.group(1))
        steps.extend(int(i) for i in re.findall(r"\[(\d+)\]", match.group(2)))
    return steps


def _path_text(steps: Sequence[str | int]) -> str:
    return "".join(
        f"[{s}]" if isinstance(s, int) else f".{s}" if i else s for i, s in enumerate(steps)
    )


def _only(count: int, steps: Sequence[str | int]) -> str:
    noun = _LIST_NOUNS.get(str(steps[-1]), "item") if len(steps) == 1 else "item"
    if count == 0:
        return f"there are no {noun}s"
    return f"there is only 1 {noun}" if count == 1 else f"there are only {count} {noun}s"


def _kind(node: Any) -> str:
    if isinstance(node, list):
        return f"a list of {len(node)} (index it: [0] to [{len(node) - 1}])"
    return "a mapping" if isinstance(node, dict) else repr(node)


# the result stays open: a scenario's YAML tree, any shape until apply_sets
# validates it, read by key by its callers
def apply_path(data: Mapping[str, object], path: str, value: object) -> dict[str, Any]:
    """A copy of the scenario tree ``data`` with ``value`` at ``path``: dotted keys
    and list indices (``arrivals.scale``, ``counters[1].count``,
    ``segments.vip.share``, ``target.wait``). Every step but the last must exist;
    the last key may be new (a default the source left out). Raises
    :class:`ScenarioError` naming the path; the value is checked only when the
    tree is validated (:func:`apply_sets`)."""
    steps = _path_steps(path)
    out = copy.deepcopy(dict(data))
    node: Any = out
    for k, step in enumerate(steps):
        here, last = _path_text(steps[: k + 1]), k == len(steps) - 1
        parent = _path_text(steps[:k]) or "the scenario"
        if isinstance(step, int):
            if not isinstance(node, list):
                raise ScenarioError(f"{here}: {parent} is {_kind(node)}, not a list")
            if step >= len(node):
                raise ScenarioError(f"{here}: {_only(len(node), steps[:k])}")
        elif not isinstance(node, dict):
            raise ScenarioError(f"{here}: {parent} is {_kind(node)}, not a mapping")
        elif not last and step not in node:
            known = ", ".join(map(str, node)) or "none"
            raise ScenarioError(f"{here}: {parent} has no {step!r} (it has: {known})")
        if last:
            node[step] = value
        else:
            node = node[step]
    return out


def parse_set(text: str) -> tuple[str, list[Scalar]]:
    """``PATH=V1,V2,...`` as ``(path, [values])``, each value a YAML scalar
    (``0.8`` a number, ``15m`` a string); raises :class:`ScenarioError`."""
    path, sep, values = text.partition("=")
    path = path.strip()
    if not sep or not path:
        raise ScenarioError(f"{text!r}: {SET_HINT}")
    _path_steps(path)
    items = [item.strip() for item in values.split(",")]
    if any(not item for item in items):
        raise ScenarioError(f"{path}: {values!r} is not a comma-separated list of values")
    parsed: list[Scalar] = []
    for item in items:
        value = parse_yaml(item, source=path)
        if not isinstance(value, str | int | float | bool):
            raise ScenarioError(f"{path}: {item!r} is not a single number or word")
        if value in parsed:
            raise ScenarioError(f"{path}: {item!r} is given twice")
        parsed.append(value)
    return path, parsed


def apply_sets(scn: Scenario, assignments: Sequence[tuple[str, Any]]) -> Scenario:
    """``scn`` with each ``(path, value)`` applied, validated like a loaded file:
    a bad value raises the usual :class:`ScenarioError` (path and value), each
    line followed by the assignments that caused it."""
    data = scenario_to_dict(scn)
    for path, value in assignments:
        data = apply_path(data, path, value)
    try:
        return scenario_from_dict(data)
    except ScenarioError as exc:
        where = ", ".join(f"{path}={value}" for path, value in assignments)
        lines = [f"{line} (with {where})" for line in str(exc).splitlines()]
        raise ScenarioError("\n".join(lines)) from None
