"""How a benchmark prints its result: JSON for machines (``--json``), else its
report for people."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def print_result(result: dict[str, Any], as_json: bool, report: Callable[[Any], None]) -> None:
    """``result`` as indented JSON when ``as_json``, else ``report(result)``."""
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        report(result)
