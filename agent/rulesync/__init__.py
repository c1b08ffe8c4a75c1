"""Rule updates on the box: the collector offers a signed bundle, the agent swaps it in.

The path of an offer (uplink.schema.RulesetOffer, named in a heartbeat answer):

    updater.py    RuleUpdater: one worker thread, state for the heartbeat, backoff
      -> fetch.py      conditional GET with the sensor's token, size cap, sha256
      -> install.py    verify (rules.bundle), extract, overrides, test-load, swap
           overrides.py   per-tenant disable / suppress / threshold on the copy
           testload.py    `suricata -T`, or a separate builtin engine instance
           layout.py      <data_dir>/rules: bundles/, archives/, current, previous

This package does not build, sign or publish bundles (rules/, the collector)
and does not run the engine: the Agent (agent/daemon.py) reloads onto
`<data_dir>/rules/current` when asked.
"""
