"""The calling side of federation, whatever the transport: proxy procedures registered through remote.sx.

A ``Transport`` reaches one peer (HTTP in sxflow.fed.client, Ray in sxflow.ray); it
moves wire bytes and raises ``TransportFailure`` for every way of not getting an
authentic answer: refused, reset, timed out, a 5xx, a response failing
authentication, a dead actor. ``connect`` registers, through remote.sx's own
``flow-peer-register!``, a table of proxy procedures for the peer's functions, so
``flow-transport``, ``remote-node`` and ``remote-failover`` work unchanged. A proxy:

- encodes its argument (plain data only: anything else is refused before sending, with
  an error naming it);
- chooses the call's idempotency key: the one given by ``(fed-call-key key thunk)``
  around the call, else ``(flow-next-call-key)`` when run.sx binds it and it is not #f
  (stable across re-runs of a step), else a fresh random key;
- maps a ``TransportFailure`` to ``(raise 'flow-remote-unreachable)`` (so
  ``remote-failover`` moves on), "no such function" to ``(raise 'flow-remote-no-fn)``,
  and a raise on the peer to a raise of the same payload here.

A call is at least once: after a timeout the function may have run on the peer.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from ..data import Symbol
from ..flow import load_flow, peer_table
from ..handlers import raise_payload
from ..library.storetable import entries_of
from ..runtime import fault, register_builtin
from . import wire
from .state import DEFAULT_TIMEOUT, PeerLink, fed_state

UNREACHABLE = Symbol("flow-remote-unreachable")
NO_FUNCTION = Symbol("flow-remote-no-fn")


class TransportFailure(Exception):
    """The peer could not be reached or did not give an authentic answer (the message says why)."""


class Transport(Protocol):
    """How a proxy reaches one peer. Every method raises TransportFailure when it cannot."""

    def call(self, function: str, argument: bytes, key: str, timeout: float) -> bytes:
        """Run ``function`` on the peer; the wire outcome (sxflow.fed.wire.decode_outcome reads it)."""

    def push_replica(self, origin: str, export: bytes, timeout: float) -> None:
        """File ``export`` (wire-encoded flow-store-export) on the peer as the replica of ``origin``."""

    def fetch_replica(self, origin: str, timeout: float) -> bytes:
        """The peer's replica of ``origin``, wire-encoded (``#f`` when it holds none)."""

    def names(self, timeout: float) -> list[str]:
        """The names of the functions the peer exposes."""


def connect(interpreter, addr, transport: Transport, names=None, timeout: float = DEFAULT_TIMEOUT) -> list[str]:
    """Register ``addr`` with one proxy per function name (asked of the peer when ``names`` is None).

    Returns the names. An unreachable peer, when its names are asked, raises
    flow-remote-unreachable. When run.sx's ``flow-set-replicator!`` is bound, it is told
    that ``flow-standby!`` pushes to ``addr`` over this transport.
    """
    load_flow(interpreter)
    timeout = _positive_timeout(timeout)
    link = PeerLink(addr, transport, timeout)
    if names is None:
        try:
            names = transport.names(timeout)
        except TransportFailure as failure:
            link.last_failure = str(failure)
            raise_payload(UNREACHABLE)
    names = [_function_name(name) for name in names]
    state = fed_state(interpreter)
    previous = state.peers.get(addr)
    if previous is not None and previous.transport is not transport and hasattr(previous.transport, "close"):
        previous.transport.close()  # connecting an address again replaces it, as registering does
    state.peers[addr] = link
    proxies = [(Symbol(name), make_proxy(interpreter, link, name)) for name in names]
    interpreter.call("flow-peer-register!", addr, peer_table(proxies))
    replicator = interpreter.get("flow-set-replicator!")
    if callable(replicator):
        def push():
            replicate_to(interpreter, addr)

        register_builtin(push, f"fed-replicate-to {addr}")
        interpreter.call("flow-set-replicator!", addr, push)
    return names


def _function_name(name) -> str:
    if isinstance(name, Symbol):
        return name.name
    if isinstance(name, str):
        return name
    raise fault(f"fed-connect!: a function name is a symbol or a string, got {wire.describe_not_plain(name)}",
                kind="wrong-type")


def _positive_timeout(timeout) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < 1e9:
        raise fault(f"fed-connect!: a timeout is a positive number of seconds, got {timeout!r}", kind="wrong-type")
    return float(timeout)


def make_proxy(interpreter, link: PeerLink, function: str):
    """The one-argument procedure that runs ``function`` on the peer behind ``link``."""
    state = fed_state(interpreter)

    def proxy(value):
        try:
            argument = wire.encode(value)
        except wire.WireError as error:
            raise fault(f"{link.address} {function}: {error}", kind="wrong-type") from None
        key = call_key(interpreter, state)
        try:
            answer = link.transport.call(function, argument, key, link.timeout)
            kind, result = wire.decode_outcome(answer)
        except (TransportFailure, wire.WireError) as failure:
            link.last_failure = str(failure)
            raise_payload(UNREACHABLE)
        if kind == wire.VALUE:
            return result
        if kind == wire.NO_FUNCTION:
            raise_payload(NO_FUNCTION)
        raise_payload(result)

    register_builtin(proxy, f"{function}@{link.address}")
    return proxy


def call_key(interpreter, state=None) -> str:
    """The idempotency key of the next proxy call (see the module docstring)."""
    state = state or fed_state(interpreter)
    explicit = state.explicit_key()
    if explicit is not None:
        return explicit
    next_key = interpreter.get("flow-next-call-key")
    if callable(next_key):
        key = interpreter.call("flow-next-call-key")
        if isinstance(key, str):
            return key
    return uuid.uuid4().hex


def replicate_to(interpreter, addr) -> None:
    """fed-replicate-to: push this instance's store export to ``addr``, filed under this instance's name."""
    state = fed_state(interpreter)
    if state.name is None:
        raise fault("fed-replicate-to: this instance has no name; give it one with (fed-set-name! name) "
                    "or sxflow serve --name", kind="error")
    link = state.peers.get(addr)
    if link is None:
        raise_payload(UNREACHABLE)
    # The store's entries are encoded as they stand, without flow-store-export's deep
    # copy: the encoding is itself a copy, made at once (and it checks them again).
    with wire.collector_paused():  # an export of a big store is millions of new objects
        export = wire.encode(entries_of(interpreter.environment.lookup(Symbol("flow-store-table"))))
    try:
        link.transport.push_replica(state.name, export, link.timeout)
    except TransportFailure as failure:
        link.last_failure = str(failure)
        raise_payload(UNREACHABLE)


def fetch_replica(interpreter, addr, origin: str):
    """The replica of ``origin`` that the peer at ``addr`` holds (``#f`` when none)."""
    link = fed_state(interpreter).peers.get(addr)
    if link is None:
        raise_payload(UNREACHABLE)
    try:
        return wire.decode(link.transport.fetch_replica(origin, link.timeout))
    except (TransportFailure, wire.WireError) as failure:
        link.last_failure = str(failure)
        raise_payload(UNREACHABLE)
