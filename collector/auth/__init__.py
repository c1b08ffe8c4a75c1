"""Console accounts: users, roles, sessions, CSRF, login throttling (issue 7)."""
