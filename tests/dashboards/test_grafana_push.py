"""``hallmon grafana push`` against a local HTTP server that answers as
Grafana's HTTP API is documented (Folder API, Dashboard API: "Create/Update
dashboard"), checking each request: path, method, ``Authorization: Bearer``,
JSON content type and body schema. No Grafana server can be installed here.

Checked against the documented behaviour:
* ``GET /api/folders/:uid``: 200 with the folder, 404 when there is none.
* ``POST /api/folders`` ``{"uid", "title"}`` (uid at most 40 characters of
  letters, digits, ``-`` and ``_``): 200 with the folder.
* ``PUT /api/folders/:uid`` ``{"title", "version" | "overwrite"}``.
* ``POST /api/dashboards/db`` ``{"dashboard", "folderUid", "overwrite",
  "message"}``; a dashboard with ``id`` null or absent and a ``uid`` is created
  or, with ``overwrite: true``, replaces the one with that uid (else 412
  ``version-mismatch``); the reply has ``id, uid, url, status, version, slug``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from monitor.ops.dashboards import models

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "glsa_test-service-account-token"
UID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
DASHBOARD_KEYS = {"dashboard", "folderId", "folderUid", "message", "overwrite"}


@dataclass
class Grafana:
    """The state a Grafana keeps, and every request it saw."""

    prefix: str = ""
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    url: str = ""


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "dashboard"


class _Handler(BaseHTTPRequestHandler):
    grafana: Grafana

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _reply(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _problem(self, text: str) -> None:
        self.grafana.problems.append(f"{self.command} {self.path}: {text}")
        self._reply(400, {"message": text})

    def _body(self) -> Any:
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            raise ValueError(f"Content-Type {self.headers.get('Content-Type')!r}")
        length = int(self.headers.get("Content-Length", "0"))
        return json.loads(self.rfile.read(length))

    def _handle(self) -> None:
        g = self.grafana
        g.requests.append((self.command, self.path))
        if not self.path.startswith(g.prefix + "/api/"):
            return self._problem("not under the API root")
        path = self.path[len(g.prefix) :]
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._reply(401, {"message": "invalid API key"})
        try:
            body = self._body() if self.command in ("POST", "PUT") else None
        except ValueError as exc:
            return self._problem(f"body: {exc}")
        folder = re.fullmatch(r"/api/folders/([^/?]+)", path)
        if self.command == "GET" and folder:
            found = g.folders.get(folder.group(1))
            if found is None:
                return self._reply(404, {"message": "folder not found", "status": "not-found"})
            return self._reply(200, found)
        if self.command == "POST" and path == "/api/folders":
            return self._create_folder(body)
        if self.command == "PUT" and folder:
            return self._update_folder(folder.group(1), body)
        if self.command == "POST" and path == "/api/dashboards/db":
            return self._save_dashboard(body)
        return self._problem("no such endpoint in Grafana's documented API")

    def _create_folder(self, body: Any) -> None:
        g = self.grafana
        if not isinstance(body, dict) or set(body) - {"uid", "title", "parentUid"}:
            return self._problem(f"folder body {body!r}")
        uid, title = body.get("uid"), body.get("title")
        if not (isinstance(title, str) and title and isinstance(uid, str) and UID.match(uid)):
            return self._problem(f"folder uid/title {uid!r} {title!r}")
        if uid in g.folders:
            return self._reply(409, {"message": "a folder with the same uid already exists"})
        g.folders[uid] = {
            "id": len(g.folders) + 1,
            "uid": uid,
            "title": title,
            "url": f"/dashboards/f/{uid}/{_slug(title)}",
            "version": 1,
        }
        return self._reply(200, g.folders[uid])

    def _update_folder(self, uid: str, body: Any) -> None:
        found = self.grafana.folders.get(uid)
        if found is None:
            return self._reply(404, {"message": "folder not found", "status": "not-found"})
        if not isinstance(body, dict) or not isinstance(body.get("title"), str):
            return self._problem(f"folder update body {body!r}")
        if body.get("overwrite") is not True and body.get("version") != found["version"]:
            return self._reply(412, {"message": "the folder has been changed by someone else"})
        found.update(title=body["title"], version=found["version"] + 1)
        return self._reply(200, found)

    def _save_dashboard(self, body: Any) -> None:
        g = self.grafana
        if not isinstance(body, dict) or set(body) - DASHBOARD_KEYS:
            return self._problem(f"dashboard body keys {sorted(body)}")
        model = body.get("dashboard")
        if not isinstance(model, dict) or not model.get("title"):
            return self._problem("dashboard without a title")
        uid = model.get("uid")
        if not isinstance(uid, str) or not UID.match(uid) or model.get("id") is not None:
            return self._problem(f"dashboard uid {uid!r} / id {model.get('id')!r}")
        if body.get("folderUid") not in g.folders:
            return self._reply(400, {"message": "folder not found"})
        old = g.dashboards.get(uid)
        if old is not None and body.get("overwrite") is not True:
            return self._reply(
                412,
                {"message": "The dashboard has been changed by someone else",
                 "status": "version-mismatch"},
            )  # fmt: skip
        version = 1 if old is None else old["version"] + 1
        number = len(g.dashboards) + 1 if old is None else old["id"]
        g.dashboards[uid] = {
            "id": number,
            "version": version,
            "folderUid": body["folderUid"],
            "model": model,
        }
        slug = _slug(model["title"])
        return self._reply(
            200,
            {"id": number, "uid": uid, "url": f"/d/{uid}/{slug}", "status": "success",
             "version": version, "slug": slug},
        )  # fmt: skip

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()


@contextmanager
def grafana_api(prefix: str = "") -> Iterator[Grafana]:
    """A Grafana API on a free port of 127.0.0.1 (``prefix``: served under a sub-path)."""
    state = Grafana(prefix=prefix)
    handler = type("Handler", (_Handler,), {"grafana": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def hallmon(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip


def _push(url: str, *extra: str, token: str = TOKEN) -> subprocess.CompletedProcess[str]:
    return hallmon("grafana", "push", "--url", url, "--token", token, "--json", *extra)


def _expected() -> dict[str, dict[str, Any]]:
    return {m["uid"]: {k: v for k, v in m.items() if k != "id"} for m in models().values()}


def test_push_creates_the_folder_and_the_dashboards_then_overwrites_them() -> None:
    with grafana_api() as g:
        first = _push(g.url)
        assert first.returncode == 0, first.stderr
        assert g.problems == []
        assert g.requests[:2] == [("GET", "/api/folders/hallq"), ("POST", "/api/folders")]
        assert g.requests[2:] == [("POST", "/api/dashboards/db")] * 3
        assert g.folders["hallq"]["title"] == "hallq 营业厅"
        expected = _expected()
        assert {uid: d["model"] for uid, d in g.dashboards.items()} == expected
        assert {d["folderUid"] for d in g.dashboards.values()} == {"hallq"}
        summary = json.loads(first.stdout)
        assert summary["folder_created"] is True
        assert [d["version"] for d in summary["dashboards"]] == [1, 1, 1]

        seen = len(g.requests)
        second = _push(g.url)
        assert second.returncode == 0, second.stderr
        assert g.problems == []
        # the folder exists: read, not created again; the dashboards overwritten in place
        assert (
            g.requests[seen:]
            == [("GET", "/api/folders/hallq")] + [("POST", "/api/dashboards/db")] * 3
        )
        assert list(g.folders) == ["hallq"]
        assert {uid: d["model"] for uid, d in g.dashboards.items()} == expected
        assert [d["version"] for d in g.dashboards.values()] == [2, 2, 2]
        assert json.loads(second.stdout)["folder_created"] is False


def test_push_under_a_sub_path_into_another_folder(tmp_path: Path) -> None:
    exported = hallmon("grafana", "export", "--out", str(tmp_path / "json"))
    assert exported.returncode == 0, exported.stderr
    with grafana_api(prefix="/grafana") as g:
        g.folders["ops"] = {"id": 7, "uid": "ops", "title": "old title", "url": "/", "version": 3}
        done = _push(
            g.url, "--folder", "ops", "--folder-title", "运维 ops", "--from", str(tmp_path / "json")
        )
        assert done.returncode == 0, done.stderr
        assert g.problems == []
        assert g.requests[:2] == [
            ("GET", "/grafana/api/folders/ops"),
            ("PUT", "/grafana/api/folders/ops"),
        ]
        assert g.folders["ops"]["title"] == "运维 ops"
        assert {uid: d["model"] for uid, d in g.dashboards.items()} == _expected()


def test_wrong_token_is_a_one_line_error() -> None:
    with grafana_api() as g:
        done = _push(g.url, token="wrong")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "hallmon: grafana push: reading folder hallq: 401 invalid API key "
        "(check --token: a service account token)"
    )
    assert g.dashboards == {}


def test_nothing_listening_is_a_one_line_error() -> None:
    with grafana_api() as g:
        url = g.url  # a port that was served a moment ago and is closed now
    done = _push(url)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"hallmon: grafana push: reading folder hallq: cannot reach {url}: connection refused"
    )


@pytest.mark.parametrize("bad", ["grafana:3000", "ftp://grafana"])
def test_url_must_be_http(bad: str) -> None:
    done = _push(bad)
    assert done.returncode == 2
    assert done.stderr.startswith("hallmon: grafana push: --url:")
    assert "Traceback" not in done.stderr
