"""Signed rulesets on the collector: published bundles, channels, offers, canary rollout.

    models.py    the tables (bundles, channel pointers and their history,
                 sensor channel membership, rollout records per bundle and sensor)
    store.py     accepting a bundle (signature, size, version) and saving it by version
    channels.py  channel pointers, promotion, which channel a sensor is in
    offer.py     which bundle a sensor should run (heartbeat answer), download rights
    tracking.py  what each heartbeat's RulesetStatus says about a rollout
    figures.py   alert rate and engine cost per packet from heartbeat counters
    canary.py    before/after comparison on canary sensors; holding a bundle
    report.py    the operator's view (GET /api/v1/rulesets)
    override_shapes.py  which per-tenant overrides a box can load
    routes.py    the HTTP API (admin and sensor)
    testing.py   helpers for tests (signed bundles, a driven collector, a step clock)

Does not own: the bundle format and its verification (rules/bundle.py), the
per-tenant overrides table (collector/overrides.py) or the wire records
(uplink/schema.py).
"""
