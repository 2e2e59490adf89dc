"""The browser of the page tests: the system's Chromium (Debian ``chromium``),
driven by Playwright through ``executable_path`` (nothing is downloaded), and
what every page must pass at a window size (``measure.js``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# what a page must pass, measured in the page: every problem as a line of text
MEASURE = (Path(__file__).parent / "measure.js").read_text(encoding="utf-8")


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched headless Chromium, closed on exit; fails the test when the
    system has none."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def layout_problems(page: Any, *, fits: bool) -> list[str]:
    """What ``MEASURE`` finds wrong on ``page`` at its window size: wider than
    the window, an element past its edge, a box hiding part of its content,
    siblings overlapping; with ``fits``, also taller than the window."""
    problems: list[str] = page.evaluate(MEASURE, fits)
    return problems
