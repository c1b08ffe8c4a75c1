"""End to end: demo capture -> agent -> SQLite queue -> HTTP -> collector store.

Real processes' parts on loopback: the uvicorn collector, the agent with the
builtin engine, its SQLite queue and the requests-based uplink.
"""

import threading
import time
from pathlib import Path

import pytest

from yamori import demo
from yamori.cli import main
from yamori.demo_capture import EXPECTED, write_demo_capture


def test_demo_once_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--once", "--port", "0"]) == 0
    out = capsys.readouterr().out
    assert "demo: OK" in out
    for expected in EXPECTED:
        assert f"sid:{expected.sid}" in out


def test_exactly_once_after_the_uplink_was_interrupted(tmp_path: Path) -> None:
    port = demo.free_port("127.0.0.1")
    # Enroll the sensor, then stop the collector: the agent starts with no collector.
    collector, token = demo.start_collector(tmp_path, port)
    collector.stop()
    pcap = tmp_path / "demo.pcap"
    write_demo_capture(pcap)
    result: dict[str, demo.RunSummary] = {}
    agent = threading.Thread(target=lambda: result.update(
        summary=demo.run_agent(tmp_path, pcap, collector.url, token)))
    agent.start()
    time.sleep(3)  # the engine has finished; the shipper is retrying
    assert agent.is_alive(), "agent must keep retrying while the collector is down"
    restarted = demo.CollectorThread(collector.config)
    restarted.start()
    try:
        agent.join(timeout=90)
        assert not agent.is_alive()
        summary = result["summary"]
        assert summary.drained
        stored = demo.fetch_alerts(restarted.url, restarted.admin_token)
        verdict = demo.verify(summary.alert_ids, stored, EXPECTED)
        assert verdict.problems == []
        assert len(stored) == len(summary.alert_ids) == len(EXPECTED)
    finally:
        restarted.stop()


def test_verify_catches_duplicates_and_losses() -> None:
    stored = [{"alert_id": "a", "alert": {"signature_id": 1}, "src_ip": "1.1.1.1",
               "src_port": 1, "dest_ip": "2.2.2.2", "dest_port": 2, "proto": "TCP"}] * 2
    verdict = demo.verify(["a", "b"], stored, ())
    assert not verdict.ok
    assert any("stored 2 times" in p for p in verdict.problems)
    assert any("b raised by the engine never reached" in p for p in verdict.problems)
