"""The limit on a hall's silence (monitor.core.silence) is the rule's: the
halls of dashboards/prometheus/tests/no_events_test.yml."""

from __future__ import annotations

from monitor.core.silence import silence_limit_s


def test_the_limit_is_the_rules() -> None:
    assert silence_limit_s(None) == 600  # busy: no forecast
    assert silence_limit_s(12.0) == 2100  # quiet: 7 gaps of 5 minutes
    assert silence_limit_s(600.0) == 600  # rush: the floor
    assert silence_limit_s(0.0) == 7200  # asleep: the ceiling
