"""What federation keeps per interpreter: its name, exposed functions, connected peers, secret and lock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

DEFAULT_TIMEOUT = 5.0  # seconds a proxy call may take before its peer counts as unreachable


@dataclass
class PeerLink:
    """A connected peer: how to reach it and how long to wait for it."""

    address: str
    transport: object
    timeout: float = DEFAULT_TIMEOUT
    last_failure: str | None = None  # why the last call failed, for people debugging a flow


@dataclass
class FedState:
    """One interpreter's federation state (made on first use, kept on the interpreter)."""

    # Every use of the interpreter by a host goes through this lock: one Scheme
    # evaluation at a time, whichever thread or request asks.
    lock: threading.RLock = field(default_factory=threading.RLock)
    name: str | None = None
    secret: bytes | None = None
    exposed: dict = field(default_factory=dict)  # function name (str) -> procedure
    peers: dict = field(default_factory=dict)  # address -> PeerLink
    keys: threading.local = field(default_factory=threading.local)  # explicit call keys, per thread

    def explicit_key(self) -> str | None:
        stack = getattr(self.keys, "stack", None)
        return stack[-1] if stack else None


_creating = threading.Lock()


def fed_state(interpreter) -> FedState:
    """The interpreter's federation state, made on first use."""
    state = interpreter._fed_state
    if state is None:
        with _creating:
            state = interpreter._fed_state
            if state is None:
                state = interpreter._fed_state = FedState()
    return state
