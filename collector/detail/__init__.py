"""Alert detail: everything an analyst needs to judge one alert.

Owns: the stored EVE record with every field, the rule text behind the alert
(rules.py), the triggering packet and payload as a hex dump and a tshark
protocol tree (decode.py), links to the other alerts of the same flow and
hosts (related.py), and their JSON and HTML routes (routes.py). Does not own:
ingest, the feed, incidents or triage, nor authentication (auth/).
"""
