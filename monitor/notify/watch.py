"""The loop that tells ticket holders their turn is near: every
``notify.every``, each hall's waiting tickets (those taken from home whose
holder has not checked in, or all: ``notify.tickets``) are given their ETA
(:class:`monitor.background.etas.Etas`, the simulation the ETA endpoint
shares), and a ticket whose predicted call (the median) is at most
``notify.before`` away gets one "your turn in about N minutes" message.

Never twice: each message is claimed in the :class:`~monitor.notify.ledger.Ledger`
before it is sent and marked after (see there for what a crash in between
does). Never to a ticket no longer waiting: a ticket called, served, given up or
a no-show is skipped, and its state is read again just before the claim (the
simulation may have taken a moment)."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from monitor.background.etas import Etas
from monitor.background.rounds import every
from monitor.core.errors import EtaPending
from monitor.core.etaconfig import NotifyConfig
from monitor.core.monitor import Monitor
from monitor.core.snapshot import TicketNow
from monitor.notify.ledger import FAILED, SENDING, SENT, Ledger, NoteKey
from monitor.notify.notifiers import Notification, Notifier, NotifyFailed

log = logging.getLogger("hallmon.notify")
SOON = "soon"  # the kind of message: "your turn in about N minutes"
RESULTS = ("sent", "resent", "failed", "unconfirmed")


class Notifying:
    """Sends the "your turn soon" messages of ``monitor``'s halls through
    ``notifier``, recorded in ``ledger``, counted by hall and result
    (:data:`RESULTS`: ``unconfirmed`` is a message a crash interrupted, found
    after a restart and not sent again)."""

    def __init__(
        self,
        monitor: Monitor,
        etas: Etas,
        notifier: Notifier,
        ledger: Ledger,
        conf: NotifyConfig,
    ) -> None:
        self.monitor, self.etas, self.notifier, self.ledger = monitor, etas, notifier, ledger
        self.conf = conf
        self.counts: dict[tuple[str, str], int] = {}
        self._reported: set[NoteKey] = set()  # unconfirmed intents already counted
        self._pruned: dict[str, str] = {}  # hall -> the local day its ledger was pruned on

    def _count(self, hall_id: str, result: str) -> None:
        self.counts[(hall_id, result)] = self.counts.get((hall_id, result), 0) + 1

    async def loop(self) -> None:
        await every(self.conf.every, self.check, "notification round failed", log)

    async def check(self, hall_ids: Iterable[str] | None = None) -> int:
        """One round over ``hall_ids`` (default: every hall); returns the
        messages the gateway took."""
        sent = 0
        for hall_id in self.monitor.hall_ids() if hall_ids is None else hall_ids:
            try:
                sent += await self._check_hall(hall_id)
            except EtaPending:
                continue  # still simulating: the next round has it
        return sent

    def _watched(self, t: TicketNow | None) -> bool:
        if t is None or t.state != "waiting":
            return False
        return self.conf.tickets == "all" or (t.remote and t.away)

    async def _check_hall(self, hall_id: str) -> int:
        monitor = self.monitor
        now_s = monitor.now_s(hall_id)
        day = monitor.local_day(hall_id, now_s)
        if self._pruned.get(hall_id) != day:
            # by the hall's own clock (a replayed day keeps its records as long)
            oldest = monitor.local_day(hall_id, now_s - self.conf.keep)
            await asyncio.to_thread(self.ledger.prune, hall_id, oldest)
            self._pruned[hall_id] = day
        known = await asyncio.to_thread(self.ledger.known, hall_id, day)
        resend = self.notifier.idempotent
        candidates: list[TicketNow] = []
        for ticket in monitor.picture(hall_id, now_s).waiting_ids:
            state = known.get((ticket, SOON))
            if state is not None and not (state == SENDING and resend):
                self._unconfirmed(NoteKey(hall_id, day, ticket, SOON), state)
                continue
            t = monitor.ticket(hall_id, ticket)
            if t is not None and self._watched(t):
                candidates.append(t)
        if not candidates:
            return 0
        etas = await self.etas.hall_etas(hall_id)
        if etas is None:
            return 0
        sent = 0
        for t in candidates:
            eta = etas.eta(t.ticket)
            if eta is None or math.isnan(eta.call_median_s):
                continue
            median_s, p90_s = etas.unix_s(eta.call_median_s), etas.unix_s(eta.call_p90_s)
            lead_s = median_s - monitor.now_s(hall_id)
            if lead_s > self.conf.before:
                continue
            if not self._watched(monitor.ticket(hall_id, t.ticket)):
                continue  # called (or gone) while its ETA was simulated
            zone = monitor.zone(hall_id)
            note = Notification(
                key=NoteKey(hall_id, day, t.ticket, SOON),
                hall_name=monitor.hall(hall_id).name,
                service=t.service,
                segment=t.segment,
                remote=t.remote,
                call_median=_rfc3339(median_s, zone),
                call_p90=None if math.isnan(p90_s) else _rfc3339(p90_s, zone),
                minutes=max(1, math.ceil(lead_s / 60)),
            )
            sent += await self._send(note)
        return sent

    def _unconfirmed(self, key: NoteKey, state: str) -> None:
        if state == SENDING and key not in self._reported:
            self._reported.add(key)
            self._count(key.hall, "unconfirmed")
            log.warning(
                "notification %s was being sent when the exporter stopped; not sent again "
                "(the gateway does not drop repeats: notify.webhook.idempotent is false)",
                key.idempotency_key,
            )

    async def _send(self, note: Notification) -> int:
        key, hall_id = note.key, note.key.hall
        attempt = await asyncio.to_thread(
            self.ledger.claim, key, resend_unconfirmed=self.notifier.idempotent
        )
        if attempt == 0:
            return 0
        note = replace(note, attempt=attempt)
        try:
            await self.notifier.send(note)
        except NotifyFailed as exc:
            await asyncio.to_thread(self.ledger.finish, key, FAILED, str(exc))
            self._count(hall_id, "failed")
            log.error("notification %s failed: %s", key.idempotency_key, exc)
            return 0
        await asyncio.to_thread(self.ledger.finish, key, SENT)
        self._count(hall_id, "sent" if attempt == 1 else "resent")
        return 1


def _rfc3339(unix_s: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(unix_s, zone).isoformat(timespec="seconds")
