"""OpenAPI fuzzing: schemathesis sends generated requests (valid and invalid) to every
documented operation of the collector and no answer may be a server error.

Requests act as an admin through the admin bearer token (no CSRF needed), except the
operations the agent calls with its sensor token (they declare an `authorization`
header), which get a real sensor's token. The store is seeded with a sensor, alerts,
an incident and a heartbeat so that ids and paths lead somewhere. Left out on purpose:
the two "send a test notice" operations, which deliver to whatever URL a contact names
— a fuzzer must not send traffic off the machine (the app is called in-process over
ASGI without its lifespan, so the notice delivery worker does not run either).

Each operation is driven through `operation.as_strategy()` in a Hypothesis test of its
own, derandomized (the same cases every run) unless YAMORI_FUZZ_SEED is set, without
shrinking; every operation is tried and all failures are listed with a curl line.
(schemathesis's pytest loader, `schemathesis.pytest.from_fixture`, fails under pytest 9:
it reads `request.node._nodeid`, which pytest no longer has.)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from collector.fleet.testing import heartbeat_body
from collector.main import create_app
from collector.testing import (
    ADMIN_TOKEN,
    admin_headers,
    enroll,
    sample_alert,
    sample_batch,
    temp_config,
)
from uplink.schema import BATCHES_PATH, HEARTBEAT_PATH

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed")
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

# Per operation and generation mode: ~60 operations, kept under ~90 s. A deeper run:
# YAMORI_FUZZ_EXAMPLES=50 YAMORI_FUZZ_SEED=<n> (a different seed finds different cases).
MAX_EXAMPLES = int(os.environ.get("YAMORI_FUZZ_EXAMPLES", "30"))
FUZZ_SEED = os.environ.get("YAMORI_FUZZ_SEED")
# Per request: the monthly report's PDF is the slowest honest answer (WeasyPrint).
DEADLINE = timedelta(seconds=20)
STREAM_PATH = "/api/v1/alerts/stream"
NOT_FUZZED = r"/test$"  # POST .../contacts/{id}/test sends a real notice
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


@dataclass(slots=True)
class Target:
    app: FastAPI
    sensor_token: str


@pytest.fixture
def target(tmp_path: Path) -> Target:
    app = create_app(temp_config(tmp_path, admin_token=ADMIN_TOKEN,
                                 rules_dir=str(tmp_path / "rulesets")))
    token = enroll(app, "pi-001", "tanaka-kogyo")
    with TestClient(app, base_url="https://testserver") as client:
        auth = {"Authorization": f"Bearer {token}"}
        alerts = [sample_alert(n) for n in range(3)]
        assert client.post(BATCHES_PATH, json=sample_batch(alerts), headers=auth).is_success
        assert client.post(HEARTBEAT_PATH, json=heartbeat_body("pi-001"), headers=auth).is_success
    return Target(app, token)


def credentials(operation: Any, target: Target) -> dict[str, str]:
    """The sensor's token where the operation declares the agent's header, else the admin's."""
    agent = any(param.name.lower() == "authorization" for param in operation.headers)
    token = target.sensor_token if agent else ADMIN_TOKEN
    return {"authorization": admin_headers(token)["Authorization"]}


def server_errors(operation: Any, mode: GenerationMode, target: Target) -> str | None:
    """Fuzz one operation in one mode; the failure (with its reproduction) or None."""
    strategy = operation.as_strategy(generation_mode=mode,
                                     headers=credentials(operation, target))

    # No shrinking: a 5xx is reported as found, so the run stays short.
    @settings(max_examples=MAX_EXAMPLES, deadline=DEADLINE, database=None,
              derandomize=FUZZ_SEED is None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case: Any) -> None:
        try:
            case.call_and_validate(checks=[not_a_server_error])
        except Exception as exc:
            # The admin token in the reproduction is the test's own, not a secret.
            raise AssertionError(f"{type(exc).__name__}: {exc}\n  reproduce: "
                                 f"{case.as_curl_command()}") from exc

    if FUZZ_SEED is not None:
        run = seed(int(FUZZ_SEED))(run)
    try:
        run()
    except Unsatisfiable:
        return None  # nothing can be generated in this mode (e.g. no parameter to break)
    except Exception as exc:  # noqa: BLE001 - every operation is tried; failures are listed
        return f"{operation.label} ({mode.value}): {exc}"
    return None


def test_no_documented_operation_answers_with_a_server_error(target: Target) -> None:
    config = schemathesis.Config.from_dict({
        "max-stream-events": 1, "request-timeout": 10,
        # The live stream never ends: schemathesis keeps what it sent within the timeout.
        "operations": [{"include-path": STREAM_PATH, "request-timeout": 1}]})
    schema = schemathesis.openapi.from_asgi("/openapi.json", target.app, config=config)
    operations = [result.ok() for result in schema.exclude(path_regex=NOT_FUZZED)
                  .get_all_operations()]
    assert len(operations) >= 50, "the OpenAPI document lost operations"
    failures = [found for operation in operations for mode in MODES
                if (found := server_errors(operation, mode, target)) is not None]
    assert not failures, "\n\n".join(failures)
