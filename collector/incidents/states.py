"""The triage state machine of an incident.

Owns: the states, which of them are open (an arriving alert may still join
the incident) and the allowed transitions. A resolved incident may be
reopened (to investigating) when an analyst resolved it by mistake; alerts
that arrived after it was resolved have opened a new incident meanwhile.
Does not own: performing a transition (triage.py).
"""

from __future__ import annotations

from typing import Literal

from yamori.errors import IngestError

State = Literal["new", "acknowledged", "investigating", "escalated", "resolved_tp",
                "resolved_fp"]
STATES: tuple[State, ...] = ("new", "acknowledged", "investigating", "escalated",
                             "resolved_tp", "resolved_fp")
OPEN_STATES: tuple[State, ...] = ("new", "acknowledged", "investigating", "escalated")
RESOLVED_STATES: tuple[State, ...] = ("resolved_tp", "resolved_fp")

TRANSITIONS: dict[str, tuple[State, ...]] = {
    "new": ("acknowledged", "investigating", "escalated", "resolved_tp", "resolved_fp"),
    "acknowledged": ("investigating", "escalated", "resolved_tp", "resolved_fp"),
    "investigating": ("escalated", "resolved_tp", "resolved_fp"),
    "escalated": ("investigating", "resolved_tp", "resolved_fp"),
    "resolved_tp": ("investigating",),
    "resolved_fp": ("investigating",),
}


def check_state(text: str) -> State:
    """`text` as a State; 422 naming the states otherwise."""
    for state in STATES:
        if text == state:
            return state
    raise IngestError(f"state: must be one of {', '.join(STATES)}; got {text!r}", 422)


def check_transition(current: str, target: str) -> State:
    """`target` if an incident in `current` may move there; 409 saying what is allowed."""
    state = check_state(target)
    allowed = TRANSITIONS.get(current, ())
    if state not in allowed:
        raise IngestError(
            f"cannot move an incident from {current} to {state}; "
            f"allowed: {', '.join(allowed) or 'none'}", 409)
    return state
