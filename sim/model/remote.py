"""KPIs of remote tickets: what taking a ticket before coming did for the
customers who did, a pure function of one replication's records.

Over the remote holders whose ticket was taken in the statistics window:

* ``tickets`` and ``share`` (of the window's counter customers);
* ``served``, and ``no_shows``: tickets called while their holder was not there
  and never served (called before the holder came and given up by the hall's
  rule, or the holder gave up waiting), with ``no_show_rate`` = no_shows / tickets;
* ``early_calls``: tickets a counter reached before their holder had come
  (whatever the rule then did), with ``early_call_rate``;
* waits of the served, from the ticket (``wait_ticket_*``, what the ticket
  system measures) and from arrival at the hall (``wait_hall_*``, what the
  customer spends in the hall);
* ``saved_mean_s``, the time saved at home: how far the ticket's place had
  advanced before its holder came (from the ticket to the earlier of the first
  call and the check-in), the wait in the hall a customer taking a ticket at
  the door would have had on top;
* ``away_mean``: the time-average number of live remote tickets whose holder
  is on the way (from the ticket to the check-in, or to the ticket's end).
"""

from __future__ import annotations

import math

import numpy as np

from sim.model.records import ABANDONED, SERVED, Records

REMOTE_KEYS = (
    "tickets",
    "share",
    "served",
    "no_shows",
    "no_show_rate",
    "early_calls",
    "early_call_rate",
    "wait_ticket_mean_s",
    "wait_ticket_p90_s",
    "wait_hall_mean_s",
    "wait_hall_p90_s",
    "saved_mean_s",
    "away_mean",
)


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else math.nan


def _p90(values: np.ndarray) -> float:
    """The linearly interpolated 90th percentile (``np.quantile``'s default, which
    would load ``numpy.ma`` into the CLI's start-up)."""
    if not len(values):
        return math.nan
    ordered = np.sort(values)
    pos = 0.9 * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return float(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo))


def remote_kpis(r: Records, lo_s: float, hi_s: float) -> dict[str, float]:
    """The remote-ticket KPIs (module docstring) of the counter customers whose
    ticket was taken in ``[lo_s, hi_s)``; ``away_mean`` integrates over that window."""
    assert r.travel_s is not None and r.early_called_s is not None
    counter_cust = ~r.kiosk & (r.arrival_s >= lo_s) & (r.arrival_s < hi_s)
    remote = counter_cust & r.remote
    n, n_all = int(remote.sum()), int(counter_cust.sum())
    ticket_s, hall_s = r.arrival_s[remote], r.hall_s[remote]
    called_s, early_s = r.called_s[remote], r.early_called_s[remote]
    outcome = r.outcome[remote]
    served = outcome == SERVED
    no_shows = int(np.count_nonzero((outcome == ABANDONED) & ~np.isnan(called_s)))
    early_calls = int(np.count_nonzero(~np.isnan(early_s)))
    first_call_s = np.fmin(early_s, called_s)[served]
    saved_s = np.minimum(first_call_s, hall_s[served]) - ticket_s[served]
    wait_ticket_s = (called_s - ticket_s)[served]
    wait_hall_s = (called_s - hall_s)[served]

    # on the way with a live ticket: from the ticket to the check-in or the ticket's end
    every = r.remote & ~r.kiosk
    start_s = r.arrival_s[every]
    end_s = np.fmin(r.hall_s[every], r.left_s[every])
    overlap = np.minimum(end_s, hi_s) - np.maximum(start_s, lo_s)
    away = float(overlap[overlap > 0].sum()) / (hi_s - lo_s)
    return {
        "tickets": float(n),
        "share": n / n_all if n_all else math.nan,
        "served": float(served.sum()),
        "no_shows": float(no_shows),
        "no_show_rate": no_shows / n if n else math.nan,
        "early_calls": float(early_calls),
        "early_call_rate": early_calls / n if n else math.nan,
        "wait_ticket_mean_s": _mean(wait_ticket_s),
        "wait_ticket_p90_s": _p90(wait_ticket_s),
        "wait_hall_mean_s": _mean(wait_hall_s),
        "wait_hall_p90_s": _p90(wait_hall_s),
        "saved_mean_s": _mean(saved_s),
        "away_mean": away,
    }
