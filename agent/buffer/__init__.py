"""The agent's durable alert queue (SQLite, WAL): store.py is the API.

sqlite.py opens, checks and migrates the file; tables.py holds the schema.
Nothing here talks to the network: uplink/shipper.py drains the queue.
"""

from agent.buffer.group import GroupCommitter
from agent.buffer.store import AlertQueue, PoisonedAlert, QueuedAlert

__all__ = ["AlertQueue", "GroupCommitter", "PoisonedAlert", "QueuedAlert"]
