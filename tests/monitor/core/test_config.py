"""The exporter's config: tokens never in the file, errors name path and value."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.core.config import ConfigError, in_shard, load_settings, parse_shard, token_hash
from sim.model.scenario import ScenarioError
from tests.monitor.conftest import ENV, ROOT, TOKENS, write_config


def test_bundled_example_loads() -> None:
    env = {
        "HALLMON_TOKEN_FLAGSHIP": "a" * 32,
        "HALLMON_TOKEN_COUNTY": "b" * 32,
        "HALLMON_TOKEN_ZHUJIANG": "c" * 32,
    }
    settings = load_settings(ROOT / "monitor.example.yaml", environ=env)
    assert [h.id for h in settings.halls] == ["flagship", "county", "flagship-remote"]
    assert {h.city for h in settings.halls} == {"广州"}
    assert all(h.location is not None for h in settings.halls)
    assert settings.halls[0].target_wait_s == 900.0 and settings.halls[1].objective == 0.8
    assert settings.store == Path("hallmon.db") and settings.synchronous == "full"
    assert settings.halls[0].clock == "wall"


def test_tokens_resolve_to_hashes(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path), environ=ENV)
    assert settings.halls[0].token_sha256 == token_hash(TOKENS["county"])


def test_missing_token_variable_is_named(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError,
        match=r"halls\[1\]\.token_env: environment variable "
        r"T_FLAGSHIP is not set",
    ):
        load_settings(write_config(tmp_path), environ={"T_COUNTY": "x"})


@pytest.mark.parametrize(
    ("hall", "message"),
    [
        ("{id: a, scenario: x.yaml}", r"halls\[0\].*exactly one of token_env or token_sha256"),
        ("{id: a, scenario: x.yaml, token_sha256: abc}", r"64 lower-case hex"),
        ("{id: 'a b', scenario: x.yaml, token_env: X}", r"halls\[0\]\.id: 'a b'"),
        ("{id: a, scenario: nowhere.yaml, token_env: X}", r"halls\[0\]\.scenario: .*nowhere"),
        ("{id: a, scenario: x.yaml, token_env: X, objective: 1.5}", r"halls\[0\]\.objective"),
    ],
)
def test_bad_halls_name_path_and_value(tmp_path: Path, hall: str, message: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(f"halls:\n  - {hall}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as raised:
        load_settings(path, environ={"X": "t"})
    assert not isinstance(raised.value, ScenarioError)  # a config's error, not a scenario's


def test_a_bad_scenario_names_the_hall_and_the_scenario_file(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text((ROOT / "scenarios/county.yaml").read_text(encoding="utf-8")
                        .replace("services:", "servcies:", 1), encoding="utf-8")  # fmt: skip
    path = tmp_path / "m.yaml"
    path.write_text("halls:\n  - {id: a, scenario: bad.yaml, token_env: X}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(path, environ={"X": "t"})
    lines = str(raised.value).splitlines()
    assert lines and all(ln.startswith(f"{path}: halls[0].scenario: {scenario}: ") for ln in lines)
    assert "servcies" in str(raised.value)


def test_an_unreadable_or_invalid_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "missing.yaml")
    bad = tmp_path / "m.yaml"
    bad.write_text("store: [1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=str(bad)):
        load_settings(bad)


def test_shards_split_the_halls_stably() -> None:
    assert parse_shard("1/4") == (1, 4)
    for bad in ("4/4", "1", "-1/2", "a/b"):
        with pytest.raises(ValueError):
            parse_shard(bad)
    ids = [f"hall{i}" for i in range(400)]
    owners = [[h for h in ids if in_shard(h, (i, 4))] for i in range(4)]
    assert sorted(h for o in owners for h in o) == sorted(ids)
    assert all(60 < len(o) < 140 for o in owners)


def test_a_shard_keeps_only_its_halls(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    kept = [
        [h.id for h in load_settings(config, environ=ENV, shard=(i, 2)).halls] for i in range(2)
    ]
    assert sorted(kept[0] + kept[1]) == ["county", "flagship"]
