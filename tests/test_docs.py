"""The manual and the README that leads to it.

`make docs-check` (part of `make test`) builds the manual in strict mode, which
fails on a broken link between its pages. These tests cover what that build
cannot see: the README's links (the README is not part of the site), that the
built site needs no network, and that nothing links into the developers'
notes outside the repository.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

# [text](target) and <https://...>; images too. Code spans and fenced blocks are removed first.
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^```.*?^```", re.S | re.M)
_CODE = re.compile(r"`[^`\n]*`")
_HEADING = re.compile(r"^#{1,6} +(.+?) *$", re.M)


def _links(markdown: str) -> list[str]:
    prose = _CODE.sub("", _FENCE.sub("", markdown))
    return _LINK.findall(prose)


def _github_slug(heading: str) -> str:
    """The anchor GitHub and GitLab give a heading: lower case, punctuation dropped."""
    text = _CODE.sub(lambda m: m.group(0).strip("`"), heading).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(markdown_file: Path) -> set[str]:
    text = _FENCE.sub("", markdown_file.read_text(encoding="utf-8"))
    return {_github_slug(h) for h in _HEADING.findall(text)}


def test_readme_links_resolve() -> None:
    """Every relative link of the README names a file of the repository (and a heading in it)."""
    broken = []
    for target in _links(README.read_text(encoding="utf-8")):
        if re.match(r"^[a-z]+:", target):
            continue  # http(s), mailto: not checked offline
        path, _, anchor = target.partition("#")
        resolved = (ROOT / path).resolve() if path else README
        if not resolved.is_relative_to(ROOT) or not resolved.exists():
            broken.append(f"{target}: no such file in the repository")
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            broken.append(f"{target}: {path or 'README.md'} has no heading #{anchor}")
    assert not broken, "README.md links:\n" + "\n".join(broken)


def test_readme_link_checker_finds_a_broken_link(tmp_path: Path) -> None:
    """The checker above can fail: a missing page and a missing heading are both seen."""
    text = "[a](docs/no-such-page.md) [b](ARCHITECTURE.md#no-such-heading) `[c](nowhere.md)`"
    targets = _links(text)
    assert targets == ["docs/no-such-page.md", "ARCHITECTURE.md#no-such-heading"]
    assert "no-such-heading" not in _anchors(ROOT / "ARCHITECTURE.md")
    assert "the-loop" in _anchors(ROOT / "ARCHITECTURE.md")


def test_readme_stays_a_front_door() -> None:
    """The README says what hallq is and where each reader goes; the manual holds the rest."""
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= 250, (
        f"README.md has {lines} lines: put reference and guides in docs/ and link to them"
    )


def _published_files() -> list[Path]:
    files = [README, ROOT / "ARCHITECTURE.md", ROOT / "mkdocs.yml", ROOT / "dashboards/RUNBOOK.md"]
    return files + sorted((ROOT / "docs").rglob("*.md"))


def test_nothing_links_outside_the_repository() -> None:
    """The developers' shared notes are not part of the product: no page points at them."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in _published_files()
        if re.search(r"/work/shared|\.\./shared\b", path.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"links outside the repository in: {offenders}"


def test_site_builds_strictly_and_needs_no_network(tmp_path: Path) -> None:
    """The strict build passes and the pages load no font, script or style from elsewhere."""
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    external_asset = re.compile(
        r"<(?:script|img|iframe)\b[^>]*\bsrc=\"(?:https?:)?//"
        r"|<link\b[^>]*\bhref=\"(?:https?:)?//"
        r"|@import\s+url\(\s*['\"]?(?:https?:)?//"
        r"|fonts\.googleapis|fonts\.gstatic"
    )
    fetching = [
        str(page.relative_to(site))
        for page in site.rglob("*")
        if page.suffix in {".html", ".css"} and external_asset.search(page.read_text("utf-8"))
    ]
    assert not fetching, f"pages that load assets from the network: {fetching}"
    # The alert rules link to RUNBOOK.md#<alert>; the manual's runbook page has the same anchors.
    rules = (ROOT / "dashboards/prometheus/rules/hallq-alerts.yml").read_text(encoding="utf-8")
    anchors = set(re.findall(r"runbook_url: \S+#(\w+)", rules))
    runbook_page = (site / "ops/runbook/index.html").read_text("utf-8")
    assert anchors and {a for a in anchors if f'id="{a}"' not in runbook_page} == set()
