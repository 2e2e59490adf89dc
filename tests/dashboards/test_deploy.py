"""The deployment files, checked without a container engine (none runs here):

* ``deploy/compose.yaml`` validates against the Compose Specification's JSON
  schema (``compose-spec/compose-spec``'s ``schema/compose-spec.json``,
  Apache-2.0, as vendored by the ``check-jsonschema`` package with its
  licence), uses the upstream images at the versions tested here, and its
  mounts put files where the images expect them: the hallmon containers' view
  is rebuilt in a temporary directory from the mounts, and the commands the
  compose file gives them run there for real (``hallmon check``, ``hallmon
  prometheus-config`` then ``promtool check config``, ``amtool check-config``);
* ``deploy/Dockerfile`` passes hadolint (every rule, inline ignores disabled)
  and copies what exists;
* ``deploy/hallmon.service`` passes ``systemd-analyze verify`` in a root
  holding this machine's system units and an executable at its ExecStart path.

Each linter is also shown a broken file, so that a check that could not fail
is noticed.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.dashboards.promserver import binary

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
pytestmark = pytest.mark.integration  # promtool, amtool, hadolint, systemd-analyze

TOKENS = {
    "HALLMON_TOKEN_FLAGSHIP": "flagship-token",
    "HALLMON_TOKEN_COUNTY": "county-token",
    "HALLMON_TOKEN_ZHUJIANG": "zhujiang-token",
}


def _compose() -> dict[str, Any]:
    result: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return result


def _run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def _validate_compose(path: Path) -> subprocess.CompletedProcess[str]:
    return _run(
        sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
        str(path),
    )  # fmt: skip


def test_compose_file_follows_the_compose_specification(tmp_path: Path) -> None:
    checked = _validate_compose(COMPOSE)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    broken = _compose()
    broken["services"]["grafana"]["volume"] = broken["services"]["grafana"].pop("volumes")
    (tmp_path / "compose.yaml").write_text(yaml.safe_dump(broken), encoding="utf-8")
    refused = _validate_compose(tmp_path / "compose.yaml")
    assert refused.returncode == 1 and "'volume' was unexpected" in refused.stdout


def test_compose_runs_upstream_images_beside_a_hallmon_build() -> None:
    services = _compose()["services"]
    assert services["prometheus"]["image"] == "prom/prometheus:v2.42.0"  # Debian's, tested here
    assert services["alertmanager"]["image"] == "prom/alertmanager:v0.25.0"
    sdk = importlib.metadata.version("grafana-foundation-sdk")  # e.g. 1769699379!11.6.0
    assert services["grafana"]["image"] == f"grafana/grafana:{sdk.split('!')[-1]}"
    for name in ("hallmon", "prometheus-config"):
        build = services[name]["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    assert services["prometheus"]["depends_on"]["prometheus-config"] == {
        "condition": "service_completed_successfully"
    }


def _mounts(service: dict[str, Any], tmp_path: Path) -> dict[str, tuple[Path, bool]]:
    """Container path -> (where it is here, whether it is a bind mount from the
    repository); named volumes are fresh directories under ``tmp_path``."""
    mounts = {}
    for volume in service["volumes"]:
        source, target = volume.split(":")[:2]
        if source.startswith("."):
            host = (DEPLOY / source).resolve()
            assert host.exists(), f"{volume}: {host} does not exist"
            mounts[target] = (host, True)
        else:
            host = tmp_path / "volumes" / source
            host.mkdir(parents=True, exist_ok=True)
            mounts[target] = (host, False)
    return mounts


def _here(path: str, mounts: dict[str, tuple[Path, bool]], tmp_path: Path) -> str:
    """A container path as this machine sees it: the container's file tree is
    rebuilt under ``tmp_path`` from ``mounts`` (repository files copied, so that
    nothing outside a mount can be reached through it; named volumes linked, so
    that services sharing one see each other's files)."""
    root = tmp_path / "container"
    for target, (host, bind) in mounts.items():
        place = root / target.lstrip("/")
        if place.exists():
            continue
        place.parent.mkdir(parents=True, exist_ok=True)
        if not bind:
            place.symlink_to(host, target_is_directory=True)
        elif host.is_dir():
            shutil.copytree(host, place)
        else:
            shutil.copy2(host, place)
    return str(root / path.lstrip("/"))


def _option_paths(
    command: list[str], mounts: dict[str, tuple[Path, bool]], tmp_path: Path
) -> list[str]:
    out = []
    for arg in command:
        name, _, value = arg.partition("=")
        out.append(f"{name}={_here(value, mounts, tmp_path)}" if value.startswith("/") else arg)
    return out


def test_hallmon_containers_find_their_config_and_write_prometheus_config(
    tmp_path: Path,
) -> None:
    services = _compose()["services"]
    serve = services["hallmon"]
    mounts = _mounts(serve, tmp_path / "serve")
    config = serve["command"][serve["command"].index("--config") + 1]
    assert set(serve["environment"]) == set(TOKENS)
    checked = _run(
        sys.executable, "-m", "monitor", "check", "--config",
        _here(config, mounts, tmp_path / "serve"), "--json", env=TOKENS,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    halls = {h["id"] for h in json.loads(checked.stdout)["halls"]}
    assert halls == {"flagship", "county", "flagship-remote"}

    generate = services["prometheus-config"]
    mounts = _mounts(generate, tmp_path / "generate")
    args = _option_paths(generate["command"], mounts, tmp_path / "generate")
    written = _run(sys.executable, "-m", "monitor", *args)
    assert written.returncode == 0, written.stderr

    # Prometheus sees the same volume, read-only, and its config names the services
    prometheus = services["prometheus"]
    mounts = _mounts(prometheus, tmp_path / "generate")
    (config_file,) = [a.split("=", 1)[1] for a in prometheus["command"] if "config.file" in a]
    config_here = _here(config_file, mounts, tmp_path / "generate")
    checked = _run(binary("promtool"), "check", "config", config_here)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    generated = yaml.safe_load(Path(config_here).read_text(encoding="utf-8"))
    targets = generated["scrape_configs"][0]["static_configs"][0]["targets"]
    assert targets == ["hallmon:9180"] and "hallmon" in services
    alertmanagers = generated["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert alertmanagers == ["alertmanager:9093"] and "alertmanager" in services


def test_alertmanager_and_grafana_mounts(tmp_path: Path) -> None:
    services = _compose()["services"]
    alertmanager = services["alertmanager"]
    mounts = _mounts(alertmanager, tmp_path)
    (config_file,) = [a.split("=", 1)[1] for a in alertmanager["command"] if "config.file" in a]
    checked = _run(binary("amtool"), "check-config", _here(config_file, mounts, tmp_path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # the rules' relative template glob found the templates through the mount
    assert re.search(r"- [1-9][0-9]* templates", checked.stdout), checked.stdout

    grafana = _compose()["services"]["grafana"]
    mounts = _mounts(grafana, tmp_path / "grafana")
    provisioning = Path(_here("/etc/grafana/provisioning", mounts, tmp_path / "grafana"))
    assert mounts["/etc/grafana/provisioning"][0] == ROOT / "dashboards/grafana/provisioning"
    providers = yaml.safe_load((provisioning / "dashboards" / "hallq.yml").read_text("utf-8"))
    path = providers["providers"][0]["options"]["path"]
    dashboards_dir = Path(_here(path, mounts, tmp_path / "grafana"))
    assert sorted(p.name for p in dashboards_dir.glob("*.json")) == [
        "forecast-accuracy.json", "hall-live.json", "region.json"
    ]  # fmt: skip
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert Path(_here(home, mounts, tmp_path / "grafana")).is_file()


def _hadolint(path: Path) -> list[dict[str, Any]]:
    linted = _run(
        shutil.which("hadolint", path=str(Path(sys.executable).parent)) or "hadolint",
        "--format", "json", "--failure-threshold", "style", "--disable-ignore-pragma", str(path),
    )  # fmt: skip
    assert linted.returncode in (0, 1), linted.stderr
    findings: list[dict[str, Any]] = json.loads(linted.stdout or "[]")
    return findings


def test_dockerfile_passes_hadolint(tmp_path: Path) -> None:
    assert _hadolint(DEPLOY / "Dockerfile") == []
    sloppy = tmp_path / "Dockerfile"
    sloppy.write_text("FROM python:latest\nRUN pip install hallq\nCMD hallmon serve\n")
    assert {f["code"] for f in _hadolint(sloppy)} >= {"DL3007", "DL3013", "DL3025"}


def test_dockerfile_copies_files_the_context_sends() -> None:
    lines = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").splitlines()
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    included = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert "*" in ignore  # everything else stays out of the context (.venv, .git...)
    sources = [
        part
        for line in lines
        if line.startswith("COPY ") and "--from=" not in line
        for part in line.split()[1:-1]
    ]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), source
        assert source.rstrip("/") in included, f"{source} is not in the build context"
    # the image holds the bundled config where compose mounts one, and runs it
    copies = {ln.split()[1]: ln.split()[2] for ln in lines if ln.startswith("COPY ")}
    mounted = {
        v.split(":")[0].removeprefix("../"): v.split(":")[1]
        for v in _compose()["services"]["hallmon"]["volumes"]
    }
    for source in ("monitor.example.yaml", "scenarios"):
        assert copies[source] == mounted[source]
    assert f'"--config", "{copies["monitor.example.yaml"]}"' in next(
        ln for ln in lines if ln.startswith("CMD ")
    )
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    assert 'ENTRYPOINT ["hallmon"]' in lines and "hallmon" in scripts


def _verify_unit(unit_text: str, tmp_path: Path) -> str:
    """``systemd-analyze verify`` of the unit in a root that has this machine's
    system units and an executable where ExecStart looks; its output."""
    root = tmp_path / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    unit = root / "etc/systemd/system/hallmon.service"
    unit.parent.mkdir(parents=True)
    unit.write_text(unit_text, encoding="utf-8")
    exec_start = next(ln for ln in unit_text.splitlines() if ln.startswith("ExecStart="))
    program = root / exec_start.split("=", 1)[1].split()[0].lstrip("/")
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")  # verify checks that the program exists and is executable
    program.chmod(0o755)
    analyze = shutil.which("systemd-analyze")
    if analyze is None:  # Debian's systemd package; the tests need it, never skip
        pytest.fail("systemd-analyze is not installed (apt-get install systemd)")
    verified = _run(analyze, "verify", f"--root={root}", str(unit))
    return f"{verified.stdout}{verified.stderr}(exit {verified.returncode})"


def test_systemd_unit_verifies(tmp_path: Path) -> None:
    text = (DEPLOY / "hallmon.service").read_text(encoding="utf-8")
    assert _verify_unit(text, tmp_path / "good") == "(exit 0)"
    assert "ExecStart=/opt/hallq/bin/hallmon serve --config /etc/hallmon/monitor.yaml" in text
    broken = text.replace("Type=exec", "Type=sometimes").replace("KillMode=", "KilMode=")
    findings = _verify_unit(broken, tmp_path / "broken")
    assert "Failed to parse service type" in findings and "Unknown key" in findings
