"""Issues 14 and 25: a fuzzer against ``/openapi.json``.

Schemathesis generates requests for every operation of the OpenAPI document
(the ingest body's schema is the event schema of each kind, so generated
batches reach the event validators, not only the JSON parser), with the
county hall's token and the county hall in the path, in both of its phases:
*positive* (requests the document allows: none may be refused with a 4xx
other than 401, 403, 404, 409 or 429) and *negative* (requests it forbids:
each must be refused). Every answer must also be no server error and have a
status, content type, headers and body the document describes. The number of
examples per operation is bounded (``EXAMPLES``), so the whole run stays well
under two minutes."""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.generation.case import Case

from monitor.core.batches import NDJSON_TYPES
from monitor.server.app import create_app
from tests.monitor.conftest import auth
from tests.monitor.hardening.conftest import settings_for

EXAMPLES = 100  # per operation and generation phase
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.positive_data_acceptance,  # a request the document allows is not refused (4xx)
    checks.negative_data_rejection,  # one it forbids is
]


# Schemathesis' lazy schemas (``from_fixture``) do not run on pytest 9.2 (they set
# a node attribute pytest no longer has), so the schema is loaded when the module
# is collected. Building the app opens nothing (see monitor.server.app). Its items share
# no fixture wider than a function (on pytest 9.2 pytest tears a module fixture
# down after the first of them): each operation runs the app's lifespan anew
# over one store, which lives in a directory of its own until the process ends.
@schemathesis.serializer(*NDJSON_TYPES)
def _json_lines(ctx: object, value: object) -> bytes:
    """A JSON Lines body: the document describes it as the array of events it
    carries, one per line; a value that is no array (the negative phase) is
    one line."""
    items = value if isinstance(value, list) else [value]
    return b"".join(json.dumps(item).encode("utf-8") + b"\n" for item in items)


_STORE_DIR = tempfile.mkdtemp(prefix="hallmon-schemathesis-")
atexit.register(shutil.rmtree, _STORE_DIR, ignore_errors=True)
APP = create_app(settings_for(Path(_STORE_DIR)), background=False)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture
def client() -> Iterator[TestClient]:
    """The app running (store open, state rebuilt); its server errors are
    answers (500), as a real server gives them."""
    with TestClient(APP, raise_server_exceptions=False) as running:
        yield running


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases every run: a failure is reproducible
    suppress_health_check=list(HealthCheck),
)
def test_every_generated_request_is_answered_as_documented(
    case: Case[Any], client: TestClient
) -> None:
    if "hall" in case.path_parameters:
        case.path_parameters["hall"] = "county"  # past the 404, to the validators
    # sent with httpx (the TestClient), not Schemathesis' own requests transport:
    # grafana-client brings urllib3-future, which replaces urllib3 under requests
    # with a pool manager that transport cannot read
    kwargs = case.as_transport_kwargs(headers=auth("county"))
    if isinstance(kwargs.get("data"), bytes | str):
        kwargs["content"] = kwargs.pop("data")
    client.cookies.clear()
    client.cookies.update(kwargs.pop("cookies", None) or {})
    response = client.request(**kwargs)
    case.validate_response(response, checks=CHECKS)
