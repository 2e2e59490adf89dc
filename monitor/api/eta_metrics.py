"""The Prometheus families of the ticket ETA and the "your turn soon"
notifications: counters by hall and result (never by ticket), read at scrape
time from the counts the ETA service and the notification loop keep."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.metrics_core import CounterMetricFamily, Metric

Counts = Callable[[], dict[tuple[str, str], int]]  # (hall, result) -> since start

ETA_RESULTS = ("ok", "no_eta", "called", "served", "no_show", "cancelled", "not_found", "pending")


class EtaCollector:
    """``hall_eta_requests_total{hall,result}``, ``hall_eta_simulations_total{hall}``
    and ``hall_notifications_sent_total{hall,result}``."""

    def __init__(
        self, requests: Counts, simulations: Callable[[], dict[str, int]], sent: Counts
    ) -> None:
        self._requests, self._simulations, self._sent = requests, simulations, sent

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "hall_eta_requests",
            "Ticket ETA requests by result: ok (a prediction), no_eta (waiting, the model "
            "cannot say), the state of a ticket no longer waiting, not_found, pending (503).",
            labels=["hall", "result"],
        )
        for (hall, result), n in sorted(dict(self._requests()).items()):
            requests.add_metric([hall, result], n)
        yield requests
        simulations = CounterMetricFamily(
            "hall_eta_simulations",
            "Simulations of a hall's waiting tickets' call times (one serves every request "
            "and notification of a hall until its state changes).",
            labels=["hall"],
        )
        for hall, n in sorted(dict(self._simulations()).items()):
            simulations.add_metric([hall], n)
        yield simulations
        sent = CounterMetricFamily(
            "hall_notifications_sent",
            "Your-turn-soon messages by result: sent, resent (an unconfirmed one again, to an "
            "idempotent gateway), failed, unconfirmed (a crash interrupted it; not sent again).",
            labels=["hall", "result"],
        )
        for (hall, result), n in sorted(dict(self._sent()).items()):
            sent.add_metric([hall, result], n)
        yield sent
