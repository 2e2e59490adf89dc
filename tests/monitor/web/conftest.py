"""The browser of the page tests: the system's Chromium (tests/browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import chromium

WAIT_MS = 30_000  # a page polls every 5 s; a loaded machine may be slow


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b
