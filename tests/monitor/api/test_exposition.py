"""The cached ``/metrics`` (per-hall blocks, :class:`HallBlocks`) equals
client_python's ``generate_latest`` of the same collector byte for byte, scrape
after scrape while the halls change, and a hall whose state changed is
re-rendered: a stale block is what these tests are here to catch."""

from __future__ import annotations

import gc
import math
from dataclasses import replace
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, disable_created_metrics, generate_latest
from prometheus_client.samples import Sample

from monitor.api.collector import METRIC_SETS, HallCollector, MetricSet
from monitor.api.exposition import HallBlocks
from monitor.core.config import Settings
from monitor.core.monitor import Monitor
from monitor.core.snapshot import HallView, Histogram, NowcastNow
from sim.eventlog.events import Event
from tests.monitor.api.test_collector import make_view


@pytest.fixture(autouse=True, scope="module")
def no_created_series() -> None:
    disable_created_metrics()  # type: ignore[no-untyped-call]


class Halls:
    """A changing list of views, the cached exposition over it and the
    reference (``generate_latest`` of a registry holding the same collector)."""

    def __init__(self, views: list[HallView], metric_set: MetricSet = "full") -> None:
        self.views = views
        self.blocks = HallBlocks(HallCollector(lambda: self.views, metric_set=metric_set))
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(HallCollector(lambda: self.views, metric_set=metric_set))

    def scrape(self) -> bytes:
        """The cached body, checked against the reference."""
        body = self.blocks.render()
        reference = generate_latest(self.registry)
        assert body == reference, _first_difference(body, reference)
        return body


def _first_difference(body: bytes, reference: bytes) -> str:
    for ours, theirs in zip(body.splitlines(), reference.splitlines(), strict=False):
        if ours != theirs:
            return f"cached {ours!r} != generate_latest {theirs!r}"
    return f"lengths {len(body)} != {len(reference)}"


HISTOGRAMS = ("hall_wait_seconds_", "hall_service_seconds_")


def _series(body: bytes, hall: str) -> list[bytes]:
    return [ln for ln in body.splitlines() if f'hall="{hall}"'.encode() in ln]


# -- synthetic views: every kind of change ------------------------------------------------


@pytest.mark.parametrize("metric_set", METRIC_SETS)
def test_equal_to_generate_latest_through_every_kind_of_change(metric_set: MetricSet) -> None:
    halls = Halls([make_view("h1"), make_view("h2", busy=False), make_view("h3")], metric_set)
    halls.scrape()
    halls.scrape()  # nothing changed
    h1, h2, h3 = halls.views
    live = h1.live
    bounds = (60.0, 300.0, 900.0)
    changes = [
        # values move: counts, the clock-driven oldest wait, a histogram bucket
        replace(h1, live=replace(live, issued=live.issued | {("consult", "vip"): 4})),
        replace(h1, live=replace(live, oldest_wait_s={"consult": 627.5, "payment": 0.0})),
        replace(
            h1,
            live=replace(
                live, wait=live.wait | {"consult": Histogram(bounds, (3, 5, 6), 8, 5000.0)}
            ),
        ),
        # a key beyond the configuration appears, then goes
        replace(h1, live=replace(live, queue=live.queue | {"fax": 2})),
        h1,
        # forecast and nowcast go and come back with other values
        replace(h1, forecast=None, nowcast=None),
        replace(
            h1,
            nowcast=NowcastNow(
                computed_s=1_767_000_100.0,
                wait_s={("consult", "0m"): math.nan, ("payment", "15m"): 12.5},
                breach_probability={"0m": 1.0},
                present_queue={"consult": 0.5},
            ),
        ),
        # the hall is renamed: every one of its labels changes
        replace(h1, info=replace(h1.info, name='旗舰 "新"\\厅')),
        # an unknown service's histogram appears (with the hall's bounds)
        replace(
            h1,
            live=replace(live, wait=live.wait | {"fax": Histogram(bounds, (0, 1, 1), 1, 200.0)}),
        ),
    ]
    for changed in changes:
        halls.views = [changed, h2, h3]
        halls.scrape()
    # halls leave, come back, change order
    halls.views = [h3]
    halls.scrape()
    halls.views = [h3, h2, h1]
    halls.scrape()
    halls.views = []
    halls.scrape()


def test_only_changed_lines_are_written_and_a_changed_hall_shows_its_new_value() -> None:
    halls = Halls([make_view("h1"), make_view("h2")])
    body = halls.scrape()
    written = halls.blocks.lines_rendered
    assert written == body.count(b"\n") - 2 * body.count(b"# TYPE")  # every line, once
    assert halls.scrape() == body
    assert halls.blocks.lines_rendered == written  # nothing changed: nothing written

    h1, h2 = halls.views
    served = h1.live.counter_served | {"B1": 13}
    halls.views = [replace(h1, live=replace(h1.live, counter_served=served)), h2]
    body2 = halls.scrape()
    assert b'hall_counter_served_total{counter="B1",hall="h1"} 13.0\n' in body2
    assert b'hall_counter_served_total{counter="B1",hall="h1"} 12.0\n' not in body2
    assert _series(body2, "h2") == _series(body, "h2")
    assert halls.blocks.lines_rendered == written  # a new value on a known line: no new line

    renamed = replace(h2, info=replace(h2.info, name="新名字"))
    halls.views = [halls.views[0], renamed]
    body3 = halls.scrape()
    assert b'name="\xe6\x96\xb0\xe5\x90\x8d\xe5\xad\x97"' in body3  # 新名字
    # only the renamed hall's labels changed, and only its hall_info line carries the name
    assert halls.blocks.lines_rendered == written + 1


def _samples_alive() -> int:
    """Samples reachable now (the garbage of earlier tests collected first)."""
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is Sample)


def test_a_scrape_keeps_no_samples_but_those_of_the_lines_it_wrote() -> None:
    """A scrape of halls that did not change leaves no new sample alive (a
    sample holds its label dict, so the cyclic collector would traverse every
    one kept, then promote it toward the full passes over the whole heap)."""
    halls = Halls([make_view(f"h{i}") for i in range(20)])
    halls.scrape()
    alive = _samples_alive()
    for _ in range(3):
        halls.scrape()
    assert _samples_alive() == alive

    h0 = halls.views[0]
    served = h0.live.counter_served | {"B1": 13}
    halls.views = [replace(h0, live=replace(h0.live, counter_served=served)), *halls.views[1:]]
    halls.scrape()  # one family of one hall changed: its samples replace those it had
    assert _samples_alive() == alive


def test_compact_publishes_one_histogram_per_hall_with_the_services_added_up() -> None:
    view = make_view("h1")
    full = Halls([view], "full").scrape().decode()
    compact = Halls([view], "compact").scrape().decode()
    assert 'hall_wait_seconds_bucket{hall="h1",le="900.0"} 12.0' in compact  # 6 + 6
    assert 'hall_wait_seconds_count{hall="h1"} 14.0' in compact
    assert 'hall_service_seconds_sum{hall="h1"} 84.0' in compact
    assert 'le="900.0",service="consult"' in full and 'service="consult"}' in full
    histograms = [ln for ln in compact.splitlines() if ln.startswith(HISTOGRAMS)]
    assert histograms and not any("service=" in ln for ln in histograms)
    lines = [ln for ln in full.splitlines() if not ln.startswith("#")]
    compact_lines = [ln for ln in compact.splitlines() if not ln.startswith("#")]
    per_service = 2 * (len(view.info.services) - 1) * (3 + 1 + 2)  # two histograms, 3 bounds
    assert len(lines) - len(compact_lines) == per_service


def test_a_hall_that_sent_nothing_has_no_histogram_in_the_compact_set() -> None:
    view = make_view("h1", busy=False)
    view = replace(view, live=replace(view.live, wait={}, service_time={}))
    body = Halls([view], "compact").scrape()
    assert b"hall_wait_seconds_bucket" not in body


# -- a real monitor: events, forecasts and nowcasts ---------------------------------------


def test_equal_to_generate_latest_while_a_real_hall_takes_its_day(
    tmp_path: Path, settings: Settings, county_day: list[Event], flagship_day: list[Event]
) -> None:
    monitor = Monitor(settings.model_copy(update={"store": tmp_path / "store.db"}))
    monitor.open()
    try:
        county, flagship = monitor.halls()
        blocks = HallBlocks(HallCollector(monitor.views))
        registry = CollectorRegistry(auto_describe=False)
        registry.register(HallCollector(monitor.views))
        steps = 12
        for k in range(steps):
            for hall, day in ((county, county_day), (flagship, flagship_day)):
                size = math.ceil(len(day) / steps)
                monitor.ingest(hall, day[k * size : (k + 1) * size])
            if k == steps // 2:
                nowcast = NowcastNow(
                    computed_s=monitor.now_s("county"),
                    wait_s={("business", "0m"): 321.0},
                    breach_probability={"0m": 0.25, "15m": 0.5},
                    present_queue={"business": 1.5},
                )
                monitor.publish_nowcast("county", nowcast)
            body = blocks.render()
            assert body == generate_latest(registry), f"step {k}"
        served = [ln for ln in body.splitlines() if ln.startswith(b"hall_tickets_served_total")]
        assert sum(float(ln.rsplit(b" ", 1)[1]) for ln in served) > 100
    finally:
        monitor.close()
