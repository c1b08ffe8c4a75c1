"""Address and port variables ($HOME_NET, $HTTP_PORTS …) with Suricata's defaults.

Owns the default values suricata.yaml ships and the merge with the values the
settings carry. It does not parse address or port syntax (addresses.py and
ports.py do) and does not read suricata.yaml (the lead's config code does).
"""

from __future__ import annotations

from agent.engines.base import EngineSettings

_HOME = "$HOME_NET"

# The address-groups block of Suricata 7's suricata.yaml.in.
DEFAULT_ADDRESS_VARS: dict[str, str] = {
    "HOME_NET": "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]",
    "EXTERNAL_NET": "!$HOME_NET",
    **{
        name: _HOME
        for name in (
            "HTTP_SERVERS", "SMTP_SERVERS", "SQL_SERVERS", "DNS_SERVERS",
            "TELNET_SERVERS", "AIM_SERVERS", "DC_SERVERS", "DNP3_SERVER",
            "DNP3_CLIENT", "MODBUS_CLIENT", "MODBUS_SERVER", "ENIP_CLIENT",
            "ENIP_SERVER",
        )
    },
}

# The port-groups block of Suricata 7's suricata.yaml.in.
DEFAULT_PORT_VARS: dict[str, str] = {
    "HTTP_PORTS": "80",
    "SHELLCODE_PORTS": "!80",
    "ORACLE_PORTS": "1521",
    "SSH_PORTS": "22",
    "DNP3_PORTS": "20000",
    "MODBUS_PORTS": "502",
    "FILE_DATA_PORTS": "[$HTTP_PORTS,110,143]",
    "FTP_PORTS": "21",
    "GENEVE_PORTS": "6081",
    "VXLAN_PORTS": "4789",
    "TEREDO_PORTS": "3544",
}


def address_vars(settings: EngineSettings) -> dict[str, str]:
    """Suricata's default address groups overridden by the settings' values."""
    return {**DEFAULT_ADDRESS_VARS, **settings.address_vars}


def port_vars(settings: EngineSettings) -> dict[str, str]:
    """Suricata's default port groups overridden by the settings' values."""
    return {**DEFAULT_PORT_VARS, **settings.port_vars}
