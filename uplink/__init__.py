"""The agent <-> collector protocol (schema.py) and the agent's side of it.

schema.py is the single wire contract: the agent writes it, the collector's
ingest validates it. client.py speaks HTTP; shipper.py moves batches from the
local queue to the collector and acknowledges them.
"""
