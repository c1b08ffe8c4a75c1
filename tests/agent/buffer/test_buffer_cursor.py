"""agent.buffer.store: a cursor is committed in the same transaction as the records."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agent.buffer.store import AlertQueue


def rec(n: int) -> dict[str, object]:
    return {"alert_id": f"id-{n:04d}", "event_type": "alert", "n": n}


@pytest.fixture
def queue(tmp_path: Path):
    q = AlertQueue(tmp_path / "queue.db")
    yield q
    q.close()


def test_unknown_cursor_is_none(queue: AlertQueue) -> None:
    assert queue.get_cursor("eve") is None


def test_cursor_is_stored_with_records(queue: AlertQueue) -> None:
    assert queue.append([rec(1)], cursor=("eve", "1234")) == 1
    assert queue.get_cursor("eve") == "1234"


def test_latest_cursor_replaces_previous(queue: AlertQueue) -> None:
    queue.append([rec(1)], cursor=("eve", "10"))
    queue.append([rec(2)], cursor=("eve", "20"))
    assert queue.get_cursor("eve") == "20"


def test_cursors_are_independent_by_name(queue: AlertQueue) -> None:
    queue.append([rec(1)], cursor=("a", "1"))
    queue.append([rec(2)], cursor=("b", "2"))
    assert (queue.get_cursor("a"), queue.get_cursor("b")) == ("1", "2")


def test_cursor_without_records_is_stored(queue: AlertQueue) -> None:
    assert queue.append([], cursor=("eve", "99")) == 0
    assert queue.get_cursor("eve") == "99"


def test_refused_append_does_not_move_cursor(queue: AlertQueue) -> None:
    queue.append([rec(1)], cursor=("eve", "10"))
    with pytest.raises(ValueError):
        queue.append([rec(2), {"event_type": "alert"}], cursor=("eve", "20"))
    assert queue.get_cursor("eve") == "10"


def test_cursor_survives_reopen(tmp_path: Path) -> None:
    with AlertQueue(tmp_path / "q.db") as q:
        q.append([rec(1)], cursor=("eve", "abc"))
    with AlertQueue(tmp_path / "q.db") as q:
        assert q.get_cursor("eve") == "abc"


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from agent.buffer.store import AlertQueue

    q = AlertQueue(Path(sys.argv[1]))
    i = 0
    while True:
        q.append([{"alert_id": f"c-{i:06d}", "event_type": "alert"}], cursor=("eve", str(i)))
        i += 1
        if i == 20:
            sys.stdout.write("go\\n")
            sys.stdout.flush()
    """
)


def test_cursor_and_records_agree_after_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE,
                             text=True, cwd=Path(__file__).resolve().parents[3])
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "go"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    with AlertQueue(path) as q:
        cursor = q.get_cursor("eve")
        ids = [x.alert_id for x in q.lease(1_000_000, 10**10)]
    assert cursor is not None
    # Exactly the records up to the bookmark are queued: none lost, none ahead of it.
    assert ids == [f"c-{i:06d}" for i in range(int(cursor) + 1)]
