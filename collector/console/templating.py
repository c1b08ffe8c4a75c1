"""The console's Jinja2 environment: filters and globals every page template uses.

Owns: `make_templates` (the templates directory, `_`/`ui_lang` from
collector/i18n), the `jst` filter (any time the collector shows, in
Asia/Tokyo), and the layout's globals — `console_viewer()` and
`console_csrf()` read the signed-in user and the session's CSRF token that
the auth dependencies left on the request, so pages whose routes live in
other packages (the alert detail) get the same header without passing them.
Does not own: the pages' data (the page modules) or the catalogs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.templating import Jinja2Templates

from collector.auth.principal import Principal
from collector.i18n.web import install_jinja

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TOKYO = ZoneInfo("Asia/Tokyo")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def make_templates() -> Jinja2Templates:
    """The console's templates, with the filters and globals they rely on."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["jst"] = jst
    templates.env.globals["console_viewer"] = _viewer
    templates.env.globals["console_csrf"] = _csrf
    install_jinja(templates.env)
    return templates


def jst(when: str | datetime | float | None) -> str:
    """A time as `YYYY-MM-DD HH:MM:SS` in Asia/Tokyo.

    Takes EVE timestamps and ISO strings (unparsable text is shown as given),
    datetimes, and epoch seconds; None is shown as an empty string.
    """
    if when is None:
        return ""
    if isinstance(when, (int, float)):
        return datetime.fromtimestamp(when, UTC).astimezone(TOKYO).strftime(TIME_FORMAT)
    if isinstance(when, str):
        try:
            parsed = datetime.fromisoformat(when)
        except ValueError:
            return when
        return jst(parsed)
    if when.tzinfo is None:
        return when.strftime(TIME_FORMAT)
    return when.astimezone(TOKYO).strftime(TIME_FORMAT)


@pass_context
def _viewer(context: Context) -> Principal | None:
    principal = getattr(context["request"].state, "principal", None)
    return principal if isinstance(principal, Principal) else None


@pass_context
def _csrf(context: Context) -> str:
    found: Any = getattr(context["request"].state, "signed_in", None)
    return str(getattr(found, "csrf_token", None) or "")
