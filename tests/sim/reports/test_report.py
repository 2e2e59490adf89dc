"""``hallsim run``'s report: one self-contained ``run.html`` for an opening day
and for a stationary run, its tables equal to the ``--json`` numbers, every
figure present, and the command line it shows reproducing it."""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import shlex
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

from sim.cli.main import app
from sim.model.scenario import load_scenario
from sim.model.summary import KPI_KEYS
from sim.reports.kpi_text import label
from sim.reports.plots import mean_ci, segment_labels
from sim.reports.run import COLUMNS, write_report
from sim.runs.experiment import Experiment, run_experiment
from tests.sim.reports.pages import (
    ParsedPage,
    assert_shows,
    check_figures,
    check_self_contained,
    parse_page,
)

FIGURES = {"queue", "waits", "service-level", "utilisation"}
runner = CliRunner()


@pytest.fixture(scope="module")
def county() -> Experiment:
    return run_experiment(load_scenario("scenarios/county.yaml"), replications=3, seed=1)


@pytest.fixture(scope="module")
def mmc_short() -> Experiment:
    scn = load_scenario("scenarios/mmc-validation.yaml")
    assert scn.horizon is not None
    scn = scn.model_copy(
        update={"horizon": scn.horizon.model_copy(update={"warmup": 3600.0, "duration": 7200.0})}
    )
    return run_experiment(scn, replications=3, seed=1)


def write_checked(
    experiment: Experiment, out_dir: Path, caplog: pytest.LogCaptureFixture
) -> ParsedPage:
    summary = experiment.summary()
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        path = write_report(experiment, summary, out_dir, "hallsim run x.yaml --seed 1")
    # display names without a font for them would draw boxes and warn about each glyph
    glyphs = [w for w in caught if "glyph" in str(w.message).lower()]
    assert not glyphs, [str(w.message) for w in glyphs]
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]
    assert path == out_dir / "run.html" and path.is_file()
    assert sorted(p.name for p in out_dir.iterdir()) == ["run.html"]  # nothing beside it
    page = parse_page(path)
    check_self_contained(page)
    check_figures(page, FIGURES)
    assert experiment.scenario.hall in page.h1 and experiment.scenario.hall in page.title
    assert page.facts["Reproduce with"] == "hallsim run x.yaml --seed 1"
    assert page.facts["Seed"] == "1"
    assert "Student t" in page.text
    return page


def check_tables(page: ParsedPage, data: dict[str, Any]) -> None:
    """Every KPI cell of every table shows the ``--json`` number."""
    overall = page.tables["overall"]
    assert [row[0].text for row in overall] == [label(k) for k in KPI_KEYS]
    for row, key in zip(overall, KPI_KEYS, strict=True):
        stat = data["overall"][key]
        assert_shows(row[1].text, stat["mean"], key)
        lo, hi = stat["ci95"]
        if lo is not None and hi is not None:
            # ± the half-width: of an interval cut at 0 or 100%, its uncut side
            assert_shows(row[1].ci, max(stat["mean"] - lo, hi - stat["mean"]), key)
            assert lo >= 0 and (
                hi <= 1 or key not in ("service_level", "abandon_rate", "utilisation")
            )
    tables = [("by-segment", data["by_segment"]), ("by-service", data["by_service"])]
    if data["by_interval"]:
        tables.append(("by-interval", {r["start"]: r for r in data["by_interval"]}))
    for table_id, expected in tables:
        rows = page.tables[table_id]
        assert [row[0].text.split()[0] for row in rows] == list(expected)
        for row, stats_json in zip(rows, expected.values(), strict=True):
            for cell, (key, _) in zip(row[1:], COLUMNS, strict=True):
                assert_shows(cell.text, stats_json[key]["mean"], key)


def test_day_report(county: Experiment, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    out_dir = tmp_path / "new" / "dir"  # created on the way
    page = write_checked(county, out_dir, caplog)
    assert "县城营业厅" in page.h1 and "全球通" in page.text and "业务办理" in page.text
    assert [r[0].text for r in page.tables["by-interval"]][:2] == ["08:30", "09:00"]
    assert page.facts["Target"] == "80% called within 15 min"
    assert page.facts["Time zone"] == "Asia/Shanghai"
    check_tables(page, county.summary().to_json())
    # the service level below target is marked
    levels = page.column("by-interval", "SL")
    data = county.summary().to_json()["by_interval"]
    for cell, row in zip(levels, data, strict=True):
        mean = row["service_level"]["mean"]
        assert ("miss" in cell.classes) == (mean is not None and mean < 0.8)


def test_stationary_report(
    mmc_short: Experiment, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    page = write_checked(mmc_short, tmp_path, caplog)
    assert "mmc-validation" in page.h1 and "stationary run" in page.facts["Period"]
    assert "by-interval" not in page.tables
    check_tables(page, mmc_short.summary().to_json())


def test_text_is_escaped(county: Experiment, tmp_path: Path) -> None:
    scn = county.scenario.model_copy(update={"name": 'A&B <script>alert("x")</script>'})
    path = write_report(dataclasses.replace(county, scenario=scn), county.summary(), tmp_path, "x")
    text = path.read_text(encoding="utf-8")
    assert "<script>" not in text and "A&amp;B &lt;script&gt;" in text


def test_cli_report_equals_json_and_its_command_line_reproduces_it(tmp_path: Path) -> None:
    args = ["run", "scenarios/county.yaml", "-n", "3", "--seed", "4", "--workers", "1"]
    result = runner.invoke(app, [*args, "--report", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    page = parse_page(tmp_path / "run.html")
    check_self_contained(page)
    check_figures(page, FIGURES)
    check_tables(page, data)
    # the answer first: the intervals below target, each with its service level
    low = [r for r in data["by_interval"] if r["service_level"]["mean"] < 0.8]
    if low:
        assert page.verdict.startswith(f"{len(low)} of 18 intervals below the 80% target: ")
    else:
        assert page.verdict.startswith("every interval meets the 80% target (lowest ")
    assert page.verdict_good == (not low)
    assert page.verdict.endswith(f"the whole day {data['overall']['service_level']['mean']:.1%}")
    line = page.facts["Reproduce with"]
    assert line == "hallsim run scenarios/county.yaml --replications 3 --seed 4"
    again = runner.invoke(app, [*shlex.split(line)[1:], "--json"])
    assert again.exit_code == 0 and json.loads(again.stdout) == data


def test_mean_ci_is_the_student_t_interval() -> None:
    curves = np.array([[1.0, 0.0], [2.0, 0.0], [4.0, 0.0], [7.0, 0.0]])
    mean, lo, hi = mean_ci(curves)
    lo_ref, hi_ref = stats.t.interval(0.95, 3, loc=3.5, scale=stats.sem(curves[:, 0]))
    assert mean == pytest.approx([3.5, 0.0])
    assert lo == pytest.approx([lo_ref, 0.0]) and hi == pytest.approx([hi_ref, 0.0])
    one_mean, one_lo, one_hi = mean_ci(curves[:1])
    assert one_mean[0] == 1.0 and math.isnan(one_lo[0]) and math.isnan(one_hi[0])


def test_segment_labels(county: Experiment) -> None:
    assert segment_labels(county, cjk=False) == {"gotone": "gotone", "easyown": "easyown"}
    assert segment_labels(county, cjk=True) == {"gotone": "全球通", "easyown": "神州行"}
