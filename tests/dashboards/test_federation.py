"""Beyond one Prometheus: a shard Prometheus (the generated prometheus.yml and
the shipped rules) scrapes a real exporter holding a replayed county day, and
a global Prometheus (the shipped ``global.yml``, its placeholder target replaced
by the shard server and its intervals by 1 s) federates from it. The city
aggregate arrives at the global server with the shard's value, which is the
exporter's own count of customers called in time over customers called; hall
series do not."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from monitor.core.config import load_settings
from monitor.ops.prometheus_config import Deployment, render_prometheus_config
from tests.dashboards.promserver import query, running_prometheus, value
from tests.dashboards.stack import PROMETHEUS_DIR, RULES
from tests.monitor.conftest import ENV
from tests.monitor.server import replayed_county

WAIT_S = 60.0  # the shard evaluates, the global scrapes: a few seconds, on a busy machine more

CITY_RATIO = 'city:hall_called_within_target:ratio_today{city="广州"}'


def _called_in_time(metrics: str, hall: str) -> tuple[float, float]:
    """(called within 900 s, called) of ``hall`` summed over services, from /metrics."""
    good = total = 0.0
    for family in text_string_to_metric_families(metrics):
        if family.name != "hall_wait_seconds":
            continue
        for sample in family.samples:
            if sample.labels.get("hall") != hall:
                continue
            if sample.name == "hall_wait_seconds_bucket" and sample.labels["le"] == "900.0":
                good += sample.value
            elif sample.name == "hall_wait_seconds_count":
                total += sample.value
    return good, total


def _global_config(shard: str) -> str:
    """global.yml with the shard server as its only target and 1 s intervals."""
    config = yaml.safe_load((PROMETHEUS_DIR / "global.yml").read_text(encoding="utf-8"))
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    (job,) = config["scrape_configs"]
    job["static_configs"] = [{"targets": [shard]}]
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)


@pytest.mark.slow
@pytest.mark.integration
def test_the_global_prometheus_gets_the_city_aggregates_only(tmp_path: Path) -> None:
    with replayed_county(tmp_path) as server:
        good, total = _called_in_time(server.get("/metrics").text, "county")
        assert total > 0
        deployment = Deployment(
            host="127.0.0.1", base_port=server.port, alertmanagers=(), interval="1s"
        )
        config = tmp_path / "monitor.yaml"  # written by replayed_county (write_config)
        shard_config = render_prometheus_config(load_settings(config, environ=ENV), deployment)
        with running_prometheus(tmp_path, shard_config, RULES) as shard:
            at_shard = query(shard, CITY_RATIO, timeout_s=WAIT_S)
            assert value(at_shard[0]) == pytest.approx(good / total)
            # wait until the shard's rules have seen the whole day before federating
            query(shard, f"{CITY_RATIO} == {good / total!r}", timeout_s=WAIT_S)
            with running_prometheus(tmp_path, _global_config(shard.removeprefix("http://"))) as g:
                (arrived,) = query(g, CITY_RATIO, timeout_s=WAIT_S)
                assert value(arrived) == pytest.approx(good / total)
                assert arrived["metric"]["job"] == "hallq-federate"
                district = query(g, "district:hall_called_within_target:ratio_today", timeout_s=5)
                assert {s["metric"]["district"] for s in district} == {"从化区"}
                names = httpx.get(f"{g}/api/v1/label/__name__/values", timeout=10).json()["data"]
                federated = {n for n in names if not n.startswith(("up", "scrape_"))}
                assert federated and all(n.startswith(("district:", "city:")) for n in federated)
                assert query(g, 'hall:hall_called_within_target:ratio_today{hall="county"}') == []
