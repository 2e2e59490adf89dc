"""The pure-Python floor: the benchmark model as a hand-written ``heapq`` event loop.

Same model as ``ciw_mmc.py`` (M/M/10, 540/h, service mean 1 min, 10 % vip with non-preemptive
priority, FCFS within class, exponential patience mean 20 min, no warm-up). One heap holds
every event as a ``(time, tag)`` pair: ``tag < 0`` is the next arrival, ``tag >= 0`` is a
service completion whose tag is that customer's wait. All variates are drawn with numpy in
blocks. Reneging is lazy: when a server calls the next customer, anyone whose arrival + patience
has already passed is skipped and counted as abandoned (no renege events). Time unit: minutes.

    python benchmarks/peers/heapq_mmc.py --hours 370 --seed 1
"""

from __future__ import annotations

import argparse
import json
import time
from collections import deque
from heapq import heappop, heappush

import numpy as np

RATE_PER_HOUR = 540.0
VIP_SHARE = 0.1
SERVERS = 10
SERVICE_MEAN_MIN = 1.0
PATIENCE_MEAN_MIN = 20.0
BLOCK = 1 << 16


def run(hours: float, seed: int) -> dict[str, object]:
    """Simulate ``hours`` of the model and return the summary figures."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    horizon = hours * 60.0
    gap_mean = 60.0 / RATE_PER_HOUR

    # Per-customer variates, refilled a block at a time: gap to the next arrival, vip flag,
    # service time, patience.
    gaps: list[float] = []
    vips: list[bool] = []
    svcs: list[float] = []
    pats: list[float] = []
    k = BLOCK  # index into the current block; BLOCK forces the first fill

    # Waiting customers: (arrival time, deadline = arrival + patience, service time).
    q_vip: deque[tuple[float, float, float]] = deque()
    q_reg: deque[tuple[float, float, float]] = deque()

    heap: list[tuple[float, float]] = [(rng.exponential(gap_mean), -1.0)]
    free = SERVERS
    customers = served = abandoned = 0
    wait_sum = 0.0

    while heap:
        t, tag = heappop(heap)
        if t > horizon:
            break
        if tag < 0.0:  # arrival
            if k == BLOCK:
                gaps = rng.exponential(gap_mean, BLOCK).tolist()
                vips = (rng.random(BLOCK) < VIP_SHARE).tolist()
                svcs = rng.exponential(SERVICE_MEAN_MIN, BLOCK).tolist()
                pats = rng.exponential(PATIENCE_MEAN_MIN, BLOCK).tolist()
                k = 0
            customers += 1
            if free:
                free -= 1
                heappush(heap, (t + svcs[k], 0.0))
            elif vips[k]:
                q_vip.append((t, t + pats[k], svcs[k]))
            else:
                q_reg.append((t, t + pats[k], svcs[k]))
            heappush(heap, (t + gaps[k], -1.0))
            k += 1
        else:  # service completion: count it, then call the next patient customer
            served += 1
            wait_sum += tag
            while True:
                if q_vip:
                    arr, deadline, svc = q_vip.popleft()
                elif q_reg:
                    arr, deadline, svc = q_reg.popleft()
                else:
                    free += 1
                    break
                if deadline < t:
                    abandoned += 1
                    continue
                heappush(heap, (t + svc, t - arr))
                break

    # Still queued at the horizon: those whose patience ran out before it have abandoned.
    abandoned += sum(1 for q in (q_vip, q_reg) for _, deadline, _ in q if deadline <= horizon)
    seconds = time.perf_counter() - t0
    return {
        "tool": "heapq",
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
