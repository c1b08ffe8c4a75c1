"""Console accounts: users, roles, sessions, CSRF, login throttling (issue 7).

    models.py        users, console_sessions, login_failures (tables)
    passwords.py     argon2id hash / verify / rehash, the password policy
    users.py         account rules: create, change, password reset, principal_of
    sessions.py      open / resume (sliding expiry) / close, the session cookie
    throttle.py      failures per account and per address, the lockout
    login.py         sign_in: throttle, verify, open a session
    deps.py          CurrentUser, StaffUser, AdminUser, CSRF, admin_api_auth
    schemas.py       the API's request and answer records
    routes.py        /login, /logout, /api/v1/session (+ admin_routes.py: users, audit)
    testing.py       helpers for tests

Everything a request needs to know about sessions and lockouts is in the
database, so any collector process can answer any request.
"""
