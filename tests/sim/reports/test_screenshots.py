"""Every report page as a planner sees it, in the system's Chromium: the first
screen of ``hallsim run``, ``staff``, ``compare``, ``sweep``, ``roster`` (a week
and ``--day``) and ``fit`` at 1400×900 (a desktop) and 390×844 (a phone).

On each, the verdict line is on the first screen, the page is no wider than
the window, no element runs past its edge and no two boxes overlap; a box may
hide part of its content only where a table wider than a phone scrolls in its
own box (at 390 px). Screenshots go to the test's tmp dir, and to
``out/screenshots/reports/<report>-<width>x<height>.png`` when
``HALLQ_SCREENSHOTS`` is set, to look at."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sim.cli.main import app
from tests.browser import chromium, layout_problems

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
COUNTY = str(ROOT / "scenarios/county.yaml")
FLAGSHIP = str(ROOT / "scenarios/flagship.yaml")
RULES = str(ROOT / "scenarios/rules/flagship-roster.yaml")
SIZES = [(1400, 900), (390, 844)]
FAST = ["--workers", "1", "--seed", "2"]
# the one box allowed to hide part of its content: a wide table scrolling on a phone
SCROLLING_TABLE = "div.scroll hides part of its width"

runner = CliRunner()


def _hallsim(*args: str) -> None:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each report page of small fast runs (the county hall, few replications;
    the flagship's roster rules), by name."""
    out = tmp_path_factory.mktemp("reports")
    more = out / "more.yaml"
    text = Path(COUNTY).read_text(encoding="utf-8")
    more.write_text(text.replace("count: 2, services", "count: 3, services"), encoding="utf-8")
    log = out / "county.jsonl"
    runs = {
        "run": ["run", COUNTY, "-n", "3", *FAST],
        "staff": ["staff", COUNTY, "-n", "4", "--max-replications", "8", *FAST],
        "compare": ["compare", COUNTY, str(more), "-n", "5", *FAST],
        "sweep": ["sweep", COUNTY, "--set", "arrivals.scale=0.8,1.8",
                  "--set", "counters[0].count=2,3", "-n", "3", *FAST],
        "roster-day": ["roster", FLAGSHIP, "--rules", RULES, "--day", "tue"],
        "roster-week": ["roster", FLAGSHIP, "--rules", RULES],
        "fit": ["fit", str(log), "--out", str(out / "fitted.yaml"), "--interval", "30m"],
    }  # fmt: skip
    _hallsim("events", COUNTY, "--days", "3", "--start", "2026-03-02", "--seed", "3",
             "--out", str(log))  # fmt: skip
    pages = {}
    for name, args in runs.items():
        _hallsim(*args, "--report", str(out / name))
        (pages[name],) = (out / name).glob("*.html")
    return pages


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def _keep(shot: Path) -> None:
    """Copy ``shot`` under ``out/screenshots/reports/`` when asked to."""
    if os.environ.get("HALLQ_SCREENSHOTS"):
        keep = ROOT / "out" / "screenshots" / "reports"
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, keep / shot.name)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize(
    "report", ["run", "staff", "compare", "sweep", "roster-day", "roster-week", "fit"]
)
def test_first_screen(
    reports: dict[str, Path], browser: Any, report: str, size: tuple[int, int], tmp_path: Path
) -> None:
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.goto(reports[report].as_uri())
    shot = tmp_path / f"{report}-{width}x{height}.png"
    page.screenshot(path=str(shot))
    _keep(shot)
    verdict = page.locator("#verdict")
    box = verdict.bounding_box() if verdict.count() == 1 else None
    problems = layout_problems(page, fits=False)
    context.close()
    assert errors == []
    assert box is not None, f"{report} has no verdict line"
    assert box["y"] + box["height"] <= height, f"the verdict ends at {box['y'] + box['height']}px"
    allowed = {SCROLLING_TABLE} if width < 800 else set()
    assert [p for p in problems if p not in allowed] == []
