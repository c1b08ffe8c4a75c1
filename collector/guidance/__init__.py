"""Plain-language guidance for the customer: what happened, how serious, what to do now.

Owns: reading the vendor-editable data files in data/ (classtypes.toml per
alert category, signatures.toml per "gid:sid", the latter winning) and
answering `guidance_for(category_or_classtype, gid, sid, lang)`. EVE alerts carry
the classtype's *description* as `category` ("A Network Trojan was detected"),
so descriptions are mapped back to classtype names through a
classification.config. Does not own: sending notices (issue 8's notifier) or
showing them (console).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from yamori.errors import ConfigError

DATA_DIR = Path(__file__).parent / "data"
LANGUAGES = ("ja", "en")
LEVELS = ("high", "medium", "low")
_CLASSIFICATION = re.compile(r"^\s*config\s+classification:\s*([^,]+),([^,]+),\s*(\d+)\s*$")


@dataclass(slots=True, frozen=True)
class Guidance:
    """The guidance for one alert in one language."""

    level: str  # high | medium | low, for a small office
    what: str
    action: str
    lang: str
    source: str  # "signature", "classtype" or "fallback"
    audience: str = "customer"  # "vendor": operators first


@dataclass(slots=True, frozen=True)
class Catalog:
    """Both data files, validated."""

    classtypes: dict[str, dict[str, Any]]
    signatures: dict[tuple[int, int], dict[str, Any]]
    descriptions: dict[str, str]  # classtype description (EVE `category`) -> classtype name

    def lookup(self, category: str | None, gid: int | None, sid: int | None,
               lang: str = "ja") -> Guidance:
        """Signature guidance if any, else the category's, else a generic fallback."""
        lang = lang if lang in LANGUAGES else "ja"
        entry = self.signatures.get((gid or 1, sid or 0))
        if entry is not None:
            return _guidance(entry, lang, "signature")
        name = self.classtype_name(category)
        if name is not None and name in self.classtypes:
            return _guidance(self.classtypes[name], lang, "classtype")
        return _guidance(self.classtypes["unknown"], lang, "fallback")

    def classtype_name(self, category: str | None) -> str | None:
        """`category` as a classtype name, whether given as name or description."""
        if not category:
            return None
        if category in self.classtypes:
            return category
        return self.descriptions.get(category.strip().lower())


def _guidance(entry: dict[str, Any], lang: str, source: str) -> Guidance:
    text = entry[lang]
    return Guidance(level=entry["level"], what=text["what"], action=text["action"], lang=lang,
                    source=source, audience=entry.get("audience", "customer"))


def load_catalog(data_dir: Path = DATA_DIR,
                 classification: Path | None = None) -> Catalog:
    """Read and check the guidance files; errors name the file and entry."""
    classtypes = _read(data_dir / "classtypes.toml")
    raw_signatures = _read(data_dir / "signatures.toml")
    signatures: dict[tuple[int, int], dict[str, Any]] = {}
    for key, entry in raw_signatures.items():
        gid, _, sid = key.partition(":")
        if not (gid.isdigit() and sid.isdigit()):
            raise ConfigError(f"signatures.toml [{key}]", 'keys are "gid:sid"')
        signatures[(int(gid), int(sid))] = entry
    for where, entries in (("classtypes.toml", classtypes.items()),
                           ("signatures.toml", raw_signatures.items())):
        for key, entry in entries:
            _check_entry(f"{where} [{key}]", entry)
    if "unknown" not in classtypes:
        raise ConfigError("classtypes.toml", "an [unknown] entry is required (the fallback)")
    return Catalog(classtypes, signatures, read_descriptions(classification))


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(path.name, str(exc)) from exc


def _check_entry(where: str, entry: Any) -> None:
    if not isinstance(entry, dict) or entry.get("level") not in LEVELS:
        raise ConfigError(where, f"level must be one of {', '.join(LEVELS)}")
    for lang in LANGUAGES:
        text = entry.get(lang)
        if not isinstance(text, dict):
            raise ConfigError(f"{where} {lang}", "missing")
        for field in ("what", "action"):
            if not isinstance(text.get(field), str) or not text[field].strip():
                raise ConfigError(f"{where} {lang}.{field}", "missing or empty")


def read_descriptions(classification: Path | None = None) -> dict[str, str]:
    """classification.config's descriptions (lower-cased) -> classtype names."""
    path = classification or Path(__file__).parents[2] / "rules" / "classification.config"
    found: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return found
    for line in lines:
        match = _CLASSIFICATION.match(line)
        if match:
            found[match.group(2).strip().lower()] = match.group(1).strip()
    return found


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The shipped catalog, read once per process."""
    return load_catalog()


def guidance_for(category: str | None, gid: int | None, sid: int | None,
                 lang: str = "ja") -> Guidance:
    """Guidance for an alert from the shipped catalog."""
    return default_catalog().lookup(category, gid, sid, lang)
