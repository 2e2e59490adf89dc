"""The metric families the exporter publishes: name, type and help text, in
the order of the exposition. :mod:`monitor.api.collector` builds them at
scrape time; the metrics reference of the manual lists them from here."""

from __future__ import annotations

# name -> (type, help), in the order of the exposition
FAMILIES: dict[str, tuple[str, str]] = {
    "hall_info": ("gauge", "Configured hall with its name, district and city; always 1."),
    "hall_open": ("gauge", "1 while the hall is open, else 0."),
    "hall_latitude_degrees": ("gauge", "Configured latitude of the hall (the city wait map)."),
    "hall_longitude_degrees": ("gauge", "Configured longitude of the hall (the city wait map)."),
    "hall_service_offered": (
        "gauge",
        "1 for a service the hall offers (the city wait map ranks it for it), else 0.",
    ),
    "hall_queue_length": ("gauge", "Tickets waiting to be called."),
    "hall_remote_tickets_on_the_way": (
        "gauge",
        "Waiting tickets issued remotely whose holder has not checked in yet (also in "
        "hall_queue_length).",
    ),
    "hall_oldest_wait_seconds": (
        "gauge",
        "Wait so far in the hall of the oldest waiting customer (0 if none).",
    ),
    "hall_counters_open": ("gauge", "Counters open (staffed) now."),
    "hall_counters_busy": ("gauge", "Counters serving or calling a ticket now."),
    "hall_counters_planned": (
        "gauge",
        "Counters the plan staffs now: the scenario's schedule for the day, or the roster.",
    ),
    "hall_tickets_issued": ("counter", "Tickets issued since the hall's local midnight."),
    "hall_tickets_served": ("counter", "Tickets called to a counter since local midnight."),
    "hall_tickets_abandoned": ("counter", "Tickets abandoned or no-show since local midnight."),
    "hall_counter_busy": ("gauge", "1 while the counter serves or calls a ticket, else 0."),
    "hall_counter_served": ("counter", "Tickets the counter called since local midnight."),
    "hall_wait_seconds": ("histogram", "Time from ticket issue to first call, today."),
    "hall_service_seconds": ("histogram", "Time from call to end of service, today."),
    "hall_slo_target_wait_seconds": ("gauge", "Wait within which a ticket must be called."),
    "hall_slo_objective_ratio": ("gauge", "Share of tickets that must be called in time."),
    "hall_forecast_queue_length": ("gauge", "Day forecast of tickets waiting now."),
    "hall_forecast_wait_seconds": ("gauge", "Day forecast of the mean wait of tickets issued now."),
    "hall_forecast_arrivals_per_hour": ("gauge", "Day forecast of tickets issued per hour now."),
    "hall_forecast_queue_length_ci95_half_width": (
        "gauge",
        "Half-width of the 95% confidence interval of hall_forecast_queue_length.",
    ),
    "hall_forecast_wait_seconds_ci95_half_width": (
        "gauge",
        "Half-width of the 95% confidence interval of hall_forecast_wait_seconds.",
    ),
    "hall_forecast_arrivals_per_hour_ci95_half_width": (
        "gauge",
        "Half-width of the 95% confidence interval of hall_forecast_arrivals_per_hour.",
    ),
    "hall_nowcast_wait_seconds": ("gauge", "Nowcast wait of a ticket taken after the horizon."),
    "hall_nowcast_wait_median_seconds": (
        "gauge",
        "Nowcast median wait of a ticket taken after the horizon.",
    ),
    "hall_nowcast_wait_p90_seconds": (
        "gauge",
        "Nowcast 90th percentile of the wait of a ticket taken after the horizon.",
    ),
    "hall_nowcast_queue_length": (
        "gauge",
        "Nowcast of waiting customers who have not given up (a remote ticket's holder on the "
        "way counts).",
    ),
    "hall_nowcast_breach_probability": ("gauge", "Nowcast probability of a wait past target."),
    "hall_nowcast_service_breach_probability": (
        "gauge",
        "Nowcast probability that a ticket of the service waits past target.",
    ),
    "hall_nowcast_counters_to_open": (
        "gauge",
        "More counters of the group that bring a ticket taken in 30 min back within target "
        "(0: none needed; +Inf: more than the nowcast tries).",
    ),
    "hall_nowcast_as_of_timestamp_seconds": (
        "gauge",
        "Unix time of the hall state the nowcast started from.",
    ),
    "hall_nowcast_computed_timestamp_seconds": (
        "gauge",
        "Unix wall-clock time when the nowcast was computed.",
    ),
    "hall_last_event_timestamp_seconds": ("gauge", "Unix time of the hall's latest event."),
    "hall_last_heard_timestamp_seconds": (
        "gauge",
        "Wall-clock Unix time the ticket system was last heard from: its latest event's time "
        "(clock: wall), or when the exporter last received an event (clock: events).",
    ),
    "hall_clock_timestamp_seconds": (
        "gauge",
        "The hall's clock, Unix seconds: the wall clock, or with clock: events its latest event.",
    ),
    "hallmon_ingest_events": ("counter", "Events received since start, by result."),
    "hallmon_background_failures": (
        "counter",
        "Background runs of the hall that failed since start, by task: forecast, nowcast, "
        "learn, drift.",
    ),
    "hallmon_label_overflow": (
        "counter",
        'Events whose unknown service, segment or counter was published as "other" '
        "(over max_label_values that day), since start.",
    ),
    "hallmon_limited_requests": (
        "counter",
        "Batches of the hall refused with 429 since start, by the limit they passed "
        "(events_per_s, stored_bytes_per_day).",
    ),
}
