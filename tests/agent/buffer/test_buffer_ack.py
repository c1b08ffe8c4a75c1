"""agent.buffer.store ack: range deletes remove exactly the seqs given, however scattered."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.buffer.quota import row_cost
from agent.buffer.store import AlertQueue


def rec(n: int) -> dict[str, object]:
    return {"alert_id": f"id-{n:04d}", "event_type": "alert", "n": n}


@settings(max_examples=40, deadline=None)
@given(picks=st.lists(st.booleans(), min_size=60, max_size=60))
def test_ack_deletes_exactly_the_given_seqs(picks: list[bool]) -> None:
    with tempfile.TemporaryDirectory() as tmp, AlertQueue(Path(tmp) / "q.db") as queue:
        queue.append([rec(i) for i in range(60)])
        leased = queue.lease(60, 10**9)
        chosen = [q.seq for q, pick in zip(leased, picks, strict=True) if pick]
        assert queue.ack(chosen) == len(chosen)
        left = {q.seq for q in queue.lease(60, 10**9)}
        assert left == {q.seq for q in leased} - set(chosen)
        assert queue.depth() == len(left)
        assert queue.counters()["acked"] == len(chosen)


def test_ack_frees_the_bytes_it_charged(tmp_path: Path) -> None:
    with AlertQueue(tmp_path / "q.db") as queue:
        queue.append([rec(i) for i in range(10)])
        before = queue.queue_bytes()
        leased = queue.lease(10, 10**9)
        queue.ack([leased[0].seq, *[q.seq for q in leased[2:5]]])
        remaining = queue.lease(10, 10**9)
        assert queue.queue_bytes() == before - sum(row_cost(q.size) for q in leased
                                                   if q not in remaining)
