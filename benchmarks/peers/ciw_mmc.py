"""The benchmark model in Ciw 3.x: one replication, one JSON line on stdout.

M/M/10, Poisson arrivals 540/h, exponential service mean 1 min, two classes (10 % "vip" with
non-preemptive priority over 90 % "regular"), FCFS within class, exponential patience mean
20 min for both classes, no warm-up.

Ciw takes one arrival stream per class, so the 540/h stream is split (Poisson thinning) into
54/h vip and 486/h regular. Time unit: minutes.

    python benchmarks/peers/ciw_mmc.py --hours 370 --seed 1
"""

from __future__ import annotations

import argparse
import json
import time

import ciw

RATE_PER_HOUR = 540.0
VIP_SHARE = 0.1
SERVERS = 10
SERVICE_MEAN_MIN = 1.0
PATIENCE_MEAN_MIN = 20.0


def run(hours: float, seed: int) -> dict[str, object]:
    """Simulate ``hours`` of the model and return the summary figures."""
    t0 = time.perf_counter()
    rate_min = RATE_PER_HOUR / 60.0
    network = ciw.create_network(
        arrival_distributions={
            "vip": [ciw.dists.Exponential(rate=rate_min * VIP_SHARE)],
            "regular": [ciw.dists.Exponential(rate=rate_min * (1.0 - VIP_SHARE))],
        },
        service_distributions={
            "vip": [ciw.dists.Exponential(rate=1.0 / SERVICE_MEAN_MIN)],
            "regular": [ciw.dists.Exponential(rate=1.0 / SERVICE_MEAN_MIN)],
        },
        reneging_time_distributions={
            "vip": [ciw.dists.Exponential(rate=1.0 / PATIENCE_MEAN_MIN)],
            "regular": [ciw.dists.Exponential(rate=1.0 / PATIENCE_MEAN_MIN)],
        },
        # Lower number = higher priority; a plain dict means non-preemptive.
        priority_classes={"vip": 0, "regular": 1},
        number_of_servers=[SERVERS],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(hours * 60.0)

    served = 0
    abandoned = 0
    wait_sum = 0.0
    for rec in sim.get_all_records():
        if rec.record_type == "service":
            served += 1
            wait_sum += rec.waiting_time
        elif rec.record_type == "renege":
            abandoned += 1
    customers = int(sim.nodes[0].number_of_individuals)
    seconds = time.perf_counter() - t0
    return {
        "tool": "ciw",
        "hours": hours,
        "seed": seed,
        "customers": customers,
        "served": served,
        "abandoned": abandoned,
        "wait_mean_s": 60.0 * wait_sum / served if served else None,
        "seconds": round(seconds, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=370.0, help="simulated horizon (hours)")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    args = parser.parse_args()
    print(json.dumps(run(args.hours, args.seed)))


if __name__ == "__main__":
    main()
