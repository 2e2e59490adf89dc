"""The demo's own receiver: it stands where each rung's people would be, so
``hallmon demo`` shows what each rung of the ladder would receive.

Alertmanager (configured by :func:`demo_contacts`) posts every rung's webhook
to ``/webhook/<rung>`` and its WeChat Work messages to ``/wechat/cgi-bin/``
(the token, then ``message/send``), exactly as it would to WeChat Work. The
receiver records every message, prints each new WeChat message (the Chinese
text the template rendered) on the demo's terminal, and lists them all at
``GET /`` (text) and ``GET /messages.json``."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from monitor.ops.alertmanager import RUNGS, Contacts, Rung, WeChat

WECHAT = "/wechat/cgi-bin/"
RUNG_NAMES = {
    "hall_manager": "厅经理 hall manager",
    "district": "区县主管 district",
    "city": "城市运营中心 city",
}


@dataclass(frozen=True)
class Message:
    """One message a rung received: by WeChat Work (``text``) or webhook
    (``alerts``: ``alertname/severity/status`` of each), at wall time ``at``."""

    rung: str
    channel: str
    status: str
    text: str
    alerts: tuple[str, ...]
    at: float


@dataclass
class Inbox:
    """Every message received so far; ``printed`` hears of each new WeChat text."""

    printed: Callable[[str], object]
    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _last: dict[str, str] = field(default_factory=dict)

    def add(self, message: Message) -> None:
        with self.lock:
            self.messages.append(message)
            new = message.channel == "wechat" and self._last.get(message.rung) != message.text
            if new:
                self._last[message.rung] = message.text
        if new:
            lines = message.text.strip().splitlines()
            head = f"hallmon demo: → {RUNG_NAMES.get(message.rung, message.rung)} (WeChat)"
            self.printed("\n".join([head, *(f"    {line}" for line in lines)]))

    def snapshot(self) -> list[Message]:
        with self.lock:
            return list(self.messages)


def _handler(inbox: Inbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # the terminal shows the messages, not the requests

        def _reply(self, body: bytes, kind: str = "application/json") -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path == WECHAT + "gettoken":
                self._reply(
                    b'{"errcode": 0, "errmsg": "ok", "access_token": "demo", "expires_in": 7200}'
                )
            elif path == "/messages.json":
                body = [asdict(m) for m in inbox.snapshot()]
                self._reply(json.dumps(body, ensure_ascii=False).encode())
            elif path == "/":
                self._reply(listing(inbox.snapshot()).encode(), "text/plain; charset=utf-8")
            else:
                self.send_error(404)

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self.send_error(400)
                return
            if path == WECHAT + "message/send":
                text = str(body.get("text", {}).get("content", ""))
                status = "resolved" if text.startswith("【营业厅告警已恢复】") else "firing"
                inbox.add(
                    Message(str(body.get("toparty", "")), "wechat", status, text, (), time.time())
                )
            elif path.startswith("/webhook/"):
                alerts = tuple(
                    f"{a['labels'].get('alertname')}/{a['labels'].get('severity')}/{a['status']}"
                    for a in body.get("alerts", [])
                    if isinstance(a, dict) and isinstance(a.get("labels"), dict)
                )
                rung = path.removeprefix("/webhook/")
                inbox.add(
                    Message(rung, "webhook", str(body.get("status", "")), "", alerts, time.time())
                )
            else:
                self.send_error(404)
                return
            self._reply(b'{"errcode": 0, "errmsg": "ok"}')

    return Handler


def listing(messages: list[Message]) -> str:
    """Every message, oldest first, as people read them."""
    if not messages:
        return "No message yet: the ladder has not been climbed.\n"
    out = []
    for m in messages:
        when = time.strftime("%H:%M:%S", time.localtime(m.at))
        who = RUNG_NAMES.get(m.rung, m.rung)
        body = m.text.strip() if m.channel == "wechat" else ", ".join(m.alerts)
        out.append(f"[{when}] {who} ({m.channel}, {m.status})\n{body}\n")
    return "\n".join(out)


@contextmanager
def running_receiver(printed: Callable[[str], object]) -> Iterator[tuple[str, Inbox]]:
    """The receiver on a free port of 127.0.0.1; yields its URL and inbox."""
    inbox = Inbox(printed)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(inbox))
    thread = threading.Thread(target=server.serve_forever, name="demo-receiver", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", inbox
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def demo_contacts(shipped: Contacts, url: str) -> Contacts:
    """The shipped contacts with every rung reaching the receiver at ``url``:
    its WeChat department is the rung's name, its webhook ``url/webhook/<rung>``
    (the model team's, if shipped: ``url/webhook/model``)."""
    wechat = WeChat(
        api_url=f"{url}{WECHAT}", corp_id="hallmon-demo", api_secret="demo", agent_id="1"
    )
    rungs: dict[str, Rung] = {
        rung: Rung(
            who=shipped.rung(rung).who,
            wechat_to_party=rung,
            webhooks=(f"{url}/webhook/{rung}",),
            repeat=shipped.rung(rung).repeat,
        )
        for rung in RUNGS
    }
    model = None  # the model team, when shipped: the receiver's webhook only
    if shipped.model is not None:
        model = Rung(
            who=shipped.model.who, webhooks=(f"{url}/webhook/model",), repeat=shipped.model.repeat
        )
    return Contacts(wechat=wechat, resolve_timeout=shipped.resolve_timeout, model=model, **rungs)
