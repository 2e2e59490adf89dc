"""The rules' cost late in the day, when every range they read is full.

A 30-minute soak (``bench_province.py``) sees the rules that read a range
(``increase(...[6h])``, ``last_over_time(hall_info[6h])``) with at most 30
minutes in it; their cost grows with what is in the range until the range is
full, six hours after the series began. This benchmark starts a real
Prometheus on a TSDB already holding the last ``--hours`` hours of a
province's series that those rules read, once for each value given (by
default 0.5, what the soak sees, and 6, the longest range a rule reads): the
day-so-far recording series by hall and service and ``hall_info`` of
``--halls`` halls (one in ``1 / --flagship-share`` with the flagship's four
services, the others the county hall's three), a sample each 15 s
(``--step``) as the rules and the scrape write them (OpenMetrics, ``promtool
tsdb create-blocks-from openmetrics``). Prometheus runs the repository's rule
files (``dashboards/prometheus/rules``) evaluated each 15 s and, after
``--evaluations`` evaluations, each rule's evaluation time is read from
``/api/v1/rules``, and how many series each recording rule over a range
wrote (all of them: the rules did read the series).

Reported: each rule that reads a range, by its range, in seconds an
evaluation (the median of the evaluations seen), their sum a round against
the evaluation interval (the limit: a group that takes longer than its
interval skips evaluations), the ``[30m]`` rules' time per sample in range
against the ``[6h]`` rules' (whether the cost is linear in the range), the
CPU Prometheus used meanwhile, in cores, and from the first run to the last
how much the round and the CPU grew. The rules that read the exporter's own
series find none here (no exporter runs): their cost does not grow through
the day and is measured by the soak.

Not a test and not in CI (``tests/dashboards/test_windows_bench.py`` runs it
small). Needs the Debian ``prometheus`` (and ``promtool``). Exit status 0
whatever it finds.

    python benchmarks/bench_windows.py [--halls 2000] [--hours 0.5 6] [--evaluations 4]
        [--step 15] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TextIO

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from serving import cpu_s, free_port, own_metric  # noqa: E402

RULES = ROOT / "dashboards/prometheus/rules"
STEP_S = 15  # evaluation and scrape interval of the bundled configuration (--step)
FLAGSHIP_SERVICES = ("business", "after_sales", "consult", "payment")
COUNTY_SERVICES = ("consult", "business", "payment")
# the day-so-far series the windowed rules read, and the longest range each is read over
DAY_SERIES = {
    "hall_service:hall_wait_seconds_within_target:today": 6.0,
    "hall_service:hall_wait_seconds_count:today": 6.0,
    "hall_service:hall_tickets_issued:today": 1.0,
    "hall_service:hall_tickets_abandoned:today": 1.0,
}
Halls = list[tuple[str, tuple[str, ...]]]  # (hall id, its services)
_RANGE = re.compile(r"\[(\d+)([mh])\]")


def halls(n: int, flagship_share: float) -> Halls:
    """``n`` halls with their services: every ``1 / flagship_share``-th the flagship."""
    every = max(1, round(1 / flagship_share)) if flagship_share > 0 else n + 1
    return [
        (f"h{i:04d}", FLAGSHIP_SERVICES if i % every == 0 else COUNTY_SERVICES) for i in range(n)
    ]


def write_openmetrics(out: TextIO, hall_list: Halls, hours: float, end_s: int,
                      step_s: int = STEP_S, instance: str = "127.0.0.1:9180") -> int:  # fmt: skip
    """The series of the province ending at ``end_s``, one sample each
    ``step_s`` (day-so-far counts rising as a busy hall's do; ``hall_info`` as
    scraped from the exporter at ``instance``); lines written."""
    lines = 0
    for name, longest_h in DAY_SERIES.items():
        span_h = min(hours, longest_h) + 0.25  # the range and a little more
        stamps = range(end_s - int(span_h * 3600), end_s + 1, step_s)
        out.write(f"# TYPE {name} gauge\n")
        for k, (hall, services) in enumerate(hall_list):
            for j, service in enumerate(services):
                head = f'{name}{{hall="{hall}",service="{service}"}} '
                value = 0
                chunk = []
                for i, t in enumerate(stamps):
                    value += (i * 7 + k * 3 + j) % 11 == 0  # about one a 3 minutes
                    chunk.append(f"{head}{value} {t}\n")
                out.write("".join(chunk))
                lines += len(chunk)
    out.write("# TYPE hall_info gauge\n")
    stamps = range(end_s - int((hours + 0.25) * 3600), end_s + 1, step_s)
    for hall, _ in hall_list:
        head = (
            f'hall_info{{hall="{hall}",name="hall {hall}",district="d{int(hall[1:]) % 40:02d}",'
            f'city="c{int(hall[1:]) % 8}",job="hallmon",instance="{instance}"}} 1 '
        )
        out.write("".join(f"{head}{t}\n" for t in stamps))
        lines += len(stamps)
    out.write("# EOF\n")
    return lines


def range_hours(expr: str) -> float | None:
    """The longest range an expression reads, in hours (None: no range)."""
    found = [int(n) / (60 if unit == "m" else 1) for n, unit in _RANGE.findall(expr)]
    return max(found) if found else None


def measure(args: argparse.Namespace, hours: float) -> dict[str, Any]:
    """The rules' cost with the last ``hours`` of the province's series in
    Prometheus (see the module docstring)."""
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    if prometheus is None or promtool is None:
        raise SystemExit("bench_windows: needs Debian's prometheus (apt-get install prometheus)")
    hall_list = halls(args.halls, args.flagship_share)
    work = Path(tempfile.mkdtemp(prefix="bench-windows-"))
    target = _UpTarget()
    try:
        step = args.step
        end_s = int(time.time()) // step * step
        source = work / "province.om"
        start = time.monotonic()
        with source.open("w", encoding="utf-8") as out:
            lines = write_openmetrics(out, hall_list, hours, end_s, step, target.address)
        written_s = time.monotonic() - start
        start = time.monotonic()
        subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(source),
                        str(work / "data")], check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        blocks_s = time.monotonic() - start
        source.unlink()
        config = work / "prometheus.yml"
        rule_files = sorted(str(p) for p in RULES.glob("*.yml"))
        config.write_text(
            f"global: {{scrape_interval: {step}s, evaluation_interval: {step}s}}\n"
            f"rule_files: {json.dumps(rule_files)}\n"
            # a stand-in for the exporter, up and publishing nothing: its rules read
            # nothing, and no alert fires for the halls of an exporter down
            "scrape_configs:\n  - job_name: hallmon\n"
            f"    static_configs: [{{targets: ['{target.address}']}}]\n",
            encoding="utf-8",
        )
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [prometheus, f"--config.file={config}", f"--storage.tsdb.path={work / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
             # the backfilled 2-hour blocks are not merged meanwhile: the CPU is the rules'
             "--storage.tsdb.max-block-duration=2h"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            rules = _evaluations(url, server, args.evaluations, step)
            rules["compactions"] = own_metric(url, "prometheus_tsdb_compactions_total")
            rules["series_out"] = _series_out(url, rules["rules"])
            rules["alerts"] = _count(url, "ALERTS")
        finally:
            server.terminate()
            server.wait(timeout=60)
    finally:
        target.close()
        shutil.rmtree(work, ignore_errors=True)
    rules |= {"lines": lines, "write_s": written_s, "blocks_s": blocks_s}
    return _report(args, hours, hall_list, rules)


def _evaluations(
    url: str, server: subprocess.Popen[bytes], wanted: int, step_s: int
) -> dict[str, Any]:
    """Each rule's evaluation times (seconds) over ``wanted`` evaluations of
    its group, with its expression and group."""
    deadline = time.monotonic() + 300 + wanted * step_s * 3
    cpu_from: tuple[float, float] | None = None  # (CPU s, wall s) after the first evaluation
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    groups: dict[str, list[float]] = {}
    last: dict[str, str] = {}
    while True:
        if server.poll() is not None:
            raise RuntimeError("prometheus exited")
        if time.monotonic() > deadline:
            raise RuntimeError("the rule groups did not evaluate often enough")
        try:
            answer = httpx.get(f"{url}/api/v1/rules", timeout=30)
        except httpx.TransportError:
            answer = None
        if answer is None or answer.status_code != 200:  # not listening, or not ready yet
            time.sleep(1)
            continue
        if not _count(url, 'up{job="hallmon"} == 1'):  # evaluations before the first scrape:
            time.sleep(1)  # "no hallmon target" would be pending, and the rules' inputs
            continue  # not all there yet
        reply = answer.json()
        for group in reply["data"]["groups"]:
            at = group.get("lastEvaluation", "")
            if at.startswith("0001") or last.get(group["name"]) == at:
                continue  # not evaluated yet, or not since last time
            last[group["name"]] = at
            groups.setdefault(group["name"], []).append(float(group["evaluationTime"]))
            for rule in group["rules"]:
                name = rule.get("name") or rule.get("alert")
                entry = seen.setdefault((group["name"], name), {"expr": rule["query"], "times": []})
                entry["times"].append(float(rule["evaluationTime"]))
        if cpu_from is None and groups and min(len(t) for t in groups.values()) >= 1:
            cpu_from = (cpu_s([server.pid]), time.monotonic())
        if groups and min(len(t) for t in groups.values()) >= wanted + 1:
            break
        time.sleep(2)
    assert cpu_from is not None
    cores = (cpu_s([server.pid]) - cpu_from[0]) / (time.monotonic() - cpu_from[1])
    # the first evaluation reads the blocks from disk into the page cache: left out
    return {
        "groups": {g: t[1:] for g, t in groups.items()},
        "cores": cores,
        "rules": {k: {"expr": v["expr"], "times": v["times"][1:]} for k, v in seen.items()},
    }


def _series_out(url: str, rules: dict[tuple[str, str], dict[str, Any]]) -> dict[str, int]:
    """How many series each recording rule that reads a range wrote at its
    last evaluation: what says the rules read the backfilled series (a rule
    that finds none costs next to nothing)."""
    out = {}
    for (_, name), rule in rules.items():
        if ":" in name and range_hours(rule["expr"]) is not None:
            out[name] = _count(url, f"{{__name__={json.dumps(name)}}}")
    return out


def _count(url: str, selector: str) -> int:
    """How many series ``selector`` selects now."""
    query = {"query": f"count({selector})"}
    result = httpx.get(f"{url}/api/v1/query", params=query, timeout=30).json()["data"]["result"]
    return int(float(result[0]["value"][1])) if result else 0


class _UpTarget:
    """What Prometheus scrapes as the exporter: up, publishing no series."""

    def __init__(self) -> None:
        class Empty(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Empty)
        self.address = f"127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _range_text(hours: float) -> str:
    return f"{hours:g}h" if hours >= 1 else f"{hours * 60:g}m"


def _report(
    args: argparse.Namespace, backfilled_h: float, hall_list: Halls, found: dict[str, Any]
) -> dict[str, Any]:
    by_range: dict[str, float] = {}
    windowed = []
    for (group, name), rule in found["rules"].items():
        hours = range_hours(rule["expr"])
        if hours is None or not rule["times"]:
            continue
        median_s = statistics.median(rule["times"])
        key = _range_text(hours)
        by_range[key] = by_range.get(key, 0.0) + median_s
        windowed.append({"group": group, "rule": name, "range_h": hours, "seconds": median_s})
    windowed.sort(key=lambda r: -r["seconds"])
    total_s = sum(by_range.values())
    series = sum(len(s) for _, s in hall_list)
    per_sample = {}
    for key, hours in (("30m", 0.5), ("6h", 6.0)):
        rules = [
            r for r in windowed if r["range_h"] == hours and r["rule"].startswith("hall_service")
        ]
        samples = len(rules) * series * min(hours, backfilled_h) * 3600 / args.step
        if rules and samples:
            per_sample[key] = sum(r["seconds"] for r in rules) / samples * 1e9
    return {
        "halls": len(hall_list),
        "series_per_day_family": series,
        "hours": backfilled_h,
        "samples_written": found["lines"],
        "write_s": found["write_s"],
        "blocks_s": found["blocks_s"],
        "evaluations": args.evaluations,
        "interval_s": args.step,
        "by_range_s": by_range,
        "windowed_s": total_s,
        "ratio_to_interval": total_s / args.step,
        "prometheus_cores": found["cores"],
        "compactions": found["compactions"],
        "groups_s": {g: statistics.median(t) for g, t in found["groups"].items() if t},
        "ns_per_sample": per_sample,
        "slowest": windowed[:8],
        "series_out": found["series_out"],
        "alerts": found["alerts"],
    }


def _hours(text: str) -> float:
    return float(text[:-1]) / (60 if text.endswith("m") else 1)


def report(r: dict[str, Any]) -> None:
    print(f"{r['halls']} halls ({r['series_per_day_family']} hall x service series a family), "
          f"the last {r['hours']:g} h backfilled ({r['samples_written']:,} samples; written in "
          f"{r['write_s']:.0f} s, blocks in {r['blocks_s']:.0f} s)")  # fmt: skip
    print(f"median of {r['evaluations']} evaluation(s), each rule that reads a range, by range:")
    for key, seconds in sorted(r["by_range_s"].items(), key=lambda kv: _hours(kv[0])):
        print(f"  [{key:>3}]   {seconds:7.3f} s")
    print(f"  all     {r['windowed_s']:7.3f} s a round = {r['ratio_to_interval']:.3f} of the "
          f"{r['interval_s']} s interval (limit 1)")  # fmt: skip
    for key, ns in r["ns_per_sample"].items():
        print(f"  hall x service rules over [{key}]: {ns:.1f} ns a sample in range")
    print("groups (median seconds an evaluation): "
          + ", ".join(f"{g} {s:.3f}" for g, s in r["groups_s"].items()))  # fmt: skip
    print(
        f"Prometheus meanwhile: {r['prometheus_cores']:.2f} cores (scraping a stand-in "
        f"exporter with no series; {r['compactions']:.0f} compactions, {r['alerts']} alerts)"
    )
    empty = sorted(name for name, n in r["series_out"].items() if n == 0)
    print(f"recording rules over a range: {len(r['series_out'])}, "
          f"{sum(r['series_out'].values()):,} series written"
          + (f"; NONE from {', '.join(empty)}" if empty else ""))  # fmt: skip
    print("slowest windowed rules:")
    for rule in r["slowest"]:
        print(
            f"  {rule['seconds']:7.3f} s  [{_range_text(rule['range_h'])}] {rule['group']}: "
            f"{rule['rule']}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--halls", type=int, default=2000, help="halls of the province")
    parser.add_argument("--flagship-share", type=float, default=0.1,
                        help="share of flagship halls (4 services; the others 3)")  # fmt: skip
    parser.add_argument("--hours", type=float, nargs="+", default=[0.5, 6.0],
                        help="hours of series backfilled, a run each (0.5: what a 30-minute "
                        "soak sees; 6: every range full)")  # fmt: skip
    parser.add_argument("--evaluations", type=int, default=4,
                        help="evaluations timed after the first (their median)")  # fmt: skip
    parser.add_argument("--step", type=int, default=STEP_S,
                        help="seconds between samples and between evaluations")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    results = [measure(args, hours) for hours in args.hours]
    growth = {
        "windowed_ratio": results[-1]["windowed_s"] / results[0]["windowed_s"],
        "cores_added": results[-1]["prometheus_cores"] - results[0]["prometheus_cores"],
    }
    if args.json:
        print(json.dumps({"runs": results, "growth": growth}, indent=2))
        return 0
    for result in results:
        report(result)
        print()
    if len(results) > 1:
        print(f"from {results[0]['hours']:g} h to {results[-1]['hours']:g} h backfilled: the "
              f"windowed rules x{growth['windowed_ratio']:.2f} a round, Prometheus "
              f"{growth['cores_added']:+.2f} cores")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
