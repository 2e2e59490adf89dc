"""``--xlsx FILE``: the workbooks open with openpyxl and hold the numbers the
same run prints with ``--json`` — numbers as numbers (waits in minutes, shares
as fractions shown as percent), times of day as times, Chinese names as they
are, a bold header row."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from typer.testing import CliRunner

from sim.cli.main import app
from sim.model.summary import KPI_KEYS
from sim.reports.kpi_text import label

runner = CliRunner()
EXCEL = 1e-14  # a float goes into the file with 16 significant digits (Excel keeps 15)


def workbook_and_json(tmp_path: Path, *args: str) -> tuple[dict[str, Worksheet], dict[str, Any]]:
    path = tmp_path / "out.xlsx"
    result = runner.invoke(app, [*args, "--xlsx", str(path), "--json"])
    assert result.exit_code == 0, result.output
    book = load_workbook(path)
    sheets: dict[str, Worksheet] = {}
    for ws in book.worksheets:
        assert isinstance(ws, Worksheet)
        sheets[ws.title] = ws
    data: dict[str, Any] = json.loads(result.stdout)
    return sheets, data


def rows(ws: Worksheet, first: int = 1) -> tuple[list[str], list[list[Any]]]:
    """Header texts and the value rows below it; checks the header is bold."""
    header = [c.value for c in ws[first]]
    assert all(c.font.bold for c in ws[first] if c.value), f"{ws.title}: header not bold"
    body = [list(r) for r in ws.iter_rows(min_row=first + 1, values_only=True)]
    return [str(h) for h in header], body


def people(value: float | None, key: str) -> float | None:
    """A JSON value in the workbook's unit: waits in minutes."""
    if value is None:
        return None
    return value / 60.0 if key.endswith("_s") else value


def about(ws: Worksheet) -> dict[str, Any]:
    return {str(r[0]): r[1] for r in ws.iter_rows(values_only=True)}


def clock(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def check_stats(cells: list[Any], stat: dict[str, Any], key: str) -> None:
    lo, hi = stat["ci95"]
    expected = [people(stat["mean"], key), people(lo, key), people(hi, key)]
    assert cells == pytest.approx(expected, rel=EXCEL, abs=1e-15), key


def test_run_workbook(tmp_path: Path) -> None:
    sheets, data = workbook_and_json(
        tmp_path, "run", "scenarios/county.yaml", "-n", "3", "--seed", "2", "--workers", "1"
    )
    assert list(sheets) == ["Overall", "By interval", "By segment", "By service", "About"]
    header, body = rows(sheets["Overall"])
    assert header[:4] == ["KPI", "mean", "95% CI low", "95% CI high"]
    assert [r[0] for r in body] == [label(k) for k in KPI_KEYS]
    for r, key in zip(body, KPI_KEYS, strict=True):
        check_stats(r[1:4], data["overall"][key], key)
        assert r[4] == data["overall"][key]["n"]
    formats = {label(k): sheets["Overall"].cell(2 + i, 2).number_format for i, k in
               enumerate(KPI_KEYS)}  # fmt: skip
    assert formats["Service level"] == "0.0%" and formats["Mean wait (min)"] == "0.0"

    header, body = rows(sheets["By interval"])
    assert header[0] == "start" and header[1:4] == [
        "Arrivals", "Arrivals 95% CI low", "Arrivals 95% CI high"
    ]  # fmt: skip
    assert [r[0] for r in body] == [clock(row["start"]) for row in data["by_interval"]]
    assert sheets["By interval"]["A2"].number_format == "hh:mm"
    for r, expected in zip(body, data["by_interval"], strict=True):
        for k, key in enumerate(KPI_KEYS):
            check_stats(r[1 + 3 * k : 4 + 3 * k], expected[key], key)
    header, body = rows(sheets["By segment"])
    assert [(r[0], r[1]) for r in body] == [("gotone", "全球通"), ("easyown", "神州行")]
    for r, seg in zip(body, ("gotone", "easyown"), strict=True):
        check_stats(r[2 + 3 * 5 : 5 + 3 * 5], data["by_segment"][seg]["wait_mean_s"], "wait_mean_s")
    facts = about(sheets["About"])
    assert facts["Hall"] == "county" and facts["Name"] == "县城营业厅" and facts["Seed"] == 2
    assert facts["Reproduce with"] == "hallsim run scenarios/county.yaml --replications 3 --seed 2"


def test_staff_workbook(tmp_path: Path) -> None:
    sheets, data = workbook_and_json(
        tmp_path, "staff", "scenarios/county.yaml", "-n", "3", "--workers", "1", "--step", "1h"
    )
    header, body = rows(sheets["Plan"])
    assert header[:4] == ["start", "arrivals per hour", "offered load (Erlangs)", "P (fixed)"]
    assert "C (sim plan)" in header and "total counters (erlang plan)" in header
    for r, expected in zip(body, data["intervals"], strict=True):
        assert r[0] == clock(expected["start"])
        assert r[1:3] == pytest.approx(
            [expected["arrivals_per_hour"], expected["offered_load"]], rel=EXCEL
        )
        assert r[3] == expected["fixed"]["P"]
        for method in ("erlang", "sim"):
            col = header.index(f"C ({method} plan)")
            sl = expected["service_level"][method]
            expected_cells = [
                expected["counts"][method]["C"], expected["total"][method],
                sl["mean"], sl["ci95_lower"], sl["ci95_upper"],
            ]  # fmt: skip
            assert r[col : col + 5] == pytest.approx(expected_cells, rel=EXCEL)
            # numbers as numbers (a service level of exactly 1 reads back as the int 1)
            assert isinstance(r[col], int) and isinstance(r[col + 2], int | float)
    assert len(body) == len(data["intervals"])
    _, plans = rows(sheets["Plans"])
    assert [p[0] for p in plans] == [p["method"] for p in data["plans"]]
    for row, plan in zip(plans, data["plans"], strict=True):
        assert row[1] == pytest.approx(plan["staff_hours"], rel=EXCEL)
        assert row[2] == plan["intervals_missing"]
    assert about(sheets["About"])["Counts change every (min)"] == 60


def test_roster_workbook(tmp_path: Path) -> None:
    sheets, data = workbook_and_json(
        tmp_path, "roster", "scenarios/flagship.yaml", "--rules",
        "scenarios/rules/flagship-roster.yaml", "--day", "tue",
    )  # fmt: skip
    header, body = rows(sheets["Shifts"])
    assert header[:4] == ["shift", "group", "start", "end"]
    for r, shift in zip(body, data["shifts"], strict=True):
        assert r[0] == shift["id"] and r[1] == shift["group"]
        assert (r[2].hour * 3600 + r[2].minute * 60, r[3].hour * 3600 + r[3].minute * 60) == (
            shift["start_s"],
            shift["end_s"],
        )
        brk = None if r[4] is None else [r[4].hour * 3600 + r[4].minute * 60,
                                          r[5].hour * 3600 + r[5].minute * 60]  # fmt: skip
        assert brk == shift["break_s"]
        assert r[6:8] == pytest.approx([shift["people"], shift["paid_hours"]], rel=EXCEL)
    assert sum(r[8] for r in body) == pytest.approx(data["staff_hours"])
    header, body = rows(sheets["Coverage"])
    assert header == ["slot start", "B counters", "B people", "B at work", "Q counters",
                      "Q people", "Q at work"]  # fmt: skip
    assert [r[1] for r in body] == data["requirement"]["B"]
    assert [r[2] for r in body] == data["people"]["B"]
    assert [r[6] for r in body] == data["coverage"]["Q"]
    assert [r[0].strftime("%H:%M") for r in body] == data["slots"]


def test_compare_workbook(tmp_path: Path) -> None:
    more = tmp_path / "more.yaml"
    text = Path("scenarios/county.yaml").read_text(encoding="utf-8")
    more.write_text(text.replace("count: 2, services", "count: 3, services"), encoding="utf-8")
    sheets, data = workbook_and_json(
        tmp_path, "compare", "scenarios/county.yaml", str(more), "-n", "4", "--workers", "1"
    )
    assert list(sheets) == ["Overall", "Δ more", "About"]
    header, body = rows(sheets["Overall"])
    diff = data["differences"][0]
    for r, key in zip(body, KPI_KEYS, strict=True):
        check_stats(r[1:4], data["scenarios"][0]["overall"][key], key)
        check_stats(r[4:7], data["scenarios"][1]["overall"][key], key)
        check_stats(r[7:10], diff["overall"][key], key)
        welch = [people(v, key) for v in diff["overall"][key]["welch_ci95"]]
        assert r[10:12] == pytest.approx(welch, rel=EXCEL)
    ws = sheets["Δ more"]
    assert "paired" in str(ws["A1"].value)
    header, body = rows(ws, first=3)
    assert header[1:7] == [
        "Service level: county", "Service level: more", "Service level: Δ",
        "Service level: Δ 95% CI low", "Service level: Δ 95% CI high",
        "Service level: significant",
    ]  # fmt: skip
    for i, r in enumerate(body):
        for k, key in enumerate(("service_level", "wait_mean_s", "queue_mean")):
            cells = r[1 + 6 * k : 7 + 6 * k]
            assert cells[0] == pytest.approx(
                people(data["scenarios"][0]["by_interval"][i][key]["mean"], key), rel=EXCEL
            )
            paired = diff["by_interval"][i][key]
            check_stats(cells[2:5], paired, key)
            lo, hi = paired["ci95"]
            sig = lo is not None and hi is not None and (lo > 0 or hi < 0)
            assert cells[5] == ("yes" if sig else "no")


def test_sweep_workbook(tmp_path: Path) -> None:
    sheets, data = workbook_and_json(
        tmp_path, "sweep", "scenarios/county.yaml", "--set", "arrivals.scale=0.9,1.2",
        "--set", "target.wait=10m,20m", "-n", "2", "--workers", "1",
    )  # fmt: skip
    header, body = rows(sheets["Sweep"])
    assert header[:2] == ["arrivals.scale", "target.wait"]
    for r, point in zip(body, data["points"], strict=True):
        assert r[:2] == list(point["values"].values())
        assert isinstance(r[0], float) and isinstance(r[1], str)
        for k, key in enumerate(KPI_KEYS):
            check_stats(r[2 + 3 * k : 5 + 3 * k], point["overall"][key], key)
    assert len(body) == 4
