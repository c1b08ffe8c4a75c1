"""The web console: server-rendered pages on the collector's JSON API, plus small scripts.

views.py (the live feed, /), incidents.py (/incidents, /incidents/{id}),
sensor_board.py (/sensors), customer.py (/my, the office's own view),
admin.py (/admin/users, /admin/audit); pages.py holds who may open a page
and the error page, query.py the filter forms, templating.py the Jinja2
setup, lookups.py small queries, testing.py the browser-test helpers. Every
page's data comes from the same functions as its JSON twin; actions are sent
by the browser to the JSON API. Does not own: the API, authentication or any
store query of substance.
"""
