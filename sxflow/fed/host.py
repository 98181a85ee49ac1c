"""The serving side of federation, whatever the transport: exposed functions, calls, idempotency, replica slots.

``Host(interpreter, name)`` is what an HTTP server (sxflow.fed.server) or a Ray actor
(sxflow.ray) wraps. It speaks wire bytes (sxflow.fed.wire) in and out:

- ``call(function, argument, key)`` runs an exposed function on the decoded argument
  and answers a wire outcome: the value, the raised payload, or "no such function".
  The outcome of each key is remembered (bounded, least recently used dropped first),
  so a retried call with the same key answers the stored outcome without running the
  function again.
- ``push_replica(origin, export)`` files a store export exactly where remote.sx keeps
  replicas, so ``(flow-replica-get origin)`` and ``(flow-restore-from origin)`` find it.
- ``fetch_replica(origin)`` answers the replica held for ``origin`` (``#f`` when none).
- ``names()`` lists the exposed function names.

Malformed bytes raise ``wire.WireError`` before anything runs. Every use of the
interpreter holds its one lock, so concurrent requests never interleave evaluation.
"""

from __future__ import annotations

from collections import OrderedDict

from ..data import Symbol, list_to_python
from ..errors import ErrorObject, SchemeError
from ..flow import load_flow
from ..runtime import call_from_python
from . import wire
from .state import fed_state

MEMORY_ENTRIES = 10_000  # outcomes remembered for idempotency keys
MEMORY_BYTES = 64 * 1024 * 1024

# remote.sx's own filing (flow-replicate-to), with the export coming from elsewhere.
_FILE_REPLICA = """
(lambda (addr data)
  (set! flow-replicas (cons (list addr data) (flow-replicas-remove addr flow-replicas))))
"""


class Host:
    """One interpreter served to peers under ``name``."""

    def __init__(self, interpreter, name: str, *, memory_entries: int = MEMORY_ENTRIES,
                 memory_bytes: int = MEMORY_BYTES) -> None:
        load_flow(interpreter)
        self.interpreter = interpreter
        self.name = name
        self.state = fed_state(interpreter)
        self.state.name = name
        self.lock = self.state.lock
        self.memory_entries = memory_entries
        self.memory_bytes = memory_bytes
        self._memory: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._memory_size = 0
        self.calls_run = 0  # functions actually run (a remembered answer does not count)
        with self.lock:
            self._file_replica = interpreter.eval(_FILE_REPLICA, "<sxflow.fed.host>")

    def names(self) -> list[str]:
        """The names of the exposed functions, in the order they were first exposed.

        Without the lock: copying a dict is one step under the GIL, and a peer busy with
        a long call can still be connected to.
        """
        return list(self.state.exposed)

    def call(self, function: str, argument: bytes, key: str) -> bytes:
        """Run ``function`` on the decoded ``argument`` once per ``key``; the wire outcome."""
        value = wire.decode(argument)
        with self.lock:
            remembered = self._memory.get((function, key))
            if remembered is not None:
                self._memory.move_to_end((function, key))
                return remembered
            procedure = self.state.exposed.get(function)
            if procedure is None:
                return wire.encode_no_function(function)
            outcome = self._run(function, procedure, value)
            self._remember((function, key), outcome)
            return outcome

    def _run(self, function: str, procedure, value) -> bytes:
        self.calls_run += 1
        try:
            result = call_from_python(procedure, [value], self.interpreter.max_depth)
        except SchemeError as error:
            return wire.encode_raise(error.payload)
        except SystemExit:  # (exit) in a served function must not stop the server
            return wire.encode_raise(ErrorObject(f"{function}: called exit on the server", (), "error"))
        except Exception as error:  # a fault of the host itself, reported to the caller
            return wire.encode_raise(ErrorObject(f"{function}: {error}", (), "python"))
        try:
            return wire.encode_value(result)
        except wire.WireError as error:
            return wire.encode_raise(ErrorObject(f"{function}: its result cannot be sent: {error}", (), "wrong-type"))

    def _remember(self, key: tuple[str, str], outcome: bytes) -> None:
        memory = self._memory
        memory[key] = outcome
        self._memory_size += len(outcome)
        while memory and (len(memory) > self.memory_entries or self._memory_size > self.memory_bytes):
            _, dropped = memory.popitem(last=False)
            self._memory_size -= len(dropped)

    def push_replica(self, origin: str, export: bytes) -> None:
        """File ``export`` (a wire-encoded store export) as the replica of ``origin``."""
        data = wire.decode(export)
        with self.lock:
            call_from_python(self._file_replica, [origin, data], self.interpreter.max_depth)

    def fetch_replica(self, origin: str) -> bytes:
        """The replica held for ``origin``, wire-encoded (``#f`` when there is none)."""
        with self.lock:
            data = self.interpreter.call("flow-replica-get", origin)
            return wire.encode(data)


def expose(interpreter, table) -> None:
    """fed-expose!: add or replace exposed functions from a ``((name procedure) ...)`` table."""
    entries = []
    for entry in _entries(table):
        name, procedure = entry
        if isinstance(name, Symbol):
            name = name.name
        if not isinstance(name, str) or not callable(procedure):
            raise ValueError("fed-expose!: each entry is (name procedure), the name a symbol")
        entries.append((name, procedure))
    state = fed_state(interpreter)
    with state.lock:
        state.exposed.update(entries)


def _entries(table):
    try:
        entries = [list_to_python(entry) for entry in list_to_python(table)]
    except (ValueError, TypeError):
        raise ValueError("fed-expose!: expected a list of (name procedure) entries") from None
    for entry in entries:
        if len(entry) != 2:
            raise ValueError("fed-expose!: each entry is (name procedure)")
    return entries
