"""Issues 14 and 25: ingest keeps its share of the server under a flood of readers.

A real ``hallmon serve`` (``benchmarks/bench_read_flood.py``, whose
measurement this test runs); one writer posts the flagship hall's simulated
days (about 1,900 events a day, a new date each day, so the live state stays
one day's size, as in a real hall) in batches of 500 as fast as it can, first alone
(the no-readers figure), then while ``READERS`` readers in another process
fetch ``/metrics`` and ``/v1/halls/flagship/state`` (half each, as the issue's
probe did) as fast as they can, then alone again. The readers wait at the read
gate: at most ``limits.readers`` at once, after the ingest in flight, and while
ingest is busy they get at most ``1 - limits.ingest_share`` of the time
(:class:`monitor.api.gate.ReadBudget`), so ingest keeps at least ``MIN_RATIO``
of its no-readers rate, the mean of the two figures measured alone in the same
test.

How ``MIN_RATIO`` was chosen, from runs on the 2-core development machine
(shared with other work, so one figure moves by up to ±40% between runs):
issue 14's gate kept 0.44-0.87 of ingest under 8 readers of the state alone;
issue 25 measured 0.22 with 4 of the 8 on ``/metrics``, which then passed the
gate; with ``/metrics`` gated and the reader budget, the benchmark's ratios
were 0.83-1.21 on a machine loaded by other jobs (the flood then costs less
than the noise). A flood of the cheapest route, ``/healthz``, which passes no
gate, gave 0.39-0.42 (32 readers): what accepting and answering requests costs
on two cores, a floor no gate can lift. So the bound, 0.3, has room for a
loaded CI machine and fails a collapse like the one the issue measured.
"""

from __future__ import annotations

import asyncio
import time
from types import ModuleType

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from monitor.api.gate import _BURST_S, MIN_READ_COST_S, ReadBudget, ReadGate
from tests.benchmarks import benchmark

READERS = 8
PHASE_S = 6.0
MIN_RATIO = 0.3


def _benchmark() -> ModuleType:
    """``benchmarks/bench_read_flood.py``: the test runs the benchmark's own
    measurement, one pair of phases."""
    return benchmark("bench_read_flood")


@pytest.mark.slow
@pytest.mark.integration
def test_ingest_keeps_its_pace_under_a_read_flood() -> None:
    result = _benchmark().measure(READERS, PHASE_S, pairs=1, share=None)
    (run,) = result["runs"]
    print(f"ingest alone {run['alone_per_s']:.0f}/s, {READERS} readers: "
          f"{run['flooded_per_s']:.0f}/s ({run['ratio']:.2f}) {run['reads']}")  # fmt: skip
    assert run["ratio"] >= MIN_RATIO, run
    served = {path: n for path, n in run["reads"].items() if path.endswith(" 200")}
    assert len(served) == 2, run["reads"]  # both kinds of readers were served too, in turn


class _Recorder:
    """An ASGI app that answers after ``hold_s`` and records how many of its
    requests ran at once, and when each read started."""

    def __init__(self, hold_s: float) -> None:
        self.hold_s = hold_s
        self.running = 0
        self.most = 0
        self.read_starts: list[float] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.running += 1
        self.most = max(self.most, self.running)
        if scope["method"] == "GET":
            self.read_starts.append(time.monotonic())
        try:
            await asyncio.sleep(self.hold_s)
        finally:
            self.running -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def _requests(gate: ReadGate, reads: int, ingest: bool) -> list[int]:
    transport = httpx.ASGITransport(app=gate)
    async with httpx.AsyncClient(transport=transport, base_url="http://hallmon") as client:
        calls = [client.get("/v1/halls/county/state") for _ in range(reads)]
        if ingest:
            calls.insert(0, client.post("/v1/halls/county/events", content=b"[]"))
        replies = await asyncio.gather(*calls)
    return [r.status_code for r in replies]


def test_the_gate_bounds_readers_and_lets_ingest_through() -> None:
    recorder = _Recorder(hold_s=0.05)
    gate = ReadGate(recorder, readers=2, wait_s=10.0)
    assert asyncio.run(_requests(gate, reads=10, ingest=False)) == [200] * 10
    assert recorder.most == 2  # ten readers, two at a time
    # readers wait for the ingest in flight (it takes 0.05 s) before they start
    recorder = _Recorder(hold_s=0.05)
    gate = ReadGate(recorder, readers=2, wait_s=10.0)
    start = time.monotonic()
    assert asyncio.run(_requests(gate, reads=4, ingest=True)) == [200] * 5
    assert min(recorder.read_starts) - start >= 0.04


def test_ingest_never_waits_behind_readers() -> None:
    recorder = _Recorder(hold_s=0.5)
    gate = ReadGate(recorder, readers=2, wait_s=10.0)

    async def run() -> float:
        transport = httpx.ASGITransport(app=gate)
        async with httpx.AsyncClient(transport=transport, base_url="http://h") as client:
            reads = [asyncio.create_task(client.get("/v1/halls")) for _ in range(6)]
            await asyncio.sleep(0.05)  # two readers hold both slots, four wait
            start = time.monotonic()
            posted = await client.post("/v1/halls/county/events", content=b"[]")
            took = time.monotonic() - start
            assert posted.status_code == 200
            await asyncio.gather(*reads)
            return took

    assert asyncio.run(run()) < 0.5 + 0.3  # its own 0.5 s, not behind the readers' 1.5 s
    assert recorder.most == 3


def test_a_reader_that_waits_too_long_gets_503() -> None:
    gate = ReadGate(_Recorder(hold_s=0.5), readers=1, wait_s=0.2)
    statuses = asyncio.run(_requests(gate, reads=3, ingest=False))
    assert sorted(statuses) == [200, 503, 503]


def test_while_ingest_is_busy_readers_get_their_share_of_the_time() -> None:
    now = [0.0]
    budget = ReadBudget(ingest_share=0.75, clock=lambda: now[0])
    assert budget.wait_s() == 0.0  # a burst may start at once
    budget.charge(_BURST_S + 0.1)  # a read of 0.1 s beyond the burst
    assert budget.wait_s() == pytest.approx(0.1 / 0.25)  # paid back at 1 - 0.75 a second
    now[0] += 0.2
    assert budget.wait_s() == pytest.approx(0.05 / 0.25)
    now[0] += 10.0
    assert budget.wait_s() == 0.0
    budget.charge(0.0)  # a read is charged what it ran, and the gate charges at least this
    assert MIN_READ_COST_S > 0


def _reads_beside_a_writer(gate: ReadGate, recorder: _Recorder, seconds: float) -> int:
    """Reads that started while one writer posted back to back for ``seconds``
    and eight readers read as fast as they could (each request of either kind
    runs the recorder's hold)."""

    async def run() -> int:
        transport = httpx.ASGITransport(app=gate)
        async with httpx.AsyncClient(transport=transport, base_url="http://h") as client:
            end = time.monotonic() + seconds

            async def write() -> None:
                while time.monotonic() < end:
                    await client.post("/v1/halls/county/events", content=b"[]")

            async def read() -> None:
                while time.monotonic() < end:
                    await client.get("/v1/halls")

            await asyncio.gather(write(), *(read() for _ in range(8)))
        return sum(1 for t in recorder.read_starts if t <= end)

    return asyncio.run(run())


def test_the_gate_holds_readers_to_their_share_while_ingest_runs() -> None:
    """With ``ingest_share`` 0.75 readers get at most a quarter of two busy
    seconds (and the budget's burst); without a share they take the gaps
    between batches, two at a time, several times as much."""
    hold_s, seconds = 0.05, 2.0
    budgeted = _Recorder(hold_s=hold_s)
    reads = _reads_beside_a_writer(
        ReadGate(budgeted, readers=2, wait_s=10.0, ingest_share=0.75), budgeted, seconds
    )
    bound = (0.25 * seconds + _BURST_S) / hold_s + 2
    assert reads <= bound, reads
    unmetered = _Recorder(hold_s=hold_s)
    control = _reads_beside_a_writer(
        ReadGate(unmetered, readers=2, wait_s=10.0), unmetered, seconds
    )
    assert control > 2 * bound, control  # the test can tell a budget from none


class _Split:
    """Ingest to one app, reads to another."""

    def __init__(self, ingest: _Recorder, reads: _Recorder) -> None:
        self.ingest, self.reads = ingest, reads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self.ingest if scope["method"] == "POST" else self.reads
        await app(scope, receive, send)
