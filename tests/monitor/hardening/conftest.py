"""Shared pieces of the hardening tests (issue 14): an in-process app over a
store in a temporary directory, and events of the county hall built by hand."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from monitor.core.config import Settings, load_settings
from monitor.server.app import create_app
from tests.monitor.conftest import ENV, auth, write_config
from tests.monitor.server import Server, running_server

URL = "/v1/halls/{}/events"
DAY_TS = "2026-03-02T{:02d}:{:02d}:{:02d}+08:00"  # the county hall's zone is +08:00


def settings_for(directory: Path, *, clock: str = "events", extra: str = "") -> Settings:
    """The county and flagship halls (forecast and nowcast off) with ``extra``
    file-wide YAML."""
    return load_settings(write_config(directory, clock=clock, extra=extra), environ=ENV)


@contextmanager
def client_for(settings: Settings) -> Iterator[TestClient]:
    """An app over ``settings`` with its lifespan run (store open, state rebuilt)."""
    with TestClient(create_app(settings, background=False)) as client:
        yield client


def at(seconds: int) -> str:
    """A county-local time on the test day, ``seconds`` after 09:00."""
    s = 9 * 3600 + seconds
    return DAY_TS.format(s // 3600, s // 60 % 60, s % 60)


def issued(i: int, service: str = "consult", segment: str = "gotone", **kw: Any) -> dict[str, Any]:
    event = {
        "id": f"i{i}",
        "hall": "county",
        "ts": at(i),
        "kind": "ticket_issued",
        "ticket": f"T{i}",
        "service": service,
        "segment": segment,
    }
    return event | kw


def post(client: TestClient, events: list[dict[str, Any]], hall: str = "county", **kw: Any) -> Any:
    headers = kw.pop("headers", auth(hall))
    return client.post(URL.format(hall), json=events, headers=headers, **kw)


@contextmanager
def shared_server(factory: pytest.TempPathFactory, name: str, extra: str) -> Iterator[Server]:
    """A real ``hallmon serve`` with ``extra`` file-wide YAML, in a directory of
    its own: for a module's tests that share one server."""
    directory = factory.mktemp(name)
    config = write_config(directory, extra=extra)
    with running_server(config, ENV, log=directory / "hallmon.log") as server:
        yield server
