"""The manual and the README that leads to it.

`make docs-check` (part of `make test`) builds the manual in strict mode, which
fails on a broken link between its pages. These tests build it too and check
what that build cannot see: the README's links (the README is not part of the
site), that the site needs no network, that nothing links into the
developers' notes outside the repository, and that the generated references
hold every scenario key, config key, event field, command, option and HTTP
operation the code has, each described.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.main import get_command

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
    files = [README, ROOT / "ARCHITECTURE.md", ROOT / "mkdocs.yml", ROOT / "monitor/ops/RUNBOOK.md"]
    return files + sorted((ROOT / "docs").rglob("*.md"))


def test_nothing_links_outside_the_repository() -> None:
    """The developers' shared notes are not part of the product: no page points at them."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in _published_files()
        if re.search(r"/work/shared|\.\./shared\b", path.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"links outside the repository in: {offenders}"


def _build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config)]
    return subprocess.run(
        [*command, "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The manual, built once for this module exactly as `make docs-check` builds it."""
    out = tmp_path_factory.mktemp("site")
    build = _build(ROOT / "mkdocs.yml", out)
    assert build.returncode == 0, build.stderr[-3000:]
    return out


def test_site_needs_no_network(site: Path) -> None:
    """The pages load no font, script or style from elsewhere."""
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


def test_the_runbook_page_has_every_anchor_the_alerts_link_to(site: Path) -> None:
    """The alert rules link to the runbook's section of each alert (the
    exporter's /runbook#<alert>); the manual's runbook page (the same file,
    included) has the same anchors."""
    rules = (ROOT / "dashboards/prometheus/rules/hallq-alerts.yml").read_text(encoding="utf-8")
    anchors = set(re.findall(r"runbook_url: \S+#(\w+)", rules))
    page = (site / "ops/runbook/index.html").read_text("utf-8")
    assert anchors
    assert {a for a in anchors if f'id="{a}"' not in page} == set()


def test_no_marker_is_left_ungenerated(site: Path) -> None:
    leftovers = [
        str(page.relative_to(site))
        for page in site.rglob("*.html")
        if "<!-- generated:" in page.read_text("utf-8")
    ]
    assert not leftovers


def test_an_unknown_generated_part_fails_the_build(tmp_path: Path) -> None:
    """A page asking for a part that does not exist stops the build, with its name."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# x\n\n<!-- generated: no-such-part -->\n")
    shutil.copytree(ROOT / "docs/manualgen", docs / "manualgen")
    config = tmp_path / "mkdocs.yml"
    config.write_text(
        f"site_name: x\ndocs_dir: {docs}\nhooks: [{docs / 'manualgen/hooks.py'}]\n"
        "exclude_docs: manualgen/\n"
    )
    build = _build(config, tmp_path / "site")
    assert build.returncode != 0
    assert "unknown generated part 'no-such-part'" in build.stderr


class _Tables(HTMLParser):
    """The rows of every table in a page, as lists of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _rows(page: Path) -> list[list[str]]:
    parser = _Tables()
    parser.feed(page.read_text("utf-8"))
    return parser.rows


def _keys_described(page: Path) -> dict[str, list[str]]:
    """First cell of each four-column key table row -> its meaning cells."""
    described: dict[str, list[str]] = {}
    for row in _rows(page):
        if len(row) == 4 and row[0] != "key":
            described.setdefault(row[0], []).append(row[3])
    return described


@pytest.mark.parametrize(
    ("page", "root"),
    [
        ("reference/scenario/index.html", "sim.model.scenario:Scenario"),
        ("reference/config/index.html", "monitor.core.config:FileConfig"),
        ("reference/events/index.html", "sim.eventlog.events:Event"),
    ],
)
def test_a_schema_reference_has_every_key_described(site: Path, page: str, root: str) -> None:
    """Each key the loader accepts has a row, and every row says what the key means
    (a field without a docstring fails here)."""
    from sim.model.scenario import field_names  # the loader's own list, for "did you mean"

    module, _, name = root.partition(":")
    model = getattr(__import__(module, fromlist=[name]), name)
    described = _keys_described(site / page)
    assert field_names(model) - set(described) == set()
    assert {key for key, meanings in described.items() if not all(meanings)} == set()


def test_the_event_reference_has_every_kind(site: Path) -> None:
    from sim.eventlog.events import FIELDS_BY_KIND

    kinds = {row[0]: row for row in _rows(site / "reference/events/index.html") if row}
    for kind, (needed, _) in FIELDS_BY_KIND.items():
        assert kind in kinds
        assert all(field in kinds[kind][1] for field in needed)


def _command_paths(app: typer.Typer, program: str) -> dict[str, list[str]]:
    """Every visible command below ``program`` -> its option names."""
    found: dict[str, list[str]] = {}

    def visit(ctx: Any) -> None:
        command = ctx.command
        options = [o for p in command.params if not p.hidden for o in p.opts if o.startswith("-")]
        found[ctx.command_path] = options
        if hasattr(command, "list_commands"):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is not None and not sub.hidden:
                    visit(sub.context_class(sub, info_name=name, parent=ctx))

    root = get_command(app)
    visit(root.context_class(root, info_name=program))
    return found


def test_the_command_reference_has_every_command_and_option(site: Path) -> None:
    from monitor.cli.app import app as hallmon
    from sim.cli import app as hallsim

    page = (site / "reference/cli/index.html").read_text("utf-8")
    sections = re.split(r'<h3 id="', page)
    for app, program in ((hallsim, "hallsim"), (hallmon, "hallmon")):
        commands = _command_paths(app, program)
        assert len(commands) > 5
        for path, options in commands.items():
            if path == program:
                continue
            section = next((s for s in sections if s.startswith(path.replace(" ", "-") + '"')), "")
            assert section, f"no section for {path}"
            assert f"Usage: {path}" in section
            assert [o for o in options if o not in section] == [], path


def test_the_http_reference_has_every_operation_and_body(site: Path) -> None:
    from monitor.core.config import Settings
    from monitor.server.app import create_app

    document = create_app(Settings(halls=()), background=False).openapi()
    page = (site / "reference/http-api/index.html").read_text("utf-8")
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            assert f"{method.upper()} {path}" in page
            for status in op["responses"]:
                assert f"<td>{status}</td>" in page
    for name in document["components"]["schemas"]:
        assert f'id="body-{name.lower()}"' in page


def test_the_metrics_reference_names_every_family_the_exporter_publishes(
    site: Path, tmp_path: Path
) -> None:
    """The metrics table is written by hand (labels, notes); its family names are
    checked, both ways, against the families an exporter's /metrics announces."""
    from fastapi.testclient import TestClient

    from monitor.core.config import Settings
    from monitor.server.app import create_app

    app = create_app(Settings(halls=(), store=tmp_path / "events.db"), background=False)
    with TestClient(app) as client:
        exposition = client.get("/metrics").text
    published = set(re.findall(r"^# TYPE (\S+) ", exposition, re.M))  # counters with _total
    table = " ".join(row[0] for row in _rows(site / "reference/metrics/index.html") if row)
    documented = set(re.findall(r"\b(hall(?:mon)?_[a-z0-9_]+)", table))
    assert published - documented == set(), "published but not in the table"
    assert documented - published == set(), "in the table but not published"


def test_files_the_pages_name_exist() -> None:
    """A path of the repository written in a page (`sim/model/kpis.py`,
    `monitor/ops/RUNBOOK.md`) names a file or folder that is there."""
    tops = "|".join(("sim", "monitor", "tests", "benchmarks", "dashboards", "deploy", "scenarios"))
    named = re.compile(rf"`((?:{tops})/[\w./-]*)`")
    missing = [
        f"{page.relative_to(ROOT)}: {path}"
        for page in _published_files()
        for path in named.findall(page.read_text(encoding="utf-8"))
        if "*" not in path and not (ROOT / path).exists()
    ]
    assert not missing, "pages name files that are not there:\n" + "\n".join(missing)
