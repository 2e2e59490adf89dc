"""``POST /v1/halls/{hall}/events``: a batch of events, stored durably, then
applied to the hall's live state; all or nothing."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from monitor.api.deps import IngestHall, MonitorDep, errors
from monitor.api.models import IngestResult
from monitor.core.batches import BODY_TYPES, NDJSON_TYPES
from monitor.core.errors import BodyTooLarge, UnsupportedBody
from monitor.core.wire import batch_schema

router = APIRouter(prefix="/v1/halls", tags=["ingest"])


def _request_body() -> dict[str, object]:
    """The OpenAPI request body (the handler reads the raw bytes itself, so as
    to stop at the size limit, so FastAPI cannot infer it): the schema of
    :mod:`monitor.core.wire`, the contract the ingest keeps to the letter. JSON
    Lines carry the same events, one per line."""
    batch = batch_schema()
    lines = batch | {"description": "the same events, one JSON object per line"}
    content = {"application/json": {"schema": batch}} | {
        media: {"schema": lines} for media in NDJSON_TYPES
    }
    return {
        "requestBody": {
            "required": True,
            "description": "A JSON array of events, or JSON Lines (one event per line).",
            "content": content,
        }
    }


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, or :class:`BodyTooLarge` as soon as it is known to pass
    ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    too_large = BodyTooLarge(f"the body is larger than the limit of {limit} bytes")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _media_type(content_type: str) -> str:
    """The media type of a Content-Type header; :class:`UnsupportedBody` when
    it is neither JSON nor JSON Lines (a form or text body is not parsed as
    JSON on a guess)."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in BODY_TYPES:
        raise UnsupportedBody(
            f"Content-Type {media or '(empty)'!r} is not accepted: send application/json "
            f"(an array of events) or {NDJSON_TYPES[0]} (one event per line)",
        )
    return media


@router.post(
    "/{hall}/events",
    responses=errors(
        401,
        403,
        404,
        413,
        415,
        422,
        429,
        503,
        s503="The event store cannot take the batch (a full disk, an I/O error): nothing "
        "was stored; send it again after Retry-After seconds.",
    ),
    openapi_extra=_request_body(),
    response_model=IngestResult,
)
async def ingest(target: IngestHall, monitor: MonitorDep, request: Request) -> JSONResponse:
    """Store a batch of events durably, then apply it; all or nothing. Ids the
    store already holds (or repeated in the batch) count as duplicates, or as
    conflicts when their content differs, and are not applied twice; events
    dated more than ``future_slack`` ahead of the wall clock, or running time
    backwards within their ticket, are stored but quarantined (not applied).
    A hall past its limits (events a second, bytes stored a day) gets 429."""
    media = _media_type(request.headers.get("content-type", "application/json"))
    monitor.refuse_early(target)
    body = await _read_body(request, monitor.settings.max_body_bytes)
    done = await run_in_threadpool(monitor.receive, target, body, media)
    # the reply of IngestResult, written here (the last two only when there are
    # some): validating the model again cost each request more than writing it
    reply = {"accepted": done.accepted, "duplicates": done.duplicates}
    if done.quarantined:
        reply["quarantined"] = done.quarantined
    if done.conflicts:
        reply["conflicts"] = done.conflicts
    return JSONResponse(reply)
