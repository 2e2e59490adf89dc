"""The ingest's reading of ``ts`` (:mod:`monitor.core.stamps`) against the
contract's own pattern and ``datetime.fromisoformat``: the same times accepted
and refused, the same microseconds and offsets, for times near every edge of
the pattern (dates that do not exist, the first and last dates, leap years,
hours, minutes and seconds just past their range, fractions of 0 to 7 digits,
offsets of every form) and for any text."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from monitor.core.rows import EPOCH
from monitor.core.stamps import Stamps
from monitor.core.wire import TS_RE

SHARED = Stamps()  # remembers minutes across examples, as it does across a batch


def reference(text: str) -> tuple[int, int] | None:
    """What ingest read before: the pattern, then ``fromisoformat``."""
    if TS_RE.match(text) is None:
        return None
    ts = datetime.fromisoformat(text if text[10] != "t" and text[-1] != "z" else text.upper())
    offset = ts.utcoffset()
    assert offset is not None
    return (ts - EPOCH) // timedelta(microseconds=1), offset.days * 86400 + offset.seconds


def two(lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.integers(lo, hi).map(lambda n: f"{n:02d}")


years = st.sampled_from(
    ["1970", "1969", "2000", "1900", "2024", "2100", "9999", "0001"]
) | st.integers(0, 9999).map(lambda n: f"{n:04d}")
fractions = st.sampled_from(["", "."]) | st.text("0123456789", min_size=1, max_size=7).map(
    lambda d: "." + d
)
offsets = st.sampled_from(["Z", "z", "", "+", "Zz", " "]) | st.tuples(
    st.sampled_from("+-"), two(0, 25), st.sampled_from([":", "", "::"]), two(0, 61)
).map("".join)
stamps = st.tuples(
    years, st.just("-"), two(0, 13), st.sampled_from(["-", "/"]), two(0, 32),
    st.sampled_from(["T", "t", " ", "x", "TT"]), two(0, 25), st.just(":"), two(0, 61),
    st.sampled_from([":", ""]), two(0, 61), fractions, offsets,
).map("".join)  # fmt: skip


@given(stamps | st.text(max_size=40))
@example("2026-03-02T09:30:00+08:00")
@example("2024-02-29 23:59:59.999999-23:59")
@example("2023-02-29T00:00:00Z")
@example("1970-01-01T23:59:59+00:00")
@example("1970-01-02T00:00:00+23:59")
@example("9999-12-30t23:59:59.5z")
@example("9999-12-31T00:00:00Z")
@example("2000-02-29T12:00:00.1234567Z")
@example("2026-03-02T09:30:00+08:00\n")
@example("2026-03-02T09:30")
@example("2026-03-02T09:30:00+08:00 ")
@example("2026-03-02T09:30:00.5+08:00:")
def test_stamps_read_what_the_pattern_and_fromisoformat_read(text: str) -> None:
    expected = reference(text)
    assert Stamps().read(text) == expected
    assert SHARED.read(text) == expected


def test_a_rest_too_long_to_be_a_time_is_refused_and_not_remembered() -> None:
    """The seconds and offset are remembered across batches of every hall, and
    ``ts`` has no length limit of its own: a long one must not stay in memory."""
    stamps = Stamps()
    stamps.read("2026-03-02T09:30:00+08:00")
    remembered = dict(stamps._rests)
    assert stamps.read("2026-03-02T09:30:00+08:00" + "0" * 10_000) is None
    assert stamps._rests == remembered


@given(st.lists(stamps | st.sampled_from(["2026-03-02T09:30:00.25+08:00", "2026-03-02T09:31:00Z"])))
@example(["2026-03-02T09:30:00+08:00", "2026-03-02T09:30:01.5+08:00"])
@example(["2026-03-02T09:30:00+08:00\n2026-03-02T09:30:00+08:00"])
@example(["2026-03-02T09:30:00+08:00", "2026-03-02T09:30:00.1234567+08:00"])
@example([])
def test_a_batch_of_times_reads_as_each_time_does(texts: list[str]) -> None:
    """``read_all`` (one regular expression over the batch) gives what ``read``
    gives each time, or None when any of them is not a time."""
    each = [Stamps().read(text) for text in texts]
    together = Stamps().read_all(texts)
    if not texts or None in each:
        assert together is None
    else:
        assert together == ([r[0] for r in each if r], [r[1] for r in each if r])
