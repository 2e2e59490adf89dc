"""Bad input to the planning commands: one line naming the option, path, row
or key and the value, exit 2, nothing computed and nothing written. Output
paths are checked before anything is simulated."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app

runner = CliRunner()
COUNTY = "scenarios/county.yaml"


def one_line_error(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hallsim: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def blocker(tmp_path: Path) -> Path:
    """A file where a folder would have to be."""
    path = tmp_path / "file"
    path.write_text("", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["run", COUNTY],
        ["staff", COUNTY],
        ["compare", COUNTY, COUNTY],
        ["sweep", COUNTY, "--set", "arrivals.scale=1"],
    ],
)
@pytest.mark.parametrize("option", ["--xlsx", "--report"])
def test_an_unwritable_output_is_named_before_anything_runs(
    command: list[str], option: str, blocker: Path
) -> None:
    target = blocker / ("x.xlsx" if option == "--xlsx" else "out")
    line = one_line_error([*command, "-n", "2", "--workers", "1", option, str(target)])
    assert line == f"hallsim: {option} {target}: {blocker} is a file, not a folder"


def test_staff_writes_no_plan_when_its_report_cannot_be_written(
    tmp_path: Path, blocker: Path
) -> None:
    out = tmp_path / "staffed.yaml"
    args = ["staff", COUNTY, "--out", str(out), "--report", str(blocker / "r")]
    one_line_error(args)
    assert not out.exists()


def test_a_folder_where_a_file_goes(tmp_path: Path) -> None:
    line = one_line_error(["run", COUNTY, "--xlsx", str(tmp_path)])
    assert line == f"hallsim: --xlsx {tmp_path}: {tmp_path} is a folder, not a file"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--probability", "1.5"], "--probability 1.5: must be between 0 and 1"),
        (["--judge", "late"], "--judge: 'late' is not one of arrival, called"),
        (
            ["--day", "funday"],
            "--day funday: is neither a weekday (mon, tue, wed, thu, fri, "
            "sat, sun) nor a date (2027-01-04)",
        ),
        (["--week-of", "soon"], "--week-of soon: is not a date such as 2027-01-04"),
        (["--min-block", "0m"], "--min-block 0m: must be positive"),
        (["--min-block", "an hour"], "--min-block an hour: "),
        (["-n", "40", "--max-replications", "20"], "--max-replications 20: is below -n 40"),
        (["--day", "mon", "--week-of", "2027-01-04"], "--day and --week-of: give one of them"),
    ],
)
def test_staff_options_are_checked(extra: list[str], message: str) -> None:
    assert one_line_error(["staff", COUNTY, *extra]).startswith(f"hallsim: {message}")


def test_a_week_missing_weekdays_reads_well(tmp_path: Path) -> None:
    text = Path(COUNTY).read_text(encoding="utf-8")
    text += "week: {mon: {level: 1.2}, tue: {}, wed: {}, thu: {}, fri: {level: 1.1}}\n"
    path = tmp_path / "week.yaml"
    path.write_text(text, encoding="utf-8")
    assert one_line_error(["staff", str(path)]) == (
        f"hallsim: {path}: week: misses sat, sun: give all seven weekdays "
        "(mon … sun), `closed` for a day the hall does not open"
    )


def test_a_negative_rate_names_its_time_not_the_table(tmp_path: Path) -> None:
    text = Path(COUNTY).read_text(encoding="utf-8").replace('"10:00": 14', '"10:00": -14')
    path = tmp_path / "negative.yaml"
    path.write_text(text, encoding="utf-8")
    assert one_line_error(["run", str(path)]) == (
        f"hallsim: {path}: arrivals.rate_per_hour: the value at 10:00 must be finite and "
        "non-negative, not -14"
    )


def test_a_hall_closed_every_day_asked_for(tmp_path: Path) -> None:
    text = Path(COUNTY).read_text(encoding="utf-8") + (
        "week: {mon: {}, tue: {}, wed: {}, thu: {}, fri: {}, sat: {}, sun: closed}\n"
    )
    path = tmp_path / "week.yaml"
    path.write_text(text, encoding="utf-8")
    assert one_line_error(["staff", str(path), "--day", "sun"]) == (
        f"hallsim: {path}: the hall is closed on every day asked for"
    )
