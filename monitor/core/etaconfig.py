"""The config of a ticket's ETA (``eta:``) and of the "your turn soon"
notifications (``notify:``), as :mod:`monitor.core.config` reads them. See
:mod:`monitor.background.etas` and :mod:`monitor.notify` for what they do."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.model.fields import DurationS, FrozenModel


class EtaConfig(FrozenModel):
    """How a waiting ticket's call time is predicted: the hall's live state
    simulated forward ``replications`` times (every waiting ticket at once)."""

    replications: Annotated[int, Field(ge=5, le=1000)] = 40
    """Simulated futures per hall and state; the median, 10th and 90th percentile of a
    ticket's call time are read off them."""
    seed: int = 1
    """Seed of the ETA's random streams."""
    max_age: Annotated[DurationS, Field(gt=0.0)] = 30.0
    """A hall's ETAs are simulated again when an event changed the hall or when they are this
    old (waits grow with the clock; not for a hall on ``clock: events``, whose state does not
    age between events); requests in between share one simulation."""
    timeout: Annotated[DurationS, Field(gt=0.0)] = 10.0
    """A request waits at most this long for the simulation, then gets 503 with Retry-After
    (the simulation goes on and serves the next request)."""


class WebhookConfig(FrozenModel):
    """An operator's SMS or WeChat gateway that takes one JSON POST per message."""

    url: Annotated[str, Field(pattern=r"^https?://[^\s]+$")]
    """Where each notification is POSTed (JSON, see the notifications guide)."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Extra headers sent with every POST (e.g. an API key the gateway wants)."""
    token: str | None = None
    """Sent as ``Authorization: Bearer <token>`` when set."""
    timeout: Annotated[DurationS, Field(gt=0.0)] = 5.0
    """Seconds one POST may take."""
    retries: Annotated[int, Field(ge=0, le=10)] = 2
    """POSTs tried again after a connection error, a timeout or a 5xx/429 answer (each with
    the same ``Idempotency-Key``), with a back-off of 0.5 s, 1 s, 2 s, ..."""
    idempotent: bool = False
    """The gateway drops a second POST with an ``Idempotency-Key`` it has seen. Then a
    notification whose sending a crash interrupted is sent again after a restart (the
    gateway keeps it to one); otherwise it is never sent again (at most once)."""


class NotifyConfig(FrozenModel):
    """The "your turn in about N minutes" messages: sent once per ticket, when the
    predicted call time (median) is ``before`` away or less."""

    before: Annotated[DurationS, Field(gt=0.0)] = 600.0
    """Notify when the ticket's predicted call is at most this far ahead."""
    every: Annotated[DurationS, Field(gt=0.0)] = 15.0
    """How often the open halls' waiting tickets are looked at."""
    tickets: Literal["remote", "all"] = "remote"
    """Which tickets are notified: those taken from home (``remote_ticket_issued``) or all."""
    notifier: Literal["log", "webhook"] = "log"
    """``log``: a line in the exporter's log per message; ``webhook``: a POST to ``webhook``."""
    webhook: WebhookConfig | None = None
    """The gateway, for ``notifier: webhook``."""
    keep: Annotated[DurationS, Field(ge=86400.0)] = 90 * 86400.0
    """How long the ledger of sent messages keeps a day's records (at least a day: today's
    are what stops a second message); older days are deleted once a day."""

    @model_validator(mode="after")
    def _webhook_named(self) -> NotifyConfig:
        if self.notifier == "webhook" and self.webhook is None:
            raise ValueError("notifier: webhook needs a webhook: {url: ...}")
        return self
