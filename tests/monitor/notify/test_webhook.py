"""The webhook notifier: what it posts (the documented payload, the
Idempotency-Key, the configured headers and token), what it tries again and
what it gives up on, against httpx's mock transport and a real local server."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from monitor.core.etaconfig import NotifyConfig, WebhookConfig
from monitor.notify import build_notifier
from monitor.notify.ledger import NoteKey
from monitor.notify.notifiers import LoggingNotifier, Notification, NotifyFailed
from monitor.notify.webhook import WebhookNotifier
from tests.monitor.notify.conftest import Gateway

NOTE = Notification(
    key=NoteKey("flagship", "2026-03-04", "20260304-00181", "soon"),
    hall_name="市中心旗舰营业厅",
    service="business",
    segment="gotone",
    remote=True,
    call_median="2026-03-04T12:41:07+08:00",
    call_p90="2026-03-04T12:47:30+08:00",
    minutes=9,
)
PAYLOAD_KEYS = {
    "kind", "hall", "hall_name", "day", "ticket", "service", "segment", "remote", "call_median",
    "call_p90", "minutes", "text", "text_en", "idempotency_key", "attempt",
}  # fmt: skip


def _send(notifier: WebhookNotifier) -> None:
    async def go() -> None:
        try:
            await notifier.send(NOTE)
        finally:
            await notifier.aclose()

    asyncio.run(go())


def _config(**kw: object) -> WebhookConfig:
    return WebhookConfig.model_validate({"url": "https://gw.example/notify", **kw})


def test_it_posts_the_payload_with_its_key_headers_and_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202)

    conf = _config(headers={"X-Api-Key": "k1"}, token="s3cret")
    _send(WebhookNotifier(conf, transport=httpx.MockTransport(answer)))
    (request,) = seen
    assert request.method == "POST" and str(request.url) == "https://gw.example/notify"
    assert request.headers["Idempotency-Key"] == "hallmon:flagship:2026-03-04:20260304-00181:soon"
    assert request.headers["X-Api-Key"] == "k1"
    assert request.headers["Authorization"] == "Bearer s3cret"
    body = json.loads(request.content)
    assert set(body) == PAYLOAD_KEYS
    assert body["ticket"] == "20260304-00181" and body["minutes"] == 9 and body["attempt"] == 1
    assert "约 9 分钟后叫号" in body["text"] and "about 9 minutes" in body["text_en"]


def test_a_5xx_or_a_dropped_connection_is_tried_again_with_the_same_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("monitor.notify.webhook.BACKOFF_S", 0.0)
    keys: list[str] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["Idempotency-Key"])
        if len(keys) == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(503 if len(keys) == 2 else 200)

    _send(WebhookNotifier(_config(retries=2), transport=httpx.MockTransport(flaky)))
    assert len(keys) == 3 and len(set(keys)) == 1


def test_it_gives_up_after_its_retries_and_at_once_on_a_4xx(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("monitor.notify.webhook.BACKOFF_S", 0.0)
    calls: list[int] = []

    def down(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(502, text="bad gateway")

    with pytest.raises(NotifyFailed, match="HTTP 502: bad gateway"):
        _send(WebhookNotifier(_config(retries=3), transport=httpx.MockTransport(down)))
    assert len(calls) == 4
    calls.clear()

    def refuses(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(400, text="unknown ticket")

    with pytest.raises(NotifyFailed, match="HTTP 400: unknown ticket"):
        _send(WebhookNotifier(_config(retries=3), transport=httpx.MockTransport(refuses)))
    assert len(calls) == 1


def test_a_real_gateway_gets_one_post(gateway: Gateway) -> None:
    url, got = gateway
    conf = NotifyConfig.model_validate({"notifier": "webhook", "webhook": {"url": url}})
    notifier = build_notifier(conf)
    assert isinstance(notifier, WebhookNotifier) and not notifier.idempotent
    _send(notifier)
    ((headers, body),) = got
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == NOTE.payload()


def test_the_config_wants_a_webhook_for_the_webhook_notifier() -> None:
    with pytest.raises(ValueError, match="notifier: webhook needs a webhook"):
        NotifyConfig.model_validate({"notifier": "webhook"})
    assert isinstance(build_notifier(NotifyConfig()), LoggingNotifier)
