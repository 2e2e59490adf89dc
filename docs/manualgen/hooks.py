"""MkDocs hook (``hooks:`` in mkdocs.yml): replaces each marker
``<!-- generated: NAME [ARGUMENT] -->`` on a page with the part it names,
generated from the code while the site is built."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

# MkDocs loads this file by path; its package sits next to it in docs/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from manualgen import parts

_MARKER = re.compile(r"^<!-- generated: ([\w-]+)(?: ([\w-]+))? -->$", re.M)


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    def generated(match: re.Match[str]) -> str:
        name, argument = match[1], match[2]
        make = parts.PARTS.get(name)
        if make is None:
            raise PluginError(
                f"{page.file.src_uri}: unknown generated part {name!r} "
                f"(known: {', '.join(sorted(parts.PARTS))})"
            )
        try:
            return make(argument)
        except (KeyError, ValueError) as exc:
            raise PluginError(f"{page.file.src_uri}: generated part {name!r}: {exc}") from exc

    return _MARKER.sub(generated, markdown)
