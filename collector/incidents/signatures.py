"""The `signatures` table: upserted at ingest, searched by text for the feed and incidents.

Owns: keeping one row per (gid, sid, rev) with the rule message and category
alerts carried, and the signature text search. Why a table of its own: a
million alerts carry only a few thousand distinct messages, so a substring
search (LIKE/ILIKE, which no B-tree index can serve) scans thousands of
short rows instead of a million alerts, and the feed then filters alerts by
the matching sids through its (signature_id, id) index. A full-text index
(FTS5, tsvector) would add a dialect-specific moving part for no gain at
this size. An alert matches when a message recorded for its (gid, sid)
contains the text: a rule's message is the same for every tenant (it comes
with the ruleset), and a rewording under a new rev keeps the old text
findable too. Does not own: the alert rows (repo/alerts.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from collector.models import Signature

MAX_SEARCH_CHARS = 200
LIKE_ESCAPE = "\\"

# (gid, sid) pairs, grouped by gid: {gid: [sid, ...]}.
SignatureIds = dict[int, list[int]]


def upsert_signatures(session: Session, rows: Iterable[Mapping[str, Any]]) -> None:
    """Record the (gid, sid, rev) messages of stored alert rows (caller commits)."""
    latest: dict[tuple[int, int, int], dict[str, Any]] = {}
    for row in rows:
        key = (row["gid"], row["signature_id"], row["rev"])
        latest[key] = {"gid": key[0], "sid": key[1], "rev": key[2],
                       "text": row["signature"], "category": row["category"]}
    if not latest:
        return
    conn = session.connection()
    dialect = conn.dialect.name
    if dialect == "sqlite":
        stmt: Any = sqlite.insert(Signature)
    elif dialect == "postgresql":
        stmt = postgresql.insert(Signature)
    else:
        raise NotImplementedError(f"signature upsert for dialect {dialect!r}")
    new = stmt.excluded
    # The WHERE keeps an unchanged signature from being rewritten by every batch.
    stmt = stmt.on_conflict_do_update(
        index_elements=["gid", "sid", "rev"],
        set_={"text": new.text, "category": new.category},
        where=(Signature.text != new.text) | (Signature.category != new.category))
    conn.execute(stmt, sorted(latest.values(), key=lambda v: (v["gid"], v["sid"], v["rev"])))


def like_pattern(text: str) -> str:
    """`%text%` with LIKE's wildcards in `text` escaped, so they match themselves."""
    escaped = (text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
               .replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_"))
    return f"%{escaped}%"


def matching_signatures(session: Session, text: str) -> SignatureIds:
    """The (gid, sid) of every signature whose message contains `text` (case-insensitive)."""
    stmt = (select(Signature.gid, Signature.sid).distinct()
            .where(Signature.text.ilike(like_pattern(text), escape=LIKE_ESCAPE))
            .order_by(Signature.gid, Signature.sid))
    found: SignatureIds = {}
    for gid, sid in session.execute(stmt):
        found.setdefault(gid, []).append(sid)
    return found
