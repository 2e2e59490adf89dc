"""What the call-in advice costs, against the nowcast it follows, in the same run.

From states of the flagship hall short of staff (``hallmon demo``'s cut, three
fifths of each counter group, seed 1, every half hour from 10:00 to 20:00) the exporter's nowcast
(30 replications, the four horizons) runs; for each state it predicts a breach
at 30 minutes (the predictive alert's condition, an objective of 80%) the
call-in advice (:func:`sim.live.callin.call_in`) runs too, as the background
does. Prints JSON: per state the CPU seconds of each, the simulation runs the
advice spent and what it advised; and overall the ratio of the advice's CPU
to the nowcast's, over the states that needed it and over all states (what
the advice adds to a round of nowcasts of halls like these).

    python benchmarks/bench_callin.py [--replications 30]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import time
from pathlib import Path

from monitor.demo.stack import staff_cut
from sim.live.callin import call_in, late_services, needs_call_in
from sim.live.nowcast import nowcast, state_at
from sim.model.calendar import counter_instances
from sim.model.hall import simulate
from sim.model.scenario import load_scenario, read_yaml_file, scenario_from_dict

FLAGSHIP = Path(__file__).parents[1] / "scenarios" / "flagship.yaml"
BUDGET = 0.2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replications", type=int, default=30)
    args = parser.parse_args()
    scn = load_scenario(FLAGSHIP)
    tree = read_yaml_file(FLAGSHIP)
    assert isinstance(tree, dict)
    cut = scenario_from_dict(staff_cut(tree), source="flagship short of staff")
    records = simulate(cut, 1, 0)
    instances = [i for i in counter_instances(cut) if not i.kiosk]
    nowcast(scn, state_at(records, 10 * 3600), replications=2)  # imports and warm caches
    rows, nowcast_s, advice_s = [], 0.0, 0.0
    for half_hour in range(20, 41):
        t = half_hour * 1800.0
        opened = tuple(i.name for i in instances if any(a <= t < b for a, b in i.windows))
        start = dataclasses.replace(state_at(records, t), open_counters=opened)
        began = time.process_time()
        now = nowcast(scn, start, replications=args.replications)
        spent = time.process_time() - began
        nowcast_s += spent
        row: dict[str, object] = {"at": f"{int(t // 3600):02d}:{int(t % 3600) // 60:02d}",
                                   "nowcast_s": round(spent, 3)}  # fmt: skip
        if needs_call_in(now.breach_probability, BUDGET):
            began = time.process_time()
            late = late_services(now.service_breach_probability, BUDGET)
            advice = call_in(scn, start, budget=BUDGET, late=late)
            used = time.process_time() - began
            advice_s += used
            row |= {"advice_s": round(used, 3), "runs": advice.runs,
                    "counters": advice.counters, "group": advice.group}  # fmt: skip
        rows.append(row)
    needed = [r for r in rows if "advice_s" in r]
    needed_nowcast_s = sum(float(str(r["nowcast_s"])) for r in needed)
    print(
        json.dumps(
            {
                "machine": f"{platform.processor() or platform.machine()}, "
                f"Python {platform.python_version()}",
                "states": rows,
                "states_needing_advice": len(needed),
                "advice_over_nowcast_where_needed": round(advice_s / needed_nowcast_s, 2)
                if needed
                else None,
                "advice_over_nowcast_all_states": round(advice_s / nowcast_s, 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
