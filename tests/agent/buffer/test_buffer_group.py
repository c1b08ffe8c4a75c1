"""agent.buffer.group: group commit by count and by age, cursor with the group, thread safety."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from agent.buffer.group import GroupCommitter
from agent.buffer.store import AlertQueue
from yamori.errors import QueueError


def rec(n: int) -> dict[str, object]:
    return {"alert_id": f"id-{n:05d}", "event_type": "alert", "n": n}


class CountingQueue(AlertQueue):
    """A real queue that remembers the size of every append call."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.calls: list[int] = []

    def append(self, records, cursor=None):  # type: ignore[no-untyped-def]
        self.calls.append(len(records))
        return super().append(records, cursor)


@pytest.fixture
def queue(tmp_path: Path):
    q = CountingQueue(tmp_path / "queue.db")
    yield q
    q.close()


def wait_until(cond, timeout: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


def test_add_buffers_without_committing(queue: CountingQueue) -> None:
    with GroupCommitter(queue, max_records=10, max_delay=60) as g:
        g.add(rec(1))
        assert queue.depth() == 0
        assert g.pending() == 1


def test_full_buffer_is_committed_as_one_append(queue: CountingQueue) -> None:
    with GroupCommitter(queue, max_records=5, max_delay=60) as g:
        for i in range(5):
            g.add(rec(i))
        assert wait_until(lambda: queue.depth() == 5)
        assert queue.calls == [5]


def test_old_buffer_is_committed_after_max_delay(queue: CountingQueue) -> None:
    with GroupCommitter(queue, max_records=1000, max_delay=0.1) as g:
        g.add(rec(1))
        g.add(rec(2))
        start = time.monotonic()
        assert wait_until(lambda: queue.depth() == 2)
        assert time.monotonic() - start < 2.0
        assert queue.calls == [2]


def test_flush_commits_now_and_returns_count(queue: CountingQueue) -> None:
    with GroupCommitter(queue, max_records=1000, max_delay=60) as g:
        g.add(rec(1))
        g.add(rec(2))
        assert g.flush() == 2
        assert queue.depth() == 2
        assert g.flush() == 0


def test_close_flushes(queue: CountingQueue) -> None:
    g = GroupCommitter(queue, max_records=1000, max_delay=60)
    g.add(rec(1))
    g.close()
    assert queue.depth() == 1


def test_add_after_close_raises(queue: CountingQueue) -> None:
    g = GroupCommitter(queue)
    g.close()
    with pytest.raises(QueueError):
        g.add(rec(1))


def test_latest_cursor_is_committed_with_the_group(queue: CountingQueue) -> None:
    with GroupCommitter(queue, max_records=1000, max_delay=60) as g:
        g.add(rec(1), cursor=("eve", "100"))
        g.add(rec(2), cursor=("eve", "200"))
        g.add(rec(3))
        assert queue.get_cursor("eve") is None
        g.flush()
        assert queue.get_cursor("eve") == "200"


def test_set_cursor_alone_is_committed(queue: CountingQueue) -> None:
    with GroupCommitter(queue, max_records=1000, max_delay=60) as g:
        g.set_cursor(("eve", "7"))
        g.flush()
        assert queue.get_cursor("eve") == "7"


def test_on_commit_gets_the_group_size(queue: CountingQueue) -> None:
    seen: list[int] = []
    with GroupCommitter(queue, max_records=3, max_delay=60, on_commit=seen.append) as g:
        for i in range(3):
            g.add(rec(i))
        assert wait_until(lambda: seen == [3])


def test_record_without_alert_id_is_refused_in_add(queue: CountingQueue) -> None:
    with GroupCommitter(queue) as g, pytest.raises(ValueError):
        g.add({"event_type": "alert"})


def test_failed_commit_keeps_records_for_retry(queue: CountingQueue) -> None:
    real = queue.append
    failures = [QueueError("disk I/O error")]

    def flaky(records, cursor=None):  # type: ignore[no-untyped-def]
        if failures:
            raise failures.pop()
        return real(records, cursor)

    queue.append = flaky  # type: ignore[method-assign]
    with GroupCommitter(queue, max_records=1000, max_delay=60) as g:
        g.add(rec(1), cursor=("eve", "1"))
        with pytest.raises(QueueError):
            g.flush()
        assert g.pending() == 1
        assert g.flush() == 1
    assert queue.depth() == 1
    assert queue.get_cursor("eve") == "1"


def test_concurrent_adds_lose_nothing_and_keep_order(queue: CountingQueue) -> None:
    with GroupCommitter(queue, max_records=50, max_delay=0.05) as g:
        def writer(base: int) -> None:
            for i in range(300):
                g.add(rec(base + i))

        threads = [threading.Thread(target=writer, args=(k * 1000,)) for k in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    ids = [x.alert_id for x in queue.lease(10_000, 10**9)]
    assert len(ids) == 1200
    for k in range(4):  # each writer's records stay in its own order
        mine = [i for i in ids if int(i[3:]) // 1000 == k]
        assert mine == sorted(mine)
    assert max(queue.calls) >= 2  # commits were grouped
