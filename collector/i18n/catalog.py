"""Message catalogs and lookup.

Owns: loading `<lang>.json` beside this module once per process, `translate`
(a missing key is a bug and raises KeyError; a test keeps the catalogs'
keys equal) and `negotiate` (an Accept-Language header to one of LANGUAGES).
Does not own: requests or templates (web.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES: tuple[str, ...] = ("ja", "en")
DEFAULT_LANGUAGE = "ja"
HERE = Path(__file__).parent


@cache
def catalog(lang: str) -> Mapping[str, str]:
    """The messages of `lang` (one of LANGUAGES), read once."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r} (want one of {', '.join(LANGUAGES)})")
    with (HERE / f"{lang}.json").open(encoding="utf-8") as handle:
        messages: dict[str, str] = json.load(handle)
    return messages


def translate(lang: str, key: str, **params: Any) -> str:
    """The text of `key` in `lang` (DEFAULT_LANGUAGE if unsupported), `{name}`s filled in."""
    text = catalog(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)[key]
    return text.format(**params) if params else text


def negotiate(accept_language: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The supported language the header ranks highest (earliest on a tie), else `default`."""
    best, best_q = default, 0.0
    for item in (accept_language or "").split(","):
        tag, _, rest = item.strip().partition(";")
        lang = tag.strip().split("-")[0].lower()
        q = _quality(rest)
        if lang in LANGUAGES and q > best_q:
            best, best_q = lang, q
    return best


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0
