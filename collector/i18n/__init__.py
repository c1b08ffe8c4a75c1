"""The console's languages: Japanese first, and English.

Owns: the message catalogs (`ja.json`, `en.json`: key -> text), looking a
message up (`translate`), choosing a language from a request (the signed-in
user's, else a chosen-language cookie, else Accept-Language, else the
collector's default_language) and the Jinja2 global `_` that templates call.
Does not own: which language a user has stored (collector/auth).
"""

from collector.i18n.catalog import DEFAULT_LANGUAGE, LANGUAGES, catalog, negotiate, translate

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "catalog", "negotiate", "translate"]
