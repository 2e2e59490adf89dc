"""Plans a hall can staff: the integer programme covers the need at the least
counter-hours under the rules (a counter opened stays open, and one closed
stays closed, at least a block; at most so many counters change at a step;
changes only on the grid), checked against brute force."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.planning.smooth import PlanRules, cheapest_counts, keeps_rules


def brute_force(
    need: list[int], hi: int, block: int, max_change: int | None, starts: list[bool] | None
) -> int:
    """The least sum of counts over every sequence that covers ``need`` and keeps the rules."""
    best = None
    for counts in itertools.product(range(1, hi + 1), repeat=len(need)):
        if any(c < n for c, n in zip(counts, need, strict=True)):
            continue
        if keeps_rules(counts, block, max_change, starts):
            continue
        total = sum(counts)
        best = total if best is None else min(best, total)
    assert best is not None
    return best


def test_a_thin_quarter_hour_is_filled_not_staffed_for_15_minutes() -> None:
    """The issue's 5→1→5: nobody staffs a counter for a quarter hour between two gaps."""
    need = [3, 3, 3, 3, 5, 1, 5, 5, 5, 5, 3, 3, 3, 3]
    counts = cheapest_counts(need, [0.25] * len(need), (1, 20), block=4)
    assert counts[5] == 5
    assert keeps_rules(counts, 4) == []
    assert all(c >= n for c, n in zip(counts, need, strict=True))


def test_a_short_peak_is_held_for_a_block() -> None:
    need = [2] * 6 + [6] + [2] * 7
    counts = cheapest_counts(need, [0.25] * len(need), (1, 20), block=4)
    assert counts[6] == 6
    assert sum(c == 6 for c in counts) >= 4  # a counter opened stays open an hour
    assert keeps_rules(counts, 4) == []


def test_no_count_falls_in_the_first_block_or_rises_in_the_last() -> None:
    need = [6, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 6]
    counts = cheapest_counts(need, [0.25] * len(need), (1, 20), block=4)
    assert counts[:4] == (6, 6, 6, 6)
    assert counts[-4:] == (6, 6, 6, 6)


def test_max_change_ramps_up_in_steps() -> None:
    need = [1] * 6 + [7] * 6
    counts = cheapest_counts(need, [0.25] * len(need), (1, 20), block=2, max_change=2)
    steps = [b - a for a, b in itertools.pairwise(counts)]
    assert max(steps) <= 2 and counts[6] == 7
    assert counts[3:6] == (1, 3, 5)  # the ramp starts as late as it can


def test_changes_only_where_the_grid_starts() -> None:
    need = [1, 1, 3, 1, 1, 1, 4, 4]
    starts = [True, False, False, False, True, False, False, False]
    counts = cheapest_counts(need, [0.25] * 8, (1, 20), block=1, starts=starts)
    assert counts == (3, 3, 3, 3, 4, 4, 4, 4)


@settings(max_examples=60, deadline=None)
@given(
    need=st.lists(st.integers(1, 4), min_size=2, max_size=7),
    block=st.integers(1, 4),
    max_change=st.one_of(st.none(), st.integers(1, 2)),
    grid=st.booleans(),
)
def test_the_programme_is_the_cheapest_plan_that_keeps_the_rules(
    need: list[int], block: int, max_change: int | None, grid: bool
) -> None:
    starts = [t % 2 == 0 for t in range(len(need))] if grid else None
    counts = cheapest_counts(need, [1.0] * len(need), (1, 4), block, max_change, starts)
    assert keeps_rules(counts, block, max_change, starts) == []
    assert all(c >= n for c, n in zip(counts, need, strict=True))
    assert sum(counts) == brute_force(need, 4, block, max_change, starts)


def test_keeps_rules_names_what_a_plan_breaks() -> None:
    assert keeps_rules([3, 1, 5, 5, 5, 5], 4) == [
        "interval 1: turns 1 intervals after a change",
        "interval 2: turns 1 intervals after a change",
    ]
    assert keeps_rules([3, 3, 3, 3, 3, 6], 2, max_change=2) == [
        "interval 5: changes by +3, more than 2",
        "interval 5: rises less than a block before closing",
    ]


def test_the_block_in_intervals() -> None:
    assert PlanRules(3600.0).block_intervals(900.0) == 4
    assert PlanRules(3600.0).block_intervals(1800.0) == 2
    assert PlanRules(2700.0).block_intervals(1800.0) == 2  # rounded up: at least the block
    assert PlanRules(600.0).block_intervals(900.0) == 1


def test_a_need_above_the_maximum_is_refused() -> None:
    with pytest.raises(ValueError, match="above the maximum 3"):
        cheapest_counts([1, 4], [1.0, 1.0], (1, 3), 1)
