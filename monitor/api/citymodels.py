"""The response bodies of the city wait map (``/v1/cities``): a city's halls
ranked for one service, each with its predicted wait, travel and load."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from monitor.api.models import Body, NamedItem

ApartReason = Literal["closed", "closes_before_arrival", "not_offered", "no_location", "no_route"]


class PointBody(Body):
    """A place in degrees (the coordinate system of the city's outline)."""

    lat: float
    lon: float


class HallLoadBody(Body):
    """What a district or city manager reads of a hall: its load now."""

    queue_length: int = Field(description="tickets waiting, every service")
    service_queue_length: int = Field(description="tickets of the asked service waiting")
    on_the_way: int = Field(
        description="waiting tickets of the asked service issued remotely whose holder has "
        "not checked in (counted in service_queue_length)"
    )
    oldest_wait_s: float = Field(description="wait so far of the oldest waiting ticket")
    counters_open: int
    counters_planned: int | None = Field(description="counters the plan staffs now")
    target_wait_s: float
    breach_probability: float | None = Field(
        description="nowcast probability that a ticket of the asked service taken now waits "
        "past the target"
    )


class CityHallBody(Body):
    """One hall of the city for the asked service. Waits are the nowcast's
    expected waits (``hall_nowcast_wait_seconds``), as of ``nowcast_at``."""

    id: str
    name: str
    district: str
    location: PointBody | None = Field(description="null: no coordinates configured")
    open: bool
    rank: int | None = Field(description="1 = called soonest; null: listed apart")
    apart: ApartReason | None = Field(
        description="why the hall is not ranked: closed now, closes before the customer "
        "would arrive, does not offer the service, no coordinates or no route (with a "
        "location); null: ranked"
    )
    wait_s: float | None = Field(
        description="expected wait of a ticket of the service taken now; null: no nowcast yet"
    )
    wait_median_s: float | None
    distance_m: float | None = Field(description="straight-line distance from the location")
    travel_s: float | None = Field(description="travel time from the location")
    wait_on_arrival_s: float | None = Field(
        description="expected wait of a ticket taken on arrival (after travel_s)"
    )
    called_in_s: float | None = Field(
        description="travel_s + wait_on_arrival_s: when the customer walking in would be called"
    )
    remote_ticket: bool = Field(
        description="the hall takes tickets of the service from home (its model has remote "
        "tickets of it)"
    )
    take_ticket_in_s: float | None = Field(
        description="with remote_ticket and a location: when to take the ticket from home so "
        "that it is called as the customer arrives (0: now)"
    )
    remote_called_in_s: float | None = Field(
        description="when the customer would be called with that ticket: the longer of "
        "travel_s and wait_s"
    )
    soonest_s: float | None = Field(
        description="the sooner of called_in_s and remote_called_in_s: what a location ranks by"
    )
    nowcast_at: str | None = Field(description="as-of time of the nowcast (RFC 3339)")
    load: HallLoadBody


class TravelBody(Body):
    """How travel times were reckoned."""

    basis: str = Field(description="straight_line (haversine at speed_km_per_h) or a router's")
    speed_km_per_h: float | None


class CityHallsBody(Body):
    """A city's halls ranked for a service: by ``soonest_s`` when a location
    is given (walking in, or with a ticket taken from home where the hall
    takes them), else by ``wait_s``; halls with no prediction yet rank last."""

    city: str
    service: NamedItem
    services: list[NamedItem] = Field(description="every service a hall of the city offers")
    now: str = Field(description="wall clock of the answer (RFC 3339)")
    origin: PointBody | None
    ranked_by: Literal["wait_s", "soonest_s"]
    travel: TravelBody | None = Field(description="null without a location")
    halls: list[CityHallBody] = Field(description="open halls offering the service, best first")
    apart: list[CityHallBody] = Field(description="halls not ranked, with the reason")


class CitySummary(Body):
    """A city with halls served here."""

    city: str
    halls: int
    located: int = Field(description="halls with coordinates")
    districts: list[str]
    outline: bool = Field(description="whether GET /v1/cities/{city}/outline has one")
