"""Back-test of ``hallsim fit`` on 30 simulated flagship days (give-ups logged
as a real hall does, ``no_show``): fitted on days 1–20, the fitted scenario's
forecast of days 21–30 beats "same interval, same weekday last week".

Per-interval mean waits of one day are very noisy (0 s to 20 min in one 15-min
interval) and often near zero, and plain MAPE punishes forecasting too much
without bound but forecasting too little by at most 100%: on this log even the
scenario that made the log scores a wait MAPE near 950%, worse than the naive
forecast's ~530% and the constant 0's 100%. So waits are compared by wMAPE
(sum of |error| over sum of actual), and plain MAPE of the fit is checked to be
as good as the true scenario's; arrivals use plain MAPE. Cells whose actual
value is zero or undefined (nobody arrived or was served) are left out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from sim.calibration.backtest import backtest, mape
from sim.eventlog.convert import day_events, simulate_days
from sim.eventlog.events import Event, write_jsonl
from sim.model.scenario import load_scenario

FLAGSHIP = Path(__file__).parents[3] / "scenarios" / "flagship.yaml"


@pytest.mark.slow
def test_fitted_forecast_beats_same_weekday_last_week(tmp_path: Path) -> None:
    scn = load_scenario(FLAGSHIP)

    def events() -> Iterator[Event]:
        for day, records in simulate_days(scn, 30, date(2026, 11, 2), seed=7):
            yield from day_events(records, scn, day, "no_show")

    path = tmp_path / "flagship.jsonl"
    write_jsonl(events(), path)
    result = backtest(path, fit_days=20, test_days=10, replications=20, seed=1, reference=scn)
    scores = result["mape"]
    for kpi, s in scores.items():
        print(
            f"{kpi}: {s['cells']} cells ({s['excluded']} left out); "
            + "; ".join(
                f"{name} MAPE {s[name]['mape']:.1f}% wMAPE {s[name]['wmape']:.1f}%"
                for name in ("fitted", "naive", "reference")
            )
        )
    assert result["test_days"][0] == "2026-11-22"
    assert result["priorities"] == {s: seg.priority for s, seg in scn.segments.items()}
    arrivals, waits = scores["arrivals"], scores["wait_mean_s"]
    assert arrivals["excluded"] == 0
    assert arrivals["fitted"]["mape"] < arrivals["naive"]["mape"]
    assert waits["fitted"]["wmape"] < waits["naive"]["wmape"]
    for kpi in ("arrivals", "wait_mean_s"):
        fitted, truth = scores[kpi]["fitted"], scores[kpi]["reference"]
        assert fitted["wmape"] < 1.1 * truth["wmape"], kpi  # the fit is as good as the truth
    assert scores["arrivals"]["fitted"]["mape"] < 1.1 * scores["arrivals"]["reference"]["mape"]
    # Plain MAPE of waits rewards forecasting too little: the fit met "within 10% of
    # the truth's MAPE" (952% vs 941%) only while its staffing lagged every drop by one
    # interval (more counters, shorter waits: 888% with that lag put back). With the
    # scenario's own staffing it scores 1041%, so the fitted hall's forecast is held
    # to the truth's forecast instead: per interval within 25% (wMAPE; with the
    # lagged staffing it was 33% off).
    agreement = result["against_reference"]["wait_mean_s"]["fitted"]
    assert agreement["wmape"] < 25.0


def test_mape_skips_zero_actuals_and_favours_forecasting_too_little() -> None:
    actual = np.array([[0.0, 10.0, np.nan, 2.0]])
    scores = mape(actual, {"zero": np.zeros((1, 4)), "flat": np.full((1, 4), 6.0)})
    assert (scores["cells"], scores["excluded"]) == (2, 2)
    assert scores["zero"] == {"mape": 100.0, "wmape": 100.0}
    assert scores["flat"]["mape"] == pytest.approx((0.4 + 2.0) / 2 * 100)  # worse than zero
    assert scores["flat"]["wmape"] == pytest.approx(8 / 12 * 100)  # better than zero
