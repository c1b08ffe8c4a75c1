"""Engine health, alerts by severity and the ruleset as Prometheus series."""

from prometheus_client import CollectorRegistry, generate_latest

from agent.engine_metrics import metric_name, register_engine_metrics


def scrape(**kwargs) -> str:  # type: ignore[no-untyped-def]
    registry = CollectorRegistry()
    register_engine_metrics(registry, **kwargs)
    return generate_latest(registry).decode()


def test_health_keys_become_gauges() -> None:
    text = scrape(health=lambda: {"capture.kernel_drops": 3, "degraded": True, "reasons": []},
                  info=lambda: {"engine": "builtin"})
    assert "yamori_agent_engine_capture_kernel_drops 3.0" in text
    assert "yamori_agent_engine_degraded 1.0" in text
    assert 'yamori_agent_engine_info{engine="builtin"} 1.0' in text


def test_alerts_are_counted_by_severity() -> None:
    text = scrape(health=dict, info=dict, severities=lambda: {1: 4, 3: 2})
    assert 'yamori_agent_alerts_total{severity="1"} 4.0' in text
    assert 'yamori_agent_alerts_total{severity="3"} 2.0' in text


def test_ruleset_count_and_version() -> None:
    text = scrape(health=dict, info=dict, rules=lambda: (41018, "sha256:abc"))
    assert "yamori_agent_rules_loaded 41018.0" in text
    assert 'yamori_agent_rules_info{version="sha256:abc"} 1.0' in text


def test_a_failing_health_source_does_not_break_the_scrape() -> None:
    def broken() -> dict:
        raise RuntimeError("engine gone")

    text = scrape(health=broken, info=dict, rules=lambda: (5, "v1"))
    assert "yamori_agent_engine_info" not in text  # the absent series is the signal


def test_metric_names_are_prometheus_safe() -> None:
    assert metric_name("flow.memuse") == "yamori_agent_engine_flow_memuse"
