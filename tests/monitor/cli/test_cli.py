"""``hallmon`` on bad input: one ``hallmon: <what>: <why>`` line per problem,
exit 2, no traceback; and help texts that keep their bracketed parts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli.app import app
from tests.monitor.conftest import ENV, ROOT, write_config

runner = CliRunner()


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    assert "Traceback" not in result.stderr
    return result.exit_code, result.stderr


def test_a_config_error_is_not_a_shard_error(tmp_path: Path) -> None:
    bad = tmp_path / "m.yaml"
    bad.write_text("halls:\n  - {id: 'a b', scenario: x.yaml, token_env: X}\n", encoding="utf-8")
    for command in ("serve", "check"):
        code, err = _run(command, "--config", str(bad))
        assert code == 2
        assert "--shard" not in err
        assert err.startswith(f"hallmon: {bad}: halls[0].id: ")


def test_a_bad_shard_names_the_option(tmp_path: Path) -> None:
    code, err = _run("serve", "--config", str(write_config(tmp_path)), "--shard", "4/4")
    assert (code, err) == (2, "hallmon: --shard: shard '4/4' needs 0 <= i < n\n")


def test_every_problem_gets_its_own_line(tmp_path: Path) -> None:
    code, err = _run("check", "--config", str(write_config(tmp_path)), env={})
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 2
    assert all(re.match(r"hallmon: .*: halls\[\d\]\.token_env: environment variable", ln)
               for ln in lines)  # fmt: skip


@pytest.mark.parametrize("missing", ["nowhere.yaml", "."])
def test_an_unreadable_config_is_one_line(tmp_path: Path, missing: str) -> None:
    path = tmp_path / missing
    code, err = _run("check", "--config", str(path))
    assert code == 2 and err.startswith(f"hallmon: {path}: cannot read") and err.count("\n") == 1


def test_a_store_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    store = tmp_path / "no" / "such" / "dir" / "h.db"
    code, err = _run("serve", "--config", str(config), "--store", str(store), env=ENV)
    assert code == 2 and err.startswith(f"hallmon: {store}: ") and err.count("\n") == 1


def test_replay_of_a_missing_scenario_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    code, err = _run("replay", str(missing), "--url", "http://127.0.0.1:9", "--token", "t")
    assert code == 2 and err.startswith(f"hallmon: {missing}: cannot read")


def test_help_keeps_bracketed_text_and_replay_points_at_serves_port() -> None:
    wide = {"COLUMNS": "200", "TERM": "dumb"}
    serve = runner.invoke(app, ["serve", "--help"], env=wide).stdout
    assert "/v1/halls/{hall}/events" in serve and "[default: 9180]" in serve
    replay = runner.invoke(app, ["replay", "--help"], env=wide).stdout
    assert "http://127.0.0.1:9180" in replay and "8000" not in replay
    assert "[env var: HALLMON_TOKEN]" in replay
    top = runner.invoke(app, ["--help"], env=wide).stdout
    assert "serve" in top and "replay" in top and "check" in top


def test_check_of_the_bundled_example() -> None:
    env = {
        "HALLMON_TOKEN_FLAGSHIP": "a" * 32,
        "HALLMON_TOKEN_COUNTY": "b" * 32,
        "HALLMON_TOKEN_ZHUJIANG": "c" * 32,
    }
    result = runner.invoke(app, ["check", "--config", str(ROOT / "monitor.example.yaml")], env=env)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("flagship: ")


def test_replay_of_a_day_the_hall_does_not_open_is_one_line(tmp_path: Path) -> None:
    """``hallmon replay`` simulates the date's own plan (its weekday's, a
    holiday's), so a date the hall is closed has nothing to replay."""
    text = (ROOT / "scenarios" / "flagship.yaml").read_text(encoding="utf-8")
    closed = tmp_path / "flagship.yaml"
    closed.write_text(text.replace("holidays:", "holidays:\n  2027-02-17: closed", 1), "utf-8")
    args = ("replay", str(closed), "--url", "http://127.0.0.1:9", "--token", "t")
    code, err = _run(*args, "--start", "2027-02-17")
    assert code == 2
    assert err == (
        "hallmon: --start: flagship does not open on 2027-02-17 (its week or holidays):"
        " give --start a date it opens\n"
    )


@pytest.mark.parametrize("own_process", [True, False])
def test_serve_freezes_what_start_up_made_only_in_its_own_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, own_process: bool
) -> None:
    """In hallmon's own process, what start-up made is out of the cycle
    collector's passes by the time the server runs; a process that runs the
    command in-process (this test) keeps its collector as it was."""
    import gc

    import monitor.cli.app as cli
    import monitor.server.serving as serving

    frozen_at_run: list[int] = []

    def run(*args: object, **kwargs: object) -> None:  # the server loop itself: not under test
        frozen_at_run.append(gc.get_freeze_count())

    monkeypatch.setattr(serving, "serve", run)
    monkeypatch.setattr(cli, "_own_process", own_process)
    before = gc.get_freeze_count()
    try:
        code, _ = _run("serve", "--config", str(write_config(tmp_path)), "--port", "0", env=ENV)
    finally:
        gc.unfreeze()
    assert code == 0 and len(frozen_at_run) == 1
    assert (frozen_at_run[0] > before) is own_process
