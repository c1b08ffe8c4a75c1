"""Finding Suricata and reading its version and build features."""

from __future__ import annotations

import shutil

import pytest

from agent.engines.suricata.discover import find_binary, parse_build_info, parse_version, usable

BUILD_INFO = """\
Suricata Configuration:
  AF_PACKET support:                       yes
  Unix socket enabled:                     yes
  Hyperscan support:                       no
"""


def test_parse_version_reads_release_line() -> None:
    assert parse_version("This is Suricata version 7.0.10 RELEASE") == (7, 0, 10)


def test_parse_version_without_patch_level() -> None:
    assert parse_version("This is Suricata version 8.0 RELEASE") == (8, 0, 0)


def test_parse_version_none_for_other_text() -> None:
    assert parse_version("command not found") is None


def test_build_info_features() -> None:
    info = parse_build_info(BUILD_INFO)
    assert (info.af_packet, info.unix_socket, info.hyperscan) == (True, True, False)


def test_find_binary_missing_configured_path(tmp_path) -> None:
    assert find_binary(tmp_path / "no-suricata") is None


@pytest.mark.skipif(shutil.which("suricata") is None, reason="suricata is not installed")
def test_usable_reports_installed_suricata() -> None:
    info = usable()
    assert info is not None and info.version >= (7, 0, 0)
    assert info.build.af_packet and info.build.unix_socket
