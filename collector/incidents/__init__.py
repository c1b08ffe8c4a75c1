"""Incidents and triage: what the SOC analyst works on instead of raw alerts.

grouping.py turns alerts into incidents at ingest, triage.py holds the
states and actions, repo.py the incident queries, signatures.py the
signature text search the feed and the incident list share, filters.py the
saved filters, routes.py the HTTP API. Does not own: alert storage
(collector/ingest), authentication (collector/auth) or overrides' delivery
to boxes (collector/overrides.py).
"""
