"""Staff files (CSV and Excel): what they say, and one line naming the row,
column and value for every way they can be wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.model.week import WEEKDAYS
from sim.planning.roster.demand import week_days
from sim.planning.roster.staff import StaffError, read_staff, staff_persons
from tests.sim.planning.roster_halls import scenario, small_rules, write_staff

H = 3600.0
GOOD = {"id": "E1", "name": "王芳", "contract": "full_time", "skills": "C;D"}


def one(tmp_path: Path, **changes: str) -> Path:
    path = tmp_path / "staff.csv"
    write_staff(path, [GOOD | changes])
    return path


def persons(path: Path) -> list[object]:
    rules, _ = small_rules()
    scn = scenario()
    return list(staff_persons(read_staff(path), week_days(scn), rules, ["C", "D"], ["C", "D"]))


def test_a_row_says_contract_skills_availability_and_days_off(tmp_path: Path) -> None:
    path = one(
        tmp_path, contract="part_time", mon="12:00-17:00", tue="off", off="thu; 2027-01-05",
        skills="C、D",
    )  # fmt: skip
    (member,) = read_staff(path)
    assert member.id == "E1" and member.name == "王芳" and member.skills == ("C", "D")
    assert member.hours == {"mon": (12 * H, 17 * H), "tue": None}
    assert {str(d) for d in member.off} == {"thu", "2027-01-05"}
    (person,) = persons(path)
    assert person.windows[0] == (12 * H, 17 * H)  # type: ignore[attr-defined]
    assert person.windows[1] is None and person.windows[3] is None  # type: ignore[attr-defined]
    assert person.windows[2] == (0.0, 86400.0)  # type: ignore[attr-defined]


def test_chinese_headers_and_an_excel_file(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["工号", "姓名", "合同", "技能", "周一", "休假"])
    sheet.append(["E7", "李娜", "part_time", "C", "13:00-17:00", "周六"])
    sheet.append([None] * 6)  # an empty row is skipped
    sheet.append([8, "张伟", "full_time", "C/D", None, None])  # a number as an id
    book.save(tmp_path / "staff.xlsx")
    first, second = read_staff(tmp_path / "staff.xlsx")
    assert (first.id, first.contract, first.hours["mon"]) == ("E7", "part_time", (13 * H, 17 * H))
    assert first.off == frozenset({"sat"})
    assert second.id == "8" and second.skills == ("C", "D")


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            "id,name,contract,skill\nE1,a,full_time,C\n",
            "row 1, column 4: 'skill' is not a staff column (did you mean 'skills'?)",
        ),
        (
            "id,name,contract,tues\nE1,a,full_time,C\n",
            "row 1, column 4: 'tues' is not a staff column (did you mean 'tue'?)",
        ),
        ("id,name,skills\nE1,a,C\n", "row 1: no 'contract' column (the header row needs"),
        ("id,contract,skills,id\n", "row 1: column 'id' is given twice"),
        ("id,contract,skills\nE1,,C\n", "row 2 (E1), column contract: is empty"),
        ("id,contract,skills\nE1,full_time,C\nE1,full_time,C\n",
         "row 3 (E1), column id: 'E1' is also row 2"),
        ("id,contract,skills,mon\nE1,full_time,C,9-18\n",
         "row 2 (E1), column mon: '9-18' is not a span like 09:00-18:00 (or off)"),
        ("id,contract,skills,mon\nE1,full_time,C,18:00-09:00\n",
         "row 2 (E1), column mon: '18:00-09:00' ends before it starts"),
        ("id,contract,skills,off\nE1,full_time,C,funday\n",
         "row 2 (E1), column off: 'funday' is not a weekday (mon … sun) or a date"),
        ("id,contract,skills\nE1,full_time,C,extra\n", "row 2 (E1): 'extra' lies beyond the last"),
        ("id,contract,skills\n", "lists no staff under its header row"),
        ("\n\n", "no header row"),
    ],
)  # fmt: skip
def test_bad_staff_files_name_row_column_and_value(tmp_path: Path, rows: str, message: str) -> None:
    path = tmp_path / "staff.csv"
    path.write_text(rows, encoding="utf-8")
    with pytest.raises(StaffError) as info:
        read_staff(path)
    text = str(info.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"contract": "fulltime"},
         "row 2 (E1), column contract: 'fulltime' is not a contract of the rules "
         "(full_time, part_time)"),
        ({"skills": "c"}, "column skills: 'c' is not a counter group of the scenario (C, D); "
                          "did you mean 'C'?"),
        ({"skills": "C;X"}, "column skills: 'X' is not a counter group of the scenario"),
        ({"mon": "16:00-17:00", "tue": "off", "wed": "off", "thu": "off", "fri": "off",
          "sat": "off"}, "row 2 (E1): can work at most 0 paid h this week, below the 30 h "
                         "minimum of contract full_time"),
    ],
)  # fmt: skip
def test_staff_that_do_not_fit_the_rules_or_scenario(
    tmp_path: Path, changes: dict[str, str], message: str
) -> None:
    with pytest.raises(StaffError) as info:
        persons(one(tmp_path, **changes))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_skills_covering_no_rostered_group(tmp_path: Path) -> None:
    rules, _ = small_rules()
    scn = scenario()
    path = one(tmp_path, skills="D")
    with pytest.raises(
        StaffError, match=r"column skills: 'D' covers no rostered counter group \(C\)"
    ):
        staff_persons(read_staff(path), week_days(scn), rules, ["C", "D"], ["C"])


def test_only_csv_and_excel_are_read(tmp_path: Path) -> None:
    path = tmp_path / "staff.txt"
    path.write_text("id,contract,skills\n", encoding="utf-8")
    with pytest.raises(StaffError, match=r"read staff from .csv or .xlsx files, not '.txt'"):
        read_staff(path)


def test_every_weekday_column_is_known() -> None:
    from sim.planning.roster.staff import COLUMNS

    assert set(WEEKDAYS) <= set(COLUMNS)
