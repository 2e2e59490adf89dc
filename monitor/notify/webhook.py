"""The HTTP webhook notifier: one JSON POST per message to an operator's SMS or
WeChat gateway (``notify.webhook``), with the message's ``Idempotency-Key``
header, the same on every attempt and after a restart.

A 2xx answer is taken; a connection error, a timeout, a 429 or a 5xx answer is
tried again (``retries`` more times, after 0.5 s, 1 s, 2 s, ...); any other
answer (a 4xx: the gateway refuses the message as it is) fails at once."""

from __future__ import annotations

import asyncio

import httpx

from monitor.core.etaconfig import WebhookConfig
from monitor.notify.notifiers import Notification, NotifyFailed

BACKOFF_S = 0.5


class WebhookNotifier:
    """Posts each :meth:`Notification.payload` to ``conf.url``."""

    def __init__(self, conf: WebhookConfig, transport: httpx.AsyncBaseTransport | None = None):
        self.conf = conf
        self.idempotent = conf.idempotent
        headers = {"User-Agent": "hallmon-notify", **conf.headers}
        if conf.token is not None:
            headers["Authorization"] = f"Bearer {conf.token}"
        self._client = httpx.AsyncClient(
            headers=headers, timeout=conf.timeout, transport=transport, follow_redirects=False
        )

    async def send(self, note: Notification) -> None:
        headers = {"Idempotency-Key": note.key.idempotency_key}
        problem = ""
        for attempt in range(self.conf.retries + 1):
            if attempt:
                await asyncio.sleep(BACKOFF_S * 2 ** (attempt - 1))
            try:
                answer = await self._client.post(
                    self.conf.url, json=note.payload(), headers=headers
                )
            except httpx.HTTPError as exc:  # connection refused, timeout, ...
                problem = f"{type(exc).__name__}: {exc}"
                continue
            if answer.is_success:
                return
            problem = f"HTTP {answer.status_code}: {answer.text[:200]}"
            if answer.status_code != 429 and answer.status_code < 500:
                break  # the gateway refuses this message: trying again will not help
        raise NotifyFailed(f"{self.conf.url}: {problem}")

    async def aclose(self) -> None:
        await self._client.aclose()
