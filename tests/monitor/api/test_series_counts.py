"""The series a hall publishes, as the metrics reference and the README state
them: counted in a real scrape of the bundled flagship and county halls
before their first event, after a morning's events, and with forecast and
nowcast at 11:00, in both metric sets. A change to the exposition that adds or
drops series fails here until the documents say the new counts."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client import CollectorRegistry, disable_created_metrics, generate_latest

from monitor.api.collector import HallCollector, MetricSet
from monitor.background.loops import Background
from monitor.core.config import load_settings
from monitor.core.monitor import Monitor
from sim.eventlog.events import Event
from tests.monitor.conftest import ENV, ROOT, write_config

pytestmark = pytest.mark.slow
# a row of the reference's table: | bundled <hall> (...) | before | after | full | compact |
ROW = re.compile(
    r"^\| bundled (\w+) \([^|]*\) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|$", re.MULTILINE
)


def _per_hall(monitor: Monitor, metric_set: MetricSet) -> dict[str, int]:
    disable_created_metrics()  # type: ignore[no-untyped-call]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HallCollector(monitor.views, metric_set=metric_set))
    lines = [ln for ln in generate_latest(registry).decode().splitlines() if ln[:1] != "#"]
    return {h: sum(f'hall="{h}"' in ln for ln in lines) for h in monitor.hall_ids()}


@pytest.fixture(scope="module")
def measured(
    tmp_path_factory: pytest.TempPathFactory, county_day: list[Event], flagship_day: list[Event]
) -> dict[str, tuple[int, int, int, int]]:
    config = write_config(
        tmp_path_factory.mktemp("series"),
        nowcast="{every: 60, replications: 4}",  # the counts do not depend on how many
        forecast="{replications: 2}",
    )
    monitor = Monitor(load_settings(config, environ=ENV))
    monitor.open()
    try:
        before = _per_hall(monitor, "full")
        for hall, day in (("county", county_day), ("flagship", flagship_day)):
            monitor.ingest(monitor.hall(hall), [e for e in day if e.ts.hour < 11])
        after = _per_hall(monitor, "full")

        async def forecast_and_nowcast() -> None:
            with ThreadPoolExecutor(2) as pool:
                background = Background(monitor, pool)
                await background.refresh_forecasts()
                await background.refresh_nowcasts()

        asyncio.run(forecast_and_nowcast())
        assert all(v.nowcast for v in monitor.views()), "every hall has its nowcast"
        full, compact = _per_hall(monitor, "full"), _per_hall(monitor, "compact")
    finally:
        monitor.close()
    return {h: (before[h], after[h], full[h], compact[h]) for h in ("county", "flagship")}


def test_the_metrics_reference_states_the_measured_counts(
    measured: dict[str, tuple[int, int, int, int]],
) -> None:
    text = (ROOT / "docs/reference/metrics.md").read_text(encoding="utf-8")
    stated = {m[1]: tuple(int(n) for n in m.groups()[1:]) for m in ROW.finditer(text)}
    assert stated == measured


def test_the_readme_states_the_flagships_counts(
    measured: dict[str, tuple[int, int, int, int]],
) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    full, compact = measured["flagship"][2:]
    assert f"{full} series a hall ({compact} with `metrics: compact`)" in text
