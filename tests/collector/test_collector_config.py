"""CollectorConfig loading: defaults, TOML, env, overrides, unknown keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.config import CollectorConfig, load_config
from yamori.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "collector.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_file_or_env() -> None:
    assert load_config(None, {}, env={}) == CollectorConfig()


def test_default_listen_is_loopback() -> None:
    assert load_config(None, {}, env={}).listen == "127.0.0.1"


def test_file_values_are_read(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, 'port = 9000\nlog_level = "DEBUG"\n'), {}, env={})
    assert (config.port, config.log_level) == (9000, "DEBUG")


def test_unknown_file_key_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'prot'") as info:
        load_config(write(tmp_path, "prot = 9000\n"), {}, env={})
    assert info.value.key == "prot"


def test_unknown_env_key_is_an_error_naming_it() -> None:
    with pytest.raises(ConfigError, match="'lisen'"):
        load_config(None, {}, env={"YAMORI_COLLECTOR_LISEN": "0.0.0.0"})


def test_unknown_override_key_is_an_error() -> None:
    with pytest.raises(ConfigError, match="'bogus'"):
        load_config(None, {"bogus": 1}, env={})


def test_env_beats_file(tmp_path: Path) -> None:
    path = write(tmp_path, "port = 9000\n")
    assert load_config(path, {}, env={"YAMORI_COLLECTOR_PORT": "9100"}).port == 9100


def test_override_beats_env() -> None:
    config = load_config(None, {"port": 9200}, env={"YAMORI_COLLECTOR_PORT": "9100"})
    assert config.port == 9200


def test_none_overrides_are_ignored() -> None:
    config = load_config(None, {"port": None, "listen": None}, env={})
    assert config.port == CollectorConfig().port


def test_wrong_type_in_file_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'port'"):
        load_config(write(tmp_path, 'port = "eighty"\n'), {}, env={})


def test_bool_is_not_an_int(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'page_size_max'"):
        load_config(write(tmp_path, "page_size_max = true\n"), {}, env={})


def test_bad_env_number_names_the_key() -> None:
    with pytest.raises(ConfigError, match="'max_body_bytes'"):
        load_config(None, {}, env={"YAMORI_COLLECTOR_MAX_BODY_BYTES": "lots"})


def test_int_accepted_for_float_key(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "stream_poll_seconds = 2\n"), {}, env={})
    assert config.stream_poll_seconds == 2.0


def test_port_out_of_range_is_an_error() -> None:
    with pytest.raises(ConfigError, match="'port'"):
        load_config(None, {"port": 70000}, env={})


def test_bad_log_level_is_an_error() -> None:
    with pytest.raises(ConfigError, match="'log_level'"):
        load_config(None, {"log_level": "LOUD"}, env={})


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "port = \n"), {}, env={})


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.toml", {}, env={})


def test_example_file_documents_every_key_with_its_default() -> None:
    example = Path(__file__).parents[2] / "deploy" / "collector.example.toml"
    assert load_config(example, {}, env={}) == CollectorConfig()
    text = example.read_text(encoding="utf-8")
    for key in CollectorConfig.__dataclass_fields__:
        assert f"\n{key} = " in text, key
