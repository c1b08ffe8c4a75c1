"""The request's language and the templates' `_`.

Owns: `request_language` (a choice made by this very request, left on
`request.state.lang`; else the signed-in user's language, which the auth
dependencies leave on `request.state.principal`; for anonymous visitors the
`yamori_lang` cookie set by the login page's language links, else the
language Accept-Language prefers, else the collector's default_language),
and `install_jinja`, which gives templates `_('key', name=value)` and
`ui_lang()`. Does not own: catalogs (catalog.py) or authentication.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from starlette.requests import Request

from collector.i18n.catalog import DEFAULT_LANGUAGE, LANGUAGES, negotiate, translate

LANG_COOKIE = "yamori_lang"


def request_language(request: Request) -> str:
    """The language to answer `request` in."""
    chosen_now = getattr(request.state, "lang", None)  # e.g. the login page's ?lang=
    if chosen_now in LANGUAGES:
        return str(chosen_now)
    principal = getattr(request.state, "principal", None)
    lang = getattr(principal, "lang", None)
    if lang in LANGUAGES:
        return str(lang)
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return str(chosen)
    return negotiate(request.headers.get("accept-language"), _default(request))


def _default(request: Request) -> str:
    state = getattr(request.app.state, "collector", None)
    config = getattr(state, "config", None)
    return str(getattr(config, "default_language", DEFAULT_LANGUAGE))


@pass_context
def _gettext(context: Context, key: str, **params: Any) -> str:
    return translate(request_language(context["request"]), key, **params)


@pass_context
def _ui_lang(context: Context) -> str:
    return request_language(context["request"])


def install_jinja(env: Environment) -> None:
    """Make `_` and `ui_lang` available to every template of `env`."""
    env.globals["_"] = _gettext
    env.globals["ui_lang"] = _ui_lang
