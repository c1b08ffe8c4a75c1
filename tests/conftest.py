"""Fixtures shared across the test tree.

`veth`: a veth pair whose far end lives in a network namespace made for the
test. Traffic injected inside that namespace arrives only on the outer end
(which has no address), so live-capture tests never send anything beyond
their own link. The pair and the namespace are removed afterwards. Tests that
use it need root and iproute2 and mark themselves to skip otherwise.
"""

from __future__ import annotations

import itertools
import os
import subprocess
from collections.abc import Iterator
from typing import NamedTuple

import pytest

_serial = itertools.count()


class Veth(NamedTuple):
    ns: str  # the namespace holding `inner`
    outer: str  # the capture-side end, in this namespace
    inner: str  # the traffic-side end, inside `ns`


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@pytest.fixture
def veth() -> Iterator[Veth]:
    tag = f"{os.getpid() % 100000}{next(_serial)}"  # interface names: <= 15 chars
    pair = Veth(f"ymr-ns{tag}", f"ymro{tag}", f"ymri{tag}")
    _ip("netns", "add", pair.ns)
    try:
        _ip("link", "add", pair.outer, "type", "veth", "peer", "name", pair.inner)
        _ip("link", "set", pair.inner, "netns", pair.ns)
        _ip("link", "set", pair.outer, "up")
        _ip("-n", pair.ns, "link", "set", pair.inner, "up")
        yield pair
    finally:
        subprocess.run(["ip", "link", "del", pair.outer], capture_output=True)
        subprocess.run(["ip", "netns", "del", pair.ns], capture_output=True)
