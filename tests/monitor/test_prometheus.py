"""The exporter against the real Prometheus (Debian package, started here on
127.0.0.1): ``promtool check metrics`` finds nothing to lint in ``/metrics``, and
a Prometheus that scrapes a real ``hallmon serve`` answers PromQL over the
published families with the exporter's own numbers."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.monitor.server import free_port, replayed_county

pytestmark = [pytest.mark.integration]

PROMETHEUS_S = 120.0  # deadline for start-up and the first scrape on a loaded machine


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:  # `make test` installs it; a bare pytest run must say so, not skip
        pytest.fail(f"{name} is not installed (apt-get install prometheus, or run `make test`)")
    return path


def test_promtool_finds_nothing_to_lint(tmp_path: Path) -> None:
    promtool = _binary("promtool")
    with replayed_county(tmp_path) as server:
        text = server.get("/metrics").text
    assert "hall_wait_seconds_bucket" in text and "hall_tickets_issued_total" in text
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    findings = set((checked.stdout + checked.stderr).strip().splitlines())
    # "counter" in these names is the hall's service counter (柜台), named so by the
    # issue that defines the metrics; promtool's lint flags the word whatever it means
    known = {
        f"{name} metric name should not include type 'counter'"
        for name in ("hall_counter_busy", "hall_counter_served_total")
    }
    assert findings - known == set(), checked.stdout + checked.stderr
    assert checked.returncode in (0, 3)  # 3: lint findings only, no parse errors


@contextmanager
def _prometheus(tmp_path: Path, target: str) -> Iterator[str]:
    """A real Prometheus scraping ``target`` every second; yields its URL."""
    binary = _binary("prometheus")
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        f"  - {{job_name: hallmon, static_configs: [{{targets: ['{target}']}}]}}\n",
        encoding="utf-8",
    )
    log = (tmp_path / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + PROMETHEUS_S
        while True:
            try:
                if httpx.get(f"{url}/-/ready", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, (tmp_path / "prometheus.log").read_text()
            assert time.monotonic() < deadline, "prometheus did not become ready"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _query(url: str, promql: str) -> list[dict[str, object]]:
    """The instant vector of ``promql``, polled until it is not empty (the first
    scrape lands a few seconds after start)."""
    deadline = time.monotonic() + PROMETHEUS_S
    while True:
        body = httpx.get(f"{url}/api/v1/query", params={"query": promql}, timeout=10).json()
        assert body["status"] == "success", body
        result: list[dict[str, object]] = body["data"]["result"]
        if result:
            return result
        assert time.monotonic() < deadline, f"no result for {promql}"
        time.sleep(0.25)


def _value(sample: dict[str, object]) -> float:
    value = sample["value"]
    assert isinstance(value, list)
    return float(value[1])


@pytest.mark.slow
def test_prometheus_scrapes_the_exporter(tmp_path: Path) -> None:
    with replayed_county(tmp_path) as server:
        state = server.get("/v1/halls/county/state").json()
        issued = sum(row["count"] for row in state["issued"])
        called = sum(row["count"] for row in state["called"])  # no-shows too, as the SLO
        called_in_time = sum(
            b["count"] for h in state["wait"].values() for b in h["buckets"] if b["le_s"] == 900.0
        )
        target = server.url.removeprefix("http://")
        with _prometheus(tmp_path, target) as prom:
            up = _query(prom, 'up{job="hallmon"} == 1')
            assert len(up) == 1
            total = _query(prom, 'sum(hall_tickets_issued_total{hall="county"})')
            assert _value(total[0]) == issued > 0
            # the SLO ratio an alert rule would use: called within the target / called
            ratio = _query(
                prom,
                'sum(hall_wait_seconds_bucket{hall="county",le=~"900(\\\\.0)?"})'
                ' / sum(hall_wait_seconds_count{hall="county"})',
            )
            assert _value(ratio[0]) == pytest.approx(called_in_time / called)
            info = _query(prom, 'hall_info{hall="county"}')
            assert info[0]["metric"]["name"] == "县城营业厅"  # type: ignore[index]
            zeros = _query(prom, 'hall_queue_length{hall="flagship"}')
            assert {s["metric"]["service"] for s in zeros} == {  # type: ignore[index]
                "consult", "business", "after_sales", "payment"
            }  # fmt: skip
            assert all(_value(s) == 0 for s in zeros)
