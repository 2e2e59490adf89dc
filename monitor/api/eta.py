"""``GET /v1/halls/{hall}/tickets/{ticket}/eta``: a ticket's place, when it
will be called (median, 10th and 90th percentile over the simulated futures of
:mod:`monitor.background.etas`) and, for a travel time, when its holder
should leave to be in the hall before the call nine times in ten."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import Field

from monitor.api.deps import MonitorDep, ServedHall, errors
from monitor.api.models import Body
from monitor.api.views import rfc3339
from monitor.core.errors import EtaFailed, EtaPending, TicketNotFound
from sim.model.units import parse_duration_s

if TYPE_CHECKING:  # the simulation side loads with the background, not with the app
    from monitor.background.etas import EtaAnswer, Etas

router = APIRouter(prefix="/v1/halls", tags=["halls"])
TRAVEL_PATTERN = r"^[0-9]+(\.[0-9]+)?(s|m|h)?$"  # what the OpenAPI document promises


def _travel_s(travel: str) -> float:
    """Seconds of a ``travel`` parameter; a 422 naming it, in the documented
    shape, when it is not a duration the pattern allows."""
    reason = "is not a duration (use e.g. 900, 90s, 15m, 1.5h)"
    if re.fullmatch(TRAVEL_PATTERN, travel):
        try:
            return parse_duration_s(travel)
        except ValueError as exc:
            reason = str(exc)
    error = {"loc": ("query", "travel"), "msg": reason, "type": "value_error", "input": travel}
    raise RequestValidationError([error])


class EtaBody(Body):
    """A ticket's ETA. Times are RFC 3339 in the hall's time zone, durations
    seconds; the prediction's fields are null unless ``state`` is ``waiting``
    (``reason`` then says why there is none)."""

    hall: str
    ticket: str
    service: str
    segment: str
    state: str = Field(description="waiting, called, served, no_show or cancelled")
    remote: bool = Field(description="taken from home (remote_ticket_issued)")
    away: bool = Field(description="its holder has not checked in yet")
    issued: str | None
    called_at: str | None = Field(description="first call, once called")
    now: str | None = Field(description="the hall's clock now")
    as_of: str | None = Field(default=None, description="the hall state simulated from")
    computed_at: str | None = Field(default=None, description="wall clock of the simulation")
    place: int | None = Field(default=None, description="1 = next of its service by issue")
    ahead: int | None = Field(default=None, description="tickets of any service issued before")
    call_median: str | None = Field(default=None, description="half the futures call it sooner")
    call_p10: str | None = Field(default=None, description="one future in ten calls it sooner")
    call_p90: str | None = Field(default=None, description="nine futures in ten call it sooner")
    call_in_median_s: float | None = Field(default=None, description="from now to call_median")
    call_in_p10_s: float | None = None
    call_in_p90_s: float | None = None
    never_called: float | None = Field(
        default=None, description="share of futures in which it is not called today"
    )
    replications: int | None = Field(default=None, description="simulated futures")
    travel_s: float | None = Field(default=None, description="the travel time asked for")
    leave_at: str | None = Field(default=None, description="call_p10 less the travel time")
    leave_in_s: float | None = Field(default=None, description="from now to leave_at, at least 0")
    reason: str | None = Field(default=None, description="why a waiting ticket has no ETA")


def _etas(request: Request) -> Etas:
    found: Etas = request.app.state.etas
    return found


def _seconds(value: float) -> float | None:
    return round(value, 1) if math.isfinite(value) else None


def eta_body(answer: EtaAnswer, zone: ZoneInfo, now_s: float, travel_s: float | None) -> EtaBody:
    """The body of an answer, with the hall's clock at ``now_s`` (Unix seconds)."""
    t, etas, eta = answer.ticket, answer.etas, answer.eta
    body = EtaBody(
        hall="", ticket=t.ticket, service=t.service, segment=t.segment, state=t.state,
        remote=t.remote, away=t.away, issued=rfc3339(t.issued_s, zone),
        called_at=rfc3339(t.called_s, zone), now=rfc3339(now_s, zone), reason=answer.why,
        travel_s=travel_s,
    )  # fmt: skip
    if etas is None or eta is None:
        return body

    def at(hall_clock_s: float) -> float:
        return etas.unix_s(hall_clock_s) if math.isfinite(hall_clock_s) else math.nan

    median_s, p10_s, p90_s = at(eta.call_median_s), at(eta.call_p10_s), at(eta.call_p90_s)
    leave_s = p10_s - travel_s if travel_s is not None else math.nan
    return body.model_copy(
        update={
            "as_of": rfc3339(etas.as_of_s, zone),
            "computed_at": rfc3339(etas.computed_at_s, zone),
            "place": eta.place,
            "ahead": eta.ahead,
            "call_median": rfc3339(median_s, zone) if math.isfinite(median_s) else None,
            "call_p10": rfc3339(p10_s, zone) if math.isfinite(p10_s) else None,
            "call_p90": rfc3339(p90_s, zone) if math.isfinite(p90_s) else None,
            "call_in_median_s": _seconds(max(0.0, median_s - now_s)),
            "call_in_p10_s": _seconds(max(0.0, p10_s - now_s)),
            "call_in_p90_s": _seconds(max(0.0, p90_s - now_s)),
            "never_called": eta.never_called,
            "replications": eta.replications,
            "leave_at": rfc3339(leave_s, zone) if math.isfinite(leave_s) else None,
            "leave_in_s": _seconds(max(0.0, leave_s - now_s)),
        }
    )


@router.get(
    "/{hall}/tickets/{ticket}/eta",
    responses=errors(
        404,
        503,
        s404="A hall not served here, or a ticket the hall has not issued today.",
        s503="The hall's ETAs are being simulated (or their simulation failed); come back "
        "after Retry-After seconds.",
    ),
)
async def ticket_eta(
    hall: ServedHall,
    ticket: str,
    monitor: MonitorDep,
    request: Request,
    travel: Annotated[
        str | None,
        Query(
            description="travel time to the hall: seconds or a duration (900, 90s, 15m, 1.5h)",
            json_schema_extra={"pattern": TRAVEL_PATTERN},
        ),
    ] = None,
) -> EtaBody:
    """The ticket's place and predicted call time, simulated forward from the
    hall's live state; with ``travel``, when to leave. A ticket no longer
    waiting answers 200 with its ``state`` and no prediction."""
    travel_s = None if travel is None else _travel_s(travel)
    etas = _etas(request)
    try:
        answer = await etas.answer(hall.id, ticket)
    except (TicketNotFound, EtaPending) as exc:
        failed = "failed" if isinstance(exc, EtaFailed) else "pending"
        etas.count(hall.id, "not_found" if isinstance(exc, TicketNotFound) else failed)
        raise
    result = "ok" if answer.eta is not None else answer.ticket.state
    etas.count(hall.id, "no_eta" if result == "waiting" else result)
    body = eta_body(answer, monitor.zone(hall.id), monitor.now_s(hall.id), travel_s)
    return body.model_copy(update={"hall": hall.id})
