"""agent.buffer: an alert is on disk once append() returns, even if the process is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from agent.buffer.store import AlertQueue

# The child appends one alert per call and reports its id on stdout only after
# append() returned; the parent kills it (SIGKILL: no cleanup, no atexit).
CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from agent.buffer.store import AlertQueue

    q = AlertQueue(Path(sys.argv[1]))
    i = 0
    while True:
        alert_id = f"crash-{i:06d}"
        q.append([{"alert_id": alert_id, "event_type": "alert"}])
        sys.stdout.write(alert_id + "\\n")
        sys.stdout.flush()
        i += 1
    """
)


def test_alerts_reported_appended_survive_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[3],
    )
    assert child.stdout is not None
    confirmed = [child.stdout.readline().strip() for _ in range(50)]
    os.kill(child.pid, signal.SIGKILL)  # mid-stream: the next append may be half done
    child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    with AlertQueue(path) as q:
        stored = {x.alert_id for x in q.lease(100_000, 10**9)}
        assert q.counters()["corrupt"] == 0
    assert set(confirmed) <= stored
    assert confirmed[-1] == "crash-000049"
