"""RuleUpdater: act on the ruleset a heartbeat answer offers, on one worker thread.

Owns the policy of an offer and the state the heartbeat reports
(uplink.schema.RulesetStatus):

- an offer whose effective version already runs is a no-op;
- a newer bundle is fetched (fetch.py), verified with a strict "newer than
  running" check, installed (install.py) and the Agent reloads onto it;
- the running bundle's version with other overrides is re-applied from the
  archive on disk (conditional GET: nothing is downloaded twice); the same
  version with other contents is refused (a replay);
- an older version is refused as a downgrade, unless the offer is a
  rollback naming exactly the bundle in `previous`, whose archive is
  re-verified from disk (never downloaded);
- every failure keeps the running ruleset, is reported with its reason and
  backs off per offer (60 s doubling to an hour) so a bad bundle is not
  retried in a tight loop; the next heartbeat brings the offer back.

`on_answer` never blocks the heartbeat: it hands the newest offer to the
worker (older pending offers are superseded). It does not download, verify
or load anything itself, and it does not decide what the collector offers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from agent.daemon import engine_settings, installed_bundle
from agent.rulesync import overrides as ov
from agent.rulesync.fetch import BundleFetcher
from agent.rulesync.install import Installer, Links, Prepared, load_vendor_keys
from agent.rulesync.layout import SAFE_NAME, BundleMeta, RulesLayout
from agent.rulesync.testload import BuiltinTestLoad, LoadCheck, SuricataTestLoad, TestLoader
from rules.bundle import parse_version
from uplink.schema import HeartbeatAnswer, RulesetOffer, RulesetStatus
from yamori.errors import BundleError, UplinkError, YamoriError

if TYPE_CHECKING:
    from agent.daemon import Agent

log = logging.getLogger(__name__)

RETRY_BASE = 60.0
RETRY_MAX = 3600.0
_REASON_MAX = 1000


@dataclass(slots=True)
class _Backoff:
    failures: int
    until: float


class RuleUpdater:
    """Keeps one Agent on the ruleset the collector offers."""

    def __init__(self, agent: Agent, *, fetcher: BundleFetcher | None = None,
                 tester: TestLoader | None = None, retry_base: float = RETRY_BASE,
                 retry_max: float = RETRY_MAX, clock: Callable[[], float] = time.monotonic,
                 ready: Callable[[], bool] | None = None) -> None:
        """`ready` says whether the agent's engine runs yet; offers wait until it does."""
        self.agent = agent
        self._ready = ready
        cfg = agent.config
        self.layout = RulesLayout(cfg.sensor.data_dir)
        self.fetcher = fetcher or _fetcher(agent, self.layout)
        self.installer = Installer(self.layout, tester or default_tester(agent, self.layout),
                                   cfg.rules.max_bundle_bytes)
        self.retry_base, self.retry_max, self.clock = retry_base, retry_max, clock
        self._cond = threading.Condition()
        self._pending: RulesetOffer | None = None
        self._busy = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._backoff: dict[tuple[str, str, bool], _Backoff] = {}
        self._offered: str | None = None
        self._state, self._reason = "idle", None if cfg.rules.auto_update else _AUTO_OFF

    # -- the heartbeat's side -----------------------------------------------------

    def on_answer(self, answer: HeartbeatAnswer) -> None:
        """Take the answer's offer, if any; the work happens on the worker thread."""
        offer = answer.ruleset
        if offer is None:
            return
        effective = _effective(offer)
        with self._cond:
            self._offered = effective
            if self._ready is not None and not self._ready():
                return  # rules are still loading at start; the next heartbeat offers again
            if not self._wanted(offer, effective):
                return
            self._pending = offer
            self._cond.notify_all()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="rule-updater",
                                                daemon=True)
                self._thread.start()

    def status(self) -> RulesetStatus:
        """What the heartbeat reports about the ruleset."""
        running = self.layout.running() if installed_bundle(self.agent.config) else None
        meta = running[1] if running is not None else None
        with self._cond:
            state, reason, offered = self._state, self._reason, self._offered
        return RulesetStatus(
            running=meta.effective_version if meta else self.agent.rules_version,
            bundle=meta.version if meta else None, offered=offered, state=state,
            reason=reason, updated_at=meta.installed_at if meta else None,
            rules_loaded=self.agent.rules_loaded, rules_skipped=self.agent.rules_skipped)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """True once no offer is pending or being worked on (for tests and shutdown)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending is None and not self._busy,
                                       timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """End the worker after the offer in hand (an install is never cut in half)."""
        with self._cond:
            self._stopping = True
            self._pending = None
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        self.fetcher.close()

    # -- the worker ---------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None or self._stopping)
                if self._stopping:
                    return
                offer, self._pending = self._pending, None
                self._busy = True
            assert offer is not None  # wait_for returned on a pending offer
            try:
                self.apply(offer)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def apply(self, offer: RulesetOffer) -> None:
        """Act on one offer now, on this thread; the outcome goes into status()."""
        key = _backoff_key(offer)
        try:
            self._apply(offer)
        except BundleError as exc:
            self._fail(key, "refused", exc.reason)
        except UplinkError as exc:
            self._fail(key, "failed", str(exc))
        except (YamoriError, OSError) as exc:
            self._fail(key, "failed", f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # a bug must not end rule updates for good
            log.exception("rule update crashed")
            self._fail(key, "failed", f"internal error: {type(exc).__name__}: {exc}")
        else:
            with self._cond:
                self._backoff.pop(key, None)

    def _apply(self, offer: RulesetOffer) -> None:
        if self._pinned():
            raise BundleError("the agent config names its rules (engine.ruleset_dir or "
                              "engine.rules): remote rule updates do not apply")
        effective = _effective(offer)
        running = self.layout.running() if installed_bundle(self.agent.config) else None
        if running is not None and running[1].effective_version == effective:
            self._set("ok", None)
            return
        keys = load_vendor_keys(self.agent.config.rules.vendor_keys)
        ov.check(offer.overrides)  # before any download: a bad override refuses the offer
        meta = running[1] if running is not None else None
        if offer.rollback:
            prepared = self._rollback(offer, keys, meta)
        else:
            prepared = self._update(offer, keys, meta)
        self._swap(prepared)

    def _update(self, offer: RulesetOffer, keys: list[Ed25519PublicKey],
                running: BundleMeta | None) -> Prepared:
        newer_than = _newer_than(offer, running)
        self._set("downloading", None)
        fetched = self.fetcher.fetch(offer, self.agent.config.rules.max_bundle_bytes)
        self._set("testing", None)
        try:
            return self.installer.prepare(fetched.path, offer.sha256.lower(), offer.version,
                                          offer.overrides, keys, newer_than=newer_than,
                                          baseline=self._baseline(running),
                                          effective=_effective(offer))
        except BundleError:
            if fetched.downloaded:
                fetched.path.unlink(missing_ok=True)  # never worth keeping: it was refused
            raise

    def _rollback(self, offer: RulesetOffer, keys: list[Ed25519PublicKey],
                  running: BundleMeta | None) -> Prepared:
        before = self.layout.before()
        if before is None or before[1].version != offer.version:
            kept = before[1].version if before is not None else "none"
            raise BundleError(f"rollback to {offer.version} refused: the previous bundle on this "
                              f"box is {kept} (older bundles are downgrades)")
        archive = self.layout.archive(before[1].sha256)
        if not archive.is_file():
            raise BundleError(f"rollback to {offer.version} refused: its archive is gone")
        self._set("testing", None)
        # Re-verified from disk: the signature, not the local copy, is trusted.
        return self.installer.prepare(archive, before[1].sha256, offer.version, offer.overrides,
                                      keys, newer_than=None, baseline=self._baseline(running),
                                      effective=_effective(offer))

    def _swap(self, prepared: Prepared) -> None:
        self._set("swapping", None)
        links = self.installer.swap(prepared)
        try:
            outcome = self.agent.reload_rules()
        except Exception as exc:
            self._revert(links, prepared)
            raise YamoriError(f"engine reload failed: {exc}") from exc
        if not outcome.get("ok"):
            self._revert(links, prepared)
            raise YamoriError(f"engine reload failed: {outcome.get('message')}")
        self.layout.prune()
        self._set("ok", None)
        log.info("rules: now running bundle %s (%s rules loaded)",
                 prepared.meta.effective_version, outcome.get("rules_loaded"))

    def _revert(self, links: Links, prepared: Prepared) -> None:
        self.installer.revert(links)
        self.installer.discard(prepared.bundle_dir)

    # -- policy helpers -------------------------------------------------------------

    def _pinned(self) -> bool:
        engine = self.agent.config.engine
        return engine.ruleset_dir is not None or bool(engine.rules)

    def _baseline(self, running: BundleMeta | None) -> LoadCheck | None:
        if running is None:
            return None  # the shipped rules say nothing about how a real ruleset loads
        return LoadCheck(max(self.agent.rules_loaded, 0), self.agent.rules_skipped)

    def _wanted(self, offer: RulesetOffer, effective: str) -> bool:
        """Worth handing to the worker: not what runs, not backing off, updates on.

        Called with the lock held.
        """
        if not self.agent.config.rules.auto_update:
            return False
        running = self.layout.running() if installed_bundle(self.agent.config) else None
        if running is not None and running[1].effective_version == effective:
            if self._pending is None and not self._busy:
                # In step again (e.g. the collector withdrew a bundle that failed here).
                self._state, self._reason = "ok", None
            return False
        backoff = self._backoff.get(_backoff_key(offer))
        return backoff is None or self.clock() >= backoff.until

    def _set(self, state: str, reason: str | None) -> None:
        with self._cond:
            self._state, self._reason = state, reason

    def _fail(self, key: tuple[str, str, bool], state: str, reason: str) -> None:
        with self._cond:
            previous = self._backoff.get(key)
            failures = previous.failures + 1 if previous else 1
            delay = min(self.retry_max, self.retry_base * 2 ** (failures - 1))
            self._backoff[key] = _Backoff(failures, self.clock() + delay)
            self._state, self._reason = state, reason[:_REASON_MAX]
        log.warning("rule update to %s %s: %s (next try in %.0f s at the earliest)",
                    key[0], state, reason, delay)


_AUTO_OFF = "rules.auto_update is off"


def _effective(offer: RulesetOffer) -> str:
    """The offer's effective version, checked to be a safe name built on its version."""
    effective = offer.effective_version or ov.effective_version(offer.version, offer.overrides)
    if not SAFE_NAME.fullmatch(effective) or not (
            effective == offer.version or effective.startswith(offer.version + "+")):
        return ov.effective_version(offer.version, offer.overrides)
    return effective


def _newer_than(offer: RulesetOffer, running: BundleMeta | None) -> str | None:
    """The version the offer must beat, None when it may equal what runs; refuses downgrades."""
    if running is None:
        parse_version(offer.version)
        return None
    offered, current = parse_version(offer.version), parse_version(running.version)
    if offered < current:
        raise BundleError(f"version {offer.version} is older than the running {running.version} "
                          "(downgrade)")
    if offered == current:
        if offer.sha256.lower() != running.sha256:
            raise BundleError(f"version {offer.version} already runs with other contents "
                              "(replay)")
        return None  # the running bundle with other overrides
    return running.version


def _backoff_key(offer: RulesetOffer) -> tuple[str, str, bool]:
    return (_effective(offer), offer.sha256.lower(), offer.rollback)


def default_tester(agent: Agent, layout: RulesLayout) -> TestLoader:
    """`suricata -T` when the agent runs Suricata, else a builtin engine instance."""
    settings = engine_settings(agent.config)
    suricata = agent.choice.suricata
    if agent.choice.engine == "suricata" and suricata is not None:
        layout.ensure()
        return SuricataTestLoad(suricata.path, settings, agent.config.suricata.base_config,
                                workdir=layout.download)
    return BuiltinTestLoad(settings)


def _fetcher(agent: Agent, layout: RulesLayout) -> BundleFetcher:
    up = agent.config.uplink
    try:
        token: str | None = up.read_token()
    except YamoriError:
        token = None
    return BundleFetcher(up.url, token, layout,
                         ca_bundle=str(up.ca_bundle) if up.ca_bundle else None,
                         timeout=max(up.timeout, 30.0))
