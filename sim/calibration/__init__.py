"""A scenario estimated from an event log (fit: arrivals, service times,
counters, patience, priorities) and the back-test of a fitted scenario against
the days it was not fitted on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim._exports import lazy

if TYPE_CHECKING:
    from sim.calibration.fit import FitResult as FitResult
    from sim.calibration.fit import fit_log as fit_log
    from sim.calibration.fitted import Fitted as Fitted
    from sim.calibration.fitted import fit_hall as fit_hall
    from sim.calibration.fitted import fitted_scenario as fitted_scenario
    from sim.calibration.logdata import FitError as FitError
    from sim.calibration.logdata import collect as collect
    from sim.calibration.summary import FitSummary as FitSummary

__getattr__, __all__ = lazy(
    __name__,
    {
        "collect": "logdata",
        "fit_log": "fit",
        "fitted_scenario": "fitted",
        "fit_hall": "fitted",
        "Fitted": "fitted",
        "FitResult": "fit",
        "FitError": "logdata",
        "FitSummary": "summary",
    },
)
