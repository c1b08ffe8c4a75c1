"""Detection engines behind one interface (base.py).

builtin: yamori's own Python pipeline (capture -> decode -> flow -> detect),
the embedded default for the demo and for boxes without Suricata.
suricata: the production engine, added by a later issue.
"""
