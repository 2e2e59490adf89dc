"""A hall's model learned from its own log: the nightly candidate (the
configured scenario with the log's demand and service, ``refit``) and the
back-test that decides whether it replaces the model in use (``backtest``).
Above both ``sim.calibration`` (the fit) and ``sim.live`` (the forecast it is
scored with); the exporter's learning (``monitor.background.learn``) calls it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim._exports import lazy

if TYPE_CHECKING:
    from sim.learning.backtest import Score as Score
    from sim.learning.backtest import backtest_models as backtest_models
    from sim.learning.backtest import better as better
    from sim.learning.refit import Candidate as Candidate
    from sim.learning.refit import fit_candidate as fit_candidate
    from sim.learning.refit import learned_scenario as learned_scenario

__getattr__, __all__ = lazy(
    __name__,
    {
        "Score": "backtest",
        "backtest_models": "backtest",
        "better": "backtest",
        "Candidate": "refit",
        "fit_candidate": "refit",
        "learned_scenario": "refit",
    },
)
