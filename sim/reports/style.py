"""The one plotting style of every hallsim report: fonts that draw the Chinese
display names, one colour per segment, service, counter group and plan that
every plot shares, titles that name the hall, times of day as ``09:00`` on
every time axis, and figures turned into ``data:`` URIs for a self-contained
page (:mod:`sim.reports.page`).

Figures are :class:`matplotlib.figure.Figure` objects on the Agg canvas (no
pyplot, no global state); matplotlib is imported only when a figure is drawn,
so that ``import sim`` stays light.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sim.model.units import format_clock

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Fonts with the Chinese glyphs of the display names, in order of preference.
CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "Droid Sans Fallback", "Microsoft YaHei", "SimHei", "PingFang SC",
)  # fmt: skip

# Roles that are not a segment, service or group.
BLUE, WARN, GREY, OK = "#3b6ea8", "#d9534f", "#555555", "#3c8d40"
TARGET = GREY  # target lines: dashed grey everywhere
METHODS = {"erlang": "#d08a2c", "sim": "#2c6fbb"}  # staffing plans
# Segments (customer brands), services and counter groups each draw from their
# own palette, by their position in the scenario, so 全球通 has the same colour
# in every plot of every report of a hall and never the colour of a service.
_SEGMENTS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")
_SERVICES = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")
_GROUPS = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#9c755f", "#76b7b2", "#edc948")
_SCENARIOS = ("#555555", "#c0392b", "#2980b9", "#27ae60", "#8e44ad", "#d35400")
_POINTS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")  # fmt: skip
DPI = 110


def _cycle(palette: Sequence[str], keys: Sequence[str]) -> dict[str, str]:
    return {key: palette[i % len(palette)] for i, key in enumerate(keys)}


def segment_colours(keys: Sequence[str]) -> dict[str, str]:
    """Segment id -> colour, by the segment's position in the scenario."""
    return _cycle(_SEGMENTS, keys)


def service_colours(keys: Sequence[str]) -> dict[str, str]:
    """Service id -> colour, by the service's position in the scenario."""
    return _cycle(_SERVICES, keys)


def group_colours(keys: Sequence[str]) -> dict[str, str]:
    """Counter group id -> colour, by the group's position in the scenario."""
    return _cycle(_GROUPS, keys)


def scenario_colours(labels: Sequence[str]) -> dict[str, str]:
    """Compared scenario label -> colour; the first (the base) is grey."""
    return _cycle(_SCENARIOS, labels)


def point_colours(labels: Sequence[str]) -> dict[str, str]:
    """Sweep grid point label -> colour (ten apart before they repeat)."""
    return _cycle(_POINTS, labels)


def points_axis(ax: Axes) -> None:
    """Differences of shares (0..1) shown as signed percentage points (``+5pp``)."""
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(
        FuncFormatter(lambda v, _: f"{v * 100:+.0f}pp".replace("+0pp", "0pp"))
    )


def cjk_font() -> str | None:
    """The first installed font of :data:`CJK_FONTS`, or None. matplotlib caches
    its font list; a font installed after the cache was built (``make`` installs
    one when missing) is found by scanning the system's font files once."""
    from matplotlib import font_manager

    def first() -> str | None:
        installed = {f.name for f in font_manager.fontManager.ttflist}
        return next((name for name in CJK_FONTS if name in installed), None)

    found = first()
    if found is None:
        hints = ("wqy", "notosanscjk", "notoserifcjk", "droidsansfallback", "sourcehansans")
        for path in font_manager.findSystemFonts():
            if any(h in Path(path).name.lower().replace("-", "") for h in hints):
                font_manager.fontManager.addfont(path)
        found = first()
    return found


class _OnlyWeightFallback(logging.Filter):
    """Drops matplotlib's notice that the CJK font has no regular (400) weight
    and its medium one is used instead (WenQuanYi ships only 500): a different
    weight of the right font, not a missing glyph. Every other font warning passes."""

    def __init__(self, font: str | None) -> None:
        super().__init__()
        self.font = font

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (
            self.font is not None
            and message.startswith("findfont: Failed to find font weight")
            and f" for {self.font}, " in message
        )


@contextmanager
def plot_style() -> Iterator[str | None]:
    """Draw inside this: Agg, the report font size, DejaVu Sans for Latin text
    falling back glyph by glyph to the CJK font. Yields that font, or None when
    no font can draw Chinese (then plots name segments and services by id)."""
    import matplotlib

    matplotlib.use("Agg")
    font = cjk_font()
    font_log = logging.getLogger("matplotlib.font_manager")
    only_weight = _OnlyWeightFallback(font)
    font_log.addFilter(only_weight)
    try:
        with matplotlib.rc_context(
            {"font.size": 10.0, "axes.titlesize": 11.0, "figure.titlesize": 12.0}
        ):
            if font is not None:  # DejaVu for Latin, falling back to the CJK font per glyph
                matplotlib.rcParams["font.family"] = ["DejaVu Sans", font]
            yield font
    finally:
        font_log.removeFilter(only_weight)


def new_figure(width_in: float, height_in: float) -> Figure:
    """A figure on the Agg canvas with the constrained layout every report uses."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def data_uri(fig: Figure) -> str:
    """The figure as a PNG ``data:`` URI, for an ``<img>`` that needs no file."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def display_name(key: str, name: str | None, cjk: bool) -> str:
    """What a plot calls a segment, service or hall: its display name when a
    CJK font can draw it, else its id (the HTML tables give both)."""
    return (name or key) if cjk else key


def hall_title(hall: str, name: str | None, what: str, cjk: bool) -> str:
    """``county 县城营业厅 — what``: every figure's title names the hall."""
    shown = f" {name}" if cjk and name and name != hall else ""
    return f"{hall}{shown} — {what}"


def clock_axis(ax: Axes, lo_h: float, hi_h: float, timezone: str | None = None) -> None:
    """An x axis in hours after midnight labelled as times of day ``09:00``,
    ticks on whole or half hours."""
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    ax.set_xlim(lo_h, hi_h)
    span_h = hi_h - lo_h
    step_h = next((s for s in (0.5, 1, 2, 3, 4, 6, 12) if span_h / s <= 13), 24)
    ax.xaxis.set_major_locator(MultipleLocator(step_h))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda h, _: format_clock(h * 3600.0)))
    ax.set_xlabel("time of day" + (f" ({timezone})" if timezone else ""))


def percent_axis(ax: Axes, *, y: bool = True, decimals: int = 0) -> None:
    """Shares (0..1) shown as percent on the y (or x) axis."""
    from matplotlib.ticker import PercentFormatter

    axis = ax.yaxis if y else ax.xaxis
    axis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=decimals))


def target_line(ax: Axes, value: float, text: str, *, horizontal: bool = True) -> None:
    """The target as a dashed grey line with its legend entry ``text``."""
    if horizontal:
        ax.axhline(value, color=TARGET, ls="--", lw=1, label=text)
    else:
        ax.axvline(value, color=TARGET, ls="--", lw=1, label=text)
