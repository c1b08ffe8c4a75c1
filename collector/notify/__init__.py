"""Notices to customers and the vendor's operators, and on-site dispatch records (issue 8).

Contacts (apprise URLs) per tenant and for the operators, notices queued per
(incident or sensor event, contact), a delivery worker that sends them with
retries and keeps every attempt, and the dispatch log. Other parts call in
through `collector.notify.api` only. Does not own: deciding when an incident
is escalated (collector/incidents), when a sensor is offline (collector/fleet)
or the monthly report.
"""
