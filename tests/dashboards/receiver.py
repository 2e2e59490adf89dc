"""A local HTTP server that stands where Alertmanager's receivers would be: it
records every webhook notification (``POST /<receiver>``) and answers the
WeChat Work API the way https://qyapi.weixin.qq.com/cgi-bin/ does
(``GET gettoken`` gives an access token, ``POST message/send`` takes a message),
recording the messages. Threads, on a free port of 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

WECHAT_PREFIX = "/wechat/cgi-bin/"
ACCESS_TOKEN = "test-access-token"


@dataclass(frozen=True)
class Notification:
    """One request Alertmanager sent: the receiver it was for (path), its JSON
    body and when it arrived (``time.monotonic``)."""

    receiver: str
    body: dict[str, Any]
    at: float


@dataclass
class Received:
    """Everything received so far (thread-safe reads through :meth:`snapshot`)."""

    notifications: list[Notification] = field(default_factory=list)
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> list[Notification]:
        with self.lock:
            return list(self.notifications)

    def wait_for(
        self, check: Callable[[list[Notification]], bool], timeout_s: float, what: str
    ) -> list[Notification]:
        """Poll until ``check(notifications)`` holds; AssertionError after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            got = self.snapshot()
            if check(got):
                return got
            if time.monotonic() > deadline:
                lines = [f"  {n.receiver}: {_alert_names(n)}" for n in got]
                raise AssertionError(
                    f"timed out waiting for {what}; received:\n" + "\n".join(lines)
                )
            time.sleep(0.1)


def _alert_names(n: Notification) -> list[str]:
    alerts = n.body.get("alerts", [])
    return [
        f"{a['labels'].get('alertname')}/{a['labels'].get('severity')}/{a['status']}"
        for a in alerts
        if isinstance(a, dict)
    ]


class _Handler(BaseHTTPRequestHandler):
    received: Received  # set per server class

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the tests print what matters

    def _reply(self, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == WECHAT_PREFIX + "gettoken":
            with self.received.lock:
                self.received.token_requests.append(parse_qs(url.query))
            self._reply({"errcode": 0, "errmsg": "ok", "access_token": ACCESS_TOKEN})
            return
        self.send_error(404)

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if url.path.startswith(WECHAT_PREFIX):
            receiver = "wechat:" + url.path.removeprefix(WECHAT_PREFIX)
            body = {"query": parse_qs(url.query), **body}
        else:
            receiver = url.path.strip("/")
        with self.received.lock:
            self.received.notifications.append(Notification(receiver, body, time.monotonic()))
        self._reply({"errcode": 0, "errmsg": "ok"})


@contextmanager
def running_receiver() -> Iterator[tuple[str, Received]]:
    """A receiver on 127.0.0.1; yields its base URL and what it received.
    Webhooks go to ``URL/<receiver name>``, the WeChat API is ``URL/wechat/cgi-bin/``."""
    received = Received()
    handler = type("Handler", (_Handler,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
