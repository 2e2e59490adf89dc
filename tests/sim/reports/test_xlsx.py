"""``--xlsx FILE``: the workbooks open with openpyxl and hold the numbers the
same run prints with ``--json`` — numbers as numbers (waits in minutes, shares
as fractions shown as percent), times of day as times, Chinese names as they
are — in sheets a planner keeps using: the verdict on top, a bold header
frozen under a filter, cells below target red by conditional formatting,
charts beside the interval tables, and narrow interval sheets (every KPI in
one long "All KPIs" sheet)."""

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
from sim.model.remote import REMOTE_KEYS
from sim.model.summary import KPI_KEYS
from sim.reports.kpi_text import label

runner = CliRunner()
EXCEL = 1e-14  # a float goes into the file with 16 significant digits (Excel keeps 15)
RED = "9C0006"  # Excel's dark red text


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


def header_row(ws: Worksheet) -> int:
    """The header row: where the sheet's filter starts (every table has one)."""
    ref = ws.auto_filter.ref
    assert ref, f"{ws.title}: no filter"
    return int("".join(c for c in ref.split(":")[0] if c.isdigit()))


def rows(ws: Worksheet) -> tuple[list[str], list[list[Any]]]:
    """Header texts and the value rows below it; checks the header is bold,
    frozen and filtered."""
    first = header_row(ws)
    header = [c.value for c in ws[first]]
    assert all(c.font.bold for c in ws[first] if c.value), f"{ws.title}: header not bold"
    assert ws.freeze_panes == f"B{first + 1}", ws.freeze_panes
    body = [list(r) for r in ws.iter_rows(min_row=first + 1, values_only=True)]
    last = ws.auto_filter.ref.split(":")[1]
    assert int("".join(c for c in last if c.isdigit())) == first + len(body)
    return [str(h) for h in header], body


def verdict(ws: Worksheet) -> tuple[str, bool]:
    """The verdict line on top of the sheet and whether it is green."""
    cell = ws["A1"]
    assert cell.font.bold
    return str(cell.value), not str(cell.font.color.rgb).endswith(RED)


def red_below(ws: Worksheet, column: str) -> float:
    """The threshold of the red conditional format on ``column``'s cells."""
    for cf in ws.conditional_formatting:
        if str(cf.sqref).startswith(f"{column}{header_row(ws) + 1}:"):
            (rule,) = cf.rules
            assert rule.operator == "lessThan" and str(rule.dxf.font.color.rgb).endswith(RED)
            return float(rule.formula[0])
    raise AssertionError(f"{ws.title}: no red below a value in column {column}")


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


def check_all_kpis(ws: Worksheet, tables: list[tuple[str, str, dict[str, Any]]]) -> None:
    """The long sheet holds every KPI of every ``(table, row, JSON stats)``."""
    header, body = rows(ws)
    assert header == ["table", "row", "KPI", "mean", "95% CI low", "95% CI high",
                      "replications with a value"]  # fmt: skip
    assert len(body) == len(tables) * len(KPI_KEYS)
    for k, (table, row, stats) in enumerate(tables):
        for j, key in enumerate(KPI_KEYS):
            r = body[k * len(KPI_KEYS) + j]
            assert (r[0], r[1] or "", r[2]) == (table, row, label(key))
            check_stats(r[3:6], stats[key], key)
            assert r[6] == stats[key]["n"]


def column_letter(header: list[str], name: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(header.index(name) + 1)


def test_run_workbook(tmp_path: Path) -> None:
    sheets, data = workbook_and_json(
        tmp_path, "run", "scenarios/flagship.yaml", "-n", "3", "--seed", "2", "--workers", "1"
    )
    assert list(sheets) == ["Overall", "By interval", "By segment", "By service", "Kiosks",
                            "All KPIs", "About"]  # fmt: skip
    line, good = verdict(sheets["Overall"])
    assert "intervals below the 80% target" in line and not good
    header, body = rows(sheets["Overall"])
    assert header[:4] == ["KPI", "mean", "95% CI low", "95% CI high"]
    assert [r[0] for r in body] == [label(k) for k in KPI_KEYS]
    for r, key in zip(body, KPI_KEYS, strict=True):
        check_stats(r[1:4], data["overall"][key], key)
        assert r[4] == data["overall"][key]["n"]
    first = header_row(sheets["Overall"]) + 1
    formats = {label(k): sheets["Overall"].cell(first + i, 2).number_format for i, k in
               enumerate(KPI_KEYS)}  # fmt: skip
    assert formats["Service level"] == "0.0%" and formats["Mean wait (min)"] == "0.0"

    ws = sheets["By interval"]
    header, body = rows(ws)
    assert len(header) <= 16  # narrow: the full table is "All KPIs"
    assert header[0] == "start" and "Service level 95% CI low" in header
    assert ws.cell(header_row(ws) + 1, 1).number_format == "hh:mm"
    sl = header.index("Service level")
    for r, expected in zip(body, data["by_interval"], strict=True):
        assert r[0] == clock(expected["start"])
        check_stats(r[sl : sl + 3], expected["service_level"], "service_level")
        assert r[header.index(label("arrivals"))] == pytest.approx(
            expected["arrivals"]["mean"], rel=EXCEL
        )
    assert red_below(ws, column_letter(header, "Service level")) == 0.8
    assert len(ws._charts)  # type: ignore[attr-defined]  # openpyxl keeps them here == 2  # service level against the target, and arrivals

    header, body = rows(sheets["By segment"])
    assert [(r[0], r[1]) for r in body][:2] == [("gotone_vip", "全球通VIP"), ("gotone", "全球通")]
    assert red_below(sheets["By segment"], column_letter(header, "Service level")) == 0.8
    tables = [("Overall", "", data["overall"])]
    tables += [("By interval", r["start"], r) for r in data["by_interval"]]
    tables += [("By segment", k, v) for k, v in data["by_segment"].items()]
    tables += [("By service", k, v) for k, v in data["by_service"].items()]
    tables += [("Kiosks", "", data["kiosk"])]
    check_all_kpis(sheets["All KPIs"], tables)
    facts = about(sheets["About"])
    assert (
        facts["Hall"] == "flagship" and facts["Name"] == "市中心旗舰营业厅" and facts["Seed"] == 2
    )
    assert (
        facts["Reproduce with"] == "hallsim run scenarios/flagship.yaml --replications 3 --seed 2"
    )


def test_staff_workbook(tmp_path: Path) -> None:
    sheets, data = workbook_and_json(
        tmp_path, "staff", "scenarios/county.yaml", "-n", "3", "--max-replications", "6",
        "--workers", "1", "--step", "1h",
    )  # fmt: skip
    assert list(sheets) == ["Week", "Plan", "About"]
    line, _good = verdict(sheets["Week"])
    assert line.startswith("C ") and "counter-hours a week" in line
    header, body = rows(sheets["Week"])
    (day,) = data["days"]
    plans = day["plans"]
    assert [r[3] for r in body] == ["erlang", "sim", "erlang", "sim"]  # the day, then the week
    for r, plan in zip(body[:2], plans, strict=True):
        assert r[4:7] == pytest.approx(
            [plan["counter_hours"], plan["hall_counter_hours"], plan["paid_hours"]], rel=EXCEL
        )
        assert r[7] is None and plan["cost"] is None  # the county hall gives no cost
        assert r[9] == plan["intervals_meeting"]["arrival"]
    for r, method in zip(body[2:], ("erlang", "sim"), strict=True):
        assert r[4] == pytest.approx(data["week"][method]["counter_hours"], rel=EXCEL)

    ws = sheets["Plan"]
    header, body = rows(ws)
    assert header[:5] == ["day", "start", "arrivals per hour", "offered load (Erlangs)",
                          "P (fixed)"]  # fmt: skip
    assert len(header) <= 16
    p = header.index("P(a day meets the target)")
    for r, expected in zip(body, day["intervals"], strict=True):
        assert r[1] == clock(expected["start"])
        assert r[4] == expected["fixed"]["P"]
        assert r[header.index("C (erlang plan)")] == expected["counts"]["erlang"]["C"]
        assert r[header.index("C (sim plan)")] == expected["counts"]["sim"]["C"]
        result = expected["result"]["sim"]
        odds = result["probability"]
        assert r[p : p + 3] == pytest.approx([odds["estimate"], *odds["ci95"]], rel=EXCEL)
        assert r[header.index("meets")] == ("yes" if result["meets"] else "no")
    assert len(body) == len(day["intervals"])
    assert red_below(ws, column_letter(header, "P(a day meets the target)")) == 0.9
    assert len(ws._charts)  # type: ignore[attr-defined]  # openpyxl keeps them here == 1
    assert "probability >= 0.9" in about(sheets["About"])["Criterion"]


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
    assert list(sheets) == ["Overall", "Staffing", "Δ more", "All KPIs", "About"]
    line, _ = verdict(sheets["Overall"])
    assert line.startswith("more meets the target in") and "+9.00 counter-hours a day" in line
    header, body = rows(sheets["Overall"])
    diff = data["differences"][0]
    for r, key in zip(body, KPI_KEYS, strict=True):
        check_stats(r[1:4], data["scenarios"][0]["overall"][key], key)
        check_stats(r[4:7], data["scenarios"][1]["overall"][key], key)
        check_stats(r[7:10], diff["overall"][key], key)
        welch = [people(v, key) for v in diff["overall"][key]["welch_ci95"]]
        assert r[10:12] == pytest.approx(welch, rel=EXCEL)
    _, body = rows(sheets["Staffing"])
    for r, s in zip(body, data["scenarios"], strict=True):
        assert r[0] == s["label"] and r[1] == pytest.approx(s["staffing"]["counter_hours_day"])
    ws = sheets["Δ more"]
    header, body = rows(ws)
    assert header == ["KPI", "start", "county", "more", "Δ", "Δ 95% CI low", "Δ 95% CI high",
                      "significant"]  # fmt: skip
    n = len(diff["by_interval"])
    assert len(body) == 3 * n
    for k, key in enumerate(("service_level", "wait_mean_s", "queue_mean")):
        for i in range(n):
            r = body[k * n + i]
            assert r[0] == label(key) and r[1] == clock(diff["by_interval"][i]["start"])
            assert r[2] == pytest.approx(
                people(data["scenarios"][0]["by_interval"][i][key]["mean"], key), rel=EXCEL
            )
            paired = diff["by_interval"][i][key]
            check_stats(r[4:7], paired, key)
            lo, hi = paired["ci95"]
            sig = lo is not None and hi is not None and (lo > 0 or hi < 0)
            assert r[7] == ("yes" if sig else "no")
    assert len(ws._charts)  # type: ignore[attr-defined]  # openpyxl keeps them here == 1
    tables = []
    for s in data["scenarios"]:
        tables.append((s["label"], "whole day", s["overall"]))
        tables += [(s["label"], r["start"], r) for r in s["by_interval"]]
    check_all_kpis(sheets["All KPIs"], tables)


def test_sweep_workbook(tmp_path: Path) -> None:
    sheets, data = workbook_and_json(
        tmp_path, "sweep", "scenarios/county.yaml", "--set", "arrivals.scale=0.9,1.6",
        "--set", "target.wait=10m,20m", "-n", "2", "--workers", "1",
    )  # fmt: skip
    ws = sheets["Sweep"]
    header, body = rows(ws)
    assert header[:2] == ["arrivals.scale", "target.wait"]
    below = header.index("intervals below target")
    for r, point in zip(body, data["points"], strict=True):
        assert r[:2] == list(point["values"].values())
        assert isinstance(r[0], float) and isinstance(r[1], str)
        check_stats(r[header.index("Service level") :][:3], point["overall"]["service_level"],
                    "service_level")  # fmt: skip
        assert r[below] == len(point["intervals_below_target"])
        assert r[below + 1] == pytest.approx(point["staffing"]["counter_hours_day"])
    assert len(body) == 4
    assert any(r[below] for r in body)
    for cf in ws.conditional_formatting:
        if str(cf.sqref).startswith(column_letter(header, "intervals below target")):
            assert cf.rules[0].operator == "greaterThan"
            break
    else:
        raise AssertionError("no red on intervals below target")
    check_all_kpis(
        sheets["All KPIs"],
        [(", ".join(f"{k}={v}" for k, v in p["values"].items()), "whole run", p["overall"])
         for p in data["points"]],
    )  # fmt: skip


def test_remote_tickets_in_the_run_and_sweep_workbooks(tmp_path: Path) -> None:
    """A scenario whose customers take tickets from home gets a "Remote
    tickets" sheet (every remote KPI with its interval, equal to --json) and
    its remote KPIs in "All KPIs"; a sweep's points carry them too."""
    sheets, data = workbook_and_json(
        tmp_path, "run", "scenarios/flagship-remote.yaml", "-n", "3", "--workers", "1"
    )
    assert list(sheets)[-4:] == ["Kiosks", "Remote tickets", "All KPIs", "About"]
    header, body = rows(sheets["Remote tickets"])
    assert header[:4] == ["KPI", "mean", "95% CI low", "95% CI high"]
    assert [r[0] for r in body] == [label(k) for k in REMOTE_KEYS]
    for r, key in zip(body, REMOTE_KEYS, strict=True):
        check_stats(r[1:4], data["remote"][key], key)
        assert r[4] == data["remote"][key]["n"]
    _, long = rows(sheets["All KPIs"])
    remote = [r for r in long if r[0] == "Remote tickets"]
    assert [r[2] for r in remote] == [label(k) for k in REMOTE_KEYS]

    sheets, data = workbook_and_json(
        tmp_path, "sweep", "scenarios/flagship-remote.yaml", "--set", "arrivals.scale=0.9,1.2",
        "-n", "2", "--workers", "1",
    )  # fmt: skip
    assert all(set(p["remote"]) == set(REMOTE_KEYS) for p in data["points"])
    _, long = rows(sheets["All KPIs"])
    for point in data["points"]:
        name = ", ".join(f"{k}={v}" for k, v in point["values"].items())
        cells = [r for r in long if (r[0], r[1]) == (name, "remote tickets")]
        assert [r[2] for r in cells] == [label(k) for k in REMOTE_KEYS]
        for r, key in zip(cells, REMOTE_KEYS, strict=True):
            check_stats(r[3:6], point["remote"][key], key)
