"""Random streams: named children of the run's SeedSequence, seeded from kept words."""

from __future__ import annotations

import zlib

import numpy as np

from sim.model import streams
from sim.model.streams import stream


def _by_seed_sequence(seed: int, replication: int, source: str) -> np.random.Generator:
    key = (replication, zlib.crc32(source.encode("utf-8")))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def test_a_stream_is_the_seed_sequence_child_first_time_and_kept() -> None:
    streams._words.clear()
    for _ in range(2):  # made from a SeedSequence, then from the kept words
        for seed, replication, source in [(1, 0, "arrivals"), (1, 7, "mix"), (99, 3, "service:x")]:
            got = stream(seed, replication, source)
            want = _by_seed_sequence(seed, replication, source)
            assert np.array_equal(got.random(64), want.random(64))
            assert np.array_equal(got.gamma(2.0, 3.0, 64), want.gamma(2.0, 3.0, 64))


def test_streams_are_independent_objects_and_the_kept_words_are_bounded() -> None:
    a, b = stream(5, 1, "x"), stream(5, 1, "x")
    first = a.random(10)
    assert np.array_equal(b.random(10), first)  # drawing from one never moves the other
    assert not np.array_equal(stream(5, 2, "x").random(10), first)
    for r in range(streams._WORDS_KEPT + 10):
        stream(2, r, "y")
    assert len(streams._words) == streams._WORDS_KEPT
