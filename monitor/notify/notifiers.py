"""Who takes a "your turn soon" message: the :class:`Notifier` interface, the
message (:class:`Notification`, whose :meth:`~Notification.payload` is the JSON
the webhook posts), the :class:`LoggingNotifier` and the :class:`RecordingNotifier`
that tests use. The HTTP webhook for an SMS or WeChat gateway is in
:mod:`monitor.notify.webhook`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

from monitor.notify.ledger import NoteKey

log = logging.getLogger("hallmon.notify")


class NotifyFailed(Exception):
    """A notification the gateway did not take (after the notifier's retries)."""


@dataclass(frozen=True)
class Notification:
    """One message to the holder of ``key.ticket``: its call is predicted at
    ``call_median`` (RFC 3339; nine in ten by ``call_p90``), ``minutes`` from
    the time it was decided (rounded up, at least 1). ``attempt`` is 2 when an
    unconfirmed message is sent again after a restart."""

    key: NoteKey
    hall_name: str
    service: str
    segment: str
    remote: bool
    call_median: str
    call_p90: str | None
    minutes: int
    attempt: int = 1

    @property
    def text(self) -> str:
        return (
            f"{self.hall_name}：您的 {self.key.ticket} 号预计约 {self.minutes} 分钟后叫号，"
            "请及时到厅。"
        )

    @property
    def text_en(self) -> str:
        return (
            f"{self.hall_name}: ticket {self.key.ticket} will be called in about "
            f"{self.minutes} minutes. Please come to the hall."
        )

    def payload(self) -> dict[str, object]:
        """The message as the webhook posts it (documented in the ops guide)."""
        return {
            "kind": self.key.kind,
            "hall": self.key.hall,
            "hall_name": self.hall_name,
            "day": self.key.day,
            "ticket": self.key.ticket,
            "service": self.service,
            "segment": self.segment,
            "remote": self.remote,
            "call_median": self.call_median,
            "call_p90": self.call_p90,
            "minutes": self.minutes,
            "text": self.text,
            "text_en": self.text_en,
            "idempotency_key": self.key.idempotency_key,
            "attempt": self.attempt,
        }


class Notifier(Protocol):
    """Sends one notification; raises :class:`NotifyFailed` when the gateway
    did not take it. ``idempotent``: the gateway drops a repeat of an
    ``idempotency_key`` it has seen, so an unconfirmed message may be resent."""

    idempotent: bool

    async def send(self, note: Notification) -> None: ...

    async def aclose(self) -> None: ...


class LoggingNotifier:
    """Writes each message to the exporter's log (``hallmon.notify``, INFO)."""

    idempotent = False

    async def send(self, note: Notification) -> None:
        log.info(
            "notify hall=%s ticket=%s in %d min: %s",
            note.key.hall,
            note.key.ticket,
            note.minutes,
            note.text_en,
        )

    async def aclose(self) -> None:
        return None


@dataclass
class RecordingNotifier:
    """A test double: keeps every message it is given in ``sent``; with
    ``fail`` set it refuses them (:class:`NotifyFailed`), with ``crash`` set it
    raises that exception instead (a process dying mid-send)."""

    idempotent: bool = False
    sent: list[Notification] = field(default_factory=list)
    fail: bool = False
    crash: BaseException | None = None

    async def send(self, note: Notification) -> None:
        if self.crash is not None:
            raise self.crash
        if self.fail:
            raise NotifyFailed("refused by the test double")
        self.sent.append(note)

    async def aclose(self) -> None:
        return None
