"""``hallsim fit --report DIR``: one self-contained ``DIR/fit.html`` whose tables
show the numbers ``--json`` prints, whose figures are embedded PNGs, whose
command line reproduces them, and whose plots follow the one style (hall in
every title, times as ``09:00``, per-hour axis under a per-hour title, a legend
entry for every line, the fitted patience families drawn as fitted)."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from typer.testing import CliRunner

from sim.calibration.fit import FitResult, collect, fit_log
from sim.cli.main import app
from sim.eventlog.events import read_events
from sim.reports.fit_figures import fit_figures
from sim.reports.style import plot_style, segment_colours, service_colours
from tests.sim.reports.pages import (
    ParsedPage,
    check_figures,
    check_self_contained,
    parse_page,
)

runner = CliRunner()
CLOCK = re.compile(r"^\d\d:\d\d$")
DAYS = 8


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight days of the flagship hall, give-ups logged as no-shows."""
    path = tmp_path_factory.mktemp("fitlog") / "flagship.jsonl"
    args = ["events", "scenarios/flagship.yaml", "--days", str(DAYS), "--start", "2026-03-02"]
    result = runner.invoke(app, [*args, "--seed", "3", "--out", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def report(
    log: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, ParsedPage, dict[str, Any], str]:
    """``hallsim fit LOG --report DIR --json``: the dir, the page, the JSON, stderr."""
    tmp = tmp_path_factory.mktemp("fitreport")
    out, rep = tmp / "fitted.yaml", tmp / "report"
    args = ["fit", str(log), "--out", str(out), "--interval", "30m"]
    result = runner.invoke(app, [*args, "--report", str(rep), "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return rep, parse_page(rep / "fit.html"), data, result.stderr


def _range(text: str) -> tuple[float, float]:
    lo, hi = text.replace(",", "").rstrip("%").split("–")
    return float(lo), float(hi)


def _near(text: str, value: float, decimals: int, scale: float = 1.0) -> None:
    """``text`` shows ``value / scale`` rounded to ``decimals``."""
    shown = float(text.replace(",", "").rstrip("%"))
    assert abs(shown - value / scale) <= 0.5 * 10.0**-decimals + 1e-9, (text, value)


def test_one_self_contained_page(report: tuple[Path, ParsedPage, dict[str, Any], str]) -> None:
    rep, page, data, stderr = report
    assert sorted(p.name for p in rep.iterdir()) == ["fit.html"]
    assert f"report: {rep / 'fit.html'}" in stderr
    assert data["plots"] == [str(rep / "fit.html")]
    check_self_contained(page)
    check_figures(page, {"arrivals", "service-qq", "patience"})
    assert page.h1.startswith("flagship")
    assert page.facts["Event log"] == f"{data['tickets']:,} tickets over {DAYS} days"
    assert page.facts["Statistics interval"] == "30 min"
    assert page.facts["Give-ups logged"].startswith("no_show")
    assert "read from the log" in page.facts["Give-ups logged"]
    assert page.facts["Time zone"] == data["timezone"] == "Asia/Shanghai"
    assert page.facts["Seed"].startswith("–")


def test_tables_show_the_json_numbers(
    report: tuple[Path, ParsedPage, dict[str, Any], str],
) -> None:
    _, page, data, _ = report
    rates = data["arrivals"]["rate_per_hour"]
    rows = page.tables["arrivals"]
    assert [r[0].text for r in rows] == [r["start"] for r in rates]
    for row, rate in zip(rows, rates, strict=True):
        _near(row[1].text, rate["mean"], 1)
        lo, hi = _range(row[2].text)
        _near(str(lo), max(rate["ci95"][0], 0.0), 1)
        _near(str(hi), rate["ci95"][1], 1)
    for table in ("mix", "segments"):
        shares = data[table]
        assert [r[0].text for r in page.tables[table]] == list(shares)
        for row, share in zip(page.tables[table], shares.values(), strict=True):
            _near(row[1].text, share["share"] * 100, 1)
            lo, hi = _range(row[1].ci)
            _near(str(lo), share["ci95"][0] * 100, 1)
            _near(str(hi), share["ci95"][1] * 100, 1)
    services = data["services"]
    assert [r[0].text for r in page.tables["services"]] == list(services)
    for row, s in zip(page.tables["services"], services.values(), strict=True):
        assert int(row[1].text.replace(",", "")) == s["n"]
        _near(row[2].text, s["mean_s"], 2, 60.0)
        lo, hi = _range(row[2].ci)
        _near(str(lo), s["ci95_s"][0], 2, 60.0)
        _near(str(hi), s["ci95_s"][1], 2, 60.0)
        assert row[4].text == s["chosen"]
    families = page.tables["service-families"]
    assert len(families) == sum(len(s["fits"]) for s in services.values())
    groups = data["counter_groups"]
    assert [r[0].text for r in page.tables["counter-groups"]] == [g["id"] for g in groups]
    for row, g in zip(page.tables["counter-groups"], groups, strict=True):
        assert row[1].text.split() == g["counters"]
        _near(row[2].text, g["speed"], 2)
        assert _range(row[2].ci) == pytest.approx(g["speed_ci95"], abs=0.005)
        assert int(row[5].text.replace(",", "")) == g["served"]
    staffing = page.tables["staffing"]
    for row in staffing:
        counts = {}
        for k, g in enumerate(groups):
            earlier = [t for t in g["count"] if t <= row[0].text]
            counts[g["id"]] = g["count"][max(earlier)] if earlier else 0
            assert int(row[1 + k].text) == counts[g["id"]]
        assert int(row[-1].text) == sum(counts.values())
    patience = data["patience"]
    assert [r[0].text for r in page.tables["patience"]] == list(patience)
    for row, p in zip(page.tables["patience"], patience.values(), strict=True):
        gave_up = p["gave_up_exact"] + p["gave_up_interval_censored"]
        assert int(row[1].text.replace(",", "")) == gave_up
        assert int(row[2].text.replace(",", "")) == p["served_right_censored"]
        _near(row[3].text, p["known_until_s"], 1, 60.0)
        _near(row[4].text, p["survival_at_known_until"]["value"], 2)
        _near(row[5].text, p["restricted_mean_s"]["value"], 1, 60.0)
        assert row[6].text == (p["chosen"] or "none (nobody gave up)")
        assert row[8].text == ("yes" if p["identified"] else "no")
        mean = row[7]
        if p["chosen"] is None:
            assert mean.ci == "lower bound"
            _near(mean.text.removeprefix("≥ "), p["mean_lower_bound_s"], 1, 60.0)
        elif p["identified"]:  # the chosen family's mean, every mean not ruled out beside it
            _near(mean.text, p["mean_s"], 1, 60.0)
            low, high = mean.ci.replace(",", "").split("–")
            _near(low, p["mean_range_s"][0], 1, 60.0)
            if p["mean_range_s"][1] is None:
                assert high == "∞"
            else:
                _near(high, p["mean_range_s"][1], 1, 60.0)
        elif p["mean_range_s"][1] is None:  # no plausible family bounds the mean above
            assert mean.ci == "lower bound"
            _near(mean.text.removeprefix("≥ "), p["mean_range_s"][0], 1, 60.0)
        else:
            assert mean.ci == "range"
            lo, hi = _range(mean.text)
            _near(str(lo), p["mean_range_s"][0], 1, 60.0)
            _near(str(hi), p["mean_range_s"][1], 1, 60.0)
    fits = page.tables["patience-families"]
    expected = [(k, f) for k, p in patience.items() for f in p["fits"]]
    assert len(fits) == len(expected) > 0
    for row, (k, f) in zip(fits, expected, strict=True):
        assert row[0].text == k and row[1].text.split()[0] == f["family"]
        _near(row[2].text, f["mean_s"], 1, 60.0)
        _near(row[5].text, f["lr_general"], 1)
        assert row[6].text == ("no" if f["plausible"] else "yes")  # ruled out
        if f["plausible"]:
            lo, hi = f["mean_range_s"]
            assert row[7].text.split("–")[0].replace(",", "") == f"{lo / 60:.1f}"
            assert row[7].text.endswith("∞" if hi is None else f"{hi / 60:,.1f}")
        else:
            assert row[7].text == "–"
    shown = {r[0].text: int(r[1].text) for r in page.tables["priorities"]}
    assert shown == data["priorities"]


def test_command_line_reproduces_the_json(
    report: tuple[Path, ParsedPage, dict[str, Any], str],
) -> None:
    _, page, data, _ = report
    words = shlex.split(page.facts["Reproduce with"])
    assert words[:2] == ["hallsim", "fit"] and "--report" not in words
    again = runner.invoke(app, [*words[1:], "--json"])
    assert again.exit_code == 0, again.output
    fresh = json.loads(again.stdout)
    assert fresh["plots"] == []
    assert {k: v for k, v in fresh.items() if k != "plots"} == {
        k: v for k, v in data.items() if k != "plots"
    }


@pytest.fixture(scope="module")
def fitted(log: Path) -> FitResult:
    with read_events(log) as stream:
        return fit_log(collect(stream, source=str(log)))


@pytest.fixture(scope="module")
def figures(fitted: FitResult) -> Iterator[dict[str, Figure]]:
    with plot_style():
        out = dict(fit_figures(fitted, "flagship"))
        for fig in out.values():
            fig.canvas.draw()
        yield out


def _titles(fig: Figure) -> list[str]:
    found = [ax.get_title() for ax in fig.axes if ax.get_title()]
    return [*found, fig.get_suptitle()] if fig.get_suptitle() else found


def test_titles_axes_and_legends(figures: dict[str, Figure]) -> None:
    for name, fig in figures.items():
        assert any(t.startswith("flagship") for t in _titles(fig)), (name, _titles(fig))
        for ax in fig.axes:
            if not ax.get_visible():
                continue
            legend = ax.get_legend()
            lines = [
                str(line.get_label())
                for line in ax.get_lines()
                if not str(line.get_label()).startswith("_")
                and len(np.asarray(line.get_xdata())) > 1
            ]
            assert lines, (name, "an axes without a labelled line")
            assert legend is not None, (name, ax.get_title())
            shown = {t.get_text() for t in legend.get_texts()}
            assert set(lines) <= shown, (name, set(lines) - shown)
    ax = figures["arrivals"].axes[0]
    assert ax.get_ylabel() == "tickets per hour" and "per hour" in ax.get_title()
    assert "per 15" not in ax.get_title() and "per 30" not in ax.get_title()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert labels and all(CLOCK.match(text) for text in labels), labels
    assert ax.get_ylim()[0] == 0.0


def test_patience_lines_are_the_fits(fitted: FitResult, figures: dict[str, Figure]) -> None:
    """Each panel: the log's curve in the segment's colour up to τ, one dashed
    line per fitted family passing through that family's S(τ), a τ marker."""
    colours = segment_colours(list(fitted.segments))
    axes = [ax for ax in figures["patience"].axes if ax.get_visible()]
    assert len(axes) == len(fitted.patience)
    dashed_checked = 0
    for ax, (name, p) in zip(axes, fitted.patience.items(), strict=True):
        assert ax.get_title().startswith(name)
        lines = {str(line.get_label()): line for line in ax.get_lines()}
        log_line = next(v for k, v in lines.items() if k.startswith("from the log"))
        assert to_hex(log_line.get_color()) == colours[name]
        tau_min = p.survival.known_until_s / 60
        assert np.max(np.asarray(log_line.get_xdata())) == pytest.approx(tau_min)
        assert any(k.startswith(f"τ = {tau_min:.1f} min") for k in _legend(ax))
        for f in p.fits:
            line = next(v for k, v in lines.items() if k.startswith(f"{f.family}"))
            assert line.get_linestyle() != "-"
            x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
            assert float(np.interp(tau_min, x, y)) == pytest.approx(f.survival_at_tau, abs=0.01)
            dashed_checked += 1
    assert dashed_checked >= 8  # at least two segments with every family fitted


def _legend(ax: Any) -> list[str]:
    legend = ax.get_legend()
    return [] if legend is None else [t.get_text() for t in legend.get_texts()]


def test_services_keep_their_colours(fitted: FitResult, figures: dict[str, Figure]) -> None:
    colours = service_colours(list(fitted.services))
    axes = [ax for ax in figures["service-qq"].axes if ax.get_visible()]
    assert len(axes) == len(fitted.services)
    for ax, name in zip(axes, fitted.services, strict=True):
        assert ax.get_title().startswith(name)
        points = next(line for line in ax.get_lines() if line.get_linestyle() == "None")
        assert to_hex(points.get_color()) == colours[name]
