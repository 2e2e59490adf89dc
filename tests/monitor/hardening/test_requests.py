"""Issue 14, items 3 and 7: request bodies and paths a broken client sends.

Deep JSON nesting is a 422 (the depth is bounded explicitly, before any
recursive parser sees the body), never a 500; a Content-Type other than JSON or
JSON Lines is a 415; a trailing slash is a 404, not a redirect built from the
Host header; ``HEAD /metrics`` answers like GET; the OpenAPI document lists
every refusal the ingest route gives."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from monitor.core.batches import MAX_DEPTH, too_deep
from monitor.server.app import create_app
from tests.monitor.conftest import auth
from tests.monitor.hardening.conftest import URL, issued, settings_for


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """An app whose server errors are answers (500), as a real server gives them."""
    app = create_app(settings_for(tmp_path), background=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _deep_array(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _deep_object(depth: int) -> bytes:
    return b'[{"id": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}]"


@pytest.mark.parametrize("depth", [1_000, 100_000])
@pytest.mark.parametrize("shape", [_deep_array, _deep_object])
@pytest.mark.parametrize("media", ["application/json", "application/x-ndjson"])
def test_deep_nesting_is_422_not_500(
    client: TestClient, depth: int, shape: Callable[[int], bytes], media: str
) -> None:
    body = shape(depth)
    response = client.post(
        URL.format("county"), content=body, headers=auth("county") | {"Content-Type": media}
    )
    assert response.status_code == 422, response.text[:300]
    (problem,) = response.json()["detail"]
    assert f"nested deeper than {MAX_DEPTH}" in problem["reason"]


def test_the_depth_bound_skips_strings_and_allows_events() -> None:
    assert not too_deep(json.dumps([issued(1)]).encode())
    assert not too_deep(b'["' + b"[" * 5000 + b'"]')  # brackets inside a string
    assert not too_deep(b'["\\"' + b"[" * 5000 + b'"]')  # after an escaped quote
    assert too_deep(_deep_array(MAX_DEPTH + 1)) and not too_deep(_deep_array(MAX_DEPTH))


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x",
     "application/xml", "image/png"],
)  # fmt: skip
def test_a_body_that_is_not_json_is_415(client: TestClient, content_type: str) -> None:
    body = json.dumps([issued(1)]).encode()  # valid JSON: it must not be parsed on a guess
    response = client.post(
        URL.format("county"), content=body, headers=auth("county") | {"Content-Type": content_type}
    )
    assert response.status_code == 415, response.text
    assert "application/json" in response.json()["detail"]
    assert client.app.state.monitor.stored() == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON"]
)
def test_json_with_parameters_or_capitals_is_fine(client: TestClient, content_type: str) -> None:
    response = client.post(
        URL.format("county"),
        content=json.dumps([issued(1)]).encode(),
        headers=auth("county") | {"Content-Type": content_type},
    )
    assert response.status_code == 200, response.text


def test_an_unauthenticated_post_is_401_before_415(client: TestClient) -> None:
    response = client.post(URL.format("county"), content=b"x", headers={"Content-Type": "text/x"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/v1/halls/county/events/"), ("get", "/v1/halls/"), ("get", "/metrics/"),
     ("get", "/v1/halls/county/state/")],
)  # fmt: skip
def test_a_trailing_slash_is_404_never_a_redirect(
    client: TestClient, method: str, path: str
) -> None:
    response = client.request(
        method,
        path,
        headers=auth("county") | {"Host": "evil.example"},
        json=[issued(1)],
        follow_redirects=False,
    )
    assert response.status_code == 404, (response.status_code, response.headers)
    assert "location" not in response.headers


def test_head_metrics_is_200_without_a_body(client: TestClient) -> None:
    get = client.get("/metrics")
    head = client.head("/metrics")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert int(head.headers["content-length"]) == len(get.content)


def test_openapi_lists_every_refusal_of_ingest_and_the_read_token(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    ingest = doc["paths"]["/v1/halls/{hall}/events"]["post"]
    assert {"401", "403", "404", "413", "415", "422", "429", "503"} <= set(ingest["responses"])
    assert "Retry-After" in ingest["responses"]["503"]["headers"]
    assert "Retry-After" in ingest["responses"]["429"]["headers"]
    body = ingest["requestBody"]["content"]["application/json"]["schema"]
    kinds = body["items"]["oneOf"]  # the event schema of each kind
    assert body["type"] == "array" and all("properties" in kind for kind in kinds)
    for path in ("/v1/halls", "/v1/halls/{hall}/state", "/v1/halls/{hall}/quarantine"):
        responses = doc["paths"][path]["get"]["responses"]
        assert "401" in responses, path
        assert "WWW-Authenticate" in responses["401"]["headers"], path
    assert "401" in doc["paths"]["/metrics"]["get"]["responses"]


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/v1/halls/county/quarantine?limit=0", 422, "limit"),
        ("/v1/halls/county/conflicts?limit=abc", 422, "limit"),
        ("/v1/halls/county/nothing-here", 404, None),
    ],
)
def test_every_4xx_has_the_documented_shape(
    client: TestClient, path: str, status: int, field: str | None
) -> None:
    """Issue 25, item 6: FastAPI's own refusals used to answer in its shape."""
    response = client.get(path)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    if field is None:
        assert isinstance(detail, str)
    else:
        assert [(p["index"], p["field"]) for p in detail] == [(None, field)]
        assert detail[0]["reason"]
    assert client.put("/v1/halls/county/events").json() == {"detail": "Method Not Allowed"}
