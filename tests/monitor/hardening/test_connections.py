"""Issue 14, item 4: no client can hold the server, and readers need a token.

Against a real ``hallmon serve`` on 127.0.0.1 with raw sockets: a connection
that sends nothing, half a request or a declared body it never sends is closed
after the configured deadline; oversized headers get 431; idle connections
beyond ``limits.connections`` cannot keep ingest out; the open-file soft limit
is raised to the hard limit. The read
token guards the read API and ``/metrics`` (Bearer or HTTP Basic), and a real
Prometheus scrapes with ``authorization`` in its scrape config."""

from __future__ import annotations

import base64
import json
import resource
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from monitor.core.config import ConfigError, load_settings
from tests.monitor.conftest import ENV, TOKENS, auth, write_config
from tests.monitor.hardening.conftest import client_for, issued, settings_for
from tests.monitor.server import Server, free_port, running_server

LIMITS = "limits: {header_timeout: 1s, body_timeout: 1s, connections: 40}"
READ_TOKEN = "read-token-for-the-dashboards"
READ_ENV = ENV | {"T_READ": READ_TOKEN}
MARGIN_S = 4.0  # a loaded 2-core machine: the deadline plus this, at most


@contextmanager
def _server(tmp_path: Path, extra: str = LIMITS) -> Iterator[Server]:
    config = write_config(tmp_path, extra=extra)
    with running_server(config, READ_ENV, log=tmp_path / "hallmon.log") as server:
        yield server


def _connect(server: Server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.settimeout(1.0 + MARGIN_S + 5)
    return sock


def _closed_after(sock: socket.socket) -> tuple[bytes, float]:
    """What the server sends until it closes the connection, and how long that took."""
    start = time.monotonic()
    received = b""
    while True:
        try:
            chunk = sock.recv(4096)
        except ConnectionResetError:
            break
        if not chunk:
            break
        received += chunk
    return received, time.monotonic() - start


def _post_body(declared: int, sent: bytes) -> bytes:
    head = (
        f"POST /v1/halls/county/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {TOKENS['county']}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    )
    return head.encode() + sent


@pytest.mark.integration
def test_slow_and_silent_clients_are_cut_off(tmp_path: Path) -> None:
    with _server(tmp_path) as server:
        silent, half_line, half_headers, half_body = (_connect(server) for _ in range(4))
        half_line.sendall(b"GET /metr")
        half_headers.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        half_body.sendall(_post_body(10_000, json.dumps([issued(1)]).encode()[:20]))
        cases = {
            "silent": silent,
            "half_line": half_line,
            "half_headers": half_headers,
            "half_body": half_body,
        }
        outcomes = {name: _closed_after(sock) for name, sock in cases.items()}
        for name, (_, took_s) in outcomes.items():
            assert took_s < 1.0 + MARGIN_S, (name, took_s)
        assert outcomes["silent"][0] == b""
        for name in ("half_line", "half_headers", "half_body"):
            assert outcomes[name][0].startswith(b"HTTP/1.1 408 "), name
        # nothing of the cut body was stored, and the server still serves
        state = server.get("/v1/halls/county/state").json()
        assert sum(p["count"] for p in state["issued"]) == 0
        posted = httpx.post(
            server.url + "/v1/halls/county/events", json=[issued(1)], headers=auth("county")
        )
        assert posted.status_code == 200


@pytest.mark.integration
def test_oversized_headers_are_431(tmp_path: Path) -> None:
    with _server(tmp_path) as server:
        sock = _connect(server)
        sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        for i in range(200):  # 200 x 1 KiB of headers, over the 64 KiB default
            try:
                sock.sendall(f"X-Filler-{i}: {'a' * 1000}\r\n".encode())
            except (BrokenPipeError, ConnectionResetError):
                break
        received, _ = _closed_after(sock)
        assert received.startswith(b"HTTP/1.1 431 ")


@pytest.mark.integration
def test_idle_connections_never_keep_ingest_out(tmp_path: Path) -> None:
    """Issue 14 measured 503s for the header deadline; since issue 25 a new
    connection takes the place of the oldest idle one without a token."""
    with _server(tmp_path) as server, ExitStack() as stack:
        idle = [stack.enter_context(_connect(server)) for _ in range(60)]  # > 40 allowed
        for _ in range(5):
            reply = httpx.post(
                server.url + "/v1/halls/county/events", json=[issued(1)], headers=auth("county")
            )
            assert reply.status_code == 200, reply.text
        closed = [_closed_after(sock) for sock in idle[:20]]  # the oldest made room
        assert all(received == b"" and took_s < 1.0 + MARGIN_S for received, took_s in closed)


@pytest.mark.integration
def test_the_open_file_soft_limit_is_raised_to_the_hard_limit(tmp_path: Path) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard <= 256:
        pytest.fail(f"this machine's hard limit of open files is {hard}: too low to test")
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))  # inherited by the server
    try:
        with _server(tmp_path) as server:
            limits = Path(f"/proc/{server.pid}/limits").read_text()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    (line,) = [ln for ln in limits.splitlines() if ln.startswith("Max open files")]
    assert line.split()[3:5] == [str(hard), str(hard)], line


def _basic(token: str, user: str = "anyone") -> dict[str, str]:
    encoded = base64.b64encode(f"{user}:{token}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


READ_PATHS = ("/v1/halls", "/v1/halls/county/state", "/v1/halls/county/quarantine", "/metrics")


def test_the_read_token_guards_the_read_api_and_metrics(tmp_path: Path) -> None:
    settings = load_settings(
        write_config(tmp_path, extra="read_token_env: T_READ"), environ=READ_ENV
    )
    with client_for(settings) as client:
        for path in READ_PATHS:
            refused = client.get(path)
            assert refused.status_code == 401, path
            assert refused.headers["www-authenticate"] == 'Basic realm="hallmon"'
            assert "read token" in refused.json()["detail"]
            for wrong in (
                {"Authorization": "Bearer nope"},
                _basic("nope"),
                auth("county"),  # a hall's ingest token is no read token
                {"Authorization": "Basic !!!not-base64"},
                {"Authorization": f"Digest {READ_TOKEN}"},
            ):
                assert client.get(path, headers=wrong).status_code == 401, (path, wrong)
            bearer = {"Authorization": f"Bearer {READ_TOKEN}"}
            assert client.get(path, headers=bearer).status_code == 200, path
            assert client.get(path, headers=_basic(READ_TOKEN)).status_code == 200, path
            assert client.get(path, headers=_basic(READ_TOKEN, user="")).status_code == 200
        assert client.head("/metrics").status_code == 401
        for probe in ("/healthz", "/readyz"):  # orchestrators probe without a token
            assert client.get(probe).status_code == 200
        posted = client.post("/v1/halls/county/events", json=[issued(1)], headers=auth("county"))
        assert posted.status_code == 200  # ingest takes the hall's token, as before


def test_without_a_read_token_reading_is_open(tmp_path: Path) -> None:
    with client_for(settings_for(tmp_path)) as client:
        assert all(client.get(path).status_code == 200 for path in READ_PATHS)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("read_token_env: T_READ\nread_token_sha256: '" + "0" * 64 + "'", "at most one of"),
        ("read_token_env: NOT_SET_ANYWHERE", "NOT_SET_ANYWHERE is not set"),
        ("read_token_sha256: ABC", "64 lower-case hex"),
        ("read_token_env: T_COUNTY", "the read token is a hall's ingest token"),
    ],
)
def test_read_token_config_errors(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(write_config(tmp_path, extra=extra), environ=READ_ENV)


@pytest.mark.integration
def test_prometheus_scrapes_with_the_read_token(tmp_path: Path) -> None:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is not installed (apt-get install prometheus, or make test)")
    with _server(tmp_path, extra=LIMITS + "\nread_token_env: T_READ") as server:
        target = server.url.removeprefix("http://")
        port = free_port()
        config = tmp_path / "prometheus.yml"
        config.write_text(
            "global: {scrape_interval: 1s}\n"
            "scrape_configs:\n"
            f"  - job_name: with_token\n    static_configs: [{{targets: ['{target}']}}]\n"
            f"    authorization: {{type: Bearer, credentials: {READ_TOKEN}}}\n"
            f"  - job_name: without\n    static_configs: [{{targets: ['{target}']}}]\n",
            encoding="utf-8",
        )
        with (tmp_path / "prometheus.log").open("wb") as log:
            process = subprocess.Popen(
                [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                 f"--web.listen-address=127.0.0.1:{port}"],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            ups = _poll_up(f"http://127.0.0.1:{port}", process)
        finally:
            process.terminate()
            process.wait(30)
    assert ups == {"with_token": 1.0, "without": 0.0}


def _poll_up(url: str, process: subprocess.Popen[bytes]) -> dict[str, float]:
    """``up`` of both jobs once both have been scraped (polled, bounded)."""
    deadline = time.monotonic() + 90
    while True:
        assert process.poll() is None, "prometheus exited"
        try:
            body = httpx.get(f"{url}/api/v1/query", params={"query": "up"}, timeout=5).json()
            found = {r["metric"]["job"]: float(r["value"][1]) for r in body["data"]["result"]}
            if len(found) == 2:
                return found
        except (httpx.TransportError, KeyError, ValueError):
            pass  # not ready yet
        assert time.monotonic() < deadline, "prometheus did not scrape both jobs in time"
        time.sleep(0.25)
