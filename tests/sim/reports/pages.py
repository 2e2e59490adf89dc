"""Reading a report page back: its tables (by id, as rows of cell texts), its
figures (by id, decoded PNG) and its header facts, with the standard library's
HTML parser, so that tests check content rather than pixels."""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass
class Cell:
    text: str  # the cell's own text, without the CI
    ci: str  # the small grey CI text, or ''
    classes: set[str]


@dataclass
class ParsedPage:
    title: str = ""
    h1: str = ""
    facts: dict[str, str] = field(default_factory=dict)
    tables: dict[str, list[list[Cell]]] = field(default_factory=dict)  # body rows, header apart
    headers: dict[str, list[list[str]]] = field(default_factory=dict)
    figures: dict[str, bytes] = field(default_factory=dict)  # id -> PNG bytes
    captions: dict[str, str] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)  # every src and href
    text: str = ""
    verdict: str = ""  # the answer under the title
    verdict_good: bool = True
    behind: list[str] = field(default_factory=list)  # the numbers behind it

    def column(self, table: str, header: str, row_header: int = -1) -> list[Cell]:
        """The cells under ``header`` in the last header row (or ``row_header``)."""
        heads = self.headers[table][row_header]
        k = heads.index(header)
        return [row[k] for row in self.tables[table]]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = ParsedPage()
        self.stack: list[str] = []
        self.table: str | None = None
        self.row: list[Cell] | None = None
        self.head_row: list[str] | None = None
        self.cell: Cell | None = None
        self.in_ci = False
        self.in_th = False
        self.th_text = ""
        self.figure: str | None = None
        self.dt = ""
        self.capture = ""
        self.texts: list[str] = []
        self.in_behind = False
        self.in_verdict = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("src", "href"):
            if a.get(key):
                self.page.sources.append(str(a[key]))
        self.stack.append(tag)
        if tag == "table":
            self.table = a.get("id") or f"table{len(self.page.tables)}"
            self.page.tables[self.table] = []
            self.page.headers[self.table] = []
        elif tag == "tr" and self.table is not None:
            self.row, self.head_row = [], []
        elif tag == "td" and self.row is not None:
            self.cell = Cell("", "", set((a.get("class") or "").split()))
        elif tag == "th":
            self.in_th, self.th_text = True, ""
        elif tag == "span" and "ci" in (a.get("class") or "").split() and self.cell is not None:
            self.in_ci = True
        elif tag == "figure":
            self.figure = a.get("id")
        elif tag == "img" and self.figure is not None:
            src = a.get("src") or ""
            prefix = "data:image/png;base64,"
            assert src.startswith(prefix), f"figure {self.figure} is not an embedded PNG"
            self.page.figures[self.figure] = base64.b64decode(src[len(prefix) :])
        elif tag == "p" and a.get("id") == "verdict":
            self.capture, self.in_verdict = "", True
            self.page.verdict_good = "bad" not in (a.get("class") or "").split()
        elif tag == "ul" and "behind" in (a.get("class") or "").split():
            self.in_behind = True
        elif tag in ("title", "h1", "dt", "dd", "figcaption", "li"):
            self.capture = ""

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        if tag == "td" and self.cell is not None and self.row is not None:
            self.cell.text, self.cell.ci = self.cell.text.strip(), self.cell.ci.strip()
            self.row.append(self.cell)
            self.cell = None
        elif tag == "th" and self.head_row is not None:
            self.head_row.append(self.th_text.strip())
            self.in_th = False
        elif tag == "span":
            self.in_ci = False
        elif tag == "tr" and self.table is not None:
            if self.row:
                self.page.tables[self.table].append(self.row)
            elif self.head_row:
                self.page.headers[self.table].append(self.head_row)
            self.row = self.head_row = None
        elif tag == "table":
            self.table = None
        elif tag == "title":
            self.page.title = self.capture.strip()
        elif tag == "h1":
            self.page.h1 = " ".join(self.capture.split())
        elif tag == "dt":
            self.dt = self.capture.strip()
        elif tag == "dd":
            self.page.facts[self.dt] = self.capture.strip()
        elif tag == "p" and self.in_verdict:
            self.page.verdict, self.in_verdict = " ".join(self.capture.split()), False
        elif tag == "li" and self.in_behind:
            self.page.behind.append(" ".join(self.capture.split()))
        elif tag == "ul":
            self.in_behind = False
        elif tag == "figcaption" and self.figure is not None:
            self.page.captions[self.figure] = self.capture.strip()
        elif tag == "figure":
            self.figure = None

    def handle_data(self, data: str) -> None:
        self.texts.append(data)
        self.capture += data
        if self.cell is not None:
            if self.in_ci:
                self.cell.ci += data
            else:
                self.cell.text += data
        if self.in_th:
            self.th_text += data


def parse_page(path: Path) -> ParsedPage:
    """The page at ``path``, parsed."""
    parser = _Parser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.page.text = " ".join(" ".join(parser.texts).split())
    return parser.page


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels from the IHDR chunk, after checking the signature."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def check_self_contained(page: ParsedPage) -> None:
    """No file, no network: every source is an embedded image."""
    assert all(src.startswith("data:image/png;base64,") for src in page.sources), [
        s[:40] for s in page.sources if not s.startswith("data:")
    ]


def check_figures(page: ParsedPage, ids: set[str]) -> None:
    """Exactly the figures ``ids``, each a real PNG of a readable size with a caption."""
    assert set(page.figures) == ids, sorted(page.figures)
    for name, data in page.figures.items():
        width, height = png_size(data)
        assert width >= 800 and height >= 400, (name, width, height)
        assert len(data) > 10_000, f"{name} looks empty"
        assert page.captions.get(name), f"{name} has no caption"


def shown(text: str) -> tuple[float, float]:
    """The number a cell shows (``91.8%``, ``+2.4pp``, ``1,234.5``, ``±0.3``) and
    half a unit of its last digit (the rounding it may carry)."""
    core = text.strip().lstrip("±").replace(",", "").removesuffix("pp").removesuffix("%")
    decimals = len(core.split(".")[1]) if "." in core else 0
    return float(core), 0.5 * 10.0**-decimals + 1e-9


def assert_shows(text: str, value: float | None, key: str) -> None:
    """The cell ``text`` shows ``value`` of KPI ``key`` (JSON units: seconds for
    ``*_s``, shares as fractions) in people's units, up to its rounding; ``–``
    where the value is missing."""
    if value is None:
        assert text in ("–", ""), text
        return
    if text == "":  # a half-width of 0 (every replication alike) is not shown as ±0
        assert abs(value) < 1e-12, value
        return
    number, tolerance = shown(text)
    if key.endswith("_s"):
        people = value / 60.0
    elif key in ("service_level", "abandon_rate", "utilisation") or text.endswith(("%", "pp")):
        people = value * 100.0
    else:
        people = value
    assert abs(number - people) <= tolerance, (key, text, value)
