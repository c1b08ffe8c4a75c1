"""Engine settings from Suricata's vocabulary: suricata.yaml vars, --set, -k."""

from pathlib import Path

import pytest

from agent.engines.settings import build_settings
from yamori.errors import ConfigError

SURICATA_YAML = """%YAML 1.1
---
vars:
  address-groups:
    HOME_NET: "[10.0.0.0/8]"
    EXTERNAL_NET: "!$HOME_NET"
  port-groups:
    HTTP_PORTS: "80"
    SSH_PORTS: 22
outputs:
  - eve-log:
      enabled: yes
"""


def test_vars_come_from_suricata_yaml(tmp_path: Path) -> None:
    path = tmp_path / "suricata.yaml"
    path.write_text(SURICATA_YAML)
    settings = build_settings(path)
    assert settings.address_vars["HOME_NET"] == "[10.0.0.0/8]"
    assert settings.port_vars["SSH_PORTS"] == "22"


def test_set_overrides_yaml(tmp_path: Path) -> None:
    path = tmp_path / "suricata.yaml"
    path.write_text(SURICATA_YAML)
    settings = build_settings(path, ["vars.address-groups.HOME_NET=[192.168.1.0/24]"])
    assert settings.address_vars["HOME_NET"] == "[192.168.1.0/24]"


def test_unknown_setting_is_accepted_and_kept() -> None:
    settings = build_settings(None, ["stream.midstream=true"])
    assert settings.extra["stream.midstream"] == "true"


def test_set_without_equals_is_an_error() -> None:
    with pytest.raises(ConfigError, match="--set"):
        build_settings(None, ["stream.midstream"])


def test_k_none_disables_checksums() -> None:
    assert build_settings(None, checksum_mode="none").checksum_validation is False
    assert build_settings(None).checksum_validation is True


def test_unreadable_yaml_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("vars: [unclosed\n")
    with pytest.raises(ConfigError, match="--config"):
        build_settings(path)
