"""The `msg` keyword: the signature text shown in alerts (detect-msg.c).

Owns unquoting and unescaping (`\\;` `\\"` `\\\\` `\\:` …: a backslash keeps the
next character literally). No effect on matching.
"""

from __future__ import annotations

from agent.detect.registry import Keyword
from agent.detect.rule import RuleBuilder
from yamori.errors import RuleParseError


def unescape(text: str) -> str:
    out: list[str] = []
    escape = False
    for ch in text:
        if escape:
            out.append(ch)
            escape = False
        elif ch == "\\":
            escape = True
        else:
            out.append(ch)
    return "".join(out)


def setup(builder: RuleBuilder, text: str | None) -> None:
    builder.once("msg")
    text = (text or "").strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise RuleParseError("msg needs a quoted string")
    builder.msg = unescape(text[1:-1])


KEYWORD = Keyword("msg", "the alert message", setup,
                  "https://docs.suricata.io/en/latest/rules/meta.html#msg-message")
