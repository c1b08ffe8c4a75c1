"""Suricata as yamori's production engine.

discover.py finds a usable suricata binary; config.py writes its suricata.yaml;
rulelog.py reads which rules it failed to load; replay.py runs it over a pcap;
eve.py follows its eve.json with a bookmark; process.py supervises a
long-running child; control.py talks to its unix command socket; engine.py
puts these behind the Engine protocol. This package never parses packets or
rules itself: Suricata does, and yamori reads what it reports.
"""
