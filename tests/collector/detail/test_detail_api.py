"""GET /api/v1/alerts/{id} and GET /alerts/{id}: scapy-made packets sent as alerts through
POST /api/v1/batches, then read back dissected by a real tshark, with rule text and links.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from collector.auth.principal import Principal

CUSTOMER = Principal("tanaka-viewer", "customer", tenant="tanaka-kogyo")
OTHER_CUSTOMER = Principal("sato-viewer", "customer", tenant="sato-shoten")


def layer_names(detail: dict[str, Any]) -> list[str]:
    return [layer["name"] for layer in detail["packet"]["layers"]]


def field_values(detail: dict[str, Any], name: str) -> list[str]:
    return [f["value"] for layer in detail["packet"]["layers"] for f in layer["fields"]
            if f["name"] == name]


def dumped_bytes(lines: list[dict[str, Any]]) -> bytes:
    return b"".join(bytes.fromhex(line["hex"].replace(" ", "")) for line in lines)


def test_http_get_is_dissected_to_http(collector: Any, frames: dict[str, Callable[..., Any]],
                                       make_alert: Callable[..., Any], tshark: str) -> None:
    frame = frames["http"]()
    [feed_id] = collector.send([make_alert(1, frame, sid=1000002, flow_id=7001)])
    detail = collector.detail(feed_id)
    assert layer_names(detail) == ["frame", "eth", "ip", "tcp", "http"]
    assert field_values(detail, "http.user_agent") == ["sqlmap/1.7.2#stable (https://sqlmap.org)"]
    assert field_values(detail, "ip.src") == ["198.51.100.7"]
    assert field_values(detail, "tcp.dstport") == ["80"]
    assert detail["packet"]["available"] and detail["packet"]["linktype"] == 1
    assert detail["packet"]["dissection_error"] is None


def test_dns_query_name_is_in_the_tree(collector: Any, frames: dict[str, Callable[..., Any]],
                                       make_alert: Callable[..., Any], tshark: str) -> None:
    [feed_id] = collector.send([make_alert(1, frames["dns"](), sid=1000003, flow_id=7002)])
    detail = collector.detail(feed_id)
    assert layer_names(detail) == ["frame", "eth", "ip", "udp", "dns"]
    assert field_values(detail, "dns.qry.name") == ["evil-c2.example"]


def test_tls_client_hello_shows_its_sni(collector: Any, frames: dict[str, Callable[..., Any]],
                                        make_alert: Callable[..., Any], tshark: str) -> None:
    [feed_id] = collector.send([make_alert(1, frames["tls"](), sid=1000004, flow_id=7003)])
    detail = collector.detail(feed_id)
    assert layer_names(detail)[-1] == "tls"
    assert field_values(detail, "tls.handshake.type") == ["1"]
    assert field_values(detail, "tls.handshake.extensions_server_name") == \
        ["login-micros0ft.example"]


def test_hex_dumps_hold_the_exact_bytes(collector: Any, frames: dict[str, Callable[..., Any]],
                                        make_alert: Callable[..., Any]) -> None:
    frame = frames["http"]()
    [feed_id] = collector.send([make_alert(1, frame, sid=1000002, flow_id=7001)])
    detail = collector.detail(feed_id)
    packet, payload = detail["packet"], detail["payload"]
    assert dumped_bytes(packet["hexdump"]) == frame.raw and packet["length"] == len(frame.raw)
    assert [line["offset"] for line in packet["hexdump"]] == list(range(0, len(frame.raw), 16))
    assert dumped_bytes(payload["hexdump"]) == frame.payload
    assert payload["hexdump"][0]["ascii"] == "GET /index.php?i"
    assert payload["printable"].startswith("GET /index.php?id=1 HTTP/1.1\r\n")


def test_every_eve_field_is_returned_as_stored(collector: Any,
                                               frames: dict[str, Callable[..., Any]],
                                               make_alert: Callable[..., Any]) -> None:
    record = make_alert(1, frames["dns"](), sid=1000003, flow_id=7002,
                        dns={"query": [{"rrname": "evil-c2.example", "rrtype": "A"}]},
                        community_id="1:abc=")
    [feed_id] = collector.send([record])
    eve = collector.detail(feed_id)["eve"]
    assert eve["id"] == feed_id and eve["sensor_id"] == "pi-001"
    assert eve["tenant"] == "tanaka-kogyo"
    for key, value in record.items():
        assert eve[key] == value, key


def test_rule_text_comes_from_rules_local(collector: Any, frames: dict[str, Callable[..., Any]],
                                          make_alert: Callable[..., Any]) -> None:
    [feed_id] = collector.send([make_alert(1, frames["http"](), sid=1000002, flow_id=7001)])
    rule = collector.detail(feed_id)["rule"]
    assert rule["known"] and rule["source"] == "yamori.rules" and rule["rev_matches"]
    assert rule["text"].startswith("alert tcp $EXTERNAL_NET any -> $HOME_NET $HTTP_PORTS")
    assert "sid:1000002;" in rule["text"]


def test_unknown_rule_says_so(collector: Any, frames: dict[str, Callable[..., Any]],
                              make_alert: Callable[..., Any]) -> None:
    [feed_id] = collector.send([make_alert(1, frames["http"](), sid=1999999, flow_id=7001)])
    rule = collector.detail(feed_id)["rule"]
    assert rule == {"known": False, "gid": 1, "sid": 1999999, "rev": 1, "text": None,
                    "source": None, "found_rev": None, "enabled": None, "rev_matches": False}


def test_flow_links_are_same_sensor_and_flow_newest_first(
        collector: Any, frames: dict[str, Callable[..., Any]],
        make_alert: Callable[..., Any]) -> None:
    http = frames["http"]()
    ids = collector.send([make_alert(n, http, sid=1000002, flow_id=7001) for n in range(3)])
    [elsewhere] = collector.send([make_alert(9, http, sid=1000002, flow_id=7001)],
                                 sensor_id="pi-002")
    [other_flow] = collector.send([make_alert(10, http, sid=1000002, flow_id=7777)])
    flow = collector.detail(ids[0])["related"]["flow"]
    assert [r["id"] for r in flow] == [ids[2], ids[1]]
    assert flow[0]["href"] == f"/alerts/{ids[2]}" and flow[0]["api"] == f"/api/v1/alerts/{ids[2]}"
    assert elsewhere not in [r["id"] for r in flow] and other_flow not in [r["id"] for r in flow]


def test_host_links_cover_both_addresses_within_the_tenant(
        collector: Any, frames: dict[str, Callable[..., Any]],
        make_alert: Callable[..., Any]) -> None:
    [dns_id] = collector.send([make_alert(1, frames["dns"](src="192.168.1.23"), sid=1000003,
                                          flow_id=1)])
    [tls_id] = collector.send([make_alert(2, frames["tls"](src="192.168.1.23"), sid=1000004,
                                          flow_id=2)])
    [unrelated] = collector.send([make_alert(3, frames["dns"](src="192.168.1.99"), sid=1000003,
                                             flow_id=3)])
    # The same private address in another office is another host.
    [other_tenant] = collector.send(
        [make_alert(4, frames["dns"](src="192.168.1.23"), sid=1000003, flow_id=4)],
        sensor_id="sato-pi", tenant="sato-shoten")
    hosts = collector.detail(dns_id)["related"]["hosts"]
    assert [h["ip"] for h in hosts] == ["192.168.1.23", "8.8.8.8"]
    assert [r["id"] for r in hosts[0]["alerts"]] == [tls_id]
    assert [r["id"] for r in hosts[1]["alerts"]] == [unrelated]
    seen = {r["id"] for h in hosts for r in h["alerts"]}
    assert other_tenant not in seen


def test_related_lists_are_limited(collector: Any, frames: dict[str, Callable[..., Any]],
                                   make_alert: Callable[..., Any]) -> None:
    http = frames["http"]()
    ids = collector.send([make_alert(n, http, sid=1000002, flow_id=7001) for n in range(25)])
    related = collector.detail(ids[0])["related"]
    assert related["limit"] == 20
    assert [r["id"] for r in related["flow"]] == sorted(ids[5:], reverse=True)


def test_malformed_packet_is_no_packet_not_an_error(
        collector: Any, frames: dict[str, Callable[..., Any]],
        make_alert: Callable[..., Any]) -> None:
    broken = make_alert(1, frames["http"](), sid=1000002, flow_id=7001,
                        packet="this is *not* base64", payload=12345)
    [feed_id] = collector.send([broken])
    detail = collector.detail(feed_id)
    assert detail["packet"]["available"] is False
    assert "packet is not valid base64" in detail["packet"]["reason"]
    assert detail["packet"]["hexdump"] == [] and detail["packet"]["layers"] == []
    assert detail["payload"] == {"available": False, "reason": "payload is not a base64 string",
                                 "length": 0, "hexdump": [], "printable": None}


def test_absent_packet_is_no_packet(collector: Any, frames: dict[str, Callable[..., Any]],
                                    make_alert: Callable[..., Any]) -> None:
    record = make_alert(1, frames["http"](), sid=1000002, flow_id=7001)
    for key in ("packet", "packet_info", "payload", "payload_printable"):
        del record[key]
    [feed_id] = collector.send([record])
    detail = collector.detail(feed_id)
    assert not detail["packet"]["available"] and not detail["payload"]["available"]
    assert "carries no packet" in detail["packet"]["reason"]


def test_undissectable_frame_keeps_its_hex_dump(collector: Any,
                                                frames: dict[str, Callable[..., Any]],
                                                make_alert: Callable[..., Any],
                                                tshark: str) -> None:
    junk = bytes(range(48))
    record = make_alert(1, frames["http"](), sid=1000002, flow_id=7001,
                        packet=base64.b64encode(junk).decode(), packet_info={"linktype": 65000})
    [feed_id] = collector.send([record])
    packet = collector.detail(feed_id)["packet"]
    assert packet["available"] and dumped_bytes(packet["hexdump"]) == junk
    assert packet["layers"] == [] and packet["dissection_error"]


def test_suricata_pseudo_packet_is_read_as_raw_ip(collector: Any,
                                                  frames: dict[str, Callable[..., Any]],
                                                  make_alert: Callable[..., Any],
                                                  tshark: str) -> None:
    frame = frames["http"]()
    # Suricata's flow-end pseudo-packet: IPv4 + TCP headers, no Ethernet, "linktype": 1.
    bare = frame.raw[14:14 + 40]
    bare = bare[:2] + (40).to_bytes(2, "big") + bare[4:]
    record = make_alert(1, frame, sid=1000002, flow_id=7001, stream=1,
                        packet=base64.b64encode(bare).decode())
    [feed_id] = collector.send([record])
    detail = collector.detail(feed_id)
    assert layer_names(detail) == ["frame", "raw", "ip", "tcp"]
    assert "pseudo-packet" in detail["packet"]["note"]


def test_other_tenants_alert_is_404_like_a_missing_one(
        collector: Any, frames: dict[str, Callable[..., Any]],
        make_alert: Callable[..., Any]) -> None:
    [feed_id] = collector.send([make_alert(1, frames["dns"](), sid=1000003, flow_id=1)])
    collector.act_as(OTHER_CUSTOMER)
    hidden = collector.client.get(f"/api/v1/alerts/{feed_id}")
    missing = collector.client.get(f"/api/v1/alerts/{feed_id + 1000}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == {"error": f"no alert {feed_id}"}
    assert collector.client.get(f"/alerts/{feed_id}").status_code == 404
    collector.act_as(CUSTOMER)
    assert collector.detail(feed_id)["tenant"] == "tanaka-kogyo"


def test_customer_sees_no_links_into_another_tenant(
        collector: Any, frames: dict[str, Callable[..., Any]],
        make_alert: Callable[..., Any]) -> None:
    [mine] = collector.send([make_alert(1, frames["dns"](), sid=1000003, flow_id=1)])
    collector.send([make_alert(2, frames["dns"](), sid=1000003, flow_id=1)],
                   sensor_id="sato-pi", tenant="sato-shoten")
    collector.act_as(CUSTOMER)
    related = collector.detail(mine)["related"]
    assert related["flow"] == [] and all(h["alerts"] == [] for h in related["hosts"])


def test_signed_out_is_401(collector: Any) -> None:
    collector.act_as(None)
    assert collector.client.get("/api/v1/alerts/1").status_code == 401


def test_ids_out_of_range_are_404_not_500(collector: Any) -> None:
    assert collector.client.get("/api/v1/alerts/0").status_code == 404
    assert collector.client.get(f"/api/v1/alerts/{2**70}").status_code == 404
    # Not an id at all: not this route (the feed's own paths keep working).
    assert collector.client.get("/api/v1/alerts/abc").status_code in (404, 405)


def test_html_page_shows_fields_rule_tree_and_dumps(
        collector: Any, frames: dict[str, Callable[..., Any]],
        make_alert: Callable[..., Any], tshark: str) -> None:
    http = frames["http"]()
    first, second = collector.send([make_alert(n, http, sid=1000002, flow_id=7001)
                                    for n in range(2)])
    page = collector.client.get(f"/alerts/{first}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<pre class="rule" id="rule-text">alert tcp $EXTERNAL_NET any' in html
    assert '<details class="layer" data-layer="http" open>' in html
    assert "User-Agent: sqlmap/1.7.2#stable (https://sqlmap.org)" in html
    assert "0000  02 00 00 00 00 01 02 00  00 00 00 02 08 00 45 00" in html
    assert f'href="/alerts/{second}"' in html
    assert '<td class="key">alert.signature_id</td><td class="val">1000002</td>' in html
    assert '<td class="key">packet_info.linktype</td><td class="val">1</td>' in html


def test_html_page_escapes_what_the_sensor_sent(
        collector: Any, frames: dict[str, Callable[..., Any]],
        make_alert: Callable[..., Any]) -> None:
    record = make_alert(1, frames["http"](), sid=1000002, flow_id=7001,
                        payload_printable="<script>alert(1)</script>")
    [feed_id] = collector.send([record])
    html = collector.client.get(f"/alerts/{feed_id}").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
