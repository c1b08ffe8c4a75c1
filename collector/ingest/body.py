"""Reading a batch request body safely: size bound, gzip, JSON, schema.

Owns: refusing bodies over `max_body_bytes` (Content-Length first, then
counting while reading), bounded gzip decompression (a small body must not
inflate without limit), and turning validation failures into one message that
names the record index and field. Does not own: authentication or storage.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

from pydantic import ValidationError

from uplink.schema import AlertBatch
from yamori.errors import IngestError

GZIP_WBITS = 16 + zlib.MAX_WBITS
MAX_REPORTED_ERRORS = 5


def too_large(limit: int) -> IngestError:
    return IngestError(f"request body exceeds the collector's limit of {limit} bytes", 413)


def check_content_length(header: str | None, limit: int) -> None:
    """Refuse early when the client announces a body over `limit`."""
    if header is None:
        return
    try:
        length = int(header)
    except ValueError as exc:
        raise IngestError("invalid Content-Length header", 400) from exc
    if length > limit:
        raise too_large(limit)


async def read_bounded(chunks: AsyncIterator[bytes], limit: int) -> bytes:
    """Collect the body, refusing it as soon as it passes `limit` bytes."""
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        parts.append(chunk)
    return b"".join(parts)


def decode_content(body: bytes, encoding: str | None, limit: int) -> bytes:
    """Undo Content-Encoding (identity or gzip) without producing over `limit` bytes."""
    name = (encoding or "identity").strip().lower()
    if name == "identity":
        return body
    if name in ("gzip", "x-gzip"):
        return gunzip_bounded(body, limit)
    raise IngestError(f"unsupported Content-Encoding '{encoding}' (use gzip or none)", 415)


def gunzip_bounded(data: bytes, limit: int) -> bytes:
    """Decompress a (possibly multi-member) gzip body, refusing more than `limit` bytes out."""
    out: list[bytes] = []
    produced = 0
    while data:
        inflater = zlib.decompressobj(GZIP_WBITS)
        try:
            # max_length stops inflation one byte past the limit: a bomb costs nothing.
            piece = inflater.decompress(data, limit - produced + 1)
        except zlib.error as exc:
            raise IngestError(f"body is not valid gzip: {exc}", 400) from exc
        produced += len(piece)
        if produced > limit:
            raise too_large(limit)
        if not inflater.eof:
            raise IngestError("body is not valid gzip: truncated stream", 400)
        out.append(piece)
        data = inflater.unused_data
    return b"".join(out)


def parse_batch(raw: bytes) -> AlertBatch:
    """Parse and validate a batch; 400 for bad JSON, 422 naming index and field."""
    try:
        # Straight from bytes: pydantic's JSON parser is ~3x json.loads + model_validate.
        return AlertBatch.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise IngestError(f"body is not valid JSON: {first['msg']}", 400) from exc
        if first["type"] == "model_type" and not first["loc"]:
            raise IngestError("invalid batch: body: must be a JSON object", 422) from exc
        raise IngestError(f"invalid batch: {validation_message(exc)}", 422) from exc


def validation_message(exc: ValidationError) -> str:
    """`alerts[3].alert.signature_id: field required; …` for the first few errors."""
    errors = exc.errors()
    parts = [f"{location(err['loc'])}: {_lower_first(err['msg'])}"
             for err in errors[:MAX_REPORTED_ERRORS]]
    if len(errors) > MAX_REPORTED_ERRORS:
        parts.append(f"and {len(errors) - MAX_REPORTED_ERRORS} more")
    return "; ".join(parts)


def location(loc: tuple[int | str, ...]) -> str:
    """('alerts', 3, 'alert', 'gid') -> 'alerts[3].alert.gid'."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def _lower_first(msg: str) -> str:
    return msg[:1].lower() + msg[1:]
