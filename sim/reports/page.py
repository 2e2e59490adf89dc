"""The one HTML template of every hallsim report: ``DIR/<command>.html``, a
self-contained page (plots embedded as ``data:`` URIs, no other file, no
network) headed by the hall, the scenario's name, the facts of the run and the
command line and seed that reproduce it, then sections of tables and figures.

A report module builds a :class:`Page`, adds sections, tables and figures in
reading order, and calls :meth:`Page.write`. Table cells are text already
formatted by :mod:`sim.reports.kpi_text` (or plain counts); :class:`Cell` adds
a CI in small grey type and a class (``miss``: below target, ``sig``: a
difference whose CI excludes 0). Figures are drawn in the style of
:mod:`sim.reports.style`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CSS = """
body{font-family:system-ui,"Noto Sans CJK SC","WenQuanYi Zen Hei","PingFang SC",
"Microsoft YaHei",sans-serif;max-width:88rem;margin:2rem auto;padding:0 1rem;color:#222;
line-height:1.4}
h1{margin-bottom:.2rem}h1 .what{font-weight:400;color:#555}
h2{margin-top:2rem;border-bottom:1px solid #ddd}
dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.1rem 1rem}dt{color:#666}
dd{margin:0;overflow-wrap:anywhere}
code{background:#f4f4f4;padding:.1rem .3rem;border-radius:3px;font-size:.9rem}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:.88rem;margin:.5rem 0}
th,td{padding:.2rem .45rem;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
th{background:#f4f4f4;vertical-align:bottom}th.group{text-align:center;border-left:2px solid #fff}
td.left,th.left{text-align:left}caption{caption-side:bottom;text-align:left;color:#555;
font-size:.85rem;padding-top:.3rem}
.ci{color:#888;font-size:.78rem}.miss{color:#c9302c;font-weight:600}.sig{font-weight:700}
.sig::after{content:" *"}.note{color:#555}.total{font-weight:600}
.verdict{font-size:1.15rem;font-weight:600;margin:.8rem 0 .3rem;padding:.55rem .8rem;
border-left:5px solid #3c8d40;background:#f2f8f2}
.verdict.bad{border-color:#c9302c;background:#fbf0ef}
ul.behind{margin:.2rem 0 1rem;color:#444}ul.behind li{margin:.1rem 0}
figure{margin:1rem 0}img{max-width:100%;border:1px solid #eee}figcaption{color:#555}
"""


def e(value: object) -> str:
    """``value`` as HTML text."""
    return html.escape(str(value))


@dataclass(frozen=True)
class Cell:
    """One table cell: ``text``, then ``ci`` in small grey type; ``cls`` is a CSS
    class (``miss``, ``sig``, ``total``, ``left``) or ''."""

    text: str
    ci: str = ""
    cls: str = ""

    def html(self) -> str:
        cls = f' class="{self.cls}"' if self.cls else ""
        ci = f'<span class="ci"> {e(self.ci)}</span>' if self.ci else ""
        return f"<td{cls}>{e(self.text)}{ci}</td>"


CellLike = Cell | str | int | float


def _cell(value: CellLike, left: bool) -> str:
    if isinstance(value, Cell):
        if left and not value.cls:
            return Cell(value.text, value.ci, "left").html()
        return value.html()
    return Cell(str(value), "", "left" if left else "").html()


@dataclass
class Page:
    """A report page under construction; see the module docstring."""

    command: str  # the hallsim command: names the file, DIR/<command>.html
    what: str  # what the page shows, e.g. "staffing plan"
    hall: str
    hall_name: str | None
    command_line: str  # the command that reproduces this page's numbers
    seed: int | None  # None for a command without randomness (roster, fit)
    facts: Sequence[tuple[str, str]] = ()
    parts: list[str] = field(default_factory=list)
    head: list[str] = field(default_factory=list)  # the verdict, shown under the title

    def verdict(self, text: str, behind: Sequence[str] = (), *, good: bool = True) -> None:
        """The page's answer in one line, first under the title (green, or red
        when not ``good``), and the numbers behind it as a list."""
        cls = "verdict" if good else "verdict bad"
        self.head = [f'<p class="{cls}" id="verdict">{e(text)}</p>']
        if behind:
            items = "".join(f"<li>{e(line)}</li>" for line in behind)
            self.head.append(f'<ul class="behind">{items}</ul>')

    def section(self, title: str, note: str = "") -> None:
        """Start a section: a heading and an optional explanatory note."""
        self.parts.append(f"<h2>{e(title)}</h2>")
        if note:
            self.note(note)

    def note(self, text: str) -> None:
        """A paragraph of explanation (plain text)."""
        self.parts.append(f'<p class="note">{e(text)}</p>')

    def table(
        self,
        table_id: str,
        header: Sequence[str],
        rows: Sequence[Sequence[CellLike]],
        *,
        caption: str = "",
        groups: Sequence[tuple[str, int]] = (),
        left: int = 1,
    ) -> None:
        """A table with id ``table_id``: one header row (``groups`` adds a row of
        ``(title, columns spanned)`` above it), the first ``left`` columns
        left-aligned, numbers right-aligned."""
        head = ""
        if groups:
            head += (
                "<tr>"
                + "".join(
                    f'<th colspan="{span}" class="group">{e(title)}</th>'
                    if span > 1
                    else f"<th>{e(title)}</th>"
                    for title, span in groups
                )
                + "</tr>"
            )
        head += (
            "<tr>"
            + "".join(
                f'<th class="left">{e(h)}</th>' if i < left else f"<th>{e(h)}</th>"
                for i, h in enumerate(header)
            )
            + "</tr>"
        )
        body = "".join(
            "<tr>" + "".join(_cell(v, i < left) for i, v in enumerate(row)) + "</tr>"
            for row in rows
        )
        cap = f"<caption>{e(caption)}</caption>" if caption else ""
        # a table wider than a phone scrolls in its own box, never the page
        self.parts.append(
            f'<div class="scroll"><table id="{e(table_id)}">{cap}{head}{body}</table></div>'
        )

    def figure(self, figure_id: str, fig: Figure, caption: str) -> None:
        """A figure embedded as a PNG ``data:`` URI, with its caption."""
        from sim.reports.style import data_uri

        self.parts.append(
            f'<figure id="{e(figure_id)}"><img src="{data_uri(fig)}" alt="{e(caption)}">'
            f"<figcaption>{e(caption)}</figcaption></figure>"
        )

    def render(self) -> str:
        """The whole page as HTML text."""
        name = f' <span lang="zh">{e(self.hall_name)}</span>' if self.hall_name else ""
        facts = [
            *self.facts,
            ("Seed", "– (no randomness)" if self.seed is None else str(self.seed)),
        ]
        dl = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in facts)
        dl += f"<dt>Reproduce with</dt><dd><code>{e(self.command_line)}</code></dd>"
        head = [
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{e(self.hall)} — {e(self.what)} (hallsim {e(self.command)})</title>",
            f"<style>{CSS}</style></head><body>",
            f'<h1>{e(self.hall)}{name} <span class="what">— {e(self.what)}</span></h1>',
            *self.head,
            f"<dl>{dl}</dl>",
        ]
        return "\n".join([*head, *self.parts, "</body></html>\n"])

    def write(self, out_dir: Path) -> Path:
        """Write ``out_dir/<command>.html`` (creating ``out_dir``); return its path."""
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"{self.command}.html"
        path.write_text(self.render(), encoding="utf-8")
        return path
