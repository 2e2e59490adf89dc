"""The Prometheus families of the ticket ETA and the "your turn soon"
notifications: counters by hall and result (never by ticket), read at scrape
time from the counts the ETA service and the notification loop keep."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.metrics_core import CounterMetricFamily, Metric

Counts = Callable[[], dict[tuple[str, str], int]]  # (hall, result) -> since start


class EtaCollector:
    """``hall_eta_requests_total{hall,result}``, ``hall_eta_simulations_total{hall}``
    and, with notifications on (``sent`` given), ``hall_notifications_sent_total{hall,result}``;
    explicit zeros for every hall of ``hall_ids()`` (results ``ok`` and ``sent``)."""

    def __init__(
        self,
        hall_ids: Callable[[], list[str]],
        requests: Counts,
        simulations: Callable[[], dict[str, int]],
        sent: Counts | None,
    ) -> None:
        self._halls = hall_ids
        self._requests, self._simulations, self._sent = requests, simulations, sent

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "hall_eta_requests",
            "Ticket ETA requests by result: ok (a prediction), no_eta (waiting, the model "
            "cannot say), the state of a ticket no longer waiting, not_found, pending and "
            "failed (503).",
            labels=["hall", "result"],
        )
        halls = self._halls()
        zeros = {(hall, "ok"): 0 for hall in halls}
        for (hall, result), n in sorted({**zeros, **self._requests()}.items()):
            requests.add_metric([hall, result], n)
        yield requests
        simulations = CounterMetricFamily(
            "hall_eta_simulations",
            "Simulations of a hall's waiting tickets' call times (one serves every request "
            "and notification of a hall until its state changes).",
            labels=["hall"],
        )
        for hall, n in sorted({**dict.fromkeys(halls, 0), **self._simulations()}.items()):
            simulations.add_metric([hall], n)
        yield simulations
        sent = CounterMetricFamily(
            "hall_notifications_sent",
            "Your-turn-soon messages by result: sent, resent (an unconfirmed one again, to an "
            "idempotent gateway), failed, unconfirmed (a crash interrupted it; not sent again).",
            labels=["hall", "result"],
        )
        # announced always, with samples only while notifications are on
        zeros = {} if self._sent is None else {(hall, "sent"): 0 for hall in halls}
        counts = {} if self._sent is None else self._sent()
        for (hall, result), n in sorted({**zeros, **counts}.items()):
            sent.add_metric([hall, result], n)
        yield sent
