"""The "your turn soon" notifications: the loop that decides (:mod:`watch`), the
durable record of what was sent (:mod:`ledger`), and the notifiers that send
(:mod:`notifiers`: log and test double; :mod:`webhook`: an HTTP gateway)."""

from __future__ import annotations

from monitor.core.etaconfig import NotifyConfig
from monitor.notify.notifiers import LoggingNotifier, Notifier
from monitor.notify.webhook import WebhookNotifier


def build_notifier(conf: NotifyConfig) -> Notifier:
    """The notifier ``conf`` names."""
    if conf.notifier == "webhook":
        assert conf.webhook is not None  # the config's validator sees to it
        return WebhookNotifier(conf.webhook)
    return LoggingNotifier()
