"""The body of ``GET /runbook`` (:mod:`monitor.web.pages`): the runbook
(``monitor/ops/RUNBOOK.md``) as a page, one section per alert, so that every
alert's ``runbook_url`` (by default ``http://<exporter>/runbook#<alertname in
lower case>``) and the hall page's alert list link to a page that exists
wherever the exporter runs.

Each alert's section answers to its name in lower case (the anchors of the
alert rules, as any Markdown renderer slugs the heading) and as written
(``#HallBreachPredicted``: what Grafana's alert table links with). Rendered
once per process with Python-Markdown; the text is the project's own file,
and the page keeps the pages' strict Content-Security-Policy."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

RUNBOOK = Path(__file__).resolve().parents[1] / "ops" / "RUNBOOK.md"
_HEADING = re.compile(r'<h([23]) id="([^"]+)">([A-Za-z]+)</h\1>')


def _both_anchors(match: re.Match[str]) -> str:
    level, slug, title = match.groups()
    extra = f'<a id="{title}"></a>' if title != slug and title.lower() == slug else ""
    return f'<h{level} id="{slug}">{extra}{title}</h{level}>'


@cache
def runbook_html() -> str:
    """The runbook's body as HTML, headings with their anchors."""
    import markdown

    html = markdown.markdown(
        RUNBOOK.read_text(encoding="utf-8"),
        extensions=["tables", "fenced_code", "toc"],
        extension_configs={"toc": {"slugify": lambda text, sep: re.sub(r"\W+", sep, text.lower())}},
        output_format="html",
    )
    return _HEADING.sub(_both_anchors, html)
