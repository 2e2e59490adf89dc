"""Where a fitted scenario's patience stops being data.

``hallsim fit`` writes, per segment, ``patience_known_until``: the wait (the
95th percentile of the log's waits to a call) up to which the log showed how
customers give up. A run whose waits for a segment go well past it (95th
percentile over :data:`OVER` times that) predicts abandonment from the fitted
family's tail, which the log never saw; :func:`patience_warnings` says so.
"""

from __future__ import annotations

from collections.abc import Mapping

from sim.model.scenario import Scenario
from sim.model.summary import Stat

OVER = 1.5


def patience_warnings(
    scn: Scenario, by_segment: Mapping[str, Mapping[str, Stat]], where: str = ""
) -> list[str]:
    """One line per segment of ``scn`` with a ``patience_known_until`` whose
    mean 95th-percentile wait in ``by_segment`` (KPIs of a run of ``scn``)
    exceeds :data:`OVER` times it; ``where`` (e.g. a scenario label) heads each."""
    lines = []
    for name, segment in scn.segments.items():
        known = segment.patience_known_until
        stat = by_segment.get(name, {}).get("wait_p95_s")
        p95 = stat.mean if stat is not None else None
        if known is None or p95 is None or not p95 > OVER * known:
            continue
        lines.append(
            f"{where}{name}: waits reach {p95 / 60:.0f} min (95th percentile), past the "
            f"{known / 60:.0f} min the fitted log saw its patience over: abandonment "
            "here comes from the fitted family's tail, a guess"
        )
    return lines
