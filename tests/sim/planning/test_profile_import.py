"""``hallsim scenario import``: a scenario's arrival profile and counter counts
from the two columns (time, value) of a CSV or Excel sheet, validated like any
scenario; every error names the file, the row and the value."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from sim.cli import app as hallsim
from sim.model.scenario import ScenarioError, load_scenario, read_yaml_file
from sim.planning.profile_import import column_index, fill_schedule, read_profile

H = 3600.0
runner = CliRunner()


def csv_file(tmp_path: Path, text: str, name: str = "profile.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def xlsx_file(tmp_path: Path, rows: list[list[object]], sheet: str = "到达") -> Path:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    for row in rows:
        ws.append(row)
    path = tmp_path / "profile.xlsx"
    book.save(path)
    return path


def test_csv_with_a_header_and_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text("时间,到达人数/小时\n08:30,9\n\n10:00,15.5\n9:00,12\n", encoding="utf-8-sig")
    profile = read_profile(path)
    assert profile.steps == ((8.5 * H, 9.0), (9 * H, 12.0), (10 * H, 15.5))
    assert profile.as_yaml() == {"08:30": 9, "09:00": 12, "10:00": 15.5}


def test_xlsx_times_as_times_text_or_day_fractions(tmp_path: Path) -> None:
    path = xlsx_file(
        tmp_path,
        [["时间", "柜台数"], [dt.time(8, 30), 2], ["12:00", 1], [13.5 / 24, 3], [None, None]],
    )
    profile = read_profile(path, whole=True, sheet="到达")
    assert profile.steps == ((8.5 * H, 2.0), (12 * H, 1.0), (13.5 * H, 3.0))


def test_other_columns(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "note,value,time\nx,5,09:00\ny,6,10:00\n")
    assert read_profile(path, columns=("C", "B")).steps == ((9 * H, 5.0), (10 * H, 6.0))
    assert column_index("A") == 0 and column_index("AB") == 27


def test_errors_name_the_file_row_and_value(tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        "time,count\n08:30,2\n9:61,3\n10:00,abc\n11:00,2.5\n11:00,-1\n12:00,\n08:30,4\n",
    )
    with pytest.raises(ScenarioError) as info:
        read_profile(path, whole=True)
    lines = str(info.value).splitlines()
    assert lines == [
        f"{path}: row 3: time '9:61' is not a valid time of day",
        f"{path}: row 4: value 'abc' is not a number",
        f"{path}: row 5: value '2.5' must be a whole number of counters",
        f"{path}: row 6: value '-1' must not be negative",
        f"{path}: row 7: no value",
        f"{path}: row 8: time 08:30 is already given in row 2",
    ]


def test_a_header_only_file_and_wrong_kinds_of_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no rows with a time and a value"):
        read_profile(csv_file(tmp_path, "time,value\n"))
    with pytest.raises(ScenarioError, match=r"read \.csv or \.xlsx files"):
        read_profile(csv_file(tmp_path, "x", name="profile.txt"))
    with pytest.raises(ScenarioError, match="cannot read as an Excel workbook"):
        read_profile(csv_file(tmp_path, "not a zip", name="broken.xlsx"))
    sheet = xlsx_file(tmp_path, [["09:00", 1]])
    with pytest.raises(ScenarioError, match=r"no sheet 'rates' \(it has: 到达\)"):
        read_profile(sheet, sheet="rates")


def test_fill_rates_and_counts_validated_like_any_scenario(tmp_path: Path) -> None:
    data = read_yaml_file("scenarios/county.yaml")
    assert isinstance(data, dict)
    rates = read_profile(csv_file(tmp_path, "08:30,9\n12:00,6\n"))
    _, scn = fill_schedule(data, rates, counter=None, source="county.yaml")
    assert scn.arrivals.rate_per_hour == ((8.5 * H, 9.0), (12 * H, 6.0))
    counts = read_profile(csv_file(tmp_path, "08:30,2\n12:00,1\n", name="c.csv"), whole=True)
    _, scn = fill_schedule(data, counts, counter="C", source="county.yaml")
    assert scn.counters[0].count == ((8.5 * H, 2.0), (12 * H, 1.0))
    with pytest.raises(ScenarioError, match=r"counters: no group 'X' \(it has: C, P\)"):
        fill_schedule(data, counts, counter="X", source="county.yaml")
    # a scenario error elsewhere is reported with the file and what was imported
    broken = data | {"close": "07:00"}
    with pytest.raises(ScenarioError, match=r"^county.yaml: .*\(with counters\[0\]\.count from "):
        fill_schedule(broken, counts, counter="C", source="county.yaml")


def test_a_row_outside_the_opening_hours_is_refused(tmp_path: Path) -> None:
    data = read_yaml_file("scenarios/flagship.yaml")
    assert isinstance(data, dict)
    early = read_profile(csv_file(tmp_path, "time,rate\n08:00,10\n09:00,12\n21:00,3\n"))
    with pytest.raises(ScenarioError) as caught:
        fill_schedule(data, early, counter=None, source="flagship.yaml")
    assert str(caught.value).splitlines() == [
        f"{early.source}: row 2: time 08:00 is outside the opening hours of flagship.yaml "
        "(09:00–21:00)",
        f"{early.source}: row 4: time 21:00 is outside the opening hours of flagship.yaml "
        "(09:00–21:00)",
    ]


def test_a_missing_value_column_is_one_line_naming_the_column(tmp_path: Path) -> None:
    rows: list[list[object]] = [["time", "note", "rate"]]
    rows += [[f"{h:02d}:00", None, 10 * h] for h in range(9, 14)]
    book = xlsx_file(tmp_path, rows)
    with pytest.raises(ScenarioError) as caught:
        read_profile(book)
    assert str(caught.value) == (
        f"{book}: column B has no values (rows 2–6); the numbers are in column C: use --columns A,C"
    )
    assert read_profile(book, columns=("A", "C")).steps[0] == (9 * H, 90.0)


def test_cli_fills_the_scenario_in_place_and_it_runs(tmp_path: Path) -> None:
    scenario = tmp_path / "county.yaml"
    scenario.write_text(Path("scenarios/county.yaml").read_text(encoding="utf-8"), "utf-8")
    book = xlsx_file(tmp_path, [["时间", "到达率"], [dt.time(8, 30), 10], [dt.time(11, 0), 20]])
    result = runner.invoke(hallsim, ["scenario", "import", str(book), "--into", str(scenario)])
    assert result.exit_code == 0, result.output
    text = scenario.read_text(encoding="utf-8")
    assert text.startswith("# 县城营业厅")  # the leading comment is kept
    assert "imported from profile.xlsx" in text
    scn = load_scenario(scenario)
    assert scn.arrivals.rate_per_hour == ((8.5 * H, 10.0), (11 * H, 20.0))
    assert scn.counters == load_scenario("scenarios/county.yaml").counters
    counts = csv_file(tmp_path, "time,counters\n08:30,1\n10:00,3\n")
    out = tmp_path / "staffed.yaml"
    args = ["scenario", "import", str(counts), "--into", str(scenario), "--counter", "C"]
    result = runner.invoke(hallsim, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert load_scenario(out).counters[0].count == ((8.5 * H, 1.0), (10 * H, 3.0))
    assert load_scenario(out).arrivals.rate_per_hour == scn.arrivals.rate_per_hour
    run = runner.invoke(hallsim, ["run", str(out), "-n", "2", "--workers", "1", "--json"])
    assert run.exit_code == 0, run.output


def test_cli_errors_exit_2_naming_the_file(tmp_path: Path) -> None:
    bad = csv_file(tmp_path, "time,value\n09:00,1\n25:00,2\n")
    args = ["scenario", "import", str(bad), "--into", "scenarios/county.yaml"]
    result = runner.invoke(hallsim, args)
    assert result.exit_code == 2
    assert f"hallsim: {bad}: row 3: time '25:00' is not a valid time of day" in result.output
    good = csv_file(tmp_path, "09:00,1\n", name="good.csv")
    result = runner.invoke(hallsim, [*args[:2], str(good), "--into", "missing.yaml"])
    assert result.exit_code == 2 and "missing.yaml: cannot read" in result.output
    result = runner.invoke(hallsim, [*args, "--columns", "A"])
    assert result.exit_code == 2 and "--columns: 'A' is not two column letters" in result.output
    result = runner.invoke(hallsim, [*args, "--columns", "A,9"])
    assert result.exit_code == 2 and "--columns '9' is not a column letter" in result.output
