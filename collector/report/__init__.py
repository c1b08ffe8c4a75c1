"""The monthly report per tenant (issue 8 item 4): HTML and PDF, in Japanese or English.

Owns: the figures of one tenant's calendar month (figures.py composes them
from coverage.py, alerts.py, hosts.py, incidents.py, response.py and
ruleupdates.py), their plain-words summary (summary.py), the charts
(charts.py), the HTML and PDF (render.py), `yamori report` (cli.py) and
GET /api/v1/reports/{tenant}/{month}.html|.pdf|.json (routes.py).
Does not own: any table (it only reads) or the guidance texts (collector/guidance).
"""
