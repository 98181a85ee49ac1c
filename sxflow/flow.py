"""The flow library in an interpreter: load lib/flow/store.sx, remote.sx and run.sx, and a small Python face for them.

``load_flow(interpreter)`` (what ``Interpreter.load_flow()`` calls) evaluates
``store.sx``, ``remote.sx`` — the user's file, verbatim — and ``run.sx``, and runs their
loaders, ``(flow-load-store! env)``, ``(flow-load-remote! env)`` and
``(flow-load-run! env)``, with the interpreter's own
global environment, so every ``flow-*`` procedure, ``remote-node`` and
``remote-failover`` becomes a global of that interpreter. Loading twice is a no-op: the
second call keeps the registered peers, the replicas and the store. (Calling a loader
again from Scheme does reload, and starts that library afresh.)

``Flow(interpreter)`` loads the library if needed and wraps it for Python::

    from sxflow import Interpreter
    from sxflow.flow import Flow

    flow = Flow(Interpreter())
    flow.register_peer("peer-a", {"double": lambda x: x * 2})
    flow.transport("peer-a", "double", 21)                  # 42
    node = flow.failover(["peer-down", "peer-a"], "double", lambda x: -1)
    node(5)                                                 # 10
    flow.store["answer"] = [1, 2, 3]                        # flow-store-put!
    flow.replicate_to("peer-a"); flow.restore_from("peer-a")  # True
    flow.define("inc", [lambda x: x + 1, lambda x: x * 10])   # a flow of two steps
    flow.start("run-1", "inc", 4)                           # 50, checkpointed in the store
    flow.status("run-1")["status"]                          # "done"
    flow.resume("run-1"); flow.runs()                       # 50, ["run-1"]

Conventions: addresses are strings, function names are symbols (a Python ``str`` given
as a function name becomes a symbol). A Python callable in a peer's table receives the
Scheme value as it is (int, float, Fraction, str, bool, ``Symbol``, ``Char``, ``Pair``
lists — ``sxflow.to_python`` turns them into Python lists — and vectors as
``sxflow.Vector``) and may return any of those; a plain Python list or tuple it returns
becomes a Scheme list, a ``Vector`` stays a vector. An exception it raises is a Scheme error: ``guard`` catches it and
``remote-failover`` moves on to the next peer. Errors raised by the library reach Python
as ``sxflow.SchemeError`` whose ``.payload`` is the raised symbol, e.g.
``Symbol("flow-remote-unreachable")``.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from pathlib import Path
import os
from typing import Any, Protocol, TypeAlias

from . import deferred
from .data import NIL, Symbol, make_list
from .errors import SchemeError
from .library.plaindata import copy_plain_data
from .library.registry import INTERNAL_BUILTINS, interpreter_builtin
from .runtime import to_scheme
from .source import name_text

# What the Python face takes: an address is a string, a function name a str or Symbol,
# a store key or run id a str (a Scheme string) or Symbol (a symbol), values plain data.
Address: TypeAlias = str
Name: TypeAlias = str | Symbol
Key: TypeAlias = str | Symbol
PeerFunctions: TypeAlias = Mapping[Name, Callable[..., Any]] | Iterable[tuple[Name, Callable[..., Any]]]


class FlowHost(Protocol):
    """What the flow library needs of an interpreter (``sxflow.Interpreter`` is one; it imports this module when first asked)."""

    environment: Any
    flow_loaded: bool
    hidden_names: set[str]

    def load(self, path: str | os.PathLike[str], environment: Any = None) -> Any: ...

    def call(self, name: str, *args: Any) -> Any: ...

    def __getitem__(self, name: str) -> Any: ...

_NOT_COPIED = object()
_PUT_FAULTS = (Symbol("flow-store-not-plain"), Symbol("flow-store-bad-key"))  # copy_plain_data's answer for data that is not plain

LIBRARY_FILES = ("store.sx", "remote.sx", "run.sx")
LOADERS = ("flow-load-store!", "flow-load-remote!", "flow-load-run!")
# The global of each file holding the code its loader evaluates (errors inside name both).
SOURCE_GLOBALS = ("flow-store-src", "flow-remote-src", "flow-run-src")


# The library's own state and helpers: globals every interpreter with the flow
# library has, but not part of its documented face, so ``Interpreter.keys()`` and
# REPL completion leave them out (``interp[name]`` still reaches them).
INTERNAL_NAMES = frozenset({
    "flow-store-src", "flow-remote-src", "flow-run-src", "flow-store-table", "flow-store-file",
    "flow-store-failed", "flow-store-key?",
    "flow-assoc", "flow-failover-step", "flow-replicas-remove", "flow-replicate-one!", "flow-replicators",
    "flow-standbys", "flow-active-calls", "flow-active-step", "flow-check-run-id", "flow-check-shape!",
    "flow-condition-message", "flow-data->level", "flow-level->data", "flow-level", "flow-name?",
    "flow-record", "flow-run-failed!", "flow-run-key", "flow-run-level!", "flow-run-save!", "flow-run-step",
    "flow-written", "flow-definitions", "flow-steps",
}) | INTERNAL_BUILTINS

# Installers of the procedures other layers add beside the library (the fed-* and
# ray-* procedures): those modules register here when imported (load_flow has
# sxflow.deferred import them), so this module does not import the layers built on it.
EXTENSIONS: list[Callable[[Any], None]] = []


def add_extension(install: Callable[[Any], None]) -> None:
    """Have ``load_flow`` call ``install(interpreter)`` after the library's own files."""
    if install not in EXTENSIONS:
        EXTENSIONS.append(install)


# How ``Flow.connect`` ("http") and ``Flow.connect_ray`` ("ray") reach a peer: the fed
# and ray layers put their connect functions here when imported, as with EXTENSIONS.
CONNECTORS: dict[str, Callable[..., list[str]]] = {}


def add_connector(kind: str, connect: Callable[..., list[str]]) -> None:
    """Have ``Flow.connect`` (kind "http") or ``Flow.connect_ray`` (kind "ray") call ``connect(interpreter, ...)``."""
    CONNECTORS[kind] = connect


def flow_library_directory() -> Path:
    """Where the .sx files of the flow library are: inside the installed package, or lib/flow in a checkout."""
    package = Path(__file__).resolve().parent
    installed = package / "flowlib"  # the wheel maps lib/flow to sxflow/flowlib
    if (installed / "remote.sx").is_file():
        return installed
    return package.parent / "lib" / "flow"


def load_flow(interpreter: FlowHost) -> None:
    """Evaluate store.sx, remote.sx and run.sx and install them in the interpreter's global environment, once."""
    if interpreter.flow_loaded:
        return
    deferred.load_flow_extensions()
    directory = flow_library_directory()
    for filename, source in zip(LIBRARY_FILES, SOURCE_GLOBALS):
        interpreter.load(directory / filename)
        text = interpreter[source]
        if isinstance(text, str):
            name_text(text, f"lib/flow/{filename} ({source})")
    for loader in LOADERS:
        interpreter.call(loader, interpreter.environment)
    for install in EXTENSIONS:
        install(interpreter)
    interpreter.hidden_names.update(INTERNAL_NAMES)
    interpreter.flow_loaded = True


@interpreter_builtin("flow-load!")
def make_flow_load(interpreter: FlowHost) -> Callable[[], None]:
    """(flow-load!): load the flow library (store.sx, remote.sx, run.sx) into the interaction environment.

    What ``Interpreter.load_flow()`` and ``sxflow run`` do; a no-op once loaded, so it is
    safe at the top of any program that needs the flow procedures.
    """

    def flow_load() -> None:
        load_flow(interpreter)

    return flow_load


def _function_name(name: Name) -> Symbol:
    return Symbol(name) if isinstance(name, str) else name


def peer_table(functions: PeerFunctions) -> Any:
    """The ``(fn-name proc)`` list remote.sx expects, from a mapping or pairs of name -> procedure."""
    items = functions.items() if isinstance(functions, Mapping) else functions
    # to_scheme: a Python callable becomes a procedure of the Scheme convention (list results converted).
    return make_list([make_list([_function_name(name), to_scheme(procedure)]) for name, procedure in items])


class Flow:
    """The flow library of one interpreter, from Python (loads it on first use)."""

    def __init__(self, interpreter: FlowHost) -> None:
        load_flow(interpreter)
        self.interpreter = interpreter
        self.store = FlowStore(interpreter)

    def _call(self, name: str, *args: Any) -> Any:
        return self.interpreter.call(name, *args)

    def register_peer(self, address: Address, functions: PeerFunctions) -> None:
        """Register a (mock) peer: ``functions`` maps names to Python callables or Scheme procedures.

        Registering an address again replaces what it exposes (the newest entry wins).
        """
        self._call("flow-peer-register!", address, peer_table(functions))

    def transport(self, address: Address, function: Name, value: Any) -> Any:
        """Run ``function`` on the peer at ``address`` with ``value`` (flow-transport)."""
        return self._call("flow-transport", address, _function_name(function), value)

    def node(self, address: Address, function: Name) -> Callable[[Any], Any]:
        """A one-argument node that runs ``function`` on the peer each time it is called (remote-node)."""
        return self._call("remote-node", address, _function_name(function))

    def failover(self, addresses: Iterable[Address], function: Name,
                 local: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """A node trying each address in order, then ``local`` (remote-failover)."""
        return self._call("remote-failover", make_list(list(addresses)), _function_name(function), local)

    def connect(self, address: Address, url: str, names: Iterable[Name] | None = None, timeout: float = 5.0,
                secret: str | bytes | None = None) -> list[str]:
        """Register ``address`` as the sxflow server at ``url`` (fed-connect!): one proxy per function.

        ``names`` given: proxies for those names without contacting the server; else the
        server is asked (unreachable raises flow-remote-unreachable). ``timeout`` is the
        per-call limit in seconds; ``secret`` defaults to (fed-set-secret!) or
        ``SXFLOW_FED_SECRET``. Returns the names. Needs the ``sxflow[fed]`` extra.
        """
        return CONNECTORS["http"](self.interpreter, address, url, names, timeout, secret)

    # -- durable runs (lib/flow/run.sx) -------------------------------------------

    def define(self, name: Key, steps: Iterable[Callable[[Any], Any] | Key]) -> Key:
        """Define the flow ``name`` as ``steps`` (flow-define): Python callables, Scheme procedures or flow names.

        Names and run ids keep their kind, as store keys do: a Python ``str`` is a Scheme
        string, ``Symbol("checkout")`` a symbol. Returns the name.
        """
        return self._call("flow-define", name, make_list([to_scheme(step) for step in steps]))

    def start(self, run_id: Key, flow_name: Key, input: Any = NIL) -> Any:
        """Run the flow ``flow_name`` on ``input`` as the run ``run_id`` and return its output (flow-start!).

        ``input`` is plain data (Python lists and tuples become Scheme lists). A step that
        raises marks the run failed and reaches Python as SchemeError; an existing run id
        raises SchemeError with payload ``Symbol("flow-run-exists")``.
        """
        return self._call("flow-start!", run_id, flow_name, to_scheme(input))

    def resume(self, run_id: Key) -> Any:
        """Continue an unfinished run from its last checkpoint, or return a done run's output (flow-resume!)."""
        return self._call("flow-resume!", run_id)

    def status(self, run_id: Key) -> dict[str, Any]:
        """The run's status as a dict (flow-run-status): flow, status ("running", "done" or
        "failed"), next (the index of the next step), steps, and error (the last failure's
        message, or None)."""
        status = {}
        for entry in self._call("flow-run-status", run_id):
            field, value = entry.car.name, entry.cdr.car
            if field == "status":
                value = value.name
            elif field == "error" and value is False:
                value = None
            status[field] = value
        return status

    def runs(self) -> list[Key]:
        """The ids of every run in the store, in the order they were started (flow-runs)."""
        return list(self._call("flow-runs"))

    def step_key(self) -> str | None:
        """The running step's stable key (flow-current-step-key), or None outside a step."""
        key = self._call("flow-current-step-key")
        return None if key is False else key

    def standby(self, addresses: Iterable[Address]) -> None:
        """Replicate the store to each address after every checkpoint (flow-standby!); [] stops."""
        self._call("flow-standby!", make_list(list(addresses)))

    def replicate_to(self, address: Address) -> None:
        """Copy this instance's store export to the replica slot of ``address``."""
        self._call("flow-replicate-to", address)

    def restore_from(self, address: Address) -> bool:
        """Import the replica held for ``address``: True, or False (store untouched) when there is none."""
        return self._call("flow-restore-from", address)

    def replica(self, address: Address) -> Any:
        """A copy of the export replicated to ``address``, or None when there is none.

        A copy, so that changing it from Python cannot change what a later
        ``restore_from`` brings back (``flow-replica-get`` itself returns the replica).
        """

        data = self._call("flow-replica-get", address)
        if data is False:
            return None
        copied = copy_plain_data(data, _NOT_COPIED)
        return data if copied is _NOT_COPIED else copied

    def connect_ray(self, address: Address, actor_name: str, names: Iterable[Name] | None = None,
                    timeout: float | None = None, *,
                    namespace: str | None = None, ray_address: str | None = None) -> list[str]:
        """Register ``address`` as the peer actor ``actor_name`` (ray-connect!): one proxy per function.

        Like ``connect`` with a Ray transport (``sxflow.ray``): ``names`` given, no question
        is asked of the actor; ``timeout`` is the per-call limit in seconds; the actor is
        looked up in ``namespace`` (default ``sxflow``) of the cluster Ray is connected to
        (else ``ray_address``, ``RAY_ADDRESS`` or a local ``ray start`` cluster). Needs the
        ``sxflow[ray]`` extra. Returns the names.
        """
        return CONNECTORS["ray"](self.interpreter, address, actor_name, names, timeout,
                                 namespace=namespace, ray_address=ray_address)


class FlowStore(MutableMapping[Key, Any]):
    """The flow store as a Python mapping: ``store[key] = value`` is flow-store-put!, and so on.

    Keys are strings (or ``Symbol``s); values are plain data, Python lists and tuples
    becoming Scheme lists and ``sxflow.Vector``s staying vectors. Reading a missing key raises KeyError (flow-store-get itself
    answers #f). ``export()`` and ``import_(data)`` are flow-store-export and
    flow-store-import!.
    """

    def __init__(self, interpreter: FlowHost) -> None:
        self.interpreter = interpreter

    def _call(self, name: str, *args: Any) -> Any:
        return self.interpreter.call(name, *args)

    def __getitem__(self, key: Key) -> Any:
        if not self._call("flow-store-has?", key):
            raise KeyError(key)
        return self._call("flow-store-get", key)

    def __setitem__(self, key: Key, value: Any) -> None:
        try:
            self._call("flow-store-put!", key, value)
        except SchemeError as error:
            if error.payload in _PUT_FAULTS:
                error.note = f"flow.store[{key!r}] = {type(value).__name__} value"
            raise

    def __delitem__(self, key: Key) -> None:
        if not self._call("flow-store-has?", key):
            raise KeyError(key)
        self._call("flow-store-delete!", key)

    def __contains__(self, key: object) -> bool:
        return self._call("flow-store-has?", key)

    def __iter__(self) -> Iterator[Key]:
        value = self._call("flow-store-keys")
        while value is not NIL:
            yield value.car
            value = value.cdr

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def clear(self) -> None:
        self._call("flow-store-clear!")

    def export(self) -> Any:
        """A snapshot: the Scheme list of ``(key value)`` entries (flow-store-export)."""
        return self._call("flow-store-export")

    def import_(self, data: Any) -> None:
        """Replace the whole store from an export (flow-store-import!); bad data raises and changes nothing."""
        self._call("flow-store-import!", to_scheme(data))

    def __repr__(self) -> str:
        return f"<FlowStore with {len(self)} keys>"
