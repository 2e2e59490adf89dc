"""``hallsim fit`` from the command line (issue 13): how give-ups were logged is
read from the log, said in the summary and can be overridden; the summary
says what the log identifies about patience; the fitted scenario carries, per
segment, the wait its patience is known up to, and ``run``, ``compare`` and
``sweep`` warn when a what-if's waits go well past it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app as hallsim
from sim.eventlog.convert import day_events, simulate_days
from sim.eventlog.events import AbandonEvents, Event, write_jsonl
from sim.model.scenario import load_scenario, scenario_from_dict
from sim.model.scenario_io import scenario_to_dict, write_scenario
from tests.sim.calibration.truths import truth

runner = CliRunner()
DAYS = 10


def _log(path: Path, name: str, mode: AbandonEvents, *, cancelled_uncalled: bool = False) -> Path:
    """``DAYS`` days of the truth ``name``. ``cancelled_uncalled``: a ticket
    system that logs a give-up when it happens and then never calls that ticket."""
    scn = truth(name)

    def events() -> Iterator[Event]:
        for day, records in simulate_days(scn, DAYS, date(2026, 3, 2), seed=3):
            log = day_events(records, scn, day, mode)
            if cancelled_uncalled:
                gone = {e.ticket for e in log if e.kind == "ticket_abandoned"}
                log = [
                    e
                    for e in log
                    if not (e.ticket in gone and e.kind in ("ticket_called", "ticket_no_show"))
                ]
            yield from log

    write_jsonl(events(), path)
    return path


def _fit(args: list[str]) -> dict[str, object]:
    result = runner.invoke(hallsim, ["fit", *args, "--json"])
    assert result.exit_code == 0, result.output
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


@pytest.mark.slow
def test_an_exact_log_at_zero_delay_is_read_as_exact_and_can_be_overridden(
    tmp_path: Path,
) -> None:
    """The old rule looked for a no-show ticket with a give-up time: at zero
    delay, with cancelled tickets never called, there is none, and exact
    give-up times were taken for upper bounds (lognormal patience +605%)."""
    path = _log(tmp_path / "exact.jsonl", "zero_delay", "exact", cancelled_uncalled=True)
    out = tmp_path / "fitted.yaml"
    read = _fit([str(path), "--out", str(out)])
    assert (read["abandon_events"], read["abandon_events_from"]) == ("exact", "log")
    patience = read["patience"]
    assert isinstance(patience, dict)
    vip = patience["vip"]
    assert vip["curve"] == "kaplan_meier" and vip["gave_up_exact"] > 0
    assert vip["gave_up_interval_censored"] == 0
    told = _fit([str(path), "--out", str(out), "--abandon-events", "no_show"])
    assert (told["abandon_events"], told["abandon_events_from"]) == ("no_show", "option")
    bad = runner.invoke(hallsim, ["fit", str(path), "--out", str(out), "--abandon-events", "x"])
    assert bad.exit_code == 2


@pytest.fixture(scope="module")
def fitted_hall(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    tmp = tmp_path_factory.mktemp("fitcli")
    path = _log(tmp / "no_show.jsonl", "few_give_ups", "no_show")
    out = tmp / "fitted.yaml"
    return out, _fit([str(path), "--out", str(out)])


@pytest.mark.slow
def test_the_summary_says_what_the_log_identifies(
    fitted_hall: tuple[Path, dict[str, object]],
) -> None:
    out, summary = fitted_hall
    assert (summary["abandon_events"], summary["abandon_events_from"]) == ("no_show", "log")
    patience = summary["patience"]
    assert isinstance(patience, dict) and set(patience) == {"vip", "regular"}
    scn = load_scenario(out)
    for name, p in patience.items():
        assert p["curve"] == "current_status"
        tau = p["known_until_s"]
        assert scn.segments[name].patience_known_until == pytest.approx(tau, abs=0.1)
        s_tau, rmst = p["survival_at_known_until"], p["restricted_mean_s"]
        assert s_tau["ci95"][0] <= s_tau["value"] <= s_tau["ci95"][1]
        assert rmst["ci95"][0] <= rmst["value"] <= rmst["ci95"][1] <= tau
        assert p["mean_lower_bound_s"] <= rmst["value"]
    regular, vip = patience["regular"], patience["vip"]
    # a few dozen give-ups: every family fitted, the mean a range, not identified
    assert {f["family"] for f in regular["fits"]} == {
        "exponential",
        "gamma",
        "weibull",
        "lognormal",
    }
    # the exponential (a constant hazard: the mean many times too long) is ruled out
    plausible = {f["family"] for f in regular["fits"] if f["plausible"]}
    assert "exponential" not in plausible
    assert not regular["identified"] and regular["chosen"] in plausible
    lo, hi = regular["mean_range_s"]
    assert lo <= regular["mean_s"] and (hi is None or regular["mean_s"] <= hi)
    # nobody gave up: a lower bound, not "never gives up"; no patience in the scenario
    assert vip["chosen"] is None and vip["fits"] == [] and vip["mean_s"] is None
    assert vip["mean_range_s"] == [vip["mean_lower_bound_s"], None]
    assert 0 < vip["mean_lower_bound_s"] <= vip["known_until_s"]
    assert scn.segments["vip"].patience is None
    # the people's view says the same in words
    text = runner.invoke(hallsim, ["fit", str(out.with_name("no_show.jsonl")), "--out", str(out)])
    assert text.exit_code == 0, text.output
    assert "patience is known up to about" in text.stdout
    assert "≥" in text.stdout  # the VIP's lower bound


def _variant(src: Path, dest: Path, **segments_priority: int) -> Path:
    data = scenario_to_dict(load_scenario(src))
    for name, priority in segments_priority.items():
        data["segments"][name]["priority"] = priority
    write_scenario(scenario_from_dict(data), dest)
    return dest


@pytest.mark.slow
def test_runs_warn_when_waits_go_well_past_the_patience_the_log_saw(
    fitted_hall: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    """Today a what-if that removes VIP priority predicts VIP abandonment several
    times too low, silently: the fitted patience's tail is a guess there."""
    out, _ = fitted_hall
    quick = ["-n", "4", "--workers", "1"]
    as_fitted = runner.invoke(hallsim, ["run", str(out), *quick, "--json"])
    assert as_fitted.exit_code == 0, as_fitted.output
    assert "warning" not in as_fitted.stderr
    no_vip = _variant(out, tmp_path / "no-vip.yaml", vip=1)
    run = runner.invoke(hallsim, ["run", str(no_vip), *quick, "--json"])
    assert run.exit_code == 0, run.output
    warned = [line for line in run.stderr.splitlines() if line.startswith("warning: vip:")]
    assert warned and "past the" in warned[0], run.stderr
    json.loads(run.stdout)  # the JSON on stdout is untouched
    compare = runner.invoke(hallsim, ["compare", str(out), str(no_vip), *quick, "--json"])
    assert compare.exit_code == 0, compare.output
    lines = [line for line in compare.stderr.splitlines() if line.startswith("warning:")]
    assert lines and all("vip" in line and "no-vip" in line for line in lines), compare.stderr
    sweep = runner.invoke(
        hallsim,
        ["sweep", str(out), "--set", "segments.vip.priority=0,1", *quick, "--json"],
    )
    assert sweep.exit_code == 0, sweep.output
    lines = [line for line in sweep.stderr.splitlines() if line.startswith("warning:")]
    assert lines and all("segments.vip.priority=1" in line for line in lines), sweep.stderr
