"""``hallmon`` with its ingest cut short, for ``bench_ingest_breakdown.py``:
``python benchmarks/ingest_variant.py answer|read serve ...`` runs the real
command line, with ``Monitor.receive`` replaced before the server starts.

answer  the batch is acknowledged at once, its body neither read nor stored:
        what HTTP, routing, the token and the hand-off to a thread cost
read    the body is read and checked (``read_batch``: the whole contract), then
        acknowledged, nothing stored or applied

Everything else (the app, its middleware, the hall's limits before the body
is read) is the server's own. Not for use outside the benchmark: a variant
acknowledges events it does not keep.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.cli.app import main
from monitor.core.batches import read_batch
from monitor.core.config import Hall
from monitor.core.monitor import Monitor
from monitor.core.snapshot import Ingested

VARIANTS = ("answer", "read")


def _answer(self: Monitor, hall: Hall, body: bytes, media: str) -> Ingested:
    return Ingested(body.count(b'"id"'), 0)


def _read(self: Monitor, hall: Hall, body: bytes, media: str) -> Ingested:
    return Ingested(len(read_batch(body, media, hall.id, self._states[hall.id].days)), 0)


if __name__ == "__main__":
    variant = sys.argv.pop(1)
    if variant not in VARIANTS:
        raise SystemExit(f"ingest_variant: {variant!r} is not one of {', '.join(VARIANTS)}")
    Monitor.receive = _answer if variant == "answer" else _read  # type: ignore[method-assign]
    sys.argv[0] = "hallmon"
    main()
