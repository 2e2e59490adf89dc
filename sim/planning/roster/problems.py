"""Why no roster exists, said in slots a planner recognises: the error type and
the listing that folds a problem holding over consecutive slots into one line
(``slots 17:00–21:00: group B needs 7 counters but only 6 people are
available``)."""

from __future__ import annotations

from collections.abc import Sequence

from sim.model.errors import InputError
from sim.model.units import format_clock

SHOWN = 8  # problems listed in one error message


class RosterError(InputError):
    """Rules that no roster can meet; the message names the slots or the rule."""


def span(start_s: float, end_s: float) -> str:
    """``09:00–17:00``."""
    return f"{format_clock(start_s)}–{format_clock(end_s)}"


def counters(n: int) -> str:
    return f"{n} counter{'' if n == 1 else 's'}"


def people_are(n: int) -> str:
    return f"{n} {'person is' if n == 1 else 'people are'}"


def slots_text(slots: Sequence[tuple[float, float]], first: int, last: int) -> str:
    """``slot 09:00–09:30`` or ``slots 09:00–12:00`` for slots ``first..last``."""
    plural = "s" if last > first else ""
    return f"slot{plural} {span(slots[first][0], slots[last][1])}"


def listing(
    head: str,
    slots: Sequence[tuple[float, float]],
    problems: Sequence[tuple[int, str]],
    prefix: str = "",
) -> str:
    """``head`` and one line per problem ``(slot, text)``; a text that holds for a
    run of consecutive slots is listed once for the run (``slots 17:00–21:00``).
    ``prefix`` goes before each slot (a weekday)."""
    return head + "".join(f"\n  {line}" for line in listed(slots, problems, prefix))


def listed(
    slots: Sequence[tuple[float, float]], problems: Sequence[tuple[int, str]], prefix: str = ""
) -> list[str]:
    """The lines of :func:`listing`, at most :data:`SHOWN` and a count of the rest."""
    runs: dict[str, list[list[int]]] = {}
    for k, text in problems:
        spans = runs.setdefault(text, [])
        if spans and spans[-1][1] == k - 1:
            spans[-1][1] = k
        else:
            spans.append([k, k])
    lines = sorted(
        (first, f"{prefix}{slots_text(slots, first, last)}: {text}")
        for text, spans in runs.items()
        for first, last in spans
    )
    more = [f"… and {len(lines) - SHOWN} more"] if len(lines) > SHOWN else []
    return [line for _, line in lines[:SHOWN]] + more
