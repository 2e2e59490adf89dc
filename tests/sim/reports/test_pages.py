"""Every command's report page: ``--report DIR`` writes one self-contained
``DIR/<command>.html`` whose tables show the very numbers the same run prints
with ``--json``, with every figure embedded and the command line that
reproduces it (checked by running it)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sim.cli.main import app
from sim.reports.sweep import SWEEP_COLUMNS
from tests.sim.reports.pages import (
    ParsedPage,
    assert_shows,
    check_figures,
    check_self_contained,
    parse_page,
)

runner = CliRunner()
ROSTER_RULES = "scenarios/rules/flagship-roster.yaml"


def report_and_json(tmp_path: Path, *args: str) -> tuple[ParsedPage, dict[str, Any]]:
    """Run ``hallsim args --report tmp_path --json``; the parsed page and the JSON."""
    result = runner.invoke(app, [*args, "--report", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    (page_file,) = tmp_path.glob("*.html")
    assert page_file.name == f"{args[0]}.html"
    assert sorted(p.name for p in tmp_path.iterdir()) == [page_file.name]
    page = parse_page(page_file)
    check_self_contained(page)
    data: dict[str, Any] = json.loads(result.stdout)
    return page, data


def reproduces(
    page: ParsedPage, data: dict[str, Any], volatile: frozenset[str] = frozenset()
) -> None:
    """The page's command line, run with --json, prints the same numbers."""
    words = shlex.split(page.facts["Reproduce with"])
    assert words[0] == "hallsim"
    again = runner.invoke(app, [*words[1:], "--json"])
    assert again.exit_code == 0, again.output
    fresh = json.loads(again.stdout)
    assert {k: v for k, v in fresh.items() if k not in volatile} == {
        k: v for k, v in data.items() if k not in volatile
    }


@pytest.fixture(scope="module")
def county_more(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text = Path("scenarios/county.yaml").read_text(encoding="utf-8")
    more = text.replace("count: 2, services", "count: 3, services")
    assert more != text
    path = tmp_path_factory.mktemp("scn") / "more.yaml"
    path.write_text(more, encoding="utf-8")
    return path


def test_staff_report(tmp_path: Path) -> None:
    page, data = report_and_json(
        tmp_path, "staff", "scenarios/county.yaml", "-n", "4", "--max-replications", "8",
        "--seed", "2", "--workers", "1",
    )  # fmt: skip
    check_figures(page, {"staffing-0"})
    assert "county" in page.h1 and "县城营业厅" in page.h1
    assert page.facts["Seed"] == "2"
    assert page.facts["Resized groups"] == "C" and page.facts["Fixed groups"] == "P"
    # the answer first: counter-hours and FTE of the week, and whether every interval meets
    week = data["week"]["sim"]
    assert page.verdict.startswith(f"C {week['counter_hours']:,.2f} counter-hours a week")
    assert f"{week['fte']:.1f} FTE" in page.verdict
    (day,) = data["days"]
    meets = all(r["result"]["sim"]["meets"] for r in day["intervals"])
    assert page.verdict_good == meets
    assert (
        "every interval meets 80% called within 15 min with probability ≥ 0.9" in page.verdict
    ) == meets
    assert any("counts change every 30m" in line for line in page.behind)
    # the per-interval table: every group, each plan's total, service level and probability
    header = page.headers["intervals-0"][-1]
    assert header == ["start", "arrivals/h", "load (Erlangs)", "P",
                      "C", "total", "SL (mean)", "P(meets)",
                      "C", "total", "SL (mean)", "P(meets)"]  # fmt: skip
    rows = page.tables["intervals-0"]
    assert len(rows) == len(day["intervals"]) == 18
    for row, expected in zip(rows, day["intervals"], strict=True):
        cells = [c.text for c in row]
        assert cells[0] == expected["start"]
        assert_shows(cells[1], expected["arrivals_per_hour"], "arrivals")
        assert_shows(cells[2], expected["offered_load"], "queue_mean")
        assert int(cells[3]) == expected["fixed"]["P"]
        for k, method in enumerate(("erlang", "sim")):
            first = 4 + 4 * k
            result = expected["result"][method]
            assert int(cells[first]) == expected["counts"][method]["C"]
            assert int(cells[first + 1]) == expected["total"][method]
            assert (
                expected["total"][method]
                == expected["counts"][method]["C"] + (expected["fixed"]["P"])
            )
            assert_shows(cells[first + 2], result["service_level"]["mean"], "service_level")
            odds = result["probability"]
            assert float(cells[first + 3]) == pytest.approx(odds["estimate"], abs=0.005)
            lo, hi = (float(v) for v in row[first + 3].ci.split("–"))
            assert (lo, hi) == pytest.approx(odds["ci95"], abs=0.005)
            assert ("miss" in row[first + 3].classes) == (not result["meets"])
    reproduces(page, data, volatile=frozenset({"seconds"}))


def test_compare_report(tmp_path: Path, county_more: Path) -> None:
    page, data = report_and_json(
        tmp_path, "compare", "scenarios/county.yaml", str(county_more), "-n", "5",
        "--workers", "1",
    )  # fmt: skip
    check_figures(page, {"differences", "levels"})
    base, more = data["scenarios"]
    diff = data["differences"][0]
    overall = page.tables["overall"]
    for row in overall:
        key = next(k for k in base["overall"] if _label(k) == row[0].text)
        assert_shows(row[1].text, base["overall"][key]["mean"], key)
        assert_shows(row[2].text, more["overall"][key]["mean"], key)
        paired = diff["overall"][key]
        assert_shows(row[3].text, paired["mean"], key)
        assert ("sig" in row[3].classes) == _excludes_zero(paired["ci95"])
    table = page.tables["by-interval-more"]
    assert [r[0].text for r in table] == [r["start"] for r in base["by_interval"]]
    significant = 0
    for i, row in enumerate(table):
        for k, key in enumerate(("service_level", "wait_mean_s", "queue_mean")):
            b, m, d = row[1 + 3 * k : 4 + 3 * k]
            assert_shows(b.text, base["by_interval"][i][key]["mean"], key)
            assert_shows(m.text, more["by_interval"][i][key]["mean"], key)
            paired = diff["by_interval"][i][key]
            assert_shows(d.text, paired["mean"], key)
            lo, hi = paired["ci95"]
            if lo is not None and hi is not None:
                assert_shows(d.ci, max(paired["mean"] - lo, hi - paired["mean"]), key)
            marked = "sig" in d.classes
            assert marked == _excludes_zero(paired["ci95"])
            significant += marked
    assert significant > 0  # one more counter shortens some interval's wait visibly
    # the answer first: what the change buys, what it costs, where it shows
    assert page.verdict.startswith("more meets the target in ")
    assert "+9.00 counter-hours a day" in page.verdict  # one counter more, 08:30-17:30
    sl_sig = [r["start"] for r in diff["by_interval"] if _excludes_zero(r["service_level"]["ci95"])]
    assert ("significantly different in " in page.verdict) == bool(sl_sig)
    for start in sl_sig:
        assert start in page.verdict or any(a <= start < b for a, b in _ranges(page.verdict)), start
    assert [line.split(":")[0] for line in page.behind[:2]] == ["county", "more"]
    reproduces(page, data)


def _ranges(text: str) -> list[tuple[str, str]]:
    import re

    return re.findall(r"(\d\d:\d\d)–(\d\d:\d\d)", text)


def _label(key: str) -> str:
    from sim.reports.kpi_text import label

    return label(key)


def _excludes_zero(ci: list[float | None]) -> bool:
    lo, hi = ci
    return lo is not None and hi is not None and (lo > 0 or hi < 0)


def test_sweep_report(tmp_path: Path) -> None:
    page, data = report_and_json(
        tmp_path, "sweep", "scenarios/county.yaml", "--set", "arrivals.scale=0.8,1.8",
        "--set", "counters[0].count=2,3", "-n", "3", "--workers", "1",
    )  # fmt: skip
    check_figures(page, {"sweep", "sweep-intervals"})
    rows = page.tables["grid"]
    assert len(rows) == len(data["points"]) == 4
    for row, point in zip(rows, data["points"], strict=True):
        assert [c.text for c in row[:2]] == [str(v) for v in point["values"].values()]
        for cell, (key, _) in zip(row[2 : 2 + len(SWEEP_COLUMNS)], SWEEP_COLUMNS, strict=True):
            assert_shows(cell.text, point["overall"][key]["mean"], key)
    assert page.facts["Swept"] == "arrivals.scale, counters[0].count"
    low = [p for p in data["points"] if p["intervals_below_target"]]
    assert low  # 1.8 times the demand on two counters misses somewhere
    assert page.verdict.startswith(f"{len(low)} of 4 grid points have intervals below target")
    assert not page.verdict_good
    for row, point in zip(rows, data["points"], strict=True):
        cell = row[2 + len(SWEEP_COLUMNS)]
        assert ("miss" in cell.classes) == bool(point["intervals_below_target"])
    reproduces(page, data)


def test_roster_report(tmp_path: Path) -> None:
    page, data = report_and_json(
        tmp_path, "roster", "scenarios/flagship.yaml", "--rules", ROSTER_RULES, "--day", "tue"
    )
    check_figures(page, {"gantt"})
    assert "市中心旗舰营业厅" in page.h1
    assert page.facts["Seed"].startswith("–")
    assert page.verdict == data["verdict"] and page.verdict_good
    assert float(page.facts["Paid staff-hours"]) == pytest.approx(data["staff_hours"])
    shifts = page.tables["shifts"]
    assert [r[0].text for r in shifts] == [s["id"] for s in data["shifts"]]
    for row, shift in zip(shifts, data["shifts"], strict=True):
        assert row[2].text == f"{shift['start']}–{shift['end']}"
        assert row[4].text == ("–" if shift["break"] is None else shift["break"].replace("-", "–"))
        assert int(row[5].text) == shift["people"]
        assert float(row[7].text) == pytest.approx(shift["people"] * shift["paid_hours"])
    coverage = page.tables["coverage"]
    assert [r[0].text[:5] for r in coverage] == data["slots"]
    for g, group in enumerate(data["requirement"]):
        assert [int(r[1 + 3 * g].text) for r in coverage] == data["requirement"][group]
        assert [int(r[2 + 3 * g].text) for r in coverage] == data["people"][group]
        assert [int(r[3 + 3 * g].text) for r in coverage] == data["coverage"][group]
    reproduces(page, data, volatile=frozenset({"solve_seconds"}))


@pytest.mark.slow
def test_week_roster_report(tmp_path: Path) -> None:
    """The week page answers first: the verdict and the numbers behind it are
    the first facts, and every table shows the --json numbers."""
    page, data = report_and_json(
        tmp_path, "roster", "scenarios/flagship.yaml", "--rules", ROSTER_RULES
    )
    check_figures(page, {"week-chart", "coverage-chart"})
    assert list(page.facts)[:5] == ["People", "FTE", "Paid hours a week", "Cost a week", "Coverage"]
    assert page.verdict == data["verdict"] and page.verdict_good == (data["short"] == [])
    assert int(page.facts["People"]) == data["people"] == len(data["staff"])
    assert page.facts["FTE"].startswith(f"{data['fte']:.2f} ")
    assert float(page.facts["Paid hours a week"]) == pytest.approx(data["paid_hours"])
    assert page.facts["Cost a week"] == f"¥{data['cost']:,.0f}"
    contracts = page.tables["contracts"]
    assert [int(r[1].text) for r in contracts[:-1]] == [
        c["people"] for c in data["contracts"].values()
    ]
    assert float(contracts[-1][3].text) == pytest.approx(data["paid_hours"])
    week = page.tables["week"]
    assert [r[0].text for r in week] == [p["id"] for p in data["staff"]]
    keys = [d["key"] for d in data["days"]]
    for row, person in zip(week, data["staff"], strict=True):
        label = {"full_time": "全职", "part_time": "兼职"}[person["contract"]]
        assert (row[0].text, row[0].ci) == (person["id"], label)  # the contract in grey
        for cell, key in zip(row[1:8], keys, strict=True):
            shift = person["shifts"][key]
            if shift is None:
                assert cell.text == "off"
                continue
            hours = [t.removesuffix(":00") for t in (shift["start"], shift["end"])]
            assert cell.text == f"{shift['group']} {hours[0]}–{hours[1]}"
            brk = shift["break"]
            if brk is not None:
                shown = "–".join(t.removesuffix(":00") for t in brk.split("-"))
                assert cell.ci == shown  # the meal break in grey
        assert float(row[8].text) == pytest.approx(person["paid_hours"])
    monday = page.tables["coverage-mon"]
    assert [int(r[3].text) for r in monday] == data["coverage"]["mon"]["at_work"]["B"]
    assert [int(r[2].text) for r in monday] == data["coverage"]["mon"]["people"]["B"]
    reproduces(page, data, volatile=frozenset({"solve_seconds"}))
