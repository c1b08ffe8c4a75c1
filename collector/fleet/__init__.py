"""The fleet of sensors: liveness, sensor events in the feed, offline detector, admin auth."""
