"""Push the dashboards to a Grafana server through its HTTP API, with
``grafana-client`` (the maintained fork of the archived ``grafana-api``,
same API).

:func:`push` is idempotent: it makes sure the folder exists (``GET
/api/folders/:uid``, then ``POST /api/folders`` only when it is missing, or
``PUT`` when its title differs), then saves every dashboard with ``POST
/api/dashboards/db`` and ``overwrite: true`` into that folder, so a second
push leaves the same folders and dashboards (Grafana only counts a new
version of each). Every problem becomes a :class:`PushError` that names the
step and the reason, never a traceback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grafana_client.api import GrafanaApi
from grafana_client.client import GrafanaClientError, GrafanaException

FOLDER_UID = "hallq"
FOLDER_TITLE = "hallq 营业厅"
TIMEOUT_S = 10.0

# what to check when Grafana refuses with this status
_HINTS = {
    401: "check --token: a service account token",
    403: "the token's role may not edit dashboards in this folder (Editor needed)",
    404: "is --url the Grafana root URL?",
    412: "a dashboard with the same name exists elsewhere; rename or delete it",
}


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")
_UNRESOLVED = re.compile(r"Failed to resolve '([^']+)'")


class PushError(Exception):
    """A push step that failed: ``what`` was attempted, ``why`` it failed."""

    def __init__(self, what: str, why: str) -> None:
        super().__init__(f"{what}: {why}")
        self.what, self.why = what, why


@dataclass(frozen=True)
class Pushed:
    """One saved dashboard as Grafana acknowledged it."""

    uid: str
    title: str
    version: int
    url: str


@dataclass(frozen=True)
class PushResult:
    """The folder (and whether this push created it) and the saved dashboards."""

    folder_uid: str
    folder_created: bool
    dashboards: tuple[Pushed, ...]


def load_directory(directory: Path) -> dict[str, dict[str, object]]:
    """The dashboards of ``directory/*.json`` by file name (an exported or
    edited set), each checked to have a ``uid`` and a ``title``."""
    found: dict[str, dict[str, object]] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            model = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PushError(f"reading {path}", str(exc)) from None
        if not isinstance(model, dict) or not model.get("uid") or not model.get("title"):
            raise PushError(f"reading {path}", "not a dashboard (no uid or title)")
        found[path.name] = model
    if not found:
        raise PushError(f"reading {directory}", "no *.json dashboard there")
    return found


def _describe(exc: Exception) -> str:
    """The reason in a line: Grafana's message with a hint, or the socket error."""
    if isinstance(exc, GrafanaException) and exc.status_code:
        reply = exc.response
        said = reply.get("message") if isinstance(reply, dict) else None
        hint = _HINTS.get(exc.status_code)
        return f"{exc.status_code} {said or exc.message}" + (f" ({hint})" if hint else "")
    text = str(exc) or type(exc).__name__
    # urllib3 wraps the socket's error in a long repr: keep "[Errno 111] Connection refused"
    found = _ERRNO.search(text)
    if found:
        return found.group(1).lower()
    unknown = _UNRESOLVED.search(text)
    return f"unknown host {unknown.group(1)}" if unknown else text.splitlines()[0]


class _Grafana:
    """The few calls a push makes, typed (grafana-client's are not)."""

    def __init__(self, url: str, token: str, timeout_s: float) -> None:
        self.url = url
        # grafana-client appends "api" to the URL's path as it is: a sub-path
        # (Grafana behind a proxy at /grafana) must end with a slash
        self.api = GrafanaApi.from_url(url + "/", credential=token, timeout=timeout_s)

    def call(
        self, what: str, method: Any, *args: Any, missing_ok: bool = False, **kwargs: Any
    ) -> Any:
        """``method(*args, **kwargs)``, its failure a :class:`PushError` about
        ``what``; with ``missing_ok``, None when Grafana answers 404."""
        try:
            return method(*args, **kwargs)
        except GrafanaClientError as exc:
            if missing_ok and exc.status_code == 404:
                return None
            raise PushError(what, _describe(exc)) from None
        except GrafanaException as exc:  # status 0: no reply in time, or no HTTP at all
            reason = _describe(exc)
            raise PushError(what, reason if exc.status_code else f"{self.url}: {reason}") from None
        except OSError as exc:  # grafana-client lets its HTTP library's errors through
            raise PushError(what, f"cannot reach {self.url}: {_describe(exc)}") from None
        except ValueError as exc:  # a reply that is not JSON: not Grafana's API
            raise PushError(what, f"{self.url} did not answer as Grafana's API: {exc}") from None

    def folder(self, uid: str, title: str) -> bool:
        """Make sure folder ``uid`` exists with ``title``; True if created now."""
        folders = self.api.folder
        found = self.call(f"reading folder {uid}", folders.get_folder, uid, missing_ok=True)
        if found is None:
            self.call(f"creating folder {uid}", folders.create_folder, title, uid=uid)
            return True
        if found.get("title") != title:
            self.call(
                f"renaming folder {uid}", folders.update_folder, uid, title=title, overwrite=True
            )
        return False

    def save(self, model: Mapping[str, Any], folder_uid: str) -> Pushed:
        """Create or overwrite one dashboard (by its uid) in the folder."""
        dashboard = {k: v for k, v in model.items() if k not in ("id", "version")}
        body = {
            "dashboard": dashboard,
            "folderUid": folder_uid,
            "overwrite": True,
            "message": "hallmon grafana push",
        }
        reply = self.call(
            f"saving dashboard {dashboard.get('uid')}", self.api.dashboard.update_dashboard, body
        )
        return Pushed(
            uid=str(reply.get("uid", dashboard.get("uid"))),
            title=str(dashboard.get("title")),
            version=int(reply.get("version", 0)),
            url=str(reply.get("url", "")),
        )


def push(
    url: str,
    token: str,
    dashboards: Mapping[str, Mapping[str, Any]],
    *,
    folder_uid: str = FOLDER_UID,
    folder_title: str = FOLDER_TITLE,
    timeout_s: float = TIMEOUT_S,
) -> PushResult:
    """Save ``dashboards`` (JSON models by name) into folder ``folder_uid`` of
    the Grafana at ``url`` (its root URL, a sub-path allowed) with the
    service-account ``token``, overwriting what is there."""
    grafana = _Grafana(url.rstrip("/"), token, timeout_s)
    created = grafana.folder(folder_uid, folder_title)
    saved = tuple(grafana.save(model, folder_uid) for model in dashboards.values())
    return PushResult(folder_uid=folder_uid, folder_created=created, dashboards=saved)
