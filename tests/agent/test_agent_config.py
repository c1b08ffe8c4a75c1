"""AgentConfig: TOML loading, precedence and errors that name the key."""

from pathlib import Path

import pytest

from agent.config import load_agent_config
from yamori.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_file_gets_defaults(tmp_path: Path) -> None:
    config = load_agent_config(write(tmp_path, '[capture]\npcap = "x.pcap"\n'), environ={})
    assert config.engine.engine == "auto"
    assert config.capture.pcap == tmp_path / "x.pcap"  # relative to the file
    assert config.uplink.batch_max == 500


def test_unknown_key_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, '[capture]\npcap = "x.pcap"\n[uplink]\nurll = "http://x"\n')
    with pytest.raises(ConfigError, match="uplink.urll"):
        load_agent_config(path, environ={})


def test_exactly_one_capture_source(tmp_path: Path) -> None:
    path = write(tmp_path, '[capture]\npcap = "x.pcap"\ninterface = "eth0"\n')
    with pytest.raises(ConfigError, match="capture"):
        load_agent_config(path, environ={})


def test_bad_value_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, '[capture]\npcap = "x.pcap"\n[uplink]\nbatch_max = 0\n')
    with pytest.raises(ConfigError, match="uplink.batch_max"):
        load_agent_config(path, environ={})


def test_env_overrides_file_and_cli_overrides_env(tmp_path: Path) -> None:
    path = write(tmp_path, '[capture]\npcap = "x.pcap"\n[uplink]\nurl = "http://file"\n')
    env = {"YAMORI_AGENT__UPLINK__URL": "http://env"}
    assert load_agent_config(path, environ=env).uplink.url == "http://env"
    cli = {"uplink": {"url": "http://cli"}}
    assert load_agent_config(path, cli, environ=env).uplink.url == "http://cli"


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--config"):
        load_agent_config(write(tmp_path, "[capture\n"), environ={})


def test_example_config_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "deploy" / "agent.example.toml"
    config = load_agent_config(example, environ={})
    assert config.capture.interface == "eth0"


def test_token_from_file(tmp_path: Path) -> None:
    (tmp_path / "tok").write_text("secret\n")
    path = write(tmp_path, '[capture]\npcap = "x.pcap"\n[uplink]\ntoken_file = "tok"\n')
    assert load_agent_config(path, environ={}).uplink.read_token() == "secret"
