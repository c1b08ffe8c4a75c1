"""Download an offered bundle: conditional GET, a hard size cap, the offer's sha256.

Owns the HTTP side of a rule update: a requests.Session built the way the
uplink builds its own (bearer token, pinned CA, User-Agent), `If-None-Match`
with the ETag (and sha256) of the copy already on disk so an unchanged bundle
is not sent twice, streaming into a temporary file in the data directory
under a byte cap, and checking the result against the offer's sha256 before
it is kept in archives/. A bundle URL on the collector's host is fetched the
way the agent reaches the collector (its uplink URL's scheme and port: the
collector names itself as it sees the request, which a TLS proxy changes),
with the sensor's token; a URL on another host (a CDN) is fetched as it is,
without the token, since the signature, not the channel, is what makes a
bundle trustworthy. It does not verify signatures (install.py) and does not
retry (updater.py backs off).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests

from agent.rulesync.layout import RulesLayout
from rules.bundle import write_atomically
from uplink.schema import RulesetOffer
from yamori import __version__
from yamori.errors import BundleError, UplinkRejected, UplinkUnavailable

log = logging.getLogger(__name__)

_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class Fetched:
    """A bundle archive on disk whose sha256 is the offer's."""

    path: Path
    downloaded: bool  # False: the server answered 304 and the local copy was used
    size: int


class BundleFetcher:
    """GETs bundles from the collector into a RulesLayout's archives/."""

    def __init__(self, base_url: str, token: str | None, layout: RulesLayout, *,
                 ca_bundle: str | None = None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.layout = layout
        self.timeout = timeout
        self._token = token
        self._session = requests.Session()
        # verify=True uses the system CA store; a path pins the collector's CA.
        self._session.verify = ca_bundle if ca_bundle is not None else True
        self._session.headers.update({"User-Agent": f"yamori-agent/{__version__}"})

    def close(self) -> None:
        self._session.close()

    def fetch(self, offer: RulesetOffer, max_bytes: int) -> Fetched:
        """The archive of `offer`, from disk (304) or downloaded; BundleError / UplinkError."""
        sha = offer.sha256.lower()
        if offer.size is not None and offer.size > max_bytes:
            raise BundleError(f"bundle is larger than the {max_bytes}-byte limit "
                              f"(offer says {offer.size} bytes)")
        self.layout.ensure()
        local = self.layout.archive(sha) if _is_sha256(sha) else None
        url, own = self._resolve(offer.url)
        resp = self._get(url, self._headers(own, local))
        with resp:
            if resp.status_code == 304:
                return self._not_modified(local)
            _check_status(resp, url)
            part, got, size = self._stream(resp, max_bytes, offer.size)
        if got != sha:
            part.unlink(missing_ok=True)
            raise BundleError(f"sha256 mismatch: downloaded {got[:16]}…, offer says {sha[:16]}…")
        target = self.layout.archive(sha)
        os.replace(part, target)
        etag = resp.headers.get("ETag")
        if etag:
            write_atomically(target.with_suffix("").with_suffix(".etag"), etag.encode())
        log.info("rule bundle %s downloaded (%d bytes)", offer.version, size)
        return Fetched(target, True, size)

    def _resolve(self, url: str) -> tuple[str, bool]:
        """The URL to GET, and whether it is the collector's own (so the token may go)."""
        absolute, base = urlsplit(urljoin(self.base_url + "/", url)), urlsplit(self.base_url)
        if (absolute.hostname or "").lower() != (base.hostname or "").lower():
            return absolute.geturl(), False
        return urlunsplit((base.scheme, base.netloc, absolute.path, absolute.query, "")), True

    def _headers(self, own: bool, local: Path | None) -> dict[str, str]:
        headers = {"Accept": "application/gzip, application/octet-stream"}
        if self._token and own:
            headers["Authorization"] = f"Bearer {self._token}"
        if local is not None and local.is_file():
            tags = [f'"{local.name.removesuffix(".tar.gz")}"']
            stored = _read_etag(local)
            if stored and stored not in tags:
                tags.insert(0, stored)
            headers["If-None-Match"] = ", ".join(tags)
        return headers

    def _get(self, url: str, headers: dict[str, str]) -> requests.Response:
        try:
            return self._session.get(url, headers=headers, stream=True, timeout=self.timeout)
        except requests.RequestException as exc:
            raise UplinkUnavailable(f"bundle download failed: {type(exc).__name__}") from exc

    def _not_modified(self, local: Path | None) -> Fetched:
        if local is None or not local.is_file():
            raise UplinkUnavailable("server answered 304 Not Modified but no local copy exists")
        return Fetched(local, False, local.stat().st_size)

    def _stream(self, resp: requests.Response, max_bytes: int,
                announced: int | None) -> tuple[Path, str, int]:
        length = resp.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) > max_bytes:
            raise BundleError(f"bundle is larger than the {max_bytes}-byte limit "
                              f"(Content-Length {length})")
        cap = min(max_bytes, announced) if announced is not None else max_bytes
        fd, name = tempfile.mkstemp(dir=self.layout.download, prefix=".bundle-", suffix=".part")
        part, digest, size = Path(name), hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in resp.iter_content(_CHUNK):
                    size += len(chunk)
                    if size > cap:
                        raise _too_large(max_bytes, announced, cap)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except requests.RequestException as exc:
            part.unlink(missing_ok=True)
            raise UplinkUnavailable(f"bundle download broke off: {type(exc).__name__}") from exc
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        return part, digest.hexdigest(), size


def _too_large(max_bytes: int, announced: int | None, cap: int) -> BundleError:
    if announced is not None and cap == announced and announced < max_bytes:
        return BundleError(f"bundle is larger than the {announced} bytes the offer announced")
    return BundleError(f"bundle is larger than the {max_bytes}-byte limit")


def _check_status(resp: requests.Response, url: str) -> None:
    status = resp.status_code
    if 200 <= status < 300:
        return
    where = urlsplit(url).path
    if status >= 500 or status in (408, 429):
        raise UplinkUnavailable(f"bundle download {where}: server answered {status}")
    raise UplinkRejected(f"bundle download {where}: server answered {status}", status=status)


def _read_etag(archive: Path) -> str | None:
    try:
        return archive.with_suffix("").with_suffix(".etag").read_text(encoding="utf-8").strip()
    except OSError:
        return None


def _is_sha256(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)
