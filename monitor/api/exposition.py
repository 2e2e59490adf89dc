"""``/metrics``: every hall's block rendered when it changes, joined at scrape,
and the joined body rendered at most once a second, whoever asks.

The text exposition lists each family once (``# HELP``, ``# TYPE``, then every
hall's samples), so a hall's *block* is its share of every family: one chunk of
lines per family. :class:`HallBlocks` keeps each hall's chunks with the samples
they were rendered from. A scrape builds every hall's samples with the
collector's own :meth:`~monitor.api.collector.HallCollector.add_hall` (the same
code whoever adds a family), compares each family's samples with the cached
ones, and renders only what differs; the body is the families' headers and the
halls' chunks joined in order. Building samples costs well under a microsecond
each; rendering a line with client_python costs several, so a province's
scrape costs what its *changed* lines cost, not all of them.

The cache cannot go stale: it is keyed by the samples themselves, not by a
guess of what changed, so a new event, forecast or nowcast, a day that rolls
over, a value that moves with the clock (the oldest wait) or a family someone
adds later all re-render exactly the lines whose samples changed. A line whose
name and labels are the same as before keeps its rendered name and labels and
takes the new value as client_python formats it (``floatToGoString``); new
lines go through client_python's ``generate_latest`` itself, many at once. The
body equals ``generate_latest`` of :meth:`HallCollector.collect` byte for byte
(``tests/monitor/api/test_exposition.py``); the only difference possible is
the one Python cannot see, a value turning from ``0.0`` to ``-0.0``, which
Prometheus reads as the same number.

Rendering the joined body still costs time in proportion to the halls;
Prometheus servers, their replicas and curious people may scrape at once.
:class:`Exposition` keeps the last body: a scrape within ``min_interval_s`` of
the last render gets it, and scrapers arriving while a render runs wait for it
and share it, so at most one render runs at a time and at most one starts per
interval. A new forecast or nowcast (``version()`` changes) is shown at the
next scrape; the live counts in a body are at most ``min_interval_s`` old."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable

from prometheus_client import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

from monitor.api.collector import HallCollector
from monitor.api.samples import gc_paused
from monitor.core.snapshot import HallView

__all__ = ["Exposition", "HallBlocks"]

# client_python's own value formatting (untyped there)
_value_text: Callable[[float], str] = floatToGoString


class _Share:
    """One hall's share of a family: what ``add_hall`` appends to."""

    __slots__ = ("name", "samples", "type")

    def __init__(self, name: str, kind: str) -> None:
        self.name = name
        self.type = kind
        self.samples: list[Sample] = []


class _Block:
    """One hall's block: per family, the samples last rendered and their lines."""

    __slots__ = ("chunks", "rendered", "shares")

    def __init__(self, families: dict[str, Metric]) -> None:
        self.shares = {name: _Share(name, f.type) for name, f in families.items()}
        self.rendered: dict[str, list[Sample]] = {}
        self.chunks: dict[str, bytes] = {}


class _Families:
    """A collector of given families, for ``generate_latest``."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> list[Metric]:
        return self._families


def _header(family: Metric) -> bytes:
    """The ``# HELP`` and ``# TYPE`` lines client_python writes for ``family``."""
    empty = Metric(family.name, family.documentation, family.type)
    return generate_latest(_Families([empty]))


def client_lines(samples: list[Sample]) -> list[bytes]:
    """Each sample's line as client_python's ``generate_latest`` writes it,
    without its newline."""
    if not samples:
        return []
    family = Metric("hallmon_lines", "", "untyped")  # its name is in no line: only the header's
    family.samples = samples
    lines = generate_latest(_Families([family])).split(b"\n")[2:-1]
    if len(lines) != len(samples):  # a label value holds no raw newline: it is escaped
        raise AssertionError("generate_latest wrote a line per sample, or so it should")
    return lines


def _same_series(new: Sample, old: Sample) -> bool:
    """Same name and labels, no time stamp or exemplar: the line differs in its value only."""
    return (
        new[0] == old[0]
        and new[1] == old[1]
        and new[3] is None
        and old[3] is None
        and new[4] is None
        and old[4] is None
    )


class HallBlocks:
    """``/metrics`` of ``collector``'s halls from cached per-hall blocks; the
    body equals ``generate_latest`` of a registry holding ``collector``.
    :meth:`render` is not reentrant (:class:`Exposition` runs one at a time)."""

    def __init__(self, collector: HallCollector) -> None:
        self.collector = collector
        families = collector.new_families()
        self._empty = families
        self._headers = {name: _header(f) for name, f in families.items()}
        self._blocks: dict[str, _Block] = {}
        # since start, for tests and benchmarks: lines written by client_python, and
        # lines whose value alone was written anew
        self.lines_rendered = 0
        self.values_rendered = 0

    def render(self) -> bytes:
        """The exposition of every hall ``collector.views()`` returns now."""
        collector = self.collector
        blocks = self._blocks
        order: list[_Block] = []
        changed: list[tuple[_Block, str]] = []
        with gc_paused():
            for view in collector.views():
                block = self._block(view)
                order.append(block)
                shares = block.shares
                for share in shares.values():
                    share.samples = []
                collector.add_hall(shares, view)
                rendered = block.rendered
                for name, share in shares.items():
                    if share.samples != rendered.get(name):
                        changed.append((block, name))
                    else:
                        # built for this comparison only: freed now, while the
                        # collector is paused. A Sample holds its label dict, so
                        # the collector never untracks it: kept until the next
                        # scrape, each scrape's few hundred thousand would be
                        # traversed by a young pass and promoted toward the full
                        # passes over the whole heap (0.6-0.9 s at 2,000 halls,
                        # every thread stalled, every few seconds)
                        share.samples = []
            self._rerender(changed)
        if len(blocks) > len(order):
            seen = {id(b) for b in order}
            self._blocks = {h: b for h, b in blocks.items() if id(b) in seen}
            collector.forget_others(self._blocks)
        parts: list[bytes] = []
        for name, header in self._headers.items():
            parts.append(header)
            parts.extend(block.chunks[name] for block in order)
        return b"".join(parts)

    def _block(self, view: HallView) -> _Block:
        block = self._blocks.get(view.info.id)
        if block is None:
            block = self._blocks[view.info.id] = _Block(self._empty)
        return block

    def _rerender(self, changed: Iterable[tuple[_Block, str]]) -> None:
        """New chunks for the changed (block, family) pairs: a line whose
        sample is unchanged is kept, one whose value alone changed gets the new
        value, the others are written by client_python all at once."""
        todo: list[tuple[list[bytes], int, Sample]] = []  # (lines, index, sample) to write
        fresh: list[tuple[_Block, str, list[bytes]]] = []
        for block, name in changed:
            new = block.shares[name].samples
            old = block.rendered.get(name, ())
            old_lines = block.chunks[name].split(b"\n") if old else []
            lines: list[bytes] = [b""] * len(new)
            for i, sample in enumerate(new):
                if i < len(old):
                    before = old[i]
                    if sample == before:
                        lines[i] = old_lines[i]
                        continue
                    if _same_series(sample, before):
                        line = old_lines[i]
                        lines[i] = line[: line.rindex(b" ") + 1] + _value_text(sample[2]).encode()
                        self.values_rendered += 1
                        continue
                todo.append((lines, i, sample))
            fresh.append((block, name, lines))
        for (lines, i, _), line in zip(todo, client_lines([s for _, _, s in todo]), strict=True):
            lines[i] = line
        self.lines_rendered += len(todo)
        for block, name, lines in fresh:
            block.rendered[name] = block.shares[name].samples
            block.chunks[name] = b"\n".join(lines) + b"\n" if lines else b""


class Exposition:
    """The cached output of ``render()``; :meth:`body` is thread-safe."""

    def __init__(
        self,
        render: Callable[[], bytes],
        *,
        min_interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        version: Callable[[], Hashable] = lambda: None,
    ) -> None:
        self._render = render
        self._min_interval_s = min_interval_s
        self._clock = clock
        self._version = version
        self._lock = threading.Lock()
        self._body: bytes | None = None
        self._rendered_at = 0.0
        self._rendered_version: Hashable = None
        self.renders = 0  # since start, for tests and the curious

    def body(self) -> bytes:
        """The exposition, rendered now unless the last render is younger than
        the interval and of the same version."""
        with self._lock:  # a scraper arriving mid-render waits here, then shares it
            version = self._version()
            fresh = (
                self._body is not None
                and self._clock() - self._rendered_at < self._min_interval_s
                and version == self._rendered_version
            )
            if not fresh:
                self._body = self._render()
                self._rendered_at = self._clock()
                self._rendered_version = version
                self.renders += 1
            assert self._body is not None
            return self._body
