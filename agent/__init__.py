"""The yamori agent: what runs on the box.

capture -> decode -> flow -> detect -> alert -> queue -> uplink. `pipeline.py`
is the only module that wires the stages together; each stage lives in its own
subpackage with a narrow interface.
"""
