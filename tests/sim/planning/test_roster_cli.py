"""``hallsim roster``: one day as before (--day), a week with people by
default for a scenario with a week, named staff, several halls in parallel
(local processes and a real Dask cluster), the files it writes, and bad input
as one line, exit 2 and nothing written."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from sim.cli import app as hallsim
from sim.model.scenario import load_scenario
from sim.model.scenario_io import scenario_yaml
from sim.model.units import parse_clock_s
from tests.sim.planning.roster_check import check_week
from tests.sim.planning.roster_halls import SMALL_RULES, scenario, write_staff

RULES_PATH = Path("scenarios/rules/flagship-roster.yaml")
FLAGSHIP = ["roster", "scenarios/flagship.yaml", "--rules", str(RULES_PATH)]


def invoke(*args: str) -> Any:
    return CliRunner().invoke(hallsim, list(args))


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The small hall's scenario and rules files."""
    folder = tmp_path_factory.mktemp("small")
    (folder / "small.yaml").write_text(scenario_yaml(scenario()), encoding="utf-8")
    (folder / "rules.yaml").write_text(yaml.safe_dump(SMALL_RULES), encoding="utf-8")
    return folder / "small.yaml", folder / "rules.yaml"


# --- one day, as before ---------------------------------------------------------------------


def test_one_day_json_and_files(tmp_path: Path) -> None:
    out, png = tmp_path / "rostered.yaml", tmp_path / "gantt.png"
    result = invoke(*FLAGSHIP, "--day", "tue", "--json", "--out", str(out), "--png", str(png))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["roster"] == "day" and data["day"] == "tue"
    assert data["verdict"].startswith("flagship tue: ")
    assert data["lower_bound_hours"] == pytest.approx(119.0)  # 91 counter-hours, 15% shrinkage
    assert data["staff_hours"] >= data["lower_bound_hours"]
    assert data["cost"] == pytest.approx(data["staff_hours"] * 45)
    assert {s["id"] for s in data["shifts"]} <= {g.id for g in load_scenario(out).counters}
    assert all(parse_clock_s(s["start"]) == s["start_s"] for s in data["shifts"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_one_day_table_opens_with_the_verdict() -> None:
    result = invoke(*FLAGSHIP, "--day", "2027-01-01")  # 元旦: 10:00–16:00
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert re.match(r"flagship 2027-01-01: \d+ people on shift, [\d.]+ paid h, ¥[\d,]+; every "
                    r"slot covered$", lines[0])  # fmt: skip
    assert any("15% shrinkage" in line for line in lines)
    assert any("10:00–" in line for line in lines) and not any("09:00–" in line for line in lines)


def test_one_day_infeasible_rules_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text(
        RULES_PATH.read_text(encoding="utf-8").replace("B: 18", "B: 6"), encoding="utf-8"
    )
    result = invoke("roster", "scenarios/flagship.yaml", "--rules", str(bad), "--day", "tue")
    assert result.exit_code == 2
    assert (
        "group B needs 9 people for 7 counters (15% shrinkage) but only 6 people are available"
        in result.output
    )


def test_rules_error_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("grid: 30m\nshift_lengths: [4h, 5x]\n", encoding="utf-8")
    result = invoke("roster", "scenarios/flagship.yaml", "--rules", str(bad))
    assert result.exit_code == 2
    assert "shift_lengths[1]: '5x'" in result.output and "rules.yaml" in result.output


# --- a week ---------------------------------------------------------------------------------


def test_week_table_opens_with_the_verdict_and_numbers(small: tuple[Path, Path]) -> None:
    scn, rules = small
    result = invoke("roster", str(scn), "--rules", str(rules))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert re.match(
        r"small week: \d+ people \(\d+ (full|part)-time(, \d+ part-time)?\), [\d.]+ FTE, "
        r"[\d.]+ paid h, ¥[\d,]+ a week; every slot covered$",
        lines[0],
    ), lines[0]
    assert any(line.strip().startswith("total") for line in lines[1:6])
    assert any("│ Sun" in line or "Sun " in line for line in lines)
    assert any("closed" in line for line in lines)


def test_week_json_passes_the_checker(small: tuple[Path, Path]) -> None:
    scn, rules = small
    result = invoke("roster", str(scn), "--rules", str(rules), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert check_week(data, scenario(), SMALL_RULES) == []
    assert data["verdict"].startswith("small week: ")


def test_week_workbook_reads_back(small: tuple[Path, Path], tmp_path: Path) -> None:
    from openpyxl import load_workbook

    scn, rules = small
    xlsx = tmp_path / "roster.xlsx"
    result = invoke("roster", str(scn), "--rules", str(rules), "--xlsx", str(xlsx), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    book = load_workbook(xlsx)
    assert book.sheetnames == ["Summary", "Contracts", "Week", "Shifts", "Coverage", "About"]
    week, shifts = book["Week"], book["Shifts"]
    assert week.freeze_panes == "B2" and week.auto_filter.ref == f"A1:M{1 + data['people']}"
    assert shifts.auto_filter.ref is not None and shifts.freeze_panes == "B2"
    header = [c.value for c in shifts[1]]
    assert header[:8] == ["id", "name", "contract", "day", "date", "group", "start", "end"]
    worked = sum(s is not None for p in data["staff"] for s in p["shifts"].values())
    assert shifts.max_row == 1 + worked
    for row in shifts.iter_rows(min_row=2):
        person = next(p for p in data["staff"] if p["id"] == row[0].value)
        key = next(d["key"] for d in data["days"] if d["key"].capitalize() == row[3].value)
        shift = person["shifts"][key]
        start, end = row[6].value, row[7].value
        assert isinstance(start, dt.time) and isinstance(end, dt.time)
        assert (start.strftime("%H:%M"), end.strftime("%H:%M")) == (shift["start"], shift["end"])
        assert row[6].number_format == "hh:mm" and row[10].number_format == "0.00"
        assert row[10].value == pytest.approx(shift["paid_hours"])
    paid = {r[0].value: r[11].value for r in week.iter_rows(min_row=2)}
    assert paid == {p["id"]: pytest.approx(p["paid_hours"]) for p in data["staff"]}
    assert book["Summary"]["A1"].value == data["verdict"]


def test_week_report_opens_with_the_verdict(small: tuple[Path, Path], tmp_path: Path) -> None:
    scn, rules = small
    result = invoke("roster", str(scn), "--rules", str(rules), "--report", str(tmp_path))
    assert result.exit_code == 0, result.output
    page = (tmp_path / "roster.html").read_text(encoding="utf-8")
    assert page.index('id="verdict"') < page.index("<dl>")  # the answer under the title
    facts = re.findall(r"<dt>(.*?)</dt>", page)
    assert facts[:5] == ["People", "FTE", "Paid hours a week", "Cost a week", "Coverage"]
    assert page.count("data:image/png;base64,") == 2
    assert 'id="week"' in page and 'id="coverage-mon"' in page


def test_named_staff_week(small: tuple[Path, Path], tmp_path: Path) -> None:
    scn, rules = small
    rows = [{"id": f"F{i}", "name": f"员工{i}", "contract": "full_time", "skills": "C;D"}
            for i in range(1, 7)]  # fmt: skip
    write_staff(tmp_path / "staff.csv", rows)
    args = ["roster", str(scn), "--rules", str(rules), "--staff", str(tmp_path / "staff.csv")]
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["named_staff"] and [p["id"] for p in data["staff"]] == [r["id"] for r in rows]
    assert check_week(data, scenario(), SMALL_RULES, rows) == []


# --- bad input: one line, exit 2, nothing written --------------------------------------------


@pytest.mark.parametrize(
    ("staff", "message"),
    [
        ("id,contract,skils\nE1,full_time,C\n", "column 3: 'skils' is not a staff column"),
        ("id,contract,skills,off\nE1,full_time,C,someday\n",
         "column off: 'someday' is not a weekday (mon … sun) or a date"),
        ("id,contract,skills,mon\nE1,full_time,C,morning\n",
         "column mon: 'morning' is not a span like 09:00-18:00 (or off)"),
        ("id,contract,skills\nE1,full_time,X\n", "column skills: 'X' is not a counter group"),
        ("id,contract,skills\nE1,casual,C\n", "column contract: 'casual' is not a contract"),
    ],
)  # fmt: skip
def test_bad_staff_is_one_line_and_nothing_is_written(
    small: tuple[Path, Path], tmp_path: Path, staff: str, message: str
) -> None:
    scn, rules = small
    (tmp_path / "staff.csv").write_text(staff, encoding="utf-8")
    out = tmp_path / "out"
    result = invoke(
        "roster", str(scn), "--rules", str(rules), "--staff", str(tmp_path / "staff.csv"),
        "--report", str(out), "--xlsx", str(out / "r.xlsx"),
    )  # fmt: skip
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"hallsim: {tmp_path / 'staff.csv'}: row ") and message in line
    assert not out.exists()


def test_a_contract_whose_minimum_exceeds_its_maximum(
    small: tuple[Path, Path], tmp_path: Path
) -> None:
    scn, _ = small
    raw = yaml.safe_load(yaml.safe_dump(SMALL_RULES))
    raw["contracts"]["part_time"]["hours_per_week"] = {"min": 30, "max": 20}
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    result = invoke("roster", str(scn), "--rules", str(tmp_path / "rules.yaml"))
    assert result.exit_code == 2
    assert "rules.yaml: contracts.part_time.hours_per_week: " in result.output
    assert "min 30 h exceeds max 20 h" in result.output


@pytest.mark.parametrize(
    ("option", "target", "message"),
    [
        ("--xlsx", "folder", "is a folder"),
        ("--report", "file", "is a file"),
        ("--xlsx", "under-file", "is a file, not a folder"),
    ],
)
def test_output_paths_are_checked_before_computing(
    small: tuple[Path, Path], tmp_path: Path, option: str, target: str, message: str
) -> None:
    scn, rules = small
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("", encoding="utf-8")
    path = tmp_path / ("file/x.xlsx" if target == "under-file" else target)
    result = invoke("roster", str(scn), "--rules", str(rules), option, str(path))
    assert result.exit_code == 2 and message in result.output
    assert "week:" not in result.output  # nothing was computed


def test_options_that_do_not_go_together(small: tuple[Path, Path]) -> None:
    scn, rules = small
    result = invoke("roster", str(scn), "--rules", str(rules), "--day", "mon", "--week")
    assert result.exit_code == 2 and "--day rosters one day's shifts" in result.output
    result = invoke("roster", str(scn), "--rules", str(rules), "--out", "x.yaml")
    assert result.exit_code == 2 and "--out writes the shifts of a one-day roster" in result.output
    result = invoke("roster", str(scn), "--rules", str(rules), "--day", "someday")
    assert result.exit_code == 2 and "--day: 'someday' is not a weekday" in result.output
    result = invoke("roster", str(scn), "--rules", str(rules), "--start", "2027-13-01")
    assert result.exit_code == 2 and "--start: '2027-13-01' is not a date" in result.output


# --- several halls ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def halls(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three small halls of different sizes."""
    folder = tmp_path_factory.mktemp("halls")
    for i, scale in enumerate((1, 2, 3), 1):
        counters = [
            {"id": "C", "count": {"09:00": 2 * scale, "11:00": 3 * scale}, "services": ["a"]},
            {"id": "D", "count": scale, "services": ["a"]},
        ]
        scn = scenario(hall=f"hall-{i}", counters=counters)
        (folder / f"hall-{i}.yaml").write_text(scenario_yaml(scn), encoding="utf-8")
    return folder


def batch_json(halls: Path, rules: Path, *more: str) -> dict[str, Any]:
    result = invoke("roster", str(halls), "--rules", str(rules), "--json", *more)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _scrub(data: dict[str, Any]) -> dict[str, Any]:
    for hall in data["halls"]:
        hall.pop("solve_seconds")
    return data


@pytest.mark.slow
def test_a_folder_of_halls_in_parallel(
    halls: Path, small: tuple[Path, Path], tmp_path: Path
) -> None:
    _, rules = small
    data = batch_json(halls, rules, "--workers", "2", "--report", str(tmp_path / "pages"))
    assert [h["scenario"] for h in data["halls"]] == ["hall-1", "hall-2", "hall-3"]
    people = [h["people"] for h in data["halls"]]
    assert people == sorted(people) and people[0] < people[-1]
    for i, hall in enumerate(data["halls"], 1):
        assert check_week(hall, load_scenario(halls / f"hall-{i}.yaml"), SMALL_RULES) == []
        assert (tmp_path / "pages" / f"hall-{i}" / "roster.html").is_file()
    assert _scrub(data) == _scrub(batch_json(halls, rules, "--workers", "1"))


def test_a_batch_table_has_a_row_per_hall(halls: Path, small: tuple[Path, Path]) -> None:
    _, rules = small
    result = invoke("roster", str(halls), "--rules", str(rules), "--workers", "1")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert re.match(
        r"3 halls: \d+ people, [\d.]+ FTE, [\d,]+ paid h, ¥[\d,]+; 3 of 3 covered$", lines[0]
    ), lines[0]
    rows = [line for line in lines if "│ hall-" in line]
    assert len(rows) == 3 and all("│ week" in row and "covered" in row for row in rows)


@pytest.fixture(scope="module")
def dask_scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``dask scheduler`` and ``dask worker`` on free ports of 127.0.0.1."""
    from tests.monitor.server import free_port

    dask = Path(sys.executable).with_name("dask")
    logs = tmp_path_factory.mktemp("dask")
    address = f"tcp://127.0.0.1:{free_port()}"
    procs = [
        subprocess.Popen(
            [str(dask), "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
             "--dashboard-address", ":0"],
            stdout=(logs / "scheduler.log").open("w"), stderr=subprocess.STDOUT,
        )
    ]  # fmt: skip
    procs.append(
        subprocess.Popen(
            [str(dask), "worker", address, "--nworkers", "2", "--nthreads", "1",
             "--dashboard-address", ":0"],
            stdout=(logs / "worker.log").open("w"), stderr=subprocess.STDOUT,
        )
    )  # fmt: skip
    try:
        import distributed

        with distributed.Client(address, timeout=30) as client:  # type: ignore[no-untyped-call]
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for proc in procs[::-1]:
            proc.terminate()
            proc.wait(timeout=30)


@pytest.mark.integration
def test_a_batch_on_dask_gives_the_local_rosters(
    halls: Path, small: tuple[Path, Path], dask_scheduler: str
) -> None:
    _, rules = small
    on_dask = batch_json(halls, rules, "--dask", dask_scheduler)
    assert _scrub(on_dask) == _scrub(batch_json(halls, rules, "--workers", "1"))
