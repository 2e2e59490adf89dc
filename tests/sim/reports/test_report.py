"""The report: an HTML page with its PNG plots, for an opening day and for a
stationary run, written from an experiment's KPIs."""

from __future__ import annotations

import dataclasses
import logging
import math
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

from sim.cli.main import app
from sim.model.scenario import load_scenario
from sim.reports.plots import mean_ci, segment_labels
from sim.reports.run import write_report
from sim.runs.experiment import Experiment, run_experiment

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNGS = ("queue.png", "waits.png", "service_level.png", "utilisation.png")


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


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) in pixels from the IHDR chunk, after checking the signature."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def check_report(experiment: Experiment, out_dir: Path, caplog: pytest.LogCaptureFixture) -> str:
    summary = experiment.summary()
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        path = write_report(experiment, summary, out_dir)
    # display names without a font for them would draw boxes and warn about each glyph
    glyphs = [w for w in caught if "glyph" in str(w.message).lower()]
    assert not glyphs, [str(w.message) for w in glyphs]
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]

    assert path == out_dir / "report.html" and path.is_file()
    page = path.read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in page
    for name in PNGS:
        assert f'src="{name}"' in page
        assert (out_dir / name).stat().st_size > 10_000, f"{name} looks empty"
        width, height = png_size(out_dir / name)
        assert width >= 800 and height >= 400
    assert experiment.scenario.hall in page
    assert f"{summary.kpis.overall['service_level'].mean:.1%}" in page
    assert "Student t" in page
    return page


def test_day_report(county: Experiment, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    out_dir = tmp_path / "new" / "dir"  # created on the way
    page = check_report(county, out_dir, caplog)
    assert "县城营业厅" in page and "全球通" in page and "业务办理" in page
    assert "By interval" in page and ">08:30<" in page and ">17:00<" in page
    assert "80% called within 15 min" in page and "Asia/Shanghai" in page
    assert sorted(p.name for p in out_dir.iterdir()) == sorted([*PNGS, "report.html"])


def test_stationary_report(
    mmc_short: Experiment, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    page = check_report(mmc_short, tmp_path, caplog)
    assert "mmc-validation" in page and "stationary run" in page
    assert "By interval" not in page


def test_text_is_escaped(county: Experiment, tmp_path: Path) -> None:
    scn = county.scenario.model_copy(update={"name": 'A&B <script>alert("x")</script>'})
    page = write_report(dataclasses.replace(county, scenario=scn), county.summary(), tmp_path)
    text = page.read_text(encoding="utf-8")
    assert "<script>" not in text and "A&amp;B &lt;script&gt;" in text


def test_cli_writes_the_report(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["run", "scenarios/county.yaml", "-n", "2", "--workers", "1", "--report", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert all(f'src="{name}"' in page and (tmp_path / name).is_file() for name in PNGS)


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
